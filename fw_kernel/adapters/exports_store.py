"""Export job records: in the relational store (``design.exports``), or in memory for unit tests."""

from __future__ import annotations

import dataclasses
import threading
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from ..domain.exports import ExportJob
from .sql import tables as t

_COLUMNS = {f.name: ("user_name" if f.name == "user" else f.name) for f in dataclasses.fields(ExportJob)}


class SqlExportStore:
    def __init__(self, engine: Engine):
        self._engine = engine

    def add(self, job: ExportJob, request: dict[str, Any] | None = None) -> None:
        """Record a job with its request (what a worker in another process needs to run it)."""
        with self._engine.begin() as c:
            c.execute(insert(t.exports).values(
                {**{_COLUMNS[k]: v for k, v in dataclasses.asdict(job).items()}, "request": request}))

    def request(self, job_id: str) -> dict[str, Any] | None:
        with self._engine.begin() as c:
            return c.execute(select(t.exports.c.request).where(t.exports.c.id == job_id)).scalar()

    def complete(self, job_id: str, **changes: Any) -> bool:
        """Mark a job completed unless it already is (a retried job completes once); True if this call did."""
        with self._engine.begin() as c:
            return c.execute(update(t.exports).where(t.exports.c.id == job_id, t.exports.c.status != "completed")
                             .values({**{_COLUMNS[k]: v for k, v in changes.items()}, "status": "completed"})
                             ).rowcount == 1

    def expired(self, now: datetime) -> list[ExportJob]:
        """Completed jobs past ``expires_at`` whose file is still there (``file_url`` set)."""
        with self._engine.begin() as c:
            rows = c.execute(select(t.exports).where(t.exports.c.status == "completed", t.exports.c.expires_at < now,
                                                     t.exports.c.file_url.is_not(None))
                             .order_by(t.exports.c.expires_at)).all()
        return [self._from(r) for r in rows]

    def get(self, job_id: str) -> ExportJob | None:
        with self._engine.begin() as c:
            row = c.execute(select(t.exports).where(t.exports.c.id == job_id)).first()
        return self._from(row) if row else None

    def update(self, job_id: str, **changes: Any) -> None:
        with self._engine.begin() as c:
            c.execute(update(t.exports).where(t.exports.c.id == job_id).values(
                {_COLUMNS[k]: v for k, v in changes.items()}))

    def list(self, design_id: str) -> list[ExportJob]:
        with self._engine.begin() as c:
            rows = c.execute(select(t.exports).where(t.exports.c.design_id == design_id)
                             .order_by(t.exports.c.created_at)).all()
        return [self._from(r) for r in rows]

    @staticmethod
    def _from(row: Any) -> ExportJob:
        m = row._mapping
        return ExportJob(**{k: m[column] for k, column in _COLUMNS.items()})


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

    def get(self, job_id: str) -> ExportJob | None:
        return self._jobs.get(job_id)

    def update(self, job_id: str, **changes: Any) -> None:
        with self._lock:
            self._jobs[job_id] = dataclasses.replace(self._jobs[job_id], **changes)

    def list(self, design_id: str) -> list[ExportJob]:
        return [j for j in self._jobs.values() if j.design_id == design_id]
