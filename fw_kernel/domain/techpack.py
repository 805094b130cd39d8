"""What a tech pack says: the bill of materials, points of measure and layer list of a design state.

Plain data built from a design snapshot, the catalog and the avatar; the PDF adapter only lays it out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .catalog import CatalogItem

# Fabric consumption: garment surface x (1 + seam/cutting allowance) / usable width of a roll.
CUTTING_ALLOWANCE = 0.20
ROLL_WIDTH_M = 1.45

# Points of measure of the fit model (cm), with the tolerance a factory is held to (+/- cm). Girths follow common
# grading practice: +/-1 cm on body girths, +/-0.5 cm on neck and short lengths, +/-1 cm on long lengths.
POINTS_OF_MEASURE: tuple[tuple[str, str, str, float], ...] = (
    ("A1", "height", "Body height, head top to floor", 1.0),
    ("B1", "bust", "Bust girth, fullest point", 1.0),
    ("B2", "chest", "Chest girth, under the arms", 1.0),
    ("B3", "underbust", "Underbust girth", 1.0),
    ("C1", "waist", "Waist girth, natural waist", 1.0),
    ("D1", "hips", "Hip girth, fullest point", 1.0),
    ("E1", "neck", "Neck girth, base of neck", 0.5),
    ("F1", "shoulder_width", "Shoulder width, point to point", 0.5),
    ("G1", "arm_length", "Arm length, shoulder point to wrist", 1.0),
    ("G2", "upper_arm", "Upper arm girth", 0.5),
    ("H1", "inseam", "Inside leg, crotch to floor", 1.0),
    ("H2", "thigh", "Thigh girth, below the crotch", 1.0),
)


@dataclass(frozen=True)
class BomRow:
    """One line of the bill of materials. ``quantity`` is in ``unit`` (m of fabric, pcs, set)."""

    layer: str
    component: str
    item_id: str
    item_name: str
    material: str
    colours: tuple[str, ...]
    quantity: float
    unit: str
    unit_price: float
    currency: str
    placement: str = ""


@dataclass(frozen=True)
class PomRow:
    code: str
    key: str
    point: str
    value_cm: float
    tolerance_cm: float


@dataclass(frozen=True)
class LayerRow:
    order: int
    name: str
    type: str
    item_id: str
    visible: bool
    settings: str
    notes: str


@dataclass(frozen=True)
class TechPack:
    style_name: str
    style_number: str
    category: str
    season: str
    designer: str
    date: str
    revision: int
    checkpoint: int | None
    checkpoint_message: str
    description: str
    colourway: str
    bom: tuple[BomRow, ...]
    pom: tuple[PomRow, ...]
    layers: tuple[LayerRow, ...]
    avatar_name: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def total_cost(self) -> float:
        return round(sum(r.quantity * r.unit_price for r in self.bom), 2)


def composition_text(physical: dict[str, Any]) -> str:
    """``{"cotton": 95, "elastane": 5}`` -> ``"95% cotton, 5% elastane"`` (largest first)."""
    parts = sorted((physical.get("composition") or {}).items(), key=lambda kv: -kv[1])
    return ", ".join(f"{share:g}% {fibre}" for fibre, share in parts)


def _colours(values: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(v).lower() for k, v in sorted(values.items())
                 if "color" in k and isinstance(v, str) and v.startswith("#"))


def _settings_text(values: dict[str, Any], names: dict[str, str]) -> str:
    shown = {k: (f"'{names.get(v, v)}'" if k == "target" else v) for k, v in values.items() if "color" not in k}
    return ", ".join(f"{k}={v}" for k, v in sorted(shown.items()))


def fabric_metres(area_m2: float) -> float:
    """Running metres of a roll (``ROLL_WIDTH_M`` wide) that cover ``area_m2`` of garment, allowance included."""
    return round(area_m2 * (1 + CUTTING_ALLOWANCE) / ROLL_WIDTH_M, 2)


def build_techpack(state: dict[str, Any], item_of: Callable[[str], CatalogItem | None], *, design_id: str,
                   designer: str, date: str, revision: int, checkpoint: int | None = None,
                   checkpoint_message: str = "", avatar: dict[str, Any] | None = None,
                   garment_area_m2: dict[str, float] | None = None) -> TechPack:
    """The tech pack of a design ``state`` (a :func:`~fw_kernel.domain.design.snapshot`).

    Parameters
    ----------
    item_of
        Catalog lookup by item id (None for an item no longer in the catalog).
    avatar
        ``{"name": str, "measurements": {key: cm}}`` of the design's avatar, or None.
    garment_area_m2
        Surface of each silhouette layer's mesh (m², by layer id): fabric consumption follows from it.
    """
    areas = garment_area_m2 or {}
    layers = sorted(state.get("layers", []), key=lambda raw: raw["order_index"])
    by_id = {raw["id"]: raw for raw in layers}
    names = {raw["id"]: raw["name"] for raw in layers}
    silhouettes = [raw for raw in layers if raw["type"] == "silhouette"]
    bom: list[BomRow] = []
    rows: list[LayerRow] = []
    notes: list[str] = []
    for raw in layers:
        item = item_of(raw["catalog_item_id"])
        values = item.resolve(raw.get("customization", {})) if item is not None else dict(raw.get("customization", {}))
        rows.append(LayerRow(raw["order_index"] + 1, raw["name"], raw["type"], raw["catalog_item_id"],
                             raw.get("is_visible", True), _settings_text(values, names), raw.get("notes", "")))
        if item is None:
            notes.append(f"layer {raw['name']!r}: catalog item {raw['catalog_item_id']!r} is no longer in the "
                         "catalog; it is listed without material data")
            continue
        if not raw.get("is_visible", True):
            continue  # hidden layers are not part of the garment being made
        target_id, placement = None, ""
        if raw["type"] in ("fabric", "pattern", "element"):  # these dress a garment: the named or topmost one
            target_id = values.get("target") or (silhouettes[-1]["id"] if silhouettes else None)
            placement = by_id[target_id]["name"] if target_id in by_id else ""
        kind, material, quantity, unit = _component(raw["type"], item, values)
        if raw["type"] == "fabric":
            area = areas.get(target_id, 0.0) if target_id else 0.0
            quantity, unit = (fabric_metres(area), "m") if area else (0.0, "m (no garment to cover)")
        bom.append(BomRow(raw["name"], kind, item.id, item.name, material, _colours(values), quantity, unit,
                          item.price, item.currency, placement))
    pom: tuple[PomRow, ...] = ()
    if avatar and avatar.get("measurements"):
        measured = avatar["measurements"]
        pom = tuple(PomRow(code, key, text, round(float(measured[key]), 1), tol)
                    for code, key, text, tol in POINTS_OF_MEASURE if key in measured)
    colours = sorted({c for row in bom for c in row.colours})
    return TechPack(
        style_name=state.get("name", ""), style_number="FW-" + design_id.replace("-", "")[:8].upper(),
        category=state.get("category", ""), season=state.get("season") or "all seasons", designer=designer,
        date=date, revision=revision, checkpoint=checkpoint, checkpoint_message=checkpoint_message,
        description=state.get("description", ""), colourway=" / ".join(colours[:6]) or "as rendered",
        bom=tuple(bom), pom=pom, layers=tuple(rows), avatar_name=(avatar or {}).get("name", ""), notes=tuple(notes))


def _component(kind: str, item: CatalogItem, values: dict[str, Any]) -> tuple[str, str, float, str]:
    physical = item.physical or {}
    composition = composition_text(physical)
    if kind == "silhouette":
        return "garment", "cut and sewn (see fabric rows)", 1, "pc"
    if kind == "fabric":
        details = [composition, f"{physical['weight_gsm']:g} g/m²" if "weight_gsm" in physical else "",
                   f"{physical['thickness_mm']:g} mm" if "thickness_mm" in physical else "",
                   f"stretch: {physical['stretch']}" if "stretch" in physical else ""]
        return "fabric", ", ".join(d for d in details if d), 0.0, "m"
    if kind == "pattern":
        return "print", f"printed onto the fabric beneath, scale {values.get('scale', 1)}", 1, "placement"
    count = values.get("count")
    material = values.get("material") or composition or "-"
    if kind == "element":
        return "trim", str(material), float(count) if isinstance(count, int | float) else 1.0, "pcs" if count else "set"
    return "accessory", str(material), 1, "pc"
