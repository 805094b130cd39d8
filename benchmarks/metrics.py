"""Design metrics benchmarks (``python -m benchmarks.metrics``, or ``--suite metrics``):

1. **Event write overhead**: ``design.update_layer`` and ``design.add_layer`` through the notebook API with the
   event log on and off (``FW_EVENT_LOG=0``), side by side on the same database, interleaved blocks of 25 edits
   so a shared machine's noise falls on both alike. Target: the event costs <= 10 % of an edit's latency.
2. **1 million events on PostgreSQL, 10,000 designs** (bulk-loaded with ``generate_series``: 200 designers, 4
   layers per design, a year of events in monthly partitions): ``ws.metrics.activity("D")`` and
   ``ws.metrics.designs()`` as an analyst (every row) and as one designer, whole calls (SQL + pandas); target
   < 1 s each. The day's first call also rolls up the days that are over (timed on its own). The query plans
   (``EXPLAIN (ANALYZE, BUFFERS)``) go to ``benchmarks/metrics_plans.txt``.
3. **Parquet export of the 1 M events** (``ws.metrics.to_parquet``): target < 30 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

from benchmarks import infra  # noqa: E402
from benchmarks.stats import summary  # noqa: E402

ITEMS = ("sil-aline-dress", "sil-tshirt", "sil-coat", "sil-straight-trousers", "fab-denim-indigo",
         "fab-linen-natural", "fab-silk-satin", "fab-cotton-jersey", "acc-leather-belt", "acc-sneakers")
TYPES = ("layer_updated", "layer_updated", "layer_updated", "layer_added", "layer_removed", "design_updated",
         "version_checkpointed", "export_requested", "export_started", "export_completed", "autosave",
         "session_opened", "comment_added", "design_shared")


def log(message: str) -> None:
    print(f"[metrics] {message}", file=sys.stderr, flush=True)


# -- 1. write overhead ----------------------------------------------------------------------------------------------
def _previous_add(self: Any, event: Any) -> None:
    """The event insert before 2026-12-03 13:30 (a cursor of its own, ``strftime``, default JSON), kept here so
    one run measures it side by side with the current :meth:`SqlEventRepository.add`."""
    import json
    from datetime import UTC

    cursor = self.c.connection.driver_connection.cursor()
    try:
        if self.c.dialect.name == "postgresql":
            from psycopg.types.json import Jsonb

            cursor.execute("INSERT INTO analytics.events (time, type, actor, design_id, properties) "
                           "VALUES (%s, %s, %s, %s, %s)", (event.time, event.type, event.actor, event.design_id,
                                                           Jsonb(event.properties)))
        else:
            when = event.time.astimezone(UTC) if event.time.tzinfo is not None else event.time
            cursor.execute("INSERT INTO events (time, type, actor, design_id, properties) VALUES (?, ?, ?, ?, ?)",
                           (when.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f"), event.type, event.actor,
                            event.design_id, json.dumps(event.properties)))
    finally:
        cursor.close()


def write_overhead(backend: infra.Backend, n: int) -> dict[str, Any]:
    """Three sides on one database: the event log off, on with the previous insert (``on_before``), on with the
    current one (``on``). The sides take turns edit by edit (the order rotating), so a shared machine's load falls
    on all alike; each edit's wall time and its thread's CPU time (user + system: what the edit itself cost,
    whatever else the machine was running) are recorded."""
    import fw_kernel as fw
    from fw_kernel.adapters.sql.repositories import SqlEventRepository

    current_add = SqlEventRepository.add
    sides = {"off": fw.connect(**backend.connect_kwargs(), user="bench-off", autosave_thread=False, event_log=False),
             "on_before": fw.connect(**backend.connect_kwargs(), user="bench-before", autosave_thread=False),
             "on": fw.connect(**backend.connect_kwargs(), user="bench-on", autosave_thread=False)}
    labels = list(sides)
    try:
        designs = {}
        for label, ws in sides.items():
            design = ws.designs.create(f"bench {label}")
            for i in range(20):
                design.add_layer(ITEMS[i % len(ITEMS)])
            designs[label] = design
        layer_ids = {label: [x.id for x in design.layers] for label, design in designs.items()}
        wall: dict[str, dict[str, list[float]]] = {k: {"update_layer": [], "add_layer": []} for k in designs}
        cpu: dict[str, dict[str, list[float]]] = {k: {"update_layer": [], "add_layer": []} for k in designs}

        def timed(label: str, op: str, fn: Any) -> Any:
            SqlEventRepository.add = _previous_add if label == "on_before" else current_add  # type: ignore
            c, t = time.thread_time(), time.perf_counter()
            out = fn()
            wall[label][op].append(time.perf_counter() - t)
            cpu[label][op].append(time.thread_time() - c)
            return out

        for i in range(n):
            turn = labels[i % 3:] + labels[:i % 3]
            for label in turn:
                design = designs[label]
                timed(label, "update_layer", partial(design.update_layer, layer_ids[label][i % 20],
                                                     opacity=(i * 7) % 101))
            if i < n // 4:
                for label in turn:
                    design = designs[label]
                    layer = timed(label, "add_layer", partial(design.add_layer, "acc-leather-belt"))
                    design.remove_layer(layer.id)  # untimed: the design stays at 20 layers
        out: dict[str, Any] = {}
        for op in ("update_layer", "add_layer"):
            s_off = summary(wall["off"][op])
            cpu_off = statistics.median(cpu["off"][op])
            out[op] = {"log_off": s_off, "log_off_cpu_p50_ms": cpu_off * 1e3}
            for label, key in (("on_before", "before"), ("on", "")):
                s_on = summary(wall[label][op])
                cpu_on = statistics.median(cpu[label][op])
                suffix = f"_{key}" if key else ""
                out[op][f"log_on{suffix}"] = s_on
                out[op][f"log_on{suffix}_cpu_p50_ms"] = cpu_on * 1e3
                out[op][f"overhead_p50_pct{suffix}"] = (s_on["p50_ms"] / s_off["p50_ms"] - 1) * 100
                out[op][f"overhead_mean_pct{suffix}"] = (s_on["mean_ms"] / s_off["mean_ms"] - 1) * 100
                out[op][f"overhead_cpu_p50_pct{suffix}"] = (cpu_on / cpu_off - 1) * 100
        return out
    finally:
        SqlEventRepository.add = current_add  # type: ignore[method-assign]
        for ws in sides.values():
            ws.close()


# -- 2. one million events ------------------------------------------------------------------------------------------
def load(url: str, designs: int, events: int, users: int = 200) -> float:
    """Bulk-load designs, layers and events straight into the schema (the migrations made it)."""
    import sqlalchemy as sa

    from fw_kernel.adapters.sql.engine import make_engine

    engine = make_engine(url)
    items = "ARRAY[" + ",".join(f"'{i}'" for i in ITEMS) + "]"
    types = "ARRAY[" + ",".join(f"'{t}'" for t in TYPES) + "]"
    started = time.perf_counter()
    with engine.begin() as c:
        c.execute(sa.text(f"""
            INSERT INTO shared.users (name, tier, created_at)
            SELECT 'designer' || u, 'free', now() FROM generate_series(1, {users}) u ON CONFLICT DO NOTHING"""))
        c.execute(sa.text(f"""
            INSERT INTO design.designs (id, owner, name, description, category, tags, occasion, status, visibility,
                canvas, version, autosaved_version, view_count, like_count, fork_count, created_at, updated_at,
                last_edited_at)
            SELECT 'd' || lpad(i::text, 31, '0'), 'designer' || (i % {users} + 1), 'Design ' || i, '',
                   (ARRAY['outfit','dress','top','bottom'])[i % 4 + 1], '[]', '',
                   (ARRAY['draft','published','archived'])[i % 3 + 1],
                   (ARRAY['private','private','public'])[i % 3 + 1], '{{}}', 10, 10, 0, 0, i % 3,
                   now() - interval '365 days' + (i % 8640) * interval '1 hour',
                   now() - (i % 30) * interval '1 day', now() - (i % 30) * interval '1 day'
            FROM generate_series(1, {designs}) i"""))
        c.execute(sa.text(f"""
            INSERT INTO design.layers (id, design_id, order_index, type, name, catalog_item_id, transform,
                customization, is_visible, is_locked, blend_mode, opacity, notes, updated_at)
            SELECT 'l' || k, 'd' || lpad(i::text, 31, '0'), k,
                   CASE WHEN item LIKE 'sil-%' THEN 'silhouette' WHEN item LIKE 'fab-%' THEN 'fabric'
                        ELSE 'accessory' END, item, item, '{{}}', '{{}}', true, false, 'normal', 100, '', now()
            FROM generate_series(1, {designs}) i, generate_series(0, 3) k,
                 LATERAL (SELECT ({items})[(i * 7 + k * 3) % {len(ITEMS)} + 1] AS item) x"""))
        c.execute(sa.text(f"""
            INSERT INTO analytics.events (time, type, actor, design_id, properties)
            SELECT now() - random() * interval '365 days', t, 'designer' || (d % {users} + 1),
                   'd' || lpad(d::text, 31, '0'),
                   jsonb_build_object('catalog_item', ({items})[e % {len(ITEMS)} + 1], 'version', e % 50)
            FROM generate_series(1, {events}) e,
                 LATERAL (SELECT (e::bigint * 7919) % {designs} + 1 AS d, ({types})[(e * 31) % {len(TYPES)} + 1] AS t) x
            """))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    return time.perf_counter() - started


def _timed(fn: Any, repeat: int) -> dict[str, Any]:
    times, rows = [], 0
    for _ in range(repeat):
        t = time.perf_counter()
        rows = len(fn())
        times.append(time.perf_counter() - t)
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times), "runs": repeat,
            "rows": rows}


def plans(ws: Any, designer: str) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the SQL behind activity("D") and designs() as an analyst, and activity("D")
    as ``designer``, under the reader's own settings (work_mem, no JIT)."""
    from sqlalchemy import text

    metrics = ws.services.metrics
    reader = metrics._reader
    scope = metrics.scope(ws.user)
    engine = ws.services.engine
    out = []
    for title, query in (("activity('D'): events per day", reader.activity_query(scope, "day")),
                         ("designs(): one row per design with counts and last activity", reader.designs_query(scope)),
                         ("designs(): the layers for the bill of materials", reader.bom_layers_query(scope)),
                         (f"activity('D') as {designer} (the designs they can read)",
                          reader.activity_query(metrics.scope(designer), "day"))):
        sql = str(query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
        with reader._connect() as c:
            plan = "\n".join(r[0] for r in c.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + sql)))
        out.append(f"=== {title}\n{sql}\n\n{plan}\n")
    return "\n".join(out)


def million(events: int, designs: int, repeat: int) -> dict[str, Any]:
    import fw_kernel as fw

    result: dict[str, Any] = {"events": events, "designs": designs}
    with infra.temp_home("fw_bench_metrics_") as home, infra.postgres_database() as url:
        with fw.connect(home=str(home), database_url=url, user="analyst", autosave_thread=False) as ws:
            from fw_kernel.adapters.sql.migrate import ensure_monthly_partitions

            # a year of history: its monthly partitions exist, as on a service that ran that year
            ensure_monthly_partitions(ws.services.engine, "analytics", "events", months_back=13)
        log(f"loading {designs} designs, {events} events")
        result["load_s"] = load(url, designs, events)
        log(f"loaded in {result['load_s']:.1f} s")
        with fw.connect(home=str(home), database_url=url, user="analyst", analysts=("analyst",),
                        autosave_thread=False, event_log=False) as ws, \
                fw.connect(home=str(home), database_url=url, user="designer7", autosave_thread=False,
                           event_log=False) as one:
            ws.metrics.exports()  # pandas and the catalog loaded
            t = time.perf_counter()
            ws.metrics.activity("D")  # the day's first call rolls up the days that are over
            result["first_call_with_rollup_s"] = time.perf_counter() - t
            result["analyst"] = {"activity_D": _timed(lambda: ws.metrics.activity("D"), repeat),
                                 "designs": _timed(ws.metrics.designs, repeat),
                                 "events_one_design": _timed(lambda: ws.metrics.events(
                                     design="d" + "7".rjust(31, "0")), repeat)}
            from fw_kernel.api.metrics import activity_frame

            t = time.perf_counter()
            one.metrics.activity("D")  # a designer's first call: which designs every designer can read
            result["first_designer_call_s"] = time.perf_counter() - t
            reader, scope = one.services.metrics._reader, one.services.metrics.scope(one.user)
            result["designer"] = {"activity_D": _timed(lambda: one.metrics.activity("D"), repeat),
                                  "activity_D_from_events": _timed(lambda: activity_frame(
                                      reader.activity(scope, "day", rolled=False), "D"), repeat),
                                  "designs": _timed(one.metrics.designs, repeat)}
            log(f"analyst {result['analyst']}")
            (HERE / "metrics_plans.txt").write_text(
                f"PostgreSQL, {events} events, {designs} designs (benchmarks/metrics.py)\n\n" + plans(ws, one.user))
            with tempfile.TemporaryDirectory() as folder:
                t = time.perf_counter()
                written = ws.metrics.to_parquet(folder)
                result["parquet"] = {"seconds": time.perf_counter() - t, "written": written,
                                     "bytes": sum(p.stat().st_size for p in Path(folder).rglob("*.parquet"))}
            log(f"parquet {result['parquet']}")
    return result


def run(quick: bool = False) -> dict[str, Any]:
    """``python -m benchmarks --suite metrics`` (``--quick``: 100 edits, 100,000 events, 1,000 designs)."""
    out = HERE / "results-metrics.json"
    argv = ["--out", str(out)] + (["--edits", "100", "--events", "100000", "--designs", "1000"] if quick else [])
    main(argv)
    return json.loads(out.read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=400, help="timed edits per side and backend")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--designs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-million", action="store_true")
    parser.add_argument("--skip-overhead", action="store_true", help="only the million events")
    parser.add_argument("--out", default=str(HERE / "results-metrics.json"))
    args = parser.parse_args(argv)
    import os

    results: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                               "nproc": os.cpu_count(), "loadavg_start": os.getloadavg()}
    for name in () if args.skip_overhead else ("sqlite", "postgres"):
        with infra.backend(name) as backend:
            log(f"write overhead on {name}")
            results[f"write_overhead_{name}"] = write_overhead(backend, args.edits)
            log(json.dumps({k: [round(v["overhead_cpu_p50_pct_before"], 1), round(v["overhead_cpu_p50_pct"], 1)]
                            for k, v in results[f"write_overhead_{name}"].items()}))
    if not args.skip_million:
        results["million"] = million(args.events, args.designs, args.repeat)
    results["loadavg_end"] = os.getloadavg()
    Path(args.out).write_text(json.dumps(results, indent=2, default=str))
    print(render(results))
    return 0


def render(r: dict[str, Any]) -> str:
    lines = [f"Design metrics benchmarks {r['date']} ({r['nproc']} CPU, load {r['loadavg_start'][0]:.1f} -> "
             f"{r['loadavg_end'][0]:.1f})", "", "| backend | edit | log off p50 / p95 (ms), CPU p50 | log on, "
             "previous insert: p50 / p95, CPU p50 | overhead p50 / mean / CPU p50 | log on: p50 / p95, CPU p50 | "
             "overhead p50 / mean / CPU p50 |", "|---|---|---|---|---|---|---|"]
    for name in ("sqlite", "postgres"):
        for op, v in r.get(f"write_overhead_{name}", {}).items():
            cells = [f"{v['log_off']['p50_ms']:.2f} / {v['log_off']['p95_ms']:.2f}, "
                     f"{v.get('log_off_cpu_p50_ms', float('nan')):.2f}"]
            for suffix in ("_before", ""):
                if f"log_on{suffix}" in v:
                    cells += [f"{v[f'log_on{suffix}']['p50_ms']:.2f} / {v[f'log_on{suffix}']['p95_ms']:.2f}, "
                              f"{v.get(f'log_on{suffix}_cpu_p50_ms', float('nan')):.2f}",
                              f"{v[f'overhead_p50_pct{suffix}']:+.1f} % / {v[f'overhead_mean_pct{suffix}']:+.1f} % / "
                              f"{v.get(f'overhead_cpu_p50_pct{suffix}', float('nan')):+.1f} %"]
            lines.append(f"| {name} | {op} | " + " | ".join(cells) + " |")
    m = r.get("million")
    if m:
        lines += ["", f"PostgreSQL, {m['events']:,} events, {m['designs']:,} designs (load {m['load_s']:.0f} s; the "
                  f"day's first activity() call, which rolls up the past days: {m['first_call_with_rollup_s']:.2f} s; "
                  f"a designer's first: {m.get('first_designer_call_s', float('nan')):.2f} s)",
                  "",
                  "| call | scope | median (s) | min / max (s) | rows |", "|---|---|---|---|---|"]
        for scope in ("analyst", "designer"):
            for call, v in m[scope].items():
                lines.append(f"| {call} | {scope} | {v['median_s']:.3f} | {v['min_s']:.3f} / {v['max_s']:.3f} | "
                             f"{v['rows']:,} |")
        p = m["parquet"]
        lines.append(f"\nParquet export: {p['written']['events']:,} events in {p['seconds']:.1f} s "
                     f"({p['bytes'] / 1e6:.1f} MB)")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
