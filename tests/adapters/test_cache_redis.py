"""Redis state cache and events, seen from a second client as another service would see them."""

from __future__ import annotations

import json
import threading
import time

import pytest
import redis

pytestmark = [pytest.mark.service, pytest.mark.parametrize("backend", ["postgres"], indirect=True)]


def test_every_edit_publishes_an_event_and_autosave_refreshes_the_state(connect, redis_url: str) -> None:
    ws = connect()
    design = ws.designs.create("evented")
    assert ws._services.cache.flush()  # events are sent asynchronously: the create's is out before we listen
    client = redis.Redis.from_url(redis_url)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(f"design:{design.id}:events")
    time.sleep(0.1)
    layer = design.add_layer("sil-tshirt")
    design.update_layer(layer.id, opacity=42)
    design.undo()
    events = []
    deadline = time.monotonic() + 5
    while len(events) < 3 and time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.2)
        if message:
            events.append(json.loads(message["data"]))
    assert [e["type"] for e in events] == ["add_layer", "update_layer", "undo"]
    assert [e["version"] for e in events] == [2, 3, 4]
    ws.flush()
    key = f"design:{design.id}:state"
    cached = json.loads(client.get(key))
    assert cached["version"] == design.version and cached["state"] == design.snapshot()
    assert 0 < client.ttl(key) <= 30 * 60
    pubsub.close()


def test_subscribe_through_the_port(connect) -> None:
    ws = connect()
    design = ws.designs.create("listened")
    assert ws._services.cache.flush()  # the create's event is sent before the subscription
    got: list[dict] = []
    arrived = threading.Event()

    def on_event(event: dict) -> None:
        got.append(event)
        arrived.set()

    unsubscribe = ws._services.cache.subscribe(design.id, on_event)
    time.sleep(0.2)
    design.add_layer("acc-sneakers")
    assert arrived.wait(5) and got[0]["type"] == "add_layer" and got[0]["design_id"] == design.id
    unsubscribe()


def test_a_subscription_survives_a_redis_restart_and_says_events_were_missed(backend) -> None:
    from fw_kernel.adapters.cache_redis import RedisStateCache
    from tests.support.servers import RedisServer

    server = RedisServer().start()
    cache = RedisStateCache(server.url)
    got: list[dict] = []
    arrived = threading.Event()

    def on_event(event: dict) -> None:
        got.append(event)
        arrived.set()

    unsubscribe = cache.subscribe("d1", on_event)
    time.sleep(0.2)
    cache.publish("d1", {"type": "update_layer", "version": 2})
    assert arrived.wait(5) and got == [{"type": "update_layer", "version": 2}]
    server.stop()
    time.sleep(0.5)
    server.start()  # same port, empty
    deadline = time.monotonic() + 15
    while {"type": "reconnected", "design_id": "d1", "version": None} not in got and time.monotonic() < deadline:
        time.sleep(0.05)
    assert got[-1] == {"type": "reconnected", "design_id": "d1", "version": None}
    cache.publish("d1", {"type": "update_layer", "version": 3})  # subscribed again: events flow
    deadline = time.monotonic() + 5
    while got[-1].get("version") != 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert got[-1] == {"type": "update_layer", "version": 3}
    unsubscribe()
    cache.close()
    server.stop()
