"""Admins audit designs through ``/admin/...`` only, with a reason, and every audit access is recorded in a
durable table that admins read (``/admin/audit``) and the design's owner sees (``/designs/{id}/audit``).

The ordinary endpoints keep answering 404 to an admin for someone else's private design (no silent leak); a
non-admin gets 403 from every audit endpoint. On SQLite and on PostgreSQL + MongoDB-protocol + Redis.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

import fw_kernel as fw
from fw_kernel.adapters.audit_sql import SqlAuditLog
from fw_kernel.adapters.sql.engine import make_engine
from fw_kernel.domain.errors import PermissionDenied, ValidationError
from fw_server.auth import HubTokens
from tests.server.test_auth import SCOPE, FakeHub
from tests.support.service import TOKENS, Client, RunningService, kernel_services, service_config

REASON = "support ticket 4711: the owner reports a lost layer"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.service)])
def svc(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunningService]:
    """The service with carol as its admin; user names get a suffix (the PostgreSQL database is shared)."""
    stores: dict[str, str] = {}
    if request.param == "postgres":
        stores = {"database_url": request.getfixturevalue("postgres_url"),
                  "mongo_url": request.getfixturevalue("mongo_url"),
                  "redis_url": request.getfixturevalue("redis_url")}
    services = kernel_services(tmp_path / "fw", **stores)
    services.avatars.fitter = None
    config = service_config(redis_url=stores.get("redis_url", ""), rate_prefix=f"fw:t:{uuid.uuid4().hex}")
    running = RunningService(services, config).start()
    suffix = uuid.uuid4().hex[:6]
    running.users = {u: f"{u}_{suffix}" for u in TOKENS}
    running.tokens = {u: f"{t}-{suffix}" for u, t in TOKENS.items()}
    for user, token in running.tokens.items():
        running.service.authenticator.add(token, running.users[user])
    running.service.authenticator.admins.add(running.users["carol"])
    running.url = stores.get("database_url") or services.settings.resolved_database_url
    yield running
    running.stop()
    services.close()


def _client(svc: RunningService, user: str) -> Client:
    return Client(svc.base, svc.tokens[user])


def _private_design(alice: Client) -> tuple[str, dict[str, Any]]:
    design = alice.post("/designs", json={"name": "Secret", "description": "not for anyone"}).json()
    did = design["id"]
    alice.post(f"/designs/{did}/layers", json={"item_id": "sil-aline-dress", "customization": {"color": "#112233"}})
    alice.post(f"/designs/{did}/versions", json={"message": "v1"})
    return did, alice.get(f"/designs/{did}", params={"count_view": "false"}).json()


AUDIT_PATHS = ("", "/versions", "/history", "/exports")


def test_admin_audits_only_through_audit_endpoints_with_a_reason_and_each_access_is_recorded(
        svc: RunningService) -> None:
    alice, bob, carol = (_client(svc, u) for u in ("alice", "bob", "carol"))
    did, before = _private_design(alice)

    # the ordinary endpoints: the admin is nobody special there
    for method, tail in (("get", ""), ("get", "/history"), ("get", "/versions"), ("get", "/layers")):
        assert getattr(carol, method)(f"/designs/{did}{tail}").status_code == 404, tail
    assert carol.patch(f"/designs/{did}", json={"name": "x"}).status_code == 404
    assert did not in [d["id"] for d in carol.get("/designs").json()]

    # a reason is required (and recorded); without one nothing is read and nothing recorded
    for params in ({}, {"reason": ""}, {"reason": "   "}):
        r = carol.get(f"/admin/designs/{did}", params=params)
        assert r.status_code == 422 and r.json()["field"] == "reason", (params, r.text)
    assert carol.get("/admin/audit", params={"owner": svc.users["alice"]}).json() == []

    # with a reason: the design, its layers, versions, history, exports
    design = carol.get(f"/admin/designs/{did}", params={"reason": REASON})
    assert design.status_code == 200, design.text
    got = design.json()
    assert got["role"] is None and got["owner"] == svc.users["alice"]
    assert {k: v for k, v in got.items() if k != "role"} == {k: v for k, v in before.items() if k != "role"}
    assert got["layers"][0]["customization"]["color"] == "#112233"
    versions = carol.get(f"/admin/designs/{did}/versions", params={"reason": REASON}).json()
    assert [v["message"] for v in versions] == ["v1"]
    history = carol.get(f"/admin/designs/{did}/history", params={"reason": REASON}).json()
    assert [h["action"] for h in history] == ["create", "add_layer", "checkpoint"]
    assert carol.get(f"/admin/designs/{did}/exports", params={"reason": REASON}).json() == []
    listed = carol.get("/admin/designs", params={"owner": svc.users["alice"], "reason": REASON}).json()
    assert [d["id"] for d in listed] == [did]

    # every access is in the log, newest first: who, which design, which endpoint, why
    log = carol.get("/admin/audit", params={"design_id": did}).json()
    assert [e["endpoint"] for e in log] == [
        "GET /admin/designs", "GET /admin/designs/{design_id}/exports", "GET /admin/designs/{design_id}/history",
        "GET /admin/designs/{design_id}/versions", "GET /admin/designs/{design_id}"]
    assert {(e["admin"], e["design_id"], e["owner"], e["reason"]) for e in log} == {
        (svc.users["carol"], did, svc.users["alice"], REASON)}
    assert carol.get("/admin/audit", params={"admin": svc.users["carol"]}).json() == log
    assert carol.get("/admin/audit", params={"owner": svc.users["bob"]}).json() == []

    # the owner learns it; nobody else does
    assert alice.get(f"/designs/{did}/audit").json() == log
    assert bob.get(f"/designs/{did}/audit").status_code == 404                     # not shared: not revealed
    alice.post(f"/designs/{did}/collaborators", json={"user": svc.users["bob"], "role": "editor"})
    r = bob.get(f"/designs/{did}/audit")
    assert r.status_code == 403 and r.json()["allowed"] == "owner"

    # durable: in the relational store, read with a fresh engine
    engine = make_engine(svc.url)
    try:
        stored = SqlAuditLog(engine).list(design_id=did)
    finally:
        engine.dispose()
    assert [(r.admin, r.endpoint, r.reason) for r in stored] == [(e["admin"], e["endpoint"], e["reason"])
                                                                  for e in log]

    # read-only: the audited design is as it was
    after = alice.get(f"/designs/{did}", params={"count_view": "false"}).json()
    assert after["version"] == before["version"] and after["counts"] == before["counts"]


def test_non_admins_get_403_and_audits_of_missing_designs_record_nothing(svc: RunningService) -> None:
    alice, bob, carol = (_client(svc, u) for u in ("alice", "bob", "carol"))
    did, _ = _private_design(alice)
    for client in (alice, bob):   # the owner too: auditing is not the owner's way to read
        for tail in AUDIT_PATHS:
            for params in ({"reason": REASON}, {}):
                r = client.get(f"/admin/designs/{did}{tail}", params=params)
                assert r.status_code == 403 and r.json()["error"] == "forbidden", (tail, r.text)
                assert "admin" in r.json()["message"]
        assert client.get("/admin/designs", params={"owner": svc.users["alice"], "reason": REASON}
                          ).status_code == 403
        assert client.get("/admin/audit").status_code == 403
    missing = "0" * 32
    r = carol.get(f"/admin/designs/{missing}", params={"reason": REASON})
    assert r.status_code == 404 and r.json()["field"] == "design_id"
    assert carol.post(f"/admin/designs/{did}", params={"reason": REASON}).status_code == 405   # read-only
    assert carol.delete(f"/admin/designs/{did}", params={"reason": REASON}).status_code == 405
    assert carol.get("/admin/audit", params={"owner": svc.users["alice"]}).json() == []
    assert alice.get(f"/designs/{did}/audit").json() == []
    r = carol.get("/admin/designs", params={"owner": svc.users["alice"], "reason": "x" * 501})
    assert r.status_code == 422 and r.json()["field"] == "reason"


def test_the_owner_reads_the_audits_from_the_notebook_api_over_http(svc: RunningService) -> None:
    alice, carol = _client(svc, "alice"), _client(svc, "carol")
    did, _ = _private_design(alice)
    for tail in ("", "/history"):
        assert carol.get(f"/admin/designs/{did}{tail}", params={"reason": REASON}).status_code == 200
    logged = alice.get(f"/designs/{did}/audit").json()
    url = f"http://127.0.0.1:{svc.port}/"
    with fw.connect(service_url=url, token=svc.tokens["alice"]) as ws:
        design = ws.designs.get(did)
        found = design.audits()
        assert [(r.id, r.admin, r.design_id, r.owner, r.endpoint, r.reason) for r in found] == [
            (e["id"], e["admin"], e["design_id"], e["owner"], e["endpoint"], e["reason"]) for e in logged]
        assert [r.endpoint for r in found] == ["GET /admin/designs/{design_id}/history",
                                               "GET /admin/designs/{design_id}"]
        assert found[0].created_at >= found[1].created_at
        assert [r.id for r in design.audits(limit=1)] == [found[0].id]
        with pytest.raises(ValidationError) as bad:
            design.audits(limit=0)
        assert bad.value.field == "limit"
        design.share(svc.users["bob"], "editor")
    with fw.connect(service_url=url, token=svc.tokens["bob"]) as ws, \
            pytest.raises(PermissionDenied, match="only the owner") as refused:
        ws.designs.get(did).audits()
    assert refused.value.allowed == "owner"


def test_hub_admins_are_the_hub_users_with_admin_true(tmp_path: Path) -> None:
    hub = FakeHub()
    hub.tokens["hub-root"] = {"name": "root", "kind": "user", "admin": True, "scopes": [SCOPE]}
    hub.tokens["hub-alice"] = {"name": "alice", "kind": "user", "admin": False, "scopes": [SCOPE]}
    services = kernel_services(tmp_path / "fw")
    config = service_config(auth="hub", hub_api_url=hub.url, hub_api_token="service-token", hub_scopes=(SCOPE,))
    running = RunningService(services, config).start()
    try:
        assert isinstance(running.service.authenticator, HubTokens)
        alice, root = Client(running.base, "hub-alice"), Client(running.base, "hub-root")
        did = alice.post("/designs", json={"name": "Private"}).json()["id"]
        assert root.get(f"/designs/{did}").status_code == 404
        assert alice.get(f"/admin/designs/{did}", params={"reason": REASON}).status_code == 403
        r = root.get(f"/admin/designs/{did}", params={"reason": REASON})
        assert r.status_code == 200 and r.json()["id"] == did
        assert [(e["admin"], e["reason"]) for e in alice.get(f"/designs/{did}/audit").json()] == [("root", REASON)]
        assert requests.get(running.base + "/admin/audit", timeout=10).status_code == 401   # no token at all
    finally:
        running.stop()
        services.close()
        hub.stop()
