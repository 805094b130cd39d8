"""Procedural, tileable textures for print patterns and fabric surfaces (numpy only).

Every image returned here is one *tile*: repeated side by side and top to bottom it continues without a seam
(left edge continues the right edge, top continues bottom). Values are float32 in [0, 1], sRGB-encoded for colours.

Pattern rotation keeps the tile seamless by snapping the pattern to the nearest integer lattice that closes on the
tile (see :mod:`fw_kernel.geometry.texture.lattice`); :func:`pattern_lattice` tells the angle and period actually used.
For an exact angle, generate the tile with ``rotation_deg=0`` and rotate the UVs where the texture is applied.

Colour roles for patterns: ``colors[0]`` is the main motif colour, ``colors[1]`` the ground, further colours are
accents; missing colours are filled from the kind's default palette (:data:`DEFAULT_COLORS`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np

from ...domain.errors import ValidationError
from . import patterns_geometric as geo
from . import patterns_organic as org
from .color import hex_to_rgb, palette
from .lattice import Lattice, snap_lattice, supersample, to_pattern
from .normals import height_to_normal
from .pattern_common import PatternContext
from .surface import SurfaceFields
from .weaves_other import GENERATORS
from .weaves_woven import WOVEN, woven

__all__ = ["DEFAULT_COLORS", "PATTERN_KINDS", "WEAVES", "fabric_maps", "hex_to_rgb", "pattern_image",
           "pattern_lattice"]

Shader = Callable[[np.ndarray, np.ndarray, PatternContext], np.ndarray]

# kind -> (shader, repeats across the tile's shorter side at scale 1)
_KINDS: dict[str, tuple[Shader, float]] = {
    "stripes": (geo.stripes, 8),
    "gingham": (geo.gingham, 6),
    "polka_dot": (geo.polka_dot, 5),
    "houndstooth": (geo.houndstooth, 5),
    "tartan": (geo.tartan, 2),
    "herringbone": (geo.herringbone, 4),
    "floral": (org.floral, 2),
    "chevron": (geo.chevron, 4),
    "paisley": (org.paisley, 2),
    "camo": (org.camo, 2),
}
PATTERN_KINDS: tuple[str, ...] = tuple(_KINDS)
WEAVES: tuple[str, ...] = ("plain", "twill", "satin", "knit", "denim", "leather", "lace", "velvet", "none")

DEFAULT_COLORS: dict[str, tuple[str, ...]] = {
    "stripes": ("#1b2a4a", "#fafafa"),
    "gingham": ("#c0392b", "#ffffff"),
    "polka_dot": ("#ffffff", "#111111"),
    "houndstooth": ("#1a1a1a", "#f2efe6"),
    "tartan": ("#1f4a2c", "#1b2a4a", "#b3202a", "#e8c547"),
    "herringbone": ("#4a4440", "#b8aea0"),
    "floral": ("#d9577a", "#f6efe2", "#f2c14e", "#5b8c4a"),
    "chevron": ("#2a9d8f", "#f4f1de"),
    "paisley": ("#c8553d", "#1d3557", "#f2cc8f", "#81b29a"),
    "camo": ("#4b5320", "#8f8a5c", "#5c4033", "#1e1e1a"),
}

# kind -> {option: (validator, allowed text)}
_OPTIONS: dict[str, dict[str, tuple[Callable[[Any], bool], str]]] = {
    "stripes": {"stripe_ratio": (lambda v: _is_number(v) and 0.05 <= float(v) <= 0.95, "a number 0.05..0.95")},
    "polka_dot": {"staggered": (lambda v: isinstance(v, bool), "true or false")},
}

_SIZE_LIMIT = 8192
_SECONDARY = {"denim": "#e8e4da"}  # weft colour of denim; other weaves use one colour


def _is_number(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(float(value))


def _check_size(size: object) -> tuple[int, int]:
    allowed = f"a pair (H, W) of whole numbers of pixels from 1 to {_SIZE_LIMIT}"
    if not isinstance(size, Sequence) or isinstance(size, str) or len(size) != 2:
        raise ValidationError.bad("size", size, allowed)
    if not all(isinstance(n, Integral) and not isinstance(n, bool) and 1 <= int(n) <= _SIZE_LIMIT for n in size):
        raise ValidationError.bad("size", size, allowed)
    return int(size[0]), int(size[1])


def _check_number(field: str, value: object, low: float, high: float) -> float:
    if not _is_number(value) or not low <= float(value) <= high:  # type: ignore[arg-type]  # a number: checked
        raise ValidationError.bad(field, value, f"a number from {low:g} to {high:g}")
    return float(value)  # type: ignore[arg-type]


def _check_seed(seed: object) -> int:
    if not isinstance(seed, Integral) or isinstance(seed, bool) or seed < 0:
        raise ValidationError.bad("seed", seed, "a whole number >= 0")
    return int(seed)


def _check_kind(kind: object) -> str:
    if not isinstance(kind, str) or kind not in _KINDS:
        raise ValidationError.bad("kind", kind, ", ".join(PATTERN_KINDS))
    return kind


def _check_options(kind: str, options: Mapping[str, Any] | None) -> dict[str, Any]:
    allowed = _OPTIONS.get(kind, {})
    options = dict(options or {})
    for name, value in options.items():
        if name not in allowed:
            names = ", ".join(allowed) or "none"
            raise ValidationError.bad(f"options[{name!r}]", value, f"options of {kind!r}: {names}", "unknown option")
        check, text = allowed[name]
        if not check(value):
            raise ValidationError.bad(f"options[{name!r}]", value, text)
    return options


def pattern_lattice(kind: str, size: tuple[int, int] = (256, 256), scale: float = 1.0,
                    rotation_deg: float = 0.0) -> Lattice:
    """The integer lattice :func:`pattern_image` uses: effective rotation (degrees) and period (pixels).

    Parameters
    ----------
    kind, size, scale, rotation_deg
        As for :func:`pattern_image`.

    Returns
    -------
    Lattice
        ``matrix`` (2, 2) int64, ``rotation_deg`` float, ``period_px`` (float, float) along the pattern's axes.
    """
    kind = _check_kind(kind)
    size = _check_size(size)
    scale = _check_number("scale", scale, 0.05, 20.0)
    rotation = _check_number("rotation_deg", rotation_deg, -3600.0, 3600.0)
    return snap_lattice(size, _KINDS[kind][1], scale, rotation)


def pattern_image(
    kind: str,
    size: tuple[int, int] = (256, 256),
    colors: Sequence[str] | None = None,
    scale: float = 1.0,
    rotation_deg: float = 0.0,
    seed: int = 0,
    *,
    options: Mapping[str, Any] | None = None,
    samples: int = 2,
) -> np.ndarray:
    """Render one seamless tile of a print pattern.

    Parameters
    ----------
    kind : str
        One of :data:`PATTERN_KINDS`: stripes, gingham, polka_dot, houndstooth, tartan, herringbone, floral,
        chevron, paisley, camo.
    size : (int, int)
        Tile size (H, W) in pixels, 1..8192 each.
    colors : sequence of str, optional
        Hex colours (``"#rrggbb"``): ``colors[0]`` motif, ``colors[1]`` ground, then accents; missing entries come
        from :data:`DEFAULT_COLORS`. Stripes and chevron use every colour given as a band.
    scale : float
        Motif size multiplier, 0.05..20 (2 = repeats twice as large). At 1 the tile's shorter side holds a
        kind-specific number of repeats (8 stripes, 2 tartan setts...). Repeat counts are rounded to whole numbers.
    rotation_deg : float
        Counter-clockwise rotation on screen, degrees; snapped to the nearest angle that keeps the tile seamless
        (see :func:`pattern_lattice`).
    seed : int
        >= 0; the same seed gives the same image (only floral, paisley and camo use it).
    options : mapping, optional
        Kind-specific options: stripes ``stripe_ratio`` (0.05..0.95, stripe width / repeat, default 0.4);
        polka_dot ``staggered`` (bool, default True).
    samples : int
        Antialiasing sub-samples per pixel side, 1..4.

    Returns
    -------
    numpy.ndarray
        Shape (H, W, 3), float32, sRGB-encoded values in [0, 1].

    Raises
    ------
    ValidationError
        (a ``ValueError``) naming the bad argument and what is allowed.
    """
    lattice = pattern_lattice(kind, size, scale, rotation_deg)
    colours = palette(colors, DEFAULT_COLORS[kind])
    ctx = PatternContext(colours, lattice.matrix, _check_seed(seed), _check_options(kind, options))
    if not isinstance(samples, Integral) or isinstance(samples, bool) or not 1 <= samples <= 4:
        raise ValidationError.bad("samples", samples, "a whole number from 1 to 4")
    shader = _KINDS[kind][0]

    def shade(u: np.ndarray, v: np.ndarray) -> np.ndarray:
        s, t = to_pattern(u, v, lattice.matrix)
        return shader(s, t, ctx)

    return supersample(_check_size(size), shade, samples=int(samples))


def _check_weave(weave: object) -> str:
    if not isinstance(weave, str) or weave not in WEAVES:
        raise ValidationError.bad("weave", weave, ", ".join(WEAVES))
    return weave


def _surface(weave: str, size: tuple[int, int], scale: float, seed: int) -> SurfaceFields:
    if weave in WOVEN:
        return woven(weave, size, scale, seed)
    return GENERATORS[weave](size, scale, seed)


def fabric_maps(
    weave: str,
    size: tuple[int, int] = (256, 256),
    base_color: str = "#808080",
    roughness: float = 0.8,
    sheen: float = 0.0,
    seed: int = 0,
    *,
    scale: float = 1.0,
) -> dict[str, np.ndarray]:
    """PBR texture maps of a fabric surface, one seamless tile.

    Parameters
    ----------
    weave : str
        One of :data:`WEAVES`: plain, twill, satin, knit, denim, leather, lace, velvet, none.
    size : (int, int)
        Tile size (H, W) in pixels, 1..8192 each.
    base_color : str
        Hex colour of the fabric (for denim: the warp; the weft is off-white).
    roughness : float
        Mean roughness 0..1 (the catalog's ``appearance.roughness``).
    sheen : float
        0..1: how much thread tops and floats gloss (lower roughness, brighter tips), as ``appearance.sheen``.
    seed : int
        >= 0, for the thread-to-thread irregularity.
    scale : float
        Thread / grain size multiplier, 0.05..20 (the fabric's ``scale`` parameter).

    Returns
    -------
    dict of str to numpy.ndarray
        ``albedo`` (H, W, 3) float32 sRGB in [0, 1]; ``normal`` (H, W, 3) float32, tangent-space (OpenGL
        convention: +Y towards the top of the image), encoded ``(n + 1) / 2`` so flat is (0.5, 0.5, 1.0);
        ``roughness`` (H, W) float32 in [0, 1]; ``height`` (H, W) float32 in [0, 1] (for bump/displacement);
        ``alpha`` (H, W) float32 in [0, 1] (0 = hole; only lace has holes).
    """
    weave = _check_weave(weave)
    size = _check_size(size)
    base = hex_to_rgb(base_color, field="base_color").astype(np.float64)
    rough = _check_number("roughness", roughness, 0.0, 1.0)
    gloss_amount = _check_number("sheen", sheen, 0.0, 1.0)
    scale = _check_number("scale", scale, 0.05, 20.0)
    fields = _surface(weave, size, scale, _check_seed(seed))

    secondary = hex_to_rgb(_SECONDARY.get(weave, base_color)).astype(np.float64)
    colour = base * (1 - fields.tint[..., None]) + secondary * fields.tint[..., None]
    shade = fields.shade * (1 + 0.25 * gloss_amount * (fields.gloss - fields.gloss.mean()))  # glints, same mean
    albedo = np.clip(colour * shade[..., None], 0.0, 1.0)
    if weave == "none":
        rough_map = np.full(size, rough)
    else:
        rough_map = rough + 0.12 * (0.5 - fields.height) - 0.35 * gloss_amount * fields.gloss * rough
    return {
        "albedo": albedo.astype(np.float32),
        "normal": height_to_normal(fields.height, fields.depth_px),
        "roughness": np.clip(rough_map, 0.0, 1.0).astype(np.float32),
        "height": fields.height.astype(np.float32),
        "alpha": np.clip(fields.alpha, 0.0, 1.0).astype(np.float32),
    }
