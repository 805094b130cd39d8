"""The design service's per-request machinery on a real Redis (issue #20): the one-command rate limit, undo stacks
pushed without being read, events published off the request path, and per-design event subscriptions."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import pytest
import redis

from fw_kernel.domain.commands import UpdateLayer

pytestmark = pytest.mark.service


def test_the_rate_limit_counts_across_clients_and_expires_with_its_window(redis_url: str) -> None:
    from fw_server.ratelimit import RateLimiter

    prefix = f"fw:rl-test:{uuid.uuid4().hex}"
    now = [1_000_000.0]

    async def scenario() -> list[int | None]:
        # two limiters on one Redis are two service processes: they share the budget
        one = RateLimiter(3, 60, redis_url, clock=lambda: now[0], prefix=prefix)
        two = RateLimiter(3, 60, redis_url, clock=lambda: now[0], prefix=prefix)
        try:
            got = [await one.hit("ada"), await two.hit("ada"), await one.hit("ada"), await two.hit("ada"),
                   await one.hit("bob")]
            now[0] += 60  # the next window: a fresh budget
            got.append(await two.hit("ada"))
            return got
        finally:
            await one.close()
            await two.close()

    got = asyncio.run(scenario())
    assert got[:3] == [None, None, None]
    assert got[3] == 20  # seconds to the end of the window (1_000_000 = 16_666 * 60 + 40, windows of 60 s)
    assert got[4] is None and got[5] is None
    client = redis.Redis.from_url(redis_url)
    key = f"{prefix}:ada:{(1_000_000 // 60)}"
    assert int(client.get(key)) == 4
    assert 0 < client.ttl(key) <= 61  # the counter expires after its window
    client.delete(key, f"{prefix}:bob:{(1_000_000 // 60)}", f"{prefix}:ada:{(1_000_060 // 60)}")
    client.close()


@pytest.mark.parametrize("where", ["redis", "memory"])
def test_undo_pushes_append_without_reading_and_empty_redo(where: str, redis_url: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from fw_server import undo as u

    store = u.UndoStore("secret", redis_url if where == "redis" else None, prefix=f"fw:undo-test:{uuid.uuid4().hex}")
    monkeypatch.setattr(u, "MAX_DEPTH", 5)
    cmd = [UpdateLayer(f"L{i}", {"opacity": i}) for i in range(8)]
    store.save("ada", "d1", "s1", ([cmd[0]], [cmd[1]]))            # after an undo: one to undo, one to redo
    if where == "redis":
        def no_reads(*_: Any) -> Any:
            raise AssertionError("a push must not read the stacks")

        monkeypatch.setattr(store._redis, "get", no_reads)
        monkeypatch.setattr(store._redis, "lrange", no_reads)
    store.push("ada", "d1", "s1", [cmd[2], cmd[3]])               # two edits: appended, redo emptied
    if where == "redis":
        monkeypatch.undo()
        monkeypatch.setattr(u, "MAX_DEPTH", 5)
    undo, redo = store.load("ada", "d1", "s1")
    assert [c.layer_id for c in undo] == ["L0", "L2", "L3"] and redo == []
    store.push("ada", "d1", "s1", cmd[4:8])                       # past the depth: the oldest are dropped
    undo, _ = store.load("ada", "d1", "s1")
    assert [c.layer_id for c in undo] == ["L3", "L4", "L5", "L6", "L7"]
    assert store.load("ada", "d1", "other-session") == ([], [])
    assert store.load("bob", "d1", "s1") == ([], [])
    store.close()


def test_a_tampered_undo_entry_is_dropped_never_unpickled(redis_url: str) -> None:
    from fw_server.undo import UndoStore

    prefix = f"fw:undo-test:{uuid.uuid4().hex}"
    store = UndoStore("secret", redis_url, prefix=prefix)
    store.push("ada", "d1", "s1", [UpdateLayer("L1", {"opacity": 1}), UpdateLayer("L2", {"opacity": 2})])
    client = redis.Redis.from_url(redis_url)
    (key,) = client.keys(f"{prefix}:*:u")
    entry = client.lindex(key, 0)
    client.lset(key, 0, entry[:32] + entry[32:].replace(b"L1", b"L9"))  # same length, signature no longer fits
    undo, _ = store.load("ada", "d1", "s1")
    assert [c.layer_id for c in undo] == ["L2"]
    other = UndoStore("another secret", redis_url, prefix=prefix)    # a process with another secret
    assert other.load("ada", "d1", "s1") == ([], [])
    client.delete(key)
    client.close()
    store.close()
    other.close()


def test_publish_does_not_wait_for_redis_and_keeps_the_order(redis_url: str) -> None:
    from fw_kernel.adapters.cache_redis import RedisStateCache

    design = f"pub-{uuid.uuid4().hex}"
    client = redis.Redis.from_url(redis_url)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(RedisStateCache.channel(design))
    time.sleep(0.1)
    cache = RedisStateCache(redis_url)
    for i in range(300):
        cache.publish(design, {"type": "update_layer", "version": i})
    assert cache.flush(5)
    for i in range(300, 310):  # queued, then sent by close()
        cache.publish(design, {"type": "update_layer", "version": i})
    cache.close()
    got: list[int] = []
    deadline = time.monotonic() + 5
    while len(got) < 310 and time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.2)
        if message:
            got.append(json.loads(message["data"])["version"])
    assert got == list(range(310))
    pubsub.close()
    client.close()


def test_a_process_subscribes_only_to_the_designs_it_has_listeners_for(redis_url: str) -> None:
    from fw_kernel.adapters.cache_redis import RedisStateCache
    from fw_server.events import EventHub

    watched, other = f"w-{uuid.uuid4().hex}", f"o-{uuid.uuid4().hex}"
    client = redis.Redis.from_url(redis_url)

    def subscribers(design: str) -> int:
        return dict(client.pubsub_numsub(RedisStateCache.channel(design)))[RedisStateCache.channel(design).encode()]

    class Listener:
        def __init__(self) -> None:
            self.got: list[dict[str, Any]] = []

        def deliver(self, key: Any, message: dict[str, Any]) -> None:
            self.got.append(message)

    async def scenario() -> tuple[Listener, list[int]]:
        hub = EventHub(None, redis_url)  # type: ignore[arg-type]
        await hub.start()
        try:
            listener = Listener()
            counts = [subscribers(watched)]
            hub.add(("/design", watched), listener)
            await hub.wait_subscribed(("/design", watched))
            counts.append(subscribers(watched))   # confirmed by Redis before the client hears "subscribed"
            counts.append(subscribers(other))     # nobody here listens to it: Redis sends this process nothing
            client.publish(RedisStateCache.channel(other), json.dumps({"type": "update_layer", "version": 2}))
            client.publish(RedisStateCache.channel(watched), json.dumps({"type": "update_layer", "version": 3}))
            deadline = time.monotonic() + 5
            while not listener.got and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            hub.remove(("/design", watched), listener)
            deadline = time.monotonic() + 5
            while subscribers(watched) and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            counts.append(subscribers(watched))   # the last listener left: unsubscribed
            return listener, counts
        finally:
            await hub.stop()

    listener, counts = asyncio.run(scenario())
    assert counts == [0, 1, 0, 0]
    assert [(m["design_id"], m["version"]) for m in listener.got] == [(watched, 3)]
    client.close()


def test_an_edit_can_answer_with_the_whole_design(alice: Any) -> None:
    """``X-FW-Return: design``: the design as saved instead of the layer (or 204), marked ``X-FW-Returned``."""
    design = alice.post("/designs", json={"name": "Lean"}).json()
    layer = alice.post(f"/designs/{design['id']}/layers", json={"item_id": "sil-aline-dress"}).json()
    plain = alice.patch(f"/designs/{design['id']}/layers/{layer['id']}", json={"opacity": 40})
    assert plain.status_code == 200 and plain.json()["id"] == layer["id"] and "X-FW-Returned" not in plain.headers
    full = alice.patch(f"/designs/{design['id']}/layers/{layer['id']}", json={"opacity": 30},
                       headers={"X-FW-Return": "design", "X-FW-Session": "s1"})
    assert full.status_code == 200 and full.headers["X-FW-Returned"] == "design"
    assert full.json() == alice.get(f"/designs/{design['id']}?count_view=false").json()
    assert full.json()["version"] == 4 and full.json()["layers"][0]["opacity"] == 30
    gone = alice.delete(f"/designs/{design['id']}/layers/{layer['id']}", headers={"X-FW-Return": "design"})
    assert gone.status_code == 200 and gone.json()["layers"] == []            # not 204: the design, as asked
    refused = alice.patch(f"/designs/{design['id']}/layers/{layer['id']}", json={"opacity": 20},
                          headers={"X-FW-Return": "design"})
    assert refused.status_code == 404 and "X-FW-Returned" not in refused.headers  # errors answer as before
    checkpoint = alice.post(f"/designs/{design['id']}/versions", json={"message": "v"},
                            headers={"X-FW-Return": "design"})
    assert checkpoint.status_code == 201 and checkpoint.json()["version_number"] == 1  # not an edit: unchanged


def test_a_remote_edit_is_one_request(sqlite_service: Any, client_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import requests

    import fw_kernel as fw
    from tests.support.service import TOKENS

    ws = fw.connect(service_url=f"http://127.0.0.1:{sqlite_service.port}/", token=TOKENS["alice"])
    design = ws.designs.create("Remote")
    layer = design.add_layer("sil-aline-dress")
    sent: list[tuple[str, str]] = []
    real = requests.Session.request

    def counted(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        sent.append((method, url.rsplit("/api/v1", 1)[-1]))
        return real(self, method, url, *args, **kwargs)

    monkeypatch.setattr(requests.Session, "request", counted)
    design.update_layer(layer.id, opacity=55)
    assert sent == [("PATCH", f"/designs/{design.id}/layers/{layer.id}")]  # no read-back of the design
    assert design.layer(layer.id).opacity == 55 and design.version == 3
    design.undo()
    assert design.layer(layer.id).opacity == 100
    ws.close()


def test_a_forked_child_publishes_through_its_own_sender(redis_url: str) -> None:
    """An RQ work horse is a fork of a worker whose cache may have started its sender thread already."""
    import os

    from fw_kernel.adapters.cache_redis import RedisStateCache

    design = f"fork-{uuid.uuid4().hex}"
    client = redis.Redis.from_url(redis_url)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(RedisStateCache.channel(design))
    time.sleep(0.1)
    cache = RedisStateCache(redis_url)
    cache.publish(design, {"type": "update_layer", "version": 1})  # the parent's sender thread is running
    assert cache.flush(5)
    pid = os.fork()
    if pid == 0:  # the child: no sender thread was inherited
        code = 1
        try:
            cache.publish(design, {"type": "update_layer", "version": 2})
            code = 0 if cache.flush(5) else 1
            cache.close()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    got: list[int] = []
    deadline = time.monotonic() + 5
    while len(got) < 2 and time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.2)
        if message:
            got.append(json.loads(message["data"])["version"])
    assert got == [1, 2]
    cache.close()
    pubsub.close()
    client.close()
