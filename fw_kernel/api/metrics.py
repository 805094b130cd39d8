"""``ws.metrics``: design metrics as pandas DataFrames with typed columns, the same locally and over the design
service (whose answers are the same columns as JSON).

Datetimes are timezone-aware UTC, categories are ``category``, counts nullable ``Int64``, money and metres
``Float64``, ids and names ``string``. pandas and pyarrow are imported on first use (the ``metrics`` extra).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..domain.events import EVENT_TYPES

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

_DESIGN_STATUS = ("draft", "in_review", "published", "archived")
_VISIBILITY = ("private", "shared", "public", "unlisted")
_EXPORT_STATUS = ("queued", "processing", "completed", "failed")
_EXPORT_TYPES = ("image", "video", "model", "techpack")
_ITEM_TYPES = ("silhouette", "fabric", "pattern", "element", "accessory")


def _pd() -> Any:
    try:
        import pandas
    except ImportError as exc:  # pragma: no cover - pandas comes with the metrics extra
        raise ImportError("ws.metrics needs pandas: pip install 'fashion-wallet-studio[metrics]'") from exc
    return pandas


def _times(values: list[Any]) -> Any:
    """A UTC datetime Series of aware datetimes (the local store's), ISO 8601 strings (the design service's JSON)
    or None (NaT)."""
    pd = _pd()
    if values and all(v is None or (isinstance(v, datetime) and v.tzinfo is not None) for v in values):
        # as naive UTC first: pandas converts aware datetimes (psycopg's ZoneInfo('Etc/UTC')) several times slower
        naive = [None if v is None else v.astimezone(UTC).replace(tzinfo=None) for v in values]
        return pd.Series(pd.DatetimeIndex(naive, dtype="datetime64[ns]").tz_localize("UTC"))
    return pd.to_datetime(pd.Series(values, dtype=object), utc=True, format="ISO8601")


def _category(values: list[Any], categories: tuple[str, ...] | None = None) -> Any:
    pd = _pd()
    if categories is not None:
        extra = sorted({v for v in values if v is not None and v not in categories})
        return pd.Categorical(values, categories=[*categories, *extra])
    return pd.Categorical(values)


def _frame(columns: dict[str, Any], index: str | None = None) -> pd.DataFrame:
    df = _pd().DataFrame(columns)
    return df.set_index(index) if index else df


def designs_frame(cols: dict[str, list[Any]]) -> pd.DataFrame:
    pd = _pd()
    return _frame({
        "id": pd.array(cols["id"], dtype="string"),
        "name": pd.array(cols["name"], dtype="string"),
        "owner": _category(cols["owner"]),
        "category": _category(cols["category"]),
        "status": _category(cols["status"], _DESIGN_STATUS),
        "visibility": _category(cols["visibility"], _VISIBILITY),
        "created": _times(cols["created"]),
        "updated": _times(cols["updated"]),
        "deleted": _times(cols["deleted"]),
        "fork_from": pd.array(cols["fork_from"], dtype="string"),
        **{k: pd.array(cols[k], dtype="Int64") for k in ("layers", "versions", "forks", "collaborators",
                                                          "comments", "exports")},
        "last_activity": _times(cols["last_activity"]),
        "fabric_m": pd.array(cols["fabric_m"], dtype="Float64"),
        "cost_eur": pd.array(cols["cost_eur"], dtype="Float64"),
        "readable": pd.array(cols["readable"], dtype="boolean"),
    })


def _props(values: list[Any]) -> list[dict[str, Any]]:
    return [json.loads(v) if isinstance(v, str) else (v or {}) for v in values]


def events_frame(cols: dict[str, list[Any]]) -> pd.DataFrame:
    pd = _pd()
    return _frame({
        "id": pd.array(cols["id"], dtype="Int64"),
        "time": _times(cols["time"]),
        "type": _category(cols["type"], EVENT_TYPES),
        "actor": _category(cols["actor"]),
        "design_id": pd.array(cols["design_id"], dtype="string"),
        "properties": pd.Series(_props(cols["properties"]), dtype=object),
    })


def activity_frame(cols: dict[str, list[Any]], freq: str) -> pd.DataFrame:
    """Periods without events are there with zeros (a continuous time series)."""
    pd = _pd()
    counts = [c for c in cols if c != "period"]
    df = pd.DataFrame({c: pd.array(cols[c], dtype="Int64") for c in counts},
                      index=pd.DatetimeIndex(_times(cols["period"]), name="period"))
    if len(df):
        step = {"h": "h", "H": "h", "D": "D", "W": "W-MON", "W-MON": "W-MON", "M": "MS", "MS": "MS",
                "ME": "MS"}[freq]
        full = pd.date_range(df.index.min(), df.index.max(), freq=step, tz="UTC", name="period")
        df = df.reindex(full.union(df.index), fill_value=0)
    return df.astype("Int64")


def catalog_frame(cols: dict[str, list[Any]]) -> pd.DataFrame:
    pd = _pd()
    return _frame({
        "catalog_item": pd.array(cols["catalog_item"], dtype="string"),
        "name": pd.array(cols["name"], dtype="string"),
        "type": _category(cols["type"], _ITEM_TYPES),
        "price": pd.array(cols["price"], dtype="Float64"),
        "currency": _category(cols["currency"]),
        **{k: pd.array(cols[k], dtype="Int64") for k in ("designs", "layers", "times_added")},
        "first_used": _times(cols["first_used"]),
        "last_used": _times(cols["last_used"]),
    })


def exports_frame(cols: dict[str, list[Any]]) -> pd.DataFrame:
    pd = _pd()
    created, started, completed = _times(cols["created"]), _times(cols["started"]), _times(cols["completed"])
    ended = _times(cols["ended"])
    return _frame({
        "id": pd.array(cols["id"], dtype="string"),
        "design_id": pd.array(cols["design_id"], dtype="string"),
        "user": _category(cols["user"]),
        "type": _category(cols["type"], _EXPORT_TYPES),
        "format": _category(cols["format"]),
        "status": _category(cols["status"], _EXPORT_STATUS),
        "created": created, "started": started, "completed": completed, "ended": ended,
        "queue_wait_s": pd.array((started - created).dt.total_seconds(), dtype="Float64"),
        "duration_s": pd.array((ended - started.fillna(created)).dt.total_seconds(), dtype="Float64"),
        "file_size": pd.array(cols["file_size"], dtype="Int64"),
        "retry_count": pd.array(cols["retry_count"], dtype="Int64"),
        "error": pd.array(cols["error"], dtype="string"),
    })


class Metrics:
    """``ws.metrics``: DataFrames of the designs the user can read (an analyst: every design's metrics rows,
    without private content: no snapshots, comment texts or photos; names only of designs they can read)."""

    def __init__(self, ws: Any):
        self._ws = ws
        self._opened: float | None = None

    def _session(self, kind: str) -> None:
        """``session_opened`` on connect, ``session_closed`` (with its duration) on close; best-effort."""
        import logging
        import time

        service = getattr(self._ws.services, "metrics", None)
        if service is None or not hasattr(service, "record"):
            return
        props: dict[str, Any] = {}
        if kind == "session_opened":
            self._opened = time.monotonic()
        elif self._opened is None:
            return
        else:
            props["duration_s"] = round(time.monotonic() - self._opened, 3)
            self._opened = None
        try:
            service.record(self._ws.user, kind, **props)
        except Exception as exc:  # never fails a connect or a close
            logging.getLogger(__name__).warning("%s event not written: %s", kind, exc)

    @property
    def _service(self) -> Any:
        service = self._ws.services.metrics
        if service is None:
            from ..domain.errors import NotFound

            raise NotFound("this workspace has no metrics (they come from the relational store of connect() or "
                           "the design service)", field="metrics")
        return service

    def _scope(self) -> Any:
        return self._service.scope(self._ws.user)

    def designs(self) -> pd.DataFrame:
        """One row per design: id, name, owner, category, status, visibility, created, updated, deleted, fork_from,
        layers, versions, forks, collaborators, comments, exports, last_activity, fabric_m (m) and cost_eur (EUR)
        estimated from the bill of materials, readable."""
        return designs_frame(self._service.designs(self._scope()))

    def events(self, since: Any = None, until: Any = None, types: Any = None, design: Any = None,
               limit: int | None = None) -> pd.DataFrame:
        """The event log, oldest first: id, time, type, actor, design_id, properties (dicts). ``since``/``until``:
        datetimes or ISO strings (naive: UTC), ``until`` excluded; ``types``: a type or a list; ``design``: an id
        (or a design handle)."""
        design = getattr(design, "id", design)
        return events_frame(self._service.events(self._scope(), since, until, types, design, limit))

    def activity(self, freq: str = "D") -> pd.DataFrame:
        """Per period (``h``, ``D``, ``W`` from Monday, ``M``; UTC), indexed by its start: active_designers,
        edits, designs_created, checkpoints, exports, events."""
        return activity_frame(self._service.activity(self._scope(), freq), freq)

    def catalog_usage(self) -> pd.DataFrame:
        """Per catalog item: name, type, price, designs using it now, layers, times_added, first_used,
        last_used."""
        return catalog_frame(self._service.catalog_usage(self._scope(), self._ws.catalog.list()))

    def exports(self) -> pd.DataFrame:
        """Per export: type, format, status, created/started/completed/ended (completed or failed), queue_wait_s,
        duration_s (of the last attempt), file_size, retry_count, error."""
        return exports_frame(self._service.exports(self._scope()))

    def _iter_events(self, batch: int) -> Any:
        """Event columns in batches, oldest first (what the Parquet export streams)."""
        return self._service.iter_events(self._scope(), batch)

    def to_parquet(self, folder: str, batch: int = 200_000) -> dict[str, int]:
        """Write the metrics as Parquet to ``folder`` (a path or any fsspec URL): ``events/date=YYYY-MM-DD/``
        (hive-partitioned by day; properties as JSON text), ``designs.parquet``, ``exports.parquet``,
        ``catalog_usage.parquet``, ``activity_daily.parquet``. Returns the rows written per table."""
        from ..adapters.parquet_export import write_metrics

        return write_metrics(self, folder, batch)

    def __repr__(self) -> str:
        return f"Metrics(user={self._ws.user!r})"
