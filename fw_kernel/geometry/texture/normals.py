"""Height fields to tangent-space normal maps (seamless: derivatives wrap around the tile edges).

Convention: OpenGL / glTF / three.js, +X to the right of the image, +Y towards the top of the image (green up),
+Z out of the surface. Encoded as ``(n + 1) / 2`` so a flat surface is ``(0.5, 0.5, 1.0)``.
"""

from __future__ import annotations

import numpy as np


def height_to_normal(height: np.ndarray, depth_px: float) -> np.ndarray:
    """Encode the normals of a periodic height field.

    Parameters
    ----------
    height : numpy.ndarray
        Shape (H, W), float, in [0, 1]; 1 is the highest point. Treated as periodic (the tile wraps).
    depth_px : float
        Height difference between 0 and 1, in pixels (larger = stronger relief; 0 = flat).

    Returns
    -------
    numpy.ndarray
        Shape (H, W, 3), float32 in [0, 1]: unit normals encoded as ``(n + 1) / 2``.
    """
    h = np.asarray(height, dtype=np.float64) * depth_px
    dx = (np.roll(h, -1, axis=1) - np.roll(h, 1, axis=1)) / 2.0
    dy_down = (np.roll(h, -1, axis=0) - np.roll(h, 1, axis=0)) / 2.0
    n = np.stack([-dx, dy_down, np.ones_like(h)], axis=-1)  # dh/d(up) = -dh/d(down)
    n /= np.linalg.norm(n, axis=-1, keepdims=True)
    return ((n + 1.0) / 2.0).astype(np.float32)


def decode_normal(encoded: np.ndarray) -> np.ndarray:
    """Inverse of the encoding: shape (..., 3) in [0, 1] -> float32 vectors ``2 * encoded - 1`` (unit length)."""
    return (np.asarray(encoded, dtype=np.float32) * 2.0 - 1.0).astype(np.float32)
