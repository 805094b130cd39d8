"""Swept tubes around a polyline axis: the coordinate frame garments are built in.

A garment piece (the body of a dress, a sleeve, a trouser leg) is a radial function ``R(s, phi)`` around an axis:
``s`` is the arc length along the axis in metres, ``phi`` the angle around it (radians, 0 = the frame's normal
direction, increasing towards the binormal). Containment is then a comparison of radii, which makes "the body
never pokes through the garment" checkable and constructible.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

TWO_PI = 2.0 * np.pi


@dataclass(frozen=True)
class TubeFrame:
    """A densely sampled axis with a rotation-minimising frame.

    Attributes
    ----------
    points, tangents, normals, binormals : (K, 3) float64
        Axis samples (metres) and unit frame vectors; ``binormal = tangent x normal``.
    s : (K,) float64
        Arc length of each sample from the first one, metres.
    """

    points: np.ndarray
    tangents: np.ndarray
    normals: np.ndarray
    binormals: np.ndarray
    s: np.ndarray

    @property
    def length(self) -> float:
        return float(self.s[-1])

    @cached_property
    def tree(self) -> Any:
        """KD-tree of the axis samples (built once per frame) for nearest-sample queries."""
        from scipy.spatial import cKDTree

        return cKDTree(self.points)

    def at(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Axis point, normal and binormal at arc lengths ``s`` (any shape), linearly interpolated
        (extrapolated straight beyond the ends)."""
        s = np.asarray(s, dtype=np.float64)
        flat = s.reshape(-1)
        idx = np.clip(np.searchsorted(self.s, flat) - 1, 0, len(self.s) - 2)
        t = ((flat - self.s[idx]) / np.maximum(self.s[idx + 1] - self.s[idx], 1e-12))[:, None]
        point = self.points[idx] * (1 - t) + self.points[idx + 1] * t
        normal = self.normals[idx] * (1 - np.clip(t, 0, 1)) + self.normals[idx + 1] * np.clip(t, 0, 1)
        binormal = self.binormals[idx] * (1 - np.clip(t, 0, 1)) + self.binormals[idx + 1] * np.clip(t, 0, 1)
        normal /= np.linalg.norm(normal, axis=1, keepdims=True)
        binormal /= np.linalg.norm(binormal, axis=1, keepdims=True)
        shape = (*s.shape, 3)
        return point.reshape(shape), normal.reshape(shape), binormal.reshape(shape)


def frame_from_polyline(axis: np.ndarray, reference: np.ndarray, step: float = 0.005,
                        extend_start: float = 0.0, extend_end: float = 0.0) -> TubeFrame:
    """Resample a polyline (metres) every ``step`` and attach a parallel-transported frame.

    Parameters
    ----------
    axis : (P, 3) array
        Polyline vertices, P >= 2, metres.
    reference : (3,) array
        Direction the frame's normal should point to at the start (projected onto the normal plane), e.g. the
        body's front (+Z) so that ``phi = 0`` is the front of a sleeve or a skirt.
    extend_start, extend_end : float
        Straight extensions beyond the polyline ends, metres (a sleeve reaching into the shoulder).
    """
    axis = np.asarray(axis, dtype=np.float64)
    first = (axis[1] - axis[0]) / np.linalg.norm(axis[1] - axis[0])
    last = (axis[-1] - axis[-2]) / np.linalg.norm(axis[-1] - axis[-2])
    axis = np.vstack([axis[0] - first * extend_start, axis, axis[-1] + last * extend_end])
    axis = axis[np.concatenate([[True], np.linalg.norm(np.diff(axis, axis=0), axis=1) > 1e-9])]
    seg = np.linalg.norm(np.diff(axis, axis=0), axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    s = np.linspace(0.0, cum[-1], max(2, int(np.ceil(cum[-1] / step)) + 1))
    points = np.stack([np.interp(s, cum, axis[:, k]) for k in range(3)], axis=1)
    tangents = np.gradient(points, axis=0)
    # Smooth the tangent over ~3 cm so the frame turns gently at polyline corners (elbows, knees).
    width = max(1, int(0.03 / step))
    kernel = np.ones(2 * width + 1) / (2 * width + 1)
    padded = np.pad(tangents, ((width, width), (0, 0)), mode="edge")
    tangents = np.stack([np.convolve(padded[:, k], kernel, mode="valid") for k in range(3)], axis=1)
    tangents /= np.linalg.norm(tangents, axis=1, keepdims=True)
    normals = np.empty_like(tangents)
    ref = np.asarray(reference, dtype=np.float64)
    n = ref - tangents[0] * (ref @ tangents[0])
    if np.linalg.norm(n) < 1e-6:
        n = np.cross(tangents[0], [1.0, 0.0, 0.0])
    normals[0] = n / np.linalg.norm(n)
    for i in range(1, len(points)):  # parallel transport: remove the component along the new tangent
        n = normals[i - 1] - tangents[i] * (normals[i - 1] @ tangents[i])
        normals[i] = n / np.linalg.norm(n)
    binormals = np.cross(tangents, normals)
    return TubeFrame(points, tangents, normals, binormals, s)


def tube_coordinates(frame: TubeFrame, points: np.ndarray) -> np.ndarray:
    """(s, phi, r) of each point: arc length of the nearest axis sample (refined along the tangent), angle in
    [0, 2 pi) around the axis and distance from it.

    Parameters
    ----------
    points : (N, 3) array, metres.

    Returns
    -------
    (N, 3) float64 array of s (m), phi (rad), r (m).
    """
    points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    out = np.empty((len(points), 3))
    if not len(points):
        return out
    _, idx = frame.tree.query(points)   # the nearest axis sample (was an (N, K) distance matrix: 20x slower)
    d = points - frame.points[idx]
    tangent = frame.tangents[idx]
    along = np.einsum("ij,ij->i", d, tangent)
    radial = d - tangent * along[:, None]
    x = np.einsum("ij,ij->i", radial, frame.normals[idx])
    y = np.einsum("ij,ij->i", radial, frame.binormals[idx])
    out[:, 0] = frame.s[idx] + along
    out[:, 1] = np.mod(np.arctan2(y, x), TWO_PI)
    out[:, 2] = np.hypot(x, y)
    return out


def radial_envelope(coords: np.ndarray, s_grid: np.ndarray, n_phi: int, floor: float = 0.0,
                    dilate: int = 2) -> np.ndarray:
    """Smallest smooth radial function that contains every point.

    Parameters
    ----------
    coords : (N, 3) array of (s, phi, r) from :func:`tube_coordinates`.
    s_grid : (S,) array, increasing, metres; uniform spacing.
    n_phi : int
        Number of angular columns (column j is centred on ``2 pi j / n_phi``).
    floor : float
        Minimum radius where no point falls (metres).
    dilate : int
        Neighbourhood (cells) of the max filter; the smoothing that follows never goes below the data.

    Returns
    -------
    (S, n_phi) float64 radii in metres, each >= the radius of every point in the neighbouring cells.
    """
    ds = s_grid[1] - s_grid[0]
    rows = np.rint((coords[:, 0] - s_grid[0]) / ds).astype(int)
    cols = np.rint(coords[:, 1] / TWO_PI * n_phi).astype(int) % n_phi
    keep = (rows >= 0) & (rows < len(s_grid))
    grid = np.full((len(s_grid), n_phi), -np.inf)
    np.maximum.at(grid, (rows[keep], cols[keep]), coords[keep, 2])
    # Fill empty cells from their angular neighbours (then from the rows around), never below the floor.
    for _ in range(n_phi):
        empty = ~np.isfinite(grid)
        if not empty.any():
            break
        neighbours = np.maximum(np.roll(grid, 1, axis=1), np.roll(grid, -1, axis=1))
        grid[empty] = neighbours[empty]
    grid[~np.isfinite(grid)] = floor
    grid = np.maximum(grid, floor)
    # Max filter then a box blur of the same reach: the blurred value at a cell averages values that are all
    # >= that cell's own value, so containment survives the smoothing.
    widened = grid
    for _ in range(dilate):
        widened = np.maximum.reduce([widened, np.roll(widened, 1, 1), np.roll(widened, -1, 1),
                                     np.vstack([widened[:1], widened[:-1]]), np.vstack([widened[1:], widened[-1:]])])
    out = widened
    for _ in range(dilate):
        out = (out + np.roll(out, 1, 1) + np.roll(out, -1, 1)) / 3.0
        out = (out + np.vstack([out[:1], out[:-1]]) + np.vstack([out[1:], out[-1:]])) / 3.0
    return np.maximum(out, grid)


def sample_radius(envelope: np.ndarray, s_grid: np.ndarray, s: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """Bilinear (periodic in phi) interpolation of an envelope at (s, phi); clamps s to the grid."""
    n_phi = envelope.shape[1]
    fs = np.clip((s - s_grid[0]) / (s_grid[1] - s_grid[0]), 0, len(s_grid) - 1)
    fp = np.mod(phi, TWO_PI) / TWO_PI * n_phi
    i0 = np.clip(np.floor(fs).astype(int), 0, len(s_grid) - 2)
    j0 = np.floor(fp).astype(int) % n_phi
    j1 = (j0 + 1) % n_phi
    ts = fs - i0
    tp = fp - np.floor(fp)
    top = envelope[i0, j0] * (1 - tp) + envelope[i0, j1] * tp
    bottom = envelope[i0 + 1, j0] * (1 - tp) + envelope[i0 + 1, j1] * tp
    return top * (1 - ts) + bottom * ts


def tube_mesh(frame: TubeFrame, envelope: np.ndarray, s_grid: np.ndarray, s_low: np.ndarray,
              s_high: np.ndarray, n_rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Triangulate the radial surface between per-column bounds ``s_low[j] .. s_high[j]``.

    Returns
    -------
    vertices : ((n_rows) * (n_phi + 1), 3) float32, metres (the seam column is duplicated for UVs)
    faces : (2 * (n_rows - 1) * n_phi, 3) int32, counter-clockwise seen from outside
    uv : (V, 2) float32, metres of fabric (u around at the mean radius, v along the axis)
    """
    n_phi = envelope.shape[1]
    cols = np.arange(n_phi + 1)
    phi = cols / n_phi * TWO_PI
    low = np.append(s_low, s_low[0])
    high = np.append(s_high, s_high[0])
    t = np.linspace(0.0, 1.0, n_rows)[:, None]
    s = low[None, :] + (high - low)[None, :] * t                      # (rows, cols)
    phi_g = np.broadcast_to(phi, s.shape)
    radius = sample_radius(envelope, s_grid, s, phi_g)
    point, normal, binormal = frame.at(s)
    direction = normal * np.cos(phi_g)[..., None] + binormal * np.sin(phi_g)[..., None]
    vertices = point + direction * radius[..., None]
    mean_r = float(radius.mean())
    uv = np.stack([phi_g * mean_r, s], axis=-1)
    r, c = np.meshgrid(np.arange(n_rows - 1), np.arange(n_phi), indexing="ij")
    a = r * (n_phi + 1) + c
    b = a + 1
    d = a + (n_phi + 1)
    e = d + 1
    faces = np.concatenate([np.stack([a, b, e], -1).reshape(-1, 3), np.stack([a, e, d], -1).reshape(-1, 3)])
    return vertices.reshape(-1, 3).astype(np.float32), faces.astype(np.int32), uv.reshape(-1, 2).astype(np.float32)
