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
    """The pattern in every size of the size chart (graded by redrafting from each size's body)."""
    return {s: draft(silhouette, values, standard_size(s, sex), size=s) for s in sizes}


def spec_values(silhouette: str, values: dict) -> dict:
    """The values the fitting surfaces take (``length`` of straight trousers is rise + inseam)."""
    out = dict(values)
    if "inseam" in out and "rise" in out:
        out["length"] = float(out["inseam"]) + float(out["rise"])
    return out
