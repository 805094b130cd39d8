"""The catalog: items loaded from manifests into the relational store, served from memory."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..domain.catalog import CatalogItem
from ..domain.errors import NotFound, ValidationError
from ..domain.values import LAYER_TYPES
from ..ports import UnitOfWorkFactory

ManifestLoader = Callable[[], tuple[Sequence[CatalogItem], str]]


class CatalogService:
    def __init__(self, uow: UnitOfWorkFactory, load_manifests: ManifestLoader | None = None):
        self._uow = uow
        self._load = load_manifests
        self._items: dict[str, CatalogItem] | None = None

    def sync(self) -> int:
        """Load manifests into the store when they changed; return the number of items in the catalog."""
        if self._load is not None:
            items, digest = self._load()
            with self._uow() as uow:
                if uow.catalog.manifest_hash() != digest:
                    uow.catalog.replace_all(items, digest)
                    uow.commit()
        self._items = None
        return len(self._all())

    def _all(self) -> dict[str, CatalogItem]:
        if self._items is None:
            with self._uow() as uow:
                self._items = {item.id: item for item in uow.catalog.all()}
        return self._items

    def find(self, item_id: str) -> CatalogItem | None:
        return self._all().get(item_id) if isinstance(item_id, str) else None

    def get(self, item_id: str) -> CatalogItem:
        item = self.find(item_id)
        if item is None:
            raise NotFound(f"catalog item {item_id!r} does not exist; search with ws.catalog.search(...)",
                           field="item", value=item_id)
        return item

    def list(self, type: str | None = None) -> list[CatalogItem]:
        if type is not None and type not in LAYER_TYPES:
            raise ValidationError.bad("type", type, "one of " + ", ".join(LAYER_TYPES))
        return [item for item in self._all().values() if type is None or item.type == type]

    def search(self, text: str = "", *, type: str | None = None, tags: Sequence[str] = (),
               max_price: float | None = None, availability: str | None = None) -> list[CatalogItem]:
        """Items whose name, tags or description contain every word of ``text``, best matches first.

        A starter implementation over the in-memory catalog; full-text search with typo tolerance
        (PostgreSQL FTS + pg_trgm, SQLite FTS5) comes with the full catalog.
        """
        if not isinstance(text, str):
            raise ValidationError.bad("text", text, "a string")
        words = [w for w in text.lower().split() if w]
        scored: list[tuple[float, str, CatalogItem]] = []
        for item in self.list(type):
            if tags and not set(tags) <= set(item.tags):
                continue
            if max_price is not None and item.price > max_price:
                continue
            if availability is not None and item.availability != availability:
                continue
            score = _score(item, words)
            if words and score == 0:
                continue
            scored.append((-score, item.name, item))
        return [item for *_, item in sorted(scored, key=lambda t: (t[0], t[1]))]


def _score(item: CatalogItem, words: list[str]) -> float:
    fields: list[tuple[str, float]] = [(item.name.lower(), 3.0), (" ".join(item.tags), 2.0),
                                       (item.description.lower(), 1.0), (item.id, 1.0)]
    total = 0.0
    for word in words:
        hit = max((weight for text, weight in fields if word in text), default=0.0)
        if hit == 0:
            return 0.0
        total += hit
    return total


def item_summary(item: CatalogItem) -> dict[str, Any]:
    return {"id": item.id, "type": item.type, "name": item.name, "price": item.price,
            "availability": item.availability}
