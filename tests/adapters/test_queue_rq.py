"""The RQ job queue against the real Redis: tiers pick the priority queue, jobs carry the timeout and retries,
the request is stored with the export record, and FW_QUEUE picks the queue."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

import fw_kernel as fw
from fw_kernel.adapters.queue_rq import JOB_TIMEOUT_S, RUN_EXPORT, RqJobQueue, queue_names, rq_job_id
from fw_kernel.settings import Settings


@pytest.fixture
def prefix(redis_url: str):
    """A queue prefix of this test only; its keys are deleted afterwards."""
    import redis

    name = f"fwt-{uuid.uuid4().hex[:10]}"
    yield name
    client = redis.Redis.from_url(redis_url)
    for pattern in (f"*{name}*", f"*fw-export-{name}*"):
        for key in client.scan_iter(pattern):
            client.delete(key)
    client.close()


@pytest.mark.service
def test_tiers_pick_the_priority_queue_and_jobs_carry_timeout_and_retries(redis_url: str, prefix: str) -> None:
    from redis import Redis
    from rq import Queue

    tiers = {f"{prefix}-a": "free", f"{prefix}-b": "pro", f"{prefix}-c": "enterprise", f"{prefix}-d": "unheard-of"}
    queue = RqJobQueue(redis_url, prefix, tiers.__getitem__, backoff_s=(10, 60))
    for export_id in tiers:  # free first: the enterprise job still comes out first
        queue.submit(print, export_id, {"ignored": True})
    connection = Redis.from_url(redis_url)
    high, default, low = (Queue(n, connection=connection) for n in queue_names(prefix))
    assert low.job_ids == [rq_job_id(f"{prefix}-a")]
    assert default.job_ids == [rq_job_id(f"{prefix}-b"), rq_job_id(f"{prefix}-d")]
    assert high.job_ids == [rq_job_id(f"{prefix}-c")]
    job = high.fetch_job(rq_job_id(f"{prefix}-c"))
    assert job.func_name == RUN_EXPORT and job.args == (f"{prefix}-c",)  # the id only: the request is stored
    assert job.timeout == JOB_TIMEOUT_S == 600 and job.retries_left == 2 and job.retry_intervals == [10, 60]
    order = []
    while (result := Queue.dequeue_any([high, default, low], None, connection=connection)) is not None:
        order.append(result[0].args[0])
    assert order == [f"{prefix}-c", f"{prefix}-b", f"{prefix}-d", f"{prefix}-a"]
    queue.close()
    connection.close()


def test_fw_queue_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings(redis_url=None).resolved_queue == "local"
    assert Settings(redis_url="redis://127.0.0.1:6379/0").resolved_queue == "rq"
    assert Settings(redis_url="redis://127.0.0.1:6379/0", queue="local").resolved_queue == "local"
    monkeypatch.setenv("FW_QUEUE", "rq")
    monkeypatch.setenv("FW_EXPORT_RETRY_BACKOFF", "5, 7,30")
    monkeypatch.setenv("FW_QUEUE_PREFIX", "studio-a")
    settings = Settings.from_env()
    assert (settings.queue, settings.export_retry_backoff_s, settings.queue_prefix) == ("rq", (5, 7, 30), "studio-a")
    monkeypatch.setenv("FW_EXPORT_RETRY_BACKOFF", "")
    assert Settings.from_env().export_retry_backoff_s == ()


def test_rq_without_redis_is_refused_before_anything_is_created(tmp_path: Path) -> None:
    home = tmp_path / "fw"
    with pytest.raises(fw.ValidationError) as refused:
        fw.connect(home=str(home), queue="rq", autosave_thread=False)
    message = str(refused.value)
    assert "queue" in message and "FW_REDIS_URL" in message and "'local'" in message
    assert not home.exists()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_request_is_stored_with_the_record(connect) -> None:
    ws = connect()
    design = ws.designs.create("Stored")
    design.update_canvas(shadows=False)   # no avatar, nothing drawn: pyrender's shadow maps need a mesh
    layer = design.add_layer("sil-tshirt", customization={"color": "#225588"})
    handle = design.export("image", width=64, height=96, quality="draft")
    design.remove_layer(layer.id)  # after the request: the stored request keeps the layer
    job = handle.wait(progress=False)
    assert job.status == "completed" and job.retry_count == 0
    stored = ws._services.exports._store.request(job.id)
    assert [item["catalog_item_id"] for item in stored["state"]["layers"]] == ["sil-tshirt"]
    assert stored["body"] is None and "camera" in stored["canvas"]
    # a retry of a completed job (its worker died after completing) changes nothing: it completes once
    exports = ws._services.exports
    exports.run_stored(job.id, attempt=1, retries_left=1)
    assert exports.get(job.id) == job
    assert not exports._store.complete(job.id, file_url="file:///elsewhere", file_size=1)
    assert exports.get(job.id) == job


@pytest.mark.service
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_workspace_on_rq_queues_by_the_users_tier_in_the_store(backend, unique_user: str, redis_url: str,
                                                                  prefix: str) -> None:
    from redis import Redis
    from rq import Queue
    from sqlalchemy import update

    from fw_kernel.adapters.sql import tables as t

    ws = fw.connect(**{**backend, "redis_url": redis_url}, user=unique_user, queue_prefix=prefix,
                    autosave_thread=False)            # FW_QUEUE unset: rq, since Redis is configured
    assert ws.settings.resolved_queue == "rq"
    design = ws.designs.create("Tiered")
    free = design.export("image", width=64, height=96)
    with ws._services.engine.begin() as c:
        c.execute(update(t.users).where(t.users.c.name == ws.user).values(tier="enterprise"))
    paid = design.export("image", width=64, height=96)
    connection = Redis.from_url(redis_url)
    high, default, low = (Queue(n, connection=connection) for n in queue_names(prefix))
    assert low.job_ids == [rq_job_id(free.job.id)] and high.job_ids == [rq_job_id(paid.job.id)]
    assert default.job_ids == [] and free.status == paid.status == "queued"   # no worker: they wait
    assert ws._services.exports._store.request(paid.job.id)["state"]["layers"] == []
    for export_id in (free.job.id, paid.job.id):
        connection.delete(f"rq:job:{rq_job_id(export_id)}")
    connection.close()
    ws.close()


def test_fw_worker_needs_redis(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("FW_")} | {"FW_HOME": str(tmp_path / "fw")}
    result = subprocess.run([sys.executable, "-m", "fw_kernel.cli", "worker", "--burst"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "FW_REDIS_URL" in result.stderr


@pytest.mark.service
def test_the_worker_enforces_the_job_timeout_while_beating(redis_url: str, prefix: str) -> None:
    """The export worker runs jobs in its main thread (SIGALRM timeouts work) with heartbeats from another."""
    import subprocess
    import sys
    import time

    from redis import Redis
    from rq import Queue

    connection = Redis.from_url(redis_url)
    queue = Queue(queue_names(prefix)[1], connection=connection)
    slow = queue.enqueue("time.sleep", 30, job_id=f"fw-export-{prefix}-slow", job_timeout=2)
    quick = queue.enqueue("math.hypot", 3, 4, job_id=f"fw-export-{prefix}-quick")
    started = time.monotonic()
    code = (f"from fw_kernel.adapters.queue_rq import run_worker; run_worker({redis_url!r}, {prefix!r}, burst=True, "
            "heartbeat_s=1, heartbeat_grace_s=1, maintenance_s=1)")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=120)
    assert time.monotonic() - started < 25
    slow.refresh()
    quick.refresh()
    assert slow.get_status() == "failed" and "JobTimeoutException" in slow.latest_result().exc_string
    assert quick.get_status() == "finished" and quick.return_value() == 5.0
    connection.close()


def test_queue_subsets_for_worker_pools() -> None:
    assert queue_names("fw", ["low", "high"]) == ["fw-high", "fw-low"]  # always highest first
    with pytest.raises(ValueError, match="unknown queue priority urgent: choose from high, default, low"):
        queue_names("fw", ["high", "urgent"])
    with pytest.raises(ValueError, match="none given"):
        queue_names("fw", [])


@pytest.mark.service
def test_a_high_only_worker_leaves_the_other_queues(redis_url: str, prefix: str) -> None:
    import subprocess
    import sys

    from redis import Redis
    from rq import Queue

    connection = Redis.from_url(redis_url)
    high, default, _low = (Queue(n, connection=connection) for n in queue_names(prefix))
    top = high.enqueue("math.hypot", 3, 4, job_id=f"fw-export-{prefix}-top")
    rest = default.enqueue("math.hypot", 6, 8, job_id=f"fw-export-{prefix}-rest")
    code = (f"from fw_kernel.adapters.queue_rq import run_worker; run_worker({redis_url!r}, {prefix!r}, burst=True, "
            "priorities=['high'])")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=120)
    top.refresh()
    rest.refresh()
    assert top.get_status() == "finished" and top.return_value() == 5.0
    assert rest.get_status() == "queued" and default.job_ids == [rest.id]
    for job in (top, rest):
        job.delete()
    connection.close()


def test_fw_worker_refuses_an_unknown_queue(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("FW_")} | {
        "FW_HOME": str(tmp_path / "fw"), "FW_REDIS_URL": "redis://127.0.0.1:6379/0"}
    result = subprocess.run([sys.executable, "-m", "fw_kernel.cli", "worker", "--burst", "--queues", "high,urgent"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "unknown queue priority urgent" in result.stderr


@pytest.mark.service
def test_the_sweeper_queues_again_a_job_that_a_dead_worker_popped_or_redis_lost(redis_url: str, prefix: str) -> None:
    """A worker of several queues pops with BLPOP: killed before it registers the job as started, the job is in no
    queue and no registry, and RQ never runs it (the reliability suite's worker kills found this). The sweeper
    finds such jobs from the export records and queues them again, after they looked lost on two sweeps."""
    from redis import Redis
    from rq import Queue

    from fw_kernel.adapters.queue_rq import LazyRedis, LostJobSweeper

    queue = RqJobQueue(redis_url, prefix, lambda _: "free", backoff_s=())
    ids = [f"{prefix}-popped", f"{prefix}-waiting", f"{prefix}-running", f"{prefix}-forgotten",
           f"{prefix}-abandoned"]
    for export_id in ids:
        queue.submit(print, export_id)
    connection = Redis.from_url(redis_url)
    high, default, low = (Queue(n, connection=connection) for n in queue_names(prefix))
    assert connection.lpop(low.key) == rq_job_id(ids[0]).encode()        # popped by a worker that then died
    import time

    # a live worker runs this one (RQ 3 registers "job:execution" entries, scored by their expiry)
    connection.zadd(low.started_job_registry.key, {f"{rq_job_id(ids[2])}:execution-1": time.time() + 60})
    connection.lrem(low.key, 1, rq_job_id(ids[2]))
    # its worker's lease ran out a minute ago and RQ's registry cleanup has not retried it
    connection.zadd(low.started_job_registry.key, {f"{rq_job_id(ids[4])}:execution-2": time.time() - 60})
    connection.lrem(low.key, 1, rq_job_id(ids[4]))
    connection.delete(f"rq:job:{rq_job_id(ids[3])}")                     # Redis restarted and lost it
    connection.lrem(low.key, 1, rq_job_id(ids[3]))
    resubmitted: list[str] = []

    def resubmit(export_id: str) -> None:
        resubmitted.append(export_id)
        queue.submit(print, export_id)

    sweeper = LostJobSweeper(LazyRedis(redis_url), prefix, lambda older_than_s: ids, resubmit, grace_s=0.2)
    lost = sorted([ids[0], ids[3], ids[4]])
    assert sorted(sweeper.lost(ids)) == lost
    assert sweeper.sweep() == [] and resubmitted == []                    # first seen: not yet
    assert sweeper.sweep() == []                                          # seen again, but within the grace
    time.sleep(0.25)
    assert sorted(sweeper.sweep()) == lost == sorted(resubmitted)
    assert all(rq_job_id(i) in low.job_ids for i in lost)
    assert sweeper.lost(ids) == [] and sweeper.sweep() == []             # held again: nothing to do
    assert not list(connection.scan_iter(f"{prefix}:lost-since:*"))      # no marker left behind
    assert high.count == default.count == 0
    queue.close()
    connection.close()
