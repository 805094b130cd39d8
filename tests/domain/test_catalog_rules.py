"""Customisation of catalog items: each parameter checked against its spec, with messages that say what is allowed."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from fw_kernel.adapters.catalog_files import load_manifests
from fw_kernel.domain.catalog import CatalogItem, check_parameter
from fw_kernel.domain.errors import FWError, ValidationError

ITEM = CatalogItem(
    id="sil-test", type="silhouette", name="Test",
    parameters={
        "length": {"type": "number", "min": 0.5, "max": 0.9, "default": 0.68, "unit": "m"},
        "flare": {"type": "number", "min": 0, "max": 1, "default": 0},
        "count": {"type": "integer", "min": 1, "max": 20, "default": 6},
        "color": {"type": "color", "default": "#ffffff"},
        "fit": {"type": "choice", "options": ["slim", "regular", "loose"], "default": "regular"},
        "lined": {"type": "boolean", "default": False},
    },
)


@pytest.mark.parametrize(("values", "expected"), [
    ({"length": 0.5}, {"length": 0.5}),
    ({"length": 0.9}, {"length": 0.9}),
    ({"length": 0.7}, {"length": 0.7}),
    ({"flare": 1}, {"flare": 1.0}),
    ({"count": 1}, {"count": 1}),
    ({"count": 20}, {"count": 20}),
    ({"color": "#AA3344"}, {"color": "#aa3344"}),
    ({"color": "#0f0f0f"}, {"color": "#0f0f0f"}),
    ({"fit": "loose"}, {"fit": "loose"}),
    ({"lined": True}, {"lined": True}),
    ({"lined": False}, {"lined": False}),
    ({}, {}),
    ({"length": 0.6, "count": 3, "color": "#000000", "fit": "slim", "lined": True},
     {"length": 0.6, "count": 3, "color": "#000000", "fit": "slim", "lined": True}),
])
def test_valid_customisations_are_normalised(values: dict[str, Any], expected: dict[str, Any]) -> None:
    out = ITEM.validate_customization(values)
    assert out == expected
    for key, value in out.items():
        assert type(value) is type(expected[key])
    assert out is not values


def test_none_means_no_customisation_and_resolve_overlays_defaults() -> None:
    assert ITEM.validate_customization(None) == {}
    assert ITEM.defaults() == {"length": 0.68, "flare": 0, "count": 6, "color": "#ffffff", "fit": "regular",
                               "lined": False}
    assert ITEM.resolve({"fit": "slim"}) == {**ITEM.defaults(), "fit": "slim"}


@pytest.mark.parametrize(("values", "field", "words"), [
    ({"length": 0.49}, "customization.length", ("a number from 0.5 to 0.9 m",)),
    ({"length": 0.91}, "customization.length", ("0.5", "0.9")),
    ({"length": -1}, "customization.length", ("0.5",)),
    ({"length": math.nan}, "customization.length", ("0.5",)),
    ({"length": math.inf}, "customization.length", ("0.5",)),
    ({"length": "0.6"}, "customization.length", ("a number",)),
    ({"length": True}, "customization.length", ("a number",)),
    ({"length": None}, "customization.length", ("a number",)),
    ({"count": 2.0}, "customization.count", ("an integer from 1 to 20",)),
    ({"count": 2.5}, "customization.count", ("an integer",)),
    ({"count": 0}, "customization.count", ("1", "20")),
    ({"count": 21}, "customization.count", ("1", "20")),
    ({"count": False}, "customization.count", ("an integer",)),
    ({"color": "red"}, "customization.color", ("hex colour", "#aa3344")),
    ({"color": "#abc"}, "customization.color", ("hex colour",)),
    ({"color": "#GGGGGG"}, "customization.color", ("hex colour",)),
    ({"color": "aa3344"}, "customization.color", ("hex colour",)),
    ({"color": "#aa3344 "}, "customization.color", ("hex colour",)),
    ({"color": 0xAA3344}, "customization.color", ("hex colour",)),
    ({"fit": "baggy"}, "customization.fit", ("'slim'", "'regular'", "'loose'")),
    ({"fit": "Slim"}, "customization.fit", ("'slim'",)),
    ({"fit": None}, "customization.fit", ("'slim'",)),
    ({"lined": "yes"}, "customization.lined", ("True or False",)),
    ({"lined": 1}, "customization.lined", ("True or False",)),
    ({"sleeves": 1}, "customization.sleeves", ("unknown parameter", "color", "count", "fit", "length", "lined")),
    ({1: 2}, "customization.1", ("unknown parameter",)),
])
def test_bad_customisations_name_parameter_value_and_allowed(values: dict[Any, Any], field: str,
                                                             words: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError) as info:
        ITEM.validate_customization(values)
    assert info.value.field == field
    message = str(info.value)
    assert message.startswith(field)
    for word in words:
        assert word in message, message
    assert len(message) < 500


@pytest.mark.parametrize("values", [[1], "color=#fff", 5, ("color", "#ffffff")])
def test_customisation_must_be_a_dict(values: Any) -> None:
    with pytest.raises(ValidationError) as info:
        ITEM.validate_customization(values)
    assert info.value.field == "customization" and "dict" in str(info.value)


def test_item_without_parameters_says_so() -> None:
    item = CatalogItem(id="acc-plain", type="accessory", name="Plain")
    with pytest.raises(ValidationError, match="none"):
        item.validate_customization({"color": "#ffffff"})


def test_unknown_parameter_type_in_a_spec_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown parameter type 'vector'"):
        check_parameter("p", 1, {"type": "vector"})


def test_huge_integer_is_a_validation_error() -> None:
    with pytest.raises(FWError):
        ITEM.validate_customization({"length": 10**400})


def test_every_catalog_item_accepts_its_own_defaults() -> None:
    items, digest = load_manifests(Path(__file__).resolve().parents[2] / "catalog_data")
    assert items and digest
    for item in items:
        assert item.validate_customization(item.defaults()) == item.defaults(), item.id
        for name, spec in item.parameters.items():
            if spec["type"] == "choice":
                assert spec["default"] in spec["options"], (item.id, name)
            if spec["type"] in ("number", "integer"):
                assert spec["min"] <= spec["default"] <= spec["max"], (item.id, name)
