"""Colour parsing (``#rrggbb`` hex strings to sRGB-encoded float triples in [0, 1]) and the sRGB transfer function.

Colour spaces, end to end: a designer's hex colour, the catalog's ``base_color`` fields and every texture image
(albedo maps, prints) hold sRGB-encoded values. Lighting is computed on linear values, so a renderer decodes
textures (``srgb_to_linear``) in its shader, takes flat material factors already linear (glTF's rule:
``baseColorFactor`` is linear, ``baseColorTexture`` is sRGB) and encodes its output back to sRGB
(``linear_to_srgb``). :func:`hex_to_rgb` applies no conversion; :func:`hex_to_linear` does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from ...domain.errors import ValidationError

_HEX = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")
HEX_ALLOWED = "a colour string '#rrggbb' or '#rgb' (hex digits, leading '#' optional)"


def hex_to_rgb(value: str, *, field: str = "color") -> np.ndarray:
    """Parse a hex colour.

    Parameters
    ----------
    value : str
        ``"#rrggbb"``, ``"#rgb"`` (each digit doubled), with or without the leading ``#``; case-insensitive.
    field : str
        Name used in the error message.

    Returns
    -------
    numpy.ndarray
        Shape (3,), float32, sRGB-encoded channel values in [0, 1] (``0xff`` -> 1.0).

    Raises
    ------
    ValidationError
        (a ``ValueError``) when ``value`` is not a string of that form.
    """
    if not isinstance(value, str):
        raise ValidationError.bad(field, value, HEX_ALLOWED, f"got a {type(value).__name__}")
    match = _HEX.fullmatch(value.strip())
    if match is None:
        raise ValidationError.bad(field, value, HEX_ALLOWED)
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(ch * 2 for ch in digits)
    channels = [int(digits[i : i + 2], 16) for i in (0, 2, 4)]
    return np.asarray(channels, dtype=np.float32) / np.float32(255.0)


def palette(colors: Sequence[str] | None, defaults: Sequence[str], *, field: str = "colors") -> np.ndarray:
    """Parse a list of hex colours, falling back to ``defaults`` for the missing trailing entries.

    Parameters
    ----------
    colors : sequence of str or None
        Colours given by the caller (``None`` or empty: all defaults). More colours than defaults are kept.
    defaults : sequence of str
        The pattern's default palette; its length is the minimum palette length returned.
    field : str
        Name used in error messages (``colors[2]`` names the bad entry).

    Returns
    -------
    numpy.ndarray
        Shape (max(len(colors), len(defaults)), 3), float32 in [0, 1].
    """
    if colors is None:
        colors = []
    if isinstance(colors, str) or not isinstance(colors, Sequence):
        raise ValidationError.bad(field, colors, "a list of colour strings such as ['#1b2a4a', '#fafafa']")
    given = [hex_to_rgb(c, field=f"{field}[{i}]") for i, c in enumerate(colors)]
    rest = [hex_to_rgb(c) for c in defaults[len(given) :]]
    return np.stack(given + rest).astype(np.float32)


def srgb_to_linear(values: np.ndarray | Sequence[float]) -> np.ndarray:
    """The sRGB decoding function (IEC 61966-2-1): encoded values in [0, 1] -> linear light in [0, 1].

    Parameters
    ----------
    values : array_like
        Any shape, sRGB-encoded channel values in [0, 1] (alpha is not a colour channel: leave it out).

    Returns
    -------
    numpy.ndarray
        Same shape, float64, linear values.
    """
    v = np.clip(np.asarray(values, dtype=np.float64), 0.0, 1.0)
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(values: np.ndarray | Sequence[float]) -> np.ndarray:
    """The sRGB encoding function (inverse of :func:`srgb_to_linear`): linear [0, 1] -> encoded [0, 1].

    Parameters
    ----------
    values : array_like
        Any shape, linear channel values (clipped to [0, 1]).

    Returns
    -------
    numpy.ndarray
        Same shape, float64, sRGB-encoded values.
    """
    v = np.clip(np.asarray(values, dtype=np.float64), 0.0, 1.0)
    return np.where(v <= 0.0031308, v * 12.92, 1.055 * v ** (1 / 2.4) - 0.055)


def hex_to_linear(value: str, *, field: str = "color") -> np.ndarray:
    """A hex colour as linear RGB (what a flat material factor holds): shape (3,), float64 in [0, 1]."""
    return srgb_to_linear(hex_to_rgb(value, field=field))


def linear_hex(value: str, *, field: str = "color") -> str:
    """``'#rrggbb'`` of a hex colour's linear values, rounded to 8 bits: for a renderer that takes material colours
    as linear but only as a hex string (three.js r97 through pythreejs)."""
    r, g, b = (round(float(c) * 255) for c in hex_to_linear(value, field=field))
    return f"#{r:02x}{g:02x}{b:02x}"
