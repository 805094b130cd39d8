"""Issue #20: designers held by 1, 2, ... ``fw service`` processes behind a real load balancer (HAProxy).

For each process count: fresh databases (SQLite under a temporary ``FW_HOME``, or with ``--storage postgres`` a
throw-away PostgreSQL database + a private SecantusDB server; the shared Redis for rate limits, undo stacks and
events), that many ``fw service`` processes with the same settings, and one HAProxy (Debian's ``haproxy``, one
thread, HTTP keep-alive, round robin) in front of them. The load of ``benchmarks.service_load`` (each designer
opens its design, edits a layer every 2 s +-25 %, checkpoints every 10th edit) goes to HAProxy only; the designers
double per step until a step fails (p95 >= 100 ms or a failed request), then the count is bisected.

No stickiness is configured: the service keeps nothing per connection that another process lacks (undo stacks,
rate limits and events are in Redis; a WebSocket subscribes on whichever process it reached, which hears the
design's events through Redis), so any process may answer any request. HAProxy tunnels a WebSocket on the
connection it was upgraded on, which is all the stickiness a WebSocket needs.

The load generator, HAProxy, the databases and the services share this machine's cores; the per-process CPU
figures say which of them ran out first.

    python -m benchmarks.scale_out [--storage postgres] [--processes 1,2] [--step-s 10] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from benchmarks import infra
from benchmarks.service_load import CREATED, EDIT_INTERVAL_S, P95_LIMIT_MS, Service, _env, log, ramp

HAPROXY = """global
    maxconn 8000
    nbthread 1
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
    option http-keep-alive
frontend fw
    bind 127.0.0.1:{port}
    default_backend services
backend services
    balance roundrobin
{servers}
"""


@contextmanager
def haproxy(ports: list[int]) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """HAProxy on a free port in front of the services on ``ports``; yields (its port, its process)."""
    exe = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(exe).exists():
        raise SystemExit("needs HAProxy: apt-get install haproxy (Debian's package)")
    port = infra.free_port()
    servers = "\n".join(f"    server s{k} 127.0.0.1:{p} maxconn 1000" for k, p in enumerate(ports))
    with tempfile.NamedTemporaryFile("w", suffix=".cfg", delete=False) as fh:
        fh.write(HAPROXY.format(port=port, servers=servers))
    proc = subprocess.Popen([exe, "-f", fh.name, "-db"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        try:
            infra.wait_port(port, 30)
        except RuntimeError:
            proc.terminate()
            raise RuntimeError(f"HAProxy did not start: {proc.communicate(timeout=10)[1].decode()}") from None
        yield port, proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        os.unlink(fh.name)


def run(storage: str, processes: tuple[int, ...], step_s: float, start: int, top: int, refine: int
        ) -> dict[str, Any]:
    out: dict[str, Any] = {"storage": storage, "step_s": step_s, "edit_interval_s": EDIT_INTERVAL_S,
                           "p95_limit_ms": P95_LIMIT_MS, "nproc": os.cpu_count(),
                           "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                           "loadavg_start": os.getloadavg(), "runs": []}
    for n in processes:
        errors = ""
        with ExitStack() as stack:
            backend = stack.enter_context(infra.backend(storage))
            env = _env(backend)   # one secret and token table for every process
            services: list[Service] = []
            try:
                services = [Service(env) for _ in range(n)]
                port, balancer = stack.enter_context(haproxy([s.port for s in services]))
                log(f"{n} process(es) behind HAProxy :{port} ({storage})")
                pids = [s.proc.pid for s in services] + [balancer.pid]
                r = asyncio.run(ramp([f"http://127.0.0.1:{port}/api/v1"], pids, start, top, step_s,
                                     EDIT_INTERVAL_S, refine, processes=n))
            finally:
                for s in services:
                    errors += s.stop()
                infra.cleanup_redis(infra.REDIS_URL, [f"design:{d}:state" for d in CREATED])
                CREATED.clear()
        r["processes"] = n
        r["service_tracebacks"] = errors.count("Traceback")
        out["runs"].append(r)
    out["loadavg_end"] = os.getloadavg()
    print(render(out))
    return out


def render(r: dict[str, Any]) -> str:
    lines = [f"\nScale-out behind HAProxy on {r['storage']} ({r['nproc']} CPU; load average "
             f"{r['loadavg_start'][0]:.1f} at the start, {r['loadavg_end'][0]:.1f} at the end; {r['started']})",
             "processes  designers  req/s    p50    p95    p99  errors  CPU cores (each service, then HAProxy)  "
             "generator  load  pass"]
    for run_ in r["runs"]:
        for s in run_["steps"]:
            cores = " ".join(f"{c:.2f}" for c in s["service_cpu_cores"])
            lines.append(f"{run_['processes']:>9}  {s['designers']:>9}  {s['rps']:>5.0f}  {s['p50_ms']:>5.1f}  "
                         f"{s['p95_ms']:>5.1f}  {s['p99_ms']:>5.1f}  {s['errors']:>6}  {cores:<38}  "
                         f"{s['generator_cpu_cores']:>9.2f}  {s['loadavg_1']:>4.1f}  {'yes' if s['ok'] else 'no'}")
    base = r["runs"][0]["held"] if r["runs"] else 0
    for run_ in r["runs"]:
        ratio = f"{run_['held'] / base:.2f}x" if base else "n/a"
        lines.append(f"{run_['processes']} process(es): held {run_['held']} designers with p95 < "
                     f"{r['p95_limit_ms']:.0f} ms and no error (first failing {run_['first_failing'] or 'none'}), "
                     f"{ratio} of 1 process; tracebacks {run_['service_tracebacks']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale_out", description=__doc__.split("\n")[0])
    parser.add_argument("--storage", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--processes", type=lambda v: tuple(int(x) for x in v.split(",")), default=(1, 2))
    parser.add_argument("--step-s", type=float, default=10.0)
    parser.add_argument("--start", type=int, default=20, help="designers at the first step (doubled per step)")
    parser.add_argument("--top", type=int, default=2560, help="the most designers tried")
    parser.add_argument("--refine", type=int, default=2, help="bisection steps after the first failure")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    out = run(args.storage, args.processes, args.step_s, args.start, args.top, args.refine)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
