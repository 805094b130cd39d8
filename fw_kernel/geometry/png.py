"""Writing and reading PNG files (Pillow, imported only when called)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..domain.errors import ValidationError

_ALLOWED = "(H, W), (H, W, 3) or (H, W, 4); float in [0, 1] or uint8"


def to_uint8(array: np.ndarray) -> np.ndarray:
    """Convert an image array to uint8 (floats are clipped to [0, 1], scaled by 255 and rounded).

    Parameters
    ----------
    array : numpy.ndarray
        Shape (H, W), (H, W, 3) or (H, W, 4); uint8, or float with values in [0, 1].

    Returns
    -------
    numpy.ndarray
        Same shape, uint8.
    """
    arr = np.asarray(array)
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (3, 4)) or 0 in arr.shape[:2]:
        raise ValidationError.bad("array.shape", tuple(arr.shape), _ALLOWED)
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype.kind != "f":
        raise ValidationError.bad("array.dtype", str(arr.dtype), _ALLOWED)
    if not np.all(np.isfinite(arr)):
        raise ValidationError.bad("array", "non-finite values (NaN or inf)", _ALLOWED)
    return np.rint(np.clip(arr, 0.0, 1.0) * 255.0).astype(np.uint8)


def write_png(path: str | Path, array: np.ndarray) -> Path:
    """Write an image array as an 8-bit PNG (grey, RGB or RGBA after its shape).

    Parameters
    ----------
    path : str or pathlib.Path
        Destination file; its folder must exist.
    array : numpy.ndarray
        Shape (H, W), (H, W, 3) or (H, W, 4); float in [0, 1] (clipped) or uint8.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    from PIL import Image  # lazy: Pillow is only needed when files are written

    data = to_uint8(array)
    target = Path(path)
    Image.fromarray(data).save(target, format="PNG")
    return target


def read_png(path: str | Path) -> np.ndarray:
    """Read a PNG as uint8: shape (H, W) grey, (H, W, 3) RGB or (H, W, 4) RGBA (palette images become RGB(A))."""
    from PIL import Image

    with Image.open(Path(path)) as opened:
        image: Image.Image = opened
        if image.mode not in ("L", "RGB", "RGBA"):
            image = image.convert("RGBA" if "transparency" in image.info or "A" in image.mode else "RGB")
        return np.asarray(image, dtype=np.uint8).copy()
