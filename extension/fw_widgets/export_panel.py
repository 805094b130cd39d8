"""The export panel: one button per export type with a progress bar; each click is ``design.export(...)``.

Progress is polled on a small background thread (the kernel stays free for other edits); the bar and the result
line update as the job advances. A type the server cannot make yet says so inline.
"""

from __future__ import annotations

import base64
import html
import mimetypes
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


MAX_INLINE_BYTES = 64 * 1024 * 1024  # larger files are not sent through the kernel: their path is shown


def local_bytes(handle: Any) -> bytes | None:
    """The exported file's bytes when it is a local file (the embedded default's blob folder), else None."""
    path = handle.path
    if not path or "://" in path:
        return None
    try:
        with open(path, "rb") as f:
            return f.read(MAX_INLINE_BYTES + 1)
    except OSError:
        return None


def download_link(handle: Any, job: Any) -> str:
    """HTML: a link that downloads the file in the browser, with its name and size.

    Over the design service the link is its signed download URL; on the embedded default the file travels
    through the kernel's widget channel as a ``data:`` URL (the Jupyter server cannot serve files outside its
    root); an object-store URL is shown as text."""
    name = job.file_name or "export"
    size = _size(job.file_size or 0)
    url = handle.url or ""
    label = f"download {html.escape(name)}"
    if url.startswith(("http://", "https://")):
        href = url
    else:
        data = local_bytes(handle)
        if data is None or len(data) > MAX_INLINE_BYTES:
            return f"done: {html.escape(name)} ({size}) at <code>{html.escape(handle.path or url)}</code>"
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        href = f"data:{mime};base64,{base64.b64encode(data).decode()}"
    return (f"<a class='fw-download' href='{html.escape(href, quote=True)}' download='{html.escape(name, quote=True)}'"
            f" target='_blank' rel='noopener' title='{html.escape(name, quote=True)}'"
            f" style='white-space:nowrap;color:#0b63c5;text-decoration:underline'>{label}</a>"
            f" <span style='color:#777'>({size})</span>")


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    return f"{n / 1024:.1f} KiB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MiB"


class ExportRow:
    def __init__(self, panel: ExportPanel, kind: str):
        self.panel = panel
        self.kind = kind
        self.button = w.Button(description=f"export {kind}", layout=w.Layout(width="150px", flex="0 0 auto"))
        self.button.add_class(f"fw-export-{kind}")
        self.bar = w.IntProgress(value=0, min=0, max=100, layout=w.Layout(width="200px"))
        self.result = w.HTML("")
        self.handle: Any = None
        self.thread: threading.Thread | None = None
        self.button.on_click(lambda _: self.start())
        self.result.add_class("fw-export-result")
        self.preview = w.Box([])
        self.box = w.VBox([w.HBox([self.button, self.bar, self.result],
                                  layout=w.Layout(align_items="center")), self.preview])

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
            self.result.value = download_link(self.handle, job)
            if self.kind == "image":
                self._preview(job)
        else:
            self.bar.bar_style = "danger"
            self.result.value = f"<span style='color:#b00020'>failed: {html.escape(str(job.error or ''))}</span>"

    def _preview(self, job: Any) -> None:
        data = local_bytes(self.handle)
        if data is None:
            return
        fmt = (job.file_name or "").rsplit(".", 1)[-1].lower() or "png"
        image = w.Image(value=data, format="jpeg" if fmt == "jpg" else fmt, layout=w.Layout(max_width="240px"))
        image.add_class("fw-export-preview")
        old = self.preview.children
        self.preview.children = (image,)
        for widget in old:
            widget.close()

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
