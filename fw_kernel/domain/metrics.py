"""Design metrics rules: who sees which rows, and the bill-of-materials estimate of a design's layers.

Plain data; the queries live in ``adapters/metrics_sql.py``, the DataFrames in ``fw_kernel/api/metrics.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from typing import Any

from .catalog import CatalogItem
from .errors import ValidationError
from .events import EVENT_TYPES
from .techpack import fabric_metres

#: the hub group whose members see every design's metrics rows (``FW_ANALYSTS`` lists more users)
ANALYSTS_GROUP = "fw-analysts"

#: ``ws.metrics.activity(freq)``: pandas-style aliases -> the period they truncate time to (weeks start Monday)
FREQUENCIES = {"h": "hour", "H": "hour", "D": "day", "W": "week", "W-MON": "week", "M": "month", "MS": "month",
               "ME": "month"}

# Typical garment surface (m², one face, size M) per silhouette, for metrics only: a tech pack measures the mesh
# of the design's avatar; 10,000 designs cannot be meshed to answer a query. Unknown silhouettes use the default.
NOMINAL_AREA_M2 = {
    "sil-tshirt": 1.1, "sil-shirt": 1.3, "sil-blouse": 1.2, "sil-hoodie": 1.6, "sil-sheath-dress": 1.4,
    "sil-aline-dress": 1.9, "sil-wrap-dress": 1.8, "sil-maxi-dress": 2.6, "sil-pencil-skirt": 0.7,
    "sil-aline-skirt": 1.0, "sil-straight-trousers": 1.5, "sil-wide-leg-trousers": 1.9, "sil-shorts": 0.8,
    "sil-blazer": 1.8, "sil-coat": 2.6,
}
DEFAULT_AREA_M2 = 1.5

#: one visible layer for :func:`bom_estimates`: (design_id, layer_id, type, catalog_item_id, the customization's
#: ``target`` if it is a string else None, its ``count`` if it is a JSON number else None)
BomLayer = tuple[str, str, str, str, str | None, float | None]

#: a metrics table as columns: ``{name: [values]}`` (what the DataFrames of ``ws.metrics`` are made of)
Columns = dict[str, list[Any]]


@dataclass(frozen=True)
class Scope:
    """Whose metrics rows a query returns: ``everything`` (an analyst: every design, private content withheld)
    or the designs ``user`` can read (owned, shared with them, public) and their own events."""

    user: str
    everything: bool = False


def check_frequency(freq: Any) -> str:
    if not isinstance(freq, str) or freq not in FREQUENCIES:
        raise ValidationError.bad("freq", freq, "one of 'h' (hour), 'D' (day), 'W' (week from Monday), "
                                  "'M' (month)")
    return FREQUENCIES[freq]


def check_types(types: Any) -> tuple[str, ...] | None:
    if types is None:
        return None
    values = (types,) if isinstance(types, str) else tuple(types) if isinstance(types, list | tuple | set) else None
    if values is None or not values:
        raise ValidationError.bad("types", types, "an event type or a list of them: " + ", ".join(EVENT_TYPES))
    unknown = [t for t in values if t not in EVENT_TYPES]
    if unknown:
        raise ValidationError.bad("types", unknown[0], "one of " + ", ".join(EVENT_TYPES))
    return values


def bom_estimate(layers: Iterable[dict[str, Any]], item_of: Callable[[str], CatalogItem | None]
                 ) -> tuple[float, float]:
    """(fabric consumption in m, cost in EUR) of one design's layers, as its tech pack's bill of materials counts
    them, with :data:`NOMINAL_AREA_M2` for the garment surfaces.

    ``layers``: dicts with ``type``, ``catalog_item_id``, ``is_visible``, ``order_index``, ``customization``.
    Hidden layers are not made; a fabric dresses its ``target`` silhouette or the topmost one; an element counts
    its ``count`` pieces. Prices in other currencies than EUR are left out of the cost.
    """
    visible = sorted((x for x in layers if x.get("is_visible", True)), key=lambda x: x.get("order_index", 0))
    silhouettes = {x.get("id"): x for x in visible if x["type"] == "silhouette"}
    top = list(silhouettes.values())[-1] if silhouettes else None
    metres = cost = 0.0
    for layer in visible:
        item = item_of(layer["catalog_item_id"])
        if item is None or layer["type"] == "silhouette":
            continue
        custom = layer.get("customization") or {}
        price = item.price if item.currency == "EUR" else 0.0
        if layer["type"] == "fabric":
            target = silhouettes.get(custom.get("target")) or top
            if target is None:
                continue
            m = fabric_metres(NOMINAL_AREA_M2.get(target["catalog_item_id"], DEFAULT_AREA_M2))
            metres += m
            cost += m * price
        elif layer["type"] == "element":
            count = custom.get("count")
            cost += price * (float(count) if isinstance(count, int | float) and not isinstance(count, bool) else 1)
        else:
            cost += price
    return round(metres, 2), round(cost, 2)


def bom_estimates(layers: Iterable[BomLayer], item_of: Callable[[str], CatalogItem | None]
                  ) -> dict[str, tuple[float, float]]:
    """:func:`bom_estimate` of many designs at once, the same numbers (the same sums in the same order): design id
    -> (fabric in m, cost in EUR); a design without visible layers is absent (its estimate is (0.0, 0.0)).

    ``layers``: :data:`BomLayer` tuples of the *visible* layers only, each design's together and in ``order_index``
    order (what the metrics query returns; ``customization`` already reduced to ``target`` and ``count``, so no
    JSON is parsed). Each catalog item is looked up once, each silhouette's fabric length computed once.
    """
    prices: dict[str, float | None] = {}  # item -> its price in EUR (0: another currency), None: unknown
    lengths: dict[str, float] = {}  # silhouette item -> fabric metres for its nominal surface
    out: dict[str, tuple[float, float]] = {}
    for design_id, group in groupby(layers, key=itemgetter(0)):
        rows = list(group)
        silhouettes = {row[1]: row[3] for row in rows if row[2] == "silhouette"}  # layer id -> its item
        top = next(reversed(silhouettes.values())) if silhouettes else None
        metres = cost = 0.0
        for _, _, kind, item_id, target, count in rows:
            if kind == "silhouette":
                continue
            if item_id in prices:
                price = prices[item_id]
            else:
                item = item_of(item_id)
                price = prices[item_id] = None if item is None else item.price if item.currency == "EUR" else 0.0
            if price is None:
                continue
            if kind == "fabric":
                garment = silhouettes.get(target, top) if target is not None else top
                if garment is None:
                    continue
                m = lengths.get(garment)
                if m is None:
                    m = lengths[garment] = fabric_metres(NOMINAL_AREA_M2.get(garment, DEFAULT_AREA_M2))
                metres += m
                cost += m * price
            elif kind == "element":
                cost += price * (count if count is not None else 1)
            else:
                cost += price
        out[design_id] = (round(metres, 2), round(cost, 2))
    return out
