"""Elements (buttons, pockets, collars...) on garments and accessories (belt, bag, hat...) on the body.

Elements sit on a garment piece: they are patches of the piece's own radial surface lifted by a few millimetres,
or small solids placed on it, so they follow the garment whatever its size. Accessories sit at body landmarks.
Every function returns a ``trimesh.Trimesh`` in metres (+Y up, facing +Z).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import trimesh

from .garments import CLEARANCE, BodyGeometry, Garment, Piece, _s_at_height, _torso_axis
from .tubes import TWO_PI, frame_from_polyline, radial_envelope, sample_radius, tube_coordinates

LIFT = 0.002  # m an element stands off the garment surface


def band(piece: Piece, s0: float, s1: float, phi0: float = 0.0, phi1: float = TWO_PI, lift: float = LIFT,
         flare: float = 0.0, rows: int = 4, cols: int | None = None) -> trimesh.Trimesh:
    """A patch of ``piece``'s surface between arc lengths s0..s1 and angles phi0..phi1 (radians), lifted.

    ``flare`` adds radius linearly from s0 (0) to s1 (``flare`` metres): ruffles, cuffs that open.
    """
    n = cols or max(3, int(np.ceil(abs(phi1 - phi0) / TWO_PI * piece.envelope.shape[1])) + 1)
    s = np.linspace(s0, s1, rows)[:, None] * np.ones((1, n))
    phi = np.ones((rows, 1)) * np.linspace(phi0, phi1, n)[None, :]
    radius = sample_radius(piece.envelope, piece.s_grid, s, phi) + lift
    radius = radius + flare * (s - s0) / max(abs(s1 - s0), 1e-9)
    point, normal, binormal = piece.frame.at(s)
    direction = normal * np.cos(phi)[..., None] + binormal * np.sin(phi)[..., None]
    outer = point + direction * radius[..., None]
    inner = point + direction * (radius - 0.0015)[..., None]
    return _slab(outer, inner)


def _slab(outer: np.ndarray, inner: np.ndarray) -> trimesh.Trimesh:
    """A thin closed sheet from two (rows, cols, 3) grids."""
    rows, cols, _ = outer.shape
    vertices = np.concatenate([outer.reshape(-1, 3), inner.reshape(-1, 3)])
    r, c = np.meshgrid(np.arange(rows - 1), np.arange(cols - 1), indexing="ij")
    a = (r * cols + c).ravel()
    b, d = a + 1, a + cols
    e = d + 1
    off = rows * cols
    faces = [np.stack([a, b, e], 1), np.stack([a, e, d], 1), np.stack([a + off, e + off, b + off], 1),
             np.stack([a + off, d + off, e + off], 1)]
    mesh = trimesh.Trimesh(vertices, np.concatenate(faces), process=False)
    return mesh


def _on_surface(piece: Piece, s: float, phi: float, lift: float) -> tuple[np.ndarray, np.ndarray]:
    """Point on the piece's surface at (s, phi) lifted by ``lift``, and the outward direction there."""
    point, normal, binormal = piece.frame.at(np.array([s]))
    direction = (normal * np.cos(phi) + binormal * np.sin(phi))[0]
    radius = float(sample_radius(piece.envelope, piece.s_grid, np.array([s]), np.array([phi]))[0])
    return point[0] + direction * (radius + lift), direction


def _oriented(mesh: trimesh.Trimesh, at: np.ndarray, facing: np.ndarray) -> trimesh.Trimesh:
    """Move a mesh built around the origin facing +Z so that it faces ``facing`` at ``at``."""
    align = trimesh.geometry.align_vectors([0.0, 0.0, 1.0], facing)
    mesh.apply_transform(align)
    mesh.apply_translation(at)
    return mesh


def _pattern_spots(garment: Garment, kind: str, params: dict[str, Any]) -> list[tuple[str, np.ndarray]]:
    spots = getattr(garment, "element_spots", None)
    return spots(kind, int(params.get("count", 2)), float(params.get("height", 16))) if spots else []


def _pattern_element(garment: Garment, kind: str, params: dict[str, Any]) -> list[trimesh.Trimesh]:
    """Pockets and zips of a garment sewn from a pattern, drawn on the panel the pattern puts them on: a grid in
    the panel's own centimetres mapped to where that panel is worn (as buttons are), lifted off it."""
    out = []
    for panel, pts in _pattern_spots(garment, kind, params):
        if kind == "pocket":
            w, h = float(params.get("width", 14)), float(params.get("height", 16))
            c = pts[0]
            u, v = np.meshgrid(np.linspace(-w / 2, w / 2, 7), np.linspace(-h / 2, h / 2, 7))  # centre on a vertex
            grid = np.stack([c[0] + u, c[1] + v], axis=-1)                       # (rows, cols, 2) cm
        else:
            seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)
            cum = np.concatenate([[0.0], np.cumsum(seg)])
            length = min(float(params.get("length", 50)), float(cum[-1]))
            t = np.linspace(0.0, length, max(2, int(length / 3.0) + 1))
            mid = np.stack([np.interp(t, cum, pts[:, 0]), np.interp(t, cum, pts[:, 1])], axis=1)
            half = np.array([0.5, 0.0])
            grid = np.stack([mid - half, mid + half], axis=1)                    # 1 cm wide tape
        flat = grid.reshape(-1, 2)
        at, normal = garment.points_3d(panel, flat)  # type: ignore[attr-defined]
        mean = normal.mean(0) / max(float(np.linalg.norm(normal.mean(0))), 1e-9)
        normal = np.where(((normal * mean).sum(1) < 0.3)[:, None], mean, normal)  # folds at seams: the mean
        lift = LIFT + (0.001 if kind == "zipper" else 0.0)
        shape = (*grid.shape[:2], 3)
        out.append(_slab((at + normal * lift).reshape(shape), (at + normal * (lift - 0.0015)).reshape(shape)))
    return out


def _piece(garment: Garment, name: str) -> Piece | None:
    return next((p for p in garment.pieces if p.name == name), None)


# -- elements ------------------------------------------------------------------------------------------------------
def element_mesh(kind: str, garment: Garment, params: dict[str, Any]) -> trimesh.Trimesh:
    """Mesh of an element on ``garment``. ``kind`` comes from the catalog item (button, pocket, zipper, collar,
    cuffs, belt_loops, ruffle, drawstring, epaulettes, pleats)."""
    body = garment.pieces[0]
    lo, hi = float(body.s_low.min()), float(body.s_high.min())
    span = hi - lo
    meshes: list[trimesh.Trimesh] = []
    anchors: list[Any] = getattr(garment, "button_anchors", lambda: [])()
    if kind == "button" and anchors:  # a garment sewn from a pattern: the buttons go where the pattern marks them
        diameter = float(params.get("diameter", 12)) / 1000.0
        for at, facing in anchors[: int(params.get("count", len(anchors)))]:
            meshes.append(_oriented(trimesh.creation.cylinder(radius=diameter / 2, height=0.003, sections=16),
                                    at + facing * (LIFT + 0.002), facing))
    elif kind == "button":
        count = int(params.get("count", 6))
        diameter = float(params.get("diameter", 12)) / 1000.0
        for s in np.linspace(lo + 0.12 * span, hi - 0.06, count):
            at, facing = _on_surface(body, s, 0.0, LIFT + 0.001)
            meshes.append(_oriented(trimesh.creation.cylinder(radius=diameter / 2, height=0.003, sections=16),
                                    at, facing))
    elif kind in ("pocket", "zipper") and _pattern_spots(garment, kind, params):
        meshes += _pattern_element(garment, kind, params)
    elif kind == "pocket":
        width = float(params.get("width", 14)) / 100.0
        height = float(params.get("height", 16)) / 100.0
        count = int(params.get("count", 2))
        radius = float(np.median(body.envelope))
        dphi = width / max(radius, 0.05)
        s_mid = lo + 0.3 * span
        for centre in ([np.radians(50), np.radians(-50)] if count >= 2 else [np.radians(50)]):
            meshes.append(band(body, s_mid - height / 2, s_mid + height / 2, centre - dphi / 2, centre + dphi / 2))
    elif kind == "zipper":
        length = min(float(params.get("length", 50)) / 100.0, span * 0.9)
        meshes.append(band(body, hi - length, hi - 0.01, -0.04, 0.04, lift=LIFT + 0.001, cols=3))
    elif kind == "collar":
        height = float(params.get("stand_height", 3.5)) / 100.0
        meshes.append(band(body, hi - 0.01, hi + height, lift=LIFT + 0.002))
    elif kind == "cuffs":
        width = float(params.get("width", 6)) / 100.0
        for name in ("sleeve_l", "sleeve_r"):
            sleeve = _piece(garment, name)
            if sleeve is not None:
                end = float(sleeve.s_high.min())
                meshes.append(band(sleeve, end - width, end, lift=LIFT + 0.001))
    elif kind == "belt_loops":
        count = int(params.get("count", 6))
        for phi in np.linspace(0, TWO_PI, count, endpoint=False) + np.pi / count:
            meshes.append(band(body, hi - 0.05, hi - 0.005, phi - 0.03, phi + 0.03, lift=LIFT + 0.003, cols=3))
    elif kind == "ruffle":
        width = float(params.get("width", 6)) / 100.0
        meshes.append(band(body, lo - width * 0.2, lo + width, flare=-0.03, lift=LIFT + 0.002))
    elif kind == "drawstring":
        length = float(params.get("length", 30)) / 100.0
        for phi in (-0.12, 0.12):
            top, facing = _on_surface(body, hi - 0.01, phi, LIFT + 0.004)
            cord = trimesh.creation.cylinder(radius=0.003, segment=[top, top - np.array([0, length, 0])])
            meshes.append(cord)
    elif kind == "epaulettes":
        length = float(params.get("length", 12)) / 100.0
        for phi in (np.pi / 2, -np.pi / 2):
            meshes.append(band(body, hi - 0.04, hi - 0.01, phi - length / 0.4, phi + length / 0.4, cols=6))
    elif kind == "pleats":
        count = int(params.get("count", 6))
        for phi in np.linspace(-0.6, 0.6, count):
            meshes.append(band(body, lo, lo + 0.6 * span, phi - 0.015, phi + 0.015, lift=LIFT, cols=2))
    else:
        raise ValueError(f"unknown element kind {kind!r}")
    return trimesh.util.concatenate(meshes) if meshes else trimesh.Trimesh()


# -- accessories ---------------------------------------------------------------------------------------------------
def _ring(body: BodyGeometry, parts: Sequence[str], y0: float, y1: float, over: Sequence[Garment],
          thickness: float, regions: Sequence[str] = ("torso",)) -> trimesh.Trimesh:
    """A band around the body (and any garments) between heights y0 and y1."""
    pts = body.surface_points(list(parts))
    pts = pts[(pts[:, 1] > y0 - 0.03) & (pts[:, 1] < y1 + 0.03)]
    extra = [p.vertices for g in over for p in g.pieces if p.region in regions and len(p.vertices)]
    if extra:
        garment_pts = np.concatenate(extra).astype(np.float64)
        pts = np.vstack([pts, garment_pts[(garment_pts[:, 1] > y0 - 0.03) & (garment_pts[:, 1] < y1 + 0.03)]])
    axis = _torso_axis(pts, y0 - 0.05, y1 + 0.05)
    frame = frame_from_polyline(axis, [0.0, 0.0, 1.0])
    coords = tube_coordinates(frame, pts)
    s_grid = np.arange(0.0, frame.length + 1e-9, 0.01)
    env = radial_envelope(coords, s_grid, 48, floor=float(np.percentile(coords[:, 2], 20))) + CLEARANCE + thickness
    piece = Piece("ring", "torso", frame, s_grid, env, np.full(48, _s_at_height(frame, y0)),
                  np.full(48, _s_at_height(frame, y1)))
    return band(piece, float(piece.s_low[0]), float(piece.s_high[0]), lift=0.0)


def accessory_mesh(kind: str, body: BodyGeometry, params: dict[str, Any], over: Sequence[Garment] = ()
                   ) -> trimesh.Trimesh:
    """Mesh of an accessory placed on the body (over the given garments where it wraps them)."""
    j = body.joints
    top = float(body.vertices[:, 1].max())
    if kind == "belt":
        width = float(params.get("width", 3.5)) / 100.0
        y = body.levels["waist"] - 0.02
        return _ring(body, ["torso"], y - width / 2, y + width / 2, over, 0.004)
    if kind == "scarf":
        y = float(j["neck_base"][1])
        return _ring(body, ["torso", "head"], y - 0.02, y + 0.06, over, 0.012)
    if kind == "necklace":
        y = float(j["neck_base"][1]) - 0.04
        ring = _ring(body, ["torso"], y - 0.004, y + 0.004, over, 0.002)
        pendant = trimesh.creation.icosphere(subdivisions=2, radius=0.008)
        front = ring.vertices[np.argmax(ring.vertices[:, 2])] if len(ring.vertices) else j["neck_base"]
        pendant.apply_translation(front - np.array([0, 0.015, 0]))
        return trimesh.util.concatenate([ring, pendant])
    if kind == "hat":
        head = body.vertices[body.parts["head"]]
        centre = np.array([0.0, top - 0.06, float(np.median(head[head[:, 1] > top - 0.12][:, 2]))])
        radius = float(np.percentile(np.hypot(head[:, 0], head[:, 2] - centre[2])[head[:, 1] > top - 0.1], 98)) + 0.01
        crown = trimesh.creation.cylinder(radius=radius, height=0.12, sections=32)
        brim_w = float(params.get("brim_width", 6)) / 100.0
        brim = trimesh.creation.annulus(r_min=radius * 0.9, r_max=radius + brim_w, height=0.006, sections=48)
        rot = trimesh.transformations.rotation_matrix(np.pi / 2, [1, 0, 0])
        crown.apply_transform(rot)
        brim.apply_transform(rot)
        crown.apply_translation(centre + np.array([0, 0.05, 0]))
        brim.apply_translation(centre + np.array([0, -0.005, 0]))
        return trimesh.util.concatenate([crown, brim])
    if kind in ("watch", "gloves"):
        meshes = []
        for side in ("l", "r"):
            frame = frame_from_polyline(np.array([j[f"elbow_{side}"], j[f"wrist_{side}"]]), [0, 0, 1],
                                        extend_end=0.12)
            pts = body.surface_points([f"arm_{side}"])
            coords = tube_coordinates(frame, pts)
            s_grid = np.arange(0.0, frame.length + 1e-9, 0.01)
            env = radial_envelope(coords[coords[:, 0] > 0.05], s_grid, 24, floor=0.03) + CLEARANCE
            wrist_s = float(np.linalg.norm(j[f"wrist_{side}"] - j[f"elbow_{side}"]))
            s0, s1 = (wrist_s - 0.03, wrist_s - 0.01) if kind == "watch" else (wrist_s - 0.06, frame.length - 0.01)
            piece = Piece("hand", f"arm_{side}", frame, s_grid, env, np.full(24, s0), np.full(24, s1))
            meshes.append(band(piece, s0, s1, lift=0.002))
            if kind == "watch":
                d = float(params.get("case_diameter", 38)) / 1000.0
                at, facing = _on_surface(piece, (s0 + s1) / 2, np.pi, 0.006)
                meshes.append(_oriented(trimesh.creation.cylinder(radius=d / 2, height=0.008), at, facing))
            if kind == "watch" and side == "l":
                break
        return trimesh.util.concatenate(meshes)
    if kind == "shoes":  # sole, heel counter and toe box around each foot, open at the ankle
        from .accessory_shapes import shoes

        return shoes(body, params)
    if kind == "bag":  # carried on the right shoulder by its straps, hanging clear of the body
        from .accessory_shapes import shoulder_bag

        return shoulder_bag(body, params, over)
    if kind == "sunglasses":
        head = body.vertices[body.parts["head"]]
        front = float(head[:, 2].max())
        eye_y = top - 0.11
        meshes = []
        for x in (-0.032, 0.032):
            lens = trimesh.creation.cylinder(radius=0.022, height=0.004, sections=24)
            lens.apply_translation([x, eye_y, front - 0.005])
            meshes.append(lens)
        meshes.append(trimesh.creation.box([0.02, 0.004, 0.004]))
        meshes[-1].apply_translation([0, eye_y + 0.01, front - 0.005])
        return trimesh.util.concatenate(meshes)
    if kind == "earrings":
        head = body.vertices[body.parts["head"]]
        band_y = top - 0.14
        ring = head[np.abs(head[:, 1] - band_y) < 0.01]
        d = float(params.get("diameter", 30)) / 1000.0
        meshes = []
        for sign in (-1, 1):
            x = float(ring[:, 0].max() if sign > 0 else ring[:, 0].min()) if len(ring) else sign * 0.07
            hoop = trimesh.creation.torus(major_radius=d / 2, minor_radius=0.0015)
            hoop.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, [0, 1, 0]))
            hoop.apply_translation([x + sign * 0.004, band_y - 0.02 - d / 2, float(np.median(ring[:, 2]))
                                    if len(ring) else 0.0])
            meshes.append(hoop)
        return trimesh.util.concatenate(meshes)
    raise ValueError(f"unknown accessory kind {kind!r}")


ELEMENT_KINDS = ("button", "pocket", "zipper", "collar", "cuffs", "belt_loops", "ruffle", "drawstring",
                 "epaulettes", "pleats")
ACCESSORY_KINDS = ("belt", "scarf", "necklace", "hat", "watch", "gloves", "shoes", "bag", "sunglasses", "earrings")


def trim_kind(item_id: str, tags: Sequence[str], kinds: Sequence[str]) -> str | None:
    """Which geometry an element or accessory item uses, from its id and tags (e.g. ``acc-tote-bag`` -> bag)."""
    words = set(tags) | set(item_id.replace("_", "-").split("-"))
    aliases = {"buttons": "button", "belt-loops": "belt_loops", "loops": "belt_loops", "cuff": "cuffs",
               "shoes": "shoes", "sneakers": "shoes", "fedora": "hat", "wristwatch": "watch", "hoops": "earrings",
               "tote": "bag", "eyewear": "sunglasses", "frill": "ruffle", "zip": "zipper", "pleated": "pleats"}
    for word in [w for w in item_id.split("-")[1:]] + list(tags):
        kind = aliases.get(word, word)
        if kind in kinds:
            return kind
    for word in words:
        kind = aliases.get(word, word)
        if kind in kinds:
            return kind
    return None
