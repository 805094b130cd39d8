"""Fixtures: in-memory services for unit tests; real PostgreSQL, Redis and a MongoDB-protocol server
(SecantusDB, started here) for the ``service`` tests. A missing server fails those tests, never skips them."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from fw_kernel.adapters.cache_local import LocalStateCache
from fw_kernel.adapters.catalog_files import load_manifests
from fw_kernel.adapters.memory import MemoryDocumentStore, MemoryStore, MemoryUnitOfWork
from fw_kernel.bootstrap import Services, wire
from fw_kernel.settings import Settings
from tests.support import ROOT
from tests.support.servers import REDIS_URL, MongoServer, fresh_postgres_database

_CATALOG = load_manifests(ROOT / "catalog_data")


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
