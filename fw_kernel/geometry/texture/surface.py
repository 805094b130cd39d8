"""The intermediate result of a weave generator, before it becomes albedo/normal/roughness maps."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .lattice import value_noise


@dataclass(frozen=True)
class SurfaceFields:
    """Per-pixel fields of one fabric surface; all arrays shape (H, W), float64.

    Attributes
    ----------
    height : numpy.ndarray
        Relief in [0, 1] (1 = top of a thread or grain).
    shade : numpy.ndarray
        Multiplier applied to the albedo, around 1 (shadowed gaps < 1, slubs and highlights > 1).
    tint : numpy.ndarray
        Weight in [0, 1] of the fabric's secondary colour (e.g. the white weft of denim); 0 elsewhere.
    gloss : numpy.ndarray
        In [0, 1]: where sheen lowers the roughness (long floats, pile tips).
    alpha : numpy.ndarray
        Coverage in [0, 1] (0 = hole, as in lace).
    depth_px : float
        Height of the relief in pixels, for the normal map.
    """

    height: np.ndarray
    shade: np.ndarray
    tint: np.ndarray
    gloss: np.ndarray
    alpha: np.ndarray
    depth_px: float


def grid(size: tuple[int, int], cells: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates in cell units.

    Parameters
    ----------
    size : (int, int)
        (H, W) pixels.
    cells : (int, int)
        Whole cells across (ny, nx): the tile holds exactly that many, so cell-periodic fields are seamless.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``X, Y`` of shape (H, W), float64: ``X`` in [0, nx), ``Y`` in [0, ny).
    """
    height, width = size
    ny, nx = cells
    x = (np.arange(width) + 0.5) / width * nx
    y = (np.arange(height) + 0.5) / height * ny
    gx, gy = np.meshgrid(x, y)
    return gx, gy


def cell_count(pixels: int, cell_px: float, multiple: int = 1) -> int:
    """Whole cells of about ``cell_px`` pixels across ``pixels``, rounded to a positive multiple of ``multiple``."""
    return multiple * max(1, round(pixels / cell_px / multiple))


def tile_noise(x: np.ndarray, y: np.ndarray, cells: tuple[int, int], freq: int, seed: int, salt: int) -> np.ndarray:
    """Value noise in [0, 1] with ``freq`` lattice points per cell, periodic over ``cells = (ny, nx)`` cells."""
    ny, nx = cells
    matrix = np.array([[nx * freq, 0], [0, ny * freq]], dtype=np.int64)
    return value_noise(x * freq, y * freq, matrix, seed, salt)


def smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    """Hermite step from 0 (``x <= edge0``) to 1 (``x >= edge1``)."""
    k = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return k * k * (3 - 2 * k)
