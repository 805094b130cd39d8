"""Audit records in the relational store (``design.audit_log``; migration 0007)."""

from __future__ import annotations

import dataclasses

from sqlalchemy import Engine, insert, select

from ..domain.audit import AuditRecord
from .sql import tables as t

_COLUMNS = {"admin": "admin_name", "owner": "owner_name"}


class SqlAuditLog:
    def __init__(self, engine: Engine):
        self._engine = engine

    def add(self, records: list[AuditRecord]) -> None:
        if not records:
            return
        rows = [{_COLUMNS.get(k, k): v for k, v in dataclasses.asdict(r).items()} for r in records]
        with self._engine.begin() as c:
            c.execute(insert(t.audit_log), rows)

    def list(self, *, design_id: str | None = None, admin: str | None = None, owner: str | None = None,
             limit: int = 100) -> list[AuditRecord]:
        a = t.audit_log.c
        query = select(t.audit_log)
        for column, value in ((a.design_id, design_id), (a.admin_name, admin), (a.owner_name, owner)):
            if value is not None:
                query = query.where(column == value)
        with self._engine.connect() as c:
            rows = c.execute(query.order_by(a.created_at.desc(), a.id).limit(limit)).all()
        return [AuditRecord(id=r.id, admin=r.admin_name, design_id=r.design_id, owner=r.owner_name,
                            endpoint=r.endpoint, reason=r.reason, created_at=r.created_at) for r in rows]
