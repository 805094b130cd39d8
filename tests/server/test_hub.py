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
from tests.support.net import free_port, wait_port

ADMIN = "admin-" + uuid.uuid4().hex
PASSWORDS = {"alice": "pw-alice:with-colon", "bob": "pw-bob"}


class Hub:
    def __init__(self, home: Path, redis_url: str, env_extra: dict[str, str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FW_", "JUPYTERHUB_"))}
        env.update({"FW_HOME": str(home), "FW_HUB_USERS": ",".join(f"{u}:{p}" for u, p in PASSWORDS.items()),
                    "FW_HUB_ADMIN_TOKEN": ADMIN, "FW_SERVICE_SECRET": uuid.uuid4().hex,
                    # exports on RQ, run by the hub's render worker (its own queues on the shared Redis)
                    "FW_REDIS_URL": redis_url, "FW_QUEUE_PREFIX": f"fw-hub-test-{uuid.uuid4().hex[:8]}"})
        env.update(env_extra or {})  # e.g. the databases of tests/server/test_hub_e2e.py
        self.log = home / "hub.log"
        home.mkdir(parents=True, exist_ok=True)
        self._out = self.log.open("wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "fw_kernel.cli", "hub", "--port", str(self.port)],
                                     env=env, stdout=self._out, stderr=subprocess.STDOUT, cwd=Path(__file__).parents[2])
        try:
            wait_port(self.port, 120)
            self.wait(lambda: requests.get(f"{self.url}/services/fw/api/v1/openapi.json", timeout=10).ok, 120)
        except BaseException:
            self.stop()  # the hub stops its proxy, service and worker with it
            raise

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
def hub(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Hub]:
    running = Hub(tmp_path_factory.mktemp("hub"), redis_url)
    yield running
    log = running.stop()
    # up to the shutdown: JupyterHub's periodic service health check can race its own clean-up after that
    until_stop = log.split("Received signal SIGTERM")[0]
    assert "Traceback" not in until_stop, until_stop[-4000:]


def test_user_table() -> None:
    assert _table("a:x:y, b:z") == {"a": "x:y", "b": "z"}
    with pytest.raises(ValueError, match="expected user:password"):
        _table("nopassword")


def test_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """What ``configure`` gives JupyterHub: the service with the FW_* settings, users, roles, a worker with RQ."""
    from traitlets.config import Config

    from fw_server.hub import configure

    for name in [k for k in os.environ if k.startswith(("FW_", "JUPYTERHUB_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("FW_HUB_HOME", str(tmp_path))
    monkeypatch.setenv("FW_HUB_USERS", "ann:pw")
    monkeypatch.setenv("FW_DATABASE_URL", "postgresql://fw@db/fw")
    monkeypatch.setenv("FW_HUB_PORT", "9000")
    c = Config()
    configure(c)
    names = [s["name"] for s in c.JupyterHub.services]
    assert names == ["fw"], "no admin token, no RQ: the service alone"
    assert c.JupyterHub.services[0]["environment"]["FW_DATABASE_URL"] == "postgresql://fw@db/fw"
    assert "FW_DATABASE_URL" not in c.Spawner.environment
    assert c.Spawner.environment["FW_SERVICE_URL"] == "http://127.0.0.1:9000/services/fw/"
    monkeypatch.setenv("ANNY_CACHE_DIR", str(tmp_path / "anny"))  # the users' servers share the hub's body model
    configure(c)
    assert c.Spawner.environment["ANNY_CACHE_DIR"] == str(tmp_path / "anny")
    assert c.Authenticator.allowed_users == {"ann"}
    monkeypatch.setenv("FW_REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("FW_HUB_ADMIN_TOKEN", "t" * 32)
    c = Config()
    configure(c)
    assert [s["name"] for s in c.JupyterHub.services] == ["fw", "fw-worker", "fw-admin"]
    assert c.JupyterHub.services[1]["command"][-1] == "worker"
    monkeypatch.setenv("FW_HUB_USERS", "")
    with pytest.raises(ValueError, match="FW_HUB_USERS"):
        configure(Config())


def test_app_links_and_the_apps_in_each_users_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The link a team lead shares, and what the spawner's hook puts where the link points."""
    from types import SimpleNamespace

    from traitlets.config import Config

    from fw_server.hub import app_link, configure

    assert app_link("gallery", "https://hub.example/") == \
        "https://hub.example/hub/user-redirect/voila/render/fw-apps/gallery.ipynb"
    assert app_link("viewer", design="ab12") == \
        "/hub/user-redirect/voila/render/fw-apps/design_viewer.ipynb?design=ab12"
    with pytest.raises(ValueError, match="unknown app"):
        app_link("admin")
    for name in [k for k in os.environ if k.startswith(("FW_", "JUPYTERHUB_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("FW_HUB_HOME", str(tmp_path))
    monkeypatch.setenv("FW_HUB_USERS", "ann:pw")
    c = Config()
    configure(c)
    home = tmp_path / "users" / "ann"
    c.Spawner.pre_spawn_hook(SimpleNamespace(home_dir=str(home)))
    apps = sorted(p.name for p in (home / "fw-apps").iterdir())
    assert apps == ["design_metrics.ipynb", "design_viewer.ipynb", "gallery.ipynb"]
    notebook = json.loads((home / "fw-apps" / "gallery.ipynb").read_text())
    assert notebook["metadata"]["voila"]["template"] == "fw_offline"
    template_roots = c.Spawner.environment["JUPYTER_PATH"].split(os.pathsep)
    assert any((Path(p) / "voila" / "templates" / "fw_offline").is_dir() for p in template_roots)


@pytest.mark.service  # the hub's service and worker use Redis
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


@pytest.mark.service  # the hub's service and worker use Redis
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
job = design.export("image", format="png", width=48, height=48, quality="draft").wait(timeout=300, progress=False)
print(json.dumps({"export": job.status, "error": job.error, "size": job.file_size, "url": job.file_url}))
"""


@pytest.mark.slow
@pytest.mark.service
@pytest.mark.timeout(900)
def test_notebook_kernel_edits_through_the_service(hub: Hub, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    hub.admin("POST", "/users/alice/server")
    hub.wait(lambda: hub.admin("GET", "/users/alice")["servers"][""]["ready"], 300)
    token = hub.token("alice")
    printed = _execute(hub, "alice", token, KERNEL_CODE).strip().splitlines()
    result, export = json.loads(printed[-2]), json.loads(printed[-1])
    assert result["user"] == "alice" and result["remote"] == "RemoteServices"
    assert f"service='{hub.url}/services/fw/'" in result["repr"]
    assert result["opacity"] == 55
    assert result["fw_env"] == ["FW_SERVICE_URL"], "the kernel holds no database or store settings"
    assert ".fashion-wallet" not in result["home"], "nothing embedded was created"
    # rendered by the hub's fw-worker (RQ), downloaded through the proxy by its signed link
    assert export["export"] == "completed", export["error"]
    data = requests.get(export["url"], timeout=60).content
    assert export["url"].startswith(f"{hub.url}/services/fw/api/v1/exports/")
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) == export["size"]
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


@pytest.mark.slow
@pytest.mark.service
@pytest.mark.timeout(900)
def test_a_shared_app_link_renders_the_app_in_the_users_own_server(hub: Hub) -> None:
    """``app_link("gallery")`` through the hub: the user's server renders the gallery with Voila's offline
    template (no CDN in the page), no cell failing, as that user."""
    from fw_server.hub import app_link

    hub.admin("POST", "/users/bob/server")
    hub.wait(lambda: hub.admin("GET", "/users/bob")["servers"][""]["ready"], 300)
    link = app_link("gallery", hub.url)
    anonymous = requests.get(link, timeout=60)
    assert anonymous.url.startswith(f"{hub.url}/hub/login?next="), "whoever opens the link signs in first"
    browser = requests.Session()
    page = browser.get(f"{hub.url}/hub/login", timeout=30)
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    browser.post(f"{hub.url}/hub/login", data={"username": "bob", "password": PASSWORDS["bob"], "_xsrf": xsrf},
                 timeout=30)
    r = browser.get(link, timeout=600)  # user-redirect -> bob's server -> its OAuth with the hub -> the app
    assert r.status_code == 200, r.text[-2000:]
    assert r.url == f"{hub.url}/user/bob/voila/render/fw-apps/gallery.ipynb"
    page_html = r.text
    assert "voila" in page_html.lower() and "application/vnd.jupyter.widget-view+json" in page_html
    assert "cdnjs" not in page_html and "unpkg.com" not in page_html and "jsdelivr" not in page_html
    assert "Traceback" not in page_html and "There was an error when executing cell" not in page_html
