"""What a tech pack states: bill of materials, points of measure, layers (plain data, real catalog)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fw_kernel.adapters.catalog_files import load_manifests
from fw_kernel.domain.techpack import CUTTING_ALLOWANCE, ROLL_WIDTH_M, build_techpack, composition_text, fabric_metres

CATALOG = {item.id: item for item in load_manifests(Path(__file__).resolve().parents[2] / "catalog_data")[0]}


def layer(id: str, item: str, type: str, order: int, **extra) -> dict:
    return {"id": id, "catalog_item_id": item, "type": type, "order_index": order, "name": extra.pop("name", id),
            "customization": extra.pop("customization", {}), "is_visible": extra.pop("is_visible", True),
            "notes": extra.pop("notes", "")}


STATE = {"name": "Office look", "category": "outfit", "season": "autumn", "description": "A shirt.",
         "layers": [layer("s1", "sil-shirt", "silhouette", 0, customization={"color": "#FFFFFF"}),
                    layer("f1", "fab-denim-indigo", "fabric", 1, customization={"target": "s1"}),
                    layer("e1", "ele-shirt-button", "element", 2, customization={"count": 8, "target": "s1"},
                          notes="horn look"),
                    layer("a1", "acc-leather-belt", "accessory", 3),
                    layer("h1", "acc-leather-belt", "accessory", 4, is_visible=False, name="spare belt")]}


def pack(**kw):
    return build_techpack(STATE, CATALOG.get, design_id="1234abcd-0000", designer="ada", date="2026-11-25",
                          revision=7, **kw)


def test_bom_lists_every_visible_layer_with_material_data() -> None:
    p = pack(garment_area_m2={"s1": 1.45})
    rows = {r.layer: r for r in p.bom}
    assert set(rows) == {"s1", "f1", "e1", "a1"}                          # the hidden layer is not made
    denim = rows["f1"]
    assert "cotton" in denim.material and "g/m²" in denim.material and denim.placement == "s1"
    assert denim.quantity == pytest.approx(1.45 * (1 + CUTTING_ALLOWANCE) / ROLL_WIDTH_M, abs=0.01)
    assert denim.unit == "m"
    assert rows["e1"].quantity == 8 and rows["e1"].unit == "pcs"         # the button count
    assert rows["s1"].colours == ("#ffffff",)
    assert p.total_cost == pytest.approx(sum(r.quantity * r.unit_price for r in p.bom), abs=0.01)
    assert [r.name for r in p.layers] == ["s1", "f1", "e1", "a1", "spare belt"]
    assert p.layers[2].notes == "horn look" and not p.layers[4].visible
    assert p.style_number == "FW-1234ABCD" and p.revision == 7


def test_points_of_measure_come_from_the_avatar_with_tolerances() -> None:
    p = pack(avatar={"name": "Ada", "measurements": {"height": 168.04, "waist": 70.01, "neck": 34.2}})
    assert [(r.code, r.value_cm, r.tolerance_cm) for r in p.pom] == [("A1", 168.0, 1.0), ("C1", 70.0, 1.0),
                                                                     ("E1", 34.2, 0.5)]
    assert pack().pom == ()


def test_a_fabric_without_a_garment_has_no_quantity_and_unknown_items_are_noted() -> None:
    state = {"name": "x", "layers": [layer("f1", "fab-denim-indigo", "fabric", 0),
                                     layer("g1", "sil-gone", "silhouette", 1)]}
    p = build_techpack(state, CATALOG.get, design_id="d", designer="ada", date="d", revision=1)
    assert p.bom[0].quantity == 0 and "no garment" in p.bom[0].unit
    assert "sil-gone" in p.notes[0] and len(p.layers) == 2


def test_helpers() -> None:
    assert composition_text({"composition": {"elastane": 5, "cotton": 95}}) == "95% cotton, 5% elastane"
    assert fabric_metres(0) == 0
