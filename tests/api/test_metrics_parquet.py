"""Parquet export of the metrics: events partitioned by date (hive layout) on a folder and on an fsspec URL,
read back with pyarrow; ``fw metrics export --to URL`` and ``fw metrics purge``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import fsspec
import pyarrow.dataset as ds
import pyarrow.parquet as pq

import fw_kernel as fw

ROOT = Path(__file__).resolve().parent.parent


def _work(ws: fw.Workspace) -> str:
    design = ws.designs.create("Look")
    design.add_layer("sil-aline-dress")
    design.add_layer("fab-denim-indigo")
    design.checkpoint("v1")
    return design.id


def test_to_parquet_folder_and_memory_url(tmp_path: Path) -> None:
    with fw.connect(home=str(tmp_path / "fw"), user="ada", autosave_thread=False) as ws:
        did = _work(ws)
        written = ws.metrics.to_parquet(str(tmp_path / "out"))
        events = ws.metrics.events()
        again = ws.metrics.to_parquet("memory://fw-metrics-test/out")  # any fsspec URL
    assert written["events"] == len(events) and written == again
    table = ds.dataset(str(tmp_path / "out" / "events"), format="parquet", partitioning="hive").to_table()
    assert table.num_rows == len(events)
    assert set(table.column("date").to_pylist()) == {t.strftime("%Y-%m-%d") for t in events["time"]}
    assert str(table.schema.field("time").type) == "timestamp[us, tz=UTC]"
    frame = table.to_pandas().sort_values("id")
    assert list(frame["type"]) == list(events["type"].astype(str))
    props = [json.loads(p) for p in frame["properties"]]  # JSON text, for any reader
    assert [p.get("catalog_item") for p in props if "catalog_item" in p] == ["sil-aline-dress", "fab-denim-indigo"]
    stored = [t.value // 1000 for t in events.sort_values("id")["time"]]  # ns -> us: the same instants
    assert [t.value // 1000 for t in frame["time"]] == stored
    dirs = sorted(p.name for p in (tmp_path / "out" / "events").iterdir())
    assert dirs and all(d.startswith("date=") for d in dirs)
    designs = pq.read_table(tmp_path / "out" / "designs.parquet").to_pandas()
    assert list(designs["id"]) == [did] and designs["layers"].tolist() == [2]
    assert pq.read_table(tmp_path / "out" / "activity_daily.parquet").num_rows >= 1
    mem = fsspec.filesystem("memory")
    assert mem.exists("/fw-metrics-test/out/designs.parquet")
    assert any(p.endswith(".parquet") for p in mem.find("/fw-metrics-test/out/events"))


def test_cli_metrics_export_and_purge(tmp_path: Path) -> None:
    home = tmp_path / "fw"
    with fw.connect(home=str(home), user="ada", autosave_thread=False) as ws:
        _work(ws)
    env = {**os.environ, "FW_HOME": str(home), "FW_USER": "ada",
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "extension"), str(ROOT / "server")])}
    out = tmp_path / "lake"
    run = subprocess.run([sys.executable, "-m", "fw_kernel.cli", "metrics", "export", "--to", out.as_uri()],
                         env=env, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr
    assert "wrote events" in run.stdout and (out / "designs.parquet").exists()
    rows = ds.dataset(str(out / "events"), format="parquet", partitioning="hive").count_rows()
    assert rows >= 5  # session_opened + created + 2 layers + checkpoint (+ session_closed)
    purge = subprocess.run([sys.executable, "-m", "fw_kernel.cli", "metrics", "purge"], env=env,
                           capture_output=True, text=True, timeout=180)
    assert purge.returncode == 2 and "FW_EVENT_RETENTION_DAYS" in purge.stderr
    purge = subprocess.run([sys.executable, "-m", "fw_kernel.cli", "metrics", "purge", "--days", "30"], env=env,
                           capture_output=True, text=True, timeout=180)
    assert purge.returncode == 0 and "deleted 0 events" in purge.stdout


def test_parquet_rows_and_times_match_the_log_on_both_backends(connect, tmp_path: Path) -> None:
    ws = connect()
    _work(ws)
    events = ws.metrics.events().sort_values("id")
    written = ws.metrics.to_parquet(str(tmp_path / "lake"), batch=3)  # several batches through the cursor
    table = ds.dataset(str(tmp_path / "lake" / "events"), format="parquet", partitioning="hive").to_table()
    frame = table.to_pandas().sort_values("id")
    assert written["events"] == len(events) == len(frame)
    assert list(frame["id"]) == list(events["id"])
    assert [t.value // 1000 for t in frame["time"]] == [t.value // 1000 for t in events["time"]]
    assert [json.loads(p) for p in frame["properties"]] == list(events["properties"])
