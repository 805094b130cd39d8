"""SIGKILL of the RQ export worker at random points while a notebook kernel edits its designs with auto-save on and
queues exports (issue #21): 10 kills in the default run, 100 in the slow one. Workers are forked from a warmed-up
zygote (:mod:`tests.reliability.worker_zygote`) on the real Redis with a queue prefix of the test's own; each is
killed (its whole process group) 0.1-2 s (slow run: 0.1-1 s) after it started and the next one starts at once, so
kills land before, during and after jobs. Afterwards every acknowledged edit must be saved, and every queued export
must have completed exactly once: one file, no partial write, the picture or video of its request, the record's
retry count no larger than the kills."""

from __future__ import annotations

import contextlib
import io
import os
import random
import signal
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import fw_kernel as fw
from fw_kernel.adapters.exports_cleanup import cleanup_exports
from fw_kernel.domain.exports import ExportJob
from tests.reliability.faults import Zygote, _alive
from tests.reliability.world import record

pytestmark = pytest.mark.service

FAST = ["--heartbeat", "1", "--grace", "1", "--maintenance", "1", "--lost-grace", "1"]   # retried within ~2 s
DESIGNS = 3
MAX_LAYERS = 30
BACKLOG = 8               # exports waiting or running at once
RETRIES = 12              # retries at once, so that an export survives many kills


class WorkerZygote(Zygote):
    """``spawn()`` an ``fw worker`` (forked), ``kill()`` its process group with SIGKILL."""

    def __init__(self, env: dict[str, str | None], logs: Path):
        super().__init__("tests.reliability.worker_zygote", env, args=tuple(FAST))
        self.logs = logs
        self.pid: int | None = None
        self.count = 0

    def spawn(self) -> None:
        self.pid = self.fork(f"spawn {self.logs / f'worker{self.count}.log'}")
        self.count += 1

    def kill(self) -> None:
        if self.pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while _alive(self.pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not _alive(self.pid), f"worker {self.pid} outlived SIGKILL"
        self.pid = None

    def log(self) -> str:
        return "".join(p.read_text(errors="replace") for p in sorted(self.logs.glob("worker*.log")))

    def close(self) -> None:
        self.kill()
        super().close()


@pytest.fixture
def rq_world(redis_url: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    import redis

    prefix = f"fwt-kill-{uuid.uuid4().hex[:10]}"
    user = f"kill-{uuid.uuid4().hex[:8]}"
    home = tmp_path / "fw"
    settings = {"home": str(home), "user": user, "queue": "rq", "redis_url": redis_url, "queue_prefix": prefix}
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("FW_")}   # only the test's own
    env.update({"FW_HOME": str(home), "FW_REDIS_URL": redis_url, "FW_QUEUE_PREFIX": prefix, "FW_USER": user,
                "FW_EXPORT_RETRY_BACKOFF": ",".join(["0"] * RETRIES)})
    logs = tmp_path / "logs"
    logs.mkdir()
    zygote = WorkerZygote(env, logs)
    yield {"settings": settings, "zygote": zygote}
    zygote.close()
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)
    client.close()


def _request(rng: random.Random, k: int) -> dict[str, Any]:
    """A distinct export each time (its own size), mostly images, every fifth a 40-frame video."""
    if k % 5 == 4:
        return {"kind": "video", "width": 48, "height": 64 + 2 * (k % 16), "fps": 20, "duration": 2}
    return {"kind": "image", "width": 40 + k % 48, "height": 56 + k % 40, "quality": "draft",
            "view": rng.choice(["front", "back", "left", "right"])}


def _check_export(job: ExportJob, request: dict[str, Any], home: Path) -> list[str]:
    if job.status != "completed":
        return [f"export {job.id} ended {job.status}: {job.error}"]
    folder = home / "blobs" / "exports" / job.design_id / job.id
    files = sorted(p.name for p in folder.iterdir())
    expected = f"{request['view']}.png" if request["kind"] == "image" else "turntable.mp4"
    if files != [expected]:
        return [f"export {job.id} left {files} (one file expected)"]
    data = Path(job.path).read_bytes()
    if len(data) != job.file_size:
        return [f"export {job.id}: {len(data)} bytes stored, {job.file_size} recorded"]
    if request["kind"] == "image":
        shape = np.asarray(Image.open(io.BytesIO(data))).shape
        if shape[:2] != (request["height"], request["width"]):
            return [f"image {job.id} is {shape}, asked {request['height']}x{request['width']}"]
    else:
        import av

        with av.open(job.path) as container:
            frames = list(container.decode(video=0))
        if len(frames) != request["fps"] * request["duration"] or frames[0].height != request["height"]:
            return [f"video {job.id}: {len(frames)} frames of height {frames[0].height}"]
    return []


def _started_jobs(settings: dict[str, Any]) -> int:
    from redis import Redis
    from rq import Queue
    from rq.registry import StartedJobRegistry

    from fw_kernel.adapters.queue_rq import queue_names

    with Redis.from_url(settings["redis_url"]) as connection:
        return sum(StartedJobRegistry(queue=Queue(name, connection=connection)).count
                   for name in queue_names(settings["queue_prefix"]))


def _run_trials(world: dict[str, Any], n: int, seed: int, span: tuple[float, float] = (0.1, 2.0)) -> dict[str, Any]:
    """``n`` workers, each SIGKILLed ``span`` seconds (uniformly random) after it was forked."""
    rng = random.Random(seed)
    settings, zygote = world["settings"], world["zygote"]
    home = Path(settings["home"])
    ws = fw.connect(**settings, autosave_debounce_s=0.05, export_retry_backoff_s=(0,) * RETRIES)
    designs = []
    for d in range(DESIGNS):
        design = ws.designs.create(f"worker kill {d}")
        design.update_canvas(shadows=False)   # no avatar: the workers draw without loading the body model
        designs.append(design)
    acked: dict[str, dict[str, int]] = {d.id: {} for d in designs}   # design -> layer name -> opacity
    exports: list[tuple[Any, dict[str, Any]]] = []
    kills_mid_job = 0
    store = ws._services.exports
    backlog: list[Any] = []
    edits_acked = 0
    started = time.monotonic()
    k = 0
    for _ in range(n):
        zygote.spawn()
        kill_at = time.monotonic() + rng.uniform(*span)
        while time.monotonic() < kill_at:
            design = rng.choice(designs)
            layers = design.layers
            if len(layers) < MAX_LAYERS and (not layers or rng.random() < 0.4):
                name = f"layer-{k}"
                opacity = rng.randint(0, 100)
                design.add_layer("acc-leather-belt", name=name, opacity=opacity)
            else:
                target = rng.choice(layers)
                name, opacity = target.name, rng.randint(0, 100)
                design.update_layer(target.id, opacity=opacity)
            acked[design.id][name] = opacity
            edits_acked += 1
            backlog = [h for h in backlog if not store.get(h.job.id).done]
            if len(backlog) < BACKLOG:   # the worker always has work, and the queue drains in seconds
                request = _request(rng, k)
                kind = request.pop("kind")
                exports.append((design.export(kind, **request), {"kind": kind, **request}))
                backlog.append(exports[-1][0])
            k += 1
            time.sleep(rng.uniform(0.0, 0.05))
        busy = _started_jobs(settings)   # RQ's view: dequeued by the worker and not finished
        zygote.kill()
        kills_mid_job += bool(busy)
    kills = n
    print(f"[worker-kill] trials done at {time.monotonic() - started:.1f} s")
    zygote.spawn()   # the last worker drains the queue and retries what the killed ones left
    deadline = time.monotonic() + 90
    while not all(store.get(h.job.id).done for h, _ in exports) and time.monotonic() < deadline:
        time.sleep(0.1)
    print(f"[worker-kill] drained at {time.monotonic() - started:.1f} s")
    # a worker SIGKILLed inside a blob write leaves its `.partial` (written aside, then moved: no reader sees half a
    # file); `fw exports cleanup` removes such leftovers once no write can be in progress, as here (all ended)
    removed, _ = cleanup_exports(store._store, f"file://{home / 'blobs'}", datetime.now(UTC), timedelta(0))
    dead_writes = [r for r in removed if r.export_id is None]
    problems: list[str] = []
    retried = 0
    for handle, request in exports:
        job = store.get(handle.job.id)
        problems += _check_export(job, request, home)
        retried += job.retry_count > 0
        if job.retry_count > kills:
            problems.append(f"export {job.id} retried {job.retry_count} times after {kills} kills")
    partial = list((home / "blobs").rglob("*.partial"))
    if partial:
        problems.append(f"partial writes left: {partial}")
    # every design loads and renders: one more export each, after the last edit
    finals = [d.export("image", width=32, height=48, quality="draft") for d in designs]
    for handle in finals:
        job = handle.wait(timeout=120, progress=False)
        if job.status != "completed":
            problems.append(f"final render of {job.design_id} ended {job.status}: {job.error}")
    ws.close()   # flushes auto-save
    again = fw.connect(**{**settings, "queue": "local"}, autosave_thread=False)
    edits = 0
    for design in designs:
        saved = {x.name: x.opacity for x in again.designs.get(design.id).layers}
        for name, opacity in acked[design.id].items():
            edits += 1
            if saved.get(name) != opacity:
                problems.append(f"{design.id}: acknowledged {name} opacity {opacity}, saved {saved.get(name)}")
        if set(saved) != set(acked[design.id]):
            problems.append(f"{design.id}: layers {sorted(set(saved) ^ set(acked[design.id]))} differ")
    again.close()
    log = zygote.log()
    assert not problems, "\n".join(problems) + "\n--- worker logs, last lines:\n" + log[-6000:]
    figures = {"trials": n, "kills": kills, "kills_mid_job": kills_mid_job, "exports": len(exports),
               "exports_retried": retried, "requeued_by_sweeper": log.count("was in no queue or registry"),
               "edits_acknowledged": edits_acked, "layers_checked": edits, "jobs_ok_logged": log.count("Job OK"),
               "dead_partial_writes_cleaned": len(dead_writes), "lost": 0, "duplicated": 0,
               "seconds": round(time.monotonic() - started, 1)}
    assert kills_mid_job >= n // 3, f"too few kills landed mid-job to prove anything: {figures}"
    assert retried >= 1 and "stopped mid-job" in log, figures
    return figures


def test_sigkill_of_the_worker_at_random_points_loses_no_export_and_no_edit(rq_world: dict[str, Any]) -> None:
    record("worker_sigkill", **_run_trials(rq_world, 10, seed=31))


@pytest.mark.slow
def test_sigkill_of_the_worker_100_times(rq_world: dict[str, Any]) -> None:
    record("worker_sigkill_slow", **_run_trials(rq_world, 100, seed=3100, span=(0.1, 1.0)))
