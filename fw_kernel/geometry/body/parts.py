"""What garments need from a fitted body: joint centres, body parts from the skinning weights, levels.

Turns a :class:`~fw_kernel.geometry.body.model.FittedBody` into a
:class:`~fw_kernel.geometry.garment.garments.BodyGeometry`.
"""

from __future__ import annotations

import numpy as np

from ..garment.garments import BodyGeometry
from .model import GENDER_OF_HINT, FittedBody, _check_params, body_model

#: Body part -> (bone-name prefixes, side) whose skinning weight assigns a vertex to it (the rest is torso).
PART_BONES: dict[str, tuple[tuple[str, ...], str | None]] = {
    "head": (("neck", "head", "eye", "jaw", "tongue", "special", "lolid", "uplid", "oris", "levator", "temporalis",
              "risorius", "orbicularis", "mandible", "cheek", "nose", "ear", "brow"), None),
    "arm_l": (("upperarm", "lowerarm", "wrist", "finger", "metacarpal"), "L"),
    "arm_r": (("upperarm", "lowerarm", "wrist", "finger", "metacarpal"), "R"),
    "leg_l": (("upperleg", "lowerleg", "foot", "toe"), "L"),
    "leg_r": (("upperleg", "lowerleg", "foot", "toe"), "R"),
}
JOINT_BONES = {"neck_base": "neck01", "shoulder_l": "upperarm01.L", "shoulder_r": "upperarm01.R",
               "elbow_l": "lowerarm01.L", "elbow_r": "lowerarm01.R", "wrist_l": "wrist.L", "wrist_r": "wrist.R",
               "hip_l": "upperleg01.L", "hip_r": "upperleg01.R", "knee_l": "lowerleg01.L", "knee_r": "lowerleg01.R",
               "ankle_l": "foot.L", "ankle_r": "foot.R"}


def _matches(label: str, prefixes: tuple[str, ...], side: str | None) -> bool:
    base, _, label_side = label.partition(".")
    return base.startswith(prefixes) and (side is None or label_side == side)


def body_geometry(body: FittedBody) -> BodyGeometry:
    """Joints (metres, studio frame, floor-aligned like ``body.vertices``), part masks and levels of ``body``."""
    model = body_model()
    phen, local = _check_params(body.params)
    gender = phen.pop("gender", GENDER_OF_HINT["neutral"])
    coeffs = model.coefficients(model.phenotype_vector("neutral", gender=gender, **phen), model.local_vector(local))
    rest = model.rest_vertices(coeffs)[0]
    shift = float(body.vertices[:, 1].min()) - float(rest[:, 1].min())
    heads = model.bone_heads(coeffs)[0] + np.array([0.0, shift, 0.0])
    index = {label: i for i, label in enumerate(model.bone_labels)}
    joints = {name: heads[index[bone]].copy() for name, bone in JOINT_BONES.items()}
    groups = ["torso", *PART_BONES]
    weight = np.zeros((len(body.vertices), len(groups)))
    weight[:, 0] = 0.5  # a vertex is torso unless another part carries more than half of its weight
    for g, (prefixes, side) in enumerate(PART_BONES.values(), start=1):
        columns = [i for label, i in index.items() if _matches(label, prefixes, side)]
        weight[:, g] = model.bone_weights[:, columns].sum(axis=1)
    label = weight.argmax(axis=1)
    parts = {name: label == g for g, name in enumerate(groups)}
    lm = body.landmarks
    levels: dict[str, float] = {name: float(lm[name][1]) for name in ("crotch", "waist", "hips", "bust") if name in lm}
    return BodyGeometry(np.asarray(body.vertices, dtype=np.float64), np.asarray(body.faces), parts, joints, levels)
