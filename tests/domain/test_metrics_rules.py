"""Event types of design-history actions, the bill-of-materials estimate and the metrics argument checks."""

from __future__ import annotations

import pytest

from fw_kernel.domain.catalog import CatalogItem
from fw_kernel.domain.errors import ValidationError
from fw_kernel.domain.events import event_of_action
from fw_kernel.domain.metrics import (
    DEFAULT_AREA_M2,
    NOMINAL_AREA_M2,
    bom_estimate,
    bom_estimates,
    check_frequency,
    check_types,
)
from fw_kernel.domain.techpack import fabric_metres


def _item(id: str, type: str, price: float, currency: str = "EUR") -> CatalogItem:
    return CatalogItem(id=id, type=type, name=id, price=price, currency=currency)


ITEMS = {i.id: i for i in (_item("sil-coat", "silhouette", 0), _item("sil-x", "silhouette", 0),
                           _item("fab", "fabric", 20.0), _item("btn", "element", 0.5),
                           _item("bag", "accessory", 30.0), _item("usd", "accessory", 99.0, "USD"))}


def _layer(id: str, item: str, order: int, visible: bool = True, **custom: object) -> dict:
    return {"id": id, "type": ITEMS[item].type, "catalog_item_id": item, "order_index": order,
            "is_visible": visible, "customization": custom}


def test_event_of_action_maps_undo_to_what_it_undid_and_keeps_no_values() -> None:
    assert event_of_action("add_layer", {"layer_id": "L", "item": "fab", "type": "fabric", "index": None}) == (
        "layer_added", {"layer_id": "L", "catalog_item": "fab", "layer_type": "fabric"})
    kind, props = event_of_action("undo", {"layer_id": "L", "undoes": "remove_layer"})
    assert (kind, props["via"]) == ("layer_removed", "undo")
    kind, props = event_of_action("update_design", {"changes": {"name": "Secret name", "tags": ["x"]}})
    assert kind == "design_updated" and props == {"fields": ["name", "tags"]}
    assert event_of_action("forked", {"fork": "F"}) is None


def test_bom_estimate_counts_visible_materials_on_their_garment() -> None:
    layers = [_layer("a", "sil-coat", 0), _layer("b", "fab", 1), _layer("c", "btn", 2, count=6),
              _layer("d", "bag", 3), _layer("e", "bag", 4, visible=False), _layer("f", "usd", 5)]
    metres, cost = bom_estimate(layers, ITEMS.get)
    coat = fabric_metres(NOMINAL_AREA_M2["sil-coat"])
    assert metres == pytest.approx(coat)
    assert cost == pytest.approx(round(coat * 20 + 6 * 0.5 + 30, 2))  # hidden bag and USD item left out
    # a fabric targets its named silhouette; an unknown silhouette has the default surface
    targeted = [_layer("a", "sil-coat", 0), _layer("x", "sil-x", 1), _layer("b", "fab", 2, target="x")]
    assert bom_estimate(targeted, ITEMS.get)[0] == pytest.approx(fabric_metres(DEFAULT_AREA_M2))
    assert bom_estimate([_layer("b", "fab", 0)], ITEMS.get) == (0.0, 0.0)  # no garment to cover
    assert bom_estimate([_layer("b", "fab", 0)], lambda _: None) == (0.0, 0.0)


def test_metrics_argument_checks() -> None:
    assert check_frequency("D") == "day" and check_frequency("W") == "week" and check_frequency("M") == "month"
    assert check_types("layer_added") == ("layer_added",) and check_types(None) is None
    for bad in ("Y", 3, None):
        with pytest.raises(ValidationError, match="freq"):
            check_frequency(bad)
    for bad in ([], "nope", 3):
        with pytest.raises(ValidationError, match="types"):
            check_types(bad)



def test_bom_estimates_of_many_designs_equal_bom_estimate_of_each() -> None:
    designs = {"d1": [_layer("a", "sil-coat", 0), _layer("b", "fab", 1), _layer("c", "btn", 2, count=6),
                      _layer("d", "bag", 3), _layer("e", "bag", 4, visible=False), _layer("f", "usd", 5)],
               "d2": [_layer("x", "sil-x", 2), _layer("a", "sil-coat", 1), _layer("b", "fab", 0, target="a"),
                      _layer("c", "btn", 3, count=2.5)],
               "d3": [_layer("b", "fab", 0, target="nope"), _layer("h", "sil-coat", 1, visible=False)],
               "d4": [_layer("c", "btn", 0, count=True)]}

    def count(custom: dict) -> float | None:  # what the query extracts: a JSON number, not a boolean
        value = custom.get("count")
        return float(value) if type(value) in (int, float) else None

    rows = [(d, x["id"], x["type"], x["catalog_item_id"], x["customization"].get("target"), count(x["customization"]))
            for d, layers in designs.items() for x in sorted(layers, key=lambda x: x["order_index"])
            if x["is_visible"]]
    got = bom_estimates(rows, ITEMS.get)
    assert got == {d: bom_estimate(layers, ITEMS.get) for d, layers in designs.items()}
    assert got["d2"][0] == round(fabric_metres(NOMINAL_AREA_M2["sil-coat"]), 2)  # the fabric's named target
    assert got["d3"] == (0.0, 0.0) and got["d4"] == (0.0, 0.5)
    assert bom_estimates(rows, lambda _: None) == {d: (0.0, 0.0) for d in designs}
