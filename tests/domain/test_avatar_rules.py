"""Body measurements (cm): ranges, plain numbers only, and consistency between measurements."""

from __future__ import annotations

import math
from typing import Any

import pytest

from fw_kernel.domain.avatar import MEASUREMENT_RANGES_CM, validate_measurements
from fw_kernel.domain.errors import FWError, ValidationError

ADA = {"height": 168, "bust": 88, "waist": 70, "hips": 96, "inseam": 78}


def test_valid_measurements_come_back_as_floats() -> None:
    out = validate_measurements(ADA)
    assert out == {k: float(v) for k, v in ADA.items()}
    assert all(type(v) is float for v in out.values())


@pytest.mark.parametrize("key", sorted(MEASUREMENT_RANGES_CM))
def test_range_bounds_are_inclusive(key: str) -> None:
    low, high = MEASUREMENT_RANGES_CM[key]
    assert validate_measurements({key: low}) == {key: low}
    assert validate_measurements({key: high}) == {key: high}
    for bad in (low - 0.01, high + 0.01):
        with pytest.raises(ValidationError) as info:
            validate_measurements({key: bad})
        assert info.value.field == f"measurements.{key}"
        assert f"from {low:g} to {high:g}" in str(info.value)


@pytest.mark.parametrize(("value", "words"), [
    ("168cm", ("without units", "130", "220")),
    ("168", ("without units",)),
    ("1.68 m", ("without units",)),
    (-168, ("130", "220")),
    (0, ("130",)),
    (math.nan, ("130",)),
    (math.inf, ("130",)),
    (-math.inf, ("130",)),
    (True, ("130",)),
    (None, ("130",)),
    ([168], ("130",)),
    (1680, ("220",)),          # millimetres by mistake
    (1.68, ("130",)),          # metres by mistake
])
def test_bad_height_values(value: Any, words: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError) as info:
        validate_measurements({**ADA, "height": value})
    assert info.value.field == "measurements.height"
    message = str(info.value)
    for word in words:
        assert word in message
    assert len(message) < 500


@pytest.mark.parametrize("values", [{}, None, [("height", 168)], "height=168", 168])
def test_measurements_must_be_a_non_empty_dict(values: Any) -> None:
    with pytest.raises(ValidationError) as info:
        validate_measurements(values)
    assert info.value.field == "measurements" and "height" in str(info.value)


def test_unknown_measurement_lists_the_known_ones() -> None:
    with pytest.raises(ValidationError) as info:
        validate_measurements({**ADA, "shoe_size": 40})
    message = str(info.value)
    assert info.value.field == "measurements.shoe_size" and "unknown measurement" in message
    for key in MEASUREMENT_RANGES_CM:
        assert key in message


@pytest.mark.parametrize(("values", "field", "words"), [
    ({"bust": 88, "underbust": 88}, "measurements.underbust", ("less than the bust", "88")),
    ({"bust": 88, "underbust": 95}, "measurements.underbust", ("less than the bust",)),
    ({"chest": 100, "underbust": 101}, "measurements.underbust", ("100",)),   # chest stands in for bust
    ({"bust": 90, "chest": 120, "underbust": 95}, "measurements.underbust", ("90",)),  # bust wins over chest
    ({"height": 150, "inseam": 83}, "measurements.inseam", ("55%", "83")),
    ({"waist": 150, "hips": 90}, "measurements.waist", ("1.6", "144")),
])
def test_consistency_rules(values: dict[str, float], field: str, words: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError) as info:
        validate_measurements(values)
    assert info.value.field == field
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize("values", [
    {"bust": 88, "underbust": 87.9},
    {"chest": 100, "underbust": 99},
    {"bust": 100, "chest": 80, "underbust": 90},      # bust is used when both are given
    {"height": 150, "inseam": 82.5},                  # exactly 55 %
    {"waist": 144, "hips": 90},                       # exactly 1.6 x hips
    {"underbust": 70},                                # nothing to compare with
    {"inseam": 90},
])
def test_consistent_measurements_pass(values: dict[str, float]) -> None:
    assert validate_measurements(values) == {k: float(v) for k, v in values.items()}


def test_huge_integer_is_a_validation_error() -> None:
    with pytest.raises(FWError):
        validate_measurements({"height": 10**400})
