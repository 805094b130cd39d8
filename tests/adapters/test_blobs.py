"""The blob store, kept photos, exports (the service's signed downloads) and ``fw exports cleanup``, on a local
folder and on a real S3-protocol server (moto on loopback, s3fs): the same contract on both."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from fw_kernel.adapters.blobs import FsspecBlobStore
from fw_kernel.adapters.exports_cleanup import cleanup_exports
from tests.support.service import RunningService, kernel_services, service_config


@pytest.fixture(params=["file", pytest.param("s3", marks=pytest.mark.service)])
def storage_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "file":
        return (tmp_path / "blobs").as_uri()
    return str(request.getfixturevalue("s3_url"))


def _raw(url: str) -> bytes:
    """What lies in the store, read without the blob store (fsspec directly)."""
    import fsspec

    with fsspec.open(url, "rb") as handle:
        return handle.read()  # type: ignore[no-any-return]


def test_put_read_exists_delete(storage_url: str) -> None:
    store = FsspecBlobStore(storage_url)
    url = store.put("exports/d1/j1/design.glb", b"glTF-bytes")
    assert url == f"{storage_url}/exports/d1/j1/design.glb"
    assert store.read_url(url) == b"glTF-bytes" == _raw(url)
    assert store.exists("exports/d1/j1/design.glb") and store.exists_url(url)
    assert store.put("exports/d1/j1/design.glb", b"second") == url and store.read_url(url) == b"second"
    import fsspec

    fs, root = fsspec.core.url_to_fs(storage_url)
    assert not [p for p in fs.find(root) if p.endswith(".partial")]   # written aside, then moved: none left
    with pytest.raises(ValueError, match="not in this blob store"):
        store.read_url("s3://elsewhere/x")
    assert not store.exists_url("s3://elsewhere/x")
    store.delete("exports/d1/j1/design.glb")
    assert not store.exists("exports/d1/j1/design.glb")
    with pytest.raises(FileNotFoundError):
        store.read_url(url)


def test_presigned_urls_on_s3_only(storage_url: str) -> None:
    store = FsspecBlobStore(storage_url)
    url = store.put("exports/d/j/look.png", b"\x89PNG-data")
    link = store.presigned_url(url, 30, "look.png", "image/png")
    if storage_url.startswith("file:"):
        assert link is None
        return
    assert link is not None and link.startswith("http://127.0.0.1:") and "Signature" in link
    got = requests.get(link, timeout=30)                      # no credentials: the signature is the permission
    assert got.status_code == 200 and got.content == b"\x89PNG-data"
    assert got.headers["Content-Type"] == "image/png" and 'filename="look.png"' in got.headers["Content-Disposition"]
    tampered = link.replace("look.png", "other.png")
    assert requests.get(tampered, timeout=30).status_code == 403


def test_kept_photos_are_encrypted_at_rest(storage_url: str) -> None:
    from fw_kernel.adapters.photo_vault import EncryptedPhotoVault

    vault = EncryptedPhotoVault(FsspecBlobStore(storage_url), os.urandom(32))
    jpeg = b"\xff\xd8\xff\xe0" + b"PhoneMaker" + bytes(200)
    vault.put("av1", "front", jpeg)
    vault.put("av1", "side", jpeg[::-1])
    assert vault.get("av1", "front") == jpeg and vault.get("av1", "side") == jpeg[::-1]
    raw = _raw(vault.stored_path("av1", "front"))
    assert raw[:4] == b"FWP1" and b"PhoneMaker" not in raw and b"\xff\xd8\xff" not in raw[:64]
    assert vault.get("av2", "front") is None
    assert vault.delete("av1") == 2 and vault.get("av1", "front") is None and vault.delete("av1") == 0


class _Jobs:
    """The slice of the export store ``cleanup_exports`` uses."""

    def __init__(self, jobs: list[Any]):
        self.jobs = {j.id: j for j in jobs}
        self.updates: dict[str, dict[str, Any]] = {}

    def expired(self, now: datetime) -> list[Any]:
        return [j for j in self.jobs.values() if j.file_url and j.expires_at <= now and j.id not in self.updates]

    def update(self, job_id: str, **changes: Any) -> None:
        self.updates[job_id] = changes


class _Job:
    def __init__(self, id: str, file_url: str, expires_at: datetime, file_size: int = 3):
        self.id, self.file_url, self.expires_at, self.file_size = id, file_url, expires_at, file_size


def test_exports_cleanup_removes_expired_files_and_stale_partials(storage_url: str) -> None:
    store = FsspecBlobStore(storage_url)
    now = datetime.now(UTC)
    old = store.put("exports/d1/old/design.glb", b"old")
    fresh = store.put("exports/d1/fresh/design.glb", b"new")
    partial = store.put("exports/d1/dead/.0a1b.partial", b"half")    # a writer that died half-way
    jobs = _Jobs([_Job("old", old, now - timedelta(days=1)), _Job("fresh", fresh, now + timedelta(days=6)),
                  _Job("far", "s3://another-bucket/exports/x.glb", now - timedelta(days=1))])
    removed, notes = cleanup_exports(jobs, storage_url, now + timedelta(hours=2))
    assert {(r.export_id, r.url) for r in removed} == {("old", old), (None, partial)}
    assert not store.exists_url(old) and not store.exists_url(partial) and store.read_url(fresh) == b"new"
    assert jobs.updates == {"old": {"file_url": None}}
    assert len(notes) == 1 and "another-bucket" in notes[0] and "left alone" in notes[0]
    again, _ = cleanup_exports(jobs, storage_url, now + timedelta(hours=2))
    assert again == []


@pytest.mark.slow
def test_an_export_on_the_blob_store_downloads_through_the_signed_link(storage_url: str, tmp_path: Path) -> None:
    """A GLB export through the service; the signed link answers the file (local folder) or redirects to a
    pre-signed URL served by S3 (after the same checks)."""
    services = kernel_services(tmp_path / "fw", storage_url=storage_url)
    running = RunningService(services, service_config()).start()
    try:
        alice = running.client("alice")
        avatar = alice.post("/avatars", json={"name": "Ada", "measurements": {"height": 168, "bust": 88, "waist": 70,
                                                                            "hips": 96}, "body_hint": "female"})
        did = alice.post("/designs", json={"name": "Export me", "avatar_id": avatar.json()["id"]}).json()["id"]
        alice.post(f"/designs/{did}/layers", json={"item_id": "sil-aline-dress"})
        job = alice.post(f"/designs/{did}/exports", json={"type": "model", "options": {"format": "glb"}}).json()
        deadline = time.monotonic() + 120
        while job["status"] not in ("completed", "failed") and time.monotonic() < deadline:
            time.sleep(0.2)
            job = alice.get(f"/exports/{job['id']}").json()
        assert job["status"] == "completed", job.get("error")
        record = services.exports.get(job["id"]) if services.exports else None
        assert record is not None and record.file_url.startswith(storage_url + "/exports/")
        url = running.base[: -len(running.config.prefix)] + job["download_url"]
        first = requests.get(url, timeout=30, allow_redirects=False)
        if storage_url.startswith("s3:"):
            assert first.status_code == 307 and first.headers["Location"].startswith("http://127.0.0.1:")
        else:
            assert first.status_code == 200
        got = requests.get(url, timeout=30)
        assert got.status_code == 200 and got.content[:4] == b"glTF" and len(got.content) == job["file_size"]
        assert got.headers["Content-Type"] == "model/gltf-binary"
        assert requests.get(url.replace("user=alice", "user=bob"), timeout=30).status_code == 403
        running.service.config.presigned_downloads = False   # FW_SERVICE_PRESIGNED_DOWNLOADS=0: streamed
        streamed = requests.get(url, timeout=30, allow_redirects=False)
        assert streamed.status_code == 200 and streamed.content == got.content
        FsspecBlobStore(storage_url).delete(record.file_url[len(storage_url) + 1:])
        gone = requests.get(url, timeout=30)
        assert gone.status_code == 404 and "file is gone" in gone.json()["message"]
    finally:
        running.stop()
        services.close()


@pytest.mark.service
def test_metrics_parquet_to_s3(s3_url: str, tmp_path: Path) -> None:
    """``ws.metrics.to_parquet("s3://...")``: the event log partitioned by day and the tables, read back from S3."""
    import fsspec
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq
    from pyarrow.fs import FSSpecHandler, PyFileSystem

    import fw_kernel as fw

    with fw.connect(home=str(tmp_path / "fw"), user="ada", autosave_thread=False) as ws:
        design = ws.designs.create("Look")
        design.add_layer("sil-aline-dress")
        written = ws.metrics.to_parquet(s3_url + "/metrics")
        events = ws.metrics.events()
    assert written["events"] == len(events) > 0
    fs, root = fsspec.core.url_to_fs(s3_url + "/metrics")
    pafs = PyFileSystem(FSSpecHandler(fs))
    table = ds.dataset(f"{root}/events", format="parquet", partitioning="hive", filesystem=pafs).to_table()
    assert table.num_rows == len(events) and all(p.startswith(f"{root}/events/date=")
                                                 for p in fs.find(f"{root}/events"))
    designs = pq.read_table(f"{root}/designs.parquet", filesystem=pafs).to_pandas()
    assert list(designs["id"]) == [design.id] and designs["layers"].tolist() == [1]
