"""``ws.metrics`` on both relational backends: typed DataFrames whose figures follow from what the test did,
who sees which rows (designers: what they can read; analysts: every design's metrics rows, no private content),
and the event log's atomicity with the change it records."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from fw_kernel.adapters.sql.repositories import SqlEventRepository
from fw_kernel.domain.errors import ValidationError
from fw_kernel.domain.events import EDIT_TYPES, SYSTEM_ACTOR
from fw_kernel.domain.metrics import NOMINAL_AREA_M2
from fw_kernel.domain.techpack import fabric_metres


def _look(ws, name: str = "Look", **fields):
    design = ws.designs.create(name, category="dress", **fields)
    dress = design.add_layer("sil-aline-dress")
    fabric = design.add_layer("fab-denim-indigo")
    design.update_layer(fabric.id, opacity=80)
    design.checkpoint("first")
    design.comment("a private comment text")
    return design, dress, fabric


def test_designs_frame_counts_and_types(connect) -> None:
    ws = connect()
    design, _, _ = _look(ws)
    design.share(f"b_{uuid.uuid4().hex[:6]}", "viewer")
    design.fork()
    df = ws.metrics.designs().set_index("id")
    row = df.loc[design.id]
    assert (row["layers"], row["versions"], row["forks"], row["collaborators"], row["comments"]) == (2, 1, 1, 1, 1)
    assert row["name"] == "Look" and row["owner"] == ws.user and row["category"] == "dress"
    metres = fabric_metres(NOMINAL_AREA_M2["sil-aline-dress"])
    price = ws.catalog.get("fab-denim-indigo").price
    assert row["fabric_m"] == pytest.approx(metres) and row["cost_eur"] == pytest.approx(round(metres * price, 2))
    assert (df["owner"] == ws.user).sum() == 2  # the design and its fork
    assert str(df["created"].dtype) == "datetime64[ns, UTC]" and str(df["last_activity"].dtype).endswith("UTC]")
    assert isinstance(df["status"].dtype, pd.CategoricalDtype) and str(df["layers"].dtype) == "Int64"
    assert str(df["cost_eur"].dtype) == "Float64" and str(df.index.dtype) == "string"
    assert row["last_activity"] >= row["created"]


def test_events_frame_and_filters(connect) -> None:
    ws = connect()
    design, _, _ = _look(ws)
    other = ws.designs.create("Other")
    ev = ws.metrics.events()
    mine = ev[ev["design_id"] == design.id]
    assert list(mine["type"]) == ["design_created", "layer_added", "layer_added", "layer_updated",
                                  "version_checkpointed", "comment_added"]
    assert mine.iloc[3]["properties"]["fields"] == ["opacity"]
    assert mine.iloc[3]["properties"]["catalog_item"] == "fab-denim-indigo"
    assert str(ev["time"].dtype) == "datetime64[ns, UTC]" and isinstance(ev["type"].dtype, pd.CategoricalDtype)
    assert "a private comment text" not in repr(list(ev["properties"]))
    assert ev["time"].is_monotonic_increasing
    only = ws.metrics.events(types=["layer_added"], design=design)
    assert list(only["properties"].map(lambda p: p["catalog_item"])) == ["sil-aline-dress", "fab-denim-indigo"]
    assert set(ws.metrics.events(design=other.id)["type"]) == {"design_created"}
    cut = mine.iloc[3]["time"]
    assert (ws.metrics.events(since=cut, design=design)["time"] >= cut).all()
    assert (ws.metrics.events(until=cut.isoformat(), design=design)["time"] < cut).all()
    assert ws.metrics.events(since=datetime.now(UTC) + timedelta(days=1)).empty
    for bad in ({"types": ["nope"]}, {"types": []}, {"since": "yesterday"}, {"design": 42}, {"limit": 0},
                {"since": "2026-12-02", "until": "2026-12-01"}):
        with pytest.raises(ValidationError):
            ws.metrics.events(**bad)


def test_activity_is_a_continuous_time_series(connect, backend) -> None:
    ws = connect()
    _look(ws)
    daily = ws.metrics.activity("D")
    today = pd.Timestamp(datetime.now(UTC).date(), tz="UTC")
    assert daily.index.tz is not None and str(daily["edits"].dtype) == "Int64"
    row = daily.loc[today]
    # the aggregates agree with the rows the user sees (on PostgreSQL other tests' public designs are among them)
    ev = ws.metrics.events(since=today)
    assert row["edits"] == ev["type"].isin(EDIT_TYPES).sum() and row["events"] == len(ev)
    assert row["active_designers"] == ev.loc[ev["actor"] != SYSTEM_ACTOR, "actor"].nunique()
    assert row["checkpoints"] == (ev["type"] == "version_checkpointed").sum()
    if backend["database_url"] is None:  # a fresh store: exactly this test's work
        # 2 adds + 1 update are edits; one design, one checkpoint; session_opened has no design
        assert (row["edits"], row["designs_created"], row["checkpoints"], row["active_designers"]) == (3, 1, 1, 1)
        assert ws.metrics.activity("h")["edits"].sum() == 3
    assert ws.metrics.activity("W").index[-1] == today - pd.Timedelta(days=today.weekday())
    assert ws.metrics.activity("M").index[-1] == today.replace(day=1)
    with pytest.raises(ValidationError):
        ws.metrics.activity("fortnight")


def test_catalog_usage(connect, backend) -> None:
    ws = connect()
    design, _, fabric = _look(ws)
    second = ws.designs.create("Second")
    second.add_layer("fab-denim-indigo")
    design.remove_layer(fabric.id)
    usage = ws.metrics.catalog_usage().set_index("catalog_item")
    assert len(usage) >= len(ws.catalog.list())  # unused items are there with zeros
    denim = usage.loc["fab-denim-indigo"]
    assert denim["first_used"] < denim["last_used"] and denim["type"] == "fabric"
    if backend["database_url"] is None:  # on PostgreSQL other tests' public designs count too
        assert (denim["designs"], denim["layers"], denim["times_added"]) == (1, 1, 2)  # removed from one design
        assert usage.loc["sil-coat", "designs"] == 0 and pd.isna(usage.loc["sil-coat", "first_used"])
    else:
        assert denim["designs"] >= 1 and denim["times_added"] >= 2


def test_exports_frame_from_the_export_events(connect) -> None:
    ws = connect(queue="local")  # the in-process worker on both backends
    design = ws.designs.create("Empty")  # no avatar, no layer: a model export fails with "nothing to export"
    job = design.export("model", format="glb").wait(timeout=60, progress=False)
    assert job.status == "failed"
    df = ws.metrics.exports()
    row = df.set_index("id").loc[job.id]
    assert (row["type"], row["format"], row["status"]) == ("model", "glb", "failed")
    assert row["queue_wait_s"] >= 0 and row["duration_s"] >= 0 and row["started"] >= row["created"]
    kinds = list(ws.metrics.events(design=design, types=["export_requested", "export_started",
                                                         "export_failed"])["type"])
    assert kinds == ["export_requested", "export_started", "export_failed"]


def test_designers_see_what_they_can_read_and_analysts_every_row_without_content(connect, backend) -> None:
    ada = connect()
    bob = connect(user=f"bob_{uuid.uuid4().hex[:6]}")
    analyst = connect(user=f"an_{uuid.uuid4().hex[:6]}", analysts=())
    secret, _, _ = _look(ada, "Secret collection")
    shared = ada.designs.create("Shared one")
    public = ada.designs.create("Public one", visibility="public")
    shared.share(bob.user, "viewer")
    seen = set(bob.metrics.designs()["id"])
    assert secret.id not in seen and {shared.id, public.id} <= seen
    assert secret.id not in set(bob.metrics.events()["design_id"].dropna())
    if backend["database_url"] is None:
        assert bob.metrics.catalog_usage().set_index("catalog_item").loc["sil-aline-dress", "designs"] == 0
    assert secret.id not in set(analyst.metrics.designs()["id"])  # not an analyst: no other rows
    # the same user once named an analyst (FW_ANALYSTS) sees every design's metrics rows
    analyst.services.metrics.analysts.add(analyst.user)
    rows = analyst.metrics.designs().set_index("id")
    assert {secret.id, shared.id, public.id} <= set(rows.index)
    assert pd.isna(rows.loc[secret.id, "name"]) and rows.loc[public.id, "name"] == "Public one"
    assert rows.loc[secret.id, "layers"] == 2 and rows.loc[secret.id, "comments"] == 1
    assert not rows.loc[secret.id, "readable"]
    ev = analyst.metrics.events(design=secret)
    assert "comment_added" in set(ev["type"]) and "a private comment text" not in repr(list(ev["properties"]))
    assert analyst.metrics.catalog_usage().set_index("catalog_item").loc["sil-aline-dress", "designs"] >= 1


def test_the_event_is_written_in_the_transaction_of_the_change(connect, monkeypatch) -> None:
    ws = connect()
    design = ws.designs.create("Look")
    layer = design.add_layer("sil-tshirt")
    before = len(ws.metrics.events(design=design))

    def down(self, events) -> None:
        raise RuntimeError("event log unavailable")

    monkeypatch.setattr(SqlEventRepository, "add", down)
    monkeypatch.setattr(SqlEventRepository, "add_many", down)
    with pytest.raises(RuntimeError):
        design.update_layer(layer.id, opacity=5)
    monkeypatch.undo()
    assert ws.designs.get(design.id).layer(layer.id).opacity == 100  # rolled back with its event
    assert [h.action for h in design.history][-1] == "add_layer"
    assert len(ws.metrics.events(design=design)) == before


def test_sessions_and_the_log_off(connect) -> None:
    ws = connect()
    user = ws.user
    ws.close()
    again = connect(user=user)
    kinds = list(again.metrics.events(types=["session_opened", "session_closed"])["type"])
    assert kinds[:3] == ["session_opened", "session_closed", "session_opened"]
    quiet = connect(user=f"q_{uuid.uuid4().hex[:6]}", event_log=False)
    design = quiet.designs.create("Quiet")
    design.add_layer("sil-tshirt")
    assert quiet.metrics.events(design=design).empty  # (public designs of other tests are readable)
    assert quiet.metrics.designs().set_index("id").loc[design.id, "layers"] == 1


def test_time_columns_the_same_from_aware_datetimes_and_from_iso_strings() -> None:
    """The local store gives aware datetimes (psycopg: ZoneInfo('Etc/UTC')), the design service ISO strings."""
    from zoneinfo import ZoneInfo

    from fw_kernel.api.metrics import _times

    base = datetime(2026, 12, 3, 14, 38, 30, 746418, tzinfo=ZoneInfo("Etc/UTC"))
    values = [base, None, base.astimezone(ZoneInfo("Europe/Paris")) + timedelta(microseconds=1),
              base.replace(tzinfo=UTC) - timedelta(days=400)]
    got = _times(values)
    assert str(got.dtype) == "datetime64[ns, UTC]" and got.isna().tolist() == [False, True, False, False]
    assert got.equals(pd.to_datetime(pd.Series(values, dtype=object), utc=True, format="ISO8601"))
    assert got.equals(_times([None if v is None else v.isoformat() for v in values]))
    assert got[2] - got[0] == pd.Timedelta(microseconds=1)
