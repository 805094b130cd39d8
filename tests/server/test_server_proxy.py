"""The design service behind jupyter-server-proxy on a laptop (no hub): a real JupyterLab server with a token
starts ``fw service`` on the first request to ``/fw-service/``; the REST API and the events work through the
proxy URL, only with the Jupyter token, on the same embedded storage as the notebook kernels."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests
from websockets.sync.client import connect as ws_connect

from fw_server import proxy
from tests.support.net import free_port, wait_port

pytestmark = pytest.mark.slow  # JupyterLab plus the service's cold start: ~20-40 s on two busy cores

USER = "ada"
JUPYTER_TOKEN = "jupyter-token-0123456789abcdef"


@dataclass
class Lab:
    port: int
    home: Path
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api(self) -> str:
        return f"{self.url}/fw-service/api/v1"

    def get(self, path: str, token: str | None = JUPYTER_TOKEN, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, token, **kwargs)

    def call(self, method: str, path: str, token: str | None = JUPYTER_TOKEN, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"token {token}"} if token else {}
        return requests.request(method, self.url + path, headers=headers, timeout=180, allow_redirects=False,
                                **kwargs)

    def service_processes(self) -> list[psutil.Process]:
        """The ``fw service`` processes the Jupyter server started."""
        return [p for p in psutil.Process(self.proc.pid).children(recursive=True)
                if "service" in p.cmdline() and "fw_kernel.cli" in p.cmdline()]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """One JupyterLab for the module (its start is most of the time); no test before the on-demand one may
    touch /fw-service/."""
    tmp_path = tmp_path_factory.mktemp("lab")
    home = tmp_path / "fw"
    port = free_port()
    # nothing of the test machine's FW_*/JUPYTERHUB_* settings: a laptop's embedded default under FW_HOME
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FW_", "JUPYTERHUB_", "JUPYTER_"))}
    env.update({"FW_HOME": str(home), "FW_USER": USER, "FW_QUEUE": "local",
                "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter-config"),
                "JUPYTER_RUNTIME_DIR": str(tmp_path / "jupyter-runtime")})
    args = [str(Path(sys.executable).with_name("jupyter")), "lab", "--no-browser", "--ip=127.0.0.1",
            f"--port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={JUPYTER_TOKEN}",
            f"--ServerApp.root_dir={tmp_path}"]
    if os.geteuid() == 0:  # containers and CI run as root; Jupyter refuses it otherwise
        args.append("--allow-root")
    log = tmp_path / "jupyter.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path)
    running = Lab(port, home, proc, log)
    try:
        wait_port(port, 120)
        yield running
    finally:
        children = running.service_processes() if proc.poll() is None else []
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        for child in children:  # jupyter-server-proxy stops its processes; make sure of it
            if child.is_running():
                child.terminate()
                child.wait(10)


def _next_event(ws: Any, event: str, timeout: float = 20.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        if message.get("event") == event:
            return message


def test_the_launcher_lists_the_service(lab: Lab) -> None:
    info = lab.get("/server-proxy/servers-info")
    assert info.status_code == 200, info.text
    (entry,) = [s for s in info.json()["server_processes"] if s["name"] == "fw-service"]
    launcher = entry["launcher_entry"]
    assert launcher["enabled"] is True and launcher["title"] == "Fashion Wallet API"
    assert launcher["path_info"] == "fw-service/api/v1/openapi.json"
    icon = lab.get(launcher["icon_url"])
    assert icon.status_code == 200 and b"<svg" in icon.content
    # JupyterLab loads the proxy's launcher extension, which reads servers-info to draw the entry
    page = lab.get("/lab")
    assert page.status_code == 200
    assert "@jupyterhub/jupyter-server-proxy" in page.text
    assert lab.service_processes() == []  # listing the launcher starts nothing (and this runs first)


def test_the_service_starts_on_demand_behind_the_proxy(lab: Lab) -> None:
    import fw_kernel as fw

    # a design made in a notebook kernel (the same FW_HOME and user) before the service ever ran
    ws = fw.connect(home=str(lab.home), user=USER, autosave_thread=False)
    try:
        from_notebook = ws.designs.create("From the notebook").id
    finally:
        ws.close()
    assert lab.service_processes() == []  # nothing started yet: on demand

    # the first request starts the service (allow its start-up) and gets the OpenAPI document through the proxy
    r = lab.get("/fw-service/api/v1/openapi.json")
    assert r.status_code == 200, (r.status_code, r.text[:500], lab.log.read_text()[-3000:])
    doc = r.json()
    assert doc["openapi"].startswith("3.") and any(p.startswith("/designs") for p in doc["paths"])
    assert doc["servers"][0]["url"] == "/fw-service/api/v1"  # it knows where it answers

    # the notebook's design is there, as the local user's
    listed = lab.get("/fw-service/api/v1/designs")
    assert listed.status_code == 200, listed.text
    assert from_notebook in [d["id"] for d in listed.json()]

    # create through the proxy, read it back through the proxy and from a kernel
    r = lab.call("POST", "/fw-service/api/v1/designs", json={"name": "Through the proxy", "category": "outfit"})
    assert r.status_code == 201, r.text
    did = r.json()["id"]
    got = lab.get(f"/fw-service/api/v1/designs/{did}").json()
    assert got["name"] == "Through the proxy" and got["owner"] == USER
    ws = fw.connect(home=str(lab.home), user=USER, autosave_thread=False)
    try:
        assert ws.designs.get(did).name == "Through the proxy"
    finally:
        ws.close()

    # without the Jupyter token the Jupyter server refuses (login redirect for a page, 403 for the rest)
    assert lab.get("/fw-service/api/v1/designs", token=None).status_code in (302, 403)
    assert lab.call("POST", "/fw-service/api/v1/designs", token=None, json={"name": "x"}).status_code == 403
    assert lab.get("/fw-service/api/v1/designs", token="wrong-token").status_code in (302, 403)

    # the service listens on the loopback only, and going around the proxy (without its secret) gets 401
    (service,) = lab.service_processes()
    listening = [c.laddr for c in service.net_connections(kind="tcp") if c.status == psutil.CONN_LISTEN]
    assert listening and {a.ip for a in listening} == {"127.0.0.1"}, listening
    direct = f"http://127.0.0.1:{listening[0].port}/fw-service/api/v1/designs"
    assert requests.get(direct, timeout=30).status_code == 401
    assert requests.get(direct, headers={"Authorization": f"token {JUPYTER_TOKEN}"}, timeout=30).status_code == 401
    assert "FW_SERVICE_TOKENS" not in " ".join(service.cmdline())  # the secret is not on a command line

    # events through the proxy: subscribe, edit through the proxy, the event arrives
    events = lab.api.replace("http://", "ws://") + "/events"
    with ws_connect(events, additional_headers={"Authorization": f"token {JUPYTER_TOKEN}"},
                    open_timeout=30) as sock:
        sock.send(json.dumps({"action": "subscribe", "namespace": "/design", "design_id": did}))
        assert json.loads(sock.recv(timeout=20))["type"] == "subscribed"
        r = lab.call("POST", f"/fw-service/api/v1/designs/{did}/layers", json={"item_id": "sil-aline-dress"})
        assert r.status_code == 201, r.text
        event = _next_event(sock, "layer_added")
        assert event["design_id"] == did and event["user"] == USER
    with pytest.raises(Exception, match="403"):  # no Jupyter token: no WebSocket
        ws_connect(events, open_timeout=30)


def test_setup_refuses_a_user_name_the_token_table_cannot_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FW_SERVICE_URL", raising=False)
    monkeypatch.setenv("FW_USER", "ada:admin")
    with pytest.raises(ValueError, match="FW_USER"):
        proxy.setup()
    monkeypatch.setenv("FW_USER", "ada")
    first, second = proxy.setup(), proxy.setup()
    secret = first["request_headers_override"]["Authorization"].removeprefix("token ")
    assert first["environment"]["FW_SERVICE_TOKENS"] == f"{secret}:ada"
    assert secret != second["request_headers_override"]["Authorization"].removeprefix("token ")  # new per launch
    assert first["command"][-4:] == ["--ip", "127.0.0.1", "--port", "{port}"]
    assert Path(first["launcher_entry"]["icon_path"]).is_file()
    assert first["launcher_entry"]["enabled"] is True
    monkeypatch.setenv("FW_SERVICE_URL", "http://hub.example/services/fw/")  # on a hub: the hub's service
    assert proxy.setup()["launcher_entry"]["enabled"] is False
