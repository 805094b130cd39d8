"""The export panel: one button per export type with a progress bar; each click is ``design.export(...)``.

Progress is polled on a small background thread (the kernel stays free for other edits); the bar and the result
line update as the job advances. A type the server cannot make yet says so inline.
"""

from __future__ import annotations

import html
import threading
import time
from typing import Any

import ipywidgets as w

from fw_kernel.domain.exports import EXPORT_TYPES

from .context import StudioContext, disable

#: Default options per type (the panel's "quick" exports).
OPTIONS: dict[str, dict[str, Any]] = {
    "image": {"format": "png", "width": 1280, "height": 960},
    "video": {"format": "mp4"},
    "model": {"format": "glb"},
    "techpack": {},
}
POLL_S = 0.1


class ExportRow:
    def __init__(self, panel: ExportPanel, kind: str):
        self.panel = panel
        self.kind = kind
        self.button = w.Button(description=f"export {kind}", layout=w.Layout(width="150px"))
        self.button.add_class(f"fw-export-{kind}")
        self.bar = w.IntProgress(value=0, min=0, max=100, layout=w.Layout(width="200px"))
        self.result = w.HTML("")
        self.handle: Any = None
        self.thread: threading.Thread | None = None
        self.button.on_click(lambda _: self.start())
        self.box = w.HBox([self.button, self.bar, self.result])

    def start(self) -> Any:
        ctx = self.panel.ctx
        self.bar.value, self.bar.bar_style = 0, ""
        handle = ctx.call(ctx.design.export, self.kind, **OPTIONS.get(self.kind, {}))
        if handle is None:
            self.result.value = "<span style='color:#b00020'>not started (see the message above)</span>"
            return None
        self.handle = handle
        self.result.value = "queued"
        self.thread = threading.Thread(target=self._follow, name=f"fw-export-{self.kind}", daemon=True)
        self.thread.start()
        return handle

    def _follow(self, timeout: float = 900.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                job = self.handle.refresh()
            except Exception as exc:  # shown, never raised on a thread nobody reads
                self.result.value = f"<span style='color:#b00020'>{html.escape(str(exc))}</span>"
                return
            self.bar.value = int(job.progress)
            if job.done:
                self._finish(job)
                return
            self.result.value = html.escape(job.status)
            time.sleep(POLL_S)
        self.result.value = "<span style='color:#b00020'>still running after 15 minutes</span>"

    def _finish(self, job: Any) -> None:
        if job.status == "completed":
            self.bar.bar_style = "success"
            path = self.handle.path or ""
            size = f"{(job.file_size or 0) / 1024:.0f} KiB"
            self.result.value = f"done: <code>{html.escape(path)}</code> ({size})"
        else:
            self.bar.bar_style = "danger"
            self.result.value = f"<span style='color:#b00020'>failed: {html.escape(str(job.error or ''))}</span>"

    def wait(self, timeout: float = 600.0) -> None:
        if self.thread is not None:
            self.thread.join(timeout)


class ExportPanel:
    def __init__(self, ctx: StudioContext):
        self.ctx = ctx
        self.rows = {kind: ExportRow(self, kind) for kind in EXPORT_TYPES}
        self.widget = w.VBox([w.HTML("Exports render the design as it is when you click (later edits do not "
                                     "change them)."), *(row.box for row in self.rows.values())])
        self.widget.add_class("fw-exports")

    def refresh(self) -> None:
        block = None if self.ctx.design.role is not None else "no access to this design"
        for row in self.rows.values():
            disable(row.button, block, f"queue a {row.kind} export")
