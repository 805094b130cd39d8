"""Woven fabric surfaces: plain, twill, satin and denim, built thread by thread from the weave's repeat.

Warp threads run down the image (one per column of cells), weft threads across it (one per row). In each cell the
thread on top is given by the weave repeat; a thread floating over several cells arches over the whole float and dips
where it goes under, which is what makes twill lines and satin gloss visible in the relief.
"""

from __future__ import annotations

import numpy as np

from .lattice import hash01
from .surface import SurfaceFields, cell_count, grid, tile_noise

# weave -> (warp-on-top repeat (rows = weft picks, columns = warp ends), threads across the tile's shorter side)
_REPEATS: dict[str, tuple[np.ndarray, int]] = {
    "plain": (np.array([[1, 0], [0, 1]], dtype=bool), 40),
    # 2/2 twill, lines rising to the right
    "twill": (np.array([[(i + j) % 4 < 2 for i in range(4)] for j in range(4)]), 48),
    # 3/1 right-hand warp-faced twill: mostly warp (indigo) with the weft (white) showing on diagonals
    "denim": (np.array([[(i + j) % 4 < 3 for i in range(4)] for j in range(4)]), 56),
    # 5-end warp-faced satin (step 2): long warp floats, one interlacing per thread per repeat
    "satin": (np.array([[(j - 2 * i) % 5 != 0 for i in range(5)] for j in range(5)]), 64),
}
WOVEN: tuple[str, ...] = tuple(_REPEATS)
_UNEVEN = {"denim": 0.35, "satin": 0.06}  # thread-to-thread brightness spread (default 0.14)
_RELIEF = {"satin": 0.5}  # relief depth relative to the other weaves (satin is smooth)


def _run(line: np.ndarray, index: int) -> tuple[int, int]:
    """(position, length) of the run of equal values through ``line[index]``, ``line`` cyclic, shape (n,)."""
    n, value = len(line), line[index]
    if bool(np.all(line == value)):
        return index, n
    back = 0
    while line[(index - back - 1) % n] == value:
        back += 1
    fwd = 0
    while line[(index + fwd + 1) % n] == value:
        fwd += 1
    return back, back + fwd + 1


def _runs(repeat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Position of every cell inside its float and the float's length (cells), both shape (ry, rx), int64.

    Warp floats (cells where ``repeat`` is True) run down the columns, weft floats across the rows; both wrap.
    """
    pos = np.zeros(repeat.shape, dtype=np.int64)
    length = np.ones(repeat.shape, dtype=np.int64)
    for (j, i), up in np.ndenumerate(repeat):
        pos[j, i], length[j, i] = _run(repeat[:, i], j) if up else _run(repeat[j, :], i)
    return pos, length


def woven(weave: str, size: tuple[int, int], scale: float, seed: int) -> SurfaceFields:
    """Surface fields of a woven fabric.

    Parameters
    ----------
    weave : str
        One of :data:`WOVEN`.
    size : (int, int)
        (H, W) pixels.
    scale : float
        Thread size multiplier (2 = threads twice as thick).
    seed : int
        Seed for the thread-to-thread irregularity.

    Returns
    -------
    SurfaceFields
    """
    repeat, threads = _REPEATS[weave]
    ry, rx = repeat.shape
    cell_px = min(size) * scale / threads
    cells = (cell_count(size[0], cell_px, ry), cell_count(size[1], cell_px, rx))
    x, y = grid(size, cells)
    i, j = np.floor(x).astype(np.int64), np.floor(y).astype(np.int64)
    fx, fy = x - i, y - j
    pos_table, len_table = _runs(repeat)
    up = repeat[j % ry, i % rx]
    pos, length = pos_table[j % ry, i % rx], len_table[j % ry, i % rx]
    along = np.where(up, (pos + fy) / length, (pos + fx) / length)
    across = np.where(up, fx, fy)
    cross = np.sin(np.pi * across) ** 0.8
    arch = 0.4 + 0.6 * np.sin(np.pi * along) ** 0.35
    twist = 0.06 * np.sin(2 * np.pi * (0.8 * across + 2.5 * (pos + np.where(up, fy, fx))))
    height = np.clip(cross * arch + twist * cross, 0.0, 1.0)

    thread_rnd = np.where(up, hash01(i % cells[1], 0, seed, salt=1), hash01(j % cells[0], 0, seed, salt=2))
    slub = tile_noise(x, y, cells, 1, seed, salt=3)
    uneven = _UNEVEN.get(weave, 0.14)
    shade = (0.68 + 0.32 * height) * (1 + uneven * (thread_rnd - 0.5)) * (1 + uneven * (slub - 0.5))
    # denim: the white weft shows on the twill diagonals, greyed by the indigo around it
    tint = np.where(up, 0.0, 0.6) if weave == "denim" else np.zeros(size)
    gloss = height * np.clip((length - 1) / 3.0, 0.0, 1.0)
    depth = 0.5 * cell_px * _RELIEF.get(weave, 1.0)
    return SurfaceFields(height, shade, tint, gloss, np.ones(size), depth_px=depth)
