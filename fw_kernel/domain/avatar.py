"""Avatar records and the rules for body measurements (centimetres, ISO 8559-1 style)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .errors import ValidationError

#: Allowed range of each measurement, in cm (adult bodies, petite to 4XL and tall).
MEASUREMENT_RANGES_CM: dict[str, tuple[float, float]] = {
    "height": (130.0, 220.0),
    "bust": (65.0, 170.0),
    "chest": (65.0, 170.0),
    "underbust": (55.0, 150.0),
    "waist": (50.0, 160.0),
    "hips": (70.0, 170.0),
    "inseam": (55.0, 100.0),
    "shoulder_width": (30.0, 60.0),
    "arm_length": (45.0, 80.0),
    "neck": (28.0, 55.0),
    "upper_arm": (20.0, 55.0),
    "thigh": (38.0, 90.0),
}
BODY_HINTS = ("female", "male", "neutral")


@dataclass(frozen=True)
class Avatar:
    id: str
    owner: str
    name: str
    measurements: dict[str, float]
    body_hint: str = "neutral"
    created_at: datetime | None = None
    source: str = "measurements"
    requested: dict[str, float] = field(default_factory=dict)   # what was asked (measurements: what was measured)
    body: dict[str, Any] = field(default_factory=dict)          # body-model parameters that rebuild the mesh
    confidence: dict[str, float] = field(default_factory=dict)  # per measurement, 0..1 (source "photo")


def _finite(value: float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def validate_measurements(values: Any) -> dict[str, float]:
    """Check a measurement dict (cm); return it with floats. Raises :class:`ValidationError`."""
    if not isinstance(values, dict) or not values:
        raise ValidationError.bad("measurements", values, "a non-empty dict like {'height': 168, 'waist': 70} (cm)")
    out: dict[str, float] = {}
    for key, value in values.items():
        if key not in MEASUREMENT_RANGES_CM:
            raise ValidationError.bad(f"measurements.{key}", value, "keys " + ", ".join(MEASUREMENT_RANGES_CM),
                                      "unknown measurement")
        low, high = MEASUREMENT_RANGES_CM[key]
        allowed = f"a number of centimetres from {low:g} to {high:g}"
        if isinstance(value, str):
            raise ValidationError.bad(f"measurements.{key}", value, allowed,
                                      "give a plain number in centimetres, without units")
        if isinstance(value, bool) or not isinstance(value, int | float) or not _finite(value):
            raise ValidationError.bad(f"measurements.{key}", value, allowed)
        if not low <= value <= high:
            raise ValidationError.bad(f"measurements.{key}", value, allowed)
        out[key] = float(value)
    _check_consistency(out)
    return out


def _check_consistency(m: dict[str, float]) -> None:
    bust = m.get("bust", m.get("chest"))
    if "underbust" in m and bust is not None and m["underbust"] >= bust:
        raise ValidationError.bad("measurements.underbust", m["underbust"], f"less than the bust ({bust:g} cm)")
    if "inseam" in m and "height" in m and m["inseam"] > 0.55 * m["height"]:
        raise ValidationError.bad("measurements.inseam", m["inseam"],
                                  f"at most 55% of the height ({0.55 * m['height']:.0f} cm)")
    if "waist" in m and "hips" in m and m["waist"] > 1.6 * m["hips"]:
        raise ValidationError.bad("measurements.waist", m["waist"], f"at most 1.6 x hips ({1.6 * m['hips']:.0f} cm)")
