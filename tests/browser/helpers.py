"""Servers (JupyterLab, Voila) started for a browser test, Debian's chromium through Playwright, and pixel checks."""

from __future__ import annotations

import io
import ipaddress
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from PIL import Image

from tests.support.net import free_port, wait_port

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / name


class Server:
    """A server process in its own session with its log in a file; ``stop()`` ends that process group only."""

    def __init__(self, cmd: list[str], env: dict[str, str], cwd: Path, port: int, log: Path):
        self.port = port
        self.log = log
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=self._log_file, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        try:
            wait_port(port, timeout=120)
        except RuntimeError:
            self.stop()
            raise RuntimeError(f"{cmd[:3]} did not listen on {port}; log:\n{log.read_text()[-3000:]}") from None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self._log_file.close()


def server_env(tmp: Path, fw_home: Path, user: str = "ada") -> dict[str, str]:
    """The environment of a test server: its own FW_HOME, user and Jupyter dirs (nothing from ~)."""
    env = dict(os.environ)
    for key in ("FW_DATABASE_URL", "FW_MONGO_URL", "FW_REDIS_URL", "FW_STORAGE_URL", "QUERY_STRING"):
        env.pop(key, None)
    env.update({
        "FW_HOME": str(fw_home), "FW_USER": user, "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp / "lab-settings"), "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "lab-ws"),
        "JUPYTER_CONFIG_DIR": str(tmp / "jupyter-config"), "PYTHONUNBUFFERED": "1",
    })
    return env


def start_lab(tmp: Path, fw_home: Path, notebooks: list[Path]) -> tuple[Server, str]:
    """JupyterLab on a free port with a token, serving copies of ``notebooks`` from a temp dir."""
    root = tmp / "lab-root"
    root.mkdir(parents=True, exist_ok=True)
    for nb in notebooks:
        shutil.copy(nb, root / nb.name)
    # no "get notified about news?" toast over the page
    news = tmp / "lab-settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True, exist_ok=True)
    (news / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    token = uuid.uuid4().hex
    port = free_port()
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
           "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    return Server(cmd, server_env(tmp, fw_home), root, port, tmp / "lab.log"), token


def start_voila(tmp: Path, fw_home: Path, notebook: Path) -> Server:
    """The viewer app through ``fw_widgets.viewer_app`` (Voila with the offline template)."""
    from fw_widgets import viewer_app

    port = free_port()
    cmd = viewer_app.command(str(notebook), f"--port={port}", "--Voila.ip=127.0.0.1")
    env = viewer_app.environment(server_env(tmp, fw_home))
    return Server(cmd, env, tmp, port, tmp / "voila.log")


@contextmanager
def chromium(tmp: Path, width: int = 1600, height: int = 1100):
    """A Playwright browser context of Debian's chromium with a fresh profile."""
    from playwright.sync_api import sync_playwright

    profile = tmp / f"chromium-profile-{uuid.uuid4().hex[:8]}"
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": width, "height": height})
        try:
            yield context
        finally:
            context.close()


def is_loopback(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about", "chrome", "chrome-extension"):
        return True
    host = (parts.hostname or "").strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ConsoleLog:
    """Console errors and uncaught page errors of a page."""

    def __init__(self, page: Any):
        self.errors: list[str] = []
        page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        #: responses with an error status (the console line above names no URL)
        self.bad_responses: list[str] = []
        page.on("response", lambda r: self.bad_responses.append(f"{r.status} {r.url}") if r.status >= 400 else None)


def pixels(png: bytes) -> np.ndarray:
    """(H, W, 3) uint8 RGB of a PNG screenshot."""
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def hex_rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.int16)


def not_background(image: np.ndarray, background: str, tolerance: int = 40) -> np.ndarray:
    """(H, W) bool: pixels farther than ``tolerance`` (max channel difference) from the background colour."""
    return np.abs(image.astype(np.int16) - hex_rgb(background)).max(axis=2) > tolerance


def changed(a: np.ndarray, b: np.ndarray, tolerance: int = 40) -> float:
    """Share of pixels that differ by more than ``tolerance`` (max channel) between two same-size images."""
    return float((np.abs(a.astype(np.int16) - b.astype(np.int16)).max(axis=2) > tolerance).mean())


def wait_pixels(shoot: Any, predicate: Any, timeout: float = 60.0, interval: float = 0.05) -> tuple[np.ndarray, float]:
    """Screenshot until ``predicate(image)`` holds; returns the image and the seconds it took."""
    started = time.perf_counter()
    last = None
    while time.perf_counter() - started < timeout:
        last = pixels(shoot())
        if predicate(last):
            return last, time.perf_counter() - started
        time.sleep(interval)
    if last is not None:
        Image.fromarray(last).save(artifact(f"timeout-{int(time.time())}.png"))
    raise AssertionError(f"the viewport did not reach the expected pixels in {timeout} s (last frame saved "
                         f"in {ARTIFACTS})") from None


def run_notebook(page: Any, base: str, token: str, name: str) -> list[str]:
    """Open notebook ``name`` of a :func:`start_lab` server, Run All, wait until every code cell ran; returns the
    texts of the error and stderr outputs (``[]`` when it ran cleanly)."""
    from tests.browser.test_studio_browser import ALL_RUN, ERRORS_IN_OUTPUTS, LAB_READY, RUN_ALL

    page.goto(f"{base}/lab/tree/{name}?token={token}")
    page.wait_for_function(LAB_READY, timeout=120_000)
    page.evaluate(RUN_ALL)
    page.wait_for_function(ALL_RUN, timeout=600_000, polling=500)
    return page.evaluate(ERRORS_IN_OUTPUTS)
