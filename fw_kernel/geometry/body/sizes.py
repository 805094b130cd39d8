"""Standard body-size chart, XS to 4XL, women's and men's, in centimetres (presets for avatars).

Body dimensions in the style of ISO 8559-1 / ISO 8559-2 (and EN 13402-3) size designations: each size is a
complete set of the measurements the avatar fitter understands, taken as ``fw_kernel.geometry.body.measure``
defines them (girths are tape girths: convex-hull perimeters of horizontal sections; shoulder width is the
across-back tape from acromion over the back-neck point to acromion; arm length is shoulder point over the
outside of the elbow to the wrist). Women's sizes use ``bust``/``underbust``, men's ``chest``. Heights are those
of the middle height class of each size (women 164-170 cm, men 174-184 cm); for petite or tall bodies change
``height`` and ``inseam`` (see :func:`size_measurements`).

The values follow the usual 6-8 cm girth steps between sizes (4-6 cm for hips) and were checked to be reachable
by the body model within the fitter's tolerances (``tests/geometry/test_body_fit.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

SIZES: tuple[str, ...] = ("XS", "S", "M", "L", "XL", "XXL", "3XL", "4XL")
"""Size labels, smallest first."""

_FEMALE_COLUMNS = ("height", "bust", "underbust", "waist", "hips", "inseam", "shoulder_width", "arm_length", "neck",
                   "upper_arm", "thigh")
_FEMALE_ROWS: dict[str, tuple[float, ...]] = {
    #       height  bust  under waist  hips  inseam shoul  arm   neck  upper thigh
    "XS": (164.0, 80.0, 68.0, 62.0, 88.0, 76.0, 36.0, 57.0, 32.0, 25.0, 50.0),
    "S": (166.0, 86.0, 72.0, 68.0, 94.0, 77.0, 37.0, 57.5, 33.0, 27.0, 53.0),
    "M": (168.0, 92.0, 77.0, 74.0, 100.0, 78.0, 38.0, 58.0, 34.0, 29.0, 56.0),
    "L": (168.0, 100.0, 84.0, 82.0, 106.0, 78.0, 39.0, 58.5, 35.5, 31.5, 60.0),
    "XL": (170.0, 108.0, 91.0, 90.0, 114.0, 78.5, 40.5, 59.0, 37.0, 34.0, 64.0),
    "XXL": (170.0, 116.0, 98.0, 98.0, 122.0, 78.0, 42.0, 59.5, 38.5, 36.5, 68.0),
    "3XL": (170.0, 124.0, 106.0, 108.0, 130.0, 77.5, 43.5, 60.0, 40.0, 39.0, 72.0),
    "4XL": (170.0, 132.0, 114.0, 118.0, 138.0, 77.0, 45.0, 60.5, 41.5, 41.5, 76.0),
}

_MALE_COLUMNS = ("height", "chest", "waist", "hips", "inseam", "shoulder_width", "arm_length", "neck", "upper_arm",
                 "thigh")
_MALE_ROWS: dict[str, tuple[float, ...]] = {
    #       height  chest waist  hips inseam shoul  arm   neck  upper thigh
    "XS": (174.0, 84.0, 72.0, 88.0, 80.0, 42.0, 62.0, 36.0, 27.0, 50.0),
    "S": (177.0, 92.0, 80.0, 94.0, 81.0, 43.5, 63.0, 37.5, 29.0, 53.0),
    "M": (180.0, 100.0, 88.0, 100.0, 82.0, 45.0, 64.0, 39.0, 31.0, 56.0),
    "L": (182.0, 108.0, 96.0, 106.0, 82.5, 46.5, 64.5, 40.5, 33.5, 59.0),
    "XL": (183.0, 116.0, 104.0, 112.0, 82.5, 48.0, 65.0, 42.0, 36.0, 62.0),
    "XXL": (184.0, 124.0, 112.0, 118.0, 82.0, 49.5, 65.5, 44.0, 38.5, 65.0),
    "3XL": (184.0, 132.0, 120.0, 124.0, 81.5, 51.0, 66.0, 46.0, 41.0, 68.0),
    "4XL": (184.0, 140.0, 128.0, 130.0, 81.0, 52.5, 66.0, 48.0, 43.5, 71.0),
}


def _chart(columns: tuple[str, ...], rows: dict[str, tuple[float, ...]]) -> Mapping[str, Mapping[str, float]]:
    return MappingProxyType({size: MappingProxyType(dict(zip(columns, values))) for size, values in rows.items()})


FEMALE: Mapping[str, Mapping[str, float]] = _chart(_FEMALE_COLUMNS, _FEMALE_ROWS)
"""Women's body measurements (cm) by size: ``FEMALE["M"]["bust"] == 92``."""

MALE: Mapping[str, Mapping[str, float]] = _chart(_MALE_COLUMNS, _MALE_ROWS)
"""Men's body measurements (cm) by size: ``MALE["L"]["chest"] == 108``."""

CHARTS: Mapping[str, Mapping[str, Mapping[str, float]]] = MappingProxyType({"female": FEMALE, "male": MALE})
"""Both charts by body hint."""


def size_measurements(size: str, body_hint: str = "female", **overrides: float) -> dict[str, float]:
    """The measurements (cm) of a standard size, optionally with some replaced.

    Parameters
    ----------
    size : one of :data:`SIZES` (case-insensitive)
    body_hint : "female" or "male"
    **overrides : centimetres, e.g. ``height=152, inseam=70`` for a petite body.

    Returns
    -------
    dict name -> centimetres (a new dict).

    Raises
    ------
    ValueError
        Unknown size, body hint or measurement name.
    """
    label = size.upper() if isinstance(size, str) else size
    if body_hint not in CHARTS:
        raise ValueError(f"body_hint must be 'female' or 'male' for a size chart, got {body_hint!r}")
    chart = CHARTS[body_hint]
    if label not in chart:
        raise ValueError(f"unknown size {size!r}; sizes: {', '.join(SIZES)}")
    values = dict(chart[label])
    unknown = set(overrides) - set(values)
    if unknown:
        raise ValueError(f"the {body_hint} chart has no {sorted(unknown)}; it has {', '.join(values)}")
    values.update({k: float(v) for k, v in overrides.items()})
    return values
