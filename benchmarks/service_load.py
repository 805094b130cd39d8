"""``python -m benchmarks --suite service``: how many concurrent designers ``fw service`` holds, and event fan-out.

Starts ``fw service`` child processes itself (embedded SQLite under a temporary ``FW_HOME``, or with
``--storage postgres`` a throw-away PostgreSQL database + a private SecantusDB (MongoDB protocol) server; the real
Redis for rate limits, events (and the design state cache on PostgreSQL); ``FW_QUEUE=local``; a static token table
with one user per designer) and simulates
designers with asyncio + aiohttp: each opens its design, edits a layer every ``EDIT_INTERVAL_S`` (jittered) and
checkpoints every ``CHECKPOINT_EVERY`` edits. The number of designers doubles per step; a step passes when the
API p95 over its timed window is < 100 ms and no request failed. The same ramp runs against two processes (the
client round-robins designers between them; both share the SQLite file, or the PostgreSQL and Mongo databases, and
Redis). Fan-out: 50 WebSocket
listeners subscribed to one design, the time from sending an edit to ``design_updated`` arriving at each.

The load generator runs on the same machine as the service(s), so it takes CPU from them.

``python -m benchmarks --suite service`` runs it on SQLite; ``python -m benchmarks.service_load --storage postgres
[--quick] [--json PATH]`` on PostgreSQL + MongoDB protocol + Redis (``FW_TEST_POSTGRES_URL``, ``FW_TEST_REDIS_URL``,
``FW_TEST_MONGO_URL`` for a real mongod).
"""

from __future__ import annotations

import argparse
import asyncio
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

P95_LIMIT_MS = 100.0
EDIT_INTERVAL_S = 2.0
CHECKPOINT_EVERY = 10
LISTENERS = 50
MAX_USERS = 2560
ITEM = "sil-aline-dress"
CREATED: list[str] = []   # design ids, whose Redis state keys are deleted at the end


def log(message: str) -> None:
    print(f"[service] {message}", file=sys.stderr, flush=True)


def _token(i: int) -> str:
    return f"bench-token-{i:05d}-0123456789"


def _user(i: int) -> str:
    return f"designer{i:05d}"


def _p(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


class Service:
    """One ``fw service --port P`` child process."""

    def __init__(self, env: dict[str, str]):
        self.port = infra.free_port()
        self.base = f"http://127.0.0.1:{self.port}/api/v1"
        self.proc = subprocess.Popen([sys.executable, "-m", "fw_kernel.cli", "service", "--port", str(self.port)],
                                     env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        infra.wait_port(self.port, 120)

    def stop(self) -> str:
        self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return err.decode(errors="replace")


def _env(backend: infra.Backend) -> dict[str, str]:
    """The service's settings: SQLite under the backend's home, or its PostgreSQL + Mongo databases."""
    tokens = ",".join(f"{_token(i)}:{_user(i)}" for i in range(MAX_USERS))
    env = {"FW_HOME": str(backend.home), "FW_REDIS_URL": infra.REDIS_URL, "FW_QUEUE": "local",
           "FW_SERVICE_TOKENS": tokens, "FW_SERVICE_AUTH": "static", "FW_SERVICE_RATE_LIMIT": "1000000",
           "FW_SERVICE_SECRET": "bench-" + uuid.uuid4().hex}
    if backend.name == "postgres":
        assert backend.database_url and backend.mongo_url
        env.update({"FW_DATABASE_URL": backend.database_url, "FW_MONGO_URL": backend.mongo_url})
    return env


class Designer:
    """One simulated designer: a user, a design with one layer, edits on a timer."""

    def __init__(self, i: int, base: str, session: aiohttp.ClientSession):
        self.i, self.base, self.session = i, base, session
        self.headers = {"Authorization": f"token {_token(i)}", "X-FW-Session": f"bench-{i}"}
        self.design_id = ""
        self.layer_id = ""
        self.edits = 0

    async def call(self, method: str, path: str, record: list[tuple[str, float, bool]] | None,
                   json: Any = None) -> Any:
        """One request; timed into ``record`` (kind, ms, ok) when given, else a failure raises."""
        started = time.perf_counter()
        ok = False
        body: Any = None
        try:
            async with self.session.request(method, self.base + path, json=json, headers=self.headers) as r:
                body = await r.json() if r.status != 204 else None
                ok = r.status < 400
        except (TimeoutError, aiohttp.ClientError):
            ok = False
        if record is not None:
            kind = "checkpoint" if path.endswith("/versions") else {"GET": "open", "PATCH": "edit"}.get(method, method)
            record.append((kind, (time.perf_counter() - started) * 1000, ok))
        elif not ok:
            raise RuntimeError(f"designer {self.i}: {method} {path} failed: {body}")
        return body

    async def setup(self) -> None:
        self.design_id = (await self.call("POST", "/designs", None, {"name": f"Look {self.i}"}))["id"]
        CREATED.append(self.design_id)
        layer = await self.call("POST", f"/designs/{self.design_id}/layers", None, {"item_id": ITEM})
        self.layer_id = layer["id"]

    async def run(self, until: float, record: list[tuple[str, float, bool]], interval: float) -> None:
        await asyncio.sleep(random.uniform(0, interval))   # spread the designers over the interval
        await self.call("GET", f"/designs/{self.design_id}", record)   # opens the design
        while time.perf_counter() < until:
            self.edits += 1
            await self.call("PATCH", f"/designs/{self.design_id}/layers/{self.layer_id}", record,
                            {"opacity": random.randint(10, 100)})
            if self.edits % CHECKPOINT_EVERY == 0:
                await self.call("POST", f"/designs/{self.design_id}/versions", record, {"message": "bench"})
            await asyncio.sleep(interval * random.uniform(0.75, 1.25))


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def ramp(bases: list[str], pids: list[int], start: int, top: int, step_s: float, interval: float,
               refine: int, processes: int | None = None) -> dict[str, Any]:
    """Double the designers from ``start`` until a step fails, then bisect ``refine`` times between the last
    passing and the failing count; designers are dealt round-robin to ``bases``. ``processes``: how many service
    processes answer (default: one per base; behind a load balancer, one base serves several)."""
    processes = processes or len(bases)
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=30)
    steps: list[dict[str, Any]] = []
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        designers: list[Designer] = []
        n, ok_n, fail_n = start, 0, 0
        while n:
            new = [Designer(i, bases[i % len(bases)], session) for i in range(len(designers), n)]
            for chunk in range(0, len(new), 50):   # set-up is not timed
                await asyncio.gather(*(d.setup() for d in new[chunk:chunk + 50]))
            designers += new
            record: list[tuple[str, float, bool]] = []
            cpu0, own0 = [_cpu_s(p) for p in pids], time.process_time()
            until = time.perf_counter() + step_s
            await asyncio.gather(*(d.run(until, record, interval) for d in designers[:n]))
            cpu = [(_cpu_s(p) - c) / step_s for p, c in zip(pids, cpu0)]
            ms = [r[1] for r in record]
            errors = sum(1 for r in record if not r[2])
            by_kind = {k: [r[1] for r in record if r[0] == k] for k in sorted({r[0] for r in record})}
            step: dict[str, Any] = {
                "designers": n, "requests": len(record), "rps": len(record) / step_s, "errors": errors,
                "p50_ms": _p(ms, 0.5), "p95_ms": _p(ms, 0.95), "p99_ms": _p(ms, 0.99), "max_ms": max(ms),
                "p95_by_kind_ms": {k: _p(v, 0.95) for k, v in by_kind.items()},
                "service_cpu_cores": [round(c, 2) for c in cpu],
                "generator_cpu_cores": round((time.process_time() - own0) / step_s, 2),
                "loadavg_1": os.getloadavg()[0]}
            step["ok"] = errors == 0 and step["p95_ms"] < P95_LIMIT_MS
            steps.append(step)
            log(f"{processes} process(es), {n} designers: {step['rps']:.0f} req/s, p50 {step['p50_ms']:.1f} "
                f"p95 {step['p95_ms']:.1f} p99 {step['p99_ms']:.1f} ms, {errors} errors, service CPU "
                f"{step['service_cpu_cores']}, generator CPU {step['generator_cpu_cores']} -> "
                f"{'ok' if step['ok'] else 'FAIL'}")
            if step["ok"]:
                ok_n = max(ok_n, n)
            else:
                fail_n = n if not fail_n else min(fail_n, n)
            if not fail_n:
                n = n * 2 if n * 2 <= top else 0
            elif refine > 0 and fail_n - ok_n > 10:
                refine -= 1
                n = (ok_n + fail_n) // 20 * 10
            else:
                n = 0
    return {"processes": processes, "steps": steps, "held": ok_n, "limit_reached": bool(fail_n),
            "first_failing": fail_n}


async def _arrival(queue: asyncio.Queue[tuple[float, dict]], started: float) -> float | None:
    """ms from ``started`` to the first ``design_updated`` received after it; None if none within 10 s."""
    deadline = started + 10
    while (left := deadline - time.perf_counter()) > 0:
        try:
            at, message = await asyncio.wait_for(queue.get(), left)
        except TimeoutError:
            return None
        if message.get("event") == "design_updated" and at >= started:
            return (at - started) * 1000
    return None


async def fanout(edit_base: str, listen_bases: list[str], edits: int) -> dict[str, Any]:
    """``LISTENERS`` WebSockets (dealt round-robin to ``listen_bases``) on one design shared with them all;
    edits go through ``edit_base`` one at a time."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        d = Designer(0, edit_base, session)
        await d.setup()
        for i in range(1, LISTENERS + 1):
            await d.call("POST", f"/designs/{d.design_id}/collaborators", None, {"user": _user(i), "role": "viewer"})
        sockets = []
        queues: list[asyncio.Queue[tuple[float, dict]]] = []
        for i in range(1, LISTENERS + 1):
            base = listen_bases[i % len(listen_bases)].replace("http://", "ws://")
            ws = await session.ws_connect(base + "/events", headers={"Authorization": f"token {_token(i)}"})
            await ws.send_json({"action": "subscribe", "namespace": "/design", "design_id": d.design_id})
            while (reply := await ws.receive_json(timeout=10)).get("type") is None:
                pass
            if reply["type"] != "subscribed":
                raise RuntimeError(f"listener {i} could not subscribe: {reply}")
            sockets.append(ws)
            queues.append(asyncio.Queue())

        async def reader(ws: aiohttp.ClientWebSocketResponse, queue: asyncio.Queue[tuple[float, dict]]) -> None:
            async for msg in ws:
                if msg.type == aiohttp.WSMsgType.TEXT:
                    queue.put_nowait((time.perf_counter(), msg.json()))

        readers = [asyncio.create_task(reader(ws, q)) for ws, q in zip(sockets, queues)]
        latencies: list[float] = []
        missed = 0
        for _ in range(edits):
            started = time.perf_counter()
            await d.call("PATCH", f"/designs/{d.design_id}/layers/{d.layer_id}", None,
                         {"opacity": random.randint(10, 100)})
            got = await asyncio.gather(*(_arrival(q, started) for q in queues))
            latencies += [g for g in got if g is not None]
            missed += sum(1 for g in got if g is None)
            await asyncio.sleep(0.1)
        for task in readers:
            task.cancel()
        for ws in sockets:
            await ws.close()
    return {"listeners": LISTENERS, "processes": len(set(listen_bases)), "edits": edits,
            "deliveries": len(latencies), "missed": missed, "p50_ms": _p(latencies, 0.5),
            "p95_ms": _p(latencies, 0.95), "max_ms": max(latencies, default=float("nan"))}


def run(quick: bool = False, storage: str = "sqlite") -> dict[str, Any]:
    """Both ramps and the fan-out on ``storage`` (``sqlite`` or ``postgres``: PostgreSQL + MongoDB protocol +
    Redis); prints a summary and returns the figures."""
    if storage not in ("sqlite", "postgres"):
        raise ValueError(f"storage {storage!r}: expected 'sqlite' or 'postgres'")
    infra.check_redis(infra.REDIS_URL)
    step_s = 5.0 if quick else 15.0
    start, top, refine = (40, 640, 1) if quick else (20, MAX_USERS - LISTENERS - 1, 3)
    edits = 10 if quick else 40
    results: dict[str, Any] = {"quick": quick, "step_s": step_s, "edit_interval_s": EDIT_INTERVAL_S,
                               "checkpoint_every": CHECKPOINT_EVERY, "p95_limit_ms": P95_LIMIT_MS,
                               "nproc": os.cpu_count(), "storage": storage}
    errors = ""
    for count in (1, 2):
        with ExitStack() as stack:
            backend = stack.enter_context(infra.backend(storage))   # fresh databases for each ramp
            services: list[Service] = []
            try:
                for _ in range(count):
                    services.append(Service(_env(backend)))
                bases = [s.base for s in services]
                log(f"{count} process(es) up on {backend.describe()}")
                pids = [s.proc.pid for s in services]
                results[f"ramp_{count}"] = asyncio.run(ramp(bases, pids, start, top, step_s, EDIT_INTERVAL_S,
                                                            refine))
                results[f"fanout_{count}"] = asyncio.run(fanout(bases[0], bases, edits))
                log(f"fan-out over {count} process(es): {results[f'fanout_{count}']}")
            finally:
                for s in services:
                    errors += s.stop()
                infra.cleanup_redis(infra.REDIS_URL, [f"design:{d}:state" for d in CREATED])
                CREATED.clear()
    results["service_tracebacks"] = errors.count("Traceback")
    one, two = results["ramp_1"]["held"], results["ramp_2"]["held"]
    results["ratio"] = two / one if one else float("nan")
    print(render(results))
    return results


def render(r: dict[str, Any]) -> str:
    stack = "PostgreSQL + MongoDB protocol + Redis" if r.get("storage") == "postgres" else "SQLite + Redis"
    lines = [f"\nDesign service under load ({r['nproc']} CPU, load generator on the same machine; {stack}; "
             f"each designer edits every {r['edit_interval_s']:.0f} s +-25%, checkpoints every "
             f"{r['checkpoint_every']} edits; {r['step_s']:.0f} s per step){'  [--quick]' if r['quick'] else ''}",
             "procs  designers  req/s   p50    p95    p99     max  errors  service CPU (cores)  generator CPU  pass"]
    for count in (1, 2):
        for s in r[f"ramp_{count}"]["steps"]:
            lines.append(f"{count:>5}  {s['designers']:>9}  {s['rps']:>5.0f}  {s['p50_ms']:>5.1f}  {s['p95_ms']:>5.1f}"
                         f"  {s['p99_ms']:>5.1f}  {s['max_ms']:>6.0f}  {s['errors']:>6}  "
                         f"{'+'.join(f'{c:.2f}' for c in s['service_cpu_cores']):>19}"
                         f"  {s['generator_cpu_cores']:>13.2f}"
                         f"  {'yes' if s['ok'] else 'no'}")
    one, two = r["ramp_1"], r["ramp_2"]
    lines.append(f"held with p95 < {r['p95_limit_ms']:.0f} ms and no error: one process {one['held']}"
                 f"{'' if one['limit_reached'] else ' (ramp ended before the limit)'}, two processes {two['held']}"
                 f"{'' if two['limit_reached'] else ' (ramp ended before the limit)'}, ratio {r['ratio']:.2f}")
    for count in (1, 2):
        f = r[f"fanout_{count}"]
        lines.append(f"fan-out, {f['listeners']} listeners on {f['processes']} process(es), {f['edits']} edits: "
                     f"edit -> event p50 {f['p50_ms']:.1f} ms, p95 {f['p95_ms']:.1f} ms, max {f['max_ms']:.1f} ms, "
                     f"{f['missed']} missed of {f['deliveries'] + f['missed']}")
    lines.append(f"tracebacks on the services' stderr: {r['service_tracebacks']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.service_load", description=__doc__.split("\n")[0])
    parser.add_argument("--storage", choices=("sqlite", "postgres"), default="sqlite",
                        help="the service's data: embedded SQLite, or PostgreSQL + MongoDB protocol + Redis")
    parser.add_argument("--quick", action="store_true", help="5 s steps, one bisection")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    results = run(args.quick, args.storage)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
