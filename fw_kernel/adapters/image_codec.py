"""Image files with Pillow: rendered pictures to files (what the export service stores and a tech pack lays
out), and body photos to pixels and back (what ``PhotoAvatarService`` measures and keeps).

PIL is imported inside the functions, so wiring this module (``bootstrap``) loads nothing.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np

from ..domain.errors import ValidationError
from ..services.photo_avatars import MAX_PHOTO_BYTES, MAX_PHOTO_PIXELS, MAX_PHOTO_SIDE, MIN_PHOTO_SIDE, WORK_SIDE

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


def decode_photo(photo: Any, field: str) -> np.ndarray:
    """A photo as an (H, W, 3) C-contiguous uint8 RGB array, upright (EXIF orientation applied), at most
    :data:`WORK_SIDE` pixels on its longest side.

    Parameters
    ----------
    photo : a path (str or Path), bytes, a binary file object, a PIL image, or an (H, W, 3|4) / (H, W) uint8
        array.
    field : "front" or "side" (named in errors).

    Raises
    ------
    ValidationError
        Not an image, too large (bytes or pixels), too small.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    allowed = "a JPEG, PNG or WebP photo: a path, bytes, a PIL image or an RGB array"
    if isinstance(photo, np.ndarray):
        if photo.dtype != np.uint8 or photo.ndim not in (2, 3):
            raise ValidationError.bad(field, f"array {photo.dtype} {photo.shape}", allowed)
        img = Image.fromarray(photo)
    elif isinstance(photo, Image.Image):
        img = photo
    else:
        if isinstance(photo, str | Path):
            path = Path(photo).expanduser()
            if not path.is_file():
                raise ValidationError.bad(field, str(photo), allowed, "no such file")
            size = path.stat().st_size
            if size > MAX_PHOTO_BYTES:
                raise ValidationError.bad(field, f"{size / 1e6:.0f} MB file", f"at most {MAX_PHOTO_BYTES >> 20} MB",
                                          "the photo file is too large; export it at a lower resolution")
            data = path.read_bytes()
        elif isinstance(photo, bytes | bytearray | memoryview):
            data = bytes(photo)
        elif hasattr(photo, "read"):
            data = photo.read(MAX_PHOTO_BYTES + 1)
        else:
            raise ValidationError.bad(field, type(photo).__name__, allowed)
        if len(data) > MAX_PHOTO_BYTES:
            raise ValidationError.bad(field, f"{len(data) / 1e6:.0f} MB", f"at most {MAX_PHOTO_BYTES >> 20} MB",
                                      "the photo file is too large; export it at a lower resolution")
        try:
            img = Image.open(io.BytesIO(data))
        except (UnidentifiedImageError, OSError, ValueError):
            raise ValidationError.bad(field, f"{len(data)} bytes starting {data[:8]!r}", allowed,
                                      "this is not an image file") from None
        except Image.DecompressionBombError:  # a header claiming billions of pixels: refused before decoding
            raise ValidationError.bad(field, f"{len(data)} bytes claiming a huge image",
                                      f"at most {MAX_PHOTO_SIDE} pixels a side and {MAX_PHOTO_PIXELS // 1_000_000} MP",
                                      "the photo is too large") from None
    w, h = img.size
    if w * h > MAX_PHOTO_PIXELS or max(w, h) > MAX_PHOTO_SIDE:
        raise ValidationError.bad(field, f"{w} x {h} pixels",
                                  f"at most {MAX_PHOTO_SIDE} pixels a side and {MAX_PHOTO_PIXELS // 1_000_000} MP",
                                  "the photo is too large")
    if min(w, h) < MIN_PHOTO_SIDE:
        raise ValidationError.bad(field, f"{w} x {h} pixels", f"at least {MIN_PHOTO_SIDE} pixels a side",
                                  "the photo is too small to measure; use the camera's full resolution")
    try:
        if hasattr(img, "draft") and img.format == "JPEG":
            img.draft("RGB", (WORK_SIDE, WORK_SIDE))  # decode big JPEGs at 1/2, 1/4 or 1/8 scale: fast
        img = ImageOps.exif_transpose(img)
        if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
            rgba = img.convert("RGBA")
            flat = Image.new("RGB", rgba.size, (255, 255, 255))
            flat.paste(rgba, mask=rgba.getchannel("A"))
            img = flat
        else:  # L, I;16, CMYK, YCbCr, P...
            img = img.convert("RGB")
        if max(img.size) > WORK_SIDE:
            scale = WORK_SIDE / max(img.size)
            img = img.resize((max(1, round(img.size[0] * scale)), max(1, round(img.size[1] * scale))),
                             Image.Resampling.BILINEAR)
        return np.ascontiguousarray(np.asarray(img, dtype=np.uint8))
    except (OSError, ValueError, SyntaxError):
        raise ValidationError.bad(field, "a damaged image", allowed, "the image data cannot be decoded") from None


def photo_jpeg(image: np.ndarray) -> bytes:
    """A decoded photo (:func:`decode_photo`) as a JPEG re-encoded from its pixels: no EXIF (GPS, camera, time)
    survives."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="JPEG", quality=QUALITY)
    return buf.getvalue()
