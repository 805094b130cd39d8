"""Photo measurements on the RQ queues (``FW_QUEUE=rq``): the kernel decodes the photos, a ``fw worker`` process
detects pose and mask and extracts the measurements (:func:`fw_kernel.worker.measure_photos`), and the kernel
waits for the answer, so ``ws.avatars.from_photos`` keeps its API and the fit and the save stay where they were.

The job goes to the highest-priority queue (someone is waiting for it), carries the decoded photos (at most
:data:`fw_kernel.services.photo_avatars.WORK_SIDE` pixels a side) and is deleted as soon as its answer is read:
body photos do not stay in Redis. A refusal ("no person was found"...) comes back as an answer, not as a failed
job, so the kernel raises the same ``ValidationError`` as when it measures inline.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import numpy as np

from .queue_rq import LazyRedis
from .require_ import require_driver

MEASURE_PHOTOS = "fw_kernel.worker.measure_photos"
JOB_TIMEOUT_S = 120
"""Longest a worker may take over one photo pair (it takes ~0.2 s warm, a few seconds cold)."""


class PhotoQueueError(RuntimeError):
    """No worker answered in time, or the job failed on the worker (not a problem with the photos)."""


class RqPhotoMeasurer:
    """``(front, side, height_cm, body_hint) -> answer`` through RQ (see the module docstring).

    Parameters
    ----------
    redis_url, prefix
        Redis and queue prefix of the ``fw worker`` processes (the queue is ``<prefix>-high``).
    wait_s
        How long the kernel waits for a worker to take and finish the job before giving up (the job is removed).
    """

    def __init__(self, redis_url: str, prefix: str, wait_s: float = JOB_TIMEOUT_S, poll_s: float = 0.02):
        require_driver("rq", "redis")
        self._queue = f"{prefix}-high"
        self._prefix = prefix
        self._wait = wait_s
        self._poll = poll_s
        self._connection = LazyRedis(redis_url)

    def __call__(self, front: np.ndarray, side: np.ndarray, height_cm: float, body_hint: str | None
                 ) -> dict[str, Any]:
        """The worker's answer for two decoded (H, W, 3) uint8 photos (see ``PhotoAvatarService.measure_images``)."""
        from rq import Queue
        from rq.job import JobStatus

        queue = Queue(self._queue, connection=self._connection())
        job = queue.enqueue(MEASURE_PHOTOS, np.ascontiguousarray(front), np.ascontiguousarray(side),
                            float(height_cm), body_hint, job_id=f"{self._prefix}-photos-{uuid.uuid4().hex}",
                            job_timeout=JOB_TIMEOUT_S, ttl=int(self._wait) + 1, result_ttl=60, failure_ttl=60,
                            description="photo measurement")
        try:
            deadline = time.monotonic() + self._wait
            while True:
                status = job.get_status(refresh=True)
                if status == JobStatus.FINISHED:
                    return dict(job.return_value(refresh=True) or {})
                if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
                    result = job.latest_result()
                    last = (result.exc_string or "").strip().splitlines()[-1:] if result is not None else []
                    raise PhotoQueueError(f"the photo measurement failed on the worker: {' '.join(last) or status}")
                if time.monotonic() > deadline:
                    raise PhotoQueueError(f"no worker measured the photos within {self._wait:g} s (is `fw worker` "
                                          f"running on the queues {self._prefix}-*?)")
                time.sleep(self._poll)
        finally:
            job.delete()  # the photos leave Redis with the job

    def close(self) -> None:
        self._connection.close()
