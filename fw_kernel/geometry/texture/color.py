"""Colour parsing: ``#rrggbb`` hex strings to sRGB-encoded float triples in [0, 1].

The values are the display (sRGB-encoded) channel values divided by 255; no gamma conversion is applied, which is what
texture images (albedo maps are stored sRGB-encoded) and the catalog's ``base_color`` fields expect.
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
