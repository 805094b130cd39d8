"""Two designers on one ``fw hub`` whose design service keeps its data in PostgreSQL + a MongoDB-protocol server
(SecantusDB, or ``FW_TEST_MONGO_URL``) + Redis: both log in through the hub's form, spawn their JupyterLab, run
the studio notebook in a kernel of it, and alice shares her design with bob (issue #7's end-to-end test).

One hub for the module; the steps run in order in one test (they build on each other: the kernels keep their
variables between steps, as a notebook does).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from tests.server.test_hub import PASSWORDS, Hub
from tests.support import ROOT
from tests.support.servers import fresh_postgres_database

pytestmark = [pytest.mark.service, pytest.mark.slow, pytest.mark.timeout(900)]

NOTEBOOK = ROOT / "notebooks" / "01_design_studio.ipynb"
REDIS_DB = 13  # the hub's own Redis database: rate-limit counters and undo stacks apart from parallel tests


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this module's hub (dropped at the end)."""
    with fresh_postgres_database("fw_e2e") as url:
        yield url


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory, database_url: str, mongo_url: str,
             redis_url: str) -> Iterator[Hub]:
    """``fw hub`` with the service on PostgreSQL + Mongo + Redis (exports in the service: no worker needed)."""
    redis_db = redis_url.rsplit("/", 1)[0] + f"/{REDIS_DB}"
    # anny's model cache, shared by the service and the kernels: on a machine that has none yet, built here
    # while the hub starts (1-2 min), not inside the notebook's first avatar call (the client waits 120 s)
    cache = Path(os.environ.get("ANNY_CACHE_DIR") or Path("~/.cache/anny").expanduser())
    warm = None if list(cache.glob("*/build_compact_model_data*")) else subprocess.Popen(
        [sys.executable, "-c", "from fw_kernel.geometry.body.model import body_model; body_model()"])
    hub = Hub(tmp_path_factory.mktemp("hub-e2e"), redis_db,
              {"FW_DATABASE_URL": database_url, "FW_MONGO_URL": mongo_url, "FW_QUEUE": "local",
               "FW_AUTOSAVE_DEBOUNCE_S": "1"})  # the service's auto-saves reach Mongo within a few seconds
    if warm is not None:
        assert warm.wait(600) == 0, "building anny's model cache failed"
    yield hub
    log = hub.stop()
    # up to the shutdown: JupyterHub's periodic service health check can race its own clean-up after that
    running = log.split("Received signal SIGTERM")[0]
    assert "Traceback" not in running, running[-4000:]


class Designer:
    """One person in a browser-like HTTP session: logged in through the hub's login form, then in their own
    JupyterLab (reached through the hub's OAuth redirects, so the session holds that server's cookies too)."""

    def __init__(self, hub: Hub, name: str):
        self.hub, self.name = hub, name
        self.session = requests.Session()
        page = self.session.get(f"{hub.url}/hub/login", timeout=30)
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.text).group(1)
        r = self.session.post(f"{hub.url}/hub/login", data={"username": name, "password": PASSWORDS[name],
                                                            "_xsrf": xsrf}, allow_redirects=False, timeout=30)
        assert r.status_code == 302 and "jupyterhub-hub-login" in r.cookies, (r.status_code, r.text[:500])

    def _hub_xsrf(self) -> dict[str, str]:
        return {"X-XSRFToken": self.session.cookies.get("_xsrf", path="/hub/") or ""}

    def spawn(self) -> None:
        """Start the server as the hub home page's Start button does (its REST API, with the session's cookie
        and XSRF token)."""
        r = self.session.post(f"{self.hub.url}/hub/api/users/{self.name}/server", headers=self._hub_xsrf(),
                              timeout=60)
        assert r.status_code in (201, 202), (r.status_code, r.text[:500])

    def wait_ready(self, timeout: float = 300) -> None:
        self.hub.wait(lambda: self.session.get(f"{self.hub.url}/hub/api/users/{self.name}", timeout=30)
                      .json()["servers"][""]["ready"], timeout)
        # the OAuth dance: /user/<name>/lab -> hub authorize -> the server's callback sets its cookie
        lab = self.session.get(f"{self.hub.url}/user/{self.name}/lab", timeout=120)
        assert lab.status_code == 200 and lab.url.startswith(f"{self.hub.url}/user/{self.name}/"), lab.url

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """The user's Jupyter server REST API with the session's cookies (and its XSRF token)."""
        xsrf = self.session.cookies.get("_xsrf", path=f"/user/{self.name}/") or ""
        r = self.session.request(method, f"{self.hub.url}/user/{self.name}/api{path}",
                                 headers={"X-XSRFToken": xsrf}, timeout=120, **kwargs)
        r.raise_for_status()
        return r

    def kernel(self) -> Kernel:
        return Kernel(self)


class Kernel:
    """A kernel of the designer's JupyterLab, driven over its WebSocket as the Lab page does."""

    def __init__(self, designer: Designer):
        from websockets.sync.client import connect

        self.designer = designer
        self.id = designer.api("POST", "/kernels", json={"name": "python3"}).json()["id"]
        cookies = "; ".join(f"{c.name}={c.value}" for c in designer.session.cookies)
        netloc = urlsplit(designer.hub.url).netloc
        self.ws = connect(f"ws://{netloc}/user/{designer.name}/api/kernels/{self.id}/channels",
                          additional_headers={"Cookie": cookies}, origin=designer.hub.url, open_timeout=60,
                          max_size=None).__enter__()  # left by close()
        self.session = uuid.uuid4().hex

    def run(self, code: str, timeout: float = 300) -> dict[str, Any]:
        """Execute ``code``; returns its ``stdout`` and ``results`` (text/plain of execute results); an error
        in the kernel fails the test with the kernel's traceback."""
        msg_id = uuid.uuid4().hex
        self.ws.send(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": self.designer.name,
                       "session": self.session, "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {}, "channel": "shell",
            "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True}}))
        out: dict[str, Any] = {"stdout": "", "results": [], "displays": 0, "binary": 0}
        error, reply, idle = "", None, False
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{self.designer.name}'s kernel did not finish in {timeout} s:\n{code}")
            frame = self.ws.recv(timeout=left)
            if isinstance(frame, bytes):  # a message with binary buffers: the studio's widget comms
                out["binary"] += 1
                continue
            msg = json.loads(frame)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream" and content["name"] == "stdout":
                out["stdout"] += content["text"]
            elif kind == "execute_result":
                out["results"].append(content["data"].get("text/plain", ""))
            elif kind == "display_data":
                out["displays"] += 1
            elif kind == "error":  # raised once the kernel has answered (it is then idle again)
                error = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(content["traceback"]))
            elif kind == "execute_reply" and msg["channel"] == "shell":
                reply = content
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
            if reply is not None and idle:  # the reply (shell) and all the output (iopub, idle last) are in
                if error or reply["status"] != "ok":
                    raise AssertionError(f"{self.designer.name}'s kernel failed running:\n{code}\n\n"
                                         f"{error or reply}")
                return out

    def value(self, code: str) -> Any:
        """The JSON printed last by ``code``."""
        return json.loads(self.run(code)["stdout"].strip().splitlines()[-1])

    def close(self) -> None:
        self.ws.__exit__(None, None, None)
        self.designer.api("DELETE", f"/kernels/{self.id}")


def notebook_cells(path: Path) -> list[str]:
    return ["".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]


ENVIRONMENT = """
import json, os
print(json.dumps(dict(os.environ)))
"""

CALL = """
import json
def _try(fn):
    try:
        return {"ok": repr(fn())}
    except fw.FWError as exc:
        return {"error": type(exc).__name__, "message": str(exc)}
"""


def _layers(kernel: Kernel, handle: str) -> list[dict[str, Any]]:
    return kernel.value(f"print(json.dumps([l.model_dump(mode='json') for l in {handle}.layers]))")


def test_two_designers_share_a_design(platform: Hub, database_url: str, mongo_url: str, redis_url: str) -> None:
    hub = platform
    alice, bob = Designer(hub, "alice"), Designer(hub, "bob")
    alice.spawn()
    bob.spawn()
    alice.wait_ready()
    bob.wait_ready()
    kernels = {"alice": alice.kernel(), "bob": bob.kernel()}
    a, b = kernels["alice"], kernels["bob"]
    try:
        # -- the studio notebook, top to bottom, in each designer's kernel (both at once) ---------------------
        cells = notebook_cells(NOTEBOOK)
        with ThreadPoolExecutor(2) as pool:
            outputs = dict(zip(kernels, pool.map(lambda k: [k.run(cell) for cell in cells], kernels.values())))
        for name, out in outputs.items():
            # fw.connect() found the hub's service and the user's token
            assert out[0]["results"] == [f"Workspace(user='{name}', service='{hub.url}/services/fw/')"]
            studio = next(i for i, cell in enumerate(cells) if "design.show()" in cell)
            assert "DesignStudio" in out[studio]["results"][0], out[studio]
            assert out[studio]["binary"] > 0, "the studio sent no geometry buffers"
            assert out[-1]["stdout"].startswith("this design's id, for the viewer app:")
        for kernel in kernels.values():
            kernel.run(CALL)
        ids = {name: k.value("print(json.dumps(design.id))") for name, k in kernels.items()}
        assert ids["alice"] != ids["bob"]
        mine = a.value("print(json.dumps({'owner': design.owner, 'layers': len(design.layers), "
                       "'versions': [v.version_number for v in design.versions]}))")
        assert mine == {"owner": "alice", "layers": 3, "versions": [1, 2]}

        # -- neither kernel holds a database URL or password ---------------------------------------------------
        for name, kernel in kernels.items():
            env = kernel.value(ENVIRONMENT)
            assert sorted(k for k in env if k.startswith("FW_")) == ["FW_SERVICE_URL"], env
            assert env["JUPYTERHUB_USER"] == name
            blob = json.dumps(env)
            for secret in (database_url, mongo_url, redis_url.rsplit("/", 1)[0], "postgresql", "mongodb://",
                           "redis://", *PASSWORDS.values()):
                assert secret not in blob, f"{name}'s kernel environment holds {secret!r}"
            assert not [k for k in env if re.search("PASSWORD|DATABASE|MONGO|REDIS|SECRET", k)], env

        # -- alice's design is private: bob cannot list or open it, and cannot tell it exists ----------------
        assert ids["alice"] not in b.value("print(json.dumps([d.id for d in ws.designs.list()]))")
        hidden = b.value(f"print(json.dumps(_try(lambda: ws.designs.get({ids['alice']!r}))))")
        missing_id = uuid.uuid4().hex
        missing = b.value(f"print(json.dumps(_try(lambda: ws.designs.get({missing_id!r}))))")
        assert hidden["error"] == missing["error"] == "NotFound", (hidden, missing)
        assert hidden["message"].replace(ids["alice"], "<id>") == missing["message"].replace(missing_id, "<id>")

        # -- shared as viewer: bob lists and opens it, sees the same layers, cannot edit ----------------------
        a.run("design.share('bob', role='viewer')")
        assert ids["alice"] in b.value("print(json.dumps([d.id for d in ws.designs.list()]))")
        b.run(f"shared = ws.designs.get({ids['alice']!r})")
        assert b.value("print(json.dumps([shared.owner, shared.role]))") == ["alice", "viewer"]
        assert _layers(b, "shared") == _layers(a, "design")
        denied = b.value("print(json.dumps(_try(lambda: shared.update_layer(shared.layers[0].id, opacity=40))))")
        assert denied["error"] == "PermissionDenied", denied
        assert a.value("print(json.dumps(design.refresh().layers[0].opacity))") == 100

        # -- editor: bob's edit is saved and alice sees it after a refresh -------------------------------------
        a.run("design.share('bob', role='editor')")
        before = a.value("print(json.dumps(design.refresh().version))")
        b.run("shared.refresh(); shared.update_layer(shared.layers[0].id, opacity=40, "
              "customization={'color': '#336699'})")
        after = a.value("d = design.refresh(); print(json.dumps([d.version, d.layers[0].opacity, "
                        "d.layers[0].customization['color']]))")
        assert after[0] > before and after[1:] == [40, "#336699"], (before, after)
        assert _layers(a, "design") == _layers(b, "shared.refresh()")
        history = a.value("print(json.dumps([(h.user, h.action) for h in design.history][-1]))")
        assert history[0] == "bob", history
    finally:
        for kernel in kernels.values():
            kernel.close()

    # -- the rows are in PostgreSQL and the documents in the MongoDB-protocol server ------------------------
    _check_postgres(database_url, ids, after[0])
    _check_mongo(mongo_url, ids["alice"], after[0])
    _check_redis(redis_url.rsplit("/", 1)[0] + f"/{REDIS_DB}", ids, after[0])


def _check_postgres(url: str, ids: dict[str, str], version: int) -> None:
    import sqlalchemy as sa

    from fw_kernel.adapters.sql.engine import normalise_url

    engine = sa.create_engine(normalise_url(url))
    try:
        with engine.connect() as c:
            rows = dict(c.execute(sa.text("SELECT id, owner FROM design.designs")).all())
            assert rows == {ids["alice"]: "alice", ids["bob"]: "bob"}
            assert c.execute(sa.text("SELECT version FROM design.designs WHERE id = :i"),
                             {"i": ids["alice"]}).scalar_one() == version
            layers = c.execute(sa.text("SELECT catalog_item_id, opacity FROM design.layers WHERE design_id = :i "
                                       "ORDER BY order_index"), {"i": ids["alice"]}).all()
            assert [tuple(r) for r in layers] == [("sil-aline-dress", 40), ("fab-linen-natural", 70),
                                                  ("acc-sneakers", 100)]
            assert c.execute(sa.text("SELECT user_name, role FROM design.collaborators WHERE design_id = :i"),
                             {"i": ids["alice"]}).all() == [("bob", "editor")]
            versions = c.execute(sa.text("SELECT version_number, message FROM design.versions WHERE design_id = :i "
                                         "ORDER BY version_number"), {"i": ids["alice"]}).all()
            assert [tuple(v) for v in versions] == [(1, "first draft"), (2, "longer dress")]
            avatars = c.execute(sa.text("SELECT owner FROM avatar.avatars ORDER BY owner")).scalars().all()
            assert avatars == ["alice", "bob"]
    finally:
        engine.dispose()


def _check_mongo(url: str, design_id: str, version: int) -> None:
    """The checkpoints' snapshots and the auto-save of the last version (both written by the service's
    auto-saver thread, so they may lag the edits by a pass or two)."""
    import pymongo

    client = pymongo.MongoClient(url, serverSelectionTimeoutMS=5000)
    db = client["fashion_wallet"]
    try:
        deadline = time.monotonic() + 30
        while True:
            snapshots = sorted(d["versionId"] for d in db["design_snapshots"].find({"designId": design_id}))
            saved = sorted(d["designVersion"] for d in db["design_autosaves"].find({"designId": design_id}))
            if (snapshots == [1, 2] and saved and saved[-1] == version) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert snapshots == [1, 2], snapshots
        assert saved and saved[-1] == version, (saved, version)
    finally:
        client.close()


def _check_redis(url: str, ids: dict[str, str], version: int) -> None:
    """The auto-saved state of alice's last version is cached in the hub's Redis database (then removed)."""
    import redis

    from fw_kernel.adapters.cache_redis import RedisStateCache

    client = redis.Redis.from_url(url)
    try:
        cached = json.loads(client.get(RedisStateCache.state_key(ids["alice"])) or "{}")
        assert cached.get("version") == version, cached.get("version")
        assert cached["state"]["layers"][0]["opacity"] == 40
    finally:
        client.delete(*(RedisStateCache.state_key(i) for i in ids.values()))
        client.close()
