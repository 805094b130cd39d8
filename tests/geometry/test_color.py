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


def test_srgb_transfer_functions_match_colour_science_and_round_trip_8_bits() -> None:
    import colour

    from fw_kernel.geometry.texture.color import linear_to_srgb, srgb_to_linear

    encoded = np.arange(256) / 255.0
    np.testing.assert_allclose(srgb_to_linear(encoded), colour.models.eotf_sRGB(encoded), atol=1e-12)
    np.testing.assert_allclose(linear_to_srgb(encoded), colour.models.eotf_inverse_sRGB(encoded), atol=1e-12)
    np.testing.assert_array_equal(np.round(linear_to_srgb(srgb_to_linear(encoded)) * 255), np.arange(256))
    assert srgb_to_linear([0.5]).item() == pytest.approx(0.214041, abs=1e-6)       # mid grey is ~21 % of the light
    np.testing.assert_array_equal(srgb_to_linear([-0.2, 1.3]), [0.0, 1.0])           # clipped to [0, 1]


def test_linear_hex_and_hex_to_linear() -> None:
    from fw_kernel.geometry.texture.color import hex_to_linear, linear_hex

    assert linear_hex("#808080") == "#373737" and linear_hex("#ffffff") == "#ffffff" and linear_hex("#000") == "#000000"
    assert linear_hex("#7a1f3d") == "#32030c"  # 0.1946, 0.0137, 0.0467 of full scale
    np.testing.assert_allclose(hex_to_linear("#7a1f3d"), [0.194618, 0.013702, 0.046665], atol=1e-6)
    with pytest.raises(ValueError, match="#rrggbb"):
        linear_hex("burgundy")
