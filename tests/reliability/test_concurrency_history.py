"""Concurrency history (issue #21): clients edit the same design through the service at once.

- 16 clients (4 editors x 4 sessions), on the same layer and on their own layers: every acknowledged edit is in
  the history exactly once and nothing refused is; the versions of the edits are distinct and increasing with no
  gap; an edit acknowledged before another was sent has the lower version (real-time order, as a
  linearizability check asks); and the final state equals the replay of the history.
- 9 sessions (3 editors x 3) that also undo, redo, checkpoint, restore version 1 and fork: the versions are
  gap-free, each acknowledged undo/redo/restore sits at the version its answer gave, checkpoint numbers neither
  repeat nor skip, the final state is the replay of edits, undo/redo changes and restores, and every fork is its
  forker's, with the source's layers and values the source had."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


BUMPS = ("update_layer", "undo", "redo", "restore")   # the actions that make a new design version


def test_concurrent_undo_redo_restore_and_fork_history_replays_to_the_final_state(running: RunningService) -> None:
    # 9 sessions (3 editors x 3) each: edit own layer, edit the shared one, undo it, redo it, checkpoint, restore
    # version 1, fork, edit again; the history must be gap-free, hold each acknowledged change once, and replay
    alice = running.client("alice")
    did = alice.post("/designs", json={"name": "Contended history"}).json()["id"]
    shared = alice.post(f"/designs/{did}/layers", json={"item_id": "sil-aline-dress", "name": "shared"}).json()["id"]
    users = EDITORS[:3]
    for user in users[1:]:
        assert alice.post(f"/designs/{did}/collaborators", json={"user": user, "role": "editor"}).status_code == 201
    own = {(u, s): alice.post(f"/designs/{did}/layers", json={"item_id": "acc-leather-belt", "name": f"{u}-{s}"}
                              ).json()["id"] for u in users for s in range(3)}
    assert alice.post(f"/designs/{did}/versions", json={"message": "base"}).json()["version_number"] == 1
    base = alice.get(f"/designs/{did}", params={"count_view": "false"}).json()
    start_version = base["version"]
    base_notes = {x["id"]: x["notes"] for x in base["layers"]}

    ops: list[dict] = []
    lock = threading.Lock()
    go = threading.Barrier(len(own))

    def client(user: str, s: int) -> None:
        c = running.client(user)
        c.session.headers["X-FW-Session"] = f"{user}-{s}"
        go.wait()

        def do(kind: str, method: str, path: str, **kw: object) -> Any:
            r = getattr(c, method.lower())(path, **kw)
            body = r.json() if r.content else None
            with lock:
                ops.append({"kind": kind, "user": user, "status": r.status_code, "body": body,
                            "tag": (kw.get("json") or {}).get("notes")})   # type: ignore[union-attr]
            return r

        for round_ in range(2):
            tag = f"{user}-{s}-{round_}"
            do("patch", "PATCH", f"/designs/{did}/layers/{own[(user, s)]}", json={"notes": tag + "-own"})
            if do("patch", "PATCH", f"/designs/{did}/layers/{shared}", json={"notes": tag}).status_code == 200:
                do("undo", "POST", f"/designs/{did}/undo")     # undoes that edit: it is this session's last
                do("redo", "POST", f"/designs/{did}/redo")
            do("checkpoint", "POST", f"/designs/{did}/versions", json={"message": tag})
            if round_ == 0:
                do("restore", "POST", f"/designs/{did}/versions/1/restore")
            do("fork", "POST", f"/designs/{did}/fork", json={"name": f"fork {tag}"})

    threads = [threading.Thread(target=client, args=k) for k in own]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    assert not any(t.is_alive() for t in threads)

    assert {op["status"] for op in ops} <= {200, 201, 409}, sorted({op["status"] for op in ops})
    ok = [op for op in ops if op["status"] in (200, 201)]
    bumped = [op for op in ok if op["kind"] in ("patch", "restore")
              or (op["kind"] in ("undo", "redo") and op["body"]["done"])]
    kinds = {op["kind"] for op in bumped}
    assert {"undo", "redo", "restore"} <= kinds, kinds   # the run exercised what it checks
    history = alice.get(f"/designs/{did}/history").json()
    entries = [h for h in history if h["action"] in BUMPS and h["version"] > start_version]
    versions = [h["version"] for h in entries]
    assert versions == list(range(start_version + 1, start_version + 1 + len(bumped))), "lost or extra versions"
    # every acknowledged edit once, no refused one
    acked_tags = sorted(op["tag"] for op in ok if op["kind"] == "patch")
    recorded_tags = sorted(h["data"]["changes"]["notes"] for h in entries if h["action"] == "update_layer")
    assert recorded_tags == acked_tags
    for kind in ("undo", "redo", "restore"):   # each acknowledged one at the version its answer gave
        answered = sorted((op["body"]["design"] if kind != "restore" else op["body"])["version"]
                          for op in bumped if op["kind"] == kind)
        assert answered == sorted(h["version"] for h in entries if h["action"] == kind), kind
    numbers = sorted(op["body"]["version_number"] for op in ok if op["kind"] == "checkpoint")
    assert numbers == list(range(2, 2 + len(numbers))), "checkpoint numbers repeat or skip"
    listed = [v["version_number"] for v in alice.get(f"/designs/{did}/versions").json()]
    assert sorted(listed) == [1, *numbers]

    # the final state is the replay of the history: edits, undo/redo (their recorded changes), restore of version 1
    state = dict(base_notes)
    for h in entries:
        if h["action"] == "restore":
            assert h["data"]["version_number"] == 1
            state = dict(base_notes)
        else:
            state[h["data"]["layer_id"]] = h["data"]["changes"]["notes"]
    final = alice.get(f"/designs/{did}", params={"count_view": "false"}).json()
    assert final["version"] == start_version + len(bumped)
    assert {x["id"]: x["notes"] for x in final["layers"]} == state

    # every acknowledged fork is its forker's, loads, and holds the source's layers with values the source had
    seen = {None, "", *acked_tags, *(h["data"]["changes"]["notes"] for h in entries if h["action"] != "restore")}
    forks = [op for op in ok if op["kind"] == "fork"]
    for op in forks:
        fork = running.client(op["user"]).get(f"/designs/{op['body']['id']}").json()
        assert fork["owner"] == op["user"]
        assert sorted(x["name"] for x in fork["layers"]) == sorted(x["name"] for x in base["layers"])
        assert {x["notes"] for x in fork["layers"]} <= seen
    record("concurrency_history_undo_restore_fork", clients=len(threads), operations=len(ops),
           acknowledged=len(ok), refused_409=len(ops) - len(ok), versions=len(bumped), forks=len(forks),
           checkpoints=len(numbers), lost=0, duplicated=0, version_gaps=0)
