"""Body measurements taken the way a tailor's tape takes them (numpy only; any triangle mesh).

Frame and units: vertices are in **metres**, **+Y up** (the studio frame: the body faces +Z, its left is +X and
its feet stand on ``y = 0``). The primitives (:func:`body_height`, :func:`girth`, :func:`horizontal_girths`,
:func:`polyline_length`) return metres; :func:`measure_body` returns **centimetres**, like the size charts.

A *girth* is the perimeter of the **convex hull of a plane section** of the mesh: a tape bridges the hollows
(between the breasts, the small of the back, the gap between touching thighs) and follows every bulge. Only the
mesh edges a region allows are cut (the torso girths ignore the arms), so a girth is taken on the body part the
tape goes around. A *height* is a vertical extent. A *length* is a taut tape over surface points (a polyline).

:func:`measure_body` needs to know where the landmarks of a body lie on its mesh: a :class:`BodyLandmarkSpec`
of vertex indices and edge sets, built once per mesh topology (``fw_kernel.geometry.body.model`` builds the one of the
anny body). It returns, besides the values, the landmarks and a :class:`MeasureStructure`: the frozen
selection (which edges each tape crosses, in hull order; which vertices are the extremes) with which the same
measurements are re-evaluated smoothly on deformed copies of the mesh. The fitter uses it for its Jacobian,
so the body is fitted with exactly the measurements reported here.

Definitions (ISO 8559-1 style; levels are horizontal planes unless said otherwise):

==============  ======================================================================================
height          vertical extent of the mesh: top of the head to the soles
bust            fullest girth over the bust: the greatest torso girth from the bust point level down to 8 cm
                below it (full breasts hang below the bust point landmark), never above the armpits
chest           greatest torso girth between the bust point level and 1 cm below the armpits (men: under the
                arms, over the shoulder blades)
underbust       girth directly under the breasts: 30 % of the way from the bust level down to the waist level
waist           girth at the natural waist: the level of a side-of-waist landmark vertex that lies at the
                narrowest torso girth of an average body (it follows the body: on a round belly the waist can
                exceed the hips)
hips            girth at the level of the greatest buttock prominence (the seat's most posterior level,
                between 2 cm above the crotch and 60 % of the way up to the waist; with the legs apart in the
                A-pose, the fuller-looking sections lower down also bridge the gap between the thighs)
inseam          inside leg: crotch point to the floor (vertical)
shoulder_width  across the back from acromion to acromion: a taut tape over the upper back in the plane
                through both acromion points and the back-neck point (cervicale, C7)
arm_length      acromion over the outside of the elbow to the outside of the wrist (taut tape, arm as posed)
neck            girth around the middle of the neck (below the larynx), in the plane through three neck
                landmark vertices (front, back, side) that lies perpendicular to the neck of an average body
upper_arm       girth of the left upper arm perpendicular to the arm, midway from acromion to elbow
thigh           horizontal girth of the left thigh 3 cm below the crotch (just below the gluteal fold)
==============  ======================================================================================
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..hull import (
    convex_hull_2d,
)
from ..sections import _basis, _horizontal_points, horizontal_girths, plane_section

MEASUREMENT_KEYS: tuple[str, ...] = (
    "height", "bust", "chest", "underbust", "waist", "hips", "inseam",
    "shoulder_width", "arm_length", "neck", "upper_arm", "thigh",
)
"""Every measurement :func:`measure_body` returns (centimetres)."""

"""Directions of the approximate hull used while searching a level (perimeter error < 0.02 cm)."""

THIGH_BELOW_CROTCH_M = 0.03
"""The thigh girth is taken this far (metres) below the crotch point."""

HIP_BAND = 0.6
"""The seat is searched from 2 cm above the crotch up to this fraction of the way to the waist."""

SEAT_PLATEAU_M = 0.01
"""The hip level is the centroid of the levels whose posterior extent is within this (metres) of the greatest."""

BUST_SAG_M = 0.08
"""The bust is searched from the bust point down this far (metres): full breasts hang below the bust point."""

UNDERBUST_FRACTION = 0.3
"""The underbust level lies this fraction of the way from the bust level down to the waist level."""

ARMPIT_MARGIN_M = 0.01
"""The chest search stops this far (metres) below the armpits, where the arms start to join the torso."""

_SEARCH_STEP_M = 0.01  # coarse level spacing of a girth search (metres)
_FINE_STEP_M = 0.002  # fine level spacing around the coarse extreme (metres)
_SEARCH_DIRECTIONS_FAST = 128  # hull directions while comparing levels (only the level is kept)


# -- mesh helpers ---------------------------------------------------------------------------------------------
def body_height(vertices: np.ndarray) -> float:
    """Vertical extent (metres) of a +Y-up mesh: highest minus lowest vertex.

    Parameters
    ----------
    vertices : (N, 3) float array, metres, +Y up.
    """
    y = np.asarray(vertices, dtype=np.float64)[:, 1]
    return float(y.max() - y.min())


def polyline_length(points: np.ndarray) -> float:
    """Length (metres, or the points' unit) of the open polyline through ``points`` ((K, 3) array)."""
    p = np.asarray(points, dtype=np.float64)
    return float(np.linalg.norm(np.diff(p, axis=0), axis=1).sum())


# -- body landmarks and the frozen measurement structure ------------------------------------------------------
@dataclass(frozen=True)
class BodyLandmarkSpec:
    """Where the landmarks of one body topology are: vertex indices and edge sets (built once per topology).

    Vertex landmarks are single mesh vertices (they move with the body's shape); *candidates* are vertex sets
    searched on each mesh (the lowest or most posterior one wins). Left is +X.

    Attributes
    ----------
    edges : (E, 2) int
        Every edge of the mesh (the shoulder-width plane may cut any, between the acromions).
    torso_edges : (E, 2) int
        Edges a torso girth may cut (no arm or hand vertex).
    neck_edges : (E, 2) int
        Edges of the neck region.
    left_upper_arm_edges : (E, 2) int
        Edges of the left upper arm.
    crotch_candidates : (k,) int
        Mid-line vertices of the crotch region; the lowest is the crotch point.
    bust_point : int
        Most prominent vertex of the left breast (bust point) of an average woman.
    waist : int
        Side-of-waist vertex at the natural waist.
    axilla : (int, int)
        Left, right armpit vertices (the chest search stays below them).
    acromion : (int, int)
        Left, right shoulder points (acromion).
    back_neck : int
        Back-neck point (cervicale, C7).
    neck_plane : (int, int, int)
        Front, back and left vertices of the neck girth plane.
    elbow : (int, int)
        Left, right outside elbow points.
    wrist : (int, int)
        Left, right outside wrist points.
    ankle : (int, int)
        Left, right outside ankle points (lateral malleolus).
    """

    edges: np.ndarray
    torso_edges: np.ndarray
    neck_edges: np.ndarray
    left_upper_arm_edges: np.ndarray
    crotch_candidates: np.ndarray
    bust_point: int
    waist: int
    axilla: tuple[int, int]
    acromion: tuple[int, int]
    back_neck: int
    neck_plane: tuple[int, int, int]
    elbow: tuple[int, int]
    wrist: tuple[int, int]
    ankle: tuple[int, int]


@dataclass(frozen=True)
class Plane:
    """How a measuring plane follows the mesh.

    kind ``"level"``: horizontal at ``y = (1 - mix) * y[v[0]] + mix * y[v[1]] + offset`` (``y = offset`` without
    vertices; ``v[1]`` only with ``mix``); ``"three"``: through vertices ``v[0], v[1], v[2]``; ``"axis"``: through
    ``p = x[v[0]] + offset * (x[v[1]] - x[v[0]])`` with normal ``x[v[1]] - x[v[0]]``.
    """

    kind: str
    v: tuple[int, ...] = ()
    offset: float = 0.0
    mix: float = 0.0

    def evaluate(self, verts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Origin and unit normal of the plane for a batch of meshes.

        Parameters
        ----------
        verts : (B, N, 3) float array, metres.

        Returns
        -------
        origin, normal : (B, 3) float arrays.
        """
        b = verts.shape[0]
        if self.kind == "level":
            origin = np.zeros((b, 3))
            origin[:, 1] = self.offset
            if self.v:
                origin[:, 1] += (1.0 - self.mix) * verts[:, self.v[0], 1]
            if len(self.v) > 1:
                origin[:, 1] += self.mix * verts[:, self.v[1], 1]
            return origin, np.broadcast_to(np.array([0.0, 1.0, 0.0]), (b, 3))
        if self.kind == "three":
            p0, p1, p2 = (verts[:, i] for i in self.v)
            n = np.cross(p1 - p0, p2 - p0)
            return p0, n / np.linalg.norm(n, axis=1, keepdims=True)
        if self.kind == "axis":
            p0, p1 = verts[:, self.v[0]], verts[:, self.v[1]]
            n = p1 - p0
            return p0 + self.offset * n, n / np.linalg.norm(n, axis=1, keepdims=True)
        raise ValueError(f"unknown plane kind {self.kind!r}")

    def remap(self, index: dict[int, int]) -> Plane:
        return Plane(self.kind, tuple(index[i] for i in self.v), self.offset, self.mix)


@dataclass(frozen=True)
class FrozenGirth:
    """One girth with its selection frozen: the hull points as mesh edges, in hull order.

    Attributes
    ----------
    plane : Plane
    edges : (H, 2) int
        Hull points: the point where the plane cuts edge ``(a, b)``; ``a == b`` stands for vertex ``a`` itself.
    open_segment : int or None
        Hull segment (from point ``i`` to ``i + 1``) the tape does not run along (an open tape such as the
        shoulder width); None for a closed girth.
    """

    plane: Plane
    edges: np.ndarray
    open_segment: int | None = None

    def evaluate(self, verts: np.ndarray) -> np.ndarray:
        """Girth (metres) of each mesh of a batch ((B, N, 3) -> (B,)), smooth in the vertex positions."""
        origin, normal = self.plane.evaluate(verts)
        a, b = self.edges[:, 0], self.edges[:, 1]
        pa, pb = verts[:, a], verts[:, b]
        da = np.einsum("bhk,bk->bh", pa - origin[:, None], normal)
        db = np.einsum("bhk,bk->bh", pb - origin[:, None], normal)
        same = a == b
        denom = np.where(same, 1.0, da - db)
        t = np.where(same, 0.0, da / np.where(denom == 0.0, 1.0, denom))
        p = pa + t[..., None] * (pb - pa)
        seg = np.linalg.norm(np.roll(p, -1, axis=1) - p, axis=-1)  # seg[i]: point i -> i + 1
        if self.open_segment is not None:
            seg[:, self.open_segment] = 0.0
        return seg.sum(axis=1)

    def remap(self, index: dict[int, int]) -> FrozenGirth:
        lookup = np.vectorize(index.__getitem__, otypes=[np.int64])
        return FrozenGirth(self.plane.remap(index), lookup(self.edges), self.open_segment)


@dataclass(frozen=True)
class MeasureStructure:
    """The frozen selection of every measurement of one body (see the module docstring).

    Attributes
    ----------
    girths : dict name -> FrozenGirth
    lengths : dict name -> vertex indices of a taut polyline (K,)
    verticals : dict name -> (top vertex, bottom vertex): vertical distance
    """

    girths: dict[str, FrozenGirth]
    lengths: dict[str, tuple[int, ...]]
    verticals: dict[str, tuple[int, int]]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(self.girths) + tuple(self.lengths) + tuple(self.verticals)

    def vertex_ids(self) -> np.ndarray:
        """Every vertex index the measurements read ((n,) int64, sorted)."""
        ids: list[np.ndarray] = [np.asarray(g.edges).ravel() for g in self.girths.values()]
        ids += [np.asarray(g.plane.v, dtype=np.int64) for g in self.girths.values()]
        ids += [np.asarray(v, dtype=np.int64) for v in self.lengths.values()]
        ids += [np.asarray(v, dtype=np.int64) for v in self.verticals.values()]
        return np.unique(np.concatenate(ids))

    def on_subset(self) -> tuple[np.ndarray, MeasureStructure]:
        """``(ids, structure)``: the vertices read and the same structure indexing ``vertices[ids]``."""
        ids = self.vertex_ids()
        index = {int(v): i for i, v in enumerate(ids)}
        return ids, MeasureStructure(
            {k: g.remap(index) for k, g in self.girths.items()},
            {k: tuple(index[i] for i in v) for k, v in self.lengths.items()},
            {k: (index[v[0]], index[v[1]]) for k, v in self.verticals.items()},
        )

    def evaluate(self, verts: np.ndarray) -> dict[str, Any]:
        """Every measurement (centimetres) of a batch of meshes with this topology.

        Parameters
        ----------
        verts : (B, N, 3) or (N, 3) float array, metres, +Y up.

        Returns
        -------
        dict name -> (B,) float64 array of centimetres (or floats for a single mesh).
        """
        v = np.asarray(verts, dtype=np.float64)
        single = v.ndim == 2
        if single:
            v = v[None]
        out: dict[str, np.ndarray] = {k: 100.0 * g.evaluate(v) for k, g in self.girths.items()}
        for k, ids in self.lengths.items():
            out[k] = 100.0 * np.linalg.norm(np.diff(v[:, list(ids)], axis=1), axis=-1).sum(axis=1)
        for k, (top, bottom) in self.verticals.items():
            out[k] = 100.0 * (v[:, top, 1] - v[:, bottom, 1])
        return {k: float(x[0]) for k, x in out.items()} if single else out


@dataclass(frozen=True)
class BodyMeasurement:
    """What :func:`measure_body` finds on one mesh.

    Attributes
    ----------
    values : dict name -> centimetres (every key of :data:`MEASUREMENT_KEYS`)
    landmarks : dict name -> (3,) float64 metres
    structure : MeasureStructure
        The frozen selection: ``structure.evaluate(vertices)`` gives ``values`` again.
    loops : dict name -> (H, 3) float64 metres
        The hull polygon of every girth (where the tape lies), for drawing.
    """

    values: dict[str, float]
    landmarks: dict[str, np.ndarray]
    structure: MeasureStructure
    loops: dict[str, np.ndarray] = field(default_factory=dict)


def _freeze(verts: np.ndarray, plane: Plane, edges: np.ndarray,
            keep_points: Callable[[np.ndarray], np.ndarray] | None = None,
            extra_vertices: Sequence[int] = ()) -> tuple[FrozenGirth, np.ndarray]:
    """Cut ``edges`` with ``plane``, take the exact hull, freeze it. Returns (girth, hull points (H, 3))."""
    origin, normal = plane.evaluate(verts[None])
    origin, normal = origin[0], normal[0]
    pts, cut = plane_section(verts, edges, origin, normal)
    pair = edges[cut]
    if extra_vertices:
        ev = np.asarray(extra_vertices, dtype=np.int64)
        # the plane may pass through these vertices: drop the section points that duplicate them
        dup = (np.linalg.norm(pts[:, None] - verts[ev][None], axis=-1) < 1e-7).any(axis=1)
        pts, pair = pts[~dup], pair[~dup]
        pts = np.concatenate([pts, verts[ev]])
        pair = np.concatenate([pair, np.stack([ev, ev], axis=1)])
    if keep_points is not None:
        ok = keep_points(pts)
        pts, pair = pts[ok], pair[ok]
    if len(pts) < 3:
        raise ValueError(f"the measuring plane {plane} cuts fewer than 3 edges of the mesh")
    u, w = _basis(normal)
    hull = convex_hull_2d(np.stack([pts @ u, pts @ w], axis=1))
    return FrozenGirth(plane, pair[hull]), pts[hull]


def _search_level(verts: np.ndarray, edges: np.ndarray, lo: float, hi: float, mode: str) -> float:
    """Level (metres) of the largest (``mode="max"``) or smallest torso girth between ``lo`` and ``hi``.

    A 1 cm grid over the band, then a 2 mm grid over +-1 cm around the best level, both inside the band.
    """
    if hi <= lo:
        return 0.5 * (lo + hi)
    pick = np.argmax if mode == "max" else np.argmin
    coarse = np.linspace(lo, hi, max(int(np.ceil((hi - lo) / _SEARCH_STEP_M)) + 1, 2))
    g = horizontal_girths(verts, edges, coarse, directions=_SEARCH_DIRECTIONS_FAST)
    g = np.where(g > 0, g, -np.inf if mode == "max" else np.inf)
    best = coarse[pick(g)]
    fine = np.arange(max(lo, best - _SEARCH_STEP_M), min(hi, best + _SEARCH_STEP_M) + 1e-12, _FINE_STEP_M)
    gf = horizontal_girths(verts, edges, fine, directions=_SEARCH_DIRECTIONS_FAST)
    gf = np.where(gf > 0, gf, -np.inf if mode == "max" else np.inf)
    return float(fine[pick(gf)])


def _seat_level(verts: np.ndarray, edges: np.ndarray, lo: float, hi: float) -> float:
    """Level (metres) of the greatest buttock prominence between ``lo`` and ``hi``.

    The posterior extent of each horizontal section (4 mm steps; the body faces +Z) is a broad hump over the
    seat: its level is the centroid of the top :data:`SEAT_PLATEAU_M` of the hump, which moves smoothly with the
    body (an arg-max would jump along a flat hump).
    """
    levels = np.arange(lo, max(hi, lo + 1e-6), 0.004)
    pts, valid, _ = _horizontal_points(verts, edges, levels)
    back = np.where(valid, -pts[..., 2], -np.inf).max(axis=1)
    w = np.clip(back - (back.max() - SEAT_PLATEAU_M), 0.0, None)
    return float((levels * w).sum() / w.sum()) if w.sum() > 0 else float(levels[np.argmax(back)])


def measure_body(vertices: np.ndarray, spec: BodyLandmarkSpec) -> BodyMeasurement:
    """Measure a body mesh the way a tailor would (see the module docstring for each definition).

    Parameters
    ----------
    vertices : (N, 3) float array
        Metres, +Y up, facing +Z, left = +X, in a standing A- or T-pose (the floor is the lowest vertex).
    spec : BodyLandmarkSpec
        The landmarks of the mesh's topology.

    Returns
    -------
    BodyMeasurement
        ``values`` in centimetres for every key of :data:`MEASUREMENT_KEYS`, ``landmarks`` in metres.
    """
    v = np.asarray(vertices, dtype=np.float64)
    y = v[:, 1]
    top, bottom = int(np.argmax(y)), int(np.argmin(y))
    crotch = int(spec.crotch_candidates[np.argmin(y[spec.crotch_candidates])])
    torso = spec.torso_edges
    girths: dict[str, FrozenGirth] = {}
    loops: dict[str, np.ndarray] = {}

    def add(name: str, plane: Plane, edges: np.ndarray, **kw: Any) -> None:
        girths[name], loops[name] = _freeze(v, plane, edges, **kw)

    y_bp, y_waist, y_crotch = y[spec.bust_point], y[spec.waist], y[crotch]
    axilla = spec.axilla[int(np.argmin(y[list(spec.axilla)]))]
    y_axilla = y[axilla] - ARMPIT_MARGIN_M
    top_bust = min(y_bp, y_axilla)
    bust = _search_level(v, torso, top_bust - BUST_SAG_M, top_bust, "max")
    add("bust", Plane("level", (spec.bust_point,), bust - y_bp), torso)
    under = Plane("level", (spec.bust_point, spec.waist), (1.0 - UNDERBUST_FRACTION) * (bust - y_bp),
                  UNDERBUST_FRACTION)
    add("underbust", under, torso)
    chest = _search_level(v, torso, min(y_bp, y_axilla), y_axilla, "max")
    add("chest", Plane("level", (axilla,), chest - y[axilla]), torso)
    add("waist", Plane("level", (spec.waist,)), torso)
    hips = _seat_level(v, torso, y_crotch + 0.02, y_crotch + HIP_BAND * (y_waist - y_crotch))
    add("hips", Plane("level", (crotch,), hips - y_crotch), torso)
    x_mid = float(v[crotch, 0])
    add("thigh", Plane("level", (crotch,), -THIGH_BELOW_CROTCH_M), torso, keep_points=lambda p: p[:, 0] >= x_mid)
    add("neck", Plane("three", spec.neck_plane), spec.neck_edges)
    acr_l, acr_r = spec.acromion
    elb_l = spec.elbow[0]
    add("upper_arm", Plane("axis", (acr_l, elb_l), 0.5), spec.left_upper_arm_edges)

    # shoulder width: plane through both acromions and C7, posterior part only, between the acromions
    shoulder_plane = Plane("three", (acr_l, acr_r, spec.back_neck))
    a_l, a_r, c7 = v[acr_l], v[acr_r], v[spec.back_neck]
    across = a_l - a_r
    span = float(across @ across)
    foot = a_r + ((c7 - a_r) @ across) / span * across
    back_dir = c7 - foot  # in the plane, from the acromion line towards C7

    def behind_and_between(p: np.ndarray) -> np.ndarray:
        s = (p - a_r) @ across / span
        return ((p - foot) @ back_dir >= -1e-9) & (s >= -1e-9) & (s <= 1 + 1e-9)

    sg, sl = _freeze(v, shoulder_plane, spec.edges, keep_points=behind_and_between,
                     extra_vertices=(acr_l, acr_r))
    # the tape runs from one acromion over the back to the other: leave out the hull segment between them
    order = sg.edges[:, 0].tolist()
    same = sg.edges[:, 0] == sg.edges[:, 1]
    i_l = next(i for i, (e, s) in enumerate(zip(order, same)) if s and e == acr_l)
    i_r = next(i for i, (e, s) in enumerate(zip(order, same)) if s and e == acr_r)
    h = len(order)
    open_seg = i_l if (i_l + 1) % h == i_r else i_r if (i_r + 1) % h == i_l else None
    if open_seg is None:
        raise ValueError("the acromion points are not neighbours on the shoulder-width hull")
    girths["shoulder_width"] = FrozenGirth(shoulder_plane, sg.edges, open_seg)
    loops["shoulder_width"] = np.roll(sl, -(open_seg + 1), axis=0)

    structure = MeasureStructure(
        girths,
        {"arm_length": (acr_l, elb_l, spec.wrist[0])},
        {"height": (top, bottom), "inseam": (crotch, bottom)},
    )
    values = structure.evaluate(v)
    values = {k: values[k] for k in MEASUREMENT_KEYS}

    def centre(loop: np.ndarray) -> np.ndarray:
        return loop.mean(axis=0)

    landmarks = {
        "head_top": v[top].copy(),
        "neck": centre(loops["neck"]),
        "back_neck": v[spec.back_neck].copy(),
        "left_shoulder": v[acr_l].copy(),
        "right_shoulder": v[acr_r].copy(),
        "chest": centre(loops["chest"]),
        "bust": centre(loops["bust"]),
        "underbust": centre(loops["underbust"]),
        "waist": centre(loops["waist"]),
        "hips": centre(loops["hips"]),
        "crotch": v[crotch].copy(),
        "left_elbow": v[spec.elbow[0]].copy(),
        "right_elbow": v[spec.elbow[1]].copy(),
        "left_wrist": v[spec.wrist[0]].copy(),
        "right_wrist": v[spec.wrist[1]].copy(),
        "left_ankle": v[spec.ankle[0]].copy(),
        "right_ankle": v[spec.ankle[1]].copy(),
    }
    return BodyMeasurement(values, landmarks, structure, loops)
