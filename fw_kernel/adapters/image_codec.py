"""Rendered pictures to image files (Pillow): what the export service stores and what a tech pack lays out.

PIL is imported inside the functions, so wiring this module (``bootstrap``) loads nothing.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

QUALITY = 92  # JPEG and WebP: visually lossless for renders at a third of PNG's size


def encode(rgba: np.ndarray, format: str) -> bytes:
    """An export's image file.

    Parameters
    ----------
    rgba
        (H, W, 4) uint8 render.
    format
        ``png``, ``jpeg`` or ``webp`` (checked by the export's validation).

    Returns
    -------
    The file's bytes. The alpha channel is kept only where the format has one and the render uses it (a
    transparent background); JPEG and WebP at quality 92.
    """
    from PIL import Image

    image = Image.fromarray(rgba, "RGBA")
    if format == "jpeg" or rgba[..., 3].min() == 255:
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format=format.upper(), **({"quality": QUALITY} if format != "png" else {}))
    return buffer.getvalue()


def opaque_png(rgba: np.ndarray, background: Any = None) -> bytes:
    """An RGB PNG of a render, first laid over ``background`` (a colour Pillow reads: ``'#rrggbb'``) when given.

    Parameters
    ----------
    rgba
        (H, W, 4) uint8 render.
    background
        The colour behind a render made on a transparent background; ``None``: the render's own pixels.

    Returns
    -------
    PNG bytes without alpha, same size.
    """
    from PIL import Image

    picture = Image.fromarray(rgba, "RGBA")
    if background is not None:
        canvas = Image.new("RGBA", picture.size, background)
        picture = Image.alpha_composite(canvas, picture)
    buffer = io.BytesIO()
    picture.convert("RGB").save(buffer, format="PNG")
    return buffer.getvalue()
