"""PNG writing and reading (Pillow)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fw_kernel.geometry.png import read_png, to_uint8, write_png


@pytest.mark.parametrize("shape", [(5, 7), (5, 7, 3), (5, 7, 4)])
def test_float_round_trip(tmp_path: Path, shape: tuple[int, ...]) -> None:
    data = np.random.default_rng(0).random(shape).astype(np.float32)
    path = write_png(tmp_path / "a.png", data)
    back = read_png(path)
    assert back.shape == shape and back.dtype == np.uint8
    np.testing.assert_array_equal(back, np.rint(data * 255).astype(np.uint8))


def test_uint8_is_written_unchanged(tmp_path: Path) -> None:
    data = np.arange(48, dtype=np.uint8).reshape(4, 4, 3)
    np.testing.assert_array_equal(read_png(write_png(tmp_path / "b.png", data)), data)


def test_floats_are_clipped() -> None:
    np.testing.assert_array_equal(to_uint8(np.array([[-0.5, 0.5, 1.5]])), [[0, 128, 255]])


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.zeros((4,)), "array.shape"),
        (np.zeros((4, 4, 2)), "array.shape"),
        (np.zeros((0, 4, 3)), "array.shape"),
        (np.zeros((4, 4), dtype=np.int32), "array.dtype"),
        (np.full((4, 4), np.nan), "non-finite"),
    ],
)
def test_bad_arrays(tmp_path: Path, array: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        write_png(tmp_path / "c.png", array)
    assert not (tmp_path / "c.png").exists()
