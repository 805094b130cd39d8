"""Edits in words: the phrases the studio's status line and the history show."""

from __future__ import annotations

from fw_kernel.domain.describe import describe_change, layer_changes
from fw_kernel.domain.design import Design
from fw_kernel.domain.layer import Layer
from fw_kernel.domain.values import DesignMeta


def _layer(**fields) -> Layer:
    return Layer.model_validate({"id": "l1", "type": "silhouette", "catalog_item_id": "sil-blazer",
                                 "name": "Tailored Blazer", "customization": {"color": "#2b2f3a"}, **fields})


def _design(*layers: Layer, **meta) -> Design:
    return Design(id="d1", owner="ada", meta=DesignMeta(name=meta.pop("name", "Look"), **meta), layers=layers)


def test_a_colour_change_names_the_layer_the_parameter_and_both_values() -> None:
    before = _design(_layer())
    after = _design(_layer(customization={"color": "#7a1f3d"}))
    assert describe_change(before, after) == "Tailored Blazer: colour #2b2f3a → #7a1f3d"


def test_transform_visibility_and_several_changes() -> None:
    moved = _layer(transform={"rotation": {"y": 10}}, is_visible=False, opacity=40)
    assert layer_changes(_layer(), moved) == ["hidden", "rotation y 0 → 10", "opacity 100 → 40"]
    busy = _layer(transform={"position": {"x": 0.1, "y": 0.2, "z": 0.3}}, opacity=50)
    assert describe_change(_design(_layer()), _design(busy)).endswith("and 1 more")


def test_added_removed_reordered_and_design_fields() -> None:
    other = _layer(id="l2", name="Denim", type="fabric", catalog_item_id="fab-denim-indigo")
    assert describe_change(_design(_layer()), _design(_layer(), other)) == "added 'Denim'"
    assert describe_change(_design(_layer(), other), _design(_layer())) == "removed 'Denim'"
    assert describe_change(_design(_layer(), other), _design(other, _layer())) == "layers reordered"
    assert describe_change(_design(name="A"), _design(name="B")) == "design name 'A' → 'B'"
    assert describe_change(_design(_layer()), _design(_layer())) == ""


def test_a_parameter_set_for_the_first_time_reads_from_its_default() -> None:
    before = _design(_layer(customization={}))
    after = _design(_layer(customization={"upper_color": "#2a4d8f"}))
    assert describe_change(before, after) == "Tailored Blazer: upper colour default → #2a4d8f"
