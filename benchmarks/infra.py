"""The servers a benchmark run needs: a throw-away PostgreSQL database, a private SecantusDB (MongoDB wire
protocol) server, the shared Redis, and a temporary ``FW_HOME``. Everything made here is removed on exit."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# one free_port/wait_port and one set of test-server URLs for the tests and the benchmarks
from tests.support.net import free_port, wait_port
from tests.support.servers import PG_ADMIN_URL, REDIS_URL


@dataclass
class Backend:
    """What ``fw.connect(**backend.connect_kwargs())`` needs, plus raw URLs for the baselines."""

    name: str                      # "sqlite" | "postgres"
    home: Path
    database_url: str | None = None
    mongo_url: str | None = None
    redis_url: str | None = None

    def connect_kwargs(self) -> dict[str, str | None]:
        return {"home": str(self.home), "database_url": self.database_url, "mongo_url": self.mongo_url,
                "redis_url": self.redis_url}

    @property
    def sqlite_path(self) -> Path:
        return self.home / "fashion_wallet.sqlite3"

    def describe(self) -> str:
        if self.name == "sqlite":
            return "SQLite (WAL) + documents in SQLite + in-process cache"
        return "PostgreSQL + MongoDB protocol (SecantusDB) + Redis"


@contextmanager
def temp_home(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def postgres_database(admin_url: str = PG_ADMIN_URL) -> Iterator[str]:
    """CREATE DATABASE fw_bench_<random>; yield its URL; DROP it (WITH FORCE) afterwards."""
    import sqlalchemy as sa

    from fw_kernel.adapters.sql.engine import normalise_url

    admin = sa.create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT")
    name = f"fw_bench_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as c:
            c.exec_driver_sql(f"CREATE DATABASE {name}")
    except Exception as exc:
        admin.dispose()
        raise RuntimeError(f"PostgreSQL is needed at {admin_url} (set FW_TEST_POSTGRES_URL): {exc}") from exc
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as c:
            c.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


@contextmanager
def secantus_server() -> Iterator[str]:
    """A private SecantusDB server on a free port with in-memory storage; killed afterwards."""
    exe = shutil.which("secantusd-py") or str(Path(sys.executable).parent / "secantusd-py")
    port = free_port()
    proc = subprocess.Popen([exe, "--host", "127.0.0.1", "--port", str(port), "--storage-path", ":memory:"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
        yield f"mongodb://127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait()


def check_redis(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:
        raise RuntimeError(f"Redis is needed at {url} (set FW_TEST_REDIS_URL): {exc}") from exc


@contextmanager
def backend(name: str, mongo_url: str | None = None) -> Iterator[Backend]:
    """The servers of one backend. ``mongo_url`` (or ``FW_TEST_MONGO_URL``) uses an external mongod."""
    with temp_home(f"fw_bench_{name}_") as home:
        if name == "sqlite":
            yield Backend("sqlite", home)
            return
        check_redis(REDIS_URL)
        mongo_url = mongo_url or os.environ.get("FW_TEST_MONGO_URL")
        with postgres_database() as pg_url:
            if mongo_url:
                yield Backend("postgres", home, pg_url, mongo_url, REDIS_URL)
            else:
                with secantus_server() as url:
                    yield Backend("postgres", home, pg_url, url, REDIS_URL)


def cleanup_redis(url: str | None, keys: list[str]) -> None:
    """Delete the keys a run left in the shared Redis (state keys have a TTL anyway)."""
    if not url or not keys:
        return
    import redis

    client = redis.Redis.from_url(url)
    try:
        for i in range(0, len(keys), 500):
            client.delete(*keys[i:i + 500])
    finally:
        client.close()
