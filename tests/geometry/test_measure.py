"""Tape measurements on analytic meshes whose girths and heights are known exactly."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fw_kernel.geometry.body.measure import FrozenGirth, Plane, body_height, polyline_length
from fw_kernel.geometry.hull import convex_hull_2d, hull_perimeter
from fw_kernel.geometry.sections import girth, horizontal_girths, mesh_edges, plane_section


def prism(outline: np.ndarray, y0: float = 0.0, y1: float = 1.0, rows: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Closed triangle mesh of a vertical prism over a closed (n, 2) outline in the x-z plane (metres, +Y up)."""
    n = len(outline)
    levels = np.linspace(y0, y1, rows)
    ring = [np.column_stack([outline[:, 0], np.full(n, y), outline[:, 1]]) for y in levels]
    centres = [np.array([[outline[:, 0].mean(), y, outline[:, 1].mean()]]) for y in (y0, y1)]
    vertices = np.vstack([*ring, *centres])
    faces = []
    for r in range(rows - 1):
        for i in range(n):
            a, b = r * n + i, r * n + (i + 1) % n
            c, d = a + n, b + n
            faces += [(a, b, d), (a, d, c)]
    bottom, top = rows * n, rows * n + 1
    for i in range(n):
        faces.append((bottom, (i + 1) % n, i))
        faces.append((top, (rows - 1) * n + i, (rows - 1) * n + (i + 1) % n))
    return vertices, np.array(faces)


def ellipse(a: float, b: float, n: int) -> np.ndarray:
    t = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    return np.column_stack([a * np.cos(t), b * np.sin(t)])


def polygon_perimeter(outline: np.ndarray) -> float:
    return float(np.linalg.norm(outline - np.roll(outline, -1, axis=0), axis=1).sum())


def test_cylinder_girth_is_the_perimeter_of_its_polygon() -> None:
    r, n = 0.15, 96
    v, f = prism(ellipse(r, r, n), rows=4)
    expected = 2 * n * r * math.sin(math.pi / n)
    for level in (0.1, 0.5, 0.9):
        assert girth(v, f, [0, level, 0], [0, 1, 0]) == pytest.approx(expected, abs=1e-12)
    assert expected == pytest.approx(2 * math.pi * r, rel=1e-3)


def test_plane_through_a_ring_of_vertices_finds_every_vertex() -> None:
    r, n = 0.2, 40
    v, f = prism(ellipse(r, r, n), rows=5)  # rings at y = 0, 0.25, 0.5, 0.75, 1
    pts, _ = plane_section(v, mesh_edges(f), np.array([0, 0.5, 0]), np.array([0, 1.0, 0]))
    assert len(np.unique(pts.round(12), axis=0)) == n
    assert girth(v, f, [0, 0.5, 0], [0, 1, 0]) == pytest.approx(2 * n * r * math.sin(math.pi / n), abs=1e-12)


def test_ellipse_prism_girth_matches_ramanujan() -> None:
    a, b, n = 0.17, 0.11, 720
    outline = ellipse(a, b, n)
    v, f = prism(outline)
    g = girth(v, f, [0, 0.5, 0], [0, 1, 0])
    assert g == pytest.approx(polygon_perimeter(outline), abs=1e-12)
    h = ((a - b) / (a + b)) ** 2
    ramanujan = math.pi * (a + b) * (1 + 3 * h / (10 + math.sqrt(4 - 3 * h)))
    assert g == pytest.approx(ramanujan, rel=2e-5)


def test_box_height_and_girth() -> None:
    square = np.array([[-0.15, -0.1], [0.15, -0.1], [0.15, 0.1], [-0.15, 0.1]])
    v, f = prism(square, y0=0.25, y1=1.98, rows=3)
    assert body_height(v) == pytest.approx(1.73, abs=1e-12)
    assert girth(v, f, [0, 1.0, 0], [0, 1, 0]) == pytest.approx(1.0, abs=1e-12)


def test_tilted_plane_through_a_cylinder_cuts_an_ellipse() -> None:
    r, n, tilt = 0.1, 720, math.radians(30)
    v, f = prism(ellipse(r, r, n), y0=-1, y1=1, rows=41)
    normal = np.array([math.sin(tilt), math.cos(tilt), 0.0])
    a, b = r / math.cos(tilt), r
    h = ((a - b) / (a + b)) ** 2
    ramanujan = math.pi * (a + b) * (1 + 3 * h / (10 + math.sqrt(4 - 3 * h)))
    assert girth(v, f, [0, 0, 0], normal) == pytest.approx(ramanujan, rel=1e-4)


def test_a_tape_bridges_concavities_star_prism() -> None:
    big, small, k = 0.2, 0.08, 5
    t = np.arange(2 * k) * math.pi / k
    radius = np.where(np.arange(2 * k) % 2 == 0, big, small)
    star = np.column_stack([radius * np.cos(t), radius * np.sin(t)])
    v, f = prism(star)
    pentagon = 2 * k * big * math.sin(math.pi / k)
    assert girth(v, f, [0, 0.5, 0], [0, 1, 0]) == pytest.approx(pentagon, abs=1e-12)
    assert polygon_perimeter(star) > pentagon  # the outline itself is longer: the tape does not follow it


def test_two_separate_legs_are_girthed_together_and_one_alone_with_an_edge_subset() -> None:
    r, n, d = 0.08, 64, 0.25
    v1, f1 = prism(ellipse(r, r, n) + np.array([-d / 2, 0]))
    v2, f2 = prism(ellipse(r, r, n) + np.array([d / 2, 0]))
    v, f = np.vstack([v1, v2]), np.vstack([f1, f2 + len(v1)])
    one = 2 * n * r * math.sin(math.pi / n)
    assert girth(v, f, [0, 0.5, 0], [0, 1, 0]) == pytest.approx(one + 2 * d, abs=1e-12)
    keep = np.arange(len(v)) >= len(v1)
    assert girth(v, f, [0, 0.5, 0], [0, 1, 0], keep=keep) == pytest.approx(one, abs=1e-12)


def test_batched_horizontal_girths_agree_with_single_ones() -> None:
    v, f = prism(ellipse(0.16, 0.12, 180), rows=9)
    v[:, 0] *= 1 + 0.3 * v[:, 1]  # widen upwards: every level differs
    edges = mesh_edges(f)
    levels = np.linspace(0.05, 0.95, 19)
    batched = horizontal_girths(v, edges, levels)
    single = np.array([girth(v, edges, [0, y, 0], [0, 1, 0]) for y in levels])
    assert np.abs(batched - single).max() < 2e-4  # 0.02 cm
    assert np.all(np.diff(single) > 0)
    right = horizontal_girths(v, edges, levels, min_x=0.0)
    assert np.all(right < batched)


def test_convex_hull_of_random_points_contains_them_all() -> None:
    rng = np.random.default_rng(7)
    for n in (3, 10, 300, 2000):
        p = rng.normal(size=(n, 2)) * [0.2, 0.1]
        h = convex_hull_2d(p)
        q = p[h]
        edge = np.roll(q, -1, axis=0) - q
        cross = edge[None, :, 0] * (p[:, None, 1] - q[None, :, 1]) - edge[None, :, 1] * (p[:, None, 0] - q[None, :, 0])
        assert cross.min() > -1e-12  # every point on the left of every hull edge: convex, counter-clockwise
        area = 0.5 * np.sum(q[:, 0] * np.roll(q[:, 1], -1) - np.roll(q[:, 0], -1) * q[:, 1])
        assert area > 0
    square = np.array([[0, 0], [1, 0], [1, 1], [0, 1], [0.5, 0], [0.5, 0.5]], dtype=float)
    assert sorted(convex_hull_2d(square).tolist()) == [0, 1, 2, 3]
    assert hull_perimeter(square) == pytest.approx(4.0)


def test_frozen_girth_follows_the_mesh_smoothly() -> None:
    r, n = 0.12, 72
    v, f = prism(ellipse(r, r, n), rows=3)
    edges = mesh_edges(f)
    plane = Plane("level", (0,), 0.3)  # 0.3 m above vertex 0 (on the bottom ring)
    pts, cut = plane_section(v, edges, np.array([0, 0.3, 0]), np.array([0, 1.0, 0]))
    hull = convex_hull_2d(pts[:, [0, 2]])
    frozen = FrozenGirth(plane, edges[cut][hull])
    batch = np.stack([v, v * np.array([1.1, 1.0, 1.1]), v + np.array([0.0, 0.2, 0.0])])
    g = frozen.evaluate(batch)
    exact = 2 * n * r * math.sin(math.pi / n)
    assert g == pytest.approx([exact, 1.1 * exact, exact], abs=1e-12)


def test_mesh_edges_and_polyline() -> None:
    v, f = prism(ellipse(0.1, 0.1, 12), rows=3)
    edges = mesh_edges(f)
    assert len(edges) == len(v) + len(f) - 2  # Euler: closed genus-0 surface
    assert polyline_length(np.array([[0, 0, 0], [3, 4, 0], [3, 4, 12]], dtype=float)) == pytest.approx(17.0)
    with pytest.raises(ValueError, match="triangles"):
        mesh_edges(np.zeros((3, 4), dtype=int))
