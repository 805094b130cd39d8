"""A contact sheet of every pattern kind and fabric weave, for looking at them (``python -m`` runnable).

Each cell shows a tile repeated 2 x 2, so a seam would show as a line through the middle of the cell.
Rows: the 10 pattern kinds (defaults); the same rotated by 30 degrees at scale 0.7; fabric albedo lit by its normal
map for the 9 weaves (lace over a dark backdrop); the raw encoded normal maps.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from .normals import decode_normal
from .textures import PATTERN_KINDS, WEAVES, fabric_maps, pattern_image

_FABRIC_COLOURS = {"plain": "#e6dcc8", "twill": "#8a6d4b", "satin": "#b8394f", "knit": "#f2f0eb",
                   "denim": "#2c3e66", "leather": "#5a3a22", "lace": "#f5f1e8", "velvet": "#5b1a3a",
                   "none": "#7a8a9a"}
_SHEEN = {"satin": 0.9, "velvet": 0.8, "knit": 0.3, "leather": 0.35}


def lit(maps: dict[str, np.ndarray], backdrop: float = 0.12) -> np.ndarray:
    """Albedo shaded by the normal map under a light from the upper left, composited on a grey backdrop by alpha.

    Returns shape (H, W, 3) float32 in [0, 1].
    """
    n = decode_normal(maps["normal"])
    light = np.array([-0.45, 0.55, 0.7], dtype=np.float32)
    light /= np.linalg.norm(light)
    lambert = np.clip(n @ light, 0.0, 1.0)[..., None]
    colour = maps["albedo"] * (0.35 + 0.85 * lambert)
    a = maps["alpha"][..., None]
    return np.clip(colour * a + backdrop * (1 - a), 0.0, 1.0).astype(np.float32)


def _row(tiles: list[np.ndarray], gap: int) -> np.ndarray:
    height = tiles[0].shape[0]
    parts: list[np.ndarray] = []
    for tile in tiles:
        parts += [np.tile(tile, (2, 2, 1)), np.ones((2 * height, gap, 3), dtype=np.float32)]
    return np.concatenate(parts[:-1], axis=1)


def build(tile: int = 128, gap: int = 6) -> np.ndarray:
    """The sheet as an array of shape (rows * 2 * tile + gaps, 10 * (2 * tile + gap) - gap, 3), float32."""
    size = (tile, tile)
    rows = [
        [pattern_image(kind, size) for kind in PATTERN_KINDS],
        [pattern_image(kind, size, scale=0.7, rotation_deg=30, seed=3) for kind in PATTERN_KINDS],
    ]
    fabrics = [fabric_maps(w, size, _FABRIC_COLOURS[w], 0.8, _SHEEN.get(w, 0.1)) for w in WEAVES]
    blank = np.ones((tile, tile, 3), dtype=np.float32)
    rows.append([lit(m) for m in fabrics] + [blank])
    rows.append([m["normal"] for m in fabrics] + [blank])
    width = max(len(r) for r in rows) * (2 * tile + gap) - gap
    out: list[np.ndarray] = []
    for r in rows:
        strip = _row(r, gap)
        strip = np.pad(strip, ((0, 0), (0, width - strip.shape[1]), (0, 0)), constant_values=1.0)
        out += [strip, np.ones((gap, width, 3), dtype=np.float32)]
    return np.concatenate(out[:-1], axis=0)


def main(argv: list[str] | None = None) -> int:
    """``python -m fw_kernel.geometry.texture.contact_sheet [PATH]`` writes the sheet
    (default /tmp/patterns_sheet.png)."""
    from ..png import write_png

    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else Path("/tmp/patterns_sheet.png")
    write_png(path, build())
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
