"""Avatars from photos with ``FW_QUEUE=rq``: pose, mask and extraction run in a real ``fw worker`` process on the
real Redis, behind the same ``ws.avatars.from_photos`` call; refusals come back as the same errors, and the photos
do not stay in Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import fw_kernel as fw
from fw_kernel.adapters.photo_studio import PhotoSetup, SyntheticPhotos
from fw_kernel.geometry.body.fit import fit_body
from fw_kernel.geometry.body.sizes import size_measurements

pytestmark = [pytest.mark.service, pytest.mark.slow, pytest.mark.parametrize("backend", ["sqlite"], indirect=True)]


def _connect_queued(backend: dict[str, Any], redis_url: str, prefix: str, user: str) -> fw.Workspace:
    return fw.connect(**{**backend, "redis_url": redis_url, "queue": "rq", "queue_prefix": prefix, "user": user,
                         "autosave_thread": False})


@pytest.fixture
def queued(backend: dict[str, Any], redis_url: str, unique_user: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A kernel with FW_QUEUE=rq and one ``fw worker`` on a queue prefix of its own (stopped at the end)."""
    import redis

    prefix = f"fwt-{uuid.uuid4().hex[:10]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FW_")}
    env.update({"FW_HOME": backend["home"], "FW_REDIS_URL": redis_url, "FW_QUEUE_PREFIX": prefix,
                "FW_USER": unique_user, "PYTHONUNBUFFERED": "1"})  # the test reads the worker's log
    ws = _connect_queued(backend, redis_url, prefix, unique_user)
    client = redis.Redis.from_url(redis_url)
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log:
        worker = subprocess.Popen([sys.executable, "-m", "fw_kernel.cli", "worker"], env=env, stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield {"ws": ws, "prefix": prefix, "redis": client, "log": log_path, "worker": worker}
    finally:
        ws.close()
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)
        client.close()


def test_from_photos_measures_on_the_worker_with_the_same_api_and_answer(queued, connect):
    ws, prefix, client = queued["ws"], queued["prefix"], queued["redis"]
    body = fit_body(size_measurements("M", "female"), "female")
    front, side = SyntheticPhotos().pair(body, PhotoSetup.random(21), PhotoSetup.random(22))
    events: list[dict] = []
    ws.avatars.on_event(events.append)

    avatar = ws.avatars.from_photos("Ada", front=front, side=side, height=168, body_hint="female", progress=False)

    service = ws._services.photo_avatars
    assert service.remote is not None
    assert service._detector is None  # the kernel never loaded MediaPipe: the worker detected
    assert "photo measurement" in queued["log"].read_text(errors="replace")  # RQ logs the job it ran
    assert avatar.source == "photo" and ws.avatars.get(avatar.id).source == "photo"
    deadline = time.monotonic() + 10   # events go out through the Redis sender thread: the last may still fly
    while not (events and events[-1]["type"] == "processing_complete") and time.monotonic() < deadline:
        time.sleep(0.02)
    kinds = [e["type"] for e in events]
    assert kinds[0] == "processing_started" and kinds[-1] == "processing_complete"
    assert kinds.count("processing_progress") == 6
    # the same numbers as measuring inline in this process
    inline = connect().avatars.measure_photos(front, side, 168, "female")
    remote = ws.avatars.measure_photos(front, side, 168, "female")
    assert remote["measurements"] == inline["measurements"]
    assert remote["confidence"] == inline["confidence"]
    np.testing.assert_allclose(remote["front"]["landmarks"], inline["front"]["landmarks"])
    assert np.abs(remote["side"]["mask"] - inline["side"]["mask"]).max() <= 0.5 / 255 + 1e-6  # sent as uint8
    assert remote["front"]["image"].shape == inline["front"]["image"].shape
    # the photos do not stay in Redis: every photo job is deleted once its answer is read
    assert list(client.scan_iter(f"rq:job:{prefix}-photos-*")) == []
    assert client.llen(f"rq:queue:{prefix}-high") == 0


def test_a_refusal_on_the_worker_is_the_same_error_and_stores_nothing(queued):
    ws = queued["ws"]
    blank = np.full((960, 720, 3), 230, np.uint8)
    with pytest.raises(fw.ValidationError, match="no person was found") as info:
        ws.avatars.from_photos("Ada", front=blank, side=blank, height=170, progress=False)
    assert info.value.field == "front"
    assert ws.avatars.list() == []
    with pytest.raises(fw.ValidationError, match="height"):  # checked in the kernel, nothing queued
        ws.avatars.from_photos("Ada", front=blank, side=blank, height=17, progress=False)
    assert list(queued["redis"].scan_iter(f"rq:job:{queued['prefix']}-photos-*")) == []


def test_without_a_worker_the_kernel_gives_up_and_leaves_nothing(backend, redis_url, unique_user):
    import redis

    from fw_kernel.adapters.photo_queue_rq import PhotoQueueError, RqPhotoMeasurer

    prefix = f"fwt-{uuid.uuid4().hex[:10]}"
    ws = _connect_queued(backend, redis_url, prefix, unique_user)
    client = redis.Redis.from_url(redis_url)
    try:
        ws._services.photo_avatars.remote = RqPhotoMeasurer(redis_url, prefix, wait_s=1.0)
        body = fit_body(size_measurements("S", "male"), "male")
        front, side = SyntheticPhotos().pair(body, PhotoSetup.random(23), PhotoSetup.random(24))
        with pytest.raises(PhotoQueueError, match="no worker measured the photos within 1 s"):
            ws.avatars.from_photos("Bo", front=front, side=side, height=180, progress=False)
        assert ws.avatars.list() == []
        assert list(client.scan_iter(f"rq:job:{prefix}-photos-*")) == []
        assert client.llen(f"rq:queue:{prefix}-high") == 0
    finally:
        ws.close()
        client.close()
