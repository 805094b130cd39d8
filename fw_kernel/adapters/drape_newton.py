"""Cloth drape on NVIDIA ``newton``'s VBD solver (warp; CPU here, CUDA when present). The only module importing
newton/warp for cloth.

Rest shape: each panel's 2D pattern coordinates (cm -> m), so stretch is measured against the flat fabric.
Start: the sewing module's 3D placement (on the collision-free fitting surfaces). Seams: zero-length springs
between seam vertex pairs, closed by the solver. Attachments: pinned (zero-mass) vertices (the waist/shoulder
line of a garment, the clamped centre of a Cusick disc). The body is a static collision mesh (metres, Y up).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fw_kernel.adapters.require_ import require_driver as require
from fw_kernel.domain.cloth import ClothParams, drape_coefficient

# draft / standard / high: frames at 60 fps (the step limit), substeps per frame, VBD iterations
QUALITY = {"draft": (90, 5, 8), "standard": (180, 8, 10), "high": (300, 10, 15)}
SETTLE_M_PER_FRAME = 0.0003   # settled when all but SETTLE_FRACTION of vertices move less than 0.3 mm per frame
SETTLE_FRACTION = 0.015
# bending stiffness per unit bending rigidity: newton's edge_ke is an energy scale (N·m per rad²); calibrated
# on the Cusick test so that the catalog's bending lengths give published drape coefficients
BEND_SCALE = 3.0e4


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


def simulate(rest_2d_m: np.ndarray, faces: np.ndarray, start_m: np.ndarray, params: ClothParams, *,
             pinned: np.ndarray, seam_pairs: np.ndarray | None = None, collider: tuple[np.ndarray, np.ndarray]
             | None = None, quality: str = "draft", seam_ke: float = 2.0e3) -> DrapeResult:
    """Run VBD until settled or the step limit.

    Parameters
    ----------
    rest_2d_m : (N, 2) rest (flat pattern) coordinates, m
    faces : (F, 3) triangles
    start_m : (N, 3) initial positions, m, Y up
    pinned : (N,) bool, vertices held in place
    seam_pairs : (P, 2) vertex pairs sewn together
    collider : static body mesh (vertices (V, 3) m, faces (G, 3))
    """
    wp = _warp()
    newton = require("newton", "drape")
    if quality not in QUALITY:
        from fw_kernel.domain.errors import ValidationError
        raise ValidationError(f"quality {quality!r} is not one of {sorted(QUALITY)}")
    frames_max, substeps, iterations = QUALITY[quality]
    t0 = time.perf_counter()
    b = newton.ModelBuilder(up_axis=newton.Axis.Y, gravity=(0.0, -9.81, 0.0))
    flat = np.c_[rest_2d_m, np.zeros(len(rest_2d_m))]
    b.add_cloth_mesh(pos=wp.vec3(0.0, 0.0, 0.0), rot=wp.quat_identity(), scale=1.0, vel=wp.vec3(0.0, 0.0, 0.0),
                     vertices=[wp.vec3(*p) for p in flat], indices=np.asarray(faces, np.int32).ravel().tolist(),
                     density=params.mass_per_area, tri_ke=params.stretch_ke, tri_ka=params.area_ka,
                     tri_kd=1e-5 * params.stretch_ke, edge_ke=BEND_SCALE * params.bending_rigidity,
                     edge_kd=1e-3 * BEND_SCALE * params.bending_rigidity, particle_radius=0.002)
    for i in np.flatnonzero(pinned):
        b.particle_mass[int(i)] = 0.0
    start = np.asarray(start_m, np.float64)
    b.particle_q = [wp.vec3(*p) for p in start]
    if seam_pairs is not None and len(seam_pairs):
        for i, j in np.asarray(seam_pairs):
            b.add_spring(int(i), int(j), seam_ke, 1.0, 0.0)
        b.spring_rest_length = [0.0] * len(b.spring_rest_length)
    if collider is not None:
        cfg = newton.ModelBuilder.ShapeConfig(mu=params.friction, ke=1e4, kd=1e-2)
        b.add_shape_mesh(-1, mesh=newton.Mesh(np.asarray(collider[0], np.float32),
                                              np.asarray(collider[1], np.int32).ravel()), cfg=cfg)
    b.color(include_bending=True)
    model = b.finalize(device=_device(wp))
    model.soft_contact_ke, model.soft_contact_kd, model.soft_contact_mu = 1e4, 1e-2, params.friction
    pipeline = newton.CollisionPipeline(model, broad_phase="nxn", soft_contact_gap=0.004) if collider else None
    solver = newton.solvers.SolverVBD(model, iterations=iterations, collision_pipeline=pipeline)
    s0, s1, control = model.state(), model.state(), model.control()
    dt = 1.0 / 60.0 / substeps
    prev = start.copy()
    settled, frame = False, 0
    for frame in range(1, frames_max + 1):
        for _ in range(substeps):
            s0.clear_forces()
            solver.step(s0, s1, control, None, dt)
            s0, s1 = s1, s0
        q = s0.particle_q.numpy().astype(np.float64)
        moved = np.linalg.norm(q - prev, axis=1)
        prev = q
        if frame > 10 and np.quantile(moved, 1.0 - SETTLE_FRACTION) < SETTLE_M_PER_FRAME:
            settled = True
            break
    return DrapeResult(vertices=prev, frames=frame, settled=settled, seconds=time.perf_counter() - t0,
                       device=_device(wp))


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
