"""GraphQL vs REST for a dashboard's read: N designs with their layers, versions, collaborators and avatar.

``python -m benchmarks.graphql [--designs 20] [--rounds 15]``: the design service in this process on SQLite
(fast avatars: no body fitted), alice with N designs (each with a layer, a checkpoint, a collaborator and the
avatar). Timed, interleaved: one GraphQL query (nested fields batched by the loaders) against the same data by
REST (``GET /designs`` then ``/versions``, ``/collaborators`` and ``/avatar`` of each design), plus the SQL
statements each costs (SQLAlchemy ``before_cursor_execute``).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

QUERY = ("query { designs(userId: \"alice\", pagination: {limit: 200}) { items { id name layers { id } "
         "versions { versionNumber } collaborators { user } avatar { id } } } }")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--designs", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    from sqlalchemy import event

    from tests.support.service import TOKENS, RunningService, kernel_services, service_config

    with tempfile.TemporaryDirectory() as home:
        services = kernel_services(Path(home) / "fw")
        services.avatars.fitter = None
        running = RunningService(services, service_config()).start()
        try:
            avatar = services.avatars.create("alice", "Me", {"bust": 90.0, "waist": 70.0, "hips": 96.0})
            for i in range(args.designs):
                design = services.designs.create("alice", f"D{i}", avatar.id)
                services.designs.checkpoint("alice", design.id, "v1")
                services.designs.share("alice", design.id, "bob", "viewer")
            session = requests.Session()
            session.headers["Authorization"] = f"token {TOKENS['alice']}"
            base = running.base

            def graphql() -> Any:
                answer = session.post(base + "/graphql", json={"query": QUERY}, timeout=60).json()
                assert "errors" not in answer, answer
                return answer

            def rest() -> Any:
                found = session.get(base + "/designs", timeout=60).json()
                for d in found:
                    for sub in ("versions", "collaborators", "avatar"):
                        session.get(f"{base}/designs/{d['id']}/{sub}", timeout=60).raise_for_status()
                return found

            statements: dict[str, int] = {}
            for name, fn in (("graphql", graphql), ("rest", rest)):
                seen: list[str] = []

                def count(*a: Any, seen: list[str] = seen) -> None:
                    seen.append(a[2])

                event.listen(services.engine, "before_cursor_execute", count)
                fn()
                event.remove(services.engine, "before_cursor_execute", count)
                statements[name] = len(seen)
            times: dict[str, list[float]] = {"graphql": [], "rest": []}
            for _ in range(args.rounds):  # interleaved: both see the same machine load
                for name, fn in (("graphql", graphql), ("rest", rest)):
                    start = time.perf_counter()
                    fn()
                    times[name].append((time.perf_counter() - start) * 1000)
        finally:
            running.stop()
            services.close()
    print(f"{args.designs} designs with layers, versions, collaborators and avatar; {args.rounds} rounds")
    print("| read | requests | SQL statements | p50 (ms) | p95 (ms) |")
    print("|---|---|---|---|---|")
    for name, requests_n in (("GraphQL, one query", 1), ("REST, 1 + 3 per design", 1 + 3 * args.designs)):
        key = "graphql" if name.startswith("GraphQL") else "rest"
        ordered = sorted(times[key])
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        print(f"| {name} | {requests_n} | {statements[key]} | {statistics.median(ordered):.1f} | {p95:.1f} |")


if __name__ == "__main__":
    main()
