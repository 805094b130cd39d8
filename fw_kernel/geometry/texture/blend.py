"""Compositing one image layer onto a base with the design layers' blend modes.

Formulas are those of W3C *Compositing and Blending Level 1* (section 10, "Blending"), with ``Cb`` the backdrop
(``base``) and ``Cs`` the source (``layer``), all channels in [0, 1]:

========  ==========================================================================
normal    ``B = Cs``
multiply  ``B = Cb * Cs``
screen    ``B = Cb + Cs - Cb * Cs``
overlay   ``B = HardLight(Cs, Cb)`` i.e. ``2 Cb Cs`` if ``Cb <= 0.5`` else ``Screen(Cs, 2 Cb - 1)``
add       ``B = min(1, Cb + Cs)`` (linear dodge / ``plus-lighter``, clamped to 1)
========  ==========================================================================

and the blended colour is mixed over the backdrop with the effective alpha ``a = alpha * opacity / 100``:
``result = Cb * (1 - a) + B * a`` (the backdrop is opaque, so this is the spec's source-over with ``ab = 1``).
"""

from __future__ import annotations

from numbers import Real

import numpy as np

from ...domain.errors import ValidationError

BLEND_MODES: tuple[str, ...] = ("normal", "multiply", "screen", "overlay", "add")
"""The blend modes a layer may use (the same as ``fw_kernel.domain.values.BLEND_MODES``)."""


def _check_image(name: str, image: object) -> np.ndarray:
    """Return ``image`` as a float64 (H, W, 3) array, or raise naming what is wrong."""
    arr = np.asarray(image)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ValidationError.bad(f"{name}.shape", tuple(arr.shape), "(H, W, 3) RGB")
    if arr.dtype.kind != "f":
        raise ValidationError.bad(
            f"{name}.dtype", str(arr.dtype), "a float array with values in [0, 1] (divide uint8 images by 255)"
        )
    _check_range(name, arr)
    return arr.astype(np.float64)


def _check_range(name: str, arr: np.ndarray) -> None:
    if arr.size == 0:
        return
    if not np.all(np.isfinite(arr)):
        raise ValidationError.bad(name, "non-finite values (NaN or inf)", "finite values in [0, 1]")
    low, high = float(arr.min()), float(arr.max())
    if low < 0.0 or high > 1.0:
        raise ValidationError.bad(f"{name} value range", (low, high), "values in [0, 1]")


def _check_opacity(opacity: object) -> float:
    if isinstance(opacity, bool) or not isinstance(opacity, Real) or not np.isfinite(float(opacity)):
        raise ValidationError.bad("opacity", opacity, "a number from 0 to 100 (percent)")
    value = float(opacity)
    if not 0.0 <= value <= 100.0:
        raise ValidationError.bad("opacity", opacity, "a number from 0 to 100 (percent)")
    return value


def _check_mode(mode: object) -> str:
    if not isinstance(mode, str) or mode not in BLEND_MODES:
        raise ValidationError.bad("blend_mode", mode, ", ".join(BLEND_MODES))
    return mode


def blend(base: np.ndarray, layer: np.ndarray, mode: str) -> np.ndarray:
    """Blend function ``B(Cb, Cs)`` of one mode, without any alpha mixing.

    Parameters
    ----------
    base, layer : numpy.ndarray
        Same shape (any, typically (H, W, 3)), float, values in [0, 1]; not validated here.
    mode : str
        One of :data:`BLEND_MODES`.

    Returns
    -------
    numpy.ndarray
        Same shape and dtype as the inputs' common type, values in [0, 1].
    """
    mode = _check_mode(mode)
    if mode == "normal":
        return np.array(layer, copy=True)
    if mode == "multiply":
        return base * layer
    if mode == "screen":
        return base + layer - base * layer
    if mode == "overlay":
        doubled = 2.0 * base
        return np.where(base <= 0.5, layer * doubled, layer + (doubled - 1.0) - layer * (doubled - 1.0))
    return np.minimum(base + layer, 1.0)  # add


def composite(
    base: np.ndarray,
    layer: np.ndarray,
    mode: str = "normal",
    opacity: float = 100.0,
    alpha: np.ndarray | None = None,
) -> np.ndarray:
    """Composite ``layer`` onto ``base``: ``base * (1 - a) + blend(base, layer, mode) * a``.

    Parameters
    ----------
    base : numpy.ndarray
        Shape (H, W, 3), float (any precision), sRGB-encoded values in [0, 1]; the opaque backdrop.
    layer : numpy.ndarray
        Shape (H, W, 3), float, values in [0, 1]; the source colour.
    mode : str
        Blend mode, one of :data:`BLEND_MODES` (``normal``, ``multiply``, ``screen``, ``overlay``, ``add``).
    opacity : float
        Layer opacity in percent, 0 (invisible) to 100 (as the layer's ``opacity`` field).
    alpha : numpy.ndarray, optional
        Shape (H, W), float in [0, 1]: per-pixel coverage of the layer (``None``: fully covering).

    Returns
    -------
    numpy.ndarray
        Shape (H, W, 3), float32, values in [0, 1]. The inputs are not modified.

    Raises
    ------
    ValidationError
        (a ``ValueError``) for an unknown mode (the message lists the modes), an opacity outside 0..100, arrays of
        the wrong shape or dtype, shapes that differ (the message gives both), values outside [0, 1] or NaN.
    """
    mode = _check_mode(mode)
    amount = _check_opacity(opacity) / 100.0
    cb = _check_image("base", base)
    cs = _check_image("layer", layer)
    if cb.shape != cs.shape:
        raise ValidationError.bad(
            "layer.shape", tuple(cs.shape), f"the base's shape {tuple(cb.shape)}", "base and layer shapes differ"
        )
    a = np.full(cb.shape[:2], amount)
    if alpha is not None:
        al = np.asarray(alpha)
        if al.shape != cb.shape[:2]:
            raise ValidationError.bad(
                "alpha.shape", tuple(al.shape), f"(H, W) = {tuple(cb.shape[:2])} to match base {tuple(cb.shape)}"
            )
        if al.dtype.kind != "f":
            raise ValidationError.bad("alpha.dtype", str(al.dtype), "a float array with values in [0, 1]")
        _check_range("alpha", al)
        a = a * al.astype(np.float64)
    a = a[..., None]
    out = cb * (1.0 - a) + blend(cb, cs, mode) * a
    return np.clip(out, 0.0, 1.0).astype(np.float32)
