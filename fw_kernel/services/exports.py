"""Exports through a job queue: a request snapshots the design (later edits do not change it), a worker renders,
encodes and stores the file, and the record moves queued -> processing -> completed | failed."""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..domain import permissions
from ..domain.design import Design, from_snapshot, snapshot
from ..domain.errors import NotFound, show_value
from ..domain.exports import KEEP_FOR, VIEWS, ExportJob, validate_export
from ..domain.values import DesignMeta
from ..ports import UnitOfWorkFactory
from .clock import new_id, utcnow

log = logging.getLogger(__name__)
SUPERSAMPLE = {"draft": 1, "standard": 2, "high": 3}


class ExportService:
    def __init__(self, uow: UnitOfWorkFactory, store: Any, queue: Any, blobs_factory: Callable[[], Any],
                 documents: Any, scene_of: Callable[[dict[str, Any], dict[str, Any] | None], Any],
                 renderer_factory: Callable[[], Any], clock: Callable[[], datetime] = utcnow):
        self._uow = uow
        self._store = store
        self._queue = queue
        self._blobs_factory = blobs_factory
        self._docs = documents
        self._scene_of = scene_of
        self._renderer_factory = renderer_factory
        self._renderer: Any = None
        self._blobs: Any = None
        self._clock = clock

    def request(self, user: str, design_id: str, kind: Any, options: dict[str, Any]) -> ExportJob:
        """Validate, snapshot the design and the avatar's body, record the job and queue it."""
        normalised = validate_export(kind, options)
        with self._uow() as uow:
            design = uow.designs.get(design_id)
            if design is None:
                raise NotFound(f"design {show_value(design_id)} does not exist or is not shared with {user!r}",
                               field="design_id", value=design_id)
            role = permissions.role_of(design, user, uow.collaborators.role(design.id, user))
            permissions.check(design, user, role, "export")
            avatar = uow.avatars.get(design.meta.avatar_id) if design.meta.avatar_id else None
        payload = {"state": snapshot(design), "canvas": design.canvas.model_dump(mode="json"),
                   "body": avatar.body if avatar is not None and avatar.body else None}
        job = ExportJob(new_id(), design.id, user, kind, normalised, created_at=self._clock())
        self._store.add(job, payload)  # the request lives with the record: a worker process elsewhere runs it
        self._queue.submit(self.run, job.id, payload)
        return job

    def get(self, job_id: str) -> ExportJob:
        job = self._store.get(job_id)
        if job is None:
            raise NotFound(f"export {show_value(job_id)} does not exist", field="job_id", value=job_id)
        return job

    def list(self, design_id: str) -> list[ExportJob]:
        return self._store.list(design_id)

    def run_stored(self, job_id: str, attempt: int = 0, retries_left: int | None = None) -> None:
        """Run a job from the request stored with its record (a worker process that did not see the request)."""
        payload = self._store.request(job_id)
        if payload is None:
            raise NotFound(f"export {show_value(job_id)} has no stored request", field="job_id", value=job_id)
        self.run(job_id, payload, attempt, retries_left)

    def record_lost(self, job_id: str, error: str, retry: bool) -> None:
        """A worker died mid-job: the record waits for the retry (``queued``) or ends ``failed``."""
        self._store.update(job_id, status="queued" if retry else "failed", error=error)

    # -- the worker side -----------------------------------------------------------------------------------------
    def run(self, job_id: str, payload: dict[str, Any], attempt: int = 0, retries_left: int | None = None) -> None:
        """Make the file and complete the record. ``attempt``/``retries_left`` come from a queue that retries (RQ):
        then a failure is recorded and raised, and the record stays ``queued`` while retries are left. Without them
        (the in-process queue) a failure is recorded and not raised. The file is stored (atomically) before the
        record completes, and a record completes once however often its job runs."""
        job = self.get(job_id)
        if job.status == "completed":  # a retry of a job that completed before its worker died
            return
        self._store.update(job_id, status="processing", progress=5, retry_count=attempt)
        try:
            data, name = self._image(job, payload)
            if self._blobs is None:
                self._blobs = self._blobs_factory()
            # the final key is the same on every attempt and written atomically: never half a file there
            url = self._blobs.put(f"exports/{job.design_id}/{job_id}/{name}", data)
        except Exception as exc:
            log.exception("export %s failed (attempt %d)", job_id, attempt + 1)
            again = bool(retries_left)
            self._store.update(job_id, status="queued" if again else "failed", error=f"{type(exc).__name__}: {exc}",
                               retry_count=attempt)
            if retries_left is None:
                return
            raise
        now = self._clock()
        self._store.complete(job_id, progress=100, file_url=url, file_name=name, file_size=len(data), error=None,
                             completed_at=now, expires_at=now + KEEP_FOR)

    def _image(self, job: ExportJob, payload: dict[str, Any]) -> tuple[bytes, str]:
        from PIL import Image

        options = job.options
        key = hashlib.sha256(json.dumps({"payload": payload, "options": options}, sort_keys=True).encode()).hexdigest()
        cached = self._docs.get_render(key)
        name = f"{options['view']}.{'jpg' if options['format'] == 'jpeg' else options['format']}"
        if self._blobs is None:
            self._blobs = self._blobs_factory()
        if cached is not None and self._blobs.exists_url(cached["url"]):  # same state, same settings: reuse
            self._store.update(job.id, progress=90)
            return self._blobs.read_url(cached["url"]), name
        shell = Design(id=job.design_id, owner=job.user, meta=DesignMeta(name="export"))
        design = from_snapshot(shell, payload["state"])
        scene = self._scene_of(design, payload["body"])
        self._store.update(job.id, progress=40)
        if self._renderer is None:
            self._renderer = self._renderer_factory()
        w, h = options["width"], options["height"]
        ss = SUPERSAMPLE[options["quality"]] if max(w, h) * SUPERSAMPLE[options["quality"]] <= 4096 else 1
        rgba = self._renderer.render(scene, w, h, VIEWS[options["view"]], options["background"], ss)
        self._store.update(job.id, progress=80)
        image = Image.fromarray(rgba, "RGBA")
        if options["format"] == "jpeg" or rgba[..., 3].min() == 255:
            image = image.convert("RGB")
        buffer = io.BytesIO()
        image.save(buffer, format=options["format"].upper(), **({"quality": 92} if options["format"] != "png" else {}))
        data = buffer.getvalue()
        url = self._blobs.put(f"render_cache/{key}/{name}", data)
        self._docs.put_render(key, {"url": url, "size": len(data)}, self._clock())
        return data, name
