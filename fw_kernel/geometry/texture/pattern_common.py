"""Shared pieces of the pattern shaders: the evaluation context and small vector helpers.

A pattern shader has the signature ``shader(s, t, ctx) -> rgb`` where ``s, t`` are pattern coordinates (float64,
any common shape ``S``; period 1 in both) and ``rgb`` has shape ``S + (3,)``, values in [0, 1].
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class PatternContext:
    """What a shader needs besides the coordinates.

    Attributes
    ----------
    palette : numpy.ndarray
        Shape (K, 3), float32 in [0, 1]. ``palette[0]`` is the main motif colour, ``palette[1]`` the ground,
        ``palette[2:]`` accents.
    matrix : numpy.ndarray
        Shape (2, 2), int64 tile lattice (see :mod:`fw_kernel.geometry.texture.lattice`), for per-cell randomness.
    seed : int
        Random seed (>= 0).
    params : mapping
        Validated kind-specific options (e.g. ``stripe_ratio``).
    """

    palette: np.ndarray
    matrix: np.ndarray
    seed: int
    params: Mapping[str, Any] = field(default_factory=dict)


def frac(x: np.ndarray) -> np.ndarray:
    """Fractional part in [0, 1) (also for negative ``x``)."""
    return x - np.floor(x)


def fill(shape: tuple[int, ...], color: np.ndarray) -> np.ndarray:
    """Array of shape ``shape + (3,)`` filled with ``color`` (shape (3,)), float64."""
    return np.broadcast_to(np.asarray(color, dtype=np.float64), (*shape, 3)).copy()


def paint(canvas: np.ndarray, mask: np.ndarray, color: np.ndarray) -> None:
    """Set ``canvas[mask] = color`` in place; ``canvas`` shape ``S + (3,)``, ``mask`` bool shape ``S``."""
    canvas[mask] = np.asarray(color, dtype=np.float64)


def pick(palette: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Colours ``palette[index % K]``: shape ``index.shape + (3,)``, float64."""
    return palette.astype(np.float64)[np.asarray(index, dtype=np.int64) % len(palette)]


def rotate(x: np.ndarray, y: np.ndarray, angle: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rotate the vectors ``(x, y)`` by ``-angle`` radians (into a motif's own frame)."""
    c, s = np.cos(angle), np.sin(angle)
    return c * x + s * y, -s * x + c * y
