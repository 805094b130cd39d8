"""Auto-save throughput: N designs with 20 layers each, every one edited once, then
``services.autosaver.run_once(force=True)`` timed until all N are saved. Rounds:

* ``single_cold``: the first save of each design (the Autosaver has no previous state in memory, so each save
  also asks the document store for the latest auto-save before diffing);
* ``single_warm``: every design edited once more, saved again (previous state remembered: the steady state),
  in blocks of 100 designs (edit the block, one timed pass saves it), taking turns with the baseline;
* ``threads_cold`` / ``threads_warm``: the same with K threads in one process, each with its own
  ``Autosaver`` over the services' uow/documents/cache; the pending set is split by design id between them
  (an Autosaver alone reads the whole pending set, so K unsplit ones would save every design K times).

Baseline (same N, same documents, interleaved with ``single_warm`` block by block): the raw driver work of
one save, i.e. PostgreSQL: pymongo ``insert_one`` of the document fw_kernel wrote + redis ``SET ... EX`` +
``PUBLISH`` + one psycopg ``UPDATE designs SET autosaved_version``; SQLite: one sqlite3 transaction of
``INSERT`` of the document (JSON) + that ``UPDATE``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from . import stages
from .edit_latency import LAYERS
from .infra import Backend
from .stats import percentile, summary

PROFILED_SAVES = 200
BLOCK = 100  # designs per block when fw_kernel and the baseline take turns


# -- setup -------------------------------------------------------------------------------------------------------
def drain(saver: Any) -> int:
    """Save whatever is pending (untimed), so a round only measures its own designs."""
    total = 0
    while True:
        report = saver.run_once(force=True)
        if report.errors:
            raise RuntimeError(f"auto-save failed while draining: {report.errors[:3]}")
        total += report.saved
        if report.saved == 0:
            return total


def seed(ws: Any, n: int, log: Callable[[str], None]) -> list[Any]:
    """N designs of 20 layers: one template built through the API, then ``template.fork()`` N times."""
    items = ws.catalog.list()
    template = ws.designs.create("autosave template")
    for i in range(LAYERS):
        template.add_layer(items[i % len(items)], name=f"layer {i}")
    drain(ws._services.autosaver)  # the template: saved here, untimed
    # The forks are pending too (never auto-saved); the first timed round saves each of them once.
    return [template.fork(f"autosave {i}") for i in range(n)]


def edit_all(designs: list[Any], round_no: int) -> float:
    started = time.perf_counter()
    for i, design in enumerate(designs):
        layer_id = design.layers[(i + round_no) % LAYERS].id
        design.update_layer(layer_id, opacity=(i + round_no * 13) % 101,
                            transform={"rotation": {"y": float((i + round_no) % 360)}})
    return time.perf_counter() - started


# -- one process, one Autosaver ------------------------------------------------------------------------------------
def timed_pass(saver: Any, expected: int) -> tuple[list[float], float, int]:
    """``run_once(force=True)`` until ``expected`` designs were saved; (per-save latencies, wall s, saved)."""
    latencies: list[float] = []
    saved = 0
    started = time.perf_counter()
    while saved < expected:
        report = saver.run_once(force=True)
        if report.errors:
            raise RuntimeError(f"auto-save errors: {report.errors[:3]}")
        latencies.extend(report.latencies_s)
        saved += report.saved
        if report.saved == 0:
            break
    return latencies, time.perf_counter() - started, saved


# -- K threads, K Autosavers ----------------------------------------------------------------------------------------
class _PartDesigns:
    def __init__(self, inner: Any, part: int, parts: int):
        self._inner, self._part, self._parts = inner, part, parts

    def pending_autosave(self, edited_before: datetime, limit: int) -> list[str]:
        ids = self._inner.pending_autosave(edited_before, 1_000_000)
        return [i for i in ids if int(i[-8:], 16) % self._parts == self._part][:limit]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _PartUow:
    def __init__(self, inner: Any, part: int, parts: int):
        self._inner, self._part, self._parts = inner, part, parts

    def __enter__(self) -> _PartUow:
        self._uow = self._inner.__enter__()
        self.designs = _PartDesigns(self._uow.designs, self._part, self._parts)
        return self

    def __exit__(self, *exc: object) -> None:
        self._inner.__exit__(*exc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._uow, name)


def make_thread_savers(services: Any, k: int) -> list[Any]:
    from fw_kernel.services.autosave import Autosaver

    def factory(part: int) -> Callable[[], _PartUow]:
        return lambda: _PartUow(services.uow(), part, k)

    return [Autosaver(factory(part), services.documents, services.cache, 0.0, services.settings.state_ttl_s,
                      batch=1_000_000) for part in range(k)]


def threaded_pass(savers: list[Any], expected: int) -> tuple[list[float], float, int]:
    results: list[tuple[list[float], float, int] | BaseException] = [([], 0.0, 0)] * len(savers)
    barrier = threading.Barrier(len(savers) + 1)

    def work(index: int) -> None:
        barrier.wait()
        try:
            results[index] = timed_pass(savers[index], 1_000_000)
        except BaseException as exc:
            results[index] = exc

    threads = [threading.Thread(target=work, args=(i,), name=f"bench-saver-{i}") for i in range(len(savers))]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    latencies: list[float] = []
    saved = 0
    for result in results:
        if isinstance(result, BaseException):
            raise result
        latencies.extend(result[0])
        saved += result[2]
    if saved != expected:
        raise RuntimeError(f"threads saved {saved} designs, expected {expected}")
    return latencies, wall, saved


# -- raw baseline ---------------------------------------------------------------------------------------------------
def _documents(services: Any, designs: list[Any]) -> list[dict[str, Any]]:
    docs = []
    for design in designs:
        doc = services.documents.latest_autosave(design.id)
        if doc is None:
            raise RuntimeError(f"no auto-save of {design.id} to replay in the baseline")
        docs.append(doc)
    return docs


class PostgresBaseline:
    """Per save: pymongo ``insert_one`` of the document + redis ``SET ... EX`` + ``PUBLISH`` + one psycopg
    ``UPDATE designs SET autosaved_version`` (autocommit), on connections opened once."""

    def __init__(self, backend: Backend, ttl_s: int):
        import psycopg
        import pymongo
        import redis

        self.ttl_s = ttl_s
        self.mongo = pymongo.MongoClient(backend.mongo_url, tz_aware=True)
        self.coll = self.mongo["fashion_wallet"]["bench_baseline_autosaves"]
        self.coll.create_index([("designId", 1), ("designVersion", 1)], unique=True)  # fw's indexes, same
        self.coll.create_index("savedAt", expireAfterSeconds=7 * 24 * 3600)
        self.cache = redis.Redis.from_url(backend.redis_url)
        assert backend.database_url is not None
        self.sql = psycopg.connect(backend.database_url, autocommit=True)
        self.keys: set[str] = set()
        self.parts: dict[str, list[float]] = {"mongo insert_one": [], "redis SET EX + PUBLISH": [],
                                              "sql UPDATE": []}

    def run(self, docs: list[dict[str, Any]]) -> tuple[list[float], float]:
        prepared = [{**doc, "savedAt": datetime.fromisoformat(doc["savedAt"])
                     if isinstance(doc["savedAt"], str) else doc["savedAt"]} for doc in docs]
        latencies: list[float] = []
        started = time.perf_counter()
        for doc in prepared:
            t0 = time.perf_counter()
            design_id, version = doc["designId"], doc["designVersion"]
            self.coll.insert_one(doc)
            t1 = time.perf_counter()
            key = f"fwbench:{design_id}:state"
            self.cache.set(key, json.dumps({"version": version, "state": doc["state"]}, separators=(",", ":")),
                           ex=self.ttl_s)
            self.cache.publish(f"fwbench:{design_id}:events", json.dumps(
                {"type": "autosaved", "design_id": design_id, "version": version,
                 "at": datetime.now(UTC).isoformat()}, separators=(",", ":")))
            t2 = time.perf_counter()
            self.sql.execute("UPDATE design.designs SET autosaved_version = %s WHERE id = %s", (version, design_id))
            t3 = time.perf_counter()
            latencies.append(t3 - t0)
            self.parts["mongo insert_one"].append(t1 - t0)
            self.parts["redis SET EX + PUBLISH"].append(t2 - t1)
            self.parts["sql UPDATE"].append(t3 - t2)
            self.keys.add(key)
        return latencies, time.perf_counter() - started

    def close(self) -> None:
        try:
            if self.keys:
                self.cache.delete(*self.keys)
            self.coll.drop()
        finally:
            self.mongo.close()
            self.cache.close()
            self.sql.close()


class SqliteBaseline:
    """Per save: one sqlite3 transaction of ``INSERT`` of the document (JSON) + ``UPDATE designs SET
    autosaved_version`` (the documents live in the same SQLite file on the embedded default)."""

    FMT = "%Y-%m-%d %H:%M:%S.%f"

    def __init__(self, backend: Backend):
        self.conn = sqlite3.connect(str(backend.sqlite_path), isolation_level=None, timeout=30)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000"):
            self.conn.execute(f"PRAGMA {pragma}")
        self.conn.execute("CREATE TABLE IF NOT EXISTS bench_baseline_autosaves (design_id VARCHAR(32) NOT NULL, "
                          "design_version INTEGER NOT NULL, doc JSON NOT NULL, saved_at DATETIME NOT NULL, "
                          "expires_at DATETIME NOT NULL, PRIMARY KEY (design_id, design_version))")
        self.parts: dict[str, list[float]] = {}

    def run(self, docs: list[dict[str, Any]]) -> tuple[list[float], float]:
        latencies: list[float] = []
        started = time.perf_counter()
        for doc in docs:
            t0 = time.perf_counter()
            now = datetime.now(UTC)
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute("INSERT INTO bench_baseline_autosaves VALUES (?, ?, ?, ?, ?)",
                              (doc["designId"], doc["designVersion"], json.dumps(doc, separators=(",", ":")),
                               now.strftime(self.FMT), (now + timedelta(days=7)).strftime(self.FMT)))
            self.conn.execute("UPDATE designs SET autosaved_version = ? WHERE id = ?",
                              (doc["designVersion"], doc["designId"]))
            self.conn.execute("COMMIT")
            latencies.append(time.perf_counter() - t0)
        return latencies, time.perf_counter() - started

    def close(self) -> None:
        try:
            self.conn.execute("DROP TABLE IF EXISTS bench_baseline_autosaves")
        finally:
            self.conn.close()


# -- the whole benchmark --------------------------------------------------------------------------------------------
def run(ws: Any, backend: Backend, n: int, threads: int, log: Callable[[str], None],
        profile_hook: Callable[[Callable[[], Any], int], Any] | None = None) -> dict[str, Any]:
    services = ws._services
    saver = services.autosaver
    drain(saver)
    t0 = time.perf_counter()
    designs = seed(ws, n, log)
    log(f"  autosave: seeded {n} designs x {LAYERS} layers in {time.perf_counter() - t0:.1f} s")
    out: dict[str, Any] = {"n": n, "threads": threads, "layers_per_design": LAYERS}

    def threaded(label: str, round_no: int, savers: list[Any]) -> None:
        edit_all(designs, round_no)
        latencies, wall, saved = threaded_pass(savers, n)
        out[label] = summary(latencies, wall)
        log(f"  autosave {label}: {saved / wall:.0f} saves/s")

    # First save of every design, one pass over all N.
    edit_s = edit_all(designs, 1)
    latencies, wall, saved = timed_pass(saver, n)
    if saved != n:
        raise RuntimeError(f"single_cold: saved {saved} designs, expected {n}")
    out["single_cold"] = {**summary(latencies, wall), "edit_pass_s": edit_s}
    log(f"  autosave single_cold: {saved / wall:.0f} saves/s")

    # Steady state, with the raw baseline interleaved block by block (the same designs, the documents fw_kernel
    # just wrote), so the noise of a shared machine falls on both alike.
    baseline: PostgresBaseline | SqliteBaseline = (
        PostgresBaseline(backend, services.settings.state_ttl_s) if backend.name == "postgres"
        else SqliteBaseline(backend))
    ours: tuple[list[float], list[float]] = ([], [])
    base: tuple[list[float], list[float]] = ([], [])
    try:
        for first in range(0, n, BLOCK):
            block = designs[first:first + BLOCK]
            edit_all(block, 2)
            latencies, wall, saved = timed_pass(saver, len(block))
            if saved != len(block):
                raise RuntimeError(f"single_warm: saved {saved} designs, expected {len(block)}")
            ours[0].extend(latencies)
            ours[1].append(wall)
            latencies, wall = baseline.run(_documents(services, block))
            base[0].extend(latencies)
            base[1].append(wall)
    finally:
        baseline.close()
    out["single_warm"] = summary(ours[0], sum(ours[1]))
    out["baseline"] = summary(base[0], sum(base[1]))
    out["baseline"]["parts_ms"] = {k: {"p50": percentile(v, 50) * 1e3, "mean": sum(v) / len(v) * 1e3}
                                   for k, v in baseline.parts.items() if v}
    log(f"  autosave single_warm: {out['single_warm']['ops_per_s']:.0f} saves/s; baseline (raw drivers), "
        f"interleaved: {out['baseline']['ops_per_s']:.0f} saves/s")

    if threads > 1:
        savers = make_thread_savers(services, threads)
        threaded("threads_cold", 3, savers)
        threaded("threads_warm", 4, savers)

    # Where the time of a (warm, single) save goes, in wall-clock time, without a profiler.
    edit_all(designs, 5)
    with stages.instrumented(saver) as timings:
        latencies, wall, saved = timed_pass(saver, n)
    out["stages"] = {"saves_per_s": saved / wall, "ms_per_save": wall / saved * 1e3,
                     "rows": stages.breakdown(timings, saved, wall)}

    if profile_hook is not None:  # a subset: cProfile slows a pass about twofold
        subset = designs[:PROFILED_SAVES]
        edit_all(subset, 6)
        out["profile"] = profile_hook(lambda: timed_pass(saver, len(subset)), len(subset))
    out["design_ids"] = [d.id for d in designs]
    return out
