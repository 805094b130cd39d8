"""Colour checks shared by the render, tech-pack and browser tests: CIEDE2000 (colour-science) between sRGB colours,
and the pixels where a garment faces the canvas camera (projected from its vertices, as a renderer would)."""

from __future__ import annotations

from typing import Any

import numpy as np

#: the colours the tests choose: dark burgundy, a light pastel, a saturated blue, mid grey
CHOSEN = ("#7a1f3d", "#f4c2d7", "#1f4fd1", "#808080")


def srgb255(colour: str) -> np.ndarray:
    """(3,) float 0..255 of '#rrggbb'."""
    return np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)


def delta_e(a: Any, b: Any) -> np.ndarray:
    """CIEDE2000 between sRGB colours given as 0..255 arrays (..., 3) (or '#rrggbb' strings), D65."""
    import colour

    def lab(c: Any) -> np.ndarray:
        rgb = srgb255(c) if isinstance(c, str) else np.asarray(c, dtype=float)
        return colour.XYZ_to_Lab(colour.sRGB_to_XYZ(rgb / 255.0))

    return np.asarray(colour.delta_E(lab(a), lab(b), method="CIE 2000"))


def front_facing_pixels(mesh: Any, camera_pose: np.ndarray, yfov_deg: float, width: int, height: int,
                        facing: float = 0.85, central: float = 0.6) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) of image pixels showing the middle of a mesh's camera-facing surface.

    Parameters
    ----------
    mesh : trimesh.Trimesh
        The garment, in world coordinates (metres).
    camera_pose : (4, 4)
        Camera-to-world transform, the camera looking down its -Z (OpenGL, three.js and pyrender alike).
    yfov_deg : float
        Vertical field of view; the aspect ratio is ``width / height``.
    facing : float
        Smallest cosine between a vertex normal and the direction to the camera.
    central : float
        Keep vertices within this share of the mesh's width about its centre (the front panel, not the sides
        an arm may hide or shade).
    """
    vertices, normals = np.asarray(mesh.vertices, float), np.asarray(mesh.vertex_normals, float)
    eye = camera_pose[:3, 3]
    to_eye = eye - vertices
    to_eye /= np.linalg.norm(to_eye, axis=1, keepdims=True)
    cos = np.abs((normals * to_eye).sum(axis=1))  # garments are double-sided: either winding faces the camera
    lo, hi = vertices[:, 0].min(), vertices[:, 0].max()
    middle, half = (lo + hi) / 2, (hi - lo) * central / 2
    depth = (vertices - eye) @ -camera_pose[:3, 2]
    # the nearer half along the view (the garment's front, not its back panel facing the same way from behind)
    keep = (cos >= facing) & (np.abs(vertices[:, 0] - middle) <= half) & (depth > 0) & (depth <= np.median(depth))
    local = (np.linalg.inv(camera_pose) @ np.c_[vertices[keep], np.ones(keep.sum())].T).T[:, :3]
    f = 1.0 / np.tan(np.radians(yfov_deg) / 2)
    x = f / (width / height) * local[:, 0] / -local[:, 2]
    y = f * local[:, 1] / -local[:, 2]
    cols = np.round((x + 1) / 2 * width - 0.5).astype(int)
    rows = np.round((1 - y) / 2 * height - 0.5).astype(int)
    inside = (cols >= 0) & (cols < width) & (rows >= 0) & (rows < height)
    return rows[inside], cols[inside]


def sampled_colour(image: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """(3,) per-channel median of the image's RGB at those pixels (robust to a stray edge or seam pixel)."""
    assert len(rows) > 50, f"only {len(rows)} front-facing pixels found"
    return np.median(image[rows, cols, :3].astype(float), axis=0)
