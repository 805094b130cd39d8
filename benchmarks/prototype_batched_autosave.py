"""A PROTOTYPE (not fw_kernel code, not part of ``python -m benchmarks``) of a batched auto-save pass on
PostgreSQL + MongoDB + Redis, to size the proposed change: per chunk of pending designs,

1. read the designs and their layers with 2 SELECTs for the whole chunk (not 2 per design + a pool checkout),
   and build the snapshot straight from the rows (``rows->snapshot``; the rows were validated when written)
   instead of rows -> pydantic Design -> ``model_dump`` (``rows->Design->snapshot``, measured too),
2. snapshot each; diff against the remembered state layer by layer (``dict ==`` skips unchanged layers, so
   jsonpatch only runs on the changed ones),
3. one ``insert_many(ordered=False)`` to ``design_autosaves`` (duplicate keys from a concurrent saver are
   ignored: the unique index already makes a save idempotent),
4. one transaction: ``UPDATE designs SET autosaved_version FROM unnest(...)`` for the chunk (one fsync),
5. one Redis pipeline of ``SET ... EX`` + ``PUBLISH`` per design.

``python -m benchmarks.prototype_batched_autosave [N] [CHUNK]`` (default 500 designs, chunks of 100) prints
saves/s and the chunk latency (a design's save is durable when its chunk is), next to fw_kernel's own pass.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from typing import Any

import jsonpatch


def layerwise_diff(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """The same JSON Patch semantics as ``fw_kernel.domain.diff.diff``, but only diffs what changed."""
    from fw_kernel.domain.diff import diff

    b_layers, a_layers = before.get("layers"), after.get("layers")
    if (set(before) != set(after) or not isinstance(b_layers, list) or not isinstance(a_layers, list)
            or len(b_layers) != len(a_layers)):
        return diff(before, after)
    ops: list[dict[str, Any]] = []
    for key, value in after.items():
        if key != "layers" and before[key] != value:
            ops.extend(diff({key: before[key]}, {key: value}))
    for i, (old, new) in enumerate(zip(b_layers, a_layers)):
        if old != new:
            for op in diff(old, new):
                op = dict(op)
                op["path"] = f"/layers/{i}{op['path']}"
                if "from" in op:
                    op["from"] = f"/layers/{i}{op['from']}"
                ops.append(op)
    return ops


class _Loaded:
    __slots__ = ("id", "state", "version")

    def __init__(self, id: str, version: int, state: dict[str, Any]):
        self.id, self.version, self.state = id, version, state


def main(argv: list[str]) -> int:
    import pymongo
    from sqlalchemy import select, text

    import fw_kernel as fw
    from fw_kernel.adapters.sql import tables as t
    from fw_kernel.adapters.sql.repositories import SqlDesignRepository, _layer_from
    from fw_kernel.domain.design import snapshot
    from fw_kernel.domain.layer import Layer
    from fw_kernel.domain.values import DesignMeta

    from . import autosave as bench
    from . import infra
    from .stats import summary

    n = int(argv[0]) if argv else 500
    chunk = int(argv[1]) if len(argv) > 1 else 100
    with infra.backend("postgres") as backend:
        ws = fw.connect(**backend.connect_kwargs(), user="bench", autosave_thread=False, max_designs=10**6)
        try:
            services = ws._services
            bench.drain(services.autosaver)
            designs = bench.seed(ws, n, print)
            engine, docs_store = services.engine, services.documents
            docs_store.ensure_indexes()
            redis_client = services.cache._inner._client
            remembered: dict[str, tuple[int, dict[str, Any]]] = {}

            meta_fields = list(DesignMeta.model_fields)
            layer_fields = list(Layer.model_fields)

            def direct_snapshot(row: Any, layer_rows: list[Any]) -> dict[str, Any]:
                """``snapshot(design)`` straight from the stored rows (validated when written): no pydantic."""
                m = row._mapping
                out = {k: m[k] for k in meta_fields}
                out["canvas"] = m["canvas"]
                out["layers"] = [{k: (lr._mapping["group_name"] if k == "group" else lr._mapping[k])
                                  for k in layer_fields} for lr in layer_rows]
                return out

            def batched_pass(direct: bool) -> tuple[list[float], float, int, dict[str, float]]:
                stage = {"read": 0.0, "snapshot+diff": 0.0, "mongo insert_many": 0.0, "sql mark (1 txn)": 0.0,
                         "redis pipeline": 0.0}
                latencies: list[float] = []
                started = time.perf_counter()
                with engine.connect() as c:
                    pending = list(c.execute(select(t.designs.c.id).where(
                        t.designs.c.version > t.designs.c.autosaved_version).order_by(t.designs.c.last_edited_at)
                    ).scalars())
                for first in range(0, len(pending), chunk):
                    ids = pending[first:first + chunk]
                    t0 = time.perf_counter()
                    with engine.connect() as c:
                        rows = c.execute(select(t.designs).where(t.designs.c.id.in_(ids))).all()
                        layers: dict[str, list[Any]] = {i: [] for i in ids}
                        for r in c.execute(select(t.layers).where(t.layers.c.design_id.in_(ids))
                                           .order_by(t.layers.c.design_id, t.layers.c.order_index)):
                            layers[r.design_id].append(r if direct else _layer_from(r))
                    if direct:
                        loaded = [_Loaded(r.id, r.version, direct_snapshot(r, layers[r.id])) for r in rows]
                    else:
                        loaded = [_Loaded(d.id, d.version, snapshot(d)) for d in
                                  (SqlDesignRepository._design_from(r, layers[r.id]) for r in rows)]
                    t1 = time.perf_counter()
                    now = datetime.now(UTC)
                    docs = []
                    for d in loaded:
                        state = d.state
                        previous = remembered.get(d.id, (0, {}))
                        docs.append({"designId": d.id, "designVersion": d.version, "state": state,
                                     "patch": layerwise_diff(previous[1], state), "savedAt": now})
                        remembered[d.id] = (d.version, state)
                    t2 = time.perf_counter()
                    try:
                        docs_store.autosaves.insert_many(docs, ordered=False)
                    except pymongo.errors.BulkWriteError as exc:
                        if any(e.get("code") != 11000 for e in exc.details.get("writeErrors", [])):
                            raise
                    t3 = time.perf_counter()
                    with engine.begin() as c:
                        c.execute(text(
                            "UPDATE design.designs AS d SET autosaved_version = v.ver FROM (SELECT "
                            "unnest(CAST(:ids AS text[])) AS id, unnest(CAST(:vers AS int[])) AS ver) AS v "
                            "WHERE d.id = v.id AND d.autosaved_version < v.ver"),
                            {"ids": [d.id for d in loaded], "vers": [d.version for d in loaded]})
                    t4 = time.perf_counter()
                    pipe = redis_client.pipeline(transaction=False)
                    for d, doc in zip(loaded, docs):
                        pipe.set(f"design:{d.id}:state", json.dumps({"version": d.version, "state": doc["state"]},
                                                                    separators=(",", ":")), ex=1800)
                        pipe.publish(f"design:{d.id}:events", json.dumps(
                            {"type": "autosaved", "design_id": d.id, "version": d.version, "at": now.isoformat()},
                            separators=(",", ":")))
                    pipe.execute()
                    t5 = time.perf_counter()
                    for key, span in zip(stage, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)):
                        stage[key] += span
                    latencies.extend([t5 - t0] * len(loaded))
                return latencies, time.perf_counter() - started, len(latencies), stage

            # The direct snapshot equals fw_kernel's snapshot of the loaded Design.
            with engine.connect() as c:
                row = c.execute(select(t.designs).where(t.designs.c.id == designs[0].id)).one()
                lrows = c.execute(select(t.layers).where(t.layers.c.design_id == row.id)
                                  .order_by(t.layers.c.order_index)).all()
            assert direct_snapshot(row, lrows) == snapshot(SqlDesignRepository._design_from(
                row, [_layer_from(r) for r in lrows]))

            plan = [("prototype, rows->snapshot", True), ("fw_kernel", None), ("prototype, rows->Design->snapshot",
                    False), ("fw_kernel", None), ("prototype, rows->snapshot", True)]
            for round_no, (label, direct) in enumerate(plan, 1):
                bench.edit_all(designs, round_no)
                if direct is not None:
                    lat, wall, saved, stage = batched_pass(direct)
                    s = summary(lat, wall)
                    print(f"{label} (chunk {chunk}): {saved} saves, {s['ops_per_s']:.0f} saves/s, "
                          f"chunk latency p50 {s['p50_ms']:.1f} ms p99 {s['p99_ms']:.1f} ms; per save: "
                          + ", ".join(f"{k} {v / saved * 1e3:.2f} ms" for k, v in stage.items()))
                else:
                    lat, wall, saved = bench.timed_pass(services.autosaver, n)
                    s = summary(lat, wall)
                    print(f"fw_kernel run_once: {saved} saves, {s['ops_per_s']:.0f} saves/s, "
                          f"per-save p50 {s['p50_ms']:.1f} ms p99 {s['p99_ms']:.1f} ms")
            # The prototype's patches are valid RFC 6902 patches between the states it saw.
            last = remembered[designs[0].id][1]
            doc = docs_store.latest_autosave(designs[0].id)
            assert doc is not None
            assert jsonpatch.apply_patch(doc["state"], layerwise_diff(doc["state"], last)) == last
            infra.cleanup_redis(backend.redis_url, [f"design:{d.id}:state" for d in designs])
        finally:
            ws.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
