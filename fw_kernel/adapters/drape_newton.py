"""Cloth drape on NVIDIA ``newton``'s VBD solver (warp; CPU here, CUDA when present). The only module importing
newton/warp for cloth.

Rest shape: each panel's 2D pattern coordinates (cm -> m), so stretch is measured against the flat fabric.
Start: the sewing module's 3D placement (on the collision-free fitting surfaces). Seams: zero-length springs
between seam vertex pairs, closed by the solver. Attachments: pinned (zero-mass) vertices (the waist/shoulder
line of a garment, the clamped centre of a Cusick disc). The body is a static collision mesh (metres, Y up).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fw_kernel.adapters.require_ import require_driver as require
from fw_kernel.domain.cloth import MAPPING_VERSION, ClothParams, cloth_params, drape_coefficient
from fw_kernel.domain.errors import ValidationError
from fw_kernel.ports import DrapeCancelled

# draft / standard / high: frames at 60 fps (the step limit), substeps per frame, VBD iterations
QUALITY = {"draft": (90, 5, 8), "standard": (150, 6, 8), "high": (300, 10, 12)}
SETTLE_M_PER_FRAME = 0.0003   # settled when all but SETTLE_FRACTION of vertices move less than 0.3 mm per frame
SETTLE_FRACTION = 0.015
# bending stiffness per unit bending rigidity: newton's edge_ke is an energy scale (N·m per rad²); calibrated
# on the Cusick test so that the catalog's bending lengths give published drape coefficients
BEND_SCALE = 3.0e4
BEND_REF_EDGE_M = 0.015       # edge length of the calibration mesh (the Cusick disc's rings)
RAMP_FRACTION = 0.5           # garments: the first half of the frame limit blends the rest shape to the pattern
MIN_FRAMES = 10               # the settling rule is not checked before this frame
PARTICLE_RADIUS_M = 0.002     # cloth thickness for contacts (the Cusick disc)
# garments: contact thickness per quality (edge length), so that a body curved under a mesh edge stays outside the
# triangle: the sagitta of an edge L over a curve of radius R is L² / 8R, at the bust (R ~ 5 cm) 5 mm for the draft
# 4.5 cm edges, 2.3 mm for standard 3 cm (4 mm at draft left the bust 5.8 mm through between vertices)
CONTACT_RADIUS_M = {"draft": 0.006, "standard": 0.003, "high": 0.002}
BETWEEN_CLEARANCE_M = 0.001   # cloth edges lifted off a body bump they cut through (after the solve)
CONTACT_GAP_M = 0.01          # contacts are detected this far beyond the particle radius
CONTACT_KE, CONTACT_KD = 1.0e5, 1.0e-2
COLLIDER_MARGIN_M = 0.08      # the body collider keeps the triangles within this of the garment's bounding box


def _warp() -> Any:
    wp = require("warp", "drape")
    from ..settings import Environment

    cache = Path(Environment().warp_cache or Path.home() / ".cache" / "fw" / "warp")
    if not getattr(wp.config, "_fw_cache_set", False):
        cache.mkdir(parents=True, exist_ok=True)
        wp.config.kernel_cache_dir = str(cache)   # kernels compile once per machine
        wp.config.quiet = True
        wp.config._fw_cache_set = True
    return wp


@dataclass
class DrapeResult:
    """Draped vertices (N, 3) m and how the run went."""

    vertices: np.ndarray
    frames: int
    settled: bool
    seconds: float
    device: str
    stats: dict[str, float] = field(default_factory=dict)


def _device(wp: Any) -> str:
    return "cuda" if wp.is_cuda_available() else "cpu"


def rest_geometry(corners_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rest bases and areas of triangles given flat: ``corners_m`` (F, 3, 2) m -> (F, 2, 2) bases (newton's
    convention: first edge along the local x axis, positive determinant whatever the winding), (F,) areas m²."""
    qp = corners_m[:, 1] - corners_m[:, 0]
    rp = corners_m[:, 2] - corners_m[:, 0]
    length = np.maximum(np.linalg.norm(qp, axis=1), 1e-12)
    e1 = qp / length[:, None]
    along = (e1 * rp).sum(1)
    across = np.abs(e1[:, 0] * rp[:, 1] - e1[:, 1] * rp[:, 0])
    basis = np.zeros((len(qp), 2, 2))
    basis[:, 0, 0], basis[:, 0, 1], basis[:, 1, 1] = length, along, across
    return basis, 0.5 * length * across


def _canonical_basis(tri: np.ndarray) -> np.ndarray:
    """(F, 2, 2) rest bases (as :func:`rest_geometry`) of 3D triangles (F, 3, 3)."""
    qp, rp = tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]
    length = np.maximum(np.linalg.norm(qp, axis=1), 1e-12)
    e1 = qp / length[:, None]
    along = (e1 * rp).sum(1)
    across = np.linalg.norm(rp - along[:, None] * e1, axis=1)
    basis = np.zeros((len(qp), 2, 2))
    basis[:, 0, 0], basis[:, 0, 1], basis[:, 1, 1] = length, along, across
    return basis


def simulate(rest_2d_m: np.ndarray | None, faces: np.ndarray, start_m: np.ndarray, params: ClothParams, *,
             pinned: np.ndarray, seam_pairs: np.ndarray | None = None,
             collider: tuple[np.ndarray, np.ndarray] | None = None,
             colliders: Sequence[tuple[np.ndarray, np.ndarray]] = (), quality: str = "draft",
             seam_ke: float = 2.0e3, rest_corners_m: np.ndarray | None = None, floor: bool = False,
             particle_radius: float = PARTICLE_RADIUS_M, ramp_frames: int = 0,
             on_frame: Callable[[int, int], None] | None = None) -> DrapeResult:
    """Run VBD until settled or the step limit.

    Parameters
    ----------
    rest_2d_m : (N, 2) rest (flat pattern) coordinates, m, one per vertex; or None with ``rest_corners_m``
    faces : (F, 3) triangles
    start_m : (N, 3) initial positions, m, Y up
    pinned : (N,) bool, vertices held in place
    seam_pairs : (P, 2) vertex pairs sewn together by zero-length springs (``seam_ke`` N/m)
    collider, colliders : static meshes (vertices (V, 3) m, faces (G, 3)): the body, garments beneath
    rest_corners_m : (F, 3, 2) flat coordinates of each triangle's corners, m: a welded mesh whose vertices
        belong to several panels (seams) takes its rest shape per triangle
    floor : collide with the floor (y = 0)
    particle_radius : contact thickness, m
    ramp_frames : over the first frames the rest shape blends from the start shape to the flat pattern (a start
        far from the pattern's shape would otherwise snap, and tunnel through the body)
    on_frame : called after every frame with (frame, frame limit); raising stops the run
    """
    wp = _warp()
    newton = require("newton", "drape")
    frames_max, substeps, iterations = _quality(quality)
    t0, c0 = time.perf_counter(), time.process_time()
    faces = np.asarray(faces, np.int64)
    start = np.asarray(start_m, np.float64)
    if rest_corners_m is None:
        if rest_2d_m is None:
            raise ValueError("simulate needs rest_2d_m or rest_corners_m")
        rest_corners_m = np.asarray(rest_2d_m, np.float64)[faces]
    basis, areas = rest_geometry(np.asarray(rest_corners_m, np.float64))
    live = np.linalg.norm(np.cross(start[faces[:, 1]] - start[faces[:, 0]], start[faces[:, 2]] - start[faces[:, 0]]),
                          axis=1)
    keep = (live > 1e-12) & (areas > 1e-12)   # newton drops degenerate triangles: drop them first, same order
    faces, basis, areas, rest_corners_m = faces[keep], basis[keep], areas[keep], rest_corners_m[keep]
    b = newton.ModelBuilder(up_axis=newton.Axis.Y, gravity=(0.0, -9.81, 0.0))
    b.add_cloth_mesh(pos=wp.vec3(0.0, 0.0, 0.0), rot=wp.quat_identity(), scale=1.0, vel=wp.vec3(0.0, 0.0, 0.0),
                     vertices=[wp.vec3(*p) for p in start], indices=faces.astype(np.int32).ravel().tolist(),
                     density=params.mass_per_area, tri_ke=params.stretch_ke, tri_ka=params.area_ka,
                     tri_kd=1e-5 * params.stretch_ke, edge_ke=BEND_SCALE * params.bending_rigidity,
                     edge_kd=1e-3 * BEND_SCALE * params.bending_rigidity, particle_radius=particle_radius)
    if len(b.tri_indices) != len(faces):
        raise RuntimeError(f"newton kept {len(b.tri_indices)} of {len(faces)} triangles")
    # rest shape = the flat pattern (as newton's USD importer does for authored rest shapes): poses, areas,
    # masses from the flat areas, bending rest lengths from the flat edges and rest angles flat
    b.tri_poses = np.linalg.inv(basis).tolist()
    start_basis = _canonical_basis(start[faces])
    b.tri_areas = areas.tolist()
    mass = np.bincount(faces.ravel(), weights=np.repeat(areas * params.mass_per_area / 3.0, 3),
                       minlength=len(start))
    mass[np.asarray(pinned, bool)] = 0.0
    b.particle_mass = mass.tolist()
    flat_len: dict[tuple[int, int], float] = {}
    for corner_a, corner_b in ((0, 1), (1, 2), (2, 0)):
        lengths = np.linalg.norm(rest_corners_m[:, corner_b] - rest_corners_m[:, corner_a], axis=1)
        for (i, j), length in zip(np.sort(faces[:, [corner_a, corner_b]], axis=1).tolist(), lengths.tolist()):
            flat_len.setdefault((i, j), length)
    edges = np.asarray(b.edge_indices, np.int64).reshape(-1, 4)
    b.edge_rest_length = [flat_len.get((min(k, m), max(k, m)), 0.0) or float(np.linalg.norm(start[k] - start[m]))
                          for k, m in edges[:, 2:].tolist()]
    b.edge_rest_angle = [0.0] * len(edges)
    # newton's bending energy per edge is 0.5 edge_ke |e| theta²: for a curvature independent of the mesh the
    # stiffness goes as 1/|e| (discrete shells); BEND_SCALE is calibrated on the Cusick mesh (BEND_REF_EDGE_M)
    rest_len = np.maximum(np.asarray(b.edge_rest_length, np.float64), 1e-4)
    ke = BEND_SCALE * params.bending_rigidity * BEND_REF_EDGE_M / rest_len
    b.edge_bending_properties = [(float(k), 1e-3 * float(k)) for k in ke]
    if seam_pairs is not None and len(seam_pairs):
        for i, j in np.asarray(seam_pairs):
            b.add_spring(int(i), int(j), seam_ke, 1.0, 0.0)
        b.spring_rest_length = [0.0] * len(b.spring_rest_length)
    cfg = newton.ModelBuilder.ShapeConfig(mu=params.friction, ke=CONTACT_KE, kd=CONTACT_KD)
    meshes = ([collider] if collider is not None else []) + list(colliders)
    for verts, tris in meshes:
        b.add_shape_mesh(-1, mesh=newton.Mesh(np.asarray(verts, np.float32), np.asarray(tris, np.int32).ravel()),
                         cfg=cfg)
    if floor:
        b.add_ground_plane(cfg=cfg)
    b.color(include_bending=True)
    model = b.finalize(device=_device(wp))
    model.soft_contact_ke, model.soft_contact_kd, model.soft_contact_mu = CONTACT_KE, CONTACT_KD, params.friction
    pipeline = (newton.CollisionPipeline(model, broad_phase="nxn", soft_contact_gap=CONTACT_GAP_M)
                if meshes or floor else None)
    solver = newton.solvers.SolverVBD(model, iterations=iterations, collision_pipeline=pipeline)
    s0, s1, control = model.state(), model.state(), model.control()
    dt = 1.0 / 60.0 / substeps
    prev = start.copy()
    settled, frame = False, 0
    for frame in range(1, frames_max + 1):
        if frame <= ramp_frames:   # the rest shape goes from the start shape to the flat pattern: no sudden pull
            a = frame / ramp_frames
            model.tri_poses.assign(np.linalg.inv((1 - a) * start_basis + a * basis).astype(np.float32))
        for _ in range(substeps):
            s0.clear_forces()
            solver.step(s0, s1, control, None, dt)
            s0, s1 = s1, s0
        q = s0.particle_q.numpy().astype(np.float64)
        moved = np.linalg.norm(q - prev, axis=1)
        prev = q
        if on_frame is not None:
            on_frame(frame, frames_max)
        if frame > max(MIN_FRAMES, ramp_frames) and np.quantile(moved, 1.0 - SETTLE_FRACTION) < SETTLE_M_PER_FRAME:
            settled = True
            break
    return DrapeResult(vertices=prev, frames=frame, settled=settled, seconds=time.perf_counter() - t0,
                       device=_device(wp), stats={"cpu_seconds": time.process_time() - c0})


def _quality(quality: str) -> tuple[int, int, int]:
    if quality not in QUALITY:
        raise ValidationError(f"quality {quality!r} is not one of {sorted(QUALITY)}")
    return QUALITY[quality]


# ---- measurements ----------------------------------------------------------------------------------------------

def edge_strain(rest_2d_m: np.ndarray, faces: np.ndarray, verts_m: np.ndarray) -> np.ndarray:
    """Per-edge strain |l/l0 - 1| (E,) against the flat pattern."""
    e = np.unique(np.sort(np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]), axis=1), axis=0)
    l0 = np.linalg.norm(rest_2d_m[e[:, 0]] - rest_2d_m[e[:, 1]], axis=1)
    l1 = np.linalg.norm(verts_m[e[:, 0]] - verts_m[e[:, 1]], axis=1)
    return np.abs(l1 / np.maximum(l0, 1e-9) - 1.0)


def projected_area(verts_m: np.ndarray, faces: np.ndarray, cell_m: float = 0.002) -> float:
    """Area (m²) of the union of the triangles projected on the floor (XZ), rasterised on a ``cell_m`` grid."""
    xz = verts_m[:, [0, 2]]
    lo, hi = xz.min(0), xz.max(0)
    gx = np.arange(lo[0], hi[0] + cell_m, cell_m)
    gz = np.arange(lo[1], hi[1] + cell_m, cell_m)
    covered = np.zeros((len(gx), len(gz)), bool)
    for a, b, c in xz[faces]:
        mn, mx = np.minimum(np.minimum(a, b), c), np.maximum(np.maximum(a, b), c)
        ix = np.flatnonzero((gx >= mn[0]) & (gx <= mx[0]))
        iz = np.flatnonzero((gz >= mn[1]) & (gz <= mx[1]))
        if not len(ix) or not len(iz):
            continue
        px, pz = np.meshgrid(gx[ix], gz[iz], indexing="ij")
        v0, v1 = b - a, c - a
        d = v0[0] * v1[1] - v0[1] * v1[0]
        if abs(d) < 1e-14:
            continue
        wx, wz = px - a[0], pz - a[1]
        u = (wx * v1[1] - wz * v1[0]) / d
        v = (v0[0] * wz - v0[1] * wx) / d
        inside = (u >= 0) & (v >= 0) & (u + v <= 1)
        covered[np.ix_(ix, iz)] |= inside
    return float(covered.sum() * cell_m * cell_m)


def disc_mesh(radius_m: float = 0.15, edge_m: float = 0.015) -> tuple[np.ndarray, np.ndarray]:
    """A disc of concentric rings, Delaunay-triangulated: points (N, 2) m, faces (F, 3)."""
    spatial = require("scipy.spatial", "body")
    pts = [np.zeros((1, 2))]
    for r in np.arange(edge_m, radius_m + 1e-9, edge_m):
        n = max(6, round(float(2 * np.pi * r / edge_m)))
        a = np.linspace(0, 2 * np.pi, n, endpoint=False) + (r / edge_m) * 0.5
        pts.append(np.c_[r * np.cos(a), r * np.sin(a)])
    p = np.concatenate(pts)
    return p, spatial.Delaunay(p).simplices.astype(np.int32)


def cusick(params: ClothParams, *, edge_m: float = 0.015, quality: str = "draft") -> tuple[float, DrapeResult]:
    """Simulated Cusick drape test: a 30 cm disc clamped on an 18 cm pedestal. Returns (drape coefficient, run)."""
    p2, faces = disc_mesh(0.15, edge_m)
    r = np.linalg.norm(p2, axis=1)
    # small out-of-plane ripple (4 lobes, 1 mm) breaks the symmetry so the skirt of the disc folds
    ang = np.arctan2(p2[:, 1], p2[:, 0])
    y = 0.001 * np.clip(r - 0.09, 0, None) / 0.06 * np.cos(4 * ang)
    start = np.c_[p2[:, 0], 0.5 + y, p2[:, 1]]
    run = simulate(p2, faces, start, params, pinned=r <= 0.09 + 1e-6, quality=quality)
    return drape_coefficient(projected_area(run.vertices, faces)), run


# ---- garments on a body (the ClothDraper port) ---------------------------------------------------------------

DRAPER_VERSION = "newton-draper-5"   # bump when the welding, pinning, collider or settling rules change
SEAM_KE = 1.0e6   # N/m: zero-length springs of the seams the wrap leaves open


def weld_labels(n: int, seam_pairs: np.ndarray) -> np.ndarray:
    """(N,) index of each render vertex in the welded sim topology: seam partners (and chains of them, at corners)
    share one sim vertex."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    pairs = np.asarray(seam_pairs, np.int64).reshape(-1, 2)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    _, label = np.unique(label, return_inverse=True)   # compact, in order of first appearance of each group
    return label.astype(np.int64)


def release_gathered(pinned: np.ndarray, sewn: np.ndarray) -> np.ndarray:
    """(N,) ``pinned`` less the pinned vertices that share one free stitch partner with another pinned vertex. A
    band sewn on a held line with fewer vertices than it (the T-shirt's neckband: 8 vertices on an 11-vertex
    neckline) pairs one band vertex with two neckline vertices; held apart by their pins they left the seam 11 mm
    open. Released, the stitches gather them onto the band (the line stays held by its other vertices)."""
    out = np.asarray(pinned, bool).copy()
    p = np.asarray(sewn, np.int64).reshape(-1, 2)
    one = p[out[p[:, 0]] != out[p[:, 1]]]
    held = np.where(out[one[:, 0]], one[:, 0], one[:, 1])
    free = np.where(out[one[:, 0]], one[:, 1], one[:, 0])
    shared = np.bincount(free, minlength=len(out)) >= 2
    out[held[shared[free]]] = False
    return out


def crop_collider(verts: np.ndarray, faces: np.ndarray, around: np.ndarray,
                  margin: float = COLLIDER_MARGIN_M) -> tuple[np.ndarray, np.ndarray]:
    """The triangles of a mesh with a vertex within ``margin`` (m) of the bounding box of ``around`` (P, 3), with
    their vertices re-indexed: a smaller collision mesh for a garment that covers part of the body."""
    lo, hi = around.min(0) - margin, around.max(0) + margin
    inside = ((verts >= lo) & (verts <= hi)).all(1)
    kept = faces[inside[faces].any(1)]
    used, inverse = np.unique(kept.ravel(), return_inverse=True)
    return np.asarray(verts[used], np.float32), inverse.reshape(-1, 3).astype(np.int32)


def split_parts(verts: np.ndarray, faces: np.ndarray, parts: dict[str, np.ndarray]
                ) -> list[tuple[np.ndarray, np.ndarray]]:
    """The body as one collision mesh per part (torso, arms, legs, head): the solver keeps one contact per cloth
    vertex and mesh, so in an armpit or at the crotch a vertex pushed out of one part must still meet the other.
    Each triangle goes to the part of its first vertex (parts may overlap: the first listed wins)."""
    owner = np.full(len(verts), -1)
    for k, mask in enumerate(parts.values()):
        owner[(owner < 0) & np.asarray(mask, bool)] = k
    tri_owner = owner[faces[:, 0]]
    out = [(verts, faces[tri_owner == k]) for k in range(len(parts))]
    rest = faces[tri_owner < 0]
    return [(v, f) for v, f in [*out, (verts, rest)] if len(f)]


class NewtonDraper:
    """:class:`fw_kernel.ports.ClothDraper` on newton's VBD solver.

    Per garment, innermost first: the sewing module's solver input (:func:`fw_kernel.sewing.assemble.sim_input`)
    is welded along its seams (seam partners become one sim vertex), its rest shape is each triangle's flat
    pattern shape, its fabric the catalog's ``physical`` block (:func:`fw_kernel.domain.cloth.cloth_params`), its
    attachment line (:func:`fw_kernel.sewing.attach.attachment`) pinned; it collides with the body (one mesh per
    body part, each cropped to the garment's reach), the floor and the garments draped before it, and runs
    until settled or the step limit of ``quality``. The mesh's edge length is the garment's own (the caller sews it at
    ``sewing.assemble.QUALITY_EDGE_CM[quality]``).
    """

    def __init__(self) -> None:
        self.last_runs: list[DrapeResult] = []   # how the latest drape went, per garment (benchmarks read it)

    def version(self) -> str:
        # read from the installed distributions: every scene with garments asks (for its drape key), and importing
        # warp and newton for that would cost each kernel seconds
        from importlib.metadata import PackageNotFoundError
        from importlib.metadata import version as dist_version

        try:
            solver = f"newton-{dist_version('newton')}/warp-{dist_version('warp-lang')}"
        except PackageNotFoundError:
            require("newton", "drape")   # the clear "install the drape extra" error
            raise
        return f"{DRAPER_VERSION}/{solver}/{MAPPING_VERSION}"

    def drape(self, body: Any, garments: Sequence[tuple[Any, dict[str, Any]]], quality: str,
              progress: Callable[[float, str], None] | None = None,
              cancelled: Callable[[], bool] | None = None) -> list[Any]:
        _quality(quality)
        from fw_kernel.sewing.assemble import sim_input
        from fw_kernel.sewing.attach import attachment, stitches

        body_v = np.asarray(body.vertices, np.float64)
        body_f = np.asarray(body.faces, np.int64)
        body_parts = split_parts(body_v, body_f, getattr(body, "parts", {}))
        beneath: list[tuple[np.ndarray, np.ndarray]] = []
        out: list[Any] = []
        self.last_runs = []
        total = max(len(garments), 1)
        for index, (garment, physical) in enumerate(garments):
            if cancelled is not None and cancelled():
                raise DrapeCancelled(f"drape cancelled before {garment.item_id}")
            params = cloth_params(physical)
            sim = sim_input(garment)
            n = len(sim["vertices"])
            label = weld_labels(n, sim["seam_pairs"])
            m = int(label.max()) + 1
            start = np.zeros((m, 3))
            np.add.at(start, label, sim["vertices"])
            start /= np.bincount(label, minlength=m)[:, None]
            pinned = np.zeros(m, bool)
            pinned[label[attachment(garment)]] = True
            sewn = label[stitches(garment)]   # seams the wrap did not weld (gathered, eased, bands): springs
            sewn = np.unique(np.sort(sewn[sewn[:, 0] != sewn[:, 1]], axis=1), axis=0)
            pinned = release_gathered(pinned, sewn)
            corners = np.asarray(sim["uv_cm"], np.float64)[sim["faces"]] / 100.0
            name = garment.item_id

            def on_frame(frame: int, limit: int, index: int = index, name: str = name) -> None:
                if cancelled is not None and cancelled():
                    raise DrapeCancelled(f"drape of {name} cancelled at frame {frame}")
                if progress is not None:
                    progress((index + frame / limit) / total, f"draping {name}: frame {frame}/{limit}")

            start = relax_pinned(start, label[sim["faces"]], corners, pinned, body_v, body_f,
                                 CONTACT_RADIUS_M[quality])
            start = lift_pinned(start, label[sim["faces"]], pinned, body_v, body_f, CONTACT_RADIUS_M[quality])
            start = clear_of(start, pinned, beneath, 2.0 * CONTACT_RADIUS_M[quality])
            near = [crop_collider(v, f, start) for v, f in body_parts + beneath]
            run = simulate(None, label[sim["faces"]], start, params, pinned=pinned, seam_pairs=sewn,
                           seam_ke=SEAM_KE, colliders=[c for c in near if len(c[1])], quality=quality,
                           rest_corners_m=corners, floor=True, particle_radius=CONTACT_RADIUS_M[quality],
                           ramp_frames=int(RAMP_FRACTION * QUALITY[quality][0]), on_frame=on_frame)
            solved = np.asarray(run.vertices, np.float64)
            # the body's sharper bumps (the bust's apex, under the arms) poke through between the vertices of
            # 2.5-4.5 cm edges, which collide only at the vertices: those edges are lifted clear, as pins are
            between = between_depth(solved, label[sim["faces"]], body_v, body_f)
            lifted = lift_pinned(solved, label[sim["faces"]], np.ones(m, bool), body_v, body_f, BETWEEN_CLEARANCE_M)
            solved = solved + same_across_seams(lifted - solved, sewn)
            run.stats.update({"between_body_max_mm": float(between.max() * 1000)})
            if beneath:
                # the solver leaves a few vertices of an outer garment under the one beneath (1-2 %, up to 24 mm,
                # varying with the CPU's float rounding): moved out along its normal, as at the start
                under = np.max([layer_depth(v, f, solved, body_v) for v, f in beneath], axis=0)
                run.stats.update({"under_beneath": float((under > 0).sum()),
                                  "under_beneath_p99_mm": float(np.quantile(under, 0.99) * 1000),
                                  "under_beneath_max_mm": float(under.max() * 1000)})
                for _ in range(3):   # a moved vertex may find another nearest sample of the garment beneath
                    solved = clear_of(solved, pinned, beneath, 0.5 * CONTACT_RADIUS_M[quality])
            draped = solved[label].astype(np.float32)
            run.stats.update({"sim_vertices": float(m), "pinned": float(pinned.sum())})
            self.last_runs.append(run)
            out.append(draped)
            beneath.append((draped.astype(np.float64), orient_outward(draped, garment.faces, body_v)))
            if progress is not None:
                progress((index + 1) / total, f"draped {name} ({run.frames} frames, "
                                              f"{'settled' if run.settled else 'step limit'})")
        if progress is not None and not garments:
            progress(1.0, "nothing to drape")
        return out


def body_penetration(body_vertices: np.ndarray, body_faces: np.ndarray, points: np.ndarray) -> np.ndarray:
    """(P,) how deep (m, >= 0) each point lies under the body's surface: the signed distance to the nearest of the
    body's vertices and triangle centres along that sample's normal (0 outside)."""
    return _body_depth(body_vertices, body_faces, points)[0]


def _body_depth(body_vertices: np.ndarray, body_faces: np.ndarray, points: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """(P,) depth under the body's surface (m, >= 0, as :func:`body_penetration`) and (P, 3) the outward normal of
    the nearest body sample."""
    from scipy.spatial import cKDTree

    v = np.asarray(body_vertices, np.float64)
    f = np.asarray(body_faces, np.int64)
    fn = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    vn = np.zeros_like(v)
    for k in range(3):
        np.add.at(vn, f[:, k], fn)
    fn /= np.maximum(np.linalg.norm(fn, axis=1), 1e-12)[:, None]
    vn /= np.maximum(np.linalg.norm(vn, axis=1), 1e-12)[:, None]
    samples = np.concatenate([v, v[f].mean(1)])
    normals = np.concatenate([vn, fn])
    _, nearest = cKDTree(samples).query(np.asarray(points, np.float64))
    depth = ((points - samples[nearest]) * normals[nearest]).sum(1)
    return np.maximum(-depth, 0.0), normals[nearest]


def orient_outward(verts: np.ndarray, faces: np.ndarray, body_vertices: np.ndarray) -> np.ndarray:
    """(F, 3) ``faces`` of a draped garment wound so that every normal points away from the body. The solver
    takes the side of an open collision mesh from its nearest triangle's normal: a panel wound the other way
    (the sewing module's panels are not wound alike) would push a garment above it inwards, through it."""
    from scipy.spatial import cKDTree

    v = np.asarray(verts, np.float64)
    f = np.asarray(faces, np.int64).copy()
    normal = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    centre = v[f].mean(1)
    _, nearest = cKDTree(np.asarray(body_vertices, np.float64)).query(centre)
    inward = ((centre - np.asarray(body_vertices, np.float64)[nearest]) * normal).sum(1) < 0
    f[inward] = f[inward][:, ::-1]
    return f


def clear_of(start: np.ndarray, pinned: np.ndarray, under: Sequence[tuple[np.ndarray, np.ndarray]],
             clearance: float, reach: float = 0.05) -> np.ndarray:
    """(N, 3) start positions (m) with the free vertices that the sewing module's wrap put under a garment
    beneath (it fits every garment on the body, not on each other) moved out along that garment's normal to
    ``clearance`` (m) above it. ``under``: draped garments (vertices, faces wound outward by
    :func:`orient_outward`); only points within ``reach`` (m) of one move (beyond its edge the nearest sample's
    normal says nothing)."""
    from scipy.spatial import cKDTree

    out = np.asarray(start, np.float64).copy()
    free = ~np.asarray(pinned, bool)
    for verts, tris in under:
        v = np.asarray(verts, np.float64)
        depth, normal = _body_depth(v, tris, out)
        dist, _ = cKDTree(np.concatenate([v, v[np.asarray(tris)].mean(1)])).query(out)
        move = free & (depth > 0) & (dist < reach)
        out[move] += normal[move] * (depth[move] + clearance)[:, None]
    return out


def layer_depth(inner_vertices: np.ndarray, inner_faces: np.ndarray, points: np.ndarray,
                body_vertices: np.ndarray, reach: float = 0.03) -> np.ndarray:
    """(P,) how deep (m, >= 0) each point (of a garment worn over another) lies under the garment beneath
    (``inner_vertices`` m, ``inner_faces``), as :func:`body_penetration` with the inner garment's faces wound
    away from the body; 0 for points further than ``reach`` (m) from it (beyond its edges)."""
    from scipy.spatial import cKDTree

    v = np.asarray(inner_vertices, np.float64)
    f = orient_outward(v, inner_faces, body_vertices)
    depth, _ = _body_depth(v, f, np.asarray(points, np.float64))
    dist, _ = cKDTree(np.concatenate([v, v[f].mean(1)])).query(np.asarray(points, np.float64))
    return np.where(dist < reach, depth, 0.0)


def between_depth(verts: np.ndarray, faces: np.ndarray, body_vertices: np.ndarray, body_faces: np.ndarray
                  ) -> np.ndarray:
    """(3F + F,) depth (m, >= 0) under the body of the edge midpoints and triangle centres of a garment
    ``verts`` (N, 3) m, ``faces`` (F, 3): where the body shows through between the vertices."""
    f = np.asarray(faces, np.int64)
    v = np.asarray(verts, np.float64)
    between = np.concatenate([0.5 * (v[f[:, a]] + v[f[:, b]]) for a, b in ((0, 1), (1, 2), (2, 0))] + [v[f].mean(1)])
    return body_penetration(body_vertices, body_faces, between)


def same_across_seams(moves: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """(N, 3) ``moves`` (m) with all the vertices sewn together through stitched pairs ``pairs`` (P, 2) (a
    gathered seam joins several) given the largest of their moves, so that moving the cloth opens no seam."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    out = np.asarray(moves, np.float64).copy()
    p = np.asarray(pairs, np.int64).reshape(-1, 2)
    if not len(p):
        return out
    n = len(out)
    _, comp = connected_components(coo_matrix((np.ones(len(p)), (p[:, 0], p[:, 1])), shape=(n, n)), directed=False)
    size = np.linalg.norm(out, axis=1)
    order = np.lexsort((size, comp))          # by component, the largest move last
    last = np.r_[comp[order][1:] != comp[order][:-1], True]
    biggest = np.empty(comp.max() + 1, np.int64)
    biggest[comp[order][last]] = order[last]
    return out[biggest[comp]]


def relax_pinned(start: np.ndarray, faces: np.ndarray, rest_corners_m: np.ndarray, pinned: np.ndarray,
                 body_vertices: np.ndarray, body_faces: np.ndarray, clearance: float, rounds: int = 120
                 ) -> np.ndarray:
    """(N, 3) start positions (m) with the pinned vertices slid over the body until no edge between two of them
    is longer than on the flat pattern (``rest_corners_m`` (F, 3, 2) m, each face's corners).

    The wrap places the panels by height and by angle around the body; over the shoulders, where the body turns
    in towards the neck, that spreads the attachment line: on the A-line dress a neckline edge of 2.2 cm on the
    pattern started 10 cm long, and pinned, it held the bodice above the bust stretched 30 % (p90) through the
    whole solve. Edges are only shortened (a line slack on the pattern stays as placed); each round moves the
    vertices by the mean of their edges' corrections (Jacobi) and pushes any that went under the body back out
    along its normal to ``clearance`` (m)."""
    from scipy.spatial import cKDTree

    out = np.asarray(start, np.float64).copy()
    f = np.asarray(faces, np.int64)
    pin = np.asarray(pinned, bool)
    rest = np.asarray(rest_corners_m, np.float64)
    e = np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]])
    l0 = np.concatenate([np.linalg.norm(rest[:, a] - rest[:, b], axis=1) for a, b in ((0, 1), (1, 2), (2, 0))])
    keep = pin[e[:, 0]] & pin[e[:, 1]] & (e[:, 0] != e[:, 1])
    e, l0 = e[keep], l0[keep]
    if not len(e):
        return out
    bv = np.asarray(body_vertices, np.float64)
    bf = np.asarray(body_faces, np.int64)
    fn = np.cross(bv[bf[:, 1]] - bv[bf[:, 0]], bv[bf[:, 2]] - bv[bf[:, 0]])
    fn /= np.maximum(np.linalg.norm(fn, axis=1), 1e-12)[:, None]
    samples, normals = bv[bf].mean(1), fn
    tree = cKDTree(samples)
    count = np.bincount(e.ravel(), minlength=len(out)).astype(np.float64)
    for _ in range(rounds):
        d = out[e[:, 1]] - out[e[:, 0]]
        length = np.linalg.norm(d, axis=1)
        excess = np.maximum(length - l0, 0.0)
        if excess.max() < 1e-4:
            break
        corr = (0.5 * excess / np.maximum(length, 1e-12))[:, None] * d
        delta = np.zeros_like(out)
        np.add.at(delta, e[:, 0], corr)
        np.add.at(delta, e[:, 1], -corr)
        moved = count > 0
        out[moved] += delta[moved] / count[moved, None]
        idx = np.flatnonzero(moved)
        _, near = tree.query(out[idx])
        depth = ((out[idx] - samples[near]) * normals[near]).sum(1)
        under = depth < clearance
        out[idx[under]] += normals[near[under]] * (clearance - depth[under])[:, None]
    return out


def lift_pinned(start: np.ndarray, faces: np.ndarray, pinned: np.ndarray, body_vertices: np.ndarray,
                body_faces: np.ndarray, clearance: float, rounds: int = 3) -> np.ndarray:
    """(N, 3) start positions (m) with the pinned vertices moved out along the body's normal until they and the
    midpoints of their edges lie ``clearance`` (m) outside the body. The solver keeps free vertices a contact
    thickness off the body but never moves pinned ones, and the attachment line's edges are long at draft (a
    neckline edge spans up to 10 cm): the body's curve bulged through between its vertices (8 mm at the neck)."""
    out = np.asarray(start, np.float64).copy()
    f = np.asarray(faces, np.int64)
    e = np.unique(np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1), axis=0)
    pin = np.flatnonzero(pinned)
    if not len(pin):
        return out
    e = e[pinned[e[:, 0]] | pinned[e[:, 1]]]
    for _ in range(rounds):   # a pushed vertex moves its edges' midpoints only half as far: repeat
        depth_v, normal_v = _body_depth(body_vertices, body_faces, out[pin])
        need = np.zeros(len(out))
        need[pin] = depth_v + clearance * (depth_v > 0)
        mid = 0.5 * (out[e[:, 0]] + out[e[:, 1]])
        depth_m, _ = _body_depth(body_vertices, body_faces, mid)
        short = np.where(depth_m > 0, 2.0 * depth_m + clearance, 0.0)   # two pinned ends: each moves it half
        for k in (0, 1):
            np.maximum.at(need, e[:, k], short * pinned[e[:, k]])
        push = need[pin]
        if not (push > 1e-5).any():
            break
        out[pin] += normal_v * push[:, None]
    return out


def seam_line_gap(faces: np.ndarray, verts: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """(S,) for each vertex of a seam (those in ``pairs``, in sorted order), its distance (m) to the other side's
    seam line: the nearest of its partners and the seam edges (panel-outline edges between two seam vertices)
    running from them. Where a gathered or eased side has more vertices than the other, several of its vertices
    share one partner, and when they are held apart (pinned on a neckline) the partner cannot sit on all of them:
    they are sewn if they lie on the other side's seam line, between its vertices."""
    f = np.asarray(faces, np.int64)
    p = np.asarray(pairs, np.int64).reshape(-1, 2)
    on_seam = np.zeros(len(verts), bool)
    on_seam[p.ravel()] = True
    e = np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1)
    uniq, count = np.unique(e, axis=0, return_counts=True)
    border = uniq[(count == 1) & on_seam[uniq[:, 0]] & on_seam[uniq[:, 1]]]   # the render mesh is not welded
    nbrs: dict[int, list[int]] = {}
    for a, b in border.tolist():
        nbrs.setdefault(a, []).append(b)
        nbrs.setdefault(b, []).append(a)
    partners: dict[int, set[int]] = {}
    for a, b in p.tolist():
        partners.setdefault(a, set()).add(b)
        partners.setdefault(b, set()).add(a)
    v = np.asarray(verts, np.float64)
    out = []
    for a in sorted(partners):
        best = np.inf
        for b in partners[a]:
            best = min(best, float(np.linalg.norm(v[a] - v[b])))
            for c in nbrs.get(b, []):
                seg = v[c] - v[b]
                t = float(np.clip(np.dot(v[a] - v[b], seg) / max(float(np.dot(seg, seg)), 1e-18), 0.0, 1.0))
                best = min(best, float(np.linalg.norm(v[a] - v[b] - t * seg)))
        out.append(best)
    return np.asarray(out)


def garment_figures(body: Any, garment: Any, draped: np.ndarray) -> dict[str, float]:
    """Max body penetration (mm), max seam gap (mm: welded seams and the stitches of the others, each vertex's
    distance to its partner's seam line, :func:`seam_line_gap`; ``seam_pair_gap_mm`` the distance between the
    paired vertices themselves), stretch p50/p90 against the flat pattern (%)."""
    from fw_kernel.sewing.assemble import sim_input
    from fw_kernel.sewing.attach import stitches

    sim = sim_input(garment)
    pairs = np.concatenate([np.asarray(sim["seam_pairs"], np.int64).reshape(-1, 2), stitches(garment)])
    pair_gap = np.linalg.norm(draped[pairs[:, 0]] - draped[pairs[:, 1]], axis=1) if len(pairs) else np.zeros(1)
    gap = seam_line_gap(garment.faces, draped, pairs) if len(pairs) else np.zeros(1)
    strain = edge_strain(np.asarray(sim["uv_cm"], np.float64) / 100.0, np.asarray(sim["faces"]),
                         np.asarray(draped, np.float64))
    start_strain = edge_strain(np.asarray(sim["uv_cm"], np.float64) / 100.0, np.asarray(sim["faces"]),
                               np.asarray(sim["vertices"], np.float64))
    pen = body_penetration(body.vertices, body.faces, draped)
    # between the vertices: where the body's curve bulges through a long edge (edge midpoints, triangle centres)
    pen_between = between_depth(draped, garment.faces, body.vertices, body.faces)
    return {"penetration_mm": float(pen.max() * 1000), "penetration_p99_mm": float(np.quantile(pen, 0.99) * 1000),
            "penetration_between_mm": float(pen_between.max() * 1000),
            "seam_gap_mm": float(gap.max() * 1000), "seam_pair_gap_mm": float(pair_gap.max() * 1000),
            "stretch_p50_pct": float(np.quantile(strain, 0.5) * 100),
            "stretch_p90_pct": float(np.quantile(strain, 0.9) * 100),
            "start_stretch_p90_pct": float(np.quantile(start_strain, 0.9) * 100),
            "vertices": float(len(draped))}
