"""Design metrics through the design service: the same DataFrames over HTTP as in a local kernel, and who sees
what decided by the service (designers: what they can read; analysts through FW_ANALYSTS or the hub group
``fw-analysts``: every design's metrics rows without private content)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import fw_kernel as fw
from fw_kernel.api import Workspace
from tests.server.test_auth import SCOPE, FakeHub
from tests.support.service import TOKENS, Client, RunningService, kernel_services, service_config


def _private_look(alice: Client) -> str:
    did = alice.post("/designs", json={"name": "Secret look", "category": "dress"}).json()["id"]
    assert alice.post(f"/designs/{did}/layers", json={"item_id": "sil-aline-dress"}).status_code == 201
    assert alice.post(f"/designs/{did}/layers", json={"item_id": "fab-denim-indigo"}).status_code == 201
    assert alice.post(f"/designs/{did}/comments", json={"text": "the private comment"}).status_code == 201
    return did


def test_rest_scopes_designers_and_analysts(sqlite_service: RunningService) -> None:
    alice, bob, carol = (sqlite_service.client(u) for u in ("alice", "bob", "carol"))
    did = _private_look(alice)
    public = alice.post("/designs", json={"name": "Open look", "visibility": "public"}).json()["id"]
    mine = alice.get("/metrics/designs").json()
    assert mine["analyst"] is False and set(mine["columns"]["id"]) == {did, public}
    assert bob.get("/metrics/designs").json()["columns"]["id"] == [public]
    events = bob.get("/metrics/events").json()["columns"]
    assert did not in events["design_id"] and public in events["design_id"]
    sqlite_service.services.metrics.analysts.add("carol")  # FW_ANALYSTS=carol in the service's environment
    try:
        rows = carol.get("/metrics/designs").json()
        assert rows["analyst"] is True
        by_id = {i: n for i, n in zip(rows["columns"]["id"], rows["columns"]["name"], strict=True)}
        assert by_id == {did: None, public: "Open look"}  # a private design's name is content: withheld
        layers = dict(zip(rows["columns"]["id"], rows["columns"]["layers"], strict=True))
        assert layers[did] == 2
        ev = carol.get("/metrics/events", params={"design": did}).json()["columns"]
        assert ev["type"] == ["design_created", "layer_added", "layer_added", "comment_added"]
        assert "the private comment" not in str(ev)
    finally:
        sqlite_service.services.metrics.analysts.discard("carol")
    assert did not in carol.get("/metrics/events").json()["columns"]["design_id"]
    for params in ({"types": "nope"}, {"since": "soon"}, {"limit": "0"}, {"freq": "Y"}):
        path = "/metrics/activity" if "freq" in params else "/metrics/events"
        assert carol.get(path, params=params).status_code in (400, 422)
    assert Client(sqlite_service.base, None).get("/metrics/designs").status_code == 401


def test_the_remote_kernel_gets_the_same_dataframes(sqlite_service: RunningService, tmp_path: Path) -> None:
    alice = sqlite_service.client("alice")
    did = _private_look(alice)
    remote = fw.connect(service_url=f"http://127.0.0.1:{sqlite_service.port}/", token=TOKENS["alice"])
    local = Workspace(sqlite_service.services, user="alice")
    try:
        for name in ("designs", "catalog_usage", "exports"):
            pd.testing.assert_frame_equal(getattr(remote.metrics, name)(), getattr(local.metrics, name)())
        pd.testing.assert_frame_equal(remote.metrics.activity("W"), local.metrics.activity("W"))
        r_ev, l_ev = remote.metrics.events(design=did), local.metrics.events(design=did)
        pd.testing.assert_frame_equal(r_ev, l_ev)
        assert list(remote.metrics.events(types=["layer_added"], design=did)["type"]) == ["layer_added"] * 2
        with pytest.raises(fw.ValidationError):
            remote.metrics.events(types=["nope"])
        with pytest.raises(fw.ValidationError):
            remote.metrics.activity("fortnight")
        # the Parquet export from a hub kernel: the same rows as the service's own
        import pyarrow.dataset as ds

        remote.metrics.to_parquet(str(tmp_path / "remote"))
        local.metrics.to_parquet(str(tmp_path / "local"))
        tables = [ds.dataset(str(tmp_path / side / "events"), format="parquet", partitioning="hive").to_table()
                  .to_pandas().sort_values("id").reset_index(drop=True) for side in ("remote", "local")]
        assert len(tables[0]) == len(tables[1]) > 0
        assert list(tables[0]["time"]) == list(tables[1]["time"])
        assert list(tables[0]["type"]) == list(tables[1]["type"])
    finally:
        remote.close()


def test_hub_group_fw_analysts_sees_every_designs_rows(tmp_path: Path) -> None:
    hub = FakeHub()
    hub.tokens["hub-ann"] = {"name": "ann", "kind": "user", "scopes": [SCOPE], "groups": ["fw-analysts"]}
    hub.tokens["hub-dan"] = {"name": "dan", "kind": "user", "scopes": [SCOPE], "groups": ["designers"]}
    hub.tokens["hub-eve"] = {"name": "eve", "kind": "user", "scopes": [SCOPE]}
    services = kernel_services(tmp_path / "fw")
    services.avatars.fitter = None
    config = service_config(auth="hub", hub_api_url=hub.url, hub_api_token="service-token", hub_scopes=(SCOPE,))
    running = RunningService(services, config).start()
    try:
        eve = Client(running.base, "hub-eve")
        did = eve.post("/designs", json={"name": "Eve's private"}).json()["id"]
        seen: dict[str, Any] = {u: Client(running.base, f"hub-{u}").get("/metrics/designs").json()
                                for u in ("ann", "dan")}
        assert seen["ann"]["analyst"] and did in seen["ann"]["columns"]["id"]
        assert not seen["dan"]["analyst"] and did not in seen["dan"]["columns"]["id"]
    finally:
        running.stop()
        services.close()
        hub.stop()


def test_a_hub_kernel_session_is_in_the_services_event_log(sqlite_service: RunningService) -> None:
    """A kernel on the design service (a JupyterHub kernel) records session_opened on connect and session_closed
    (with its duration) on close through the service, as the token's user, like a local kernel does."""
    local = Workspace(sqlite_service.services, user="alice")

    def sessions() -> pd.DataFrame:
        ev = local.metrics.events(types=["session_opened", "session_closed"])
        return ev[ev["actor"] == "alice"]

    assert sessions().empty
    remote = fw.connect(service_url=f"http://127.0.0.1:{sqlite_service.port}/", token=TOKENS["alice"])
    opened = sessions()
    assert list(opened["type"]) == ["session_opened"]
    assert opened.iloc[0]["properties"] == {"via": "service"} and opened.iloc[0]["design_id"] is pd.NA
    remote.close()
    done = sessions()
    assert list(done["type"]) == ["session_opened", "session_closed"]
    closed = done.iloc[1]["properties"]
    assert closed["via"] == "service" and 0 <= closed["duration_s"] < 60
    # the service decides who the caller is: no name in the body, nothing but opened/closed
    alice = sqlite_service.client("alice")
    for body in ({"event": "opened", "user": "bob"}, {"event": "design_created"}, {"event": "closed",
                                                                                    "duration_s": -1}):
        assert alice.post("/metrics/sessions", json=body).status_code == 422, body
    assert Client(sqlite_service.base, None).post("/metrics/sessions", json={"event": "opened"}).status_code == 401
    assert alice.post("/metrics/sessions", json={"event": "opened"}).status_code == 204
    assert list(sessions()["type"]).count("session_opened") == 2
    assert local.metrics.activity("D")["events"].sum() >= 3  # sessions count as activity, no design needed
