"""What the gallery of published designs shows: search, filters and sort over design states (plain data)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from .design import Design
from .errors import ValidationError
from .values import CATEGORIES

SORTS = ("newest", "most_liked")
_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class GalleryQuery:
    search: str = ""
    category: str | None = None
    designer: str | None = None
    fabric: str | None = None
    sort: str = "newest"

    @classmethod
    def of(cls, search: object = "", category: object = None, designer: object = None, fabric: object = None,
           sort: object = "newest") -> GalleryQuery:
        """A checked query: ValidationError naming the bad argument and what is allowed."""
        if not isinstance(search, str) or len(search) > 200:
            raise ValidationError.bad("search", search, "text of at most 200 characters")
        if category is not None and category not in CATEGORIES:
            raise ValidationError.bad("category", category, "None or one of " + ", ".join(CATEGORIES))
        for name, value in (("designer", designer), ("fabric", fabric)):
            if value is not None and (not isinstance(value, str) or len(value) > 200):
                raise ValidationError.bad(name, value, "None or text of at most 200 characters")
        if sort not in SORTS:
            raise ValidationError.bad("sort", sort, "one of " + ", ".join(SORTS))
        return cls(search.strip(), category, designer, fabric, sort)  # type: ignore[arg-type]


def fabrics_of(design: Design) -> list[str]:
    """Catalog ids of the design's fabric layers, bottom first (each once)."""
    return list(dict.fromkeys(x.catalog_item_id for x in design.layers if x.type == "fabric"))


def select_published(designs: Sequence[Design], query: GalleryQuery,
                     name_of: Callable[[str], str]) -> list[Design]:
    """The designs matching ``query``, sorted as it asks. ``name_of``: a catalog id -> the item's name (the
    fabric filter matches either)."""
    text = query.search.lower()
    fabric = query.fabric.lower() if query.fabric else None
    found = []
    for d in designs:
        if query.category is not None and d.meta.category != query.category:
            continue
        if query.designer is not None and d.owner != query.designer:
            continue
        if fabric is not None and not any(fabric in (i.lower(), name_of(i).lower()) for i in fabrics_of(d)):
            continue
        if text and text not in " ".join((d.meta.name, d.meta.description, " ".join(d.meta.tags), d.owner)).lower():
            continue
        found.append(d)
    if query.sort == "most_liked":
        return sorted(found, key=lambda d: (d.like_count, d.updated_at or _NEVER), reverse=True)
    return sorted(found, key=lambda d: d.updated_at or _NEVER, reverse=True)
