"""Design metrics as Parquet (pyarrow) on any fsspec URL: the event log partitioned by day (hive layout:
``events/date=2026-12-03/part-0-0.parquet``), the other tables one file each. DuckDB, Spark and Trino read it
as is (``read_parquet('.../events/*/*.parquet', hive_partitioning = true)``)."""

from __future__ import annotations

import json
from typing import Any

EVENTS_SCHEMA_FIELDS = (("id", "int64"), ("time", "timestamp"), ("type", "string"), ("actor", "string"),
                        ("design_id", "string"), ("properties", "string"))


def _arrow() -> tuple[Any, Any, Any, Any]:
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.dataset as ds
        import pyarrow.parquet as pq
    except ImportError as exc:  # pragma: no cover - pyarrow comes with the metrics extra
        raise ImportError("Parquet export needs pyarrow: pip install 'fashion-wallet-studio[metrics]'") from exc
    return pa, pc, ds, pq


def _filesystem(url: str) -> tuple[Any, str, Any]:
    """(fsspec filesystem, root path, the same filesystem for pyarrow)."""
    import fsspec
    from pyarrow.fs import FSSpecHandler, PyFileSystem

    fs, root = fsspec.core.url_to_fs(url)
    return fs, root.rstrip("/") or "/", PyFileSystem(FSSpecHandler(fs))


def events_table(cols: dict[str, list[Any]]) -> Any:
    """An Arrow table of event columns with its ``date`` partition column (UTC day)."""
    pa, pc, _, _ = _arrow()
    if "time_us" in cols:  # the SQL reader's export columns: microseconds since the epoch
        times = pa.array(cols["time_us"], type=pa.int64()).cast(pa.timestamp("us", tz="UTC"))
    elif cols["time"] and isinstance(cols["time"][0], str):  # over the design service: ISO 8601 text
        import pandas as pd

        times = pa.array(pd.to_datetime(pd.Series(cols["time"]), utc=True, format="ISO8601"),
                         type=pa.timestamp("us", tz="UTC"))
    else:
        times = pa.array(cols["time"], type=pa.timestamp("us", tz="UTC"))
    return pa.table({
        "id": pa.array(cols["id"], type=pa.int64()),
        "time": times,
        "type": pa.array(cols["type"], type=pa.string()),
        "actor": pa.array(cols["actor"], type=pa.string()),
        "design_id": pa.array(cols["design_id"], type=pa.string()),
        "properties": pa.array([v if isinstance(v, str) else json.dumps(v, separators=(",", ":"))
                                for v in cols["properties"]], type=pa.string()),
        "date": pc.strftime(times, format="%Y-%m-%d"),
    })


def write_metrics(metrics: Any, url: str, batch: int = 200_000) -> dict[str, int]:
    """Write ``metrics`` (a :class:`fw_kernel.api.metrics.Metrics`) under ``url``; a previous export there is
    replaced. Returns the rows written per table."""
    pa, _, ds, pq = _arrow()
    fs, root, pafs = _filesystem(url)
    events_dir = f"{root}/events"
    if fs.exists(events_dir):
        fs.rm(events_dir, recursive=True)
    fs.makedirs(events_dir, exist_ok=True)
    written = {"events": 0}
    for n, cols in enumerate(metrics._iter_events(batch)):
        table = events_table(cols)
        if not table.num_rows:
            continue
        ds.write_dataset(table, events_dir, format="parquet", filesystem=pafs,
                         partitioning=ds.partitioning(pa.schema([("date", pa.string())]), flavor="hive"),
                         basename_template=f"part-{n}-{{i}}.parquet", existing_data_behavior="overwrite_or_ignore",
                         max_rows_per_group=batch)
        written["events"] += table.num_rows
    for name, frame in (("designs", metrics.designs()), ("exports", metrics.exports()),
                        ("catalog_usage", metrics.catalog_usage()),
                        ("activity_daily", metrics.activity("D").reset_index())):
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), f"{root}/{name}.parquet", filesystem=pafs)
        written[name] = len(frame)
    return written
