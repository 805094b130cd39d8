"""``fw hub``: a real JupyterHub (configurable-http-proxy from npm, password table, local spawner) with the design
service managed at ``/services/fw/``; a user's JupyterLab kernel runs ``fw.connect()`` and edits through it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

import fw_kernel as fw
from fw_kernel.adapters.remote_http import RemoteServices
from fw_kernel.domain.errors import NotFound, PermissionDenied
from fw_server.hub import _table
from tests.conftest import free_port, wait_port

ADMIN = "admin-" + uuid.uuid4().hex
PASSWORDS = {"alice": "pw-alice:with-colon", "bob": "pw-bob"}


class Hub:
    def __init__(self, home: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FW_", "JUPYTERHUB_"))}
        env.update({"FW_HOME": str(home), "FW_HUB_USERS": ",".join(f"{u}:{p}" for u, p in PASSWORDS.items()),
                    "FW_HUB_ADMIN_TOKEN": ADMIN, "FW_SERVICE_SECRET": uuid.uuid4().hex})
        self.log = home / "hub.log"
        home.mkdir(parents=True, exist_ok=True)
        self._out = self.log.open("wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "fw_kernel.cli", "hub", "--port", str(self.port)],
                                     env=env, stdout=self._out, stderr=subprocess.STDOUT, cwd=Path(__file__).parents[2])
        wait_port(self.port, 120)
        self.wait(lambda: requests.get(f"{self.url}/services/fw/api/v1/openapi.json", timeout=10).ok, 120)

    def wait(self, ready: Any, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if ready():
                    return
            except (requests.RequestException, KeyError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"hub not ready; log:\n{self.log.read_text()[-4000:]}")
            time.sleep(0.5)

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        r = requests.request(method, f"{self.url}/hub/api{path}", headers={"Authorization": f"token {ADMIN}"},
                             timeout=60, **kwargs)
        r.raise_for_status()
        return r.json() if r.content else None

    def token(self, user: str) -> str:
        return self.admin("POST", f"/users/{user}/tokens", json={"note": "test"})["token"]

    def stop(self) -> str:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._out.close()
        return self.log.read_text(errors="replace")


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    running = Hub(tmp_path_factory.mktemp("hub"))
    yield running
    log = running.stop()
    assert "Traceback" not in log, log[-4000:]


def test_user_table() -> None:
    assert _table("a:x:y, b:z") == {"a": "x:y", "b": "z"}
    with pytest.raises(ValueError, match="expected user:password"):
        _table("nopassword")


def test_password_login(hub: Hub) -> None:
    def login(user: str, password: str) -> requests.Response:
        s = requests.Session()
        page = s.get(f"{hub.url}/hub/login", timeout=30)
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.text).group(1)
        return s.post(f"{hub.url}/hub/login", data={"username": user, "password": password, "_xsrf": xsrf},
                      allow_redirects=False, timeout=30)

    assert login("alice", "wrong").status_code == 403
    assert login("mallory", "pw-bob").status_code == 403
    ok = login("alice", PASSWORDS["alice"])
    assert ok.status_code == 302 and "jupyterhub-hub-login" in ok.cookies


def test_admin_api_and_service_auth(hub: Hub) -> None:
    assert sorted(u["name"] for u in hub.admin("GET", "/users")) == ["alice", "bob"]
    with pytest.raises(requests.HTTPError):
        requests.get(f"{hub.url}/hub/api/users", headers={"Authorization": "token nope"},
                     timeout=30).raise_for_status()
    token = hub.token("bob")
    me = requests.get(f"{hub.url}/services/fw/api/v1/user", headers={"Authorization": f"token {token}"},
                      timeout=30)
    assert me.status_code == 200 and me.json()["user"] == "bob"
    assert requests.get(f"{hub.url}/services/fw/api/v1/user", headers={"Authorization": "token forged"},
                        timeout=30).status_code in (401, 403)


def _execute(hub: Hub, user: str, token: str, code: str) -> str:
    """Run ``code`` in a new kernel of the user's JupyterLab server; returns what it printed."""
    from websockets.sync.client import connect

    headers = {"Authorization": f"token {token}"}
    base = f"{hub.url}/user/{user}/api"
    kernel = requests.post(f"{base}/kernels", json={"name": "python3"}, headers=headers, timeout=120)
    kernel.raise_for_status()
    kid = kernel.json()["id"]
    msg_id = uuid.uuid4().hex
    request = {"header": {"msg_id": msg_id, "msg_type": "execute_request", "username": user, "session": msg_id,
                          "version": "5.3", "date": ""},
               "parent_header": {}, "metadata": {}, "channel": "shell",
               "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                           "allow_stdin": False, "stop_on_error": True}}
    out: list[str] = []
    url = f"ws://127.0.0.1:{hub.port}/user/{user}/api/kernels/{kid}/channels"
    with connect(url, additional_headers=headers, open_timeout=60, max_size=None) as ws:
        ws.send(json.dumps(request))
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            msg = json.loads(ws.recv(timeout=300))
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind == "stream":
                out.append(msg["content"]["text"])
            elif kind == "error":
                raise AssertionError("\n".join(msg["content"]["traceback"]))
            elif kind == "execute_reply":
                break
    requests.delete(f"{base}/kernels/{kid}", headers=headers, timeout=60)
    return "".join(out)


KERNEL_CODE = """
import json, os
import fw_kernel as fw
ws = fw.connect()
design = ws.designs.create("From the hub")
layer = design.add_layer("sil-aline-dress")
design.update_layer(layer.id, opacity=55)
design.update_layer(layer.id, opacity=30)
design.undo()
print(json.dumps({"user": ws.user, "repr": repr(ws), "id": design.id, "opacity": design.layer(layer.id).opacity,
                  "remote": type(ws._services).__name__, "fw_env": sorted(k for k in os.environ if k.startswith("FW_")),
                  "home": sorted(os.listdir(os.path.expanduser("~")))}))
"""


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_notebook_kernel_edits_through_the_service(hub: Hub, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    hub.admin("POST", "/users/alice/server")
    hub.wait(lambda: hub.admin("GET", "/users/alice")["servers"][""]["ready"], 300)
    token = hub.token("alice")
    result = json.loads(_execute(hub, "alice", token, KERNEL_CODE).strip().splitlines()[-1])
    assert result["user"] == "alice" and result["remote"] == "RemoteServices"
    assert f"service='{hub.url}/services/fw/'" in result["repr"]
    assert result["opacity"] == 55
    assert result["fw_env"] == ["FW_SERVICE_URL"], "the kernel holds no database or store settings"
    assert ".fashion-wallet" not in result["home"], "nothing embedded was created"
    # the same design from this process, through the hub's proxy, as alice and as bob
    for name in [k for k in os.environ if k.startswith(("FW_", "JUPYTERHUB_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("FW_HOME", str(tmp_path / "client"))
    with fw.connect(service_url=f"{hub.url}/services/fw/", token=token) as ws:
        assert isinstance(ws._services, RemoteServices)
        design = ws.designs.get(result["id"])
        assert design.layers[0].opacity == 55 and design.owner == "alice"
    with fw.connect(service_url=f"{hub.url}/services/fw/", token=hub.token("bob")) as ws, pytest.raises(NotFound):
        ws.designs.get(result["id"])
    with pytest.raises(PermissionDenied):
        fw.connect(service_url=f"{hub.url}/services/fw/", token="forged-token-0123456789")
