"""Plane sections of triangle meshes and the tape girths measured on them (metres; numpy only).

A girth is the perimeter of the convex hull of a plane section (:mod:`fw_kernel.geometry.hull`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .hull import SEARCH_DIRECTIONS, _support_perimeters, hull_perimeter


def mesh_edges(faces: np.ndarray) -> np.ndarray:
    """Unique undirected edges of a triangle mesh.

    Parameters
    ----------
    faces : (M, 3) int array
        Triangles (vertex indices).

    Returns
    -------
    (E, 2) int64 array
        Each edge once, as ``(low, high)`` vertex indices, sorted.
    """
    faces = np.asarray(faces, dtype=np.int64)
    if faces.ndim != 2 or faces.shape[1] != 3:
        raise ValueError(f"faces must be an (M, 3) array of triangles, got shape {faces.shape}")
    edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    return np.unique(np.sort(edges, axis=1), axis=0)


def _basis(normal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two orthonormal vectors spanning the plane of unit ``normal``."""
    helper = np.array([1.0, 0.0, 0.0]) if abs(normal[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    u = np.cross(normal, helper)
    u /= np.linalg.norm(u)
    return u, np.cross(normal, u)


def plane_section(vertices: np.ndarray, edges: np.ndarray, origin: np.ndarray,
                  normal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points where a plane cuts the given mesh edges.

    An edge counts when one end is on the negative side or on the plane and the other strictly on the positive
    side: a vertex lying on the plane is found (once per edge to the positive side), never missed.

    Parameters
    ----------
    vertices : (N, 3) float array, metres.
    edges : (E, 2) int array
        The edges that may be cut (e.g. the torso's, see :func:`mesh_edges`).
    origin, normal : (3,) float arrays
        A point of the plane and its normal (any length).

    Returns
    -------
    points : (k, 3) float64 array, metres
    edge_index : (k,) int64 array
        Row of ``edges`` each point lies on.
    """
    v = np.asarray(vertices, dtype=np.float64)
    n = np.asarray(normal, dtype=np.float64)
    n = n / np.linalg.norm(n)
    d = (v - np.asarray(origin, dtype=np.float64)) @ n
    da, db = d[edges[:, 0]], d[edges[:, 1]]
    cut = np.nonzero((np.minimum(da, db) <= 0.0) & (np.maximum(da, db) > 0.0))[0]
    t = (da[cut] / (da[cut] - db[cut]))[:, None]
    a, b = v[edges[cut, 0]], v[edges[cut, 1]]
    return a + t * (b - a), cut


def girth(vertices: np.ndarray, faces_or_edges: np.ndarray, origin: np.ndarray, normal: np.ndarray,
          keep: np.ndarray | None = None) -> float:
    """Tape girth (metres): perimeter of the convex hull of the section of a mesh by a plane.

    Parameters
    ----------
    vertices : (N, 3) float array, metres.
    faces_or_edges : (M, 3) triangles or (E, 2) edges
        With triangles every edge may be cut; pass an edge subset to girth one body part only.
    origin, normal : (3,) float arrays
        The plane.
    keep : (N,) bool array, optional
        Only edges with both ends kept are cut.
    """
    e = np.asarray(faces_or_edges)
    edges = mesh_edges(e) if e.shape[1] == 3 else e.astype(np.int64)
    if keep is not None:
        edges = edges[keep[edges[:, 0]] & keep[edges[:, 1]]]
    pts, _ = plane_section(vertices, edges, origin, normal)
    if len(pts) < 3:
        return 0.0
    n = np.asarray(normal, dtype=np.float64)
    u, w = _basis(n / np.linalg.norm(n))
    return hull_perimeter(np.stack([pts @ u, pts @ w], axis=1))


def _horizontal_points(vertices: np.ndarray, edges: np.ndarray, levels: np.ndarray,
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Section points of many horizontal planes at once.

    Returns
    -------
    points : (L, n, 3) float64, padded (n = most points of one level)
    valid : (L, n) bool, which entries are real
    edge_index : (L, n) int64, row of ``edges`` of each point (-1 for padding)
    """
    levels = np.asarray(levels, dtype=np.float64)
    ya, yb = vertices[edges[:, 0], 1], vertices[edges[:, 1], 1]
    lo, hi = np.minimum(ya, yb), np.maximum(ya, yb)
    band = np.nonzero((hi > levels.min()) & (lo <= levels.max()))[0]
    lo_b, hi_b = lo[band], hi[band]
    cross = (lo_b[None, :] <= levels[:, None]) & (hi_b[None, :] > levels[:, None])  # (L, Eb)
    li, bi = np.nonzero(cross)
    ei = band[bi]
    a, b = edges[ei, 0], edges[ei, 1]
    t = (levels[li] - vertices[a, 1]) / (vertices[b, 1] - vertices[a, 1])
    pts = vertices[a] + t[:, None] * (vertices[b] - vertices[a])
    counts = cross.sum(axis=1)
    width = max(int(counts.max()) if len(counts) else 0, 1)
    pos = np.arange(len(li)) - np.repeat(np.cumsum(counts) - counts, counts)
    points = np.zeros((len(levels), width, 3))
    valid = np.zeros((len(levels), width), dtype=bool)
    edge_index = np.full((len(levels), width), -1, dtype=np.int64)
    points[li, pos] = pts
    valid[li, pos] = True
    edge_index[li, pos] = ei
    return points, valid, edge_index


def horizontal_girths(vertices: np.ndarray, edges: np.ndarray, levels: Sequence[float] | np.ndarray,
                      min_x: float | None = None, max_x: float | None = None,
                      directions: int = SEARCH_DIRECTIONS) -> np.ndarray:
    """Approximate tape girths (metres) of many horizontal sections at once (for searching a level).

    Parameters
    ----------
    vertices : (N, 3) float array, metres, +Y up.
    edges : (E, 2) int array
        The edges that may be cut.
    levels : (L,) heights y (metres).
    min_x, max_x : float, optional
        Keep only section points with ``x >= min_x`` / ``x <= max_x`` (one leg of two).
    directions : int
        Support directions of the approximate hull (more: closer to the exact perimeter, slower).

    Returns
    -------
    (L,) float64 array, metres; 0 where a level cuts fewer than 3 edges. With the default 256 directions
    within 0.02 cm of the exact hull perimeter (:func:`girth`) for body-sized sections.
    """
    v = np.asarray(vertices, dtype=np.float64)
    pts, valid, _ = _horizontal_points(v, np.asarray(edges, dtype=np.int64), np.asarray(levels, dtype=np.float64))
    if min_x is not None:
        valid &= pts[..., 0] >= min_x
    if max_x is not None:
        valid &= pts[..., 0] <= max_x
    return _support_perimeters(pts[..., [0, 2]], valid, directions)
