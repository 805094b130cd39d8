"""Who may do what: tokens (static table and JupyterHub), private designs invisible to others, roles.

The Hub path is tested against a small fake Hub API (``GET /hub/api/user`` answering for a token table, as
JupyterHub does: 200 with the user model, 403 for an unknown token) served in the test, with the real
``jupyterhub.services.auth.HubAuth`` client in the service; starting a real JupyterHub needs
configurable-http-proxy from npm and a spawner, which the later ``fw hub`` work brings.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from fw_server.auth import StaticTokens
from tests.support.net import free_port, wait_port
from tests.support.service import EXPIRED, TOKENS, Client, RunningService, kernel_services, service_config

ROOT = Path(__file__).resolve().parents[2]


def _masked(response: requests.Response, ident: str) -> tuple[int, dict]:
    body = response.json()
    return response.status_code, {**body, "message": body["message"].replace(ident, "<id>")}


# -- tokens ------------------------------------------------------------------------------------------------------------
def test_missing_forged_expired_and_revoked_tokens_get_401(sqlite_service: RunningService, alice: Client) -> None:
    base = sqlite_service.base
    r = requests.get(base + "/designs", timeout=10)
    assert r.status_code == 401 and r.json()["error"] == "unauthorized" and "WWW-Authenticate" in r.headers
    for header in (f"token {TOKENS['alice']}x", "token forged", f"Bearer {EXPIRED}", "Basic YWxpY2U6cHc="):
        r = requests.get(base + "/designs", headers={"Authorization": header}, timeout=10)
        assert r.status_code == 401, header
    assert "expired" in requests.get(base + "/designs", headers={"Authorization": f"token {EXPIRED}"},
                                     timeout=10).json()["message"]
    assert alice.get("/designs").status_code == 200
    authenticator = sqlite_service.service.authenticator
    assert isinstance(authenticator, StaticTokens)
    authenticator.revoke(TOKENS["alice"])
    assert alice.get("/designs").status_code == 401
    assert requests.get(base + "/openapi.json", timeout=10).status_code == 200       # the document is public


# -- isolation and roles -----------------------------------------------------------------------------------------------
def test_others_cannot_see_or_touch_a_private_design(sqlite_service: RunningService, alice: Client,
                                                     bob: Client) -> None:
    design = alice.post("/designs", json={"name": "Secret"}).json()
    did = design["id"]
    layer = alice.post(f"/designs/{did}/layers", json={"item_id": "sil-aline-dress"}).json()
    alice.post(f"/designs/{did}/versions", json={"message": "v1"})
    missing = "0" * 32
    bob.session.headers["X-FW-Session"] = "bobs-notebook"                            # undo needs a session
    assert bob.get("/designs").json() == []                                          # list
    attempts = [("get", "", None), ("patch", "", {"name": "mine"}), ("delete", "", None),
                ("post", "/fork", {}), ("post", "/exports", {"type": "model", "options": {}}),
                ("post", "/layers", {"item_id": "sil-aline-dress"}),
                ("patch", "/layers/" + layer["id"], {"opacity": 5}), ("get", "/versions", None),
                ("post", "/versions", {"message": "x"}), ("post", "/versions/1/restore", None),
                ("get", "/comments", None), ("post", "/comments", {"text": "hi"}), ("get", "/history", None),
                ("get", "/collaborators", None), ("post", "/collaborators", {"user": "bob", "role": "owner"}),
                ("get", "/exports", None), ("get", "/recommendations", None),
                ("get", "/avatar", None), ("post", "/undo", None)]
    for method, tail, body in attempts:
        theirs = getattr(bob, method)(f"/designs/{did}{tail}", **({"json": body} if body is not None else {}))
        absent = getattr(bob, method)(f"/designs/{missing}{tail}", **({"json": body} if body is not None else {}))
        assert theirs.status_code == 404, (method, tail, theirs.text)
        assert _masked(theirs, did) == _masked(absent, missing), (method, tail)      # no existence leak
        assert set(theirs.headers) - {"Date"} == set(absent.headers) - {"Date"}
    after = alice.get(f"/designs/{did}").json()
    assert after["version"] == design["version"] + 1 and after["name"] == "Secret"   # only alice's own edit
    assert after["counts"]["forks"] == 0 and alice.get(f"/designs/{did}/collaborators").json() == []
    assert len(alice.get(f"/designs/{did}/exports").json()) == 0


def test_viewer_reads_commenter_comments_editor_edits_owner_shares(sqlite_service: RunningService,
                                                                    alice: Client) -> None:
    viewer, commenter, editor = (sqlite_service.client(u) for u in ("bob", "carol", "dave"))
    avatar = alice.post("/avatars", json={"name": "Ada", "measurements": {"height": 170}}).json()
    did = alice.post("/designs", json={"name": "Shared", "avatar_id": avatar["id"]}).json()["id"]
    layer = alice.post(f"/designs/{did}/layers", json={"item_id": "sil-aline-dress"}).json()
    for user, role in (("bob", "viewer"), ("carol", "commenter"), ("dave", "editor")):
        assert alice.post(f"/designs/{did}/collaborators", json={"user": user, "role": role}).status_code == 201
    assert {c["user"]: c["role"] for c in alice.get(f"/designs/{did}/collaborators").json()} == {
        "bob": "viewer", "carol": "commenter", "dave": "editor"}

    assert viewer.get(f"/designs/{did}").json()["role"] == "viewer"
    assert viewer.get(f"/designs/{did}/avatar").json()["id"] == avatar["id"]        # to draw the design
    assert viewer.get(f"/avatars/{avatar['id']}").status_code == 404                # but not alice's avatar list
    assert [d["id"] for d in viewer.get("/designs").json()] == [did]
    for client, name in ((viewer, "viewer"), (commenter, "commenter")):
        r = client.patch(f"/designs/{did}/layers/{layer['id']}", json={"opacity": 10})
        assert r.status_code == 403 and r.json()["field"] == "role" and name in r.json()["message"]
        assert client.patch(f"/designs/{did}", json={"name": "x"}).status_code == 403
        assert client.post(f"/designs/{did}/layers", json={"item_id": "acc-leather-belt"}).status_code == 403
        assert client.post(f"/designs/{did}/versions", json={"message": "x"}).status_code == 403
    assert viewer.post(f"/designs/{did}/comments", json={"text": "nice"}).status_code == 403
    assert commenter.post(f"/designs/{did}/comments", json={"text": "nice"}).status_code == 201
    assert [c["user"] for c in alice.get(f"/designs/{did}/comments").json()] == ["carol"]

    assert editor.patch(f"/designs/{did}/layers/{layer['id']}", json={"opacity": 10}).json()["opacity"] == 10
    for client in (viewer, commenter, editor):                                       # only the owner shares/deletes
        assert client.post(f"/designs/{did}/collaborators", json={"user": "eve"}).status_code == 403
        assert client.delete(f"/designs/{did}/collaborators/bob").status_code == 403
        assert client.delete(f"/designs/{did}").status_code == 403
    assert alice.get(f"/designs/{did}").json()["layers"][0]["opacity"] == 10

    assert alice.delete(f"/designs/{did}/collaborators/bob").status_code == 204      # unshared: gone for bob
    assert viewer.get(f"/designs/{did}").status_code == 404 and viewer.get("/designs").json() == []


# -- JupyterHub tokens -------------------------------------------------------------------------------------------------
class FakeHub:
    """``GET /hub/api/user`` with ``Authorization: token T``: the user model of T, or 403 (JupyterHub's answer for
    an unknown, revoked or expired token)."""

    def __init__(self) -> None:
        self.tokens: dict[str, dict[str, Any]] = {}
        self.calls = 0
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hub.calls += 1
                token = self.headers.get("Authorization", "").removeprefix("token ").strip()
                model = hub.tokens.get(token) if self.path.rstrip("/") == "/hub/api/user" else None
                status, body = (200, model) if model else (403, {"status": 403, "message": "Forbidden"})
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hub/api"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def fake_hub() -> Any:
    hub = FakeHub()
    yield hub
    hub.stop()


SCOPE = "access:services!service=fw"


def test_hub_tokens_are_checked_with_the_hub_and_cached_briefly(tmp_path: Path, fake_hub: FakeHub) -> None:
    fake_hub.tokens["hub-alice"] = {"name": "alice", "kind": "user", "scopes": [SCOPE, "read:users!user=alice"]}
    fake_hub.tokens["hub-bob-noscope"] = {"name": "bob", "kind": "user", "scopes": ["read:users!user=bob"]}
    services = kernel_services(tmp_path / "fw")
    config = service_config(auth="hub", hub_api_url=fake_hub.url, hub_api_token="service-token", hub_cache_s=1,
                            hub_scopes=(SCOPE,))
    running = RunningService(services, config).start()
    try:
        alice = Client(running.base, "hub-alice")
        assert alice.get("/user").json()["user"] == "alice"
        calls = fake_hub.calls
        assert alice.post("/designs", json={"name": "From the hub"}).status_code == 201
        assert fake_hub.calls == calls                                               # answered from the cache
        assert Client(running.base, "forged").get("/designs").status_code == 401
        r = Client(running.base, "hub-bob-noscope").get("/designs")
        assert r.status_code == 403 and SCOPE in r.json()["allowed"]
        del fake_hub.tokens["hub-alice"]                                             # revoked (or expired) at the hub
        time.sleep(1.2)                                                              # past the cache
        assert alice.get("/designs").status_code == 401
        fake_hub.stop()                                                              # the Hub is down
        r = Client(running.base, "any-token").get("/designs")
        assert r.status_code == 503 and r.json()["error"] == "unavailable" and r.headers["Retry-After"]
    finally:
        running.stop()
        services.close()


# -- credentials -------------------------------------------------------------------------------------------------------
@pytest.mark.service
@pytest.mark.slow
def test_only_the_service_holds_database_credentials(tmp_path: Path, postgres_url: str, redis_url: str) -> None:
    """`fw service` runs with FW_DATABASE_URL; a kernel-side client with only a token and the service URL reads
    and writes designs through it, and its environment holds no database URL or password."""
    port = free_port()
    service_env = {**os.environ, "FW_DATABASE_URL": postgres_url, "FW_REDIS_URL": redis_url, "FW_QUEUE": "local",
                   "FW_HOME": str(tmp_path / "svc"), "FW_SERVICE_TOKENS": "kernel-token:alice",
                   "FW_SERVICE_RATE_LIMIT": "100000"}
    proc = subprocess.Popen([sys.executable, "-m", "fw_kernel.cli", "service", "--port", str(port)], env=service_env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_port(port, 120)
        client_env = {k: v for k, v in os.environ.items() if not k.startswith(("FW_", "PG", "DATABASE", "REDIS"))}
        client_env.update({"FW_SERVICE_URL": f"http://127.0.0.1:{port}/api/v1", "FW_SERVICE_TOKEN": "kernel-token"})
        script = (
            "import json, os, requests\n"
            "u, h = os.environ['FW_SERVICE_URL'], {'Authorization': 'token ' + os.environ['FW_SERVICE_TOKEN']}\n"
            "d = requests.post(u + '/designs', json={'name': 'via service'}, headers=h).json()\n"
            "print(json.dumps({'design': d['id'], 'owner': d['owner'],\n"
            "                  'env': {k: v for k, v in os.environ.items()}}))\n")
        out = subprocess.run([sys.executable, "-c", script], env=client_env, capture_output=True, text=True,
                             timeout=120, check=True)
        result = json.loads(out.stdout)
        assert result["owner"] == "alice"
        leaked = [k for k, v in result["env"].items() if "postgresql://" in v or "redis://" in v
                  or k in ("FW_DATABASE_URL", "FW_REDIS_URL", "FW_MONGO_URL", "PGPASSWORD")]
        assert leaked == []
        # the design is in PostgreSQL, where only the service could have put it
        import sqlalchemy as sa

        from fw_kernel.adapters.sql.engine import normalise_url

        engine = sa.create_engine(normalise_url(postgres_url))
        with engine.connect() as c:
            owners = c.exec_driver_sql("SELECT owner FROM design.designs WHERE id = %(id)s",
                                       {"id": result["design"]}).scalars().all()
        engine.dispose()
        assert owners == ["alice"]
    finally:
        proc.terminate()
        proc.wait(30)
