"""Avatars from photos over HTTP: ``ws.avatars.from_photos``/``measure_photos`` in a kernel connected to the
design service give the local results and the local errors; the service processes the photos (202 and a
process to poll), sends progress to the requesting user's ``/avatar`` listeners only, keeps photos encrypted
with its own key, and another user cannot read the process or the photos.

Photos are rendered by the project (a fitted body, pyrender/EGL), as in tests/api/test_photo_bad_input.py.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from websockets.sync.client import connect as ws_connect

import fw_kernel as fw
from fw_kernel import NotFound, ValidationError
from fw_kernel.adapters.photo_studio import PhotoSetup, SyntheticPhotos, jpeg_bytes
from fw_kernel.geometry.body.fit import fit_body
from fw_kernel.geometry.body.sizes import size_measurements
from fw_kernel.geometry.photo import measure as pm
from tests.support.service import TOKENS, Client, RunningService, kernel_services, service_config

pytestmark = pytest.mark.slow
SETUP = PhotoSetup(background="gradient", background_seed=3, background_color=(200, 205, 215))
ARGS = {"height": 168, "body_hint": "female", "progress": False}


@pytest.fixture(scope="module")
def shots() -> dict[str, Any]:
    body = fit_body(size_measurements("M", "female"), "female")
    photos = SyntheticPhotos()
    return {"front": jpeg_bytes(photos.image(body, SETUP, "front")),
            "side": jpeg_bytes(photos.image(body, SETUP, "side"))}


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    """The service on the embedded default with the body fitter (avatars as a local kernel makes them)."""
    services = kernel_services(tmp_path_factory.mktemp("photos") / "fw")
    running = RunningService(services, service_config()).start()
    running.url = f"http://127.0.0.1:{running.port}/"
    running.home = services.settings.home
    yield running
    running.stop()
    services.close()


def remote(svc: RunningService, user: str) -> fw.Workspace:
    return fw.connect(service_url=svc.url, token=TOKENS[user])


def _listen(svc: RunningService, user: str) -> Any:
    ws = ws_connect(svc.base.replace("http://", "ws://") + "/events",
                    additional_headers={"Authorization": f"token {TOKENS[user]}"}, open_timeout=10)
    ws.send(json.dumps({"action": "subscribe", "namespace": "/avatar"}))
    assert json.loads(ws.recv(timeout=10))["type"] == "subscribed"
    return ws


def _drain(ws: Any, until: str | None = None, timeout: float = 60.0) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            message = json.loads(ws.recv(timeout=max(0.05, min(1.0, deadline - time.monotonic()))))
        except TimeoutError:
            if until is None:
                break
            continue
        got.append(message)
        if until is not None and message.get("event") == until:
            break
    return got


def test_photos_over_http_give_the_local_avatar_and_measurements(svc: RunningService, shots: dict[str, Any],
                                                                 tmp_path: Path) -> None:
    listen_alice, listen_bob = _listen(svc, "alice"), _listen(svc, "bob")
    steps: list[tuple[int, str]] = []
    with remote(svc, "alice") as ws:
        avatar = ws.avatars.from_photos("Ada", front=shots["front"], side=shots["side"], **ARGS, keep_photos=True)
        assert avatar.source == "photo" and ws.avatars.get(avatar.id).measurements == avatar.measurements
        measured = ws.avatars.measure_photos(shots["front"], shots["side"], 168)
        # the kernel's progress comes from polling the process
        ws._services.photo_avatars.from_photos(ws.user, "Ada 2", shots["front"], shots["side"], 168, "female",
                                               progress=lambda p, s: steps.append((p, s)))
        kept = avatar.photos()
        assert set(kept) == {"front", "side"} and kept["front"].size == (720, 960)
        assert avatar.delete_photos() == 2
        with pytest.raises(NotFound):
            avatar.photos()
        remote_mesh = avatar.mesh.vertices.shape
    with fw.connect(home=str(tmp_path / "local"), user="alice", autosave_thread=False, queue="local") as ws:
        local = ws.avatars.from_photos("Ada", front=shots["front"], side=shots["side"], **ARGS)
        local_measured = ws.avatars.measure_photos(shots["front"], shots["side"], 168)
    assert set(avatar.measurements) == set(local.measurements)
    for key, value in local.measurements.items():
        assert abs(avatar.measurements[key] - value) <= 0.5, key
    assert avatar.confidence == pytest.approx(local.confidence, abs=0.02)
    assert remote_mesh == local.mesh.vertices.shape
    for key, value in local_measured["measurements"].items():
        assert abs(measured["measurements"][key] - value) <= 0.5, key
    # the measurements to tape, as listed locally (but for a confidence within the 0.02 above of the 0.5 limit)
    assert measured["check_with_tape"] == pm.to_check(measured["confidence"])
    near = {k for k, c in local_measured["confidence"].items() if abs(c - 0.5) <= 0.02}
    assert set(measured["check_with_tape"]) - near == set(local_measured["check_with_tape"]) - near
    for kind in ("front", "side"):
        assert np.array_equal(measured[kind]["image"], local_measured[kind]["image"])
        assert np.abs(measured[kind]["landmarks"][:, :2] - local_measured[kind]["landmarks"][:, :2]).max() < 2.0
        assert measured[kind]["mask"].shape == local_measured[kind]["mask"].shape
        assert np.abs(measured[kind]["mask"] - local_measured[kind]["mask"]).max() <= 1 / 255 + 1e-6
    assert steps and steps[-1] == (100, "done") and [p for p, _ in steps] == sorted(p for p, _ in steps)

    # events: the requesting user's /avatar listeners, nobody else's
    events = _drain(listen_alice, until="processing_complete")
    kinds = [m["event"] for m in events]
    assert kinds[0] == "processing_started" and kinds[-1] == "processing_complete"
    assert "processing_progress" in kinds and all(m["data"]["avatar_id"] == avatar.id for m in events)
    assert _drain(listen_bob, timeout=1.0) == []
    listen_alice.close()
    listen_bob.close()

    # kept photos were encrypted with the service's key (the kernel never had it): no JPEG on disk
    blobs = [p for p in Path(svc.home).rglob("*") if p.is_file() and avatar.id in str(p)]
    assert blobs == []                                                        # deleted above
    raw = Client(svc.base, TOKENS["alice"])
    job = raw.post("/avatars/from-photos", json={
        "name": "Kept", "height": 168, "body_hint": "female", "keep_photos": True,
        "front": base64.b64encode(shots["front"]).decode(), "side": base64.b64encode(shots["side"]).decode()})
    assert job.status_code == 202 and job.json()["status"] == "processing"
    state = _wait(raw, job.json()["id"])
    assert state["status"] == "completed" and state["avatar"]["id"] == job.json()["id"]
    stored = [p.read_bytes() for p in Path(svc.home).rglob("*") if p.is_file() and state["id"] in str(p)]
    assert len(stored) == 2 and all(b.startswith(b"FWP1") and b"\xff\xd8\xff" not in b[:64] for b in stored)


def _wait(client: Client, process_id: str, timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        state = client.get(f"/avatars/processes/{process_id}").json()
        if state["status"] != "processing" or time.monotonic() > deadline:
            return state
        time.sleep(0.2)


def test_bad_photos_raise_the_local_errors(svc: RunningService, shots: dict[str, Any], tmp_path: Path) -> None:
    blank = np.full((960, 720, 3), (200, 205, 215), np.uint8)
    cases = [{"front": blank, "side": shots["side"]},                           # refused by detection (service)
             {"front": shots["side"], "side": shots["front"]},                  # swapped
             {"front": b"%PDF-1.4 this is not a photo", "side": shots["side"]},  # refused while reading
             {"front": shots["front"], "side": shots["side"], "height": 1.68},
             {"front": shots["front"], "side": shots["side"], "corrections": {"waist": -3}}]

    def refusals(ws: fw.Workspace) -> list[tuple[type, str, str | None]]:
        out = []
        for case in cases:
            with pytest.raises(ValidationError) as err:
                ws.avatars.from_photos("Ada", **{**ARGS, **case})
            out.append((type(err.value), str(err.value), err.value.field))
        with pytest.raises(ValidationError) as err:
            ws.avatars.measure_photos(blank, shots["side"], 168)
        out.append((type(err.value), str(err.value), err.value.field))
        assert ws.avatars.list() == []                                          # nothing half-made
        return out

    with remote(svc, "carol") as ws:
        over_http = refusals(ws)
    with fw.connect(home=str(tmp_path / "local"), user="carol", autosave_thread=False, queue="local") as ws:
        in_process = refusals(ws)
    assert over_http == in_process
    assert "no person" in over_http[0][1] and over_http[0][2] == "front"


def test_the_process_and_photos_are_the_requesters_only(svc: RunningService, shots: dict[str, Any]) -> None:
    alice, bob = Client(svc.base, TOKENS["alice"]), Client(svc.base, TOKENS["bob"])
    blank = base64.b64encode(jpeg_bytes(np.full((960, 720, 3), 230, np.uint8))).decode()
    job = alice.post("/avatars/from-photos", json={"name": "Nobody", "front": blank, "side": blank, "height": 170})
    assert job.status_code == 202
    pid = job.json()["id"]
    theirs, missing = bob.get(f"/avatars/processes/{pid}"), bob.get(f"/avatars/processes/{'0' * 32}")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["message"].replace(pid, "X") == missing.json()["message"].replace("0" * 32, "X")
    state = _wait(alice, pid)
    assert state["status"] == "failed" and state["avatar"] is None
    assert state["error"]["error"] == "validation_error" and "no person" in state["error"]["message"]
    assert bob.get(f"/avatars/processes/{pid}").status_code == 404
    # refused at once (422, nothing started): not base64, not an image, a bad height
    for body, field in (({"front": "%%%not base64", "side": blank, "height": 170}, "front"),
                        ({"front": blank, "side": base64.b64encode(b"GIF89a-junk").decode(), "height": 170},
                         "side"),
                        ({"front": blank, "side": blank, "height": 1.7}, "height")):
        r = alice.post("/avatars/from-photos", json={"name": "Bad", **body})
        assert r.status_code == 422 and r.json()["field"] == field, r.text
    # photos are larger than the service's 1 MB limit for other requests
    big = base64.b64encode(b"\x00" * 3_000_000).decode()
    r = alice.post("/avatars/from-photos", json={"name": "Big", "front": big, "side": blank, "height": 170})
    assert r.status_code == 422 and r.json()["field"] == "front"
    assert alice.post("/designs", json={"name": "x", "description": big}).status_code == 413
    # an avatar's kept photos: its owner's only
    kept = alice.post("/avatars/from-photos", json={
        "name": "Kept", "height": 168, "body_hint": "female", "keep_photos": True,
        "front": base64.b64encode(shots["front"]).decode(), "side": base64.b64encode(shots["side"]).decode()})
    assert _wait(alice, kept.json()["id"])["status"] == "completed"
    aid = kept.json()["id"]
    assert alice.get(f"/avatars/{aid}/photos").status_code == 200
    assert bob.get(f"/avatars/{aid}/photos").status_code == 404
    assert bob.delete(f"/avatars/{aid}/photos").status_code == 404
    assert alice.delete(f"/avatars/{aid}/photos").json() == {"deleted": 2}
