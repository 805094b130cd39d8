"""Export job records: in the relational store (``design.exports``), or in memory for unit tests."""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from ..domain.events import Event
from ..domain.exports import ExportJob
from .sql import tables as t
from .sql.repositories import event_row

_COLUMNS = {f.name: ("user_name" if f.name == "user" else f.name) for f in dataclasses.fields(ExportJob)}


class SqlExportStore:
    """Export records; with ``event_log`` each move of a record (requested, started, completed, failed) is also an
    analytics event, written in the same transaction as the move."""

    def __init__(self, engine: Engine, event_log: bool = True):
        self._engine = engine
        self.event_log = event_log
        self.observers: list[Any] = []  # called with each event once its transaction committed (Prometheus)

    def _notify(self, event: Event | None) -> None:
        for observer in self.observers if event is not None else ():
            with contextlib.suppress(Exception):  # metrics are best-effort
                observer(event)

    def _event(self, c: Connection, kind: str, job_id: str, now: datetime | None = None, **props: Any
               ) -> Event | None:
        if not self.event_log:
            return None
        row = c.execute(select(t.exports.c.design_id, t.exports.c.user_name, t.exports.c.type, t.exports.c.options,
                               t.exports.c.created_at).where(t.exports.c.id == job_id)).first()
        if row is None:
            return None
        now = now or datetime.now(UTC)
        fmt = (row.options or {}).get("format")
        if kind == "export_started":
            props["queue_wait_s"] = round((now - _aware(row.created_at)).total_seconds(), 3)
        elif kind in ("export_completed", "export_failed"):
            started = c.execute(select(t.events.c.time, t.events.c.properties).where(
                t.events.c.type == "export_started", t.events.c.design_id == row.design_id,
                t.events.c.time >= row.created_at).order_by(t.events.c.time.desc()).limit(50)).all()
            begun = next((_aware(r.time) for r in started if (r.properties or {}).get("export_id") == job_id),
                         _aware(row.created_at))
            props["duration_s"] = round((now - begun).total_seconds(), 3)
        event = Event(kind, row.user_name, now, row.design_id, {"export_id": job_id, "export_type": row.type,
                                                                "format": fmt, **props})
        c.execute(insert(t.events).values(event_row(event)))
        return event

    def add(self, job: ExportJob, request: dict[str, Any] | None = None) -> None:
        """Record a job with its request (what a worker in another process needs to run it)."""
        with self._engine.begin() as c:
            c.execute(insert(t.exports).values(
                {**{_COLUMNS[k]: v for k, v in dataclasses.asdict(job).items()}, "request": request}))
            event = self._event(c, "export_requested", job.id, job.created_at)
        self._notify(event)

    def request(self, job_id: str) -> dict[str, Any] | None:
        with self._engine.begin() as c:
            return c.execute(select(t.exports.c.request).where(t.exports.c.id == job_id)).scalar()

    def complete(self, job_id: str, **changes: Any) -> bool:
        """Mark a job completed unless it already is (a retried job completes once); True if this call did."""
        with self._engine.begin() as c:
            done = c.execute(update(t.exports).where(t.exports.c.id == job_id, t.exports.c.status != "completed")
                             .values({**{_COLUMNS[k]: v for k, v in changes.items()}, "status": "completed"})
                             ).rowcount == 1
            event = self._event(c, "export_completed", job_id, changes.get("completed_at"),
                                file_size=changes.get("file_size")) if done else None
        self._notify(event)
        return done

    def expired(self, now: datetime) -> list[ExportJob]:
        """Completed jobs past ``expires_at`` whose file is still there (``file_url`` set)."""
        with self._engine.begin() as c:
            rows = c.execute(select(t.exports).where(t.exports.c.status == "completed", t.exports.c.expires_at < now,
                                                     t.exports.c.file_url.is_not(None))
                             .order_by(t.exports.c.expires_at)).all()
        return [self._from(r) for r in rows]

    def pending(self, before: datetime) -> list[str]:
        """Ids of the jobs created before ``before`` that have not ended (``queued`` or ``processing``)."""
        with self._engine.begin() as c:
            rows = c.execute(select(t.exports.c.id).where(t.exports.c.status.in_(("queued", "processing")),
                                                          t.exports.c.created_at < before)
                             .order_by(t.exports.c.created_at)).all()
        return [r[0] for r in rows]

    def get(self, job_id: str) -> ExportJob | None:
        with self._engine.begin() as c:
            row = c.execute(select(t.exports).where(t.exports.c.id == job_id)).first()
        return self._from(row) if row else None

    def update(self, job_id: str, **changes: Any) -> None:
        with self._engine.begin() as c:
            c.execute(update(t.exports).where(t.exports.c.id == job_id).values(
                {_COLUMNS[k]: v for k, v in changes.items()}))
            status, event = changes.get("status"), None
            if status == "processing":
                event = self._event(c, "export_started", job_id, attempt=changes.get("retry_count", 0))
            elif status == "failed":
                event = self._event(c, "export_failed", job_id, error=str(changes.get("error") or "")[:200])
        self._notify(event)

    def list(self, design_id: str) -> list[ExportJob]:
        with self._engine.begin() as c:
            rows = c.execute(select(t.exports).where(t.exports.c.design_id == design_id)
                             .order_by(t.exports.c.created_at)).all()
        return [self._from(r) for r in rows]

    @staticmethod
    def _from(row: Any) -> ExportJob:
        m = row._mapping
        return ExportJob(**{k: m[column] for k, column in _COLUMNS.items()})


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


class MemoryExportStore:
    def __init__(self) -> None:
        self._jobs: dict[str, ExportJob] = {}
        self._requests: dict[str, dict[str, Any] | None] = {}
        self._lock = threading.Lock()

    def add(self, job: ExportJob, request: dict[str, Any] | None = None) -> None:
        with self._lock:
            self._jobs[job.id] = job
            self._requests[job.id] = request

    def request(self, job_id: str) -> dict[str, Any] | None:
        return self._requests.get(job_id)

    def complete(self, job_id: str, **changes: Any) -> bool:
        with self._lock:
            if self._jobs[job_id].status == "completed":
                return False
            self._jobs[job_id] = dataclasses.replace(self._jobs[job_id], status="completed", **changes)
            return True

    def expired(self, now: datetime) -> list[ExportJob]:
        return sorted((j for j in self._jobs.values() if j.status == "completed" and j.file_url
                       and j.expires_at is not None and j.expires_at < now), key=lambda j: j.expires_at or now)

    def pending(self, before: datetime) -> list[str]:
        return [j.id for j in self._jobs.values()
                if not j.done and j.created_at is not None and _aware(j.created_at) < before]

    def get(self, job_id: str) -> ExportJob | None:
        return self._jobs.get(job_id)

    def update(self, job_id: str, **changes: Any) -> None:
        with self._lock:
            self._jobs[job_id] = dataclasses.replace(self._jobs[job_id], **changes)

    def list(self, design_id: str) -> list[ExportJob]:
        return [j for j in self._jobs.values() if j.design_id == design_id]
