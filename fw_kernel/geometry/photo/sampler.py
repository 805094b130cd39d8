"""Random adult bodies of the body model and random ways of photographing them: what the photo calibration
and its held-out test set are drawn from (numpy + the body model; no rendering here).

The range (issue #17): heights 140-205 cm, BMI 16-45, ages 18-80, the bust, hip and breast-projection local
changes over their whole range (-1..1), women, men and in-between, arm angles, camera distances, camera heights
and sideways framings. Bodies are drawn from the phenotypes and kept when their measured height and BMI fall in
the range (rejection sampling), so the set covers the range rather than the size charts.

anny's age phenotype is mapped to years by its anchors (2/3 = young adult, 25 years; 1 = old, 90 years; 1/3 =
child, ~11 years), linearly between them: 18 years ~ 0.50, 80 years ~ 0.95 (an approximation of anny's own
age curve). The BMI comes from the mesh's volume at 985 kg/m3 (body density).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

HEIGHT_CM = (140.0, 205.0)
BMI = (16.0, 45.0)
AGE_YEARS = (18.0, 80.0)
BODY_DENSITY = 985.0
"""kg/m3 of a body (the mesh's volume -> its mass -> BMI)."""

WIDE_LOCAL = ("measure-bust-circ-incr", "measure-hips-circ-incr", "breast-point-incr")
"""Local changes drawn over their whole range (uniform -1..1)."""

FAT_LOCAL = ("measure-underbust-circ-incr", "measure-waist-circ-incr", "measure-neck-circ-incr",
             "measure-upperarm-circ-incr", "measure-thigh-circ-incr")
"""Local changes that follow the weight (anny's weight phenotype alone stops near BMI 27: heavier bodies need
fuller waists, thighs and arms): N(1.2 (weight / 1.3 - 0.5), 0.35) clipped to +-1.3; the rest N(0, 0.35)
clipped to +-1."""


def age_phenotype(years: float) -> float:
    """anny's age phenotype of an age in years (piecewise linear between anny's anchors, see the module)."""
    if years >= 25.0:
        return 2.0 / 3.0 + (years - 25.0) / 65.0 / 3.0
    return 1.0 / 3.0 + (years - 11.0) / 14.0 / 3.0


def mesh_volume_m3(vertices: np.ndarray, faces: np.ndarray) -> float:
    """Volume (m3) of a closed triangle mesh ((N, 3) metres, (M, 3) int) by the divergence theorem."""
    v = np.asarray(vertices, dtype=np.float64)[np.asarray(faces)]
    return float(abs(np.einsum("ij,ij->i", v[:, 0], np.cross(v[:, 1], v[:, 2])).sum()) / 6.0)


def bmi_of(body: Any) -> float:
    """BMI (kg/m2) of a :class:`~fw_kernel.geometry.body.model.FittedBody` (volume x density / height^2)."""
    h = body.measured["height"] / 100.0
    return BODY_DENSITY * mesh_volume_m3(body.vertices, body.faces) / (h * h)


def random_params(rng: np.random.Generator) -> dict[str, Any]:
    """Parameters (``FittedBody.params`` form) of one random adult body, before the height/BMI filter."""
    from ..body.model import LOCAL_CHANGES, MODEL_ID

    gender = float(rng.choice([0.0, 1.0, -1.0], p=[0.4, 0.4, 0.2]))
    if gender < 0:
        gender = float(rng.uniform(0.0, 1.0))
    years = float(rng.uniform(*AGE_YEARS))
    weight = float(rng.uniform(0.0, 1.3))
    # height phenotype: 0 is 129 cm, 1 is 238 cm (linear): 0.08-0.72 covers 140-205 cm before the filter
    phen = {"gender": gender, "age": round(age_phenotype(years), 4), "muscle": float(rng.uniform(0.0, 1.0)),
            "weight": weight, "height": float(rng.uniform(0.08, 0.72)), "proportions": float(rng.uniform(0.0, 1.0))}
    local: dict[str, float] = {}
    for k in LOCAL_CHANGES:
        if k in WIDE_LOCAL:
            local[k] = float(rng.uniform(-1.0, 1.0))
        elif k in FAT_LOCAL:
            local[k] = float(np.clip(rng.normal(1.2 * (weight / 1.3 - 0.5), 0.35), -1.3, 1.3))
        else:
            local[k] = float(np.clip(rng.normal(0.0, 0.35), -1.0, 1.0))
    return {"model": MODEL_ID, "phenotypes": phen, "local_changes": local, "age_years": round(years, 1)}


def random_body(rng: np.random.Generator, tries: int = 200) -> tuple[Any, dict[str, Any]]:
    """One random adult body within :data:`HEIGHT_CM` and :data:`BMI`: ``(FittedBody, info)`` with ``info``
    the params, ``age_years``, ``bmi``, ``female`` (the gender phenotype)."""
    from ..body.model import build_body

    for _ in range(tries):
        params = random_params(rng)
        years = params.pop("age_years")
        body = build_body(params)
        h, bmi = body.measured["height"], bmi_of(body)
        if HEIGHT_CM[0] <= h <= HEIGHT_CM[1] and BMI[0] <= bmi <= BMI[1]:
            return body, {"params": params, "age_years": years, "bmi": round(bmi, 2),
                          "female": params["phenotypes"]["gender"]}
    raise RuntimeError(f"no body in range after {tries} tries")


@dataclass(frozen=True)
class Framing:
    """How a body is photographed beyond the studio's own random setup: metres and degrees."""

    distance_m: float
    camera_height_m: float
    offset_m: float
    arm_spread_deg: float


def random_framing(rng: np.random.Generator, height_cm: float, yfov_deg: float = 42.0) -> Framing:
    """Camera distance (from just far enough for the whole body, with 4-25 % to spare, to 1.2 m further),
    camera height 0.7-1.6 m, the body off the image's centre by up to +-0.25 m (a third of the photos
    centred) and the arms -4..+14 degrees from the A-pose."""
    half = np.tan(np.radians(yfov_deg / 2))
    need = (0.5 * height_cm / 100.0) * float(rng.uniform(1.04, 1.25)) / half
    offset = 0.0 if rng.random() < 1 / 3 else float(rng.uniform(-0.25, 0.25))
    return Framing(distance_m=need + float(rng.uniform(0.1, 1.2)), camera_height_m=float(rng.uniform(0.7, 1.6)),
                   offset_m=offset, arm_spread_deg=float(rng.uniform(-4.0, 14.0)))
