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
