"""Small, self-contained building blocks for the domain tests (no storage, no manifests)."""

from __future__ import annotations

from typing import Any

from fw_kernel.domain.catalog import CatalogItem
from fw_kernel.domain.commands import EditContext
from fw_kernel.domain.design import Design
from fw_kernel.domain.layer import Layer
from fw_kernel.domain.validation import validate
from fw_kernel.domain.values import DesignMeta

ITEMS: dict[str, CatalogItem] = {
    item.id: item
    for item in (
        CatalogItem(
            id="sil-tee", type="silhouette", name="Tee",
            parameters={
                "color": {"type": "color", "default": "#ffffff"},
                "length": {"type": "number", "min": 0.5, "max": 0.9, "default": 0.68, "unit": "m"},
                "fit": {"type": "choice", "options": ["slim", "regular", "loose"], "default": "regular"},
            },
        ),
        CatalogItem(
            id="fab-denim", type="fabric", name="Denim",
            parameters={
                "color": {"type": "color", "default": "#2c3e66"},
                "scale": {"type": "number", "min": 0.25, "max": 4, "default": 1, "unit": "ratio"},
            },
        ),
        CatalogItem(
            id="pat-dots", type="pattern", name="Dots",
            parameters={"staggered": {"type": "boolean", "default": True},
                        "rotation": {"type": "number", "min": -180, "max": 180, "default": 0, "unit": "deg"}},
        ),
        CatalogItem(
            id="ele-button", type="element", name="Button",
            parameters={"count": {"type": "integer", "min": 1, "max": 20, "default": 6, "unit": "count"},
                        "finish": {"type": "choice", "options": ["matte", "gloss"], "default": "matte"}},
        ),
        CatalogItem(id="acc-belt", type="accessory", name="Belt"),
    )
}


def ctx(max_layers: int | None = None) -> EditContext:
    return EditContext(ITEMS.get, max_layers)


def make_layer(layer_id: str, item_id: str = "sil-tee", **fields: Any) -> Layer:
    item = ITEMS[item_id]
    return validate(Layer, {"id": layer_id, "type": item.type, "catalog_item_id": item.id,
                            "name": fields.pop("name", item.name), **fields})


def make_design(*layers: Layer, design_id: str = "d1", owner: str = "ada", **meta: Any) -> Design:
    return Design(id=design_id, owner=owner, meta=DesignMeta(name=meta.pop("name", "Look"), **meta)).with_layers(
        list(layers))


def three_layer_design() -> Design:
    return make_design(make_layer("l1", "sil-tee"), make_layer("l2", "fab-denim"), make_layer("l3", "ele-button"))
