"""Edit latency: ``design.add_layer(...)`` and ``design.update_layer(...)`` through the notebook API on a design
with 20 layers, next to the minimal equivalent raw work on the same database:

* ``raw``: the driver itself (sqlite3 / psycopg 3), one transaction of
  ``UPDATE designs ... WHERE id AND version AND deleted_at IS NULL`` (the optimistic check) +
  ``UPDATE layers`` (opacity, transform) -- or ``INSERT layers`` for add_layer -- + ``INSERT history``.
* ``core``: the same three statements as SQLAlchemy Core constructs on the engine fw_kernel built
  (its pool, ``pool_pre_ping`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite): splits the gap between
  the driver and fw_kernel into "SQLAlchemy + engine settings" and "fw_kernel itself".

add_layer is timed alone; each added layer is removed again, untimed, so the design stays at 20 layers. Each
implementation edits its own 20-layer design; they run in interleaved blocks of 25 operations, so the noise of
a shared machine falls on all three alike.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from . import stages
from .infra import Backend
from .stats import summary

LAYERS = 20


def _now() -> datetime:
    return datetime.now(UTC)


def _update_changes(i: int) -> dict[str, Any]:
    return {"opacity": (i * 7) % 101, "transform": {"rotation": {"y": float(i % 360)}, "position": {"x": i * 1e-3}}}


def _full_transform(i: int) -> dict[str, Any]:
    return {"position": {"x": i * 1e-3, "y": 0.0, "z": 0.0}, "rotation": {"x": 0.0, "y": float(i % 360), "z": 0.0},
            "scale": {"x": 1.0, "y": 1.0, "z": 1.0}}


def _timed(fn: Callable[[int], None], n: int, warmup: int) -> list[float]:
    out: list[float] = []
    for i in range(warmup + n):
        started = time.perf_counter()
        fn(i)
        elapsed = time.perf_counter() - started
        if i >= warmup:
            out.append(elapsed)
    return out


def _new_design(ws: Any, name: str, items: list[Any]) -> Any:
    design = ws.designs.create(name)
    for i in range(LAYERS):
        design.add_layer(items[i % len(items)], name=f"layer {i}")
    assert len(design.layers) == LAYERS
    return design


# -- the notebook API ------------------------------------------------------------------------------------------
class ApiEdits:
    """``design.update_layer`` / ``design.add_layer`` on an open :class:`fw_kernel.Design`."""

    def __init__(self, design: Any):
        self.design = design
        self.layer_ids = [layer.id for layer in design.layers]

    def update(self, i: int) -> None:
        self.design.update_layer(self.layer_ids[i % LAYERS], **_update_changes(i))

    def add(self, i: int, item: Any) -> str:
        return self.design.add_layer(item).id

    def remove(self, layer_id: str) -> None:
        self.design.remove_layer(layer_id)


def api_update(design: Any, n: int, warmup: int) -> list[float]:
    return _timed(ApiEdits(design).update, n, warmup)


# -- raw driver baseline --------------------------------------------------------------------------------------
class RawEdits:
    """The minimal edit transaction with the bare driver, on a design created through the API."""

    def __init__(self, backend: Backend, design: Any, user: str):
        self.backend = backend
        self.design_id = design.id
        self.version = design.version
        self.layer_ids = [layer.id for layer in design.layers]
        self.user = user
        if backend.name == "sqlite":
            self.conn: Any = sqlite3.connect(str(backend.sqlite_path), isolation_level=None,
                                             check_same_thread=False, timeout=30)
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000"):
                self.conn.execute(f"PRAGMA {pragma}")
            self.ph, self.schema = "?", ""
            self.json: Callable[[Any], Any] = lambda v: json.dumps(v, separators=(",", ":"))
            self.ts: Callable[[datetime], Any] = lambda d: d.strftime("%Y-%m-%d %H:%M:%S.%f")
        else:
            import psycopg
            from psycopg.types.json import Jsonb

            assert backend.database_url is not None
            self.conn = psycopg.connect(backend.database_url)
            self.ph, self.schema = "%s", "design."
            self.json = Jsonb
            self.ts = lambda d: d
        p, s = self.ph, self.schema
        self.sql_design = (f"UPDATE {s}designs SET version = {p}, updated_at = {p}, last_edited_at = {p} "
                           f"WHERE id = {p} AND version = {p} AND deleted_at IS NULL")
        self.sql_layer = (f"UPDATE {s}layers SET opacity = {p}, transform = {p}, updated_at = {p} "
                          f"WHERE design_id = {p} AND id = {p}")
        self.sql_add = (f"INSERT INTO {s}layers (id, design_id, order_index, type, name, catalog_item_id, transform, "
                        f"customization, is_visible, is_locked, blend_mode, opacity, notes, group_name, updated_at) "
                        f"VALUES ({', '.join([p] * 15)})")
        self.sql_remove = f"DELETE FROM {s}layers WHERE design_id = {p} AND id = {p}"
        self.sql_history = (f"INSERT INTO {s}history (design_id, version, user_name, action, data, created_at) "
                            f"VALUES ({p}, {p}, {p}, {p}, {p}, {p})")

    def _begin(self) -> None:
        if self.backend.name == "sqlite":
            self.conn.execute("BEGIN IMMEDIATE")

    def _commit(self) -> None:
        if self.backend.name == "sqlite":
            self.conn.execute("COMMIT")
        else:
            self.conn.commit()

    def _bump(self, now: datetime) -> None:
        cur = self.conn.execute(self.sql_design, (self.version + 1, self.ts(now), self.ts(now), self.design_id,
                                                  self.version))
        if cur.rowcount != 1:
            raise RuntimeError("baseline design row changed under the benchmark")
        self.version += 1

    def update(self, i: int) -> None:
        now = _now()
        layer_id = self.layer_ids[i % LAYERS]
        changes = _update_changes(i)
        self._begin()
        self._bump(now)
        self.conn.execute(self.sql_layer, (changes["opacity"], self.json(_full_transform(i)), self.ts(now),
                                           self.design_id, layer_id))
        data = {"layer_id": layer_id, "changes": changes,
                "touched": [f"layer:{layer_id}:opacity", f"layer:{layer_id}:transform"]}
        self.conn.execute(self.sql_history, (self.design_id, self.version, self.user, "update_layer",
                                             self.json(data), self.ts(now)))
        self._commit()

    def add(self, i: int, item: Any) -> str:
        now = _now()
        layer_id = uuid.uuid4().hex
        self._begin()
        self._bump(now)
        self.conn.execute(self.sql_add, (layer_id, self.design_id, LAYERS, item.type, item.name, item.id,
                                         self.json(_full_transform(0)), self.json({}), True, False, "normal", 100,
                                         "", None, self.ts(now)))
        data = {"layer_id": layer_id, "item": item.id, "type": item.type, "index": None,
                "touched": [f"layer:{layer_id}"]}
        self.conn.execute(self.sql_history, (self.design_id, self.version, self.user, "add_layer",
                                             self.json(data), self.ts(now)))
        self._commit()
        return layer_id

    def remove(self, layer_id: str) -> None:
        self._begin()
        self.conn.execute(self.sql_remove, (self.design_id, layer_id))
        self._commit()

    def close(self) -> None:
        self.conn.close()


# -- SQLAlchemy Core on fw_kernel's engine -------------------------------------------------------------------
class CoreEdits:
    def __init__(self, engine: Any, design: Any, user: str):
        self.engine = engine
        self.design_id = design.id
        self.version = design.version
        self.layer_ids = [layer.id for layer in design.layers]
        self.user = user

    def _tx(self, now: datetime, second: Any, action: str, data: dict[str, Any]) -> None:
        from sqlalchemy import and_, insert, update

        from fw_kernel.adapters.sql import tables as t

        with self.engine.begin() as c:
            result = c.execute(update(t.designs).where(and_(
                t.designs.c.id == self.design_id, t.designs.c.version == self.version,
                t.designs.c.deleted_at.is_(None))).values(version=self.version + 1, updated_at=now,
                                                          last_edited_at=now))
            if result.rowcount != 1:
                raise RuntimeError("baseline design row changed under the benchmark")
            self.version += 1
            c.execute(second)
            c.execute(insert(t.history).values(design_id=self.design_id, version=self.version, user_name=self.user,
                                               action=action, data=data, created_at=now))

    def update(self, i: int) -> None:
        from sqlalchemy import and_, update

        from fw_kernel.adapters.sql import tables as t

        now = _now()
        layer_id = self.layer_ids[i % LAYERS]
        changes = _update_changes(i)
        stmt = update(t.layers).where(and_(t.layers.c.design_id == self.design_id, t.layers.c.id == layer_id)
                                      ).values(opacity=changes["opacity"], transform=_full_transform(i),
                                               updated_at=now)
        self._tx(now, stmt, "update_layer", {"layer_id": layer_id, "changes": changes,
                                             "touched": [f"layer:{layer_id}:opacity",
                                                         f"layer:{layer_id}:transform"]})

    def add(self, i: int, item: Any) -> str:
        from sqlalchemy import insert

        from fw_kernel.adapters.sql import tables as t

        now = _now()
        layer_id = uuid.uuid4().hex
        stmt = insert(t.layers).values(id=layer_id, design_id=self.design_id, order_index=LAYERS, type=item.type,
                                       name=item.name, catalog_item_id=item.id, transform=_full_transform(0),
                                       customization={}, is_visible=True, is_locked=False, blend_mode="normal",
                                       opacity=100, notes="", group_name=None, updated_at=now)
        self._tx(now, stmt, "add_layer", {"layer_id": layer_id, "item": item.id, "type": item.type, "index": None,
                                          "touched": [f"layer:{layer_id}"]})
        return layer_id

    def remove(self, layer_id: str) -> None:
        from sqlalchemy import and_, delete

        from fw_kernel.adapters.sql import tables as t

        with self.engine.begin() as c:
            c.execute(delete(t.layers).where(and_(t.layers.c.design_id == self.design_id,
                                                  t.layers.c.id == layer_id)))


def _update_step(runner: Any, i: int, items: list[Any]) -> float:
    started = time.perf_counter()
    runner.update(i)
    return time.perf_counter() - started


def _add_step(runner: Any, i: int, items: list[Any]) -> float:
    started = time.perf_counter()
    layer_id = runner.add(i, items[i % len(items)])
    elapsed = time.perf_counter() - started
    runner.remove(layer_id)  # untimed: the design stays at 20 layers
    return elapsed


def _interleaved(runners: dict[str, Any], step: Callable[[Any, int, list[Any]], float], items: list[Any], n: int,
                 warmup: int, block: int = 25) -> dict[str, list[float]]:
    """Blocks of ``block`` operations per implementation in turn, so drift and background noise of the
    machine (checkpoints, autovacuum, other processes) fall on every implementation alike."""
    out: dict[str, list[float]] = {name: [] for name in runners}
    for first in range(0, warmup + n, block):
        for name, runner in runners.items():
            for i in range(first, min(first + block, warmup + n)):
                elapsed = step(runner, i, items)
                if i >= warmup:
                    out[name].append(elapsed)
    return out


def run(ws: Any, backend: Backend, n: int, warmup: int, log: Callable[[str], None]) -> dict[str, Any]:
    """All edit-latency measurements of one backend; returns {op: {impl: summary}}."""
    items = ws.catalog.list()
    user = ws.user
    designs = {name: _new_design(ws, f"bench edits {name}", items) for name in ("api", "core", "raw")}
    log(f"  edits: {n} update_layer + {n} add_layer on a {LAYERS}-layer design; api, core and raw interleaved")
    raw = RawEdits(backend, designs["raw"], user)
    runners = {"api": ApiEdits(designs["api"]), "core": CoreEdits(ws._services.engine, designs["core"], user),
               "raw": raw}
    try:
        upd = _interleaved(runners, _update_step, items, n, warmup)
        add = _interleaved(runners, _add_step, items, n, warmup)
    finally:
        raw.close()
    # Where one update_layer's time goes (wall clock, no profiler), on the API design.
    api = runners["api"]
    with stages.instrumented_edits(ws._services.designs) as timings:
        started = time.perf_counter()
        for i in range(n):
            api.update(warmup + n + i)
        wall = time.perf_counter() - started
    return {
        "update_layer": {name: summary(v) for name, v in upd.items()},
        "add_layer": {name: summary(v) for name, v in add.items()},
        "update_layer_stages": {"ops_per_s": n / wall, "ms_per_op": wall / n * 1e3,
                                "rows": stages.breakdown(timings, n, wall, "rest (domain command, pydantic "
                                                         "validation, SQLAlchemy statement building, API)")},
        "design_ids": [d.id for d in designs.values()],
    }
