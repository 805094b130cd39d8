"""The studio's drape control: a "Drape" button, an "auto-drape" toggle and a status line ("draping… 40 %").

After a silhouette edit the viewport shows the fitted garment at once (the scene builder draws a drape only when a
finished one matches the design's current inputs). ``design.drape()`` then runs on the export worker (a worker
thread of the kernel, or an RQ ``fw worker``); this control follows the job from a small background thread and,
when it completes, redraws the viewport (on the kernel's event loop when there is one), which swaps the draped
mesh in. The kernel is never blocked: the cell that made the edit returns before the drape starts.
"""

from __future__ import annotations

import html
import logging
import threading
import time
from typing import Any

import ipywidgets as w

from .context import StudioContext, disable

log = logging.getLogger("fw_widgets")
POLL_S = 0.1


def _running_loop() -> Any:
    import asyncio

    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class DrapeControl:
    """Drapes the studio's design on request (``start``) or after every edit that leaves it undraped (``auto``).

    Attributes: ``state`` (``fitted``, ``queued``, ``draping``, ``draped``, ``failed``, ``cancelled``),
    ``progress`` (0..100), ``handle`` (the job of the last drape), ``button``, ``auto``, ``label``.
    """

    def __init__(self, ctx: StudioContext, sync: Any, quality: str = "standard", auto: bool = False,
                 loop: Any = None):
        self.ctx = ctx
        self.sync = sync
        self.quality = quality
        self.loop = loop if loop is not None else _running_loop()
        self.button = w.Button(description="Drape", tooltip="drape the garments with the cloth solver",
                               layout=w.Layout(width="80px"))
        self.button.add_class("fw-drape")
        self.auto = w.Checkbox(value=auto, description="auto-drape", indent=False,
                               layout=w.Layout(width="110px"))
        self.auto.add_class("fw-auto-drape")
        self.label = w.HTML("")
        self.label.add_class("fw-drape-status")
        self.widget = w.HBox([self.button, self.auto, self.label], layout=w.Layout(align_items="center"))
        self.widget.add_class("fw-drape-bar")
        self.state = "fitted"
        self.progress = 0
        self.handle: Any = None
        self.thread: threading.Thread | None = None
        self._version: int | None = None  # the design version the last drape was asked for
        self._lock = threading.Lock()
        self.button.on_click(lambda _: self.start())
        self.auto.observe(lambda change: self.after_edit() if change["new"] else None, "value")
        self.refresh()

    # -- what the viewport shows ---------------------------------------------------------------------------------
    def draped_now(self) -> bool:
        """Whether the viewport draws every garment there is to drape as draped."""
        drapeable = set(getattr(self.sync, "drapeable", ()))
        return bool(drapeable) and drapeable <= set(getattr(self.sync, "draped", ()))

    def refresh(self) -> None:
        """The button's state and the status line after the viewport changed."""
        disable(self.button, None if self.ctx.design.role is not None else "no access to this design",
                "drape the garments with the cloth solver")
        if self.state in ("queued", "draping"):
            return
        if not getattr(self.sync, "drapeable", ()):
            self._say("", "fitted")
        elif self.draped_now():
            self._say("draped", "draped")
        elif self.state not in ("failed", "cancelled"):
            self._say("fitted shape (not draped)", "fitted")

    def after_edit(self) -> None:
        """Called after each edit the viewport showed: with auto-drape, drape what is not draped yet (a drape of
        an earlier state still running is cancelled: its inputs are gone)."""
        self.refresh()
        if not self.auto.value or not getattr(self.sync, "drapeable", ()) or self.draped_now():
            return
        running = self.handle is not None and self.state in ("queued", "draping")
        if running and self.handle.job.design_id == self.ctx.design.id:
            if self._version == self.ctx.design.version:
                return
            try:
                self.handle.cancel()
            except Exception:  # it may have ended meanwhile
                log.debug("cancel of an outdated drape failed", exc_info=True)
        self.start()

    # -- the job -------------------------------------------------------------------------------------------------
    def start(self) -> Any:
        """Queue ``design.drape(quality)`` and follow it; returns its handle (None if refused: the reason shows
        in the studio's status line)."""
        with self._lock:
            handle = self.ctx.call(self.ctx.design.drape, self.quality)
            if handle is None:
                self._say("not draped (see the message above)", "failed")
                return None
            self.handle = handle
            self._version = self.ctx.design.version
            self.progress = 0
            self._say("draping… 0 %", "queued")
            self.thread = threading.Thread(target=self._follow, args=(handle,), name="fw-drape", daemon=True)
            self.thread.start()
            return handle

    def _follow(self, handle: Any, timeout: float = 1800.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                job = handle.refresh()
            except Exception as exc:  # shown, never raised on a thread nobody reads
                self._say(f"drape not followed: {exc}", "failed", error=True)
                return
            if handle is not self.handle:  # a newer drape took over
                return
            if job.done:
                self._ended(handle, job)
                return
            self.progress = int(job.progress)
            self._say(f"draping… {self.progress} %", "draping" if job.status == "processing" else "queued")
            time.sleep(POLL_S)
        self._say("still draping after 30 minutes", "failed", error=True)

    def _ended(self, handle: Any, job: Any) -> None:
        if job.status != "completed":
            if job.cancelled:
                self._say("drape cancelled", "cancelled")
            else:
                self._say(f"drape failed: {job.error}", "failed", error=True)
            return
        self.progress = 100
        if self.loop is not None and self.loop.is_running():
            self.loop.call_soon_threadsafe(self._swap, handle)  # the viewport is the kernel's: its thread
        else:
            self._swap(handle)

    def _swap(self, handle: Any) -> None:
        """Redraw the viewport: the scene now draws the finished drape (if the design still has its inputs)."""
        if handle is not self.handle:
            return
        self.state = "done"
        try:
            self.sync.full()
        except Exception as exc:
            log.exception("studio redraw after a drape failed")
            self._say(f"draped, but the view could not redraw: {exc}", "failed", error=True)
            return
        if self.draped_now():
            self._say("draped", "draped")
        else:
            self._say("fitted shape (the drape was of an earlier version)", "fitted")

    def wait(self, timeout: float = 600.0) -> None:
        """Block until the followed drape ended and was swapped in (tests; a notebook never needs it)."""
        if self.thread is not None:
            self.thread.join(timeout)

    def _say(self, text: str, state: str, error: bool = False) -> None:
        self.state = state
        colour = "#b00020" if error else "#555"
        value = f"<span style='color:{colour}'>{html.escape(text)}</span>" if text else ""
        if self.label.value != value:
            self.label.value = value
