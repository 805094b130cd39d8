"""Fabric physics for the cloth solver: the catalog's ``physical`` block mapped to solver parameters.

Plain Python (no solver import). Units: SI (kg, m, N).

Mapping (documented choices, calibrated on the simulated Cusick test, see ``benchmarks/RESULTS.md``):

- mass per area (kg/m²) = ``weight_gsm`` / 1000.
- membrane (stretch) stiffness (N/m): wovens (``stretch: none``) are nearly inextensible, two-way stretch
  (denim with elastane, corduroy) a third of that, four-way knits (jersey) a tenth. The VBD solver is isotropic,
  so warp/weft/bias are one value (the warp's); an anisotropic solver (Style3D) would take the three.
- bending stiffness: from Peirce's bending length ``c`` (m), the overhang at which a strip bends 41.5°;
  bending rigidity ``B = w c³`` with ``w`` the weight per area (N/m²). ``c`` comes from the catalog's ``drape``
  (0 stiff .. 1 fluid) and grows with thickness: ``c = (0.6 + 4.4 (1 - drape)) cm * (thickness / 0.5 mm)^0.25``
  (silk satin ~0.6 cm, jersey ~1.9 cm, denim ~4.4 cm); leather, a continuous sheet rather than a yarn assembly,
  takes 1.6x that (:data:`SHEET_BENDING`; lamb leather ~6.2 cm), which puts it above denim on the Cusick test
  as the issue asks (the catalog gives lamb leather ``drape: 0.35``, denim ``0.25``).
- friction: 0.4 for cotton/wool/linen, 0.25 for silk and synthetics, 0.6 for leather (fabric-on-skin ranges).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fw_kernel.domain.errors import ValidationError

MAPPING_VERSION = "cloth-map-2"   # bump when the mapping below changes: drape cache keys include it
GRAVITY = 9.81  # m/s²
STRETCH_KINDS = {"none": 1.0, "two_way": 1 / 3, "four_way": 0.1}
#: bending length factor of materials that are a continuous sheet, not a yarn assembly: a hide of the same
#: catalog ``drape`` is stiffer in bending than a cloth (its fibres cannot slide past each other)
SHEET_BENDING = {"leather": 1.6}
WOVEN_STRETCH_N_PER_M = 2.0e4   # membrane stiffness of a woven, N/m (strains under 1 % when hanging)


@dataclass(frozen=True)
class ClothParams:
    """Solver-ready fabric parameters (SI).

    Attributes
    ----------
    mass_per_area : kg/m²
    stretch_ke : membrane stiffness, N/m (Lamé mu-like)
    area_ka : area-preservation stiffness, N/m
    bending_rigidity : N·m (B = w c³)
    bending_length_m : Peirce bending length, m
    friction : Coulomb coefficient against the body
    """

    mass_per_area: float
    stretch_ke: float
    area_ka: float
    bending_rigidity: float
    bending_length_m: float
    friction: float
    woven: bool


def cloth_params(physical: Mapping[str, Any]) -> ClothParams:
    """Map a catalog fabric's ``physical`` block (weight_gsm, thickness_mm, stretch, drape, composition)."""
    try:
        gsm = float(physical["weight_gsm"])
        thickness = float(physical.get("thickness_mm", 0.5))
        drape = float(physical.get("drape", 0.5))
        stretch = str(physical.get("stretch", "none"))
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError(f"fabric physical data needs weight_gsm, thickness_mm, stretch, drape: {exc}") from exc
    if stretch not in STRETCH_KINDS:
        raise ValidationError(f"stretch {stretch!r} is not one of {sorted(STRETCH_KINDS)}")
    if not (gsm > 0 and thickness > 0 and 0.0 <= drape <= 1.0):
        raise ValidationError(f"weight_gsm ({gsm}) and thickness_mm ({thickness}) must be > 0, drape ({drape}) in 0..1")
    comp = {k.lower(): float(v) for k, v in (physical.get("composition") or {}).items()}
    main = max(comp, key=lambda k: comp[k]) if comp else "cotton"
    mass = gsm / 1000.0
    c = (0.006 + 0.044 * (1.0 - drape)) * (thickness / 0.5) ** 0.25 * SHEET_BENDING.get(main, 1.0)
    rigidity = mass * GRAVITY * c ** 3
    ke = WOVEN_STRETCH_N_PER_M * STRETCH_KINDS[stretch]
    friction = {"leather": 0.6, "silk": 0.25, "polyamide": 0.25, "polyester": 0.25, "viscose": 0.3}.get(main, 0.4)
    return ClothParams(mass_per_area=mass, stretch_ke=ke, area_ka=ke, bending_rigidity=rigidity,
                       bending_length_m=c, friction=friction, woven=stretch == "none")


def drape_coefficient(projected_area_m2: float, disc_radius_m: float = 0.15, pedestal_radius_m: float = 0.09) -> float:
    """Cusick drape coefficient (ISO 9073-9): (A_shadow - A_pedestal) / (A_disc - A_pedestal), 0 limp .. 1 stiff."""
    import math

    a_disc, a_ped = math.pi * disc_radius_m ** 2, math.pi * pedestal_radius_m ** 2
    return (projected_area_m2 - a_ped) / (a_disc - a_ped)
