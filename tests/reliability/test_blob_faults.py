"""Fault matrix, the blob store (issue #21): the design service with its blob store on a real S3-protocol server
(moto in server mode, a child process on its own port, reached by s3fs), SIGKILLed during a burst of edits and
image exports and started again.

Edits never touch the blob store: every one must be acknowledged during the outage and be in the design after.
Every acknowledged export must end (completed or failed with a message, none left running), a completed one must
download as the PNG it promised, and a failed one must complete when asked again once the store is back.
moto keeps its objects in memory, so the files written before the kill are gone with it (a real S3 keeps them):
the download check covers the exports that ended after the restart.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.reliability.world import record
from tests.support.net import free_port, wait_port
from tests.support.s3 import ENV
from tests.support.service import RunningService, kernel_services, service_config

pytestmark = pytest.mark.service

BUCKET = "fw-faults-" + uuid.uuid4().hex[:8]


class MotoProcess:
    """moto's S3 as its own process on a fixed port (so it can be killed and started again there)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> MotoProcess:
        self.proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port, 60)
        import boto3

        boto3.client("s3", endpoint_url=self.endpoint, **_creds()).create_bucket(Bucket=BUCKET)
        return self

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)


def _creds() -> dict[str, str]:
    return {"aws_access_key_id": ENV["AWS_ACCESS_KEY_ID"], "aws_secret_access_key": ENV["AWS_SECRET_ACCESS_KEY"],
            "region_name": ENV["AWS_DEFAULT_REGION"]}


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[MotoProcess, RunningService]]:
    moto = MotoProcess()
    for k, v in {**ENV, "AWS_ENDPOINT_URL": moto.endpoint}.items():
        monkeypatch.setenv(k, v)
    moto.start()
    import fsspec

    fsspec.config.conf.pop("s3", None)
    services = kernel_services(tmp_path / "fw", storage_url=f"s3://{BUCKET}/blobs")
    services.avatars.fitter = None
    running = RunningService(services, service_config(executor_threads=6)).start()
    yield moto, running
    running.stop()
    services.close()
    if moto.proc and moto.proc.poll() is None:
        moto.kill()


def _wait_end(c: object, job_id: str, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = c.get(f"/exports/{job_id}").json()  # type: ignore[attr-defined]
        if job["status"] in ("completed", "failed", "cancelled") or time.monotonic() > deadline:
            return job  # type: ignore[no-any-return]
        time.sleep(0.1)


def _download(running: RunningService, job: dict) -> requests.Response:
    """The export's file through its signed link (a redirect to the store's pre-signed URL, followed)."""
    return requests.get(running.base[: -len(running.config.prefix)] + job["download_url"], timeout=60)


def test_a_blob_store_killed_mid_burst_loses_no_edit_and_no_export(world: tuple[MotoProcess, RunningService]
                                                                   ) -> None:
    moto, running = world
    alice = running.client("alice")
    did = alice.post("/designs", json={"name": "Blob outage"}).json()["id"]
    layer = alice.post(f"/designs/{did}/layers", json={"item_id": "sil-aline-dress"}).json()["id"]
    stop = threading.Event()
    edits: list[tuple[str, int]] = []
    exports: list[tuple[str, float]] = []   # job id, when it was acknowledged
    refused: list[str] = []

    def edit() -> None:
        c = running.client("alice")
        i = 0
        while not stop.is_set():
            tag = f"e{i}"
            edits.append((tag, c.patch(f"/designs/{did}/layers/{layer}", json={"notes": tag}).status_code))
            i += 1
            time.sleep(0.02)

    def export() -> None:
        c = running.client("alice")
        i = 0
        while not stop.is_set():
            # a new size each time: an export equal to a finished one is answered with that job (its file was
            # written before the kill and went with moto's memory)
            i += 1
            r = c.post(f"/designs/{did}/exports", json={"type": "image", "options": {"width": 16 + i, "height": 16}})
            if r.status_code not in (201, 202):
                refused.append(r.text)
            else:
                exports.append((r.json()["id"], time.monotonic()))
            time.sleep(0.15)

    threads = [threading.Thread(target=edit), threading.Thread(target=export)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    down = time.monotonic()
    moto.kill()
    time.sleep(2.0)
    moto.start()
    up = time.monotonic()
    time.sleep(1.5)
    stop.set()
    for t in threads:
        t.join(60)

    assert not refused, refused[:3]
    # edits: all acknowledged, the last one is the design's state, and each is in the history once
    assert edits and {s for _, s in edits} == {200}, sorted({s for _, s in edits})
    design = alice.get(f"/designs/{did}", params={"count_view": "false"}).json()
    assert next(x for x in design["layers"] if x["id"] == layer)["notes"] == edits[-1][0]
    history = [h for h in alice.get(f"/designs/{did}/history").json() if h["action"] == "update_layer"]
    assert sorted(h["data"]["changes"]["notes"] for h in history) == sorted(t for t, _ in edits)

    # exports: every acknowledged one ends; completed ones after the restart download; failed ones complete again
    ended = {job_id: _wait_end(alice, job_id) for job_id, _ in exports}
    assert {j["status"] for j in ended.values()} <= {"completed", "failed"}, {j["status"] for j in ended.values()}
    failed = [j for j in ended.values() if j["status"] == "failed"]
    assert all(j.get("error") for j in failed), failed[:2]
    downloaded = 0
    for job_id, acked_at in exports:
        job = ended[job_id]
        if job["status"] == "completed" and acked_at > down:   # rendered during or after the outage
            got = _download(running, job)
            assert got.status_code == 200 and got.content[:8] == b"\x89PNG\r\n\x1a\n", (job_id, got.status_code)
            downloaded += 1
    redone = 0
    for job in failed:
        r = alice.post(f"/designs/{did}/exports", json={"type": "image", "options": job["options"]})   # asked again
        again = _wait_end(alice, r.json()["id"])
        assert again["status"] == "completed", again
        assert _download(running, again).content[:4] == b"\x89PNG"
        redone += 1
    during = sum(1 for _, a in exports if down < a < up)
    assert during > 0 and downloaded > 0, (during, downloaded)
    record("blob_store_fault", faults=1, edits_acknowledged=len(edits), exports_acknowledged=len(exports),
           exports_acknowledged_during_outage=during,
           exports_failed_during_outage=len(failed), exports_downloaded_after=downloaded, failed_redone=redone,
           lost_edits=0, stuck_exports=0, outage_s=round(up - down, 1))
