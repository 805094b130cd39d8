"""A queued export and its progress."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..domain.exports import ExportJob
from .progress import _progress_bar

if TYPE_CHECKING:
    from .workspace import Workspace


class ExportHandle:
    """A queued export (or drape): ``status``, ``progress`` (0..100), and once completed ``path``/``url`` and
    ``size``; ``cancel()`` stops it."""

    def __init__(self, ws: Workspace, job: ExportJob):
        self._ws = ws
        self.job = job

    def refresh(self) -> ExportJob:
        self.job = self._ws._exports().get(self.job.id)
        return self.job

    def cancel(self) -> ExportJob:
        """Cancel the job if it has not ended (it ends ``failed``, "cancelled by ..."; a drape stores nothing)."""
        self.job = self._ws._exports().cancel(self._ws.user, self.job.id)
        return self.job

    @property
    def cancelled(self) -> bool:
        return self.refresh().cancelled

    def wait(self, timeout: float | None = 600.0, progress: bool = True) -> ExportJob:
        """Block until the export is completed or failed (a progress bar in a notebook or terminal)."""
        import time

        label = "drape" if self.job.type == "drape" else f"{self.job.type} export"
        bar = _progress_bar(label) if progress else None
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.refresh().done:
            if bar is not None:
                bar(self.job.progress)
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"export {self.job.id} still {self.job.status} after {timeout} s")
            time.sleep(0.05)
        if bar is not None:
            bar(self.job.progress, self.job.status == "failed")
        return self.job

    status = property(lambda self: self.refresh().status)
    progress = property(lambda self: self.refresh().progress)
    url = property(lambda self: self.job.file_url)
    size = property(lambda self: self.job.file_size)

    @property
    def path(self) -> str | None:
        url = self.job.file_url
        return url[len("file://"):] if url and url.startswith("file://") else url

    def __repr__(self) -> str:
        j = self.job
        return f"Export({j.type}, {j.status}, {j.progress}%, {j.file_name or ''} {j.file_size or ''})"
