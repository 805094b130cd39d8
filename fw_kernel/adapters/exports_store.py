"""Export job records: in the relational store (``design.exports``), or in memory for unit tests."""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

from sqlalchemy import Engine, insert, select, update

from ..domain.exports import ExportJob
from .sql import tables as t

_COLUMNS = {f.name: ("user_name" if f.name == "user" else f.name) for f in dataclasses.fields(ExportJob)}


class SqlExportStore:
    def __init__(self, engine: Engine):
        self._engine = engine

    def add(self, job: ExportJob) -> None:
        with self._engine.begin() as c:
            c.execute(insert(t.exports).values({_COLUMNS[k]: v for k, v in dataclasses.asdict(job).items()}))

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
        self._lock = threading.Lock()

    def add(self, job: ExportJob) -> None:
        with self._lock:
            self._jobs[job.id] = job

    def get(self, job_id: str) -> ExportJob | None:
        return self._jobs.get(job_id)

    def update(self, job_id: str, **changes: Any) -> None:
        with self._lock:
            self._jobs[job_id] = dataclasses.replace(self._jobs[job_id], **changes)

    def list(self, design_id: str) -> list[ExportJob]:
        return [j for j in self._jobs.values() if j.design_id == design_id]
