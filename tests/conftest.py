"""Fixtures: in-memory services for unit tests; real PostgreSQL, Redis and a MongoDB-protocol server
(SecantusDB, started here) for the ``service`` tests. A missing server fails those tests, never skips them."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from fw_kernel.adapters.cache_local import LocalStateCache
from fw_kernel.adapters.catalog_files import load_manifests
from fw_kernel.adapters.memory import MemoryDocumentStore, MemoryStore, MemoryUnitOfWork
from fw_kernel.bootstrap import Services, wire
from fw_kernel.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("FW_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("FW_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

_CATALOG = load_manifests(ROOT / "catalog_data")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


# -- in-memory ---------------------------------------------------------------------------------------------
@pytest.fixture
def memory_services() -> Iterator[Services]:
    store = MemoryStore()
    settings = Settings(user="ada", autosave_thread=False, autosave_debounce_s=30, home=Path("/nonexistent"))
    services = wire(settings, lambda: MemoryUnitOfWork(store), MemoryDocumentStore(), LocalStateCache(),
                    lambda: _CATALOG)
    yield services
    services.autosaver.stop(flush=False)


# -- real servers ------------------------------------------------------------------------------------------
@contextmanager
def fresh_postgres_database(prefix: str = "fw_test") -> Iterator[str]:
    """CREATE DATABASE <prefix>_<random> on the test PostgreSQL; yield its URL; DROP it afterwards."""
    import sqlalchemy as sa

    from fw_kernel.adapters.sql.engine import normalise_url

    admin = sa.create_engine(normalise_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as c:
            c.exec_driver_sql(f"CREATE DATABASE {name}")
    except Exception as exc:
        pytest.fail(f"PostgreSQL is needed at {PG_ADMIN_URL} (set FW_TEST_POSTGRES_URL): {exc}")
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as c:
            c.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for the test session (dropped at the end)."""
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        pytest.fail(f"Redis is needed at {REDIS_URL} (set FW_TEST_REDIS_URL): {exc}")
    return REDIS_URL


class ServerProcess:
    """A server in a child process on a free port; ``stop()``/``start()`` (same port) for outage tests."""

    scheme = ""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self) -> ServerProcess:
        self.proc = subprocess.Popen(self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


class MongoServer(ServerProcess):
    """SecantusDB: a MongoDB wire-protocol server (test-only dependency)."""

    scheme = "mongodb"

    def command(self) -> list[str]:
        exe = shutil.which("secantusd-py") or str(Path(sys.executable).parent / "secantusd-py")
        return [exe, "--host", "127.0.0.1", "--port", str(self.port), "--storage-path", ":memory:"]


class RedisServer(ServerProcess):
    """A private redis-server (for tests that stop Redis mid-edit without touching the shared one)."""

    scheme = "redis"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self) -> list[str]:
        exe = shutil.which("redis-server") or "/usr/bin/redis-server"
        return [exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]


@pytest.fixture(scope="session")
def mongo_url() -> Iterator[str]:
    external = os.environ.get("FW_TEST_MONGO_URL")
    if external:  # any real mongod
        yield external
        return
    server = MongoServer().start()
    yield server.url
    server.stop()


@pytest.fixture
def unique_user() -> str:
    return f"u_{uuid.uuid4().hex[:8]}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.service)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str | None]:
    """Connection settings for both relational backends (documents in SQL for SQLite, MongoDB for PG)."""
    if request.param == "sqlite":
        return {"home": str(tmp_path / "fw"), "database_url": None, "mongo_url": None, "redis_url": None}
    return {"home": str(tmp_path / "fw"), "database_url": request.getfixturevalue("postgres_url"),
            "mongo_url": request.getfixturevalue("mongo_url"), "redis_url": request.getfixturevalue("redis_url")}


@pytest.fixture
def connect(backend: dict[str, str | None], unique_user: str):
    """``connect(user=...)`` opens a workspace on the test's backend; all are closed at the end."""
    import fw_kernel as fw

    opened: list[fw.Workspace] = []

    def _connect(user: str | None = None, **options: object) -> fw.Workspace:
        options.setdefault("autosave_thread", False)
        ws = fw.connect(**backend, user=user or unique_user, **options)  # type: ignore[arg-type]
        opened.append(ws)
        return ws

    yield _connect
    for ws in opened:
        ws.close()
