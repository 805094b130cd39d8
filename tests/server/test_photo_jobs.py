"""Photo avatar processes kept in Redis: any service process answers for them, only to the user who asked,
and they hold no photo (the photos stay in the memory of the process that measures them)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from types import SimpleNamespace

import pytest
import redis

from fw_kernel.domain.errors import NotFound, ValidationError
from fw_server.photos import PhotoJobs

pytestmark = pytest.mark.service


def _until_done(jobs: PhotoJobs, user: str, job_id: str) -> dict:
    deadline = time.monotonic() + 10
    while (state := jobs.get(user, job_id))["status"] == "processing" and time.monotonic() < deadline:
        time.sleep(0.02)
    return state


def test_processes_are_shared_through_redis_and_private(redis_url: str) -> None:
    prefix = f"fw:t:photo:{uuid.uuid4().hex}"
    one, two = PhotoJobs(None, redis_url, 1, prefix), PhotoJobs(None, redis_url, 1, prefix)
    release = threading.Event()
    try:
        def run(progress) -> SimpleNamespace:
            progress(50, "measuring")
            release.wait(10)
            return SimpleNamespace(id="a1")

        started = one.start("alice", "a1", "Ada", run)
        assert started["status"] == "processing" and started["progress"] == 0
        deadline = time.monotonic() + 10
        while two.get("alice", "a1")["step"] != "measuring" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert two.get("alice", "a1")["progress"] == 50                  # another process sees the progress
        with pytest.raises(NotFound, match="not yours"):
            two.get("bob", "a1")
        release.set()
        done = _until_done(two, "alice", "a1")
        assert (done["status"], done["progress"], done["avatar_id"]) == ("completed", 100, "a1")

        def refused(progress) -> None:
            raise ValidationError("front photo: no person found", field="front")

        one.start("alice", "a2", "Bo", refused)
        failed = _until_done(two, "alice", "a2")
        assert failed["status"] == "failed" and failed["error"]["error"] == "validation_error"
        assert failed["error"]["field"] == "front" and failed["error"]["message"] == "front photo: no person found"
        client = redis.Redis.from_url(redis_url)
        stored = json.loads(client.get(f"{prefix}:a1"))
        assert set(stored) == {"id", "user", "name", "status", "progress", "step", "avatar_id", "error",
                               "created_at", "updated_at"}                  # no photo in Redis
        assert 0 < client.ttl(f"{prefix}:a1") <= 24 * 3600
        client.delete(f"{prefix}:a1", f"{prefix}:a2")
        client.close()
    finally:
        release.set()
        one.close()
        two.close()
