"""The design service fixtures (``tests/support/service.py`` runs it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.service import Client, RunningService, kernel_services, service_config


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
