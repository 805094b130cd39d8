"""The image codec adapter: export files and tech-pack PNGs from renders, read back with Pillow."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from fw_kernel.adapters.image_codec import encode, opaque_png


def _render(transparent: bool) -> np.ndarray:
    """A 24x16 render: a red figure in the middle on a blue (or transparent) background."""
    rgba = np.zeros((24, 16, 4), np.uint8)
    rgba[..., 2] = 200
    rgba[..., 3] = 0 if transparent else 255
    rgba[6:18, 4:12] = (220, 30, 30, 255)
    return rgba


def _read(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize("fmt, pil_format", [("png", "PNG"), ("jpeg", "JPEG"), ("webp", "WEBP")])
def test_an_opaque_render_is_stored_without_alpha(fmt: str, pil_format: str) -> None:
    image = _read(encode(_render(transparent=False), fmt))
    assert image.format == pil_format and image.mode == "RGB" and image.size == (16, 24)
    pixels = np.asarray(image).astype(int)
    assert np.abs(pixels[12, 8] - (220, 30, 30)).max() <= 12          # the figure (lossy formats: close)
    assert np.abs(pixels[1, 1] - (0, 0, 200)).max() <= 12             # the background


def test_a_transparent_render_keeps_alpha_except_in_jpeg() -> None:
    rgba = _render(transparent=True)
    png = np.asarray(_read(encode(rgba, "png")))
    assert png.shape == (24, 16, 4) and png[1, 1, 3] == 0 and png[12, 8, 3] == 255
    assert (png == rgba).all()                                         # PNG is lossless
    webp = _read(encode(rgba, "webp"))
    assert webp.mode == "RGBA" and np.asarray(webp)[1, 1, 3] == 0
    assert _read(encode(rgba, "jpeg")).mode == "RGB"                  # JPEG has no alpha


def test_opaque_png_lays_a_transparent_render_over_the_background() -> None:
    rgba = _render(transparent=True)
    over = np.asarray(_read(opaque_png(rgba, "#ffeedd")))
    assert over.shape == (24, 16, 3)
    assert tuple(over[1, 1]) == (0xFF, 0xEE, 0xDD) and tuple(over[12, 8]) == (220, 30, 30)
    own = np.asarray(_read(opaque_png(_render(transparent=False))))
    assert own.shape == (24, 16, 3) and tuple(own[1, 1]) == (0, 0, 200)  # no background: its own pixels
