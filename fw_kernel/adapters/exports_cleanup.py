"""``fw exports cleanup``: delete the files of expired exports (``expires_at``, 7 days after completion) and of
writes that died half-way (``.partial`` files older than an hour), and mark the records (``file_url`` cleared)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import fsspec

PARTIAL_AGE = timedelta(hours=1)   # a write in progress is younger than this


@dataclass(frozen=True)
class Removed:
    export_id: str | None   # None: an orphaned partial file
    url: str
    size: int | None


def cleanup_exports(store: Any, storage_url: str, now: datetime,
                    partial_age: timedelta = PARTIAL_AGE) -> tuple[list[Removed], list[str]]:
    """Remove expired exports' files from the blob store at ``storage_url`` and clear their ``file_url``.

    Returns what was removed and notes about what was left (a file outside this blob store)."""
    base = storage_url.rstrip("/")
    fs, root = fsspec.core.url_to_fs(base)
    removed: list[Removed] = []
    notes: list[str] = []
    for job in store.expired(now):
        url = job.file_url
        if not url.startswith(base + "/"):
            notes.append(f"export {job.id}: {url} is not in the blob store {base}; left alone")
            continue
        path = f"{root}/{url[len(base) + 1:]}"
        if fs.exists(path):
            fs.rm(path)
            folder = path.rsplit("/", 1)[0]
            try:  # the export's own folder, when empty (object stores have no folders)
                if not fs.ls(folder):
                    fs.rmdir(folder)
            except OSError:
                pass
        store.update(job.id, file_url=None)
        removed.append(Removed(job.id, url, job.file_size))
    exports = f"{root}/exports"
    if fs.exists(exports):
        for path in fs.find(exports):
            name = path.rsplit("/", 1)[-1]
            if not (name.startswith(".") and name.endswith(".partial")):
                continue
            modified = fs.modified(path)
            if modified.tzinfo is None:
                modified = modified.replace(tzinfo=UTC)
            if modified < now - partial_age:
                size = fs.size(path)
                fs.rm(path)
                removed.append(Removed(None, f"{base}/{path[len(root) + 1:]}", size))
    return removed, notes
