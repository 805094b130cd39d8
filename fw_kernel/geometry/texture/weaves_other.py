"""Non-woven fabric surfaces: knit (jersey), leather, lace, velvet and a flat ``none``.

Every field is built on whole cells of the tile (or on noise lattices that wrap with it), so it is seamless.

Generator contract (also :func:`fw_kernel.geometry.texture.weaves_woven.woven`)::

    generator(size, scale, seed) -> SurfaceFields

``size`` is the tile (H, W) in pixels, ``scale`` the feature size multiplier (> 0; 2 = stitches, grains, motifs
twice as large), ``seed`` an int >= 0. Every array of the returned :class:`SurfaceFields` has shape (H, W), float64.
Feature sizes at scale 1 are fractions of ``min(H, W)``, so a larger tile gives the same look at a finer resolution.
"""

from __future__ import annotations

import numpy as np

from .lattice import fractal_noise, hash01
from .surface import SurfaceFields, cell_count, grid, smoothstep, tile_noise

OTHER: tuple[str, ...] = ("knit", "leather", "lace", "velvet", "none")


def _segment_distance(px: np.ndarray, py: np.ndarray, a: tuple[float, float], b: tuple[float, float]
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Distance from points to the segment a-b and the position along it in [0, 1]."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    k = np.clip(((px - a[0]) * dx + (py - a[1]) * dy) / (dx * dx + dy * dy), 0.0, 1.0)
    return np.hypot(px - a[0] - k * dx, py - a[1] - k * dy), k


def knit(size: tuple[int, int], scale: float, seed: int) -> SurfaceFields:
    """Single jersey face: columns (wales) of V-shaped stitches, each V two plump slanted loop legs."""
    stitch_px = min(size) * scale / 24
    cells = (cell_count(size[0], stitch_px * 0.75), cell_count(size[1], stitch_px))
    x, y = grid(size, cells)
    fx, fy = x - np.floor(x), y - np.floor(y)
    height = np.zeros(size)
    for dy in (-1.0, 0.0, 1.0):  # legs reach into the courses above and below
        for a, b in (((0.1, -0.2), (0.45, 1.0)), ((0.9, -0.2), (0.55, 1.0))):
            dist, along = _segment_distance(fx, fy - dy, a, b)
            width = 0.27 * (0.45 + 0.55 * np.sin(np.pi * along) ** 0.7)
            leg = np.sqrt(np.clip(1.0 - (dist / width) ** 2, 0.0, 1.0)) * (0.7 + 0.3 * np.sin(np.pi * along))
            height = np.maximum(height, leg)
    course = hash01(np.floor(y).astype(np.int64) % cells[0], 0, seed, salt=5)
    fuzz = tile_noise(x, y, cells, 3, seed, salt=6)
    shade = (0.62 + 0.38 * height) * (1 + 0.06 * (course - 0.5)) * (1 + 0.08 * (fuzz - 0.5))
    zeros = np.zeros(size)
    return SurfaceFields(height, shade, zeros, 0.3 * height, np.ones(size), depth_px=0.35 * stitch_px)


def leather(size: tuple[int, int], scale: float, seed: int) -> SurfaceFields:
    """Pebble grain: a periodic cellular (Worley) pattern of rounded grains split by creases, plus pores."""
    grain_px = min(size) * scale / 22
    cells = (cell_count(size[0], grain_px), cell_count(size[1], grain_px))
    ny, nx = cells
    x, y = grid(size, cells)
    i0, j0 = np.floor(x).astype(np.int64), np.floor(y).astype(np.int64)
    f1 = np.full(size, np.inf)
    f2 = np.full(size, np.inf)
    for dj in (-1, 0, 1):
        for di in (-1, 0, 1):
            ci, cj = (i0 + di) % nx, (j0 + dj) % ny
            px = i0 + di + 0.15 + 0.7 * hash01(ci, cj, seed, salt=7)
            py = j0 + dj + 0.15 + 0.7 * hash01(ci, cj, seed, salt=8)
            d = np.hypot(x - px, y - py)
            f2 = np.minimum(f2, np.maximum(f1, d))
            f1 = np.minimum(f1, d)
    ridge = smoothstep(0.0, 0.35, f2 - f1)
    pores = tile_noise(x, y, cells, 4, seed, salt=9)
    mottle = tile_noise(x, y, cells, 1, seed, salt=10)
    height = np.clip(ridge * (0.9 - 0.25 * f1) + 0.08 * (pores - 0.5), 0.0, 1.0)
    shade = (0.72 + 0.3 * height) * (1 + 0.16 * (mottle - 0.5))
    return SurfaceFields(height, shade, np.zeros(size), ridge, np.ones(size), depth_px=0.25 * grain_px)


def lace(size: tuple[int, int], scale: float, seed: int) -> SurfaceFields:
    """Lace: a hexagonal tulle net with open holes, and corded flower motifs on a staggered grid."""
    motif_px = min(size) * scale / 3
    cells = (cell_count(size[0], motif_px, 2), cell_count(size[1], motif_px))
    x, y = grid(size, cells)
    # net: holes on a triangular lattice, 8 x 8 per motif cell (every other row shifted by half a hole)
    hx, hy = x * 8, y * 8 * 1.0
    row = np.floor(hy)
    hx = hx + 0.5 * (row % 2)
    dh = np.hypot(hx - np.floor(hx) - 0.5, hy - row - 0.5)
    net = smoothstep(0.34, 0.44, dh)
    # motifs: flower in each cell, every other row of cells shifted by half a cell
    cy = np.floor(y)
    mx = x + 0.5 * (cy % 2)
    px, py = mx - np.floor(mx) - 0.5, y - cy - 0.5
    r = np.hypot(px, py)
    petals = 0.28 + 0.1 * np.abs(np.cos(3 * np.arctan2(py, px)))
    solid = smoothstep(0.015, 0.0, r - petals)
    eyes = smoothstep(0.0, 0.015, np.hypot(px, py) - 0.07)
    cord = np.exp(-(((r - petals) / 0.02) ** 2)) + np.exp(-(((r - 0.1) / 0.018) ** 2))
    fill = solid * eyes
    alpha = np.clip(np.maximum(net, fill) + cord, 0.0, 1.0)
    weave = tile_noise(x, y, cells, 24, seed, salt=11)
    height = np.clip(0.45 * net * (1 - fill) + 0.35 * fill * (0.8 + 0.2 * weave) + 0.9 * np.clip(cord, 0, 1), 0.0, 1.0)
    shade = 0.78 + 0.28 * height
    return SurfaceFields(height, shade, np.zeros(size), 0.3 * cord.clip(0, 1), alpha, depth_px=0.02 * motif_px)


def velvet(size: tuple[int, int], scale: float, seed: int) -> SurfaceFields:
    """Velvet: dense short pile (fine grain) whose tips catch light unevenly (soft crushed patches)."""
    patch_px = min(size) * scale / 3
    cells = (cell_count(size[0], patch_px), cell_count(size[1], patch_px))
    x, y = grid(size, cells)
    matrix = np.array([[cells[1], 0], [0, cells[0]]], dtype=np.int64)
    crush = fractal_noise(x, y, matrix, seed, salt=12, octaves=4)
    crush = smoothstep(0.25, 0.75, crush)
    pile = tile_noise(x, y, cells, 60, seed, salt=14)
    height = np.clip(0.8 * crush + 0.2 * pile, 0.0, 1.0)
    shade = 0.7 + 0.5 * crush + 0.08 * (pile - 0.5)
    return SurfaceFields(height, shade, np.zeros(size), crush, np.ones(size), depth_px=0.06 * patch_px)


def flat(size: tuple[int, int], scale: float, seed: int) -> SurfaceFields:
    """No weave: uniform colour, flat normal, constant roughness."""
    zeros, ones = np.zeros(size), np.ones(size)
    return SurfaceFields(zeros, ones, zeros, zeros, ones, depth_px=0.0)


GENERATORS = {"knit": knit, "leather": leather, "lace": lace, "velvet": velvet, "none": flat}
