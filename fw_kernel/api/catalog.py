"""``ws.catalog``: search, list and recommend catalog items."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

from ..domain.catalog import CatalogItem
from ..usecases import UseCases

if TYPE_CHECKING:
    from .design import Design


class Catalog:
    def __init__(self, services: UseCases):
        self._catalog = services.catalog

    def get(self, item_id: str) -> CatalogItem:
        return self._catalog.get(item_id)

    def list(self, type: str | None = None) -> list[CatalogItem]:
        return self._catalog.list(type)

    def search(self, text: str = "", type: str | None = None, **filters: Any) -> builtins.list[CatalogItem]:
        """Full-text search (typos tolerated); filters: ``tags``, ``max_price``, ``availability``, ``limit``."""
        return self._catalog.search(text, type=type, **filters)

    def thumbnail(self, item: CatalogItem | str) -> bytes | None:
        """The item's PNG thumbnail (over the design service: the service's), None when it has none."""
        return self._catalog.thumbnail(item.id if isinstance(item, CatalogItem) else item)

    def recommend(self, design: Design, limit: int = 10) -> builtins.list[CatalogItem]:
        """Items compatible with what the design already uses, missing types first."""
        return self._catalog.recommend([x.catalog_item_id for x in design.layers], design.meta.category, limit)
