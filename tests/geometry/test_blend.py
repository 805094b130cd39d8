"""Blend modes against values worked out by hand from the W3C Compositing and Blending Level 1 formulas."""

from __future__ import annotations

import numpy as np
import pytest

from fw_kernel.domain.values import BLEND_MODES as DOMAIN_BLEND_MODES
from fw_kernel.geometry.texture.blend import BLEND_MODES, composite

# 2 x 2 RGB images; every value and every expected result is exact in binary floating point.
BASE = np.array(
    [[[0.0, 0.25, 0.5], [0.75, 1.0, 0.5]],
     [[0.25, 0.25, 0.25], [1.0, 0.0, 0.75]]], dtype=np.float32)
LAYER = np.array(
    [[[0.5, 0.5, 0.5], [0.5, 0.25, 1.0]],
     [[1.0, 0.0, 0.75], [0.25, 1.0, 0.5]]], dtype=np.float32)

# B(Cb, Cs) at opacity 100, pixel by pixel, worked out by hand:
#   multiply b*l; screen b + l - b*l; overlay 2*b*l if b <= 0.5 else l + (2b-1) - l*(2b-1); add min(1, b + l)
FULL = {
    "normal": LAYER,
    "multiply": [[[0.0, 0.125, 0.25], [0.375, 0.25, 0.5]],
                 [[0.25, 0.0, 0.1875], [0.25, 0.0, 0.375]]],
    "screen": [[[0.5, 0.625, 0.75], [0.875, 1.0, 1.0]],
               [[1.0, 0.25, 0.8125], [1.0, 1.0, 0.875]]],
    "overlay": [[[0.0, 0.25, 0.5], [0.75, 1.0, 1.0]],
                [[0.5, 0.0, 0.375], [1.0, 0.0, 0.75]]],
    "add": [[[0.5, 0.75, 1.0], [1.0, 1.0, 1.0]],
            [[1.0, 0.25, 1.0], [1.0, 1.0, 1.0]]],
}


def reference_pixel(b: float, s: float, mode: str, a: float) -> float:
    """One channel, straight from the spec's formulas (pure Python, independent of the code under test)."""
    if mode == "normal":
        mixed = s
    elif mode == "multiply":
        mixed = b * s
    elif mode == "screen":
        mixed = b + s - b * s
    elif mode == "overlay":  # HardLight(Cs, Cb): the backdrop decides
        mixed = 2 * b * s if b <= 0.5 else s + (2 * b - 1) - s * (2 * b - 1)
    else:  # add / linear dodge
        mixed = min(1.0, b + s)
    return b * (1 - a) + mixed * a


def reference(mode: str, opacity: float, alpha: np.ndarray | None = None) -> np.ndarray:
    out = np.zeros((2, 2, 3))
    for y in range(2):
        for x in range(2):
            a = opacity / 100 * (1.0 if alpha is None else float(alpha[y, x]))
            for c in range(3):
                out[y, x, c] = reference_pixel(float(BASE[y, x, c]), float(LAYER[y, x, c]), mode, a)
    return out


def test_modes_match_the_layer_model() -> None:
    assert BLEND_MODES == DOMAIN_BLEND_MODES


@pytest.mark.parametrize("mode", BLEND_MODES)
def test_full_opacity_matches_hand_computed_table(mode: str) -> None:
    out = composite(BASE, LAYER, mode, 100)
    assert out.dtype == np.float32 and out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out, np.asarray(FULL[mode], dtype=np.float32))


@pytest.mark.parametrize("mode", BLEND_MODES)
def test_reference_formulas_agree_with_the_table(mode: str) -> None:
    np.testing.assert_array_equal(reference(mode, 100), np.asarray(FULL[mode], dtype=np.float64))


@pytest.mark.parametrize("mode", BLEND_MODES)
@pytest.mark.parametrize("opacity", [0, 25, 50, 75, 100, 12.5])
def test_opacity_mixes_over_the_base(mode: str, opacity: float) -> None:
    out = composite(BASE, LAYER, mode, opacity)
    np.testing.assert_allclose(out, reference(mode, opacity), rtol=0, atol=1e-7)


def test_some_partial_opacity_values_by_hand() -> None:
    # multiply at 50 %: pixel (0, 0) = base*(0.5) + (b*l)*(0.5) = [0, 0.1875, 0.375]
    np.testing.assert_array_equal(composite(BASE, LAYER, "multiply", 50)[0, 0], [0.0, 0.1875, 0.375])
    # screen at 25 %: pixel (1, 0) = 0.75*[0.25, 0.25, 0.25] + 0.25*[1, 0.25, 0.8125]
    np.testing.assert_array_equal(composite(BASE, LAYER, "screen", 25)[1, 0], [0.4375, 0.25, 0.390625])
    # overlay at 50 %: pixel (1, 1) = 0.5*[1, 0, 0.75] + 0.5*[1, 0, 0.75]
    np.testing.assert_array_equal(composite(BASE, LAYER, "overlay", 50)[1, 1], [1.0, 0.0, 0.75])
    # add at 75 %: pixel (0, 0) = 0.25*[0, 0.25, 0.5] + 0.75*[0.5, 0.75, 1]
    np.testing.assert_array_equal(composite(BASE, LAYER, "add", 75)[0, 0], [0.375, 0.625, 0.875])


def test_zero_opacity_returns_the_base() -> None:
    for mode in BLEND_MODES:
        np.testing.assert_array_equal(composite(BASE, LAYER, mode, 0), BASE)


@pytest.mark.parametrize("mode", BLEND_MODES)
@pytest.mark.parametrize("opacity", [100, 50])
def test_alpha_scales_the_effective_opacity(mode: str, opacity: float) -> None:
    alpha = np.array([[1.0, 0.5], [0.0, 0.25]], dtype=np.float32)
    out = composite(BASE, LAYER, mode, opacity, alpha=alpha)
    np.testing.assert_allclose(out, reference(mode, opacity, alpha), rtol=0, atol=1e-7)
    np.testing.assert_array_equal(out[1, 0], BASE[1, 0])  # alpha 0: untouched


def test_normal_with_half_alpha_by_hand() -> None:
    alpha = np.full((2, 2), 0.5, dtype=np.float32)
    out = composite(BASE, LAYER, "normal", 100, alpha=alpha)
    np.testing.assert_array_equal(out[0, 1], [0.625, 0.625, 0.75])  # (b + l) / 2


def test_inputs_are_not_modified_and_float64_is_accepted() -> None:
    base, layer = BASE.astype(np.float64), LAYER.astype(np.float64)
    before = base.copy(), layer.copy()
    out = composite(base, layer, "overlay", 60)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(base, before[0])
    np.testing.assert_array_equal(layer, before[1])


def test_unknown_mode_lists_the_modes() -> None:
    with pytest.raises(ValueError, match="darken") as err:
        composite(BASE, LAYER, "darken", 100)
    for mode in BLEND_MODES:
        assert mode in str(err.value)


@pytest.mark.parametrize("opacity", [-1, 100.5, float("nan"), "50", True, None])
def test_bad_opacity(opacity: object) -> None:
    with pytest.raises(ValueError, match="opacity") as err:
        composite(BASE, LAYER, "normal", opacity)  # type: ignore[arg-type]
    assert "0 to 100" in str(err.value)


def test_mismatched_shapes_name_both() -> None:
    with pytest.raises(ValueError) as err:
        composite(BASE, np.zeros((3, 2, 3), dtype=np.float32), "normal", 100)
    assert "(3, 2, 3)" in str(err.value) and "(2, 2, 3)" in str(err.value)


def test_bad_alpha() -> None:
    with pytest.raises(ValueError, match=r"alpha.shape.*\(2, 3\).*\(2, 2\)"):
        composite(BASE, LAYER, "normal", 100, alpha=np.ones((2, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="alpha value range"):
        composite(BASE, LAYER, "normal", 100, alpha=np.full((2, 2), 1.5))
    with pytest.raises(ValueError, match=r"alpha\.dtype"):
        composite(BASE, LAYER, "normal", 100, alpha=np.ones((2, 2), dtype=np.uint8))


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (np.zeros((2, 2), dtype=np.float32), r"layer.shape.*\(2, 2\).*\(H, W, 3\)"),
        (np.zeros((2, 2, 4), dtype=np.float32), r"layer.shape.*\(2, 2, 4\)"),
        (np.zeros((2, 2, 3), dtype=np.uint8), "layer.dtype.*uint8.*255"),
        (np.full((2, 2, 3), 2.0), r"layer value range.*\(2.0, 2.0\).*\[0, 1\]"),
        (np.full((2, 2, 3), np.nan), "non-finite"),
    ],
)
def test_bad_layer_images(image: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        composite(BASE, image, "normal", 100)


def test_bad_base_image_is_named() -> None:
    with pytest.raises(ValueError, match="base value range"):
        composite(BASE - 0.5, LAYER, "normal", 100)
