"""Exports through RQ with real ``fw worker`` processes on the real Redis: the same file as the in-process queue,
progress and states, a worker SIGKILLed mid-job (retried elsewhere, no partial file), more jobs than workers,
a job that keeps failing, and ``fw exports cleanup``."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import fw_kernel as fw
from fw_kernel.domain.exports import ExportJob

pytestmark = [pytest.mark.service, pytest.mark.slow]
FAST = ["--heartbeat", "1", "--grace", "2", "--maintenance", "1"]   # a dead worker's job is retried within ~3 s


class Workers:
    """``fw worker`` processes (each in its own process group, so SIGKILL takes its scheduler child too)."""

    def __init__(self, env: dict[str, str], logs: Path):
        self.env = env
        self.logs = logs
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = open(self.logs / f"worker{len(self.procs)}.log", "wb")  # noqa: SIM115 (kept open for the child)
        proc = subprocess.Popen([sys.executable, "-m", "fw_kernel.cli", "worker", *args], env=env or self.env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(proc)
        return proc

    def log(self, index: int) -> str:
        return (self.logs / f"worker{index}.log").read_text(errors="replace")

    def log_when(self, index: int, done: Any, timeout: float = 30) -> str:
        """Worker ``index``'s log once ``done(log)`` holds: RQ logs "Job OK" after the job's record is saved, so a
        test that saw the job completed can read the log before that line is there."""
        deadline = time.monotonic() + timeout
        while not done(log := self.log(index)) and time.monotonic() < deadline:
            time.sleep(0.1)
        return log

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill(proc)


@pytest.fixture
def rq_setup(backend: dict[str, Any], redis_url: str, unique_user: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Settings shared by this test's kernel and workers: its backend, the real Redis, a queue prefix of its own."""
    import redis

    prefix = f"fwt-{uuid.uuid4().hex[:10]}"
    settings = {**backend, "redis_url": redis_url, "queue": "rq", "queue_prefix": prefix}
    env = {k: v for k, v in os.environ.items() if not k.startswith("FW_")}
    env.update({"FW_HOME": settings["home"], "FW_REDIS_URL": redis_url, "FW_QUEUE_PREFIX": prefix,
                "FW_USER": unique_user})
    if settings["database_url"]:
        env["FW_DATABASE_URL"] = settings["database_url"]
    if settings["mongo_url"]:
        env["FW_MONGO_URL"] = settings["mongo_url"]
    logs = tmp_path / "logs"
    logs.mkdir()
    workers = Workers(env, logs)
    opened: list[fw.Workspace] = []

    def connect(**options: Any) -> fw.Workspace:
        ws = fw.connect(**{**settings, "user": unique_user, "autosave_thread": False, **options})
        opened.append(ws)
        return ws

    yield {"settings": settings, "env": env, "workers": workers, "connect": connect, "prefix": prefix}
    workers.stop_all()
    ids = {j.id for ws in opened for d in ws.designs.list() for j in d.exports}
    for ws in opened:
        ws.close()
    client = redis.Redis.from_url(redis_url)
    for key in [*client.scan_iter(f"*{prefix}*"), *(k for i in ids for k in client.scan_iter(f"rq:*fw-export-{i}*"))]:
        client.delete(key)
    client.close()


def wait_for(read: Callable[[], ExportJob], done: Callable[[ExportJob], bool], timeout: float,
             seen: list[tuple[str, int]] | None = None) -> ExportJob:
    """Poll a record until ``done``; ``seen`` collects each distinct (status, progress) on the way."""
    deadline = time.monotonic() + timeout
    while True:
        job = read()
        if seen is not None and (not seen or seen[-1] != (job.status, job.progress)):
            seen.append((job.status, job.progress))
        if done(job):
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"export {job.id} still {job.status} ({job.progress}%) after {timeout} s: {job}")
        time.sleep(0.02)


def pixels(job: ExportJob) -> np.ndarray:
    assert job.status == "completed", job.error
    return np.asarray(Image.open(io.BytesIO(Path(job.path).read_bytes())))


def bodiless(ws: fw.Workspace, name: str) -> Any:
    """A design without an avatar (no body model to load in each worker: fast renders of the canvas alone).
    Shadows off: pyrender's shadow maps need something in the scene."""
    design = ws.designs.create(name)
    design.update_canvas(shadows=False)
    return design


def export_files(home: str, job: ExportJob) -> list[str]:
    folder = Path(home) / "blobs" / "exports" / job.design_id / job.id
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_rq_export_is_the_file_the_local_queue_makes_and_reports_progress(rq_setup) -> None:
    ws = rq_setup["connect"]()
    avatar = ws.avatars.create("Ada", {"height": 168, "bust": 88, "waist": 70, "hips": 96}, body_hint="female")
    design = ws.designs.create("Queued look", avatar=avatar)
    design.add_layer("sil-aline-dress", customization={"color": "#1f2a44"})
    image = design.export("image", width=64, height=96, quality="draft")
    video = design.export("video", width=64, height=96, fps=30, duration=3)   # 90 frames: progress to watch
    assert image.status == video.status == "queued"          # nothing runs them until a worker starts
    time.sleep(0.5)
    assert image.status == "queued"
    rq_setup["workers"].start("--burst")
    exports = ws._services.exports
    seen: list[tuple[str, int]] = []
    done_video = wait_for(lambda: exports.get(video.job.id), lambda j: j.done, 300, seen)
    done_image = exports.get(image.job.id)
    assert done_image.status == done_video.status == "completed", (done_image.error, done_video.error)
    statuses = [s for s, _ in seen]
    assert statuses[0] == "queued" and statuses[-1] == "completed" and "processing" in statuses
    assert statuses.index("processing") < statuses.index("completed")
    progress = [p for s, p in seen if s == "processing"]
    assert len(set(progress)) >= 3 and progress == sorted(progress) and 0 < progress[0] < progress[-1] < 100
    queued = pixels(done_image)
    # the same request through the in-process queue (render cache emptied, so it renders again)
    from fw_kernel.adapters.sql import tables as t

    with ws._services.engine.begin() as c:
        c.execute(t.doc_render_cache.delete())
    local = rq_setup["connect"](queue="local")
    again = local.designs.get(design.id).export("image", width=64, height=96, quality="draft").wait(progress=False)
    assert again.file_url != done_image.file_url
    assert queued.shape == pixels(again).shape == (96, 64, 3)
    assert np.abs(queued.astype(int) - pixels(again).astype(int)).max() <= 1
    assert np.abs(queued[48, 32].astype(int) - queued[2, 2].astype(int)).max() > 50   # the dress is drawn
    import av

    with av.open(done_video.path) as container:
        assert sum(1 for _ in container.decode(video=0)) == 90


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_worker_killed_mid_job_is_retried_by_another_and_completes_once(rq_setup) -> None:
    ws = rq_setup["connect"](export_retry_backoff_s=(0, 0))   # retries at once: no scheduler needed after a kill
    design = bodiless(ws, "Long turntable")
    handle = design.export("video", width=64, height=96, fps=60, duration=30)   # 1800 frames
    workers = rq_setup["workers"]
    first = workers.start(*FAST)
    exports = ws._services.exports
    mid = wait_for(lambda: exports.get(handle.job.id), lambda j: j.status == "processing" and j.progress >= 15, 240)
    workers.kill(first)                                          # SIGKILL, mid-render
    assert first.returncode == -signal.SIGKILL
    stuck = exports.get(handle.job.id)
    assert stuck.status == "processing" and stuck.progress >= mid.progress and stuck.file_url is None
    home = rq_setup["settings"]["home"]
    assert export_files(home, stuck) == []                       # nothing published, not even half a file
    second = workers.start(*FAST)
    seen: list[tuple[str, int]] = []
    done = wait_for(lambda: exports.get(handle.job.id), lambda j: j.done, 300, seen)
    assert done.status == "completed", done.error
    assert done.retry_count == 1 and done.error is None
    assert export_files(home, done) == ["turntable.mp4"]          # one file, no partial left over
    assert not list((Path(home) / "blobs").rglob("*.partial"))
    assert Path(done.path).stat().st_size == done.file_size
    import av

    with av.open(done.path) as container:
        assert sum(1 for _ in container.decode(video=0)) == 1800
    log = workers.log_when(1, lambda text: "Job OK" in text)
    assert "stopped mid-job" in log and log.count("Job OK") == 1, log[-3000:]   # the second worker found it
    from redis import Redis
    from rq.job import Job

    from fw_kernel.adapters.queue_rq import rq_job_id

    connection = Redis.from_url(rq_setup["settings"]["redis_url"])
    assert Job.fetch(rq_job_id(done.id), connection=connection).get_status() == "finished"
    connection.close()
    assert second.poll() is None                                  # still serving


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_more_jobs_than_workers_all_complete_once(rq_setup) -> None:
    ws = rq_setup["connect"]()
    design = bodiless(ws, "Batch")
    # a job longer than heartbeat + grace (3 s): its worker's heartbeats keep the other from taking it over
    long = design.export("video", width=64, height=96, fps=60, duration=60)
    sizes = [(64, 96), (96, 64), (80, 80), (64, 64), (48, 96), (96, 48), (72, 72), (40, 60)]
    handles = [design.export("image", width=w, height=h, quality="draft", view=view)
               for (w, h), view in zip(sizes, ["front", "back", "left", "right"] * 2)]
    workers = rq_setup["workers"]
    for _ in range(2):
        workers.start("--burst", *FAST)
    exports = ws._services.exports
    video = long.wait(timeout=300, progress=False)                # the notebook API, on RQ
    assert video.status == "completed" and video.retry_count == 0, video.error
    for handle, (w, h) in zip(handles, sizes):
        job = wait_for(lambda handle=handle: exports.get(handle.job.id), lambda j: j.done, 300)
        assert job.status == "completed", job.error
        assert pixels(job).shape[:2] == (h, w) and job.retry_count == 0
    assert len({exports.get(h.job.id).file_url for h in handles}) == len(handles)
    for proc in workers.procs:
        proc.wait(timeout=120)
    logs = workers.log(0) + workers.log(1)
    assert logs.count("Job OK") == len(handles) + 1 and "stopped mid-job" not in logs   # each ran exactly once


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_failing_job_is_retried_with_backoff_then_failed(rq_setup, tmp_path: Path) -> None:
    ws = rq_setup["connect"](export_retry_backoff_s=(1, 1))
    design = bodiless(ws, "Nowhere to write")
    handle = design.export("image", width=64, height=96, quality="draft")
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the blob store's folder should be")
    env = {**rq_setup["env"], "FW_STORAGE_URL": (blocker / "blobs").as_uri()}
    workers = rq_setup["workers"]
    workers.start(*FAST, env=env)
    exports = ws._services.exports
    seen: list[tuple[str, int]] = []
    started = time.monotonic()
    job = wait_for(lambda: exports.get(handle.job.id), lambda j: j.done, 240, seen)
    assert job.status == "failed" and job.retry_count == 2 and job.file_url is None
    assert "blocker" in job.error and ("Error" in job.error or "Exists" in job.error), job.error
    assert time.monotonic() - started >= 2                         # two backoffs of 1 s
    from redis import Redis
    from rq.job import Job

    from fw_kernel.adapters.queue_rq import rq_job_id

    connection = Redis.from_url(rq_setup["settings"]["redis_url"])
    # the export record is failed first; RQ's own bookkeeping of the job follows a moment later
    deadline = time.monotonic() + 10
    while (status := Job.fetch(rq_job_id(job.id), connection=connection).get_status()) == "started" \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    assert status == "failed"
    connection.close()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.service)], indirect=True)
def test_exports_cleanup_removes_expired_files(rq_setup) -> None:
    ws = rq_setup["connect"]()
    design = bodiless(ws, "Old and new")
    old = design.export("image", width=64, height=96, quality="draft")
    new = design.export("image", width=64, height=96, quality="draft", view="back")
    rq_setup["workers"].start("--burst")
    exports = ws._services.exports
    old_job, new_job = old.wait(timeout=300, progress=False), new.wait(timeout=300, progress=False)
    assert old_job.status == new_job.status == "completed", (old_job.error, new_job.error)
    exports._store.update(old_job.id, expires_at=old_job.completed_at - timedelta(days=1))
    home = Path(rq_setup["settings"]["home"])
    orphan = home / "blobs" / "exports" / design.id / "dead-writer" / ".0a1b.partial"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"half a file")
    os.utime(orphan, (time.time() - 7200, time.time() - 7200))
    fresh = orphan.with_name(".2c3d.partial")                     # a write in progress right now: kept
    fresh.write_bytes(b"being written")
    result = subprocess.run([sys.executable, "-m", "fw_kernel.cli", "exports", "cleanup"], env=rq_setup["env"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"removed export {old_job.id}: {old_job.file_url}" in result.stdout
    assert "orphaned partial write" in result.stdout and ".0a1b.partial" in result.stdout
    assert "2 files removed" in result.stdout
    assert not Path(old_job.path).exists() and Path(new_job.path).exists()
    assert not orphan.exists() and fresh.exists()
    marked = exports.get(old_job.id)
    assert marked.file_url is None and marked.status == "completed" and marked.file_size == old_job.file_size
    assert exports.get(new_job.id).file_url == new_job.file_url
    again = subprocess.run([sys.executable, "-m", "fw_kernel.cli", "exports", "cleanup"], env=rq_setup["env"],
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "0 files removed" in again.stdout


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_worker_killed_mid_drape_is_retried_and_the_drape_is_stored_once(rq_setup) -> None:
    """The drape job on RQ, with the test draper (``tests.support.drapers.SlowDraper``: 10 s of frames, no
    physics) in the kernel and the workers alike: SIGKILL mid-drape, nothing stored, retried by another worker."""
    from tests.support import ROOT

    slow = "tests.support.drapers:SlowDraper"
    ws = rq_setup["connect"](export_retry_backoff_s=(0, 0), draper=slow)
    env = {**rq_setup["env"], "FW_DRAPER": slow,
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    avatar = ws.avatars.create("Ada", {"height": 168, "bust": 88, "waist": 70, "hips": 96}, body_hint="female")
    design = ws.designs.create("Drape on a worker", avatar=avatar)
    skirt = design.add_layer("sil-aline-skirt", customization={"length": 0.42})
    fitted = np.asarray(design.scene().geometry[f"layer:{skirt.id}"].vertices)
    handle = design.drape(quality="draft")
    workers = rq_setup["workers"]
    first = workers.start(*FAST, env=env)
    exports = ws._services.exports
    wait_for(lambda: exports.get(handle.job.id), lambda j: j.status == "processing" and j.progress >= 20, 240)
    workers.kill(first)                                             # SIGKILL, mid-drape
    home = Path(rq_setup["settings"]["home"])
    assert not (home / "blobs" / "drape_cache").exists() or not list((home / "blobs" / "drape_cache").iterdir())
    assert design.scene().metadata["draped"] == []                  # still the fitted shape
    workers.start(*FAST, env=env)
    done = wait_for(lambda: exports.get(handle.job.id), lambda j: j.done, 300)
    assert done.status == "completed", done.error
    assert done.retry_count == 1 and done.error is None
    assert len(list((home / "blobs" / "drape_cache").iterdir())) == 1   # stored once
    assert export_files(str(home), done) == ["drape.npz"]
    draped = design.scene()
    assert draped.metadata["draped"] == [skirt.id]
    assert np.allclose(draped.geometry[f"layer:{skirt.id}"].vertices, fitted - [0, 0.05, 0], atol=1e-6)
    log = workers.log_when(1, lambda text: "Job OK" in text)
    assert "stopped mid-job" in log and log.count("Job OK") == 1, log[-3000:]
