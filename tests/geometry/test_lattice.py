"""The integer tile lattice and its per-cell randomness."""

from __future__ import annotations

import numpy as np

from fw_kernel.geometry.texture.lattice import cell_keys, fractal_noise, hash01, snap_lattice, to_pattern, value_noise

MATRIX = np.array([[7, -4], [4, 7]], dtype=np.int64)  # about 30 degrees, 65 cells per tile


def test_cell_keys_identify_cells_one_tile_apart() -> None:
    rng = np.random.default_rng(1)
    i, j = rng.integers(-50, 50, 500), rng.integers(-50, 50, 500)
    k = rng.integers(-3, 3, (2, 500))
    shifted = np.array([i, j]) + MATRIX @ k
    for a, b in zip(cell_keys(i, j, MATRIX), cell_keys(*shifted, MATRIX)):
        np.testing.assert_array_equal(a, b)


def test_cell_keys_separate_the_cells_of_one_tile() -> None:
    # the 65 classes of Z^2 / M Z^2 get 65 distinct keys
    i, j = np.meshgrid(np.arange(-20, 20), np.arange(-20, 20))
    keys = set(zip(*(k.ravel().tolist() for k in cell_keys(i, j, MATRIX))))
    assert len(keys) == abs(round(np.linalg.det(MATRIX))) == 65


def test_hash_is_uniform_and_seeded() -> None:
    kx, ky = np.meshgrid(np.arange(100), np.arange(100))
    h = hash01(kx, ky, seed=3)
    assert h.min() >= 0.0 and h.max() < 1.0 and abs(h.mean() - 0.5) < 0.02
    assert not np.array_equal(h, hash01(kx, ky, seed=4))
    assert not np.array_equal(h, hash01(kx, ky, seed=3, salt=1))


def test_noise_repeats_with_the_tile() -> None:
    rng = np.random.default_rng(2)
    u, v = rng.random(1000), rng.random(1000)
    for noise in (value_noise, fractal_noise):
        a = noise(*to_pattern(u, v, MATRIX), MATRIX, 5)
        b = noise(*to_pattern(u + 1, v - 2, MATRIX), MATRIX, 5)
        np.testing.assert_allclose(a, b, atol=1e-9)
        assert a.min() >= 0.0 and a.max() <= 1.0 and a.std() > 0.05


def test_snap_lattice_non_square_tile_and_degenerate_case() -> None:
    lat = snap_lattice((100, 200), repeats=4, scale=1.0, rotation_deg=0.0)
    np.testing.assert_array_equal(lat.matrix, [[8, 0], [0, 4]])
    assert lat.period_px == (25.0, 25.0) and lat.rotation_deg == 0.0
    tiny = snap_lattice((10, 10), repeats=1, scale=20.0, rotation_deg=80.0)  # far less than one repeat
    assert abs(round(np.linalg.det(tiny.matrix))) >= 1 and tiny.rotation_deg == 90.0
