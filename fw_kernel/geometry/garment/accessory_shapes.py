"""Accessories shaped like what they are: shoes that enclose the foot (sole, heel counter, sides, toe box, an
opening for the ankle) and a tote carried on the shoulder by its straps, hanging clear of the body.

Units: metres, studio frame (+Y up, facing +Z, feet on y = 0).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import trimesh

from .garments import BodyGeometry, Garment
from .tubes import frame_from_polyline, radial_envelope, tube_coordinates, tube_mesh

UPPER_GAP = 0.004   # m between the foot and the shoe's upper
SOLE_MM = 22.0


def _foot_points(body: BodyGeometry, side: str) -> np.ndarray:
    j = body.joints
    sign = 1.0 if side == "l" else -1.0   # the body's left is +X
    v = body.vertices[body.parts[f"leg_{side}"]]
    return v[(v[:, 1] < float(j[f"ankle_{side}"][1]) + 0.03) & (v[:, 0] * sign > 0)]


def shoe(body: BodyGeometry, side: str, params: dict[str, Any]) -> trimesh.Trimesh:
    """One shoe: an upper around the foot (closed at the heel and the toe, open where the ankle leaves it) on a
    sole that follows the foot's outline."""
    from shapely.geometry import MultiPoint

    foot = _foot_points(body, side)
    ankle_y = float(body.joints[f"ankle_{side}"][1])
    heel, toe = foot[np.argmin(foot[:, 2])], foot[np.argmax(foot[:, 2])]
    h = max(0.03, float(np.percentile(foot[:, 1], 50)))
    axis = np.array([[heel[0], h, heel[2] - 0.012], [toe[0], h * 0.8, toe[2] + 0.015]])
    frame = frame_from_polyline(axis, np.array([0.0, 1.0, 0.0]))
    coords = tube_coordinates(frame, foot)
    s_grid = np.linspace(0.0, frame.length, max(8, int(frame.length / 0.01)))
    n_phi = 24
    env = radial_envelope(coords, s_grid, n_phi, floor=0.012, dilate=3) + UPPER_GAP
    # close the ends: the radius falls to a rounded heel and toe over the last 2 cm
    ramp = np.clip(np.minimum(s_grid, frame.length - s_grid) / 0.02, 0.15, 1.0) ** 0.5
    env = env * ramp[:, None]
    verts, faces, _ = tube_mesh(frame, env, s_grid, np.zeros(n_phi), np.full(n_phi, frame.length), len(s_grid))
    verts = verts.astype(np.float64)
    verts[:, 1] = np.maximum(verts[:, 1], SOLE_MM / 1000 * 0.6)  # the upper stands on the sole
    centre = verts[faces].mean(1)
    keep = centre[:, 1] < ankle_y - 0.005   # the collar: open where the leg goes in
    upper = trimesh.Trimesh(verts, faces[keep], process=False)
    caps = []
    for k in (0, len(s_grid) - 1):  # fans closing the heel and the toe
        ring = verts[k * (n_phi + 1):(k + 1) * (n_phi + 1)]
        tip = ring.mean(0)
        n = len(ring)
        caps.append(trimesh.Trimesh(np.vstack([ring, tip]), [[i, (i + 1) % n, n] for i in range(n)], process=False))
    outline = MultiPoint(foot[:, [0, 2]]).convex_hull.buffer(0.008)
    sole = trimesh.creation.extrude_polygon(outline, SOLE_MM / 1000.0)
    sole.apply_transform(trimesh.transformations.rotation_matrix(-np.pi / 2, [1, 0, 0]))  # extrude along +Y
    sole.apply_translation([0.0, -0.004, 0.0])
    del params
    return trimesh.util.concatenate([upper, *caps, sole])


def shoes(body: BodyGeometry, params: dict[str, Any]) -> trimesh.Trimesh:
    return trimesh.util.concatenate([shoe(body, side, params) for side in ("l", "r") if len(_foot_points(body, side))
                                     >= 8])


def _strap(points: np.ndarray, radius: float = 0.007) -> trimesh.Trimesh:
    parts = []
    for a, b in itertools.pairwise(points):
        if np.linalg.norm(b - a) > 1e-6:
            parts.append(trimesh.creation.cylinder(radius=radius, segment=np.array([a, b]), sections=10))
            parts.append(trimesh.creation.icosphere(subdivisions=1, radius=radius).apply_translation(b))
    return trimesh.util.concatenate(parts)


def shoulder_bag(body: BodyGeometry, params: dict[str, Any], over: Sequence[Garment] = ()) -> trimesh.Trimesh:
    """A tote on the right shoulder: two straps over the shoulder, the bag hanging by the hip clear of the body
    and of the garments it is worn over."""
    j = body.joints
    w = float(params.get("width", 38)) / 100.0
    h = float(params.get("height", 42)) / 100.0
    drop = float(params.get("strap_drop", 25)) / 100.0
    depth = 0.09
    shoulder = j["shoulder_r"]
    top_y = float(shoulder[1]) + 0.05
    bag_top = top_y - drop - 0.12
    pts = [body.vertices]
    pts += [p.vertices.astype(np.float64) for g in over for p in g.pieces if len(p.vertices)]
    allp = np.concatenate(pts)
    band = allp[(allp[:, 1] > bag_top - h) & (allp[:, 1] < bag_top + 0.02) & (allp[:, 0] < 0)]
    side_x = float(band[:, 0].min()) if len(band) else float(shoulder[0]) - 0.15
    x = side_x - depth / 2 - 0.02            # beside the hip, outside the garments
    z = float(shoulder[2])
    body_mesh = trimesh.creation.box([depth, h, w])
    body_mesh.apply_translation([x, bag_top - h / 2, z])
    # straps: from the front and back of the bag's top over the top of the shoulder
    over_pt = np.array([float(shoulder[0]) + 0.01, top_y + 0.01, z])
    over_top = allp[(np.abs(allp[:, 0] - over_pt[0]) < 0.03) & (np.abs(allp[:, 2] - z) < 0.05)]
    if len(over_top):
        over_pt[1] = max(over_pt[1], float(over_top[:, 1].max()) + 0.012)
    straps = []
    for dz in (-w * 0.3, w * 0.3):
        start = np.array([x, bag_top, z + dz])
        mid = np.array([x * 0.6 + over_pt[0] * 0.4, (bag_top + over_pt[1]) / 2 + 0.05, z + dz * 0.6])
        straps.append(_strap(np.array([start, mid, over_pt + np.array([0, 0, dz * 0.3])])))
    return trimesh.util.concatenate([body_mesh, *straps])
