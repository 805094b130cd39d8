"""Where one ``PATCH /designs/{id}/layers/{layer_id}`` (``update_layer``) spends the design service's CPU.

The service runs in this process (the same ``make_app`` and kernel services as ``fw service``) with its thread
pool replaced by an inline executor, so the whole request (Tornado, auth, rate limit, endpoint, SQL, Redis) runs
on the main thread under cProfile; a client thread sends sequential keep-alive requests with ``http.client``
(not profiled). The profiler's clock is the serving thread's CPU time (``time.thread_time``), so waits on
PostgreSQL or Redis count only for the CPU they cost. ``time.thread_time`` over an unprofiled pass is the
service CPU per request without the profiler's overhead.

Run it on another checkout (the A/B baseline) with that checkout first on ``PYTHONPATH`` and this file by path.

    python -m benchmarks.request_profile --storage sqlite [--requests 300] [--out benchmarks/PATH.txt]
    python -m benchmarks.request_profile --storage postgres   # PostgreSQL + SecantusDB + Redis
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import http.client
import io
import json
import os
import pstats
import sys
import threading
import time
import uuid
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from benchmarks import infra

TOKEN = "profile-token-0123456789"
USER = "profiler"


class InlineExecutor:
    """``run_in_executor`` on the calling thread: every request's work on one (profiled) thread."""

    def submit(self, fn: Any, *args: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # handed to the awaiting handler, as a pool would
            future.set_exception(exc)
        return future

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        pass


def _client(port: int, prefix: str, n: int, ready: threading.Event, go: threading.Event, done: list[Any]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"token {TOKEN}", "Content-Type": "application/json", "X-FW-Session": "prof-1"}

    def call(method: str, path: str, body: Any = None) -> Any:
        conn.request(method, prefix + path, body=None if body is None else json.dumps(body), headers=headers)
        r = conn.getresponse()
        data = r.read()
        if r.status >= 400:
            raise RuntimeError(f"{method} {path}: {r.status} {data[:300]!r}")
        return json.loads(data) if data else None

    try:
        design = call("POST", "/designs", {"name": "Profiled"})["id"]
        layer = call("POST", f"/designs/{design}/layers", {"item_id": "sil-aline-dress"})["id"]
        for i in range(20):  # warm caches, pools, imports
            call("PATCH", f"/designs/{design}/layers/{layer}", {"opacity": 10 + i})
        for phase in ("plain", "profiled"):
            ready.set()
            go.wait()
            go.clear()
            started = time.perf_counter()
            for i in range(n):
                call("PATCH", f"/designs/{design}/layers/{layer}", {"opacity": 10 + i % 90})
            ready.clear()
            done.append((phase, time.perf_counter() - started))
        done.append(("design", design))
    except BaseException as exc:
        done.append(("error", exc))
        ready.set()
    finally:
        conn.close()


async def _serve(env: dict[str, str], n: int) -> dict[str, Any]:
    import tornado.httpserver

    from fw_kernel.bootstrap import local_services
    from fw_kernel.settings import Settings
    from fw_server.app import make_app
    from fw_server.config import ServiceConfig

    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        config = ServiceConfig.from_env()
        services = local_services(Settings.from_env(user="fw-service"))
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    app = make_app(services, config)
    service = app.settings["fw_service"]
    service.executor.shutdown(wait=False)
    service.executor = InlineExecutor()
    await service.events.start()
    port = infra.free_port()
    server = tornado.httpserver.HTTPServer(app, xheaders=True)
    server.listen(port, "127.0.0.1")
    ready, go, done = threading.Event(), threading.Event(), []
    client = threading.Thread(target=_client, args=(port, service.prefix, n, ready, go, done), daemon=True)
    client.start()
    loop = asyncio.get_running_loop()
    result: dict[str, Any] = {}
    prof = cProfile.Profile(time.thread_time)  # CPU time of the serving thread, not wall: where the CPU goes
    for phase in ("plain", "profiled"):
        await loop.run_in_executor(None, ready.wait)
        if done and done[-1][0] == "error":
            raise done[-1][1]
        cpu0 = time.thread_time()
        if phase == "profiled":
            prof.enable()
        go.set()
        while len(done) < (1 if phase == "plain" else 2):
            await asyncio.sleep(0.001)
        if phase == "profiled":
            prof.disable()
        result[f"{phase}_cpu_ms_per_request"] = (time.thread_time() - cpu0) / n * 1e3
        result[f"{phase}_wall_ms_per_request"] = dict(d for d in done if d[0] != "error")[phase] / n * 1e3
    client.join(10)
    if done and done[-1][0] == "error":
        raise done[-1][1]
    design = dict(done)["design"]
    server.stop()
    await service.events.stop()
    await service.limiter.close()
    service.close()
    services.close()
    infra.cleanup_redis(infra.REDIS_URL, [f"design:{design}:state"])
    result["stats"] = prof
    return result


def summary(prof: cProfile.Profile, n: int, top: int = 20) -> str:
    """Top functions by own time and by cumulative time, per request."""
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    raw: dict[tuple[str, int, str], Any] = stats.stats  # type: ignore[attr-defined]
    from benchmarks.profiling import _where

    total = sum(v[2] for v in raw.values())
    lines = [f"profiled CPU {total / n * 1e3:.3f} ms/request (cProfile overhead included)",
             f"\ntop {top} by own CPU time (ms per request, share of the profiled total):",
             f"{'own ms':>8} {'share':>6} {'cum ms':>8} {'calls/req':>9}  function"]
    for k, v in sorted(raw.items(), key=lambda kv: kv[1][2], reverse=True)[:top]:
        lines.append(f"{v[2] / n * 1e3:8.3f} {v[2] / total:6.1%} {v[3] / n * 1e3:8.3f} {v[1] / n:9.1f}  {_where(k)}")
    lines += [f"\ntop {top + 15} by cumulative CPU time (ms per request):",
              f"{'cum ms':>8} {'own ms':>8} {'calls/req':>9}  function"]
    for k, v in sorted(raw.items(), key=lambda kv: kv[1][3], reverse=True)[:top + 15]:
        lines.append(f"{v[3] / n * 1e3:8.3f} {v[2] / n * 1e3:8.3f} {v[1] / n:9.1f}  {_where(k)}")
    return "\n".join(lines)


def run(storage: str, n: int, label: str = "") -> tuple[dict[str, Any], str]:
    infra.check_redis(infra.REDIS_URL)
    with infra.backend(storage) as backend:
        env = {"FW_HOME": str(backend.home), "FW_REDIS_URL": infra.REDIS_URL, "FW_QUEUE": "local",
               "FW_SERVICE_TOKENS": f"{TOKEN}:{USER}", "FW_SERVICE_AUTH": "static",
               "FW_SERVICE_RATE_LIMIT": "1000000", "FW_SERVICE_SECRET": "prof-" + uuid.uuid4().hex}
        if backend.name == "postgres":
            assert backend.database_url and backend.mongo_url
            env.update({"FW_DATABASE_URL": backend.database_url, "FW_MONGO_URL": backend.mongo_url})
        result = asyncio.run(_serve(env, n))
    prof = result["profile"] = result.pop("stats")
    head = (f"update_layer through the service in-process ({label}), {storage}, {n} sequential PATCHes "
            f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPU, load average "
            f"{os.getloadavg()[0]:.2f})\n"
            f"service CPU per request (serving thread, no profiler): {result['plain_cpu_ms_per_request']:.3f} ms; "
            f"wall {result['plain_wall_ms_per_request']:.3f} ms\n"
            f"under cProfile: CPU {result['profiled_cpu_ms_per_request']:.3f} ms, "
            f"wall {result['profiled_wall_ms_per_request']:.3f} ms\n")
    return result, head + summary(prof, n)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.request_profile", description=__doc__.split("\n")[0])
    parser.add_argument("--storage", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--out", type=Path, help="also write the summary here")
    parser.add_argument("--dump", type=Path, help="also write the raw cProfile stats here (pstats)")
    parser.add_argument("--label", default="", help="what code runs (e.g. 'before: main 540dded')")
    args = parser.parse_args(argv)
    import fw_server

    label = args.label or os.path.dirname(os.path.dirname(os.path.dirname(fw_server.__file__)))
    result, text = run(args.storage, args.requests, label)
    if args.dump:
        result["profile"].dump_stats(str(args.dump))
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
