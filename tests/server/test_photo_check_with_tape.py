"""``check_with_tape`` over HTTP: a kernel connected to the design service gets the measurements to check with a
tape from ``measure_photos`` and in the ``processing_complete`` event exactly as a local kernel does.

Fast: the photos are small flat images and pose detection runs on the photo worker's seam
(``PhotoAvatarService.remote``, what ``FW_QUEUE=rq`` wires), here answering the same measurements for any photos
on both kernels; what is tested is everything after it (the service's routes and schemas, the remote client, the
``/avatar`` events), with the real body fitter. The real detector over HTTP: tests/server/test_photos_api.py.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import fw_kernel as fw
from fw_kernel.geometry.body.sizes import size_measurements
from fw_kernel.geometry.photo import measure as pm
from tests.support.service import TOKENS, RunningService, kernel_services, service_config

SIZE = (480, 360)  # photo pixels (H, W): above MIN_PHOTO_SIDE, small
MEASURED = size_measurements("M", "female")
# bust and hips below 0.5 (bust least sure), arm length just at the limit (not listed)
CONFIDENCE = {**{k: 0.9 for k in MEASURED}, "height": 1.0, "bust": 0.3, "hips": 0.45, "arm_length": 0.5}


def worker(front: np.ndarray, side: np.ndarray, height: float, hint: str | None) -> dict[str, Any]:
    """A photo worker's answer (``measure_images``' form) for any two photos."""
    views = {k: {"landmarks": np.zeros((33, 3)), "mask": np.zeros(img.shape[:2], dtype=np.uint8)}
             for k, img in (("front", front), ("side", side))}
    return {"measurements": dict(MEASURED), "confidence": dict(CONFIDENCE),
            "error_cm": {k: 1.0 for k in MEASURED}, "check_with_tape": pm.to_check(CONFIDENCE),
            "agreement": {"front": 1.0, "side": 1.0}, **views}


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    services = kernel_services(tmp_path_factory.mktemp("tape") / "fw")
    services.photo_avatars.remote = worker
    running = RunningService(services, service_config()).start()
    yield running
    running.stop()
    services.close()


def _photos() -> tuple[np.ndarray, np.ndarray]:
    return np.full((*SIZE, 3), 120, dtype=np.uint8), np.full((*SIZE, 3), 140, dtype=np.uint8)


def _made(ws: fw.Workspace) -> tuple[dict[str, Any], dict[str, Any]]:
    """``measure_photos`` and the ``processing_complete`` event of ``from_photos`` in ``ws``."""
    front, side = _photos()
    measured = ws.avatars.measure_photos(front, side, 168, "female")
    done = threading.Event()
    events: list[dict[str, Any]] = []

    def on_event(event: dict[str, Any]) -> None:
        events.append(event)
        if event.get("type") == "processing_complete":
            done.set()

    unsubscribe = ws.avatars.on_event(on_event)
    try:
        avatar = ws.avatars.from_photos("Ada", front, side, 168, "female", progress=False)
        assert done.wait(30), [e.get("type") for e in events]
    finally:
        unsubscribe()
    complete = next(e for e in events if e["type"] == "processing_complete")
    assert complete["avatar_id"] == avatar.id
    return measured, complete


def test_a_remote_kernel_gets_check_with_tape_as_a_local_one(svc: RunningService, tmp_path: Path) -> None:
    with fw.connect(service_url=f"http://127.0.0.1:{svc.port}/", token=TOKENS["alice"]) as ws:
        remote_measured, remote_complete = _made(ws)
    with fw.connect(home=str(tmp_path / "local"), user="alice", autosave_thread=False, queue="local") as ws:
        ws._services.photo_avatars.remote = worker
        local_measured, local_complete = _made(ws)
    assert local_measured["check_with_tape"] == ["bust", "hips"]              # least sure first, 0.5 not listed
    assert remote_measured["check_with_tape"] == local_measured["check_with_tape"]
    assert remote_measured["confidence"] == local_measured["confidence"]
    tape = local_complete["check_with_tape"]  # of what the photos estimated (a female body's chest: from the fit)
    assert "bust" in tape and "hips" in tape and tape.index("bust") < tape.index("hips")
    estimated = local_measured["confidence"]
    assert tape == pm.to_check({k: c for k, c in local_complete["confidence"].items() if k in estimated})
    assert "chest" not in tape
    assert remote_complete["check_with_tape"] == local_complete["check_with_tape"]
    assert remote_complete["confidence"] == pytest.approx(local_complete["confidence"])
