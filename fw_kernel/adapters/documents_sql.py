"""The document store of the embedded default: the seed's collections as tables in the relational store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, delete, insert, select

from .sql import tables as t

AUTOSAVE_TTL = timedelta(days=7)
RENDER_TTL = timedelta(days=30)


class SqlDocumentStore:
    def __init__(self, engine: Engine):
        self._engine = engine

    def put_snapshot(self, design_id: str, version_number: int, snapshot: dict[str, Any], at: datetime) -> None:
        with self._engine.begin() as c:
            exists = c.execute(select(t.doc_snapshots.c.design_id).where(and_(
                t.doc_snapshots.c.design_id == design_id, t.doc_snapshots.c.version_number == version_number
            ))).first()
            if exists is None:
                c.execute(insert(t.doc_snapshots).values(design_id=design_id, version_number=version_number,
                                                         doc=snapshot, created_at=at))

    def get_snapshot(self, design_id: str, version_number: int) -> dict[str, Any] | None:
        with self._engine.begin() as c:
            return c.execute(select(t.doc_snapshots.c.doc).where(and_(
                t.doc_snapshots.c.design_id == design_id, t.doc_snapshots.c.version_number == version_number
            ))).scalar()

    def put_autosave(self, design_id: str, design_version: int, state: dict[str, Any],
                     patch: list[dict[str, Any]], at: datetime, base_version: int = 0) -> None:
        self.put_autosaves([{"designId": design_id, "designVersion": design_version, "baseVersion": base_version,
                             "state": state, "patch": patch, "savedAt": at}])

    def put_autosaves(self, docs: Sequence[dict[str, Any]]) -> None:
        if not docs:
            return
        rows = [{"design_id": d["designId"], "design_version": d["designVersion"],
                 "doc": {**d, "savedAt": d["savedAt"].isoformat()}, "saved_at": d["savedAt"],
                 "expires_at": d["savedAt"] + AUTOSAVE_TTL} for d in docs]
        dialect = self._engine.dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
        with self._engine.begin() as c:
            c.execute(dialect_insert(t.doc_autosaves).on_conflict_do_nothing(), rows)

    def latest_autosave(self, design_id: str) -> dict[str, Any] | None:
        with self._engine.begin() as c:
            return c.execute(select(t.doc_autosaves.c.doc).where(t.doc_autosaves.c.design_id == design_id)
                             .order_by(t.doc_autosaves.c.design_version.desc()).limit(1)).scalar()

    def put_render(self, render_hash: str, record: dict[str, Any], at: datetime) -> None:
        with self._engine.begin() as c:
            c.execute(delete(t.doc_render_cache).where(t.doc_render_cache.c.render_hash == render_hash))
            c.execute(insert(t.doc_render_cache).values(render_hash=render_hash, doc=record, created_at=at,
                                                        expires_at=at + RENDER_TTL))

    def get_render(self, render_hash: str) -> dict[str, Any] | None:
        with self._engine.begin() as c:
            return c.execute(select(t.doc_render_cache.c.doc).where(
                t.doc_render_cache.c.render_hash == render_hash)).scalar()

    def get_renders(self, render_hashes: Sequence[str]) -> dict[str, dict[str, Any]]:
        with self._engine.begin() as c:
            rows = c.execute(select(t.doc_render_cache.c.render_hash, t.doc_render_cache.c.doc).where(
                t.doc_render_cache.c.render_hash.in_(list(render_hashes))))
            return {h: doc for h, doc in rows}

    def purge_expired(self, now: datetime) -> int:
        with self._engine.begin() as c:
            n = c.execute(delete(t.doc_autosaves).where(t.doc_autosaves.c.expires_at < now)).rowcount
            n += c.execute(delete(t.doc_render_cache).where(t.doc_render_cache.c.expires_at < now)).rowcount
            return n

    def close(self) -> None:
        pass
