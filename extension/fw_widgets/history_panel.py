"""History: undo/redo, checkpoint with a message, the versions list, a diff between two versions, restore and fork;
and the latest actions recorded in the design's history."""

from __future__ import annotations

import html
import json
from typing import Any

import ipywidgets as w

from .context import StudioContext, disable

RECENT = 8


class HistoryPanel:
    def __init__(self, ctx: StudioContext):
        self.ctx = ctx
        self.undo = w.Button(description="undo")
        self.redo = w.Button(description="redo")
        self.undo.add_class("fw-undo")
        self.redo.add_class("fw-redo")
        self.message = w.Text(value="", placeholder="what changed", description="message")
        self.checkpoint = w.Button(description="checkpoint", button_style="success")
        self.versions = w.Select(options=[], rows=6, description="versions", layout=w.Layout(width="420px"))
        self.restore = w.Button(description="restore selected")
        self.diff_a = w.Dropdown(options=[], description="diff from")
        self.diff_b = w.Dropdown(options=[], description="to")
        self.diff = w.Button(description="diff")
        self.diff_out = w.HTML("")
        self.fork_name = w.Text(value="", placeholder="name of the copy", description="fork as")
        self.fork = w.Button(description="fork")
        self.forked: Any = None
        self.recent = w.HTML("")
        # no "done" message: the studio's status line says what the undo or redo changed
        self.undo.on_click(lambda _: self._run(self.ctx.design.undo))
        self.redo.on_click(lambda _: self._run(self.ctx.design.redo))
        self.checkpoint.on_click(self._on_checkpoint)
        self.restore.on_click(self._on_restore)
        self.diff.on_click(self._on_diff)
        self.fork.on_click(self._on_fork)
        self.widget = w.VBox([
            w.HBox([self.undo, self.redo]), w.HBox([self.message, self.checkpoint]), self.versions, self.restore,
            w.HBox([self.diff_a, self.diff_b, self.diff]), self.diff_out, w.HBox([self.fork_name, self.fork]),
            w.HTML("<b>Recent actions</b>"), self.recent])
        self.widget.add_class("fw-history")

    def _run(self, fn: Any) -> None:
        if self.ctx.call(fn) is False:
            self.ctx.status.ok("nothing to " + getattr(fn, "__name__", "do"))
        self.refresh()

    def _on_checkpoint(self, _: Any) -> None:
        version = self.ctx.call(self.ctx.design.checkpoint, self.message.value)
        if version is not None:
            self.ctx.status.ok(f"checkpoint v{version.version_number} saved")
            self.message.value = ""
        self.refresh()

    def _on_restore(self, _: Any) -> None:
        number = self.versions.value
        if number is None:
            self.ctx.status.ok("select a version to restore")
            return
        self.ctx.call(self.ctx.design.restore, number, done=f"restored version {number} (undo goes back)")
        self.refresh()

    def _on_diff(self, _: Any) -> None:
        a, b = self.diff_a.value, self.diff_b.value
        if a is None or b is None:
            self.diff_out.value = "<i>Make two checkpoints to compare them.</i>"
            return
        ops = self.ctx.call(self.ctx.design.diff, a, b)
        if ops is None:
            return
        lines = "\n".join(json.dumps(op, default=str) for op in ops) or "(no differences)"
        self.diff_out.value = (f"<div class='fw-diff'><b>v{a} &rarr; v{b}: {len(ops)} operation(s)</b>"
                               f"<pre style='max-height:220px;overflow:auto;font-size:11px'>"
                               f"{html.escape(lines)}</pre></div>")

    def _on_fork(self, _: Any) -> None:
        fork = self.ctx.call(self.ctx.design.fork, self.fork_name.value or None)
        if fork is not None:
            self.forked = fork
            self.ctx.status.ok(f"forked as {fork.name!r} (id {fork.id}); open it with ws.designs.get({fork.id!r})")
        self.refresh()

    def refresh_buttons(self) -> None:
        """Undo/redo availability (cheap: after every edit)."""
        design = self.ctx.design
        block = self.ctx.edit_block()
        disable(self.undo, block or (None if design.can_undo else "nothing to undo"), "undo the last edit")
        disable(self.redo, block or (None if design.can_redo else "nothing to redo"), "redo the last undone edit")

    def refresh(self) -> None:
        """Buttons, versions and recent actions (reads the store: when the tab is shown or used)."""
        design = self.ctx.design
        versions = self.ctx.call(lambda: design.versions) or []
        options = [(f"v{v.version_number}: {v.message or '(no message)'}", v.version_number) for v in versions]
        numbers = [n for _, n in options]
        if list(self.versions.options) != options:
            self.versions.options = options
        for dropdown, pick in ((self.diff_a, -2), (self.diff_b, -1)):
            if list(dropdown.options) != options:
                dropdown.options = options
                dropdown.value = numbers[pick] if len(numbers) >= -pick else (numbers[0] if numbers else None)
        self.refresh_buttons()
        block = self.ctx.edit_block()
        for control in (self.checkpoint, self.message, self.restore):
            disable(control, block)
        history = self.ctx.call(lambda: design.history) or []
        rows = "".join(f"<li>{html.escape(entry_text(h))} <span style='color:#777'>by {html.escape(str(h.user))}"
                       f"</span></li>" for h in history[-RECENT:][::-1])
        self.recent.value = f"<ul style='margin:0;padding-left:18px'>{rows}</ul>"


def entry_text(entry: Any) -> str:
    """A history entry in words: its summary ("Tailored Blazer: colour #2b2f3a → #7a1f3d"), else its action."""
    data = entry.data if isinstance(entry.data, dict) else {}
    summary = data.get("summary")
    if isinstance(summary, str) and summary:
        return summary
    if entry.action == "checkpoint":
        return f"checkpoint v{data.get('version_number')}" + (f": {data['message']}" if data.get("message") else "")
    return str(entry.action).replace("_", " ")
