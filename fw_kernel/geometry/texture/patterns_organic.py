"""Organic pattern shaders: floral, paisley and camouflage (stylised, deterministic for a seed, tileable).

Motifs sit at two slots per repeat cell (a half-drop layout) with per-cell random jitter, size and turn drawn from
:func:`fw_kernel.geometry.texture.lattice.hash01` of the cell's canonical key, so the randomness repeats with the tile.
Each sample looks at the motifs of its own and the 8 neighbouring cells, so motifs may cross cell borders.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .lattice import cell_keys, fractal_noise, hash01
from .pattern_common import PatternContext, fill, paint, rotate

Slots = tuple[tuple[float, float, float], ...]
# slot centre (s, t) in the cell and base turn (radians): paisleys in a half-drop, facing opposite ways
_PAISLEY_SLOTS: Slots = ((0.27, 0.28, 0.0), (0.77, 0.78, np.pi))
# flowers: an irregular-looking spread of three per cell (turns are random anyway)
_FLORAL_SLOTS: Slots = ((0.2, 0.2, 0.0), (0.68, 0.38, 2.0), (0.36, 0.76, 4.0))
MotifPainter = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, PatternContext], None]


def _scatter(s: np.ndarray, t: np.ndarray, ctx: PatternContext, painter: MotifPainter, slots: Slots,
             jitter: float, wobble: float, reach: float) -> np.ndarray:
    """Paint one motif per slot of each of the 3x3 cells around every sample onto a ``palette[1]`` ground.

    ``jitter`` is the random shift of a motif (cell units), ``wobble`` its random turn (radians, full range),
    ``reach`` the radius (cell units) outside which a motif paints nothing: only samples within it are shaded."""
    shape = s.shape
    out = fill(shape, ctx.palette[1]).reshape(-1, 3)
    s, t = s.ravel(), t.ravel()
    i0 = np.floor(s).astype(np.int64)
    j0 = np.floor(t).astype(np.int64)
    for dj in (-1, 0, 1):
        for di in (-1, 0, 1):
            kx, ky = cell_keys(i0 + di, j0 + dj, ctx.matrix)
            for slot, (cx, cy, turn) in enumerate(slots):
                rnd = [hash01(kx, ky, ctx.seed, salt=slot * 8 + n) for n in range(4)]
                x = s - (i0 + di + cx + jitter * (rnd[0] - 0.5))
                y = t - (j0 + dj + cy + jitter * (rnd[1] - 0.5))
                near = np.flatnonzero(x * x + y * y < reach * reach)
                if near.size:
                    patch = out[near]
                    painter(patch, x[near], y[near], rnd[2][near], turn + (rnd[3][near] - 0.5) * wobble, ctx)
                    out[near] = patch
    return out.reshape(*shape, 3)


def _flower(out: np.ndarray, x: np.ndarray, y: np.ndarray, size: np.ndarray, turn: np.ndarray,
            ctx: PatternContext) -> None:
    """Five-petal flower with a contrasting heart and two leaves (``palette[0]``, ``[2]``, ``[3]``)."""
    radius = 0.1 + 0.045 * size
    r = np.hypot(x, y) / radius
    angle = np.arctan2(y, x) + turn
    # leaves: two ellipses about 140 degrees apart, under the petals
    for side in (0.0, 2.45):
        lx, ly = rotate(x, y, turn + side)
        lx = lx / radius - 1.25
        paint(out, (lx / 0.55) ** 2 + (ly / radius / 0.28) ** 2 < 1.0, ctx.palette[3 % len(ctx.palette)])
    petal_edge = 0.55 + 0.45 * np.abs(np.cos(2.5 * angle)) ** 0.7
    paint(out, r < petal_edge, ctx.palette[0])
    paint(out, (r < petal_edge) & (r > 0.93 * petal_edge), ctx.palette[0] * 0.8)
    paint(out, r < 0.26, ctx.palette[2 % len(ctx.palette)])


def floral(s: np.ndarray, t: np.ndarray, ctx: PatternContext) -> np.ndarray:
    """Scattered stylised flowers: ``palette[0]`` petals, ``palette[2]`` hearts, ``palette[3]`` leaves on
    ``palette[1]``."""
    return _scatter(s, t, ctx, _flower, _FLORAL_SLOTS, jitter=0.14, wobble=2 * np.pi, reach=0.3)


def _teardrop(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Boteh (paisley) outline in unit-radius motif coordinates: round body at the origin, tail curling up to
    ``y = -1.7`` and sideways; bool mask."""
    body = x * x + y * y < 1.0
    up = np.clip(-y / 1.7, 0.0, 1.0)
    centre = 0.9 * up**2
    half_width = (1.0 - up) ** 0.9 * np.sqrt(np.clip(1.0 - up * 0.1, 0, 1))
    tail = (y <= 0) & (y > -1.7) & (np.abs(x - centre) < half_width)
    return body | tail


def _paisley(out: np.ndarray, x: np.ndarray, y: np.ndarray, size: np.ndarray, turn: np.ndarray,
             ctx: PatternContext) -> None:
    """Paisley: accent outline, filled body, inner teardrop and a heart dot (``palette[2]``, ``[0]``, ``[3]``)."""
    radius = 0.12 + 0.03 * size
    mx, my = rotate(x, y, turn)
    mx, my = mx / radius, my / radius
    accent = ctx.palette[2 % len(ctx.palette)]
    inner = ctx.palette[3 % len(ctx.palette)]
    paint(out, _teardrop(mx / 1.18, (my + 0.05) / 1.18), accent)
    paint(out, _teardrop(mx, my), ctx.palette[0])
    paint(out, _teardrop((mx + 0.05) / 0.55, (my - 0.15) / 0.55), inner)
    paint(out, (mx + 0.05) ** 2 + (my - 0.2) ** 2 < 0.2**2, accent)
    # a ring of dots around the body
    ring = np.hypot(mx, my)
    spokes = np.abs(np.cos(np.arctan2(my, mx) * 7))
    paint(out, (my > -0.2) & (np.abs(ring - 1.45) < 0.1) & (spokes > 0.8), accent)


def paisley(s: np.ndarray, t: np.ndarray, ctx: PatternContext) -> np.ndarray:
    """Paisley (boteh) motifs in alternating directions on ``palette[1]``."""
    return _scatter(s, t, ctx, _paisley, _PAISLEY_SLOTS, jitter=0.06, wobble=0.6, reach=0.4)


_CAMO_COVER = (0.55, 0.35, 0.2, 0.15, 0.12)  # share of the tile each successive blob layer covers before overlaps


def _layer_noise(s: np.ndarray, t: np.ndarray, ctx: PatternContext, layer: int) -> np.ndarray:
    return fractal_noise(s * 2, t * 2, ctx.matrix * 2, ctx.seed, salt=layer + 1, octaves=3)


def _camo_thresholds(ctx: PatternContext, layers: int) -> list[float]:
    """Noise level above which each layer is painted, so that it covers its share of the whole tile.

    Measured on a fixed 64 x 64 grid over the tile (not on the pixels being shaded), so every row band of a
    chunked render uses the same thresholds."""
    g = (np.arange(64) + 0.5) / 64
    u, v = np.meshgrid(g, g)
    s, t = ctx.matrix[0, 0] * u + ctx.matrix[0, 1] * v, ctx.matrix[1, 0] * u + ctx.matrix[1, 1] * v
    return [float(np.quantile(_layer_noise(s, t, ctx, k), 1 - _CAMO_COVER[k % 5])) for k in range(layers)]


def camo(s: np.ndarray, t: np.ndarray, ctx: PatternContext) -> np.ndarray:
    """Woodland camouflage: irregular blobs of ``palette[0]``, ``[2]``, ``[3]``... layered over ``palette[1]``
    (thresholded fractal value noise, one field per colour; later layers cover less)."""
    out = fill(s.shape, ctx.palette[1])
    order = [0, *range(2, len(ctx.palette))]
    thresholds = _camo_thresholds(ctx, len(order))
    for layer, index in enumerate(order):
        paint(out, _layer_noise(s, t, ctx, layer) > thresholds[layer], ctx.palette[index])
    return out
