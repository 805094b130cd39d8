"""Body measurements a pattern is drafted from: girths, lengths and the heights of the body's levels (cm).

Three sources: a standard size (:data:`fw_kernel.geometry.body.sizes.SIZES`, graded by the size chart), an avatar's
own measurements (made-to-measure) and a fitted body mesh (:class:`~fw_kernel.geometry.garment.garments.BodyGeometry`,
measured on the mesh so the pattern fits the body it is worn on).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np

from ..geometry.body.sizes import size_measurements

# Heights of the body's levels as fractions of the stature (anthropometric proportions, used when only tape
# measurements are known).
_LEVELS = {"hps_y": 0.835, "shoulder_y": 0.815, "underarm_y": 0.725, "bust_y": 0.72, "waist_y": 0.625,
           "hip_y": 0.52, "knee_y": 0.285, "ankle_y": 0.045}


@dataclass(frozen=True)
class BodyMeasures:
    """Centimetres. Girths: ``bust`` (chest for men), ``waist``, ``hips``, ``neck``, ``upper_arm``, ``wrist``,
    ``thigh``, ``knee``, ``ankle``. Lengths: ``shoulder_width`` (acromion to acromion), ``arm_length``
    (shoulder point to wrist), ``inseam``. Heights above the floor: ``hps_y`` (high point of the shoulder, at the
    neck), ``shoulder_y``, ``underarm_y``, ``bust_y``, ``waist_y``, ``hip_y``, ``crotch_y``, ``knee_y``,
    ``ankle_y``."""

    height: float
    bust: float
    waist: float
    hips: float
    neck: float
    shoulder_width: float
    arm_length: float
    upper_arm: float
    wrist: float
    thigh: float
    knee: float
    ankle: float
    inseam: float
    hps_y: float
    shoulder_y: float
    underarm_y: float
    bust_y: float
    waist_y: float
    hip_y: float
    crotch_y: float
    knee_y: float
    ankle_y: float
    sex: str = "female"

    def as_dict(self) -> dict[str, float]:
        return {k: v for k, v in asdict(self).items() if k != "sex"}

    def girth_at(self, y: float) -> float:
        """Torso girth (cm) at height ``y`` between the levels (linear between hips, waist and bust)."""
        ys = [self.hip_y, self.waist_y, self.bust_y]
        gs = [self.hips, self.waist, self.bust]
        return float(np.interp(y, ys, gs))


def from_measurements(m: Mapping[str, float], sex: str = "female") -> BodyMeasures:
    """Made-to-measure: an avatar's tape measurements (cm; ``height``, ``bust`` or ``chest``, ``waist``, ``hips``
    at least), the rest estimated from the size chart's proportions."""
    h = float(m["height"])
    bust = float(m.get("bust", m.get("chest", 92.0)))
    est = {k: f * h for k, f in _LEVELS.items()}
    inseam = float(m.get("inseam", 0.465 * h))
    return BodyMeasures(
        height=h, bust=bust, waist=float(m["waist"]), hips=float(m["hips"]),
        neck=float(m.get("neck", 0.21 * bust + 15.0)), shoulder_width=float(m.get("shoulder_width", 0.1 * bust + 28.8)),
        arm_length=float(m.get("arm_length", 0.35 * h)), upper_arm=float(m.get("upper_arm", 0.31 * bust)),
        wrist=float(m.get("wrist", 0.055 * bust + 11.0)), thigh=float(m.get("thigh", 0.56 * float(m["hips"]))),
        knee=float(m.get("knee", 0.22 * float(m["hips"]) + 15.0)), ankle=float(m.get("ankle", 0.13 * h)),
        inseam=inseam, crotch_y=inseam, sex=sex, **est)


def standard_size(size: str, sex: str = "female") -> BodyMeasures:
    """The body of a standard size (XS..4XL) of the women's or men's chart."""
    return from_measurements(size_measurements(size, sex), sex)


def from_body(body: object) -> BodyMeasures:
    """Measure a fitted body mesh (a ``BodyGeometry``, metres) so the pattern fits the body it is worn on."""
    from ..geometry.sections import girth, horizontal_girths, mesh_edges

    v = np.asarray(body.vertices, dtype=np.float64)  # type: ignore[attr-defined]
    faces = np.asarray(body.faces)  # type: ignore[attr-defined]
    parts = body.parts  # type: ignore[attr-defined]
    j = body.joints  # type: ignore[attr-defined]
    lv = body.levels  # type: ignore[attr-defined]
    edges = mesh_edges(faces)
    torso = parts["torso"] | parts["leg_l"] | parts["leg_r"]
    t_edges = edges[torso[edges].all(1)]
    levels = [lv["bust"], lv["waist"], lv["hips"]]
    bust, waist, hips = (horizontal_girths(v, t_edges, levels) * 100).tolist()
    neck_y = float(j["neck_base"][1])
    n_edges = edges[(parts["head"] | parts["torso"])[edges].all(1)]
    neck = float(horizontal_girths(v, n_edges, [neck_y + 0.03])[0] * 100)
    arm_edges = edges[parts["arm_l"][edges].all(1)]
    leg_edges = edges[parts["leg_l"][edges].all(1)]
    crotch = float(lv["crotch"])
    thigh = float(horizontal_girths(v, leg_edges, [crotch - 0.03])[0] * 100)
    knee_y = float(j["knee_l"][1])
    ankle_y = float(j["ankle_l"][1])
    knee, ankle = (horizontal_girths(v, leg_edges, [knee_y, ankle_y + 0.06]) * 100).tolist()
    sh, el, wr = j["shoulder_l"], j["elbow_l"], j["wrist_l"]
    # upper arm: a tape round the arm, square to the shoulder-elbow axis, 45 % of the way down (the convex hull
    # of the section, as the body fit measures it)
    upper_arm = float(girth(v, arm_edges, sh + 0.45 * (el - sh), el - sh) * 100) or 0.31 * bust
    height = float(v[:, 1].max() - v[:, 1].min()) * 100
    shoulder_width = float(abs(j["shoulder_l"][0] - j["shoulder_r"][0]) * 100 + 8.0)  # joint centres to acromia
    return BodyMeasures(
        height=height, bust=bust, waist=waist, hips=hips, neck=neck, shoulder_width=shoulder_width,
        arm_length=float((np.linalg.norm(el - sh) + np.linalg.norm(wr - el)) * 100 + 4.0),
        upper_arm=upper_arm, wrist=max(13.0, 0.055 * bust + 11.0), thigh=thigh, knee=knee, ankle=ankle,
        inseam=crotch * 100, hps_y=neck_y * 100 + 1.0, shoulder_y=float(sh[1]) * 100 + 2.0,
        underarm_y=float(sh[1]) * 100 - 11.5, bust_y=lv["bust"] * 100, waist_y=lv["waist"] * 100,
        hip_y=lv["hips"] * 100, crotch_y=crotch * 100, knee_y=knee_y * 100, ankle_y=ankle_y * 100,
        sex="female" if bust - waist > 14 and hips > bust - 2 else "male")
