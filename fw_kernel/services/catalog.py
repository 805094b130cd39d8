"""The catalog: items loaded from manifests into the relational store, served from memory."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from ..domain.catalog import CatalogItem, recommend
from ..domain.errors import NotFound, ValidationError, check_text, plausible_id, show_value
from ..domain.search import CatalogQuery, Vocabulary, rank_partial
from ..domain.values import LAYER_TYPES
from ..ports import UnitOfWorkFactory

AVAILABILITY = ("in_stock", "low_stock", "out_of_stock", "made_to_order", "discontinued")

ManifestLoader = Callable[[], tuple[Sequence[CatalogItem], str]]


class CatalogService:
    def __init__(self, uow: UnitOfWorkFactory, load_manifests: ManifestLoader | None = None,
                 digest: Callable[[], str] | None = None, read_asset: Callable[[str], bytes | None] | None = None):
        self._uow = uow
        self._read_asset = read_asset
        self._thumbnails: dict[str, bytes | None] = {}
        self._load = load_manifests
        self._digest = digest
        self._items: dict[str, CatalogItem] | None = None
        self._vocab: Vocabulary | None = None

    def sync(self) -> int:
        """Load manifests into the store when they changed; return the number of items in the catalog."""
        if self._load is not None:
            if self._digest is not None:
                with self._uow() as uow:
                    unchanged = uow.catalog.manifest_hash() == self._digest()
                if unchanged:
                    self._items = self._vocab = None
                    return len(self._all())
            items, digest = self._load()
            with self._uow() as uow:
                if uow.catalog.manifest_hash() != digest:
                    uow.catalog.replace_all(items, digest)
                    uow.commit()
        self._items = None
        self._vocab = None
        return len(self._all())

    def _all(self) -> dict[str, CatalogItem]:
        if self._items is None:
            with self._uow() as uow:
                self._items = {item.id: item for item in uow.catalog.all()}
        return self._items

    def find(self, item_id: str) -> CatalogItem | None:
        return self._all().get(item_id) if plausible_id(item_id) else None

    def thumbnail(self, item_id: str) -> bytes | None:
        """The PNG thumbnail of an item (``fw catalog thumbnails`` makes them), None when it has none."""
        item = self.get(item_id)
        if item.id not in self._thumbnails:
            found = self._read_asset(item.thumbnail) if item.thumbnail and self._read_asset is not None else None
            self._thumbnails[item.id] = found
        return self._thumbnails[item.id]

    def get(self, item_id: str) -> CatalogItem:
        item = self.find(item_id)
        if item is None:
            raise NotFound(f"catalog item {show_value(item_id)} does not exist; search with ws.catalog.search(...)",
                           field="item", value=item_id)
        return item

    def list(self, type: str | None = None) -> list[CatalogItem]:
        if type is not None and type not in LAYER_TYPES:
            raise ValidationError.bad("type", type, "one of " + ", ".join(LAYER_TYPES))
        return [item for item in self._all().values() if type is None or item.type == type]

    def search(self, text: str = "", *, type: str | None = None, tags: Sequence[str] = (),
               max_price: float | None = None, availability: str | None = None, limit: int = 50
               ) -> builtins.list[CatalogItem]:
        """Items matching the words of ``text`` (typos tolerated, prefixes and synonyms match) and the filters:
        those matching every word first, then those matching some of them; best first within each."""
        check_text("text", text, 200, allow_empty=True)
        if type is not None and type not in LAYER_TYPES:
            raise ValidationError.bad("type", type, "one of " + ", ".join(LAYER_TYPES))
        if isinstance(tags, str) or not all(isinstance(t, str) for t in tags):
            raise ValidationError.bad("tags", tags, "a list of tag strings")
        if max_price is not None and (isinstance(max_price, bool) or not isinstance(max_price, int | float)
                                      or not max_price >= 0):
            raise ValidationError.bad("max_price", max_price, "a number >= 0")
        if availability is not None and availability not in AVAILABILITY:
            raise ValidationError.bad("availability", availability, "one of " + ", ".join(AVAILABILITY))
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 500:
            raise ValidationError.bad("limit", limit, "an integer from 1 to 500")
        query = CatalogQuery(text, type, tuple(tags), max_price, availability, limit)
        if query.words:
            query = replace(query, alternatives=self._vocabulary().alternatives(query.words))
        with self._uow() as uow:
            ids = uow.catalog.search(query)
            if len(query.alternatives) > 1 and len(ids) < limit:  # "denim jacket": the denim, then the jackets
                per_word = [uow.catalog.search(replace(query, alternatives=(alts,))) for alts in query.alternatives]
                ids = rank_partial(ids, per_word, limit)
        items = self._all()
        return [items[i] for i in ids if i in items]

    def recommend(self, item_ids: Sequence[str], category: str, limit: int = 10) -> builtins.list[CatalogItem]:
        """Compatible items for a design whose layers use ``item_ids`` (see ``domain.catalog.recommend``)."""
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 100:
            raise ValidationError.bad("limit", limit, "an integer from 1 to 100")
        items = self._all()
        used = [items[i] for i in item_ids if i in items]
        return recommend(list(items.values()), used, category, limit)

    def _vocabulary(self) -> Vocabulary:
        if self._vocab is None:
            self._vocab = Vocabulary(f"{i.name} {' '.join(i.tags)} {i.type} {i.description}"
                                     for i in self._all().values())
        return self._vocab


def item_summary(item: CatalogItem) -> dict[str, Any]:
    return {"id": item.id, "type": item.type, "name": item.name, "price": item.price,
            "availability": item.availability}
