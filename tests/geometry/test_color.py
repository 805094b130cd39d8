"""hex_to_rgb and palette parsing."""

from __future__ import annotations

import numpy as np
import pytest

from fw_kernel.geometry.texture.color import palette
from fw_kernel.geometry.texture.textures import hex_to_rgb


def test_hex_to_rgb_values_and_dtype() -> None:
    rgb = hex_to_rgb("#ff8000")
    assert rgb.shape == (3,) and rgb.dtype == np.float32
    np.testing.assert_allclose(rgb, [1.0, 128 / 255, 0.0])
    np.testing.assert_array_equal(hex_to_rgb("FF8000"), rgb)
    np.testing.assert_array_equal(hex_to_rgb("#f80"), hex_to_rgb("#ff8800"))
    np.testing.assert_array_equal(hex_to_rgb(" #000000 "), [0, 0, 0])


@pytest.mark.parametrize("bad", ["#12345", "#gg0000", "red", "", "#1234567", 0xFF0000, None, ["#ffffff"]])
def test_hex_to_rgb_rejects(bad: object) -> None:
    with pytest.raises(ValueError, match="#rrggbb"):
        hex_to_rgb(bad)  # type: ignore[arg-type]


def test_palette_fills_missing_colours_and_names_bad_entries() -> None:
    p = palette(["#000000"], ["#ffffff", "#ff0000"])
    np.testing.assert_array_equal(p, [[0, 0, 0], [1, 0, 0]])
    assert palette(None, ["#ffffff"]).shape == (1, 3)
    assert palette(["#000", "#111", "#222"], ["#fff"]).shape == (3, 3)
    with pytest.raises(ValueError, match=r"colors\[1\]"):
        palette(["#000000", "nope"], ["#ffffff"])
    with pytest.raises(ValueError, match="list of colour strings"):
        palette("#000000", ["#ffffff"])
