"""Avatars from photos over HTTP: ``POST /avatars/from-photos`` checks the request and the photos, answers 202
with a process id (the future avatar's id) and runs detection, measuring and fitting in this process's photo
threads (detection on a ``fw worker`` with ``FW_QUEUE=rq``); ``GET /avatars/processes/{id}`` reads the state.

The photos stay in memory while they are processed; only with ``keep_photos`` are they stored, encrypted by the
service's photo vault (``FW_PHOTO_KEY`` is the service's, never a kernel's). Process states hold no photo: they
live in Redis when there is one (any service process answers), else in this process, for a day.
Progress reaches the requesting user's ``/avatar`` WebSocket listeners through the kernel's events.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from fw_kernel.domain.errors import FWError, NotFound, plausible_id, show_value

from .errors import body, from_kernel

log = logging.getLogger("fw_server.photos")
TTL_S = 24 * 3600


class PhotoJobs:
    def __init__(self, services: Any, redis_url: str | None, threads: int, prefix: str = "fw:photo"):
        self._services = services
        self._prefix = prefix
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="fw-photo")
        self._redis: Any = None
        if redis_url:
            import redis

            self._redis = redis.Redis.from_url(redis_url, socket_timeout=2.0, socket_connect_timeout=2.0)
        self._local: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def _put(self, job: dict[str, Any]) -> None:
        job["updated_at"] = datetime.now(UTC).isoformat()
        if self._redis is not None:
            self._redis.set(f"{self._prefix}:{job['id']}", json.dumps(job), ex=TTL_S)
            return
        with self._lock:
            now = time.monotonic()
            self._local[job["id"]] = (now + TTL_S, job)
            if len(self._local) > 10_000:
                self._local = {k: v for k, v in self._local.items() if v[0] > now}

    def get(self, user: str, job_id: str) -> dict[str, Any]:
        """The state of one of ``user``'s photo processes; another user's is NotFound, like a missing one."""
        job = None
        if plausible_id(job_id):
            if self._redis is not None:
                raw = self._redis.get(f"{self._prefix}:{job_id}")
                job = json.loads(raw) if raw else None
            else:
                with self._lock:
                    entry = self._local.get(job_id)
                job = entry[1] if entry is not None and entry[0] > time.monotonic() else None
        if job is None or job["user"] != user:
            raise NotFound(f"photo process {show_value(job_id)} does not exist or is not yours", field="process_id",
                           value=job_id)
        return dict(job)

    def start(self, user: str, avatar_id: str, name: str, run: Callable[[Callable[[int, str], None]], Any]
              ) -> dict[str, Any]:
        """Record the process and run ``run(progress)`` (which makes the avatar ``avatar_id``) in a photo thread."""
        now = datetime.now(UTC).isoformat()
        job = {"id": avatar_id, "user": user, "name": name, "status": "processing", "progress": 0,
               "step": "queued", "avatar_id": None, "error": None, "created_at": now}
        self._put(job)

        def progress(percent: int, step: str) -> None:
            job.update(progress=min(int(percent), 99), step=step)  # 100 once the avatar is saved
            self._safe_put(job)

        def work() -> None:
            try:
                avatar = run(progress)
                job.update(status="completed", progress=100, step="done", avatar_id=avatar.id)
            except FWError as exc:
                job.update(status="failed", error=from_kernel(exc).body)
            except Exception:
                log.exception("photo process %s failed", avatar_id)
                job.update(status="failed", error=body("internal_error", "the photos could not be processed "
                                                                         "(logged by the service); try again"))
            self._safe_put(job)

        answer = dict(job)  # as started: the thread changes ``job`` from now on
        self._executor.submit(work)
        return answer

    def _safe_put(self, job: dict[str, Any]) -> None:
        try:
            self._put(dict(job))
        except Exception as exc:  # the avatar itself is saved (or not) regardless
            log.warning("photo process %s state not kept: %s", job["id"], exc)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        if self._redis is not None:
            self._redis.close()
