"""Export jobs on RQ (Redis): one queue per priority, chosen by the requesting user's tier, a 10-minute timeout,
retries with backoff, and the worker class that ``fw worker`` runs.

The queue carries only the export id: the request (design snapshot, canvas, avatar body) lives in the export
store, so any worker process on any machine configured with the same settings can run it after the requesting
kernel has gone (see :mod:`fw_kernel.worker`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .require_ import require_driver

log = logging.getLogger(__name__)

PRIORITIES = ("high", "default", "low")          # the order a worker listens in
TIER_PRIORITY = {"enterprise": "high", "pro": "default", "free": "low"}
JOB_TIMEOUT_S = 10 * 60
RUN_EXPORT = "fw_kernel.worker.run_export"
ON_FAILURE = "fw_kernel.worker.export_failed"


def queue_names(prefix: str, priorities: Sequence[str] | None = None) -> list[str]:
    """The priority queues, highest first: ``<prefix>-high``, ``<prefix>-default``, ``<prefix>-low`` (or only
    those of ``priorities``, a subset of :data:`PRIORITIES`, for a worker pool that serves some tiers)."""
    chosen = PRIORITIES if priorities is None else priorities
    unknown = sorted(set(chosen) - set(PRIORITIES))
    if unknown or not chosen:
        raise ValueError(f"unknown queue priority {', '.join(unknown) or '(none given)'}: "
                         f"choose from {', '.join(PRIORITIES)}")
    return [f"{prefix}-{p}" for p in PRIORITIES if p in chosen]


def priority_of(tier: str) -> str:
    return TIER_PRIORITY.get(tier, "default")


def rq_job_id(export_id: str) -> str:
    return f"fw-export-{export_id}"


class LazyRedis:
    """A Redis client made on first use (nothing connects at construction); call it for the client."""

    def __init__(self, url: str):
        self._url = url
        self._redis: Any = None
        self._lock = threading.Lock()

    def __call__(self) -> Any:
        with self._lock:
            if self._redis is None:
                from redis import Redis

                self._redis = Redis.from_url(self._url)
            return self._redis

    def close(self) -> None:
        with self._lock:
            if self._redis is not None:
                self._redis.close()
                self._redis = None


class RqJobQueue:
    """The production job queue. ``submit`` has the signature of the in-process queue's; the function and the
    request stay behind (the worker runs :data:`RUN_EXPORT` on the stored request).

    Parameters
    ----------
    redis_url
        Redis of the queues.
    prefix
        Queue name prefix (tests use a unique one).
    tier_of
        Export id -> the requesting user's tier (``free``, ``pro``, ``enterprise``), which picks the queue.
    backoff_s
        One retry per entry, that many seconds after a failure (0: at once).
    """

    def __init__(self, redis_url: str, prefix: str, tier_of: Callable[[str], str], backoff_s: Sequence[int] = (10, 60),
                 timeout_s: int = JOB_TIMEOUT_S):
        require_driver("rq", "redis")
        self._prefix = prefix
        self._tier_of = tier_of
        self._backoff = [int(s) for s in backoff_s]
        self._timeout = timeout_s
        self._connection = LazyRedis(redis_url)

    def queue_for(self, export_id: str) -> str:
        return f"{self._prefix}-{priority_of(self._tier_of(export_id))}"

    def submit(self, fn: Callable[..., Any], export_id: str, payload: dict[str, Any] | None = None) -> Any:
        """Enqueue the export ``export_id`` (its request must already be in the export store)."""
        from rq import Callback, Queue, Retry

        queue = Queue(self.queue_for(export_id), connection=self._connection())
        retry = Retry(max=len(self._backoff), interval=self._backoff) if self._backoff else None
        return queue.enqueue(RUN_EXPORT, export_id, job_id=rq_job_id(export_id), job_timeout=self._timeout,
                             retry=retry, on_failure=Callback(ON_FAILURE), meta={"fw_retries": len(self._backoff)},
                             result_ttl=24 * 3600, failure_ttl=7 * 24 * 3600, description=f"export {export_id}")

    def close(self) -> None:
        self._connection.close()


def current_attempt() -> tuple[int, int | None]:
    """(attempt number from 0, retries left after this one) of the RQ job running now; (0, None) outside RQ."""
    from rq import get_current_job

    job = get_current_job()
    if job is None:
        return 0, None
    total = int(job.meta.get("fw_retries", 0))
    left = int(job.retries_left or 0)
    return max(0, total - left), left


def is_abandoned(exc_type: type[BaseException] | None) -> bool:
    """Whether a failure callback reports a job whose worker died mid-job (found by another worker)."""
    from rq.exceptions import AbandonedJobError

    return exc_type is not None and issubclass(exc_type, AbandonedJobError)


class LostJobSweeper:
    """Queues again the exports that no worker would ever run: a record not ended whose RQ job waits in no queue,
    runs in no registry and is scheduled nowhere.

    RQ loses a job that way when its worker is killed between popping it and registering it as started (a worker
    of several queues pops with a plain BLPOP: RQ keeps its intermediate list, which it recovers, only for
    single-queue workers; a worker SIGKILLed while blocked in BLPOP can still be handed the next job), and loses
    every job when Redis restarts without persistence. A started job whose worker's lease expired ``grace_s`` ago
    and that RQ's own cleanup has not retried counts as lost too (the reliability suite saw such jobs stay started).
    The export record is the truth: a job is queued again once it has looked lost on two sweeps at least ``grace_s``
    apart (a worker between pop and register, or a kernel between storing the record and enqueueing it, looks lost
    for milliseconds).

    Parameters
    ----------
    connection
        Returns the Redis client of the queues.
    prefix
        Queue name prefix; markers are kept under ``<prefix>:lost-since:<export id>``.
    pending
        ``older_than_s`` -> ids of export records not ended, requested at least that long ago.
    resubmit
        Export id -> queue it again from its stored request.
    """

    def __init__(self, connection: Callable[[], Any], prefix: str, pending: Callable[[float], list[str]],
                 resubmit: Callable[[str], None], grace_s: float = 30.0):
        self._connection = connection
        self._prefix = prefix
        self._pending = pending
        self._resubmit = resubmit
        self._grace = float(grace_s)

    def lost(self, export_ids: Iterable[str]) -> list[str]:
        """Those of ``export_ids`` whose RQ job is nowhere a worker finds it (or is gone from Redis)."""
        from rq import Queue
        from rq.exceptions import NoSuchJobError
        from rq.job import Job, JobStatus

        connection = self._connection()
        found = []
        started: dict[str, dict[str, float]] = {}   # queue -> job id -> expiry of its started entry
        overdue = time.time() - self._grace
        for export_id in export_ids:
            job_id = rq_job_id(export_id)
            try:
                job = Job.fetch(job_id, connection=connection)
            except NoSuchJobError:
                found.append(export_id)
                continue
            if job.get_status(refresh=False) in (JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED,
                                                 JobStatus.CANCELED):
                continue  # ended in RQ: its failure callback records it on the export
            queue = Queue(job.origin, connection=connection)
            if job.origin not in started:
                started[job.origin] = {}
                for entry, score in connection.zrange(queue.started_job_registry.key, 0, -1, withscores=True):
                    started[job.origin][entry.decode().split(":", 1)[0]] = float(score)
            # wherever its status says, a job moving between states is in one of these; a started entry that
            # expired ``grace_s`` ago should have been retried by RQ's registry cleanup already
            held = (connection.lpos(queue.key, job_id) is not None
                    or connection.lpos(queue.intermediate_queue_key, job_id) is not None
                    or started[job.origin].get(job_id, -1.0) >= overdue
                    or job_id in queue.scheduled_job_registry or job_id in queue.deferred_job_registry)
            if not held:
                found.append(export_id)
        return found

    def sweep(self) -> list[str]:
        """Look once; returns the export ids queued again now."""
        connection = self._connection()
        pending = self._pending(self._grace)
        lost = set(self.lost(pending))
        requeued = []
        now = time.time()
        with connection.pipeline() as pipe:
            for export_id in pending:
                if export_id not in lost:
                    pipe.delete(self._marker(export_id))
            pipe.execute()
        for export_id in sorted(lost):
            marker = self._marker(export_id)
            if connection.set(marker, now, nx=True, ex=24 * 3600):
                continue  # first seen lost: look again next time
            since = float(connection.get(marker) or now)
            # deleting the marker claims the job: two workers sweeping at once queue it once
            if now - since >= self._grace and connection.delete(marker):
                self._resubmit(export_id)
                requeued.append(export_id)
                log.warning("export %s was in no queue or registry (its worker died between taking and starting "
                            "it, its worker's lease ran out, or Redis lost it): queued again", export_id)
        return requeued

    def _marker(self, export_id: str) -> str:
        return f"{self._prefix}:lost-since:{export_id}"


def _worker_class() -> type:
    from rq import SimpleWorker
    from rq.worker import WorkerStatus

    class ExportWorker(SimpleWorker):
        """Runs jobs in its own process, so the body model, the scene caches and the GL context stay warm from one
        export to the next, and beats its heart from a thread while a job runs: a worker that dies mid-job is
        noticed ``job_monitoring_interval + heartbeat_grace`` seconds later by another worker, which retries the
        job (RQ's ``StartedJobRegistry`` cleanup)."""

        heartbeat_grace = 60
        fw_sweeper: LostJobSweeper | None = None

        def clean_registries(self) -> None:
            super().clean_registries()
            if self.fw_sweeper is not None:
                try:
                    self.fw_sweeper.sweep()
                except Exception:  # the next maintenance looks again
                    log.warning("looking for lost export jobs failed", exc_info=True)

        def get_heartbeat_ttl(self, job: Any, working_time: float = 0.0) -> int:
            if job.timeout == -1:
                return super().get_heartbeat_ttl(job, working_time)
            remaining = (job.timeout or JOB_TIMEOUT_S) - working_time
            return int(max(1.0, min(remaining, self.job_monitoring_interval))) + self.heartbeat_grace

        def execute_job(self, job: Any, queue: Any) -> None:
            execution = self.prepare_execution(job)
            stop = threading.Event()

            def beat() -> None:
                while not stop.wait(self.job_monitoring_interval):
                    try:
                        self.maintain_heartbeats(job, execution)
                    except Exception:  # a missed beat only shortens the lease; the next one renews it
                        log.warning("heartbeat of job %s failed", job.id, exc_info=True)

            beating = threading.Thread(target=beat, name="fw-heartbeat", daemon=True)
            beating.start()
            try:
                self.perform_job(job, queue, execution)
            finally:
                stop.set()
                beating.join()
            self.set_state(WorkerStatus.IDLE)

    return ExportWorker


def run_worker(redis_url: str, prefix: str, *, burst: bool = False, name: str | None = None,
               heartbeat_s: int = 10, heartbeat_grace_s: int = 30, maintenance_s: int = 60,
               max_jobs: int | None = None, priorities: Sequence[str] | None = None,
               sweeper: LostJobSweeper | None = None) -> bool:
    """Work the priority queues (highest first; only ``priorities`` when given) until stopped (SIGTERM/SIGINT:
    after the current job), or until they are empty with ``burst``. Returns whether any job ran.

    ``heartbeat_s`` + ``heartbeat_grace_s`` bound how long a dead worker's job waits before another worker
    retries it; ``maintenance_s`` is how often an idle worker looks for such jobs, and runs ``sweeper`` (exports
    whose queue entry was lost)."""
    require_driver("rq", "redis")
    from redis import Redis
    from rq import Queue

    connection = Redis.from_url(redis_url)
    queues = [Queue(n, connection=connection) for n in queue_names(prefix, priorities)]
    worker = _worker_class()(queues, connection=connection, name=name, job_monitoring_interval=heartbeat_s,
                             maintenance_interval=maintenance_s, worker_ttl=max(maintenance_s, heartbeat_s) + 15)
    worker.heartbeat_grace = heartbeat_grace_s
    worker.fw_sweeper = sweeper
    return bool(worker.work(burst=burst, with_scheduler=True, logging_level="INFO", max_jobs=max_jobs))

