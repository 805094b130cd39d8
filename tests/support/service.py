"""A running design service for the tests: in a thread of the test process (the kernel services are reachable
for checks), on the embedded SQLite default or on PostgreSQL + MongoDB-protocol + Redis; or ``fw service`` in a
child process. Fixtures over these: ``tests/server/conftest.py``."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests

import fw_kernel as fw
from fw_kernel.bootstrap import Services, local_services
from fw_kernel.settings import Settings
from fw_server.config import ServiceConfig
from tests.support.net import free_port, wait_port

TOKENS = {"alice": "tok-alice-0123456789", "bob": "tok-bob-0123456789", "carol": "tok-carol-0123456789",
          "dave": "tok-dave-0123456789"}
EXPIRED = "tok-expired-0123456789"


class RunningService:
    """The app on a free port, served by an IO loop in a daemon thread."""

    def __init__(self, services: Services, config: ServiceConfig):
        self.services = services
        self.config = config
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}{config.prefix}"
        self.app: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._started = threading.Event()
        self._error: BaseException | None = None

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # surfaced by start()
            self._error = exc
            self._started.set()

    async def _main(self) -> None:
        import tornado.httpserver

        from fw_server.app import make_app

        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self.app = make_app(self.services, self.config)
        service = self.app.settings["fw_service"]
        await service.events.start()
        server = tornado.httpserver.HTTPServer(self.app, max_body_size=10_000_000)
        server.listen(self.port, "127.0.0.1")
        self._started.set()
        await self._stop.wait()
        server.stop()
        await service.events.stop()
        await service.limiter.close()
        service.close()

    def start(self) -> RunningService:
        self._thread.start()
        self._started.wait(30)
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    @property
    def service(self) -> Any:
        return self.app.settings["fw_service"]

    def client(self, user: str | None) -> Client:
        return Client(self.base, TOKENS[user] if user else None)


class Client:
    """requests with the user's token and the prefix."""

    def __init__(self, base: str, token: str | None):
        self.base = base
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"token {token}"

    def __getattr__(self, method: str) -> Any:
        def call(path: str, **kwargs: Any) -> requests.Response:
            # generous: the first avatar on a fresh machine fits anny's body model cold (its kernels compile,
            # > 60 s on 2 loaded cores); a hang still ends in pytest's timeout
            return self.session.request(method.upper(), self.base + path, timeout=300, **kwargs)

        return call


def service_config(**overrides: Any) -> ServiceConfig:
    table = {token: (user, None) for user, token in TOKENS.items()}
    table[EXPIRED] = ("alice", time.time() - 1)
    return ServiceConfig(**{"tokens": table, "secret": "test-secret-" + uuid.uuid4().hex, "rate_limit": 100_000,
                            "redis_url": "", **overrides})


def kernel_services(home: Path, **settings: Any) -> Services:
    services = local_services(Settings(home=home, user="fw-service", autosave_thread=False, queue="local", **settings))
    return services


class ServiceProcess:
    """``fw service --port P`` in a child process (the way it runs in production), with ``FW_*`` settings."""

    def __init__(self, env: dict[str, str]):
        import os

        self.port = free_port()
        self.env = {**os.environ, **env}
        self.base = f"http://127.0.0.1:{self.port}/api/v1"
        self.proc: Any = None

    def start(self) -> ServiceProcess:
        import subprocess
        import sys

        self.proc = subprocess.Popen([sys.executable, "-m", "fw_kernel.cli", "service", "--port", str(self.port)],
                                     env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_port(self.port, 120)
        return self

    def client(self, user: str) -> Client:
        return Client(self.base, TOKENS[user])

    def stop(self) -> str:
        """Stop it; returns what it wrote on stderr (errors are logged there)."""
        if self.proc is None:
            return ""
        self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=30)
        except Exception:
            self.proc.kill()
            _, err = self.proc.communicate()
        self.proc = None
        return err.decode(errors="replace")


def token_table() -> str:
    return ",".join(f"{token}:{user}" for user, token in TOKENS.items())


@contextlib.contextmanager
def two_processes(stores: dict[str, str]) -> Iterator[tuple[ServiceProcess, ServiceProcess]]:
    """Two ``fw service`` processes on the same stores (``FW_*`` URLs) with one shared secret, the test users'
    tokens, no rate limit and no auto-save debounce; on exit, neither may have logged a traceback."""
    env = {**stores, "FW_SERVICE_TOKENS": token_table(), "FW_SERVICE_RATE_LIMIT": "100000",
           "FW_AUTOSAVE_DEBOUNCE_S": "0", "FW_SERVICE_SECRET": "shared-by-both-processes"}
    first = ServiceProcess(env).start()
    second = ServiceProcess(env).start()
    try:
        yield first, second
    finally:
        errors = first.stop() + second.stop()
    assert "Traceback" not in errors, errors


SERVICE_ENV = ("FW_DATABASE_URL", "FW_MONGO_URL", "FW_REDIS_URL", "FW_STORAGE_URL", "FW_QUEUE", "FW_SERVICE_URL",
               "FW_SERVICE_TOKEN", "JUPYTERHUB_API_TOKEN", "JUPYTERHUB_USER", "JUPYTERHUB_PUBLIC_URL")
"""What a notebook on a hub does not have: the stores' URLs and the hub's variables."""


def remote(service: ServiceProcess, user: str) -> fw.Workspace:
    return fw.connect(service_url=service.url, token=TOKENS[user])


def local(home: Path, user: str) -> fw.Workspace:
    return fw.connect(home=str(home), user=user, autosave_thread=False, queue="local")
