"""Concurrency history (issue #21): 16 clients (4 editors x 4 sessions) edit the same design through the service at
once, on the same layer and on their own layers. The recorded history is checked against what the clients saw:
every acknowledged edit is in the history exactly once and nothing refused is; the versions of the edits are
distinct and increasing with no gap; an edit acknowledged before another was sent has the lower version
(real-time order, as a linearizability check asks); and the final state equals the replay of the history."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.reliability.world import record
from tests.support.service import RunningService, kernel_services, service_config

pytestmark = pytest.mark.service

EDITORS = ("alice", "bob", "carol", "dave")
SESSIONS = 4
EDITS = 8


@dataclass
class Op:
    tag: str
    layer_id: str
    sent: float
    answered: float
    status: int


@pytest.fixture
def running(tmp_path: Path) -> Iterator[RunningService]:
    services = kernel_services(tmp_path / "fw")
    services.avatars.fitter = None
    svc = RunningService(services, service_config(executor_threads=8)).start()
    yield svc
    svc.stop()
    services.close()


def test_concurrent_editors_history_is_linearizable(running: RunningService) -> None:
    alice = running.client("alice")
    did = alice.post("/designs", json={"name": "Contended"}).json()["id"]
    shared = alice.post(f"/designs/{did}/layers", json={"item_id": "sil-aline-dress", "name": "shared"}).json()["id"]
    for user in EDITORS[1:]:
        assert alice.post(f"/designs/{did}/collaborators", json={"user": user, "role": "editor"}).status_code == 201
    own = {}
    for user in EDITORS:
        for s in range(SESSIONS):
            r = alice.post(f"/designs/{did}/layers", json={"item_id": "acc-leather-belt", "name": f"{user}-{s}"})
            own[(user, s)] = r.json()["id"]
    start_version = alice.get(f"/designs/{did}", params={"count_view": "false"}).json()["version"]

    ops: list[Op] = []
    lock = threading.Lock()
    go = threading.Barrier(len(EDITORS) * SESSIONS)

    def client(user: str, s: int) -> None:
        c = running.client(user)
        c.session.headers["X-FW-Session"] = f"{user}-{s}"
        go.wait()
        for i in range(EDITS):
            layer = shared if i % 2 == 0 else own[(user, s)]
            tag = f"{user}-{s}-{i}"
            sent = time.monotonic()
            r = c.patch(f"/designs/{did}/layers/{layer}", json={"notes": tag})
            with lock:
                ops.append(Op(tag, layer, sent, time.monotonic(), r.status_code))

    threads = [threading.Thread(target=client, args=(u, s)) for u in EDITORS for s in range(SESSIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(ops) == len(EDITORS) * SESSIONS * EDITS

    assert {op.status for op in ops} <= {200, 409}, sorted({op.status for op in ops})
    acked = [op for op in ops if op.status == 200]
    refused = {op.tag for op in ops if op.status != 200}
    history = alice.get(f"/designs/{did}/history").json()
    edits = [h for h in history if h["action"] == "update_layer" and h["version"] > start_version]
    tag_of = {}
    for h in edits:
        found = [op.tag for op in ops if json.dumps(op.tag) in json.dumps(h["data"])]
        assert len(found) == 1, (h, found)
        tag_of[h["version"]] = found[0]
    recorded = list(tag_of.values())
    assert sorted(recorded) == sorted(op.tag for op in acked), "acknowledged and recorded edits differ"
    assert not refused & set(recorded), "a refused edit is in the history"
    versions = [h["version"] for h in edits]
    assert versions == list(range(start_version + 1, start_version + 1 + len(acked))), "versions have gaps"
    version_of = {tag: v for v, tag in tag_of.items()}
    order_violations = [(a.tag, b.tag) for a in acked for b in acked
                        if a.answered < b.sent and version_of[a.tag] > version_of[b.tag]]
    assert not order_violations, f"edits acknowledged before others were sent got later versions: {order_violations}"

    final = alice.get(f"/designs/{did}", params={"count_view": "false"}).json()
    assert final["version"] == start_version + len(acked)
    replay: dict[str, str] = {}
    by_tag = {op.tag: op for op in acked}
    for v in sorted(tag_of):
        replay[by_tag[tag_of[v]].layer_id] = tag_of[v]
    notes = {x["id"]: x["notes"] for x in final["layers"]}
    for layer_id, tag in replay.items():
        assert notes[layer_id] == tag, (layer_id, notes[layer_id], tag)
    record("concurrency_history", clients=len(threads), operations=len(ops), acknowledged=len(acked),
            refused_409=len(refused), lost=0, duplicated=0, version_gaps=0, order_violations=0)
