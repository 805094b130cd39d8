"""``python -m benchmarks [--backend sqlite|postgres|all] [--quick]``: edit latency and auto-save throughput."""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import platform
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # run as a script from elsewhere: fw_kernel lives next to benchmarks/
    sys.path.insert(0, str(HERE.parent))

from benchmarks import autosave, edit_latency, infra  # noqa: E402
from benchmarks.profiling import profile  # noqa: E402

#: ``--suite`` name -> (module in benchmarks/, key of its results in the JSON); "core" is run_backend's
SUITES = {"geometry": ("geometry", "geometry"), "avatar": ("avatar_fit", "avatar_fit"),
          "exports": ("exports", "exports"), "photo": ("photo_avatars", "photo_avatars"),
          "studio": ("studio", "studio"), "service": ("service_load", "service"),
          "metrics": ("metrics", "metrics")}
TARGET_SAVES_PER_S = 334
TARGET_P99_MS = 50.0
TOP_FUNCTIONS = 20


_T0 = time.perf_counter()


def log(message: str) -> None:
    print(f"[{time.perf_counter() - _T0:6.1f} s] {message}", file=sys.stderr, flush=True)


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gib = float("nan")
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gib = int(line.split()[1]) / 1024 / 1024
                break
    except OSError:
        pass
    versions = {}
    for dist in ("SQLAlchemy", "psycopg", "pymongo", "redis", "pydantic", "jsonpatch", "SecantusDB"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_gib": round(ram_gib, 1),
            "loadavg_1_5_15": [round(x, 2) for x in os.getloadavg()], "python": platform.python_version(),
            "platform": platform.platform(), "packages": versions}


def server_versions(backend: infra.Backend) -> dict[str, str]:
    out: dict[str, str] = {}
    if backend.name == "sqlite":
        import sqlite3

        return {"sqlite": sqlite3.sqlite_version}
    try:
        import psycopg
        import pymongo
        import redis

        assert backend.database_url is not None
        with psycopg.connect(backend.database_url) as c:
            out["postgres"] = str(c.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
        r = redis.Redis.from_url(backend.redis_url)
        out["redis"] = str(r.info("server").get("redis_version"))
        r.close()
        m = pymongo.MongoClient(backend.mongo_url)
        out["mongo_protocol_server"] = str(m.server_info().get("version"))
        m.close()
    except Exception as exc:  # informative only
        out["error"] = str(exc)
    return out


def run_backend(name: str, args: argparse.Namespace) -> dict[str, Any]:
    import fw_kernel as fw

    started = time.perf_counter()
    log(f"== {name}")
    with infra.backend(name) as backend:
        result: dict[str, Any] = {"backend": name, "stack": backend.describe(), "servers": server_versions(backend)}
        ws = fw.connect(**backend.connect_kwargs(), user="bench", autosave_thread=False, max_designs=10**6)
        try:
            edits = edit_latency.run(ws, backend, args.iterations, args.warmup, log)
            result["edit_latency"] = {k: v for k, v in edits.items() if k != "design_ids"}
            if not args.no_profile:
                design = ws.designs.get(edits["design_ids"][0])
                n = min(args.iterations, 200)
                result["edit_profile"] = profile(lambda: edit_latency.api_update(design, n, 0), n, name)
            hook = None if args.no_profile else (lambda fn, ops: profile(fn, ops, name))
            saves = autosave.run(ws, backend, args.designs, args.threads, log, hook)
            result["autosave"] = {k: v for k, v in saves.items() if k != "design_ids"}
            keys = [f"design:{d.id}:state" for d in ws.designs.list()]
        finally:
            ws.close()
        infra.cleanup_redis(backend.redis_url, keys)
    result["elapsed_s"] = time.perf_counter() - started
    log(f"== {name} done in {result['elapsed_s']:.1f} s")
    return result


# -- printing -------------------------------------------------------------------------------------------------------
def _f(x: float, digits: int = 2) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    line = "  ".join(h.ljust(w) if i < 3 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths)))
    out = [line, "-" * len(line)]
    for row in rows:
        out.append("  ".join(str(c).ljust(w) if i < 3 else str(c).rjust(w)
                             for i, (c, w) in enumerate(zip(row, widths))))
    return "\n".join(out)


def render(results: dict[str, Any]) -> str:
    parts = []
    m = results["machine"]
    parts.append(f"Fashion Wallet design core benchmarks  {results['date']}  "
                 f"({m['nproc']} CPU, {m['cpu']}, {m['ram_gib']} GiB RAM, Python {m['python']}; load average "
                 f"{m['loadavg_1_5_15'][0]} at start, {results['loadavg_at_end_1_5_15'][0]} at end)"
                 f"{'  [--quick]' if results['quick'] else ''}")
    rows = []
    for r in results["backends"]:
        for op in ("update_layer", "add_layer"):
            impls = r["edit_latency"][op]
            raw = impls["raw"]
            for impl in ("api", "core", "raw"):
                s = impls[impl]
                rows.append([r["backend"], op, impl, str(s["n"]), _f(s["p50_ms"]), _f(s["p95_ms"]), _f(s["p99_ms"]),
                             _f(s["ops_per_s"], 0), _f(s["p50_ms"] / raw["p50_ms"]), _f(s["p99_ms"] / raw["p99_ms"])])
    parts.append("\nEdit latency (ms; design with 20 layers; api = fw notebook API, core = SQLAlchemy Core on "
                 "fw's engine, raw = bare driver)\n" + _table(
                     ["backend", "operation", "impl", "n", "p50", "p95", "p99", "ops/s", "x raw p50", "x raw p99"],
                     rows))
    rows = []
    for r in results["backends"]:
        a = r["autosave"]
        base = a["baseline"]
        for label in ("single_cold", "single_warm", "threads_cold", "threads_warm", "baseline"):
            if label not in a:
                continue
            s = a[label]
            impl = f"{label} (K={a['threads']})" if label.startswith("threads") else label
            if label == "baseline":
                impl = "baseline (raw drivers)"
            rows.append([r["backend"], impl, "", str(s["n"]), _f(s["ops_per_s"], 0), _f(s["p50_ms"]), _f(s["p95_ms"]),
                         _f(s["p99_ms"]), _f(s["max_ms"]), _f(base["ops_per_s"] / s["ops_per_s"])])
    parts.append(f"\nAuto-save throughput ({results['backends'][0]['autosave']['n']} designs x "
                 f"{results['backends'][0]['autosave']['layers_per_design']} layers, each edited once per round)\n"
                 + _table(["backend", "round", "", "saves", "saves/s", "p50", "p95", "p99", "max",
                           "baseline/ours"], rows))
    for r in results["backends"]:
        if r["backend"] != "postgres":
            continue
        best = r["autosave"]["single_warm"]
        ok = best["ops_per_s"] >= TARGET_SAVES_PER_S and best["p99_ms"] < TARGET_P99_MS
        parts.append(f"\nTarget (PostgreSQL, one process): >= {TARGET_SAVES_PER_S} saves/s with p99 < "
                     f"{TARGET_P99_MS:.0f} ms -> single_warm reaches {best['ops_per_s']:.0f} saves/s, p99 "
                     f"{best['p99_ms']:.1f} ms: {'MET' if ok else 'NOT MET'}")
    for r in results["backends"]:
        st = r["edit_latency"].get("update_layer_stages")
        if st:
            rows = [[s["stage"], "", "", str(s["calls"]), _f(s["ms_per_op"], 3), f"{s['share'] * 100:.0f}%"]
                    for s in st["rows"]]
            parts.append(f"\nWhere one update_layer's time goes, {r['backend']} (wall clock, "
                         f"{st['ms_per_op']:.2f} ms/edit, no profiler)\n"
                         + _table(["stage", "", "", "calls", "ms/edit", "share"], rows))
        st = r["autosave"].get("stages")
        if st:
            rows = [[s["stage"], "", "", str(s["calls"]), _f(s["ms_per_op"], 3), f"{s['share'] * 100:.0f}%"]
                    for s in st["rows"]]
            parts.append(f"\nWhere one auto-save's time goes, {r['backend']} (wall clock, warm single pass at "
                         f"{st['saves_per_s']:.0f} saves/s, no profiler)\n"
                         + _table(["stage", "", "", "calls", "ms/save", "share"], rows))
        base_parts = r["autosave"]["baseline"].get("parts_ms")
        if base_parts:
            parts.append("baseline per save: " + ", ".join(f"{k} {v['mean']:.2f} ms" for k, v in base_parts.items())
                         + " (mean)")
    for r in results["backends"]:
        for key, title in (("autosave", "one auto-save pass"), ("edit", "update_layer burst")):
            prof = r["autosave"].get("profile") if key == "autosave" else r.get("edit_profile")
            if not prof:
                continue
            rows = [[s["stage"], "", "", str(s["calls"]), _f(s["cumtime_s"], 3), _f(s["ms_per_op"], 3)]
                    for s in prof["stages"]]
            parts.append(f"\nProfile {r['backend']}: {title}, {prof['ops']} ops under cProfile "
                         f"({prof['wall_s_profiled']:.2f} s; absolute figures inflated by the profiler)\n"
                         + _table(["fw_kernel stage", "", "", "calls", "cum s", "ms/op"], rows))
            rows = [[t["function"][-90:], "", "", str(t["calls"]), _f(t["tottime_s"], 3), _f(t["cumtime_s"], 3)]
                    for t in prof["top_cumulative"][:TOP_FUNCTIONS]]
            parts.append("top by cumulative time:\n" + _table(["function", "", "", "calls", "self s", "cum s"],
                                                              rows))
    return "\n".join(parts)





def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "all"), default="all",
                        help="storage of the core and service suites (postgres: with MongoDB protocol and Redis)")
    parser.add_argument("--suite", choices=("core", *SUITES, "all"),
                        default="all",
                        help="core: edits and auto-save; geometry: search, garments, scene; avatar: body fitting; "
                        "exports: turntable fps and image export latency; photo: avatars from photos (accuracy, "
                        "time per photo pair); studio: viewport update after an edit vs a rebuild; "
                        "service: concurrent designers one and two fw service processes hold, event fan-out")
    parser.add_argument("--quick", action="store_true", help="fewer iterations and designs (smoke run)")
    parser.add_argument("--iterations", type=int, help="timed edits per operation (default 300, quick 50)")
    parser.add_argument("--designs", type=int, help="designs per auto-save round (default 500, quick 100)")
    parser.add_argument("--threads", type=int, default=4, help="auto-savers in the threaded rounds (default 4)")
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile passes")
    parser.add_argument("--json", type=Path, default=HERE / "results-latest.json", help="where to write JSON")
    args = parser.parse_args(argv)
    args.iterations = args.iterations or (50 if args.quick else 300)
    args.warmup = 10 if args.quick else 30
    args.designs = args.designs or (100 if args.quick else 500)

    names = ["sqlite", "postgres"] if args.backend == "all" else [args.backend]
    started = time.perf_counter()
    results: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"), "quick": args.quick,
        "args": {"backend": args.backend, "iterations": args.iterations, "warmup": args.warmup,
                 "designs": args.designs, "threads": args.threads},
        "machine": machine(), "backends": [],
    }
    if args.suite in ("core", "all"):
        for name in names:
            results["backends"].append(run_backend(name, args))
    for suite, (module, key) in SUITES.items():
        if args.suite in (suite, "all"):  # imported only when run: each pulls in its own heavy libraries
            suite_module = importlib.import_module(f"benchmarks.{module}")
            if suite == "service":  # the service on each --backend's storage
                results[key] = {name: suite_module.run(args.quick, storage=name) for name in names}
            else:
                results[key] = suite_module.run(args.quick)
    results["elapsed_s"] = time.perf_counter() - started
    results["loadavg_at_end_1_5_15"] = [round(x, 2) for x in os.getloadavg()]
    if results["backends"]:   # the other suites print their own tables
        print(render(results))
    print(f"\ntotal {results['elapsed_s']:.0f} s; JSON written to {args.json}")
    args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
