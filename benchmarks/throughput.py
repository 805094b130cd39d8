"""Issue #20 A/B: service CPU per edit request and designers held by one ``fw service`` process, old code against
new in the same run.

Two checkouts run side by side: ``--base`` (a ``git worktree`` of the commit to compare against, e.g.
``git worktree add /tmp/perf-base main``) and this one. Each gets its own ``fw service`` child process (its
checkout first on ``PYTHONPATH``, started in that directory) over its own fresh databases (SQLite, or with
``--storage postgres`` a throw-away PostgreSQL database + a private SecantusDB server), the shared Redis for
rate limits, undo stacks and events, and the same settings as ``benchmarks.service_load``.

1. **CPU per edit request**: one designer per service sends sequential ``PATCH``es of a layer, alternating
   between the two services; the service's CPU per request is read from ``/proc/PID/task/*/schedstat``
   (nanoseconds, every thread) before and after each request. p50 and p90 over ``--probe`` requests each.
   Then the same for an edit as ``fw_kernel``'s remote client makes it (base: ``PATCH`` + ``GET`` of the
   design; new: one ``PATCH`` with ``X-FW-Return: design``).
2. **Designers held**: the issue's load (each designer opens its design, edits a layer every 2 s +-25 %,
   checkpoints every 10th edit) on a ladder of designer counts; at each count the base then the new service
   gets a timed step (interleaved, so both see the same machine). A step passes with p95 < 100 ms and no
   failed request; a variant leaves the ladder at its first failing step. Service CPU per request under load
   is the process's CPU over the step / requests.

    python -m benchmarks.throughput --base /tmp/perf-base [--storage postgres] [--step-s 10] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks import infra
from benchmarks.service_load import (
    CHECKPOINT_EVERY,
    CREATED,
    EDIT_INTERVAL_S,
    P95_LIMIT_MS,
    Designer,
    _cpu_s,
    _env,
    _p,
    log,
)

ROOT = Path(__file__).resolve().parent.parent
LADDER = (5, 10, 20, 40, 80, 160, 240, 320, 400, 480, 640, 800, 1000, 1200)


def cpu_ns(pid: int) -> int:
    """CPU nanoseconds of every live thread of ``pid`` (``/proc/PID/task/*/schedstat``, first field)."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):  # a thread that just ended
            total += int(Path(f"/proc/{pid}/task/{task}/schedstat").read_text().split()[0])
    return total


class Service:
    """One ``fw service`` child process running the code of ``checkout``."""

    def __init__(self, checkout: Path, env: dict[str, str]):
        self.checkout = checkout
        self.port = infra.free_port()
        self.base = f"http://127.0.0.1:{self.port}/api/v1"
        path = os.pathsep.join(str(checkout / p) for p in ("", "extension", "server"))
        self.proc = subprocess.Popen([sys.executable, "-m", "fw_kernel.cli", "service", "--port", str(self.port)],
                                     env={**os.environ, **env, "PYTHONPATH": path}, cwd=checkout,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        infra.wait_port(self.port, 180)

    def stop(self) -> str:
        self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return err.decode(errors="replace")


async def _client_edit(d: Designer, name: str, opacity: int) -> None:
    """One edit as ``fw_kernel``'s remote client makes it: on the base the edit and a read of the design (what
    that client did), on the new code the edit answered with the design (``X-FW-Return: design``)."""
    path = f"/designs/{d.design_id}/layers/{d.layer_id}"
    if name == "base":
        await d.call("PATCH", path, None, {"opacity": opacity})
        await d.call("GET", f"/designs/{d.design_id}?count_view=false", None)
        return
    d.headers["X-FW-Return"] = "design"
    try:
        await d.call("PATCH", path, None, {"opacity": opacity})
    finally:
        del d.headers["X-FW-Return"]


async def probe(services: dict[str, Service], n: int, offset: int) -> dict[str, Any]:
    """Sequential edits alternating between the services: CPU ms and wall ms per edit, per variant, for a bare
    ``PATCH`` and for an edit as the remote client makes it."""
    out: dict[str, Any] = {}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        ds = {name: Designer(offset + k, s.base, session) for k, (name, s) in enumerate(services.items())}
        for d in ds.values():
            await d.setup()
        for _ in range(20):  # warm up
            for name, d in ds.items():
                await d.call("PATCH", f"/designs/{d.design_id}/layers/{d.layer_id}", None, {"opacity": 50})
                await _client_edit(d, name, 50)
        for kind in ("patch", "client_edit"):
            cpu: dict[str, list[float]] = {name: [] for name in services}
            wall: dict[str, list[float]] = {name: [] for name in services}
            for i in range(n):
                for name, d in ds.items():
                    pid = services[name].proc.pid
                    await asyncio.sleep(0.005)
                    before, started = cpu_ns(pid), time.perf_counter()
                    if kind == "patch":
                        await d.call("PATCH", f"/designs/{d.design_id}/layers/{d.layer_id}", None,
                                     {"opacity": 10 + i % 90})
                    else:
                        await _client_edit(d, name, 10 + i % 90)
                    ended = time.perf_counter()
                    await asyncio.sleep(0.005)  # what the service does right after answering counts for this edit
                    cpu[name].append((cpu_ns(pid) - before) / 1e6)
                    wall[name].append((ended - started) * 1e3)
            out[kind] = {name: {"requests": n, "cpu_ms_p50": _p(cpu[name], 0.5), "cpu_ms_p90": _p(cpu[name], 0.9),
                                "cpu_ms_mean": sum(cpu[name]) / n, "wall_ms_p50": _p(wall[name], 0.5),
                                "wall_ms_p95": _p(wall[name], 0.95)} for name in services}
    return out


async def step(session: aiohttp.ClientSession, designers: list[Designer], pid: int, step_s: float
               ) -> dict[str, Any]:
    record: list[tuple[str, float, bool]] = []
    cpu0, own0, t0 = _cpu_s(pid), time.process_time(), time.perf_counter()
    until = t0 + step_s
    await asyncio.gather(*(d.run(until, record, EDIT_INTERVAL_S) for d in designers))
    elapsed = time.perf_counter() - t0
    cpu = _cpu_s(pid) - cpu0
    ms = [r[1] for r in record]
    errors = sum(1 for r in record if not r[2])
    edits = [r[1] for r in record if r[0] == "edit"]
    out = {"designers": len(designers), "requests": len(record), "rps": len(record) / elapsed, "errors": errors,
           "p50_ms": _p(ms, 0.5), "p95_ms": _p(ms, 0.95), "p99_ms": _p(ms, 0.99), "max_ms": max(ms),
           "edit_p95_ms": _p(edits, 0.95), "service_cpu_cores": cpu / elapsed,
           "service_cpu_ms_per_request": cpu / max(1, len(record)) * 1e3,
           "generator_cpu_cores": (time.process_time() - own0) / elapsed, "loadavg_1": os.getloadavg()[0]}
    out["ok"] = errors == 0 and out["p95_ms"] < P95_LIMIT_MS
    return out


async def ladder(services: dict[str, Service], counts: tuple[int, ...], step_s: float) -> dict[str, Any]:
    connector = aiohttp.TCPConnector(limit=0)
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in services}
    alive = set(services)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as session:
        designers: dict[str, list[Designer]] = {name: [] for name in services}
        for n in counts:
            for name in list(services):
                if name not in alive:
                    continue
                have = designers[name]
                new = [Designer(i, services[name].base, session) for i in range(len(have), n)]
                for chunk in range(0, len(new), 50):  # set-up is not timed
                    await asyncio.gather(*(d.setup() for d in new[chunk:chunk + 50]))
                have += new
                await asyncio.sleep(1.0)  # let the set-up's tail (auto-save) settle
                s = await step(session, have[:n], services[name].proc.pid, step_s)
                results[name].append(s)
                log(f"{name}: {n} designers, {s['rps']:.0f} req/s, p50 {s['p50_ms']:.1f} p95 {s['p95_ms']:.1f} ms, "
                    f"{s['errors']} errors, service {s['service_cpu_cores']:.2f} cores = "
                    f"{s['service_cpu_ms_per_request']:.2f} ms CPU/request, generator {s['generator_cpu_cores']:.2f}"
                    f" cores, load {s['loadavg_1']:.1f} -> {'ok' if s['ok'] else 'FAIL'}")
                if not s["ok"]:
                    alive.discard(name)
            if not alive:
                break
    return {name: {"steps": steps, "held": max((s["designers"] for s in steps if s["ok"]), default=0),
                   "limit_reached": any(not s["ok"] for s in steps)} for name, steps in results.items()}


def run(base: Path, storage: str = "sqlite", step_s: float = 10.0, probe_n: int = 150,
        counts: tuple[int, ...] = LADDER) -> dict[str, Any]:
    infra.check_redis(infra.REDIS_URL)
    base_commit = subprocess.run(["git", "-C", str(base), "rev-parse", "--short", "HEAD"], capture_output=True,
                                 text=True).stdout.strip()
    new_commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True).stdout.strip()
    dirty = bool(subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                                capture_output=True, text=True).stdout.strip())
    out: dict[str, Any] = {"storage": storage, "step_s": step_s, "edit_interval_s": EDIT_INTERVAL_S,
                           "checkpoint_every": CHECKPOINT_EVERY, "p95_limit_ms": P95_LIMIT_MS,
                           "nproc": os.cpu_count(), "base": f"{base} ({base_commit})",
                           "new": f"{ROOT} ({new_commit}{', with uncommitted changes' if dirty else ''})",
                           "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                           "loadavg_start": os.getloadavg()}
    errors = ""
    with ExitStack() as stack:
        services: dict[str, Service] = {}
        try:
            for name, checkout in (("base", base), ("new", ROOT)):
                backend = stack.enter_context(infra.backend(storage))
                env = _env(backend)
                env["FW_SERVICE_SECRET"] = "bench-" + uuid.uuid4().hex
                services[name] = Service(checkout, env)
            log(f"base ({base_commit}) on :{services['base'].port}, new ({new_commit}) on :{services['new'].port}, "
                f"{storage}")
            out["probe"] = asyncio.run(probe(services, probe_n, offset=2000))
            for kind, probes in out["probe"].items():
                for name, p in probes.items():
                    log(f"{name}: sequential {kind}, service CPU p50 {p['cpu_ms_p50']:.2f} ms (p90 "
                        f"{p['cpu_ms_p90']:.2f}), wall p50 {p['wall_ms_p50']:.2f} ms")
            out["ladder"] = asyncio.run(ladder(services, counts, step_s))
        finally:
            for s in services.values():
                errors += s.stop()
            infra.cleanup_redis(infra.REDIS_URL, [f"design:{d}:state" for d in CREATED])
            CREATED.clear()
    out["service_tracebacks"] = errors.count("Traceback")
    out["loadavg_end"] = os.getloadavg()
    print(render(out))
    return out


def render(r: dict[str, Any]) -> str:
    la0, la1 = r["loadavg_start"][0], r["loadavg_end"][0]
    lines = [f"\nIssue #20 A/B on {r['storage']} ({r['nproc']} CPU, load average {la0:.1f} at the start, {la1:.1f} at "
             f"the end; {r['started']}); base = {r['base']}, new = {r['new']}",
             "Sequential edits (service CPU per edit from schedstat, every thread; patch = a bare PATCH, client_edit ="
             " as fw_kernel's remote client edits: base PATCH + GET, new PATCH with X-FW-Return: design):",
             "kind         variant  edits  CPU p50 ms  CPU p90 ms  CPU mean ms  wall p50 ms  wall p95 ms"]
    for kind, probes in r["probe"].items():
        for name, p in probes.items():
            lines.append(f"{kind:<11}  {name:<7}  {p['requests']:>5}  {p['cpu_ms_p50']:>10.2f}  "
                         f"{p['cpu_ms_p90']:>10.2f}  {p['cpu_ms_mean']:>11.2f}  {p['wall_ms_p50']:>11.2f}  "
                         f"{p['wall_ms_p95']:>11.2f}")
    lines += [f"Load (edit every {r['edit_interval_s']:.0f} s +-25 %, checkpoint every {r['checkpoint_every']}th edit, "
              f"{r['step_s']:.0f} s steps, base and new interleaved per count):",
              "variant  designers  req/s   p50    p95  edit p95  errors  service cores  CPU ms/req  generator  load"
              "  pass"]
    for name, lad in r["ladder"].items():
        for s in lad["steps"]:
            lines.append(f"{name:<7}  {s['designers']:>9}  {s['rps']:>5.0f}  {s['p50_ms']:>5.1f}  {s['p95_ms']:>5.1f}  "
                         f"{s['edit_p95_ms']:>8.1f}  {s['errors']:>6}  {s['service_cpu_cores']:>13.2f}  "
                         f"{s['service_cpu_ms_per_request']:>10.2f}  {s['generator_cpu_cores']:>9.2f}  "
                         f"{s['loadavg_1']:>4.1f}  {'yes' if s['ok'] else 'no'}")
    held = ", ".join(f"{name} {lad['held']}{'' if lad['limit_reached'] else ' (ladder ended first)'}"
                     for name, lad in r["ladder"].items())
    lines.append(f"held with p95 < {r['p95_limit_ms']:.0f} ms and no error: {held}")
    lines.append(f"tracebacks on the services' stderr: {r['service_tracebacks']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.throughput", description=__doc__.split("\n")[0])
    parser.add_argument("--base", type=Path, required=True, help="checkout of the code to compare against")
    parser.add_argument("--storage", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--step-s", type=float, default=10.0, help="timed seconds per ladder step")
    parser.add_argument("--probe", type=int, default=150, help="sequential PATCHes per variant")
    parser.add_argument("--counts", type=lambda v: tuple(int(x) for x in v.split(",")), default=LADDER,
                        help="the ladder of designer counts, comma-separated")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    random.seed(20)
    results = run(args.base.resolve(), args.storage, args.step_s, args.probe, args.counts)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
