"""Real servers for the ``service`` tests: a fresh PostgreSQL database, SecantusDB (MongoDB protocol) and a private
redis-server in child processes. A missing server fails those tests, never skips them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.net import free_port, wait_port

PG_ADMIN_URL = os.environ.get("FW_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("FW_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


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
