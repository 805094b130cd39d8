"""WebSocket events: /design, /avatar and /catalog, fed from Redis pub/sub so that two service processes share
them (an edit through one process reaches a listener on the other), and from the in-process bus on the
embedded default."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import redis
from websockets.sync.client import connect as ws_connect

from tests.support.service import TOKENS, RunningService, two_processes


def _listen(base: str, user: str, **headers: str) -> Any:
    url = base.replace("http://", "ws://") + "/events"
    return ws_connect(url, additional_headers={"Authorization": f"token {TOKENS[user]}", **headers},
                      open_timeout=10)


def _send(ws: Any, **message: Any) -> dict:
    """Send a request; its reply (events arriving meanwhile are skipped)."""
    ws.send(json.dumps(message))
    while "type" not in (reply := json.loads(ws.recv(timeout=10))):
        pass
    return reply


def _next(ws: Any, event: str, timeout: float = 10.0) -> dict:
    """The next message named ``event`` (others, and auto-saves, design_updated with action autosaved, whose
    timing against an edit's event is the auto-saver's, are skipped)."""
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        if message.get("event") == event and message.get("action") != "autosaved":
            return message


@pytest.fixture
def two_services(tmp_path: Path, redis_url: str) -> Any:
    with two_processes({"FW_HOME": str(tmp_path / "fw"), "FW_REDIS_URL": redis_url, "FW_QUEUE": "local"}) as both:
        yield both


@pytest.mark.service
@pytest.mark.slow
def test_an_edit_through_one_process_reaches_listeners_on_the_other(two_services: Any, redis_url: str) -> None:
    first, second = two_services
    alice_a = first.client("alice")
    did = alice_a.post("/designs", json={"name": "Live"}).json()["id"]
    with _listen(second.base, "alice") as alice_ws, _listen(second.base, "bob") as bob_ws, \
            _listen(first.base, "alice") as alice_ws_a:
        assert _send(alice_ws, action="subscribe", namespace="/design", design_id=did)["type"] == "subscribed"
        refused = _send(bob_ws, action="subscribe", namespace="/design", design_id=did)   # private: like missing
        missing = _send(bob_ws, action="subscribe", namespace="/design", design_id="0" * 32)
        assert refused["type"] == "error" and refused["error"] == "not_found"
        assert refused["message"].replace(did, "<id>") == missing["message"].replace("0" * 32, "<id>")
        assert _send(alice_ws_a, action="subscribe", namespace="/design", design_id=did)["type"] == "subscribed"

        started = time.monotonic()
        layer = alice_a.post(f"/designs/{did}/layers", json={"item_id": "sil-aline-dress"}).json()
        added = _next(alice_ws, "layer_added")
        latency = time.monotonic() - started
        assert added["namespace"] == "/design" and added["design_id"] == did and added["user"] == "alice"
        assert added["data"]["layer_id"] == layer["id"] and latency < 5.0   # generous: 2 shared cores
        assert _next(alice_ws_a, "layer_added")["data"]["layer_id"] == layer["id"]     # the same process too
        alice_a.patch(f"/designs/{did}/layers/{layer['id']}", json={"opacity": 40})
        updated = _next(alice_ws, "design_updated")
        assert updated["action"] == "update_layer" and updated["version"] == 3
        alice_a.delete(f"/designs/{did}/layers/{layer['id']}")
        assert _next(alice_ws, "layer_removed")["data"]["layer_id"] == layer["id"]

        alice_a.post(f"/designs/{did}/collaborators", json={"user": "bob", "role": "viewer"})
        assert _next(alice_ws, "collaborator_joined")["data"] == {"user": "bob", "role": "viewer"}
        assert _send(bob_ws, action="subscribe", namespace="/design", design_id=did)["type"] == "subscribed"
        # presence: bob's cursor through process 2 reaches alice's listener on process 1
        bob_ws.send(json.dumps({"action": "cursor", "design_id": did, "position": {"x": 0.1, "y": 1.2}}))
        moved = _next(alice_ws_a, "cursor_moved")
        assert moved["user"] == "bob" and moved["data"] == {"position": {"x": 0.1, "y": 1.2}}
        alice_a.delete(f"/designs/{did}/collaborators/bob")
        assert _next(bob_ws, "collaborator_left")["data"] == {"user": "bob"}

        # /avatar: only the avatar's owner hears its processing events; /catalog: everyone
        assert _send(alice_ws, action="subscribe", namespace="/avatar")["type"] == "subscribed"
        assert _send(bob_ws, action="subscribe", namespace="/avatar")["type"] == "subscribed"
        assert _send(bob_ws, action="subscribe", namespace="/catalog")["type"] == "subscribed"
        publisher = redis.Redis.from_url(redis_url)
        publisher.publish("design:avatars/alice:events", json.dumps({"type": "processing_progress", "percent": 40}))
        publisher.publish("design:catalog:events", json.dumps({"type": "price_updated", "item": "fab-linen"}))
        publisher.close()
        progress = _next(alice_ws, "processing_progress")
        assert progress["namespace"] == "/avatar" and progress["data"]["percent"] == 40
        price = _next(bob_ws, "price_updated")
        assert price["namespace"] == "/catalog" and price["data"]["item"] == "fab-linen"
        with pytest.raises(TimeoutError):                                                # not bob's avatar
            _next(bob_ws, "processing_progress", timeout=0.5)

    # undo stacks live in Redis too: an edit through one process is undone through the other
    session = {"X-FW-Session": "notebook-1"}
    belt = alice_a.post(f"/designs/{did}/layers", json={"item_id": "acc-leather-belt"}, headers=session).json()
    undone = second.client("alice").post(f"/designs/{did}/undo", headers=session).json()
    assert undone["done"] is True and belt["id"] not in [x["id"] for x in undone["design"]["layers"]]


def test_events_on_the_embedded_default_and_bad_messages(sqlite_service: RunningService) -> None:
    alice = sqlite_service.client("alice")
    did = alice.post("/designs", json={"name": "Local"}).json()["id"]
    with _listen(sqlite_service.base, "alice") as ws:
        assert _send(ws, action="subscribe", namespace="/design", design_id=did)["type"] == "subscribed"
        alice.post(f"/designs/{did}/layers", json={"item_id": "sil-aline-dress"})
        assert _next(ws, "layer_added")["design_id"] == did
        assert _send(ws, action="dance")["field"] == "action"
        assert _send(ws, action="subscribe", namespace="/weather")["field"] == "namespace"
        ws.send("not json")
        assert json.loads(ws.recv(timeout=10))["error"] == "validation_error"
        assert _send(ws, action="unsubscribe", namespace="/design", design_id=did)["type"] == "unsubscribed"
    url = sqlite_service.base.replace("http://", "ws://") + "/events"
    with pytest.raises(Exception, match="401"):
        ws_connect(url, additional_headers={"Authorization": "token forged"}, open_timeout=10)
    with ws_connect(f"{url}?token={TOKENS['bob']}", open_timeout=10) as ws:          # browsers: ?token=
        assert _send(ws, action="subscribe", namespace="/catalog")["type"] == "subscribed"
