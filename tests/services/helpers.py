"""Shared helpers for the service tests (in-memory adapters, controllable clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from fw_kernel.adapters.cache_local import LocalStateCache
from fw_kernel.adapters.catalog_files import load_manifests
from fw_kernel.adapters.memory import MemoryDocumentStore, MemoryStore, MemoryUnitOfWork
from fw_kernel.bootstrap import Services, wire
from fw_kernel.domain.design import Design, snapshot
from fw_kernel.domain.layer import Layer
from fw_kernel.domain.validation import validate
from fw_kernel.services.clock import new_id
from fw_kernel.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@cache
def catalog() -> tuple[list[Any], str]:
    return load_manifests(ROOT / "catalog_data")


def build(**settings: Any) -> Services:
    """Services over fresh in-memory adapters, with custom settings (limits...)."""
    store = MemoryStore()
    options = {"user": "ada", "autosave_thread": False, "home": Path("/nonexistent"), **settings}
    return wire(Settings(**options), lambda: MemoryUnitOfWork(store), MemoryDocumentStore(), LocalStateCache(),
                catalog)


def new_layer(services: Services, item_id: str, **fields: Any) -> Layer:
    item = services.catalog.get(item_id)
    return validate(Layer, {"id": new_id(), "type": item.type, "catalog_item_id": item.id, "name": item.name,
                            **fields})


def stored(services: Services, design_id: str) -> Design:
    with services.uow() as uow:
        design = uow.designs.get(design_id)
    assert design is not None
    return design


def state_of(services: Services, design_id: str) -> tuple[dict[str, Any], int, int]:
    """What must not change after a refusal: the snapshot, the version and the number of history entries."""
    design = stored(services, design_id)
    with services.uow() as uow:
        entries = len(uow.history.list(design_id))
    return snapshot(design), design.version, entries


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime | None = None):
        self.now = start or datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now
