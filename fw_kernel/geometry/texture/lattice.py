"""Periodic lattices on the texture tile: how a pattern closes on itself so the tile repeats without seams.

A texture tile covers ``u, v`` in [0, 1) (``u = x / W`` left to right, ``v = y / H`` top to bottom, pixels square).
A pattern is a function ``f(s, t)`` with period 1 in both of its own coordinates. The two are linked by an
*integer* 2x2 matrix ``M``: ``(s, t) = M @ (u, v)``. Stepping one tile to the right (``u += 1``) moves the pattern by
the integer vector ``M[:, 0]``, one tile down by ``M[:, 1]``, so ``f`` takes the same values on every copy of the
tile: the texture is seamless for any integer ``M`` with a non-zero determinant, including rotated ones.

Rotation therefore snaps: the ideal (real) matrix for a period ``P`` px and an angle is rounded entry by entry to
integers, which moves the pattern by at most half a repeat across the tile: the angle changes by up to about
``atan(0.7 / N)`` for ``N`` repeats per tile (under 5 degrees at 8 repeats, up to about 15 degrees at 2), the period
by up to ``0.7 / N`` of itself, and on a non-square tile the lattice may shear slightly.
:func:`snap_lattice` reports the effective angle and periods. Where an exact angle matters, ask for an unrotated
tile and rotate the UV coordinates when the texture is used (e.g. ``texture.rotation`` in three.js): a periodic tile
sampled through rotated UVs is still seamless.

Per-cell randomness (motif jitter, noise lattice values) must also repeat with the tile: cell ``(i, j)`` and cell
``(i, j) + M @ k`` are the same cell. :func:`cell_keys` maps every cell to an exact canonical key of its class in
``Z^2 / M Z^2`` (integer arithmetic only), which is hashed by :func:`hash01`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

_M1 = np.uint32(0x7FEB352D)
_M2 = np.uint32(0x846CA68B)
_GOLDEN = 0x9E3779B9


@dataclass(frozen=True)
class Lattice:
    """An integer pattern lattice on the tile.

    Attributes
    ----------
    matrix : numpy.ndarray
        Shape (2, 2), int64: ``(s, t) = matrix @ (u, v)``, non-zero determinant.
    rotation_deg : float
        Effective counter-clockwise rotation of the pattern on screen, degrees (after snapping).
    period_px : tuple of float
        Effective repeat length along the pattern's ``s`` and ``t`` axes, pixels.
    """

    matrix: np.ndarray
    rotation_deg: float
    period_px: tuple[float, float]


def snap_lattice(size: tuple[int, int], repeats: float, scale: float, rotation_deg: float) -> Lattice:
    """Integer lattice closest to ``repeats / scale`` repeats across the tile's shorter side at ``rotation_deg``.

    Parameters
    ----------
    size : (int, int)
        Tile size (H, W), pixels.
    repeats : float
        Repeats across ``min(H, W)`` at scale 1.
    scale : float
        Motif size multiplier (> 0): 2 doubles the period.
    rotation_deg : float
        Counter-clockwise rotation on screen, degrees.

    Returns
    -------
    Lattice
    """
    height, width = size
    period = min(height, width) * scale / repeats
    theta = math.radians(rotation_deg)
    c, s = math.cos(theta), math.sin(theta)
    ideal = np.array([[c * width / period, -s * height / period], [s * width / period, c * height / period]])
    matrix = np.rint(ideal).astype(np.int64)
    if round(float(np.linalg.det(matrix))) == 0:
        matrix = _axis_aligned(width / period, height / period, rotation_deg)
    return _describe(matrix, size)


def _axis_aligned(nx: float, ny: float, rotation_deg: float) -> np.ndarray:
    """At least one repeat per tile side, at the nearest multiple of 90 degrees."""
    a, b = max(1, round(nx)), max(1, round(ny))
    quarter = round(rotation_deg / 90.0) % 4
    return np.array([[[a, 0], [0, b]], [[0, -b], [a, 0]], [[-a, 0], [0, -b]], [[0, b], [-a, 0]]][quarter], np.int64)


def _describe(matrix: np.ndarray, size: tuple[int, int]) -> Lattice:
    height, width = size
    grad_s = np.array([matrix[0, 0] / width, matrix[0, 1] / height])
    grad_t = np.array([matrix[1, 0] / width, matrix[1, 1] / height])
    angle = math.degrees(math.atan2(grad_t[0], grad_t[1]))
    return Lattice(matrix, angle, (float(1.0 / np.hypot(*grad_s)), float(1.0 / np.hypot(*grad_t))))


def to_pattern(u: np.ndarray, v: np.ndarray, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Tile coordinates to pattern coordinates: ``(s, t) = matrix @ (u, v)`` (arrays of any common shape)."""
    return matrix[0, 0] * u + matrix[0, 1] * v, matrix[1, 0] * u + matrix[1, 1] * v


def cell_keys(i: np.ndarray, j: np.ndarray, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Canonical key of integer cells modulo the tile lattice ``matrix @ Z^2``.

    Parameters
    ----------
    i, j : numpy.ndarray
        Integer cell indices along ``s`` and ``t`` (any common shape).
    matrix : numpy.ndarray
        Shape (2, 2), int64 lattice matrix.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        int64 keys in [0, |det|): equal exactly when the cells differ by ``matrix @ k`` for an integer ``k``.
    """
    a, b, c, d = (int(x) for x in matrix.ravel())
    det = abs(a * d - b * c)
    i = np.asarray(i, dtype=np.int64)
    j = np.asarray(j, dtype=np.int64)
    return (d * i - b * j) % det, (a * j - c * i) % det


def _mix(x: np.ndarray) -> np.ndarray:
    """32-bit integer finaliser ("lowbias32"); uint32 in, uint32 out."""
    x = x ^ (x >> np.uint32(16))
    x = x * _M1
    x = x ^ (x >> np.uint32(15))
    x = x * _M2
    return x ^ (x >> np.uint32(16))


def hash01(kx: np.ndarray | int, ky: np.ndarray | int, seed: int, salt: int = 0) -> np.ndarray:
    """Deterministic pseudo-random numbers in [0, 1) from integer keys.

    Parameters
    ----------
    kx, ky : numpy.ndarray
        Non-negative integer keys (any common shape), e.g. from :func:`cell_keys`.
    seed : int
        User seed (>= 0).
    salt : int
        Separates independent streams (jitter, size, colour...) for the same cell.

    Returns
    -------
    numpy.ndarray
        float64, same shape as the keys, uniform in [0, 1).
    """
    base = np.uint32((seed * _GOLDEN + salt * 0x85EBCA6B + 0x27D4EB2F) & 0xFFFFFFFF)
    hx = np.asarray(kx, dtype=np.int64).astype(np.uint32)
    hy = np.asarray(ky, dtype=np.int64).astype(np.uint32)
    h = _mix(hx ^ _mix(hy + _mix(np.full(np.shape(hx), base, dtype=np.uint32))))
    return h.astype(np.float64) / 4294967296.0


def value_noise(s: np.ndarray, t: np.ndarray, matrix: np.ndarray, seed: int, salt: int = 0) -> np.ndarray:
    """Smooth value noise with lattice points at integer ``(s, t)``, periodic on the tile lattice ``matrix``.

    Parameters
    ----------
    s, t : numpy.ndarray
        Pattern coordinates (any common shape), ``(s, t) = matrix @ (u, v)``.
    matrix : numpy.ndarray
        Shape (2, 2) int64 lattice matrix.
    seed, salt : int
        See :func:`hash01`.

    Returns
    -------
    numpy.ndarray
        float64, same shape as ``s``, in [0, 1] (quintic interpolation of per-point values).
    """
    i0 = np.floor(s)
    j0 = np.floor(t)
    fs, ft = s - i0, t - j0
    ws = fs * fs * fs * (fs * (fs * 6 - 15) + 10)
    wt = ft * ft * ft * (ft * (ft * 6 - 15) + 10)
    i0 = i0.astype(np.int64)
    j0 = j0.astype(np.int64)

    def corner(di: int, dj: int) -> np.ndarray:
        return hash01(*cell_keys(i0 + di, j0 + dj, matrix), seed, salt)

    top = corner(0, 0) * (1 - ws) + corner(1, 0) * ws
    bottom = corner(0, 1) * (1 - ws) + corner(1, 1) * ws
    return top * (1 - wt) + bottom * wt


def fractal_noise(
    s: np.ndarray, t: np.ndarray, matrix: np.ndarray, seed: int, salt: int = 0, octaves: int = 3
) -> np.ndarray:
    """Sum of :func:`value_noise` octaves, normalised to [0, 1]; tileable.

    Each octave maps the coordinates through the integer matrix ``Q = [[2, -1], [1, 2]]`` once more (a turn of
    26.6 degrees and a frequency step of sqrt(5)); being integer it keeps the tile lattice closed, and the turning
    hides the square grid that plain value-noise octaves line up on. Amplitudes halve per octave.
    """
    total = np.zeros(np.shape(s))
    weight = 0.0
    q = np.array([[2, -1], [1, 2]], dtype=np.int64)
    turn = np.eye(2, dtype=np.int64)
    for octave in range(octaves):
        os_, ot = turn[0, 0] * s + turn[0, 1] * t, turn[1, 0] * s + turn[1, 1] * t
        amplitude = 0.5**octave
        total += amplitude * value_noise(os_, ot, turn @ matrix, seed, salt * 16 + octave)
        weight += amplitude
        turn = q @ turn
    return total / weight


def supersample(
    size: tuple[int, int], shader: Callable[[np.ndarray, np.ndarray], np.ndarray], samples: int = 2, rows: int = 64
) -> np.ndarray:
    """Evaluate ``shader(u, v) -> rgb`` on a ``samples x samples`` grid inside each pixel and average (antialiasing).

    Parameters
    ----------
    size : (int, int)
        Image size (H, W), pixels.
    shader : callable
        Takes ``u, v`` arrays of shape (h, W, samples**2), float64 tile coordinates in [0, 1), and returns colours of
        shape (h, W, samples**2, 3) in [0, 1].
    samples : int
        Sub-samples per pixel side (1 = pixel centres only).
    rows : int
        Rows evaluated at once (bounds the memory use).

    Returns
    -------
    numpy.ndarray
        Shape (H, W, 3), float32 in [0, 1].
    """
    height, width = size
    offsets = (np.arange(samples) + 0.5) / samples
    ox, oy = np.meshgrid(offsets, offsets)
    ox, oy = ox.ravel(), oy.ravel()
    out = np.empty((height, width, 3), dtype=np.float32)
    xs = np.arange(width, dtype=np.float64)[None, :, None]
    for start in range(0, height, rows):
        ys = np.arange(start, min(start + rows, height), dtype=np.float64)[:, None, None]
        u = np.broadcast_to((xs + ox) / width, (ys.shape[0], width, ox.size))
        v = np.broadcast_to((ys + oy) / height, (ys.shape[0], width, ox.size))
        out[start : start + ys.shape[0]] = shader(u, v).mean(axis=2)
    return np.clip(out, 0.0, 1.0)
