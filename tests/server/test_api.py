"""The REST API over the kernel: every resource end to end, and how refusals map to HTTP."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import numpy as np
import pytest
import requests

from fw_kernel.domain.errors import Conflict, LimitExceeded, NotFound, PermissionDenied, ValidationError
from fw_server.errors import from_kernel
from tests.support.service import TOKENS, Client, RunningService, kernel_services, service_config

MEASUREMENTS = {"height": 168, "bust": 88, "waist": 70, "hips": 96}


def _design(client: Client, **fields) -> dict:
    r = client.post("/designs", json={"name": "Look", **fields})
    assert r.status_code == 201, r.text
    return r.json()


def test_designs_layers_versions_history_fork_delete(alice: Client) -> None:
    avatar = alice.post("/avatars", json={"name": "Ada", "measurements": MEASUREMENTS, "body_hint": "female"})
    assert avatar.status_code == 201, avatar.text
    assert alice.get(f"/avatars/{avatar.json()['id']}").json()["requested"] == MEASUREMENTS
    assert [a["id"] for a in alice.get("/avatars").json()] == [avatar.json()["id"]]

    design = _design(alice, avatar_id=avatar.json()["id"], category="dress", tags=["summer"])
    did = design["id"]
    assert design["owner"] == "alice" and design["role"] == "owner" and design["version"] == 1
    dresses = alice.get("/catalog/silhouettes").json()
    dress = next(i for i in dresses if "dress" in i["id"])
    fabric = alice.get("/catalog/search", params={"q": "linnen", "type": "fabric"}).json()[0]  # typo tolerated
    assert "linen" in fabric["id"] or "linen" in fabric["name"].lower()

    l1 = alice.post(f"/designs/{did}/layers", json={"item_id": dress["id"], "customization": {"color": "#1f2a44"}})
    assert l1.status_code == 201, l1.text
    l2 = alice.post(f"/designs/{did}/layers", json={"item_id": fabric["id"], "opacity": 80}).json()
    r = alice.patch(f"/designs/{did}/layers/{l2['id']}", json={"transform": {"rotation": {"y": 10}},
                                                                "blend_mode": "multiply"})
    assert r.status_code == 200, r.text
    assert r.json()["transform"]["rotation"]["y"] == 10 and r.json()["blend_mode"] == "multiply"
    assert r.json()["opacity"] == 80                                     # untouched fields stay
    v1 = alice.post(f"/designs/{did}/versions", json={"message": "first"})
    assert v1.status_code == 201 and v1.json()["version_number"] == 1
    order = alice.put(f"/designs/{did}/layers/order", json={"layer_ids": [l2["id"], l1.json()["id"]]})
    assert [x["id"] for x in order.json()] == [l2["id"], l1.json()["id"]]
    alice.post(f"/designs/{did}/versions", json={"message": "second"})
    diff = alice.get(f"/designs/{did}/versions/1/diff/2").json()
    assert diff and all(op["op"] in ("add", "remove", "replace", "move", "copy") for op in diff)
    restored = alice.post(f"/designs/{did}/versions/1/restore").json()
    assert [x["id"] for x in restored["layers"]] == [l1.json()["id"], l2["id"]]
    assert alice.delete(f"/designs/{did}/layers/{l2['id']}").status_code == 204
    patched = alice.patch(f"/designs/{did}", json={"name": "Renamed", "canvas": {"lighting_preset": "soft"}}).json()
    assert patched["name"] == "Renamed" and patched["canvas"]["lighting_preset"] == "soft"
    actions = [h["action"] for h in alice.get(f"/designs/{did}/history").json()]
    assert actions[0] == "create" and "restore" in actions and "remove_layer" in actions
    assert len(alice.get(f"/designs/{did}/recommendations", params={"limit": 5}).json()) <= 5

    fork = alice.post(f"/designs/{did}/fork", json={"name": "Mine"})
    assert fork.status_code == 201 and fork.json()["fork_from"] == did
    assert alice.get(f"/designs/{did}").json()["counts"]["forks"] == 1
    assert {d["id"] for d in alice.get("/designs").json()} == {did, fork.json()["id"]}
    assert alice.delete(f"/designs/{did}").status_code == 204
    assert alice.get(f"/designs/{did}").status_code == 404
    assert alice.get("/user").json()["user"] == "alice"


def test_catalog_endpoints(alice: Client) -> None:
    items = alice.get("/catalog/items").json()
    assert len(items) == 60
    fabrics = alice.get("/catalog/items", params={"type": "fabric"}).json()
    assert fabrics and {i["type"] for i in fabrics} == {"fabric"}
    assert alice.get("/catalog/fabrics").json() == fabrics
    one = alice.get(f"/catalog/items/{fabrics[0]['id']}").json()
    assert one == fabrics[0]
    cheap = alice.get("/catalog/search", params={"max_price": 20, "limit": 3}).json()
    assert len(cheap) <= 3 and all(i["price"] <= 20 for i in cheap)
    assert alice.get("/catalog/items/nope").status_code == 404


def test_refusals_map_to_statuses_with_field_and_allowed(alice: Client) -> None:
    r = alice.post("/designs", json={"name": "x", "category": "hat"})
    assert r.status_code == 422 and r.json()["field"] == "category" and "outfit" in r.json()["allowed"]
    r = alice.post("/designs", json={"name": "x", "owner": "bob"})        # the user never comes from the body
    assert r.status_code == 422 and r.json()["field"] == "owner" and "unknown" in r.json()["message"]
    r = alice.post("/designs", data=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["field"] == "body"
    before = alice.get("/designs").json()
    for form in ({"Content-Type": "application/x-www-form-urlencoded"}, {"Content-Type": "text/plain"}, {}):
        r = alice.post("/designs", data=b'{"name": "cross-site"}', headers=form)  # what a form post can send
        assert r.status_code == 415 and r.json()["error"] == "unsupported_media_type"
        assert r.json()["allowed"] == "application/json"
    assert alice.get("/designs").json() == before
    did = _design(alice)["id"]
    r = alice.post(f"/designs/{did}/layers", json={"item_id": "sil-aline-dress", "opacity": 101})
    assert r.status_code == 422 and r.json()["field"] == "opacity"
    r = alice.post(f"/designs/{did}/layers", json={"item_id": "sil-aline-dress",
                                                   "customization": {"color": "red"}})
    assert r.status_code == 422 and r.json()["field"] == "customization.color" and "#" in r.json()["allowed"]
    layer = alice.post(f"/designs/{did}/layers", json={"item_id": "sil-aline-dress", "is_locked": True}).json()
    r = alice.patch(f"/designs/{did}/layers/{layer['id']}", json={"opacity": 10})
    assert r.status_code == 403 and r.json()["error"] == "forbidden" and r.json()["field"] == "is_locked"
    r = alice.get(f"/designs/{did}/versions/7/diff/1")
    assert r.status_code == 404 and r.json()["field"] == "version"
    assert alice.get(f"/designs/{did}/versions/x/diff/1").status_code == 422
    assert alice.get(f"/designs/{did}/layers/order").status_code == 405
    assert alice.get("/nothing/here").status_code == 404
    before = alice.get(f"/designs/{did}").json()
    assert alice.patch(f"/designs/{did}", json={"season": "monsoon"}).status_code == 422
    after = alice.get(f"/designs/{did}").json()
    assert after["version"] == before["version"] and after["season"] == before["season"]   # nothing changed


def test_kernel_errors_map_to_http() -> None:
    assert from_kernel(ValidationError.bad("x", 1, "an x")).status == 422
    assert from_kernel(NotFound("no", field="layer_id")).status == 404
    assert from_kernel(PermissionDenied("no")).status == 403
    conflict = from_kernel(Conflict("first", field="version", allowed="version 3"))
    assert conflict.status == 409 and conflict.body["allowed"] == "version 3"
    limit = from_kernel(LimitExceeded("too many", field="designs", allowed="at most 3"))
    assert limit.status == 403 and limit.body["error"] == "limit_exceeded"


def test_tier_limit_is_403_limit_exceeded(tmp_path: Path) -> None:
    services = kernel_services(tmp_path / "fw", max_designs=2)
    running = RunningService(services, service_config()).start()
    try:
        alice = running.client("alice")
        for _ in range(2):
            _design(alice)
        r = alice.post("/designs", json={"name": "third"})
        assert r.status_code == 403 and r.json()["error"] == "limit_exceeded" and r.json()["field"] == "designs"
        assert len(alice.get("/designs").json()) == 2
    finally:
        running.stop()
        services.close()


def test_body_size_limit_is_413(sqlite_service: RunningService, alice: Client) -> None:
    limit = sqlite_service.config.max_body_bytes
    r = alice.post("/designs", json={"name": "x", "description": "a" * (limit + 10)})
    assert r.status_code == 413 and r.json()["error"] == "payload_too_large" and str(limit) in r.json()["allowed"]
    # chunked (no Content-Length): refused once the stream passes the limit
    r = alice.post("/designs", data=iter([b'{"name": "x", "description": "'] + [b"a" * 65536] * 20 + [b'"}']),
                   headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert alice.get("/designs").json() == []
    assert alice.post("/designs", json={"name": "fine"}).status_code == 201   # the service is still there


@pytest.mark.service
def test_rate_limit_in_redis_is_429_with_retry_after(tmp_path: Path, redis_url: str) -> None:
    services = kernel_services(tmp_path / "fw")
    # fixed windows: an hour long, so the burst below does not straddle a window's end (it flaked at 30 s)
    config = service_config(rate_limit=5, rate_window_s=3600, redis_url=redis_url,
                            rate_prefix=f"fw:test:{uuid.uuid4().hex[:8]}")
    first = RunningService(services, config).start()
    second = RunningService(services, config).start()   # a second app: counts against the same Redis budget
    try:
        alice, alice2, bob = first.client("alice"), second.client("alice"), first.client("bob")
        codes = [c.get("/designs").status_code for c in (alice, alice2) * 3]
        assert codes[:5] == [200] * 5 and codes[5] == 429
        r = alice.get("/designs")
        assert r.status_code == 429 and r.json()["error"] == "rate_limited"
        assert 1 <= int(r.headers["Retry-After"]) <= 3600
        assert bob.get("/designs").status_code == 200                    # per user
    finally:
        first.stop()
        second.stop()
        services.close()


@pytest.mark.slow
def test_export_status_and_signed_short_lived_download(tmp_path: Path) -> None:
    """A GLB export of a dressed, fitted avatar (the anny fitter runs), downloaded through a signed URL."""
    services = kernel_services(tmp_path / "fw")
    running = RunningService(services, service_config(download_ttl_s=2)).start()
    try:
        alice, bob = running.client("alice"), running.client("bob")
        avatar = alice.post("/avatars", json={"name": "Ada", "measurements": MEASUREMENTS, "body_hint": "female"})
        assert avatar.status_code == 201 and avatar.json()["body"], avatar.text
        did = _design(alice, avatar_id=avatar.json()["id"])["id"]
        alice.post(f"/designs/{did}/layers", json={"item_id": "sil-aline-dress"})
        r = alice.post(f"/designs/{did}/exports", json={"type": "model", "options": {"format": "glb"}})
        assert r.status_code == 202 and r.json()["status"] in ("queued", "processing", "completed")
        job = r.json()
        deadline = time.monotonic() + 120
        while job["status"] not in ("completed", "failed") and time.monotonic() < deadline:
            time.sleep(0.2)
            job = alice.get(f"/exports/{job['id']}").json()
        assert job["status"] == "completed", job
        assert [j["id"] for j in alice.get(f"/designs/{did}/exports").json()] == [job["id"]]
        host = running.base[: -len(running.config.prefix)]
        url = host + job["download_url"]
        r = requests.get(url, timeout=30)                                 # no Authorization header
        assert r.status_code == 200 and r.content[:4] == b"glTF" and len(r.content) == job["file_size"]
        assert r.headers["Content-Type"] == "model/gltf-binary"
        forged = url.replace("user=alice", "user=bob")
        assert requests.get(forged, timeout=30).status_code == 403
        tampered = url[:-4] + ("0000" if not url.endswith("0000") else "1111")
        assert requests.get(tampered, timeout=30).status_code == 403
        theirs, missing = bob.get(f"/exports/{job['id']}"), bob.get("/exports/" + "0" * 32)
        assert theirs.status_code == missing.status_code == 404           # not bob's design: like a missing one
        assert theirs.json()["message"].replace(job["id"], "ID") == missing.json()["message"].replace("0" * 32, "ID")
        time.sleep(2.1)
        r = requests.get(url, timeout=30)
        assert r.status_code == 403 and "expired" in r.json()["message"]
    finally:
        running.stop()
        services.close()


def test_undo_and_redo_per_session(alice: Client) -> None:
    did = _design(alice)["id"]
    s1, s2 = {"X-FW-Session": "notebook-1"}, {"X-FW-Session": "notebook-2"}
    layer = alice.post(f"/designs/{did}/layers", json={"item_id": "sil-aline-dress"}, headers=s1).json()
    alice.patch(f"/designs/{did}/layers/{layer['id']}", json={"opacity": 30}, headers=s1)
    alice.patch(f"/designs/{did}", json={"name": "Other session"}, headers=s2)
    alice.patch(f"/designs/{did}", json={"description": "no session: not undoable"})
    r = alice.post(f"/designs/{did}/undo", headers=s1)
    assert r.status_code == 200 and r.json()["done"] is True
    assert r.json()["design"]["layers"][0]["opacity"] == 100 and r.json()["design"]["name"] == "Other session"
    r = alice.post(f"/designs/{did}/undo", headers=s1)                       # the add: the layer goes
    assert r.json()["done"] is True and r.json()["design"]["layers"] == []
    assert alice.post(f"/designs/{did}/undo", headers=s1).json()["done"] is False   # nothing left in session 1
    r = alice.post(f"/designs/{did}/redo", headers=s1)
    assert r.json()["done"] is True and [x["id"] for x in r.json()["design"]["layers"]] == [layer["id"]]
    undone = alice.post(f"/designs/{did}/undo", headers=s2).json()          # session 2 undoes only its rename
    assert undone["done"] is True and undone["design"]["name"] == "Look"
    assert undone["design"]["description"] == "no session: not undoable"
    assert [h["action"] for h in alice.get(f"/designs/{did}/history").json()][-4:] == ["undo", "undo", "redo",
                                                                                        "undo"]
    r = alice.post(f"/designs/{did}/undo")
    assert r.status_code == 422 and r.json()["field"] == "X-FW-Session"
    r = alice.post(f"/designs/{did}/undo", headers={"X-FW-Session": "bad session!"})
    assert r.status_code == 422 and r.json()["field"] == "X-FW-Session"


def test_catalog_thumbnails_are_served_and_read_back_by_a_remote_workspace(sqlite_service: RunningService,
                                                                           alice: Client) -> None:
    item = alice.get("/catalog/items/acc-tote-bag").json()
    answer = alice.get("/catalog/items/acc-tote-bag/thumbnail")
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "image/png"
    assert answer.content.startswith(b"\x89PNG") and item["thumbnail"].endswith(".png")
    missing = alice.get("/catalog/items/no-such-item/thumbnail")
    assert missing.status_code == 404 and missing.json()["field"] == "item"
    from fw_kernel.adapters.remote_http import remote_services
    from fw_kernel.api import Workspace

    ws = Workspace(remote_services(sqlite_service.base.rsplit("/api/v1", 1)[0], TOKENS["alice"], fitter=None))
    try:
        assert ws.catalog.thumbnail("acc-tote-bag") == answer.content  # the service's file, not a local one
    finally:
        ws.close()


@pytest.mark.slow
def test_drape_job_over_rest_with_progress_cancel_and_a_clear_refusal(tmp_path: Path) -> None:
    """``POST /designs/{id}/exports`` with type ``drape`` (the test draper: 10 s of frames, no physics), progress
    while it runs, ``POST /exports/{id}/cancel`` (only for who may see the design), and a design without a
    garment refused with what to add."""
    services = kernel_services(tmp_path / "fw", draper="tests.support.drapers:SlowDraper")
    running = RunningService(services, service_config()).start()
    try:
        alice, bob = running.client("alice"), running.client("bob")
        avatar = alice.post("/avatars", json={"name": "Ada", "measurements": MEASUREMENTS, "body_hint": "female"})
        bare = _design(alice, avatar_id=avatar.json()["id"])["id"]
        r = alice.post(f"/designs/{bare}/exports", json={"type": "drape", "options": {"quality": "draft"}})
        assert r.status_code >= 400 and "no visible silhouette" in r.json()["message"], r.text
        did = _design(alice, avatar_id=avatar.json()["id"])["id"]
        alice.post(f"/designs/{did}/layers", json={"item_id": "sil-aline-skirt"})
        r = alice.post(f"/designs/{did}/exports", json={"type": "drape", "options": {"quality": "draft"}})
        assert r.status_code == 202, r.text
        job = r.json()
        deadline = time.monotonic() + 120
        while not (job["status"] == "processing" and job["progress"] > 10):
            assert time.monotonic() < deadline, job
            time.sleep(0.1)
            job = alice.get(f"/exports/{job['id']}").json()
        assert bob.post(f"/exports/{job['id']}/cancel").status_code == 404   # not bob's design
        r = alice.post(f"/exports/{job['id']}/cancel")
        assert r.status_code == 200 and r.json()["status"] == "failed" and r.json()["error"] == "cancelled by alice"
        time.sleep(0.5)
        after = alice.get(f"/exports/{job['id']}").json()
        assert after["status"] == "failed" and after["download_url"] is None and after["progress"] < 100
        # the notebook API over the service: design.drape() there, the client's own scene draws the result
        import fw_kernel as fw

        root = running.base[: -len(running.config.prefix)] + "/"
        with fw.connect(service_url=root, token=TOKENS["alice"], autosave_thread=False) as ws:
            design = ws.designs.get(did)
            skirt = design.layers[0]
            before = design.scene()
            assert before.metadata["draped"] == [] and before.metadata["drapeable"] == [skirt.id]
            done = design.drape(quality="draft").wait(timeout=120, progress=False)
            assert done.status == "completed" and done.type == "drape", done.error
            draped = design.scene()
            assert draped.metadata["draped"] == [skirt.id]
            node = f"layer:{skirt.id}"
            assert np.allclose(draped.geometry[node].vertices, before.geometry[node].vertices - [0, 0.05, 0],
                               atol=1e-6)
        missing = alice.post(f"/designs/{did}/drapes/find", json={"stack": [{"geometry": "x", "n": 1, "faces": 1,
                                                                              "physical": {}}]})
        assert missing.status_code == 404
        assert bob.post(f"/designs/{did}/drapes/find", json={"stack": []}).status_code == 404  # not his design
    finally:
        running.stop()
        services.close()
