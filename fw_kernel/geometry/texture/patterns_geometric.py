"""Geometric pattern shaders: stripes, gingham, polka dots, houndstooth, tartan, herringbone, chevron.

Shader contract: see :mod:`fw_kernel.geometry.texture.pattern_common`. Unit square in ``(s, t)`` = one repeat;
``t`` runs down the (unrotated) image, ``s`` across it.
"""

from __future__ import annotations

import numpy as np

from .pattern_common import PatternContext, fill, frac, paint, pick

# Tartan sett: (palette index, thread count) for half the sett; the full sett mirrors it (symmetric sett).
# 2 * (10 + 3 + 2 + 12 + 3 + 12 + 2) = 88 threads: a multiple of 4, so the 2/2 twill closes on the repeat.
_TARTAN_HALF_SETT: tuple[tuple[int, int], ...] = ((1, 10), (0, 3), (1, 2), (0, 12), (2, 3), (0, 12), (3, 2))


def stripes(s: np.ndarray, t: np.ndarray, ctx: PatternContext) -> np.ndarray:
    """Horizontal stripes. Two colours: ``palette[0]`` stripes ``stripe_ratio`` of the repeat wide on
    ``palette[1]``; K > 2 colours: K equal bands per repeat in palette order."""
    k = len(ctx.palette)
    phase = frac(t)
    if k == 2:
        return pick(ctx.palette, np.where(phase < float(ctx.params.get("stripe_ratio", 0.4)), 0, 1))
    return pick(ctx.palette, np.floor(phase * k))


def gingham(s: np.ndarray, t: np.ndarray, ctx: PatternContext) -> np.ndarray:
    """Even check: bands of ``palette[0]`` crossing at right angles over ``palette[1]``; where one band lies the
    colour is the half-way mix (or ``palette[2]`` if given), where two cross it is the full band colour."""
    band, ground = ctx.palette[0].astype(np.float64), ctx.palette[1].astype(np.float64)
    mid = ctx.palette[2].astype(np.float64) if len(ctx.palette) > 2 else (band + ground) / 2
    hx = frac(s) < 0.5
    hy = frac(t) < 0.5
    out = fill(s.shape, ground)
    paint(out, hx ^ hy, mid)
    paint(out, hx & hy, band)
    return out


def polka_dot(s: np.ndarray, t: np.ndarray, ctx: PatternContext) -> np.ndarray:
    """Round ``palette[0]`` dots on ``palette[1]``: one per repeat, or two (half-drop) when ``staggered``."""
    staggered = bool(ctx.params.get("staggered", True))
    centres = ((0.25, 0.25), (0.75, 0.75)) if staggered else ((0.5, 0.5),)
    radius = 0.17 if staggered else 0.24
    out = fill(s.shape, ctx.palette[1])
    for cx, cy in centres:
        dx = frac(s - cx + 0.5) - 0.5
        dy = frac(t - cy + 0.5) - 0.5
        paint(out, dx * dx + dy * dy < radius * radius, ctx.palette[0])
    return out


def _twill_22(i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """2/2 twill: True where the warp (vertical thread ``i``) is on top at row ``j``."""
    return (i + j) % 4 < 2


def houndstooth(s: np.ndarray, t: np.ndarray, ctx: PatternContext) -> np.ndarray:
    """Houndstooth as it is woven: 2/2 twill, warp and weft both 4 threads ``palette[0]`` then 4 ``palette[1]``."""
    i = np.floor(s * 8).astype(np.int64)
    j = np.floor(t * 8).astype(np.int64)
    warp_dark = i % 8 < 4
    weft_dark = j % 8 < 4
    dark = np.where(_twill_22(i, j), warp_dark, weft_dark)
    return pick(ctx.palette, np.where(dark, 0, 1))


def _sett_colours(k: int) -> np.ndarray:
    half = [index % k for index, count in _TARTAN_HALF_SETT for _ in range(count)]
    return np.array(half + half[::-1], dtype=np.int64)


def tartan(s: np.ndarray, t: np.ndarray, ctx: PatternContext) -> np.ndarray:
    """Tartan (plaid): the same symmetric sett in warp and weft, woven in 2/2 twill so crossings mix the colours.
    Default palette: ``palette[0]`` ground, ``palette[1]`` broad bands, ``palette[2]``/``[3]`` over-checks."""
    sett = _sett_colours(len(ctx.palette))
    n = len(sett)
    i = np.floor(s * n).astype(np.int64)
    j = np.floor(t * n).astype(np.int64)
    index = np.where(_twill_22(i, j), sett[i % n], sett[j % n])
    return pick(ctx.palette, index)


def herringbone(s: np.ndarray, t: np.ndarray, ctx: PatternContext) -> np.ndarray:
    """Broken twill: two columns per repeat of diagonal ``palette[0]`` lines on ``palette[1]``, slanting in
    opposite directions and offset by half a line where the columns meet (the "fish bone" zigzag)."""
    column = np.floor(s * 2)
    local = frac(s * 2) * 0.5  # pattern units across the column
    direction = np.where(column % 2 == 0, 1.0, -1.0)
    lines = frac(6 * (t + direction * local * 1.2) + 0.5 * (column % 2))
    return pick(ctx.palette, np.where(lines < 0.45, 0, 1))


def chevron(s: np.ndarray, t: np.ndarray, ctx: PatternContext) -> np.ndarray:
    """Zigzag bands at 45 degrees, one band of each palette colour per repeat (K colours, K bands)."""
    k = len(ctx.palette)
    tri = np.abs(2 * frac(s) - 1)  # 1 at the column edges, 0 in the middle
    return pick(ctx.palette, np.floor(k * (t + 0.5 * tri)))
