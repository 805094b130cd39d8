"""3D garments from sewing patterns: triangulated panels wrapped on the collision-free fitting surfaces.

Each panel is triangulated in the plane (``triangle``, conforming Delaunay, edge length from the quality
setting, no extra points on the outline so seam partners keep matching vertices), then every vertex is placed
on the fitting surface of the region the panel is worn on (:mod:`fw_kernel.geometry.garment.garments`: radial
envelopes that contain the body and the garments beneath): the panel's height gives the position along the
body, its position across (between the seams at that height) the angle around it. Seam partners are then
welded to one position. The render mesh keeps each panel's own vertices (UVs in fabric centimetres along the
grain); :func:`sim_input` gives the welded topology a cloth solver takes (panel 2D coordinates, seam vertex
pairs, initial 3D placement).

Units: panels in cm, 3D in metres.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..geometry.garment.garments import BodyGeometry, Garment, GarmentSpec, Piece, _hip_y, make_garment
from ..geometry.garment.tubes import TWO_PI, frame_from_polyline, radial_envelope, sample_radius, tube_coordinates
from .model import Panel, Pattern

QUALITY_EDGE_CM = {"draft": 4.5, "standard": 3.0, "high": 2.0}
INSIDE = ("inside",)    # facings and bindings: in the pattern, not seen from outside
FLOOR_CM = 0.8          # a hem longer than the body rests on the floor


@dataclass
class PanelMesh:
    """One panel triangulated and placed: ``uv`` (V, 2) cm in the panel's plane, ``vertices`` (V, 3) m,
    ``faces`` (F, 3) int, ``edge_vertices``: edge name -> vertex indices along the edge (its direction)."""

    panel: Panel
    uv: np.ndarray
    vertices: np.ndarray
    faces: np.ndarray
    edge_vertices: dict[str, np.ndarray]
    piece: str


@dataclass
class PatternGarment(Garment):
    """A garment made from a pattern. ``pieces`` are the fitting surfaces (for layering and trims); the mesh is
    the panels'."""

    pattern: Pattern | None = None
    meshes: list[PanelMesh] = field(default_factory=list)
    seam_pairs: np.ndarray = field(default_factory=lambda: np.empty((0, 2), np.int64))

    @property
    def vertices(self) -> np.ndarray:
        return np.concatenate([m.vertices for m in self.meshes]).astype(np.float32)

    @property
    def faces(self) -> np.ndarray:
        offsets = np.cumsum([0] + [len(m.vertices) for m in self.meshes[:-1]])
        return np.concatenate([m.faces + o for m, o in zip(self.meshes, offsets)]).astype(np.int32)

    @property
    def uv(self) -> np.ndarray:
        """(V, 2) metres of fabric (the scene divides by the texture tile in metres)."""
        return (np.concatenate([m.uv for m in self.meshes]) / 100.0).astype(np.float32)

    def panel_vertices(self, name: str) -> np.ndarray:
        return next(m.vertices for m in self.meshes if m.panel.name == name)

    def point_3d(self, panel: str, uv_cm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where a point of a panel (cm) is worn: 3D position (m) and the outward normal there, from the
        triangle that holds it (barycentric), for elements the pattern places (buttons)."""
        m = next(x for x in self.meshes if x.panel.name == panel)
        tri = m.uv[m.faces]
        a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]
        v0, v1, v2 = b - a, c - a, np.asarray(uv_cm, float) - a
        den = v0[:, 0] * v1[:, 1] - v1[:, 0] * v0[:, 1]
        den = np.where(np.abs(den) < 1e-12, 1e-12, den)
        wb = (v2[:, 0] * v1[:, 1] - v1[:, 0] * v2[:, 1]) / den
        wc = (v0[:, 0] * v2[:, 1] - v2[:, 0] * v0[:, 1]) / den
        wa = 1 - wb - wc
        score = np.minimum(np.minimum(wa, wb), wc)
        k = int(np.argmax(score))
        w = np.clip(np.array([wa[k], wb[k], wc[k]]), 0, 1)
        w = w / w.sum()
        p3 = m.vertices[m.faces[k]]
        n = np.cross(p3[1] - p3[0], p3[2] - p3[0])
        return w @ p3, n / max(np.linalg.norm(n), 1e-12)

    def points_3d(self, panel: str, uv_cm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`point_3d` for many points of one panel: (N, 3) positions (m) and (N, 3) unit normals."""
        pts = np.atleast_2d(np.asarray(uv_cm, float))
        out = [self.point_3d(panel, q) for q in pts]
        return np.array([o[0] for o in out]), np.array([o[1] for o in out])

    def element_spots(self, kind: str, count: int = 2, height_cm: float = 16.0) -> list[tuple[str, np.ndarray]]:
        """Where the pattern puts an element other than buttons: (panel, (K, 2) cm) per element, a point for a
        pocket (its centre), a line for a zip. Pockets go on the pattern's pocket marks (welts, flaps, pocket
        placements) or else on the fronts at hip level; zips on the pattern's zip marks or else down the centre
        front (a pocket ``height_cm`` tall kept above the hips, clear of the seat seams). Empty without a pattern
        (the caller falls back to the fitting surface)."""
        if self.pattern is None:
            return []
        worn = {m.panel.name: m.panel for m in self.meshes}
        marked = [(n, pts) for n, p in worn.items() for label, pts in p.marks
                  if (("pocket" in label or "welt" in label) if kind == "pocket" else
                      ("zip" in label or label == "fly"))]
        if kind == "pocket":   # the centre of each marked pocket, the lowest (hip pockets) first
            spots = sorted(((n, ((pts.min(0) + pts.max(0)) / 2)[None]) for n, pts in marked),
                           key=lambda spot: float(spot[1][0, 1]))
            if not spots:
                hip = float(self.pattern.measurements.get("hip_y", 90.0))
                for n, p in worn.items():
                    if p.placement.surface not in ("body", "legs_l", "legs_r") or "front" not in n:
                        continue
                    lo, hi = p.bounds()[1], p.bounds()[3]
                    y = float(np.clip(hip + max(6.0, height_cm / 2 + 1.0), lo + height_cm / 2,
                                      hi - height_cm / 2 - 1.0))
                    ext = p.extents_at(np.array([y]))[0]
                    if not np.isfinite(ext).all():
                        continue
                    if p.centre_side == 0 and p.placement.surface == "body":   # a whole front: one each side
                        spots += [(n, np.array([[ext[0] * 0.5, y]])), (n, np.array([[ext[1] * 0.5, y]]))]
                    else:
                        spots.append((n, np.array([[ext[0] + 0.5 * (ext[1] - ext[0]), y]])))
            return spots[:count]
        if marked:
            return marked[:count]
        for n, p in worn.items():
            if n.startswith("front") and p.placement.surface == "body":
                e = p.edge("center") if any(x.name == "center" for x in p.edges) else None
                if e is not None:
                    return [(n, e.points.copy())]
                lo, hi = p.bounds()[1], p.bounds()[3]
                return [(n, np.array([[0.0, hi - 2.0], [0.0, hi - 0.6 * (hi - lo)]]))]
        return []

    def button_anchors(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(position, outward normal) of every button the pattern marks, for button elements."""
        if self.pattern is None:
            return []
        names = {m.panel.name for m in self.meshes}
        return [self.point_3d(p, uv) for p, uv in self.pattern.buttons if p in names]


# -- triangulation ------------------------------------------------------------------------------------------------
def _resample(points: np.ndarray, n: int) -> np.ndarray:
    seg = np.linalg.norm(np.diff(points, axis=0), axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    t = np.linspace(0.0, cum[-1], n)
    return np.stack([np.interp(t, cum, points[:, 0]), np.interp(t, cum, points[:, 1])], axis=1)


def edge_counts(pattern: Pattern, edge_cm: float) -> dict[tuple[str, str], int]:
    """Points per edge; the two edges of a seam get the same count so their vertices pair up."""
    counts = {(p.name, e.name): max(2, int(np.ceil(e.length / edge_cm)) + 1) for p in pattern.panels for e in p.edges}
    for s in pattern.seams:
        if not s.a_more and not s.b_more:
            n = max(counts[s.a], counts[s.b])
            counts[s.a] = counts[s.b] = n
    return counts


def triangulate(panel: Panel, counts: dict[tuple[str, str], int], edge_cm: float
                ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Triangles filling the panel: (V, 2) cm points, (F, 3) faces counter-clockwise, edge -> vertex indices."""
    import triangle

    pts, edge_idx = [], {}
    k = 0
    n_total = sum(counts[(panel.name, e.name)] - 1 for e in panel.edges)
    for e in panel.edges:
        n = counts[(panel.name, e.name)]
        q = _resample(e.points, n)[:-1]
        pts.append(q)
        edge_idx[e.name] = (np.arange(k, k + n) % n_total)
        k += n - 1
    boundary = np.concatenate(pts)
    options = f"pq28Ya{edge_cm ** 2 * 0.45:.3f}"
    key = (boundary.tobytes(), options)
    hit = _TRIANGULATIONS.get(key)
    if hit is None:  # an unchanged panel (a parameter that moves other pieces, a rebuilt scene) is not redone
        seg = np.stack([np.arange(len(boundary)), (np.arange(len(boundary)) + 1) % len(boundary)], axis=1)
        out = triangle.triangulate({"vertices": boundary, "segments": seg}, options)
        verts, faces = out["vertices"], out["triangles"]
        a, b, c = verts[faces[:, 0]], verts[faces[:, 1]], verts[faces[:, 2]]
        cross = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
        hit = verts, np.where((cross < 0)[:, None], faces[:, [0, 2, 1]], faces).astype(np.int64)
        if len(_TRIANGULATIONS) >= TRIANGULATION_CACHE:
            _TRIANGULATIONS.pop(next(iter(_TRIANGULATIONS)))
        _TRIANGULATIONS[key] = hit
    return hit[0].copy(), hit[1].copy(), edge_idx


TRIANGULATION_CACHE = 512   # panels kept triangulated (oldest out first)
_TRIANGULATIONS: dict[tuple[bytes, str], tuple[np.ndarray, np.ndarray]] = {}


# -- placing on the body --------------------------------------------------------------------------------------------
def _direction(azimuth_deg: np.ndarray) -> np.ndarray:
    a = np.radians(azimuth_deg)
    return np.stack([np.sin(a), np.zeros_like(a), np.cos(a)], axis=-1)


def _on_piece(piece: Piece, s: np.ndarray, direction: np.ndarray, lift_m: np.ndarray) -> np.ndarray:
    """Points on a piece's surface at arc lengths s along its axis, towards world directions (projected)."""
    point, normal, binormal = piece.frame.at(s)
    phi = np.mod(np.arctan2((direction * binormal).sum(-1), (direction * normal).sum(-1)), TWO_PI)
    r = sample_radius(piece.envelope, piece.s_grid, s, phi) + lift_m
    return point + (normal * np.cos(phi)[:, None] + binormal * np.sin(phi)[:, None]) * r[:, None]


def _s_of_heights(piece: Piece, y_m: np.ndarray) -> np.ndarray:
    ys = piece.frame.points[:, 1]
    if ys[0] > ys[-1]:
        return np.interp(-y_m, -ys, piece.frame.s)
    return np.interp(y_m, ys, piece.frame.s)


def _across(panel: Panel, uv: np.ndarray) -> np.ndarray:
    """Azimuth (degrees) of each panel point: its place between the panel's extents at its height, mapped onto
    the placement's azimuth range; above ``fit_top`` the scale is frozen (shoulders and caps keep proportions)."""
    plc = panel.placement
    a0, a1 = plc.azimuth
    _, lo, _, hi = panel.bounds()
    grid = np.linspace(lo, hi, max(8, int((hi - lo) / 1.0) + 2))
    top = min(plc.fit_top, hi)
    both = panel.extents_at(np.append(grid, top))
    ext = np.where(np.isnan(both[:-1]), [0.0, 1.0], both[:-1])
    t_ext = both[-1] if np.isfinite(both[-1]).all() else np.array([ext[:, 0].min(), ext[:, 1].max()])
    y = np.clip(uv[:, 1], lo, hi)
    bottom = lo
    if plc.flare_deg > 0:  # a flared hem curves up to the side seams: below its corners keep the corners' scale
        out = panel.outline
        bottom = max(out[np.argmin(out[:, 0]), 1], out[np.argmax(out[:, 0]), 1])
        y = np.maximum(y, bottom)
    xl, xr = np.interp(y, grid, ext[:, 0]), np.interp(y, grid, ext[:, 1])
    frozen = y > top
    scale = (a1 - a0) / np.maximum(xr - xl, 1e-6)
    az = a0 + (uv[:, 0] - xl) * scale
    k = (a1 - a0) / max(t_ext[1] - t_ext[0], 1e-6)
    az_f = a0 + (uv[:, 0] - t_ext[0]) * k
    return np.where(frozen, az_f, az)


def _side_at_right(panel: Panel) -> bool:
    """Whether a leg panel's ``side`` edge lies at its larger x (a mirrored panel: :func:`_across` maps the
    smallest x to the placement's first azimuth, which for legs is the side seam's)."""
    names = [e.name for e in panel.edges]
    if "side" not in names:
        return False
    side_x = float(panel.edge("side").points[:, 0].mean())
    xs = panel.outline[:, 0]
    return side_x > 0.5 * (float(xs.min()) + float(xs.max()))


def _fold(panel: Panel, uv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reflect the part of the panel right of the fold line back over it (lapels, turn-ups); returns the points
    and whether each was folded."""
    if panel.placement.fold is None:
        return uv, np.zeros(len(uv), bool)
    p, q = (np.asarray(v, float) for v in panel.placement.fold)
    d = (q - p) / np.linalg.norm(q - p)
    rel = uv - p
    side = rel[:, 0] * d[1] - rel[:, 1] * d[0]   # > 0: right of p -> q
    folded = side > 1e-9
    along = rel @ d
    mirrored = p + np.outer(along, d) - (rel - np.outer(along, d))
    out = np.where(folded[:, None], mirrored, uv)
    return out, folded


def _aux_piece(name: str, body: BodyGeometry, points: np.ndarray, y0: float, y1: float, gap: float) -> Piece:
    """A vertical radial surface around ``points`` between heights y0..y1 (collars, hoods)."""
    pts = points[(points[:, 1] >= y0 - 0.02) & (points[:, 1] <= y1 + 0.02)]
    cx, cz = (np.median(pts[:, 0]), np.median(pts[:, 2])) if len(pts) else (0.0, 0.0)
    axis = np.array([[cx, y0 - 0.03, cz], [cx, y1 + 0.03, cz]])
    frame = frame_from_polyline(axis, np.array([0.0, 0.0, 1.0]))
    coords = tube_coordinates(frame, pts) if len(pts) else np.zeros((0, 3))
    s_grid = np.arange(0.0, frame.length + 1e-9, 0.01)
    env = radial_envelope(coords, s_grid, 48, floor=0.06) + gap
    del body
    return Piece(name, "torso", frame, s_grid, env, np.zeros(48), np.full(48, frame.length))


def place(pattern: Pattern, body: BodyGeometry, base: Garment, edge_cm: float = 3.0,
          counts: dict[tuple[str, str], int] | None = None) -> list[PanelMesh]:
    """Triangulate every visible panel and put it on the body (the fitting surfaces of ``base``)."""
    pieces = {p.name: p for p in base.pieces}
    torso = pieces["body"]
    counts = counts or edge_counts(pattern, edge_cm)
    body_panels = [p for p in pattern.panels if p.placement.surface in ("body", "legs_l", "legs_r")
                   and p.placement.azimuth != (0.0, 0.0) and p.placement.azimuth != (0, 0)]
    # a waistband starts where the front's waist is (the back rises a little higher at the centre back)
    top_y = min((p.bounds()[3] for p in body_panels), default=body.joints["neck_base"][1] * 100)
    low_y = min((p.bounds()[1] for p in body_panels), default=0.0)
    neck_y = float(body.joints["neck_base"][1])
    head_pts = body.vertices[body.parts["head"] | body.parts["torso"]]
    garment_pts = base.vertices.astype(np.float64) if len(base.pieces) else np.zeros((0, 3))
    aux: dict[str, Piece] = {}
    hip_y = _hip_y(body)
    front_half: np.ndarray | None = None   # only patches placed in the front's coordinates need it
    meshes: list[PanelMesh] = []
    order = sorted(pattern.panels, key=lambda p: p.placement.surface in ("neck", "hood"))  # necklines first
    for panel in order:
        plc = panel.placement
        if plc.surface in INSIDE:
            continue
        uv, faces, edge_idx = triangulate(panel, counts, edge_cm)
        flat, folded = _fold(panel, uv)
        lift = np.full(len(uv), plc.lift / 100.0) + folded * 0.004
        surface = plc.surface
        if surface in ("body", "legs_l", "legs_r") and plc.azimuth in ((0.0, 0.0), (0, 0)):
            # pockets and patches drawn in the front's coordinates: x across the front, y the height
            if front_half is None:
                front_half = _front_half_width(pattern)
            half = np.interp(flat[:, 1], front_half[:, 0], front_half[:, 1])
            az = 90.0 * flat[:, 0] / np.maximum(half, 1.0)
            v3 = _on_piece(torso, _s_of_heights(torso, flat[:, 1] / 100.0), _direction(az), lift)
            piece = "body"
        elif surface == "body":
            az = _across(panel, flat)
            h = flat[:, 1]
            if plc.flare_deg and np.isfinite(plc.hang_y):
                u = np.abs(np.sin(np.radians(az)))
                below = h < plc.hang_y
                h = np.where(below, plc.hang_y - (plc.hang_y - h) / np.cos(np.radians(plc.flare_deg * u)), h)
            v3 = _on_piece(torso, _s_of_heights(torso, np.maximum(h, FLOOR_CM) / 100.0), _direction(az), lift)
            piece = "body"
        elif surface in ("legs_l", "legs_r"):
            sign = 1.0 if surface == "legs_l" else -1.0
            leg = pieces.get(f"leg_{surface[-1]}", torso)
            az_t = _across(panel, flat)      # on the torso: side seam at +-90, centre at 0 / 180
            a0, a1 = plc.azimuth
            if _side_at_right(panel):
                # a mirrored leg (the right one) has its side seam at its largest x, but the placement's first
                # azimuth is the side seam's: reversed, it wrapped the panel centre-to-side, through the body
                az_t = a0 + a1 - az_t
            # on the leg: from the side seam round the front (or back) to the inseam
            inner = -90.0 * sign if abs(a1) < 90 else 270.0 * sign
            frac = (az_t - a0) / (a1 - a0 if a1 != a0 else 1.0)
            az_l = a0 + frac * (inner - a0)
            h = np.maximum(flat[:, 1], FLOOR_CM) / 100.0   # what reaches the floor rests on it
            on_torso = h >= hip_y
            v_t = _on_piece(torso, _s_of_heights(torso, h), _direction(az_t), lift)
            v_l = _on_piece(leg, _s_of_heights(leg, h), _direction(az_l), lift)
            v3 = np.where(on_torso[:, None], v_t, v_l)
            piece = f"leg_{surface[-1]}" if leg is not torso else "body"
        elif surface.startswith("sleeve_"):
            sl = pieces.get(surface)
            if sl is None:
                continue
            side = 1.0 if surface.endswith("l") else -1.0
            plc_az = _across(panel, flat)     # -180..180 around the arm, 0 at the cap top
            s = 0.04 + (-flat[:, 1]) / 100.0
            point, normal, binormal = sl.frame.at(s)
            out = np.array([side, 0.15, 0.0])
            out = out / np.linalg.norm(out)
            phi_top = np.arctan2(binormal @ out, normal @ out)
            fwd = np.arctan2(binormal @ np.array([0, 0, 1.0]), normal @ np.array([0, 0, 1.0]))
            turn = np.sign(np.sin(fwd - phi_top)) * (1.0 if side > 0 else -1.0)
            phi = np.mod(phi_top + turn * np.radians(plc_az), TWO_PI)
            r = sample_radius(sl.envelope, sl.s_grid, s, phi) + lift
            v3 = point + (normal * np.cos(phi)[:, None] + binormal * np.sin(phi)[:, None]) * r[:, None]
            piece = surface
        elif surface.startswith("wrist_"):
            sl = pieces.get(f"sleeve_{surface[-1]}")
            if sl is None:
                continue
            s_end = float(sl.s_high.max())
            az = 360.0 * (flat[:, 0] - flat[:, 0].min()) / max(np.ptp(flat[:, 0]), 1e-6)
            s = s_end - flat[:, 1] / 100.0
            v3 = _on_piece(sl, s, _direction(az), lift + 0.002)
            piece = f"sleeve_{surface[-1]}"
        elif surface == "neck":
            ring = _neckline_ring(meshes, neck_y)
            if "neck" not in aux:  # the neck itself: body points close to the neck's axis (not the shoulders)
                nb = body.joints["neck_base"]
                near = np.hypot(head_pts[:, 0] - nb[0], head_pts[:, 2] - nb[2]) < 0.085
                aux["neck"] = _aux_piece("neck", body, head_pts[near], neck_y - 0.06, neck_y + 0.12, 0.004)
            ext = np.ptp(flat[:, 0]) or 1.0
            az = plc.azimuth[0] + (flat[:, 0] - flat[:, 0].min()) / ext * (plc.azimuth[1] - plc.azimuth[0])
            up = (flat[:, 1] - flat[:, 1].min()) / 100.0
            v3 = _band_on_ring(ring, aux["neck"], az, up, lift, lie=plc.lie)
            piece = "body"
        elif surface in ("neck", "hood"):
            if surface not in aux:
                if surface == "neck":
                    aux[surface] = _aux_piece("neck", body, np.vstack([head_pts, garment_pts]), neck_y - 0.04,
                                              neck_y + 0.12, 0.006)
                else:
                    aux[surface] = _aux_piece("hood", body, np.vstack([head_pts, garment_pts]), neck_y - 0.04,
                                              float(body.vertices[:, 1].max()) + 0.02, 0.02)
            ap = aux[surface]
            ext = np.ptp(flat[:, 0]) or 1.0
            if surface == "neck":
                az = plc.azimuth[0] + (flat[:, 0] - flat[:, 0].min()) / ext * (plc.azimuth[1] - plc.azimuth[0])
                h = neck_y - 0.015 + flat[:, 1] / 100.0
            else:
                a0, a1 = plc.azimuth
                lo_x = flat[:, 0].min()
                az = np.sign(a1) * 30.0 + (flat[:, 0] - lo_x) / ext * (a1 - np.sign(a1) * 30.0)
                head_top = float(body.vertices[:, 1].max())
                h = neck_y - 0.01 + flat[:, 1] / max(flat[:, 1].max(), 1.0) * (head_top + 0.03 - neck_y)
            v3 = _on_piece(ap, _s_of_heights(ap, h), _direction(az), lift)
            piece = "body"
        elif surface in ("waist", "hem"):
            ext = np.ptp(flat[:, 0]) or 1.0
            az = 360.0 * (flat[:, 0] - flat[:, 0].min()) / ext + (plc.azimuth[0] if surface == "waist" else 0.0)
            base_y = top_y if surface == "waist" else low_y
            h = (base_y + (flat[:, 1] - flat[:, 1].min()) * (1.0 if surface == "waist" else -1.0)) / 100.0
            if panel.name.startswith("tie"):  # ties hang from the waist at their side
                az = plc.azimuth[0] + (flat[:, 1] - flat[:, 1].min()) * 2.0
                h = (top_y - 4.0 - (flat[:, 0] - flat[:, 0].min()) * 0.5) / 100.0
            v3 = _on_piece(torso, _s_of_heights(torso, h), _direction(az), lift + 0.002)
            piece = "body"
        else:
            continue
        meshes.append(PanelMesh(panel, uv, v3, faces, edge_idx, piece))
    return meshes


def _neckline_ring(meshes: list[PanelMesh], neck_y: float) -> np.ndarray:
    """(K, 4): azimuth (deg, 0..360 around the neck) and the 3D point of the garment's neckline there."""
    pts = [m.vertices[m.edge_vertices["neck"]] for m in meshes if "neck" in m.edge_vertices
           and m.panel.placement.surface == "body"]
    if not pts:
        return np.empty((0, 4))
    p = np.concatenate(pts)
    centre = np.array([np.median(p[:, 0]), 0.0, np.median(p[:, 2])])
    az = np.degrees(np.arctan2(p[:, 0] - centre[0], p[:, 2] - centre[2])) % 360.0
    order = np.argsort(az)
    del neck_y
    return np.column_stack([az[order], p[order]])


def _band_on_ring(ring: np.ndarray, neck: Piece, az: np.ndarray, up_m: np.ndarray, lift: np.ndarray,
                  lie: bool = False) -> np.ndarray:
    """Points of a band standing on the neckline: at each azimuth the neckline point raised by ``up_m`` and
    leaning in towards the neck, never closer to it than the neck's own surface."""
    if len(ring) < 3:
        return _on_piece(neck, _s_of_heights(neck, np.full(len(az), float(neck.frame.points[0, 1]) + 0.05) + up_m),
                         _direction(az), lift)
    a = np.concatenate([ring[:, 0] - 360.0, ring[:, 0], ring[:, 0] + 360.0])
    base = np.stack([np.interp(az % 360.0, a, np.tile(ring[:, k], 3)) for k in (1, 2, 3)], axis=1)
    if lie:  # a collar turned down: from a short stand it falls outward and down over the shoulders
        stand = np.minimum(up_m, 0.025)
        fall = up_m - stand
        axis_pt, _, _ = neck.frame.at(_s_of_heights(neck, base[:, 1]))
        r = np.linalg.norm((base - axis_pt)[:, [0, 2]], axis=1) + lift + 0.004 + 0.8 * fall
        d = _direction(az)
        return np.column_stack([axis_pt[:, 0] + d[:, 0] * r, base[:, 1] + stand - 0.6 * fall,
                                axis_pt[:, 2] + d[:, 2] * r])
    y = base[:, 1] + up_m
    on_neck = _on_piece(neck, _s_of_heights(neck, y), _direction(az), lift + 0.003)
    axis_pt, _, _ = neck.frame.at(_s_of_heights(neck, y))
    r_neck = np.linalg.norm((on_neck - axis_pt)[:, [0, 2]], axis=1)
    r_base = np.linalg.norm((base - axis_pt)[:, [0, 2]], axis=1) + lift
    r = np.maximum(r_base - 0.6 * up_m, r_neck)  # a stand leans in towards the neck, never into it
    d = _direction(az)
    return np.column_stack([axis_pt[:, 0] + d[:, 0] * r, y, axis_pt[:, 2] + d[:, 2] * r])


def _front_half_width(pattern: Pattern) -> np.ndarray:
    """(K, 2): height (cm) -> half the front's width there, for patches placed in front coordinates."""
    fronts = [p for p in pattern.panels if p.placement.surface == "body" and p.name.startswith(
        ("front", "bodice front", "skirt front"))]
    ys = np.linspace(0, 200, 101)
    w = np.zeros_like(ys)
    for p in fronts:
        w += np.array([p.width_at(y) for y in ys])
    w = w / 2 if w.max() > 0 else np.full_like(ys, 25.0)
    return np.stack([ys, np.maximum(w, 5.0)], axis=1)


def weld(pattern: Pattern, meshes: list[PanelMesh], base: Garment) -> np.ndarray:
    """Join each seam: its two edges' vertices pair up one to one (same counts by construction), and every group
    of vertices joined by seams (corners belong to two seams) moves to one position, their mean. Returns the
    (P, 2) global index pairs."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    by_name = {m.panel.name: (i, m) for i, m in enumerate(meshes)}
    offsets = np.cumsum([0] + [len(m.vertices) for m in meshes[:-1]])
    pairs = []
    for s in pattern.seams:
        if s.a_more or s.b_more or s.a[0] not in by_name or s.b[0] not in by_name:
            continue
        ia, ma = by_name[s.a[0]]
        ib, mb = by_name[s.b[0]]
        if abs(ma.panel.placement.lift - mb.panel.placement.lift) > 0.05:
            continue
        va, vb = ma.edge_vertices[s.a[1]], mb.edge_vertices[s.b[1]]
        if len(va) != len(vb):
            continue
        if not s.same_direction:
            vb = vb[::-1]
        pairs.append(np.stack([va + offsets[ia], vb + offsets[ib]], axis=1))
    if not pairs:
        return np.empty((0, 2), np.int64)
    pairs_ = np.concatenate(pairs)
    del base
    n = int(offsets[-1] + len(meshes[-1].vertices))
    graph = coo_matrix((np.ones(len(pairs_)), (pairs_[:, 0], pairs_[:, 1])), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    everything = np.concatenate([m.vertices for m in meshes]).astype(np.float64)
    joined = np.unique(pairs_)
    sums = np.zeros((label.max() + 1, 3))
    counts = np.zeros(label.max() + 1)
    np.add.at(sums, label[joined], everything[joined])
    np.add.at(counts, label[joined], 1)
    everything[joined] = sums[label[joined]] / counts[label[joined], None]
    for m, o in zip(meshes, offsets):
        m.vertices = everything[o:o + len(m.vertices)]
    return pairs_


def garment_from_pattern(body: BodyGeometry, item_id: str, spec: GarmentSpec, pattern: Pattern,
                         under: Sequence[Garment] = (), quality: str = "standard") -> PatternGarment:
    """The 3D garment of ``pattern`` on ``body`` over ``under`` (bottom first)."""
    edge_cm = QUALITY_EDGE_CM[quality]
    base = make_garment(body, item_id, spec, under)
    meshes = place(pattern, body, base, edge_cm)
    pairs = weld(pattern, meshes, base)
    skin = _skin(body)
    for m in meshes:  # where the wrap dips under the skin (armpits, crotch): out to the skin offset
        m.vertices = push_out(m.vertices.astype(np.float64), skin)
        _face_outwards(m, skin)
    g = PatternGarment(item_id, spec, base.pieces, pattern=pattern, meshes=meshes, seam_pairs=pairs)
    for piece in g.pieces:  # what later layers must contain: this garment's own vertices on each region
        own = [m.vertices for m in meshes if m.piece == piece.name]
        piece.vertices = np.concatenate(own).astype(np.float32) if own else piece.vertices
    return g


def _face_outwards(mesh: PanelMesh, skin: tuple[Any, np.ndarray]) -> None:
    """Wind the panel's triangles so their normals point away from the body (mirrored panels come reversed)."""
    tree, normals = skin
    v = mesh.vertices[mesh.faces[::3]]   # the median of a third of the faces decides (a panel is wound alike)
    n = np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0])
    _, nearest = tree.query(v.mean(1))
    if np.median((n * normals[nearest]).sum(1)) < 0:
        mesh.faces = mesh.faces[:, ::-1].copy()


SKIN_OFFSET = 0.003  # m: CLO's default distance between skin and cloth
_SKINS: dict[int, Any] = {}


def _skin(body: BodyGeometry) -> tuple[Any, np.ndarray]:
    """KD-tree of the body's vertices and their normals (cached per body)."""
    key = id(body)
    if key not in _SKINS:
        import trimesh
        from scipy.spatial import cKDTree

        mesh = trimesh.Trimesh(body.vertices, body.faces, process=False)
        if len(_SKINS) > 8:
            _SKINS.clear()
        _SKINS[key] = (cKDTree(mesh.vertices), np.asarray(mesh.vertex_normals), body)
    return _SKINS[key][:2]


def push_out(points: np.ndarray, skin: tuple[Any, np.ndarray], offset: float = SKIN_OFFSET,
             rounds: int = 3) -> np.ndarray:
    """Move points that lie under (or within ``offset`` of) the skin out along the nearest vertex normal.

    points : (N, 3) m; skin : (KD-tree of body vertices, (V, 3) vertex normals). Returns a new (N, 3) array.
    """
    tree, normals = skin
    out = points.copy()
    todo = np.arange(len(out))   # only points moved by the last round can still be under the skin
    for _ in range(rounds):
        if not len(todo):
            break
        p = out[todo]
        _, nearest = tree.query(p)
        depth = ((p - tree.data[nearest]) * normals[nearest]).sum(1)
        low = depth < offset
        if not low.any():
            break
        out[todo[low]] = p[low] + normals[nearest[low]] * (offset - depth[low])[:, None]
        todo = todo[low]
    return out


def sim_input(garment: PatternGarment) -> dict[str, Any]:
    """What a cloth solver needs, from one call: per panel its 2D coordinates (cm) and triangles, the initial
    3D placement (m), and the seams as pairs of global vertex indices to stitch.

    Returns
    -------
    dict with ``panels`` (list of {name, uv_cm (V, 2), faces (F, 3), vertex_offset}), ``vertices`` (N, 3) m,
    ``faces`` (M, 3) global, ``seam_pairs`` (P, 2) global indices, ``uv_cm`` (N, 2).
    """
    offsets = np.cumsum([0] + [len(m.vertices) for m in garment.meshes[:-1]])
    return {"panels": [{"name": m.panel.name, "uv_cm": m.uv, "faces": m.faces, "vertex_offset": int(o),
                        "placement": m.panel.placement.surface} for m, o in zip(garment.meshes, offsets)],
            "vertices": garment.vertices.astype(np.float64), "faces": garment.faces,
            "uv_cm": np.concatenate([m.uv for m in garment.meshes]), "seam_pairs": garment.seam_pairs}
