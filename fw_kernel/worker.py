"""What ``fw worker`` processes run for RQ: the services are rebuilt from settings (``FW_*``) once per worker
process, and each job is an export id whose request lies in the export store.

The functions here are named by their import path in the queue (``fw_kernel.worker.run_export``), so they must
stay importable without side effects.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from .bootstrap import Services, local_services
from .services.exports import ExportService
from .settings import Settings

log = logging.getLogger(__name__)
_services: Services | None = None
_lock = threading.Lock()


def services() -> Services:
    """The worker process's services, built on first use from the environment (no auto-save thread)."""
    global _services
    with _lock:
        if _services is None:
            _services = local_services(Settings.from_env(autosave_thread=False))
        return _services


def _exports() -> ExportService:
    exports = services().exports
    if exports is None:  # never: local_services always wires exports
        raise RuntimeError("the worker's services have no export use cases")
    return exports


def run_export(export_id: str) -> str:
    """Run one export from its stored request (RQ job function). A failure is recorded on the export and raised,
    so RQ retries the job while retries are left; the record says ``queued`` until the next attempt."""
    from .adapters.queue_rq import current_attempt
    from .domain.errors import NotFound

    attempt, retries_left = current_attempt()
    exports = _exports()
    try:
        exports.get(export_id)
    except NotFound:  # its design was deleted meanwhile (records go with it): nothing to make, nothing to retry
        log.warning("export %s no longer exists; skipped", export_id)
        return "gone"
    exports.run_stored(export_id, attempt=attempt, retries_left=retries_left)
    return exports.get(export_id).status


def lost_job_sweeper(redis_url: str, prefix: str, grace_s: float) -> Any:
    """The ``queue_rq.LostJobSweeper`` of this worker: the export records are the truth of what must run."""
    from .adapters.queue_rq import LazyRedis, LostJobSweeper

    exports = _exports()
    return LostJobSweeper(LazyRedis(redis_url), prefix, exports.pending, exports.resubmit, grace_s)


def measure_photos(front: Any, side: Any, height: float, body_hint: str | None = None) -> dict[str, Any]:
    """Detect pose and mask on two decoded photos and extract the measurements (RQ job function of
    ``adapters.photo_queue_rq``; the kernel that queued it waits for the answer)."""
    return services().photo_avatars.measure_images(front, side, height, body_hint)


def export_failed(job: Any, connection: Any, exc_type: Any = None, exc_value: Any = None, tb: Any = None) -> None:
    """RQ failure callback. A failure the job raised is already on the record; a worker that died mid-job
    (found by another worker, ``AbandonedJobError``) is recorded here: ``queued`` again while retries are left,
    else ``failed`` with what happened."""
    from .adapters.queue_rq import is_abandoned

    if not is_abandoned(exc_type) or not job.args:
        return
    export_id = job.args[0]
    exports = _exports()
    record = exports.get(export_id)
    if record.done:
        return
    left = int(job.retries_left or 0)
    message = "the worker running it stopped mid-job (killed or lost)"
    exports.record_lost(export_id, f"{message}; retrying" if left else message, retry=left > 0)
    log.warning("export %s: %s (%d retries left)", export_id, message, left)
