"""Garments generated on a body from a silhouette's parameters.

Each garment is made of pieces (the body of a top or dress, sleeves, trouser legs). A piece is a radial surface
around an axis (see :mod:`tubes`): its radius at every (s, phi) is the smallest smooth radius containing the
body's surface there, plus clearance, ease, flare and drape. Because containment is built in, no body vertex of
the covered region pokes out, and a garment generated over others (a coat over a shirt) contains them too.

Units: metres for geometry, centimetres for ease (as the catalog gives it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .tubes import TWO_PI, TubeFrame, frame_from_polyline, radial_envelope, sample_radius, tube_coordinates, tube_mesh

CLEARANCE = 0.003            # m between skin (or the garment beneath) and the garment
LAYER_GAP = 0.004            # m between stacked garments
ROW_STEP = 0.015             # m between rings of a piece
MAX_TRIANGLES = 20_000
FIT_FACTOR = {"slim": 0.5, "regular": 1.0, "loose": 1.6}
FRONT = np.array([0.0, 0.0, 1.0])


@dataclass(frozen=True)
class BodyGeometry:
    """What garments need from a body (all in metres, +Y up, facing +Z, feet on y = 0).

    Attributes
    ----------
    vertices : (N, 3) float array
    faces : (M, 3) int array
    parts : dict of (N,) bool arrays
        ``torso``, ``head``, ``arm_l``, ``arm_r``, ``leg_l``, ``leg_r`` (``_l`` = the body's left, +X).
    joints : dict of (3,) arrays
        ``neck_base``, ``shoulder_l/r``, ``elbow_l/r``, ``wrist_l/r``, ``hip_l/r``, ``knee_l/r``, ``ankle_l/r``.
    levels : dict of float
        Heights (y, metres) of ``crotch``, ``waist``, ``hips``, ``bust``.
    """

    vertices: np.ndarray
    faces: np.ndarray
    parts: dict[str, np.ndarray]
    joints: dict[str, np.ndarray]
    levels: dict[str, float]

    def surface_points(self, part_names: Sequence[str], per_face: int = 4) -> np.ndarray:
        """Points on the triangles of the named parts (vertices plus interior samples), (P, 3) metres.

        Computed once per body and set of parts (the array is read-only: copy before changing it)."""
        return self.derived(("surface_points", tuple(part_names), per_face),
                            lambda: _readonly(self._surface_points(part_names, per_face)))

    def unique_surface_points(self, part_names: Sequence[str], per_face: int = 4) -> tuple[np.ndarray, np.ndarray]:
        """The distinct points of :meth:`surface_points` (corners and edge midpoints are shared by neighbouring
        triangles) and how many times each occurs there: ``(U, 3)`` metres, ``(U,)`` int counts."""
        def make() -> tuple[np.ndarray, np.ndarray]:
            pts = self.surface_points(part_names, per_face)
            u, counts = np.unique(pts, axis=0, return_counts=True)
            return _readonly(u), _readonly(counts)
        return self.derived(("unique_surface_points", tuple(part_names), per_face), make)

    def derived(self, key: Any, make: Callable[[], Any]) -> Any:
        """A value computed from this body once and kept with it (the body is immutable)."""
        cache = self.__dict__.setdefault("_derived", {})
        if key not in cache:
            cache[key] = make()
        return cache[key]

    def _surface_points(self, part_names: Sequence[str], per_face: int) -> np.ndarray:
        mask = np.zeros(len(self.vertices), dtype=bool)
        for name in part_names:
            mask |= self.parts[name]
        faces = self.faces[mask[self.faces].all(1)]
        tri = self.vertices[faces]
        weights = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1 / 3, 1 / 3, 1 / 3],
                            [0.5, 0.5, 0], [0, 0.5, 0.5], [0.5, 0, 0.5]])[: 3 + per_face]
        return np.einsum("wk,fkd->fwd", weights, tri).reshape(-1, 3)


def _readonly(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


@dataclass(frozen=True)
class GarmentSpec:
    """A silhouette resolved to numbers: ``kind`` is top, dress, skirt or trousers."""

    kind: str
    length: float                 # m: from the neck base (tops, dresses) or the waist (skirts, trousers)
    sleeve_length: float = 0.0    # m from the shoulder joint; 0 = sleeveless
    ease_cm: float = 6.0
    fit: str = "regular"
    flare: float = 0.0            # 0..1
    neckline: str = "crew"


@dataclass
class Piece:
    """One radial surface of a garment and the data needed to test containment against it."""

    name: str
    region: str                  # torso, arm_l, arm_r, leg_l, leg_r
    frame: TubeFrame
    s_grid: np.ndarray
    envelope: np.ndarray         # (S, n_phi) radius, m
    s_low: np.ndarray            # (n_phi,) lower bound of the piece along the axis, m
    s_high: np.ndarray           # (n_phi,) upper bound
    vertices: np.ndarray = field(repr=False, default_factory=lambda: np.empty((0, 3), np.float32))
    faces: np.ndarray = field(repr=False, default_factory=lambda: np.empty((0, 3), np.int32))
    uv: np.ndarray = field(repr=False, default_factory=lambda: np.empty((0, 2), np.float32))

    def contains(self, points: np.ndarray, tolerance: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """For points (N, 3): whether each lies in the piece's span, and by how much it pokes out (m, <= 0 if
        inside)."""
        coords = tube_coordinates(self.frame, points)
        n_phi = self.envelope.shape[1]
        col = np.rint(coords[:, 1] / TWO_PI * n_phi).astype(int) % n_phi
        in_span = (coords[:, 0] >= self.s_low[col]) & (coords[:, 0] <= self.s_high[col])
        radius = sample_radius(self.envelope, self.s_grid, coords[:, 0], coords[:, 1])
        return in_span, coords[:, 2] - radius - tolerance


@dataclass
class Garment:
    item_id: str
    spec: GarmentSpec
    pieces: list[Piece]

    @property
    def vertices(self) -> np.ndarray:
        return np.concatenate([p.vertices for p in self.pieces])

    @property
    def faces(self) -> np.ndarray:
        offsets = np.cumsum([0] + [len(p.vertices) for p in self.pieces[:-1]])
        return np.concatenate([p.faces + o for p, o in zip(self.pieces, offsets)])

    @property
    def uv(self) -> np.ndarray:
        return np.concatenate([p.uv for p in self.pieces])


# -- specs from catalog items ----------------------------------------------------------------------------------
def garment_kind(item_id: str, categories: Sequence[str], tags: Sequence[str]) -> str:
    """top, dress, skirt or trousers, from the silhouette's categories and tags."""
    if "dress" in categories:
        return "dress"
    if "bottom" in categories and "outerwear" not in categories:
        return "skirt" if ("skirt" in tags or "skirt" in item_id) else "trousers"
    return "top"


def spec_from(item_id: str, categories: Sequence[str], tags: Sequence[str], values: dict[str, Any]) -> GarmentSpec:
    """A :class:`GarmentSpec` from a silhouette's resolved parameters (defaults overlaid with customization)."""
    kind = garment_kind(item_id, categories, tags)
    neckline = str(values.get("neckline", "crew"))
    neckline = {"round": "crew", "v_neck": "v", "square": "scoop", "collar": "crew", "hood": "crew"}.get(
        neckline, neckline)
    return GarmentSpec(kind=kind, length=float(values.get("length", 0.6)),
                       sleeve_length=float(values.get("sleeve_length", 0.0)), ease_cm=float(values.get("ease", 6.0)),
                       fit=str(values.get("fit", "regular")), flare=float(values.get("flare", 0.0)),
                       neckline=neckline)


# -- building ------------------------------------------------------------------------------------------------------
def make_garment(body: BodyGeometry, item_id: str, spec: GarmentSpec, under: Sequence[Garment] = ()) -> Garment:
    """Generate a garment on ``body`` over the garments in ``under`` (bottom first)."""
    ease_r = FIT_FACTOR.get(spec.fit, 1.0) * spec.ease_cm / 100.0 / TWO_PI
    pieces: list[Piece] = []
    arms = ("arm_l", "arm_r")
    sleeve_frames = {side: _limb_frame(body, side) for side in arms}
    if spec.kind in ("top", "dress") and spec.sleeve_length > 0.02:
        for side in arms:
            pieces.append(_sleeve(body, side, sleeve_frames[side], spec, ease_r * 0.5, under))
    if spec.kind == "trousers":
        for side in ("leg_l", "leg_r"):
            pieces.append(_trouser_leg(body, side, spec, ease_r * 0.6, under))
    pieces.insert(0, _torso(body, spec, ease_r, under, sleeve_frames))
    _fit_budget(pieces)
    for piece in pieces:
        n_rows = max(2, int(np.ceil((piece.s_high.max() - piece.s_low.min()) / ROW_STEP)) + 1)
        piece.vertices, piece.faces, piece.uv = tube_mesh(piece.frame, piece.envelope, piece.s_grid, piece.s_low,
                                                          piece.s_high, getattr(piece, "_rows", n_rows))
        _face_outwards(piece)
    return Garment(item_id, spec, pieces)


def _limb_frame(body: BodyGeometry, side: str) -> TubeFrame:
    """The axis of an arm (shoulder, elbow, wrist) or a leg (hip, knee, ankle), once per body."""
    return body.derived(("limb_frame", side), lambda: _make_limb_frame(body, side))


def _make_limb_frame(body: BodyGeometry, side: str) -> TubeFrame:
    suffix = side[-1]
    if side.startswith("arm"):
        axis = [body.joints[f"shoulder_{suffix}"], body.joints[f"elbow_{suffix}"], body.joints[f"wrist_{suffix}"]]
        return frame_from_polyline(np.array(axis), FRONT, extend_start=0.06, extend_end=0.05)
    axis = [body.joints[f"hip_{suffix}"], body.joints[f"knee_{suffix}"], body.joints[f"ankle_{suffix}"]]
    return frame_from_polyline(np.array(axis), FRONT, extend_start=0.06, extend_end=0.03)


def _under_points(under: Sequence[Garment], regions: Sequence[str]) -> np.ndarray:
    pts = [p.vertices for g in under for p in g.pieces if p.region in regions and len(p.vertices)]
    return np.concatenate(pts).astype(np.float64) if pts else np.empty((0, 3))


def _with_gap(coords: np.ndarray, gap: float) -> np.ndarray:
    out = coords.copy()
    out[:, 2] += gap
    return out


def _s_at_height(frame: TubeFrame, y: float) -> float:
    """Arc length where a (monotonic in y) axis reaches height ``y``."""
    ys = frame.points[:, 1]
    if ys[0] > ys[-1]:
        return float(np.interp(-y, -ys, frame.s))
    return float(np.interp(y, ys, frame.s))


def _torso(body: BodyGeometry, spec: GarmentSpec, ease_r: float, under: Sequence[Garment],
           sleeve_frames: dict[str, TubeFrame]) -> Piece:
    lv = body.levels
    neck_y = float(body.joints["neck_base"][1])
    if spec.kind in ("top", "dress"):
        top_y, bottom_y = neck_y, max(neck_y - spec.length, 0.03)
    else:
        top_y = lv["waist"] + 0.01
        # trousers: the body piece stops at the hip joints; each leg wraps its own half of the seat below
        bottom_y = max(lv["waist"] - spec.length, 0.03) if spec.kind == "skirt" else _hip_y(body)
    spans_legs = spec.kind in ("dress", "skirt") or (spec.kind == "top" and bottom_y < lv["crotch"])
    # Distinct body points with their multiplicities (what the 10th percentile floor below counts): the thighs
    # reach above the crotch (always obstacles) and the roots of the arms belong to the body of the garment
    # (shoulder caps).
    parts = [body.unique_surface_points(["torso", "leg_l", "leg_r"])]
    parts += [_arm_root(body, side, frame) for side, frame in sleeve_frames.items()]
    pts = np.concatenate([p for p, _ in parts])
    counts = np.concatenate([c for _, c in parts])
    keep = (pts[:, 1] >= bottom_y - 0.03) & (pts[:, 1] <= top_y + 0.03)
    pts, counts = pts[keep], counts[keep]
    axis = _torso_axis(pts, bottom_y - 0.04, top_y + 0.04)
    frame = frame_from_polyline(axis, FRONT)
    coords = tube_coordinates(frame, pts)
    regions = ["torso"] + (["leg_l", "leg_r", "arm_l", "arm_r"] if spans_legs else ["arm_l", "arm_r"])
    below = _under_points(under, [r for r in regions if not r.startswith("arm")])
    for side, sleeve_frame in sleeve_frames.items():  # of the sleeves beneath, only their roots
        sleeves = _under_points(under, [side])
        if len(sleeves):
            below = np.vstack([below, sleeves[tube_coordinates(sleeve_frame, sleeves)[:, 0] < 0.09]])
    if len(below):
        c = tube_coordinates(frame, below)
        coords = np.vstack([coords, _with_gap(c, LAYER_GAP)])
        counts = np.concatenate([counts, np.ones(len(c), counts.dtype)])
    s_grid = np.arange(0.0, frame.length + 1e-9, 0.01)
    n_phi = 72
    floor = float(np.percentile(np.repeat(coords[:, 2], counts), 10)) if len(coords) else 0.1
    env = radial_envelope(coords, s_grid, n_phi, floor=floor) + CLEARANCE + ease_r
    s_top = _s_at_height(frame, top_y)
    s_bottom = _s_at_height(frame, bottom_y)
    if spec.kind in ("dress", "skirt") or (spec.kind == "top" and spec.flare > 0):
        start = _s_at_height(frame, lv["hips"] if spec.kind != "top" else lv["waist"])
        env = _hang(env, s_grid, start, spec.flare, downward_is_lower_s=True)
    phi = np.arange(n_phi) / n_phi * TWO_PI
    s_high = np.full(n_phi, s_top)
    if spec.kind in ("top", "dress"):
        s_high = s_top - _neckline_depth(spec.neckline, phi)
    s_low = np.full(n_phi, s_bottom)
    return Piece("body", "torso", frame, s_grid, env, s_low, s_high)


def _arm_root(body: BodyGeometry, side: str, frame: TubeFrame) -> tuple[np.ndarray, np.ndarray]:
    """The arm's distinct surface points within 9 cm of the sleeve axis' start, and their counts (once per body)."""
    def make() -> tuple[np.ndarray, np.ndarray]:
        pts, counts = body.unique_surface_points([side])
        near = tube_coordinates(frame, pts)[:, 0] < 0.09
        return pts[near], counts[near]
    return body.derived(("arm_root", side), make)


def _limb_coordinates(body: BodyGeometry, side: str) -> tuple[np.ndarray, np.ndarray]:
    """A limb's surface points (an arm; a leg with its half of the seat, without the foot) and their (s, phi, r)
    around the limb's axis, once per body."""
    def make() -> tuple[np.ndarray, np.ndarray]:
        frame = _limb_frame(body, side)
        pts = body.surface_points([side])
        if side.startswith("leg"):
            hip_y, ankle_y = _hip_y(body), float(body.joints[f"ankle_{side[-1]}"][1])
            sign = 1.0 if side.endswith("l") else -1.0  # the body's left is +X
            seat = body.surface_points(["torso"])
            seat = seat[(seat[:, 1] < hip_y + 0.04) & (seat[:, 0] * sign > -0.01)]  # this leg's half of the seat
            pts = np.vstack([pts[(pts[:, 1] <= hip_y + 0.04) & (pts[:, 1] >= ankle_y + 0.01)], seat])  # not the foot
        return _readonly(pts), _readonly(tube_coordinates(frame, pts))
    return body.derived(("limb_coordinates", side), make)


def _torso_axis(points: np.ndarray, y0: float, y1: float) -> np.ndarray:
    """A vertical axis through the middle of the points' depth (x = 0), sampled every 5 cm."""
    ys = np.arange(y0, y1 + 0.05, 0.05)
    zs = []
    for y in ys:
        slab = points[np.abs(points[:, 1] - y) < 0.05]
        zs.append((slab[:, 2].min() + slab[:, 2].max()) / 2 if len(slab) else np.nan)
    zs = np.array(zs)
    if np.isnan(zs).all():
        zs[:] = 0.0
    zs = np.interp(np.arange(len(zs)), np.flatnonzero(~np.isnan(zs)), zs[~np.isnan(zs)])
    zs = np.convolve(np.pad(zs, 2, mode="edge"), np.ones(5) / 5, mode="valid")
    return np.stack([np.zeros_like(ys), ys, zs], axis=1)


def _neckline_depth(neckline: str, phi: np.ndarray) -> np.ndarray:
    """How far below the neck base the opening reaches at each angle (phi = 0 front), metres."""
    front = np.cos(phi).clip(0, None)          # 1 at the front, 0 at the sides and back
    around = 0.015 + 0.0 * phi
    if neckline == "v":
        return around + 0.16 * front ** 12
    if neckline == "scoop":
        return around + 0.10 * front ** 3
    if neckline == "boat":
        return around + 0.01 * front
    return around + 0.045 * front ** 4       # crew


def _hang(env: np.ndarray, s_grid: np.ndarray, s_start: float, flare: float, downward_is_lower_s: bool,
          max_angle_deg: float = 40.0) -> np.ndarray:
    """Below ``s_start`` fabric hangs: the radius never shrinks going down and widens with ``flare`` (0..1 maps
    to 0..``max_angle_deg`` from the vertical)."""
    out = env.copy()
    k0 = int(np.clip(np.rint((s_start - s_grid[0]) / (s_grid[1] - s_grid[0])), 0, len(s_grid) - 1))
    slope = np.tan(np.radians(max_angle_deg * float(np.clip(flare, 0, 1))))
    rows = range(k0 - 1, -1, -1) if downward_is_lower_s else range(k0 + 1, len(s_grid))
    previous = out[k0]
    for k in rows:
        out[k] = np.maximum(out[k], previous + slope * (s_grid[1] - s_grid[0]))
        previous = out[k]
    return out


def _sleeve(body: BodyGeometry, side: str, frame: TubeFrame, spec: GarmentSpec, ease_r: float,
            under: Sequence[Garment]) -> Piece:
    if frame is _limb_frame(body, side):  # the body's own arm axis: its coordinates are computed once
        coords = _limb_coordinates(body, side)[1]
    else:
        coords = tube_coordinates(frame, body.surface_points([side]))
    below = _under_points(under, [side])
    if len(below):
        coords = np.vstack([coords, _with_gap(tube_coordinates(frame, below), LAYER_GAP)])
    s_end = min(0.06 + spec.sleeve_length, frame.length)
    coords = coords[coords[:, 0] <= s_end + 0.03]
    s_grid = np.arange(0.0, frame.length + 1e-9, 0.01)
    n_phi = 32
    floor = float(np.percentile(coords[:, 2], 50)) if len(coords) else 0.05
    env = radial_envelope(coords, s_grid, n_phi, floor=floor) + CLEARANCE + ease_r
    return Piece(f"sleeve_{side[-1]}", side, frame, s_grid, env, np.zeros(n_phi), np.full(n_phi, s_end))


def _trouser_leg(body: BodyGeometry, side: str, spec: GarmentSpec, ease_r: float, under: Sequence[Garment]) -> Piece:
    frame = _limb_frame(body, side)
    ankle_y = float(body.joints[f"ankle_{side[-1]}"][1])
    hip_y = _hip_y(body)
    sign = 1.0 if side.endswith("l") else -1.0  # the body's left is +X
    _, coords = _limb_coordinates(body, side)
    below = _under_points(under, [side])
    tucked = _under_points(under, ["torso"])  # a top's hem below the hips goes inside the trousers
    tucked = tucked[(tucked[:, 1] < hip_y + 0.04) & (tucked[:, 0] * sign > -0.01)]
    below = np.vstack([below, tucked])
    if len(below):
        coords = np.vstack([coords, _with_gap(tube_coordinates(frame, below), LAYER_GAP)])
    hem_y = max(body.levels["waist"] - spec.length, ankle_y + 0.03)
    s_start = max(_s_at_height(frame, hip_y + 0.02), 0.0)
    s_end = _s_at_height(frame, hem_y)
    coords = coords[(coords[:, 0] >= s_start - 0.03) & (coords[:, 0] <= s_end + 0.03)]
    s_grid = np.arange(0.0, frame.length + 1e-9, 0.01)
    n_phi = 40
    floor = float(np.percentile(coords[:, 2], 50)) if len(coords) else 0.06
    env = radial_envelope(coords, s_grid, n_phi, floor=floor) + CLEARANCE + ease_r
    knee_s = _s_at_height(frame, float(body.joints[f"knee_{side[-1]}"][1]))
    env = _hang(env, s_grid, knee_s, spec.flare, downward_is_lower_s=False, max_angle_deg=15.0)
    return Piece(f"leg_{side[-1]}", side, frame, s_grid, env, np.full(n_phi, s_start), np.full(n_phi, s_end))


def _hip_y(body: BodyGeometry) -> float:
    return float((body.joints["hip_l"][1] + body.joints["hip_r"][1]) / 2)


def _fit_budget(pieces: list[Piece]) -> None:
    """Choose ring counts so the whole garment stays within MAX_TRIANGLES."""
    rows = [max(2, int(np.ceil((p.s_high.max() - p.s_low.min()) / ROW_STEP)) + 1) for p in pieces]
    tris = sum(2 * (r - 1) * p.envelope.shape[1] for r, p in zip(rows, pieces))
    scale = min(1.0, MAX_TRIANGLES / max(tris, 1))
    for r, p in zip(rows, pieces):
        p._rows = max(2, int((r - 1) * scale) + 1)  # type: ignore[attr-defined]


def _face_outwards(piece: Piece) -> None:
    """Flip the winding if the faces point towards the axis."""
    v = piece.vertices[piece.faces[::4]]  # the tube's faces are wound alike: a quarter of them decide
    normal = np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0])
    centre = v.mean(1)
    coords = tube_coordinates(piece.frame, centre)
    axis_point, _, _ = piece.frame.at(coords[:, 0])
    outward = ((centre - axis_point) * normal).sum(1)
    if np.median(outward) < 0:
        piece.faces = piece.faces[:, ::-1].copy()
