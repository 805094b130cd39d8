"""Garments as sewing patterns: flat panels drafted from the body, seams between their edges, and the 3D garment
made from them (see :mod:`.styles` for the silhouettes, :mod:`.assemble` for the 3D garment)."""

from .measures import BodyMeasures, from_body, from_measurements, standard_size
from .model import Dart, Edge, FitTarget, Panel, Pattern, Placement, Seam
from .styles import STYLES, draft

__all__ = [
    "STYLES",
    "BodyMeasures",
    "Dart",
    "Edge",
    "FitTarget",
    "Panel",
    "Pattern",
    "Placement",
    "Seam",
    "draft",
    "from_body",
    "from_measurements",
    "grade",
    "standard_size",
]


def grade(silhouette: str, values: dict, sizes: tuple[str, ...] = ("XS", "S", "M", "L", "XL", "XXL", "3XL", "4XL"),
          sex: str = "female") -> dict[str, Pattern]:
    """The pattern in every size of the size chart, each drafted from its size's body.

    Industry grading moves a base size's cardinal points by grade rules (x/y increments per size step). Here every
    size is redrafted instead, on purpose: a draft takes 1-15 ms (``benchmarks/sewing.py``), so grade rules
    would save nothing; the drafts hit each size's girths + ease within 1 cm and keep seams trued (a rule table
    applied to one base size drifts from the chart wherever the chart is not linear, e.g. the 4XL armholes and
    hips, and would need re-truing); and the graded set stays consistent with made-to-measure, which has no
    base size to grade from. Rules would also first need cardinal points: the same piece has different point
    counts in different sizes where seams are trued or pieces cut (shirt, blazer, trousers), so there is no
    point-for-point correspondence to hang increments on yet."""
    return {s: draft(silhouette, values, standard_size(s, sex), size=s) for s in sizes}


def spec_values(values: dict) -> dict:
    """The values the fitting surfaces take (``length`` of straight trousers is rise + inseam)."""
    out = dict(values)
    if "inseam" in out and "rise" in out:
        out["length"] = float(out["inseam"]) + float(out["rise"])
    return out


def garment_for(body: object, measures: BodyMeasures, item_id: str, spec: object, values: dict, under: list,
                quality: str = "standard") -> object:
    """The 3D garment of a silhouette layer: its pattern drafted for ``measures`` (the body it is worn on) and
    wrapped on ``body`` over ``under``. A silhouette without a drafted pattern keeps today's generated garment."""
    from ..geometry.garment.garments import make_garment
    from .assemble import garment_from_pattern

    if item_id not in STYLES:
        return make_garment(body, item_id, spec, under)  # type: ignore[arg-type]
    return garment_from_pattern(body, item_id, spec, draft(item_id, values, measures), under,  # type: ignore[arg-type]
                                quality)
