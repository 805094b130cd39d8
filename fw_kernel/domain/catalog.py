"""Catalog items and the rules for customising them (plain Python; manifests are parsed by an adapter)."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import ValidationError

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
#: Layer types that dress a silhouette layer and may name it with ``customization["target"]``.
TARGETED_TYPES = ("fabric", "pattern", "element")


@dataclass(frozen=True)
class CatalogItem:
    """One catalog entry: a silhouette, fabric, pattern, element or accessory.

    ``parameters`` maps a parameter name to its spec, e.g. ``{"type": "number", "min": 0.5, "max": 0.9,
    "default": 0.68, "unit": "m"}``; see ``catalog_data/schema.json``.
    """

    id: str
    type: str
    name: str
    description: str = ""
    tags: tuple[str, ...] = ()
    price: float = 0.0
    currency: str = "EUR"
    availability: str = "in_stock"
    compatibility: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    appearance: dict[str, Any] = field(default_factory=dict)
    physical: dict[str, Any] = field(default_factory=dict)
    thumbnail: str | None = None

    def defaults(self) -> dict[str, Any]:
        """Default value of every parameter."""
        return {name: spec["default"] for name, spec in self.parameters.items()}

    def resolve(self, customization: dict[str, Any]) -> dict[str, Any]:
        """Defaults overlaid with a (validated) customization."""
        return {**self.defaults(), **customization}

    def validate_customization(self, values: Any, field_name: str = "customization") -> dict[str, Any]:
        """Check a customization against this item's parameters; return it normalised.

        Raises :class:`ValidationError` naming the parameter, the value and the allowed range or options.
        """
        if values is None:
            return {}
        if not isinstance(values, dict):
            raise ValidationError.bad(field_name, values, "a dict of parameter -> value")
        out: dict[str, Any] = {}
        for key, value in values.items():
            where = f"{field_name}.{key}"
            if key == "target" and self.type in TARGETED_TYPES:
                # which silhouette layer this dresses (default: the nearest silhouette below)
                if value is not None and (not isinstance(value, str) or not 0 < len(value) <= 64):
                    raise ValidationError.bad(where, value, "the id of a silhouette layer of this design, or None")
                out[key] = value
                continue
            spec = self.parameters.get(key) if isinstance(key, str) else None
            if spec is None:
                allowed = ", ".join(sorted(self.parameters)) or "none (this item has no parameters)"
                raise ValidationError.bad(where, value, f"parameters of {self.id!r}: {allowed}", "unknown parameter")
            out[key] = check_parameter(where, value, spec)
        return out


def _finite(value: float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


def check_parameter(where: str, value: Any, spec: dict[str, Any]) -> Any:
    """Validate one parameter value against its spec; return the normalised value."""
    kind = spec["type"]
    if kind in ("number", "integer"):
        unit = f" {spec['unit']}" if spec.get("unit") else ""
        allowed = f"{'an integer' if kind == 'integer' else 'a number'} from {spec['min']} to {spec['max']}{unit}"
        ok_type = isinstance(value, int) if kind == "integer" else isinstance(value, int | float)
        if isinstance(value, bool) or not ok_type:
            raise ValidationError.bad(where, value, allowed)
        if not _finite(value) or not spec["min"] <= value <= spec["max"]:
            raise ValidationError.bad(where, value, allowed)
        return float(value) if kind == "number" else int(value)
    if kind == "color":
        if not isinstance(value, str) or not _HEX.match(value):
            raise ValidationError.bad(where, value, "a hex colour like '#aa3344'")
        return value.lower()
    if kind == "choice":
        if value not in spec["options"]:
            raise ValidationError.bad(where, value, "one of " + ", ".join(map(repr, spec["options"])))
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise ValidationError.bad(where, value, "True or False")
        return value
    raise ValidationError.bad(where, value, "a known parameter type", f"unknown parameter type {kind!r}")


#: Design categories that accept items made for any category.
_OPEN_CATEGORIES = ("outfit", "full_collection")
_TYPE_ORDER = ("silhouette", "fabric", "pattern", "element", "accessory")


def compatible(item: CatalogItem, used: list[CatalogItem], category: str) -> bool:
    """Whether ``item`` can join a design of ``category`` whose layers use the ``used`` items.

    Rules: not discontinued; no mutual ``excludes`` with a used item; every type in ``applies_to`` (what the
    item sits on, e.g. a fabric on a silhouette) present in the design; a design category the item is made for
    (outfits and full collections take everything).
    """
    if item.availability == "discontinued":
        return False
    used_ids = {u.id for u in used}
    if used_ids & set(item.compatibility.get("excludes", ())):
        return False
    if any(item.id in u.compatibility.get("excludes", ()) for u in used):
        return False
    applies_to = item.compatibility.get("applies_to") or []
    if applies_to and not {u.type for u in used} & set(applies_to):
        return False
    categories = item.compatibility.get("categories") or []
    return not (categories and category not in _OPEN_CATEGORIES and category not in categories)


def recommend(items: list[CatalogItem], used: list[CatalogItem], category: str, limit: int = 10
              ) -> list[CatalogItem]:
    """Compatible items not yet in the design: types the design lacks first, then by tags shared with it."""
    used_ids = {u.id for u in used}
    present_types = {u.type for u in used}
    used_tags = {t for u in used for t in u.tags}
    candidates = [i for i in items if i.id not in used_ids and compatible(i, used, category)]

    def rank(item: CatalogItem) -> tuple[int, int, int, int, str]:
        return (item.type in present_types, -len(used_tags & set(item.tags)), item.availability != "in_stock",
                _TYPE_ORDER.index(item.type) if item.type in _TYPE_ORDER else 9, item.name)

    return sorted(candidates, key=rank)[:limit]


#: layer types that dress a silhouette (``customization["target"]``, else the nearest silhouette below them)
DRESSING_TYPES = ("fabric", "pattern", "element")


def nothing_to_dress(item_type: str, target: object, below: Sequence[tuple[str, str]]) -> str | None:
    """Why a new layer of ``item_type`` will dress no garment, or None when it will.

    ``below``: (layer id, layer type) of the layers beneath it, bottom first; ``target`` its
    ``customization["target"]`` (None: the nearest silhouette below)."""
    if item_type not in DRESSING_TYPES:
        return None
    silhouettes = [layer_id for layer_id, kind in below if kind == "silhouette"]
    if isinstance(target, str) and target in silhouettes:
        return None
    if target is None and silhouettes:
        return None
    what = {"fabric": "a fabric", "pattern": "a print", "element": "an element"}[item_type]
    if target is not None:
        return (f"{what} targets layer {target!r}, which is not a garment below it: it dresses nothing; give "
                "customization={'target': <a silhouette layer's id>}")
    return (f"{what} dresses the garment beneath it, and this design has no garment (silhouette) below it yet: "
            "it shows nothing until one is added under it (add a silhouette first, e.g. "
            "ws.catalog.list('silhouette'))")
