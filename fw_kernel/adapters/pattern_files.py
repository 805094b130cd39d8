"""The pattern export: DXF-AAMA, SVG or a tiled PDF of a design's patterns (one writer per format)."""

from __future__ import annotations

from typing import Any


def write(patterns: list[Any], fmt: str, paper: str = "a4") -> tuple[bytes, str]:
    """File bytes and name for ``patterns`` in ``fmt`` (dxf | svg | pdf)."""
    stem = "pattern_" + "_".join(p.silhouette.removeprefix("sil-") for p in patterns)[:60]
    if fmt == "dxf":
        from .pattern_dxf import pattern_dxf

        return pattern_dxf(patterns), f"{stem}.dxf"
    if fmt == "svg":
        from .pattern_svg import patterns_svg

        return patterns_svg(patterns).encode("utf-8"), f"{stem}.svg"
    from .pattern_pdf import pattern_pdf

    return pattern_pdf(patterns, paper), f"{stem}.pdf"


def techpack_pages(patterns: list[Any]) -> list[tuple[str, bytes, dict[str, float]]]:
    from .pattern_pdf import techpack_pattern_pages

    return techpack_pattern_pages(patterns)
