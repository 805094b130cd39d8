"""The design service fixtures: in a thread of the test process (``sqlite_service``, ``alice``, ``bob``) and as
``fw service`` under a hub's prefix (``service``, with ``client_env`` for the notebook side); the machinery is in
``tests/support/service.py``."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.service import (
    SERVICE_ENV,
    Client,
    RunningService,
    ServiceProcess,
    kernel_services,
    service_config,
    token_table,
)


@pytest.fixture
def sqlite_service(tmp_path: Path) -> Iterator[RunningService]:
    """The service on the embedded default (SQLite, in-process events), bodies not fitted (fast avatars)."""
    services = kernel_services(tmp_path / "fw")
    services.avatars.fitter = None
    running = RunningService(services, service_config()).start()
    yield running
    running.stop()
    services.close()


@pytest.fixture
def alice(sqlite_service: RunningService) -> Client:
    return sqlite_service.client("alice")


@pytest.fixture
def bob(sqlite_service: RunningService) -> Client:
    return sqlite_service.client("bob")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    """``fw service`` with its own SQLite home, served under the hub's service prefix."""
    home = tmp_path_factory.mktemp("service-home")
    proc = ServiceProcess({"FW_HOME": str(home), "FW_SERVICE_TOKENS": token_table(), "FW_SERVICE_AUTH": "static",
                           "FW_SERVICE_PREFIX": "/services/fw/api/v1", "FW_SERVICE_SECRET": uuid.uuid4().hex,
                           "FW_SERVICE_RATE_LIMIT": "100000", "FW_AUTOSAVE_DEBOUNCE_S": "0"})
    for name in SERVICE_ENV:
        proc.env.pop(name, None)
    proc.start()
    proc.url = f"http://127.0.0.1:{proc.port}/services/fw/"
    yield proc
    err = proc.stop()
    assert "Traceback" not in err, err


@pytest.fixture
def client_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A notebook's environment: no database or store URL, an empty FW_HOME (which must stay empty)."""
    for name in SERVICE_ENV:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "client-home"
    home.mkdir()
    monkeypatch.setenv("FW_HOME", str(home))
    return home
