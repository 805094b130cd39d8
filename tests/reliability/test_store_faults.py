"""Fault matrix over the stores (issue #21): the design service on PostgreSQL + a MongoDB-protocol server + Redis,
each a private server process on its own port; one of them is SIGKILLed during a burst of edits through the
service and started again. Every acknowledged edit must be present exactly once (an edit answered with an error
or cut off: at most once), every design must load and render, and auto-save must catch up.

``tests/integration/test_outage.py`` covers the notebook API's own outage behaviour (auto-save postponed, cache
refresh owed); this is the service-side matrix with a concurrent burst.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.reliability.faults import PostgresServer
from tests.reliability.world import record
from tests.support.servers import MongoServer, RedisServer
from tests.support.service import TOKENS, RunningService, kernel_services, service_config

pytestmark = pytest.mark.service


@dataclass
class Stores:
    postgres: PostgresServer
    mongo: MongoServer
    redis: RedisServer

    def of(self, name: str) -> Any:
        return getattr(self, name)


@pytest.fixture(scope="module")
def stores() -> Iterator[Stores]:
    pg = PostgresServer().start()
    mongo, redis_ = MongoServer().start(), RedisServer().start()
    yield Stores(pg, mongo, redis_)
    pg.remove()
    mongo.stop()
    redis_.stop()


@dataclass
class Burst:
    acked: list[str] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)    # errors or no answer: may or may not have happened
    statuses: dict[int, int] = field(default_factory=dict)


def _burst(base: str, design_id: str, tag: str, stop: threading.Event, out: Burst) -> None:
    s = requests.Session()
    s.headers["Authorization"] = f"token {TOKENS['alice']}"
    i = 0
    while not stop.is_set():
        name = f"{tag}-{i}"
        i += 1
        try:
            if i % 2 and i < 80:   # a design holds 50 layers on the free tier: then comments only
                r = s.post(f"{base}/designs/{design_id}/layers", json={"item_id": "acc-leather-belt", "name": name},
                           timeout=30)
            else:
                r = s.post(f"{base}/designs/{design_id}/comments", json={"text": name}, timeout=30)
        except requests.RequestException:
            out.unanswered.append(name)
            time.sleep(0.05)
            continue
        out.statuses[r.status_code] = out.statuses.get(r.status_code, 0) + 1
        if r.status_code in (200, 201):
            out.acked.append(name)
        else:
            out.unanswered.append(name)
            time.sleep(0.05)


@pytest.mark.parametrize("fault", ["postgres", "mongo", "redis"])
def test_a_store_killed_during_a_burst_loses_no_acknowledged_edit(stores: Stores, fault: str, tmp_path: Path) -> None:
    services = kernel_services(tmp_path / "fw", database_url=stores.postgres.url, mongo_url=stores.mongo.url,
                               redis_url=stores.redis.url)
    services.avatars.fitter = None
    running = RunningService(services, service_config(redis_url=stores.redis.url)).start()
    alice = running.client("alice")
    try:
        did = alice.post("/designs", json={"name": f"fault {fault}"}).json()["id"]
        out = Burst()
        stop = threading.Event()
        worker = threading.Thread(target=_burst, args=(running.base, did, fault, stop, out), daemon=True)
        worker.start()
        time.sleep(0.4)
        acked_before = len(out.acked)
        stores.of(fault).stop()                                  # SIGKILL
        time.sleep(0.8)
        stores.of(fault).start()
        time.sleep(0.8)                                          # the burst goes on after the restart
        stop.set()
        worker.join(60)
        assert acked_before > 0, "nothing was acknowledged before the fault"

        # every acknowledged edit exactly once, every unanswered one at most once
        deadline = time.monotonic() + 30
        while (r := alice.get(f"/designs/{did}", params={"count_view": "false"})).status_code != 200:
            assert time.monotonic() < deadline, f"the design does not load after the restart: {r.text[:300]}"
            time.sleep(0.2)
        names = [x["name"] for x in r.json()["layers"]]
        comments = [c["text"] for c in alice.get(f"/designs/{did}/comments").json()]
        seen = names + comments
        lost = [n for n in out.acked if seen.count(n) == 0]
        doubled = [n for n in out.acked + out.unanswered if seen.count(n) > 1]
        assert not lost, f"acknowledged edits lost after the {fault} fault: {lost}"
        assert not doubled, f"edits applied twice: {doubled}"
        assert set(seen) <= set(out.acked) | set(out.unanswered)
        assert r.json()["version"] >= len([n for n in out.acked if n in names]) + 1
        errors_5xx = {k: v for k, v in out.statuses.items() if k >= 500}
        # while PostgreSQL is down an edit is refused with 503 + Retry-After (not an opaque 500)
        assert set(errors_5xx) <= {503}, out.statuses
        if fault != "postgres":   # the relational store is the source of truth: the others must not fail edits
            assert not out.unanswered, (fault, out.statuses, out.unanswered[:5])
        thumb = alice.get(f"/designs/{did}/thumbnail", params={"size": 32})
        assert thumb.status_code == 200 and thumb.content[:4] == b"\x89PNG"
        # auto-save catches up (MongoDB came back empty; Redis without the cached state)
        report = services.autosaver.run_once(force=True)
        assert not report.errors, report.errors
        latest = services.documents.latest_autosave(did)
        assert latest is not None and latest["designVersion"] == r.json()["version"]
        record(f"store_fault_{fault}", faults=1, acknowledged_checked=len(out.acked),
                unanswered=len(out.unanswered), statuses=out.statuses, errors_5xx=errors_5xx, lost=0, duplicated=0)
    finally:
        running.stop()
        services.close()
