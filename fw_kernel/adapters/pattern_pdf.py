"""Sewing patterns as a printable PDF at 1:1, tiled on A4 or Letter (reportlab), and the tech pack's pattern pages.

Page 1 is the assembly sheet: a 10 cm test square (print at 100 % / "actual size" and measure it), the tile map
and the pieces. Every tile page draws its share of the pattern at true scale with a 1 cm overlap band, corner
and edge marks to align neighbours, and its row/column; the pieces' cut lines, sew lines, grain lines, notches,
darts and marks are those of the SVG (:mod:`.pattern_svg`).
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from .pattern_svg import layout

PAPERS = {"a4": (210.0, 297.0), "letter": (215.9, 279.4)}   # mm
MARGIN_MM = 10.0
OVERLAP_MM = 10.0
TEST_SQUARE_CM = 10.0


def _draw_pieces(c: Any, placed: list, cm: float, origin: tuple[float, float]) -> None:
    """Draw placed pieces; pattern cm -> page points via ``cm`` points per cm and ``origin`` (points)."""
    ox, oy = origin

    def path(points: np.ndarray, offset: np.ndarray, closed: bool = True) -> Any:
        q = (points + offset) * cm + np.array([ox, oy])
        p = c.beginPath()
        p.moveTo(*q[0])
        for pt in q[1:]:
            p.lineTo(*pt)
        if closed:
            p.close()
        return p

    for pl in placed:
        p, off = pl.panel, pl.offset
        c.setLineWidth(0.8)
        c.setDash()
        c.setStrokeColorRGB(0.1, 0.1, 0.1)
        c.drawPath(path(np.asarray(p.cut_polygon().exterior.coords)[:-1], off), stroke=1, fill=0)
        c.setLineWidth(0.4)
        c.setDash(4, 3)
        c.setStrokeColorRGB(0.45, 0.45, 0.45)
        c.drawPath(path(p.outline, off), stroke=1, fill=0)
        c.setDash()
        c.setStrokeColorRGB(0.12, 0.37, 0.66)
        c.drawPath(path(p.grain, off, closed=False), stroke=1, fill=0)
        c.setStrokeColorRGB(0.69, 0.19, 0.16)
        for d in p.darts:
            for leg in d.lines():
                c.drawPath(path(leg, off, closed=False), stroke=1, fill=0)
        for label, pts in p.marks:
            if len(pts) == 1:
                q = (pts[0] + off) * cm + np.array([ox, oy])
                c.circle(q[0], q[1], (0.6 if label == "button" else 0.2) * cm, stroke=1, fill=0)
            else:
                c.drawPath(path(pts, off, closed=False), stroke=1, fill=0)
        c.setStrokeColorRGB(0, 0, 0)
        for n in p.notches:
            q = (n + off) * cm + np.array([ox, oy])
            c.line(q[0], q[1] - 0.3 * cm, q[0], q[1] + 0.3 * cm)
        centre = (np.asarray(p.polygon().representative_point().coords)[0] + off) * cm + np.array([ox, oy])
        c.setFillColorRGB(0, 0, 0)
        c.setFont("Helvetica-Bold", max(5.0, min(12.0, cm * 0.5)))
        c.drawCentredString(centre[0], centre[1], p.name)
        c.setFont("Helvetica", max(4.0, min(9.0, cm * 0.35)))
        c.drawCentredString(centre[0], centre[1] - max(6.0, cm * 0.5), f"cut {p.quantity} · {p.fabric}")


def pattern_pdf(patterns: list[Any], paper: str = "a4") -> bytes:
    """All ``patterns`` at 1:1 on tiled pages of ``paper`` (``a4`` | ``letter``), with a 10 cm test square."""
    from reportlab.lib.units import cm, mm
    from reportlab.pdfgen import canvas

    pw, ph = PAPERS[paper]
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=(pw * mm, ph * mm))
    c.setTitle("Sewing pattern (print at 100 %)")
    c.setCreator("Fashion Wallet Studio")
    step_w, step_h = pw - 2 * MARGIN_MM - OVERLAP_MM, ph - 2 * MARGIN_MM - OVERLAP_MM  # mm of pattern per tile
    for pattern in patterns:
        placed, w_cm, h_cm = layout(pattern, 100.0)
        cols = max(1, int(np.ceil((w_cm * 10 - OVERLAP_MM) / step_w)))
        rows = max(1, int(np.ceil((h_cm * 10 - OVERLAP_MM) / step_h)))
        # -- assembly sheet: the test square, the tile map (scaled), the instructions
        c.setFont("Helvetica-Bold", 14)
        c.drawString(MARGIN_MM * mm, (ph - MARGIN_MM - 6) * mm, f"{pattern.silhouette} — size {pattern.size}")
        c.setFont("Helvetica", 9)
        lines = [f"{len(pattern.panels)} pieces on {rows} x {cols} = {rows * cols} tiled pages (after this one).",
                 "Print at 100 % ('actual size'), no scaling. Check the test square: it must measure 10 cm.",
                 f"Tiles overlap by {OVERLAP_MM / 10:g} cm: trim one edge along the marks and tape row by row.",
                 "Cut line solid, sew line dashed (seam allowance included), grain line blue arrows."]
        for i, text in enumerate(lines):
            c.drawString(MARGIN_MM * mm, (ph - MARGIN_MM - 14 - 5 * i) * mm, text)
        sx, sy = MARGIN_MM * mm, (ph - MARGIN_MM - 50) * mm - TEST_SQUARE_CM * cm
        c.setLineWidth(1.0)
        c.rect(sx, sy, TEST_SQUARE_CM * cm, TEST_SQUARE_CM * cm, stroke=1, fill=0)   # exactly 283.46 pt
        c.drawString(sx + 2 * mm, sy + 2 * mm, "10 cm test square")
        scale = min((pw - 2 * MARGIN_MM) * mm / (w_cm * cm), (ph - 2 * MARGIN_MM - 170) * mm / (h_cm * cm))
        _draw_pieces(c, placed, cm * scale, (MARGIN_MM * mm, sy - 10 * mm))
        c.setStrokeColorRGB(0.7, 0.7, 0.7)
        for r in range(rows):
            for k in range(cols):
                c.rect(MARGIN_MM * mm + k * step_w * mm / 10 * scale, sy - 10 * mm - (r + 1) * step_h * mm / 10 * scale,
                       step_w * mm / 10 * scale, step_h * mm / 10 * scale, stroke=1, fill=0)
        c.showPage()
        # -- the tiles at true scale
        for r in range(rows):
            for k in range(cols):
                x0, y0 = MARGIN_MM * mm, MARGIN_MM * mm
                c.saveState()
                clip = c.beginPath()
                clip.rect(x0, y0, (pw - 2 * MARGIN_MM) * mm, (ph - 2 * MARGIN_MM) * mm)
                c.clipPath(clip, stroke=0, fill=0)
                # tile (r, k) shows pattern x in [k*step_w, k*step_w + printable] mm from the left, y from the top
                origin = (x0 - k * step_w * mm, y0 + (ph - 2 * MARGIN_MM) * mm + r * step_h * mm)
                _draw_pieces(c, placed, cm, origin)
                c.restoreState()
                c.setStrokeColorRGB(0.2, 0.2, 0.2)
                c.setLineWidth(0.3)
                c.setDash(2, 2)  # the overlap band along the right and bottom edges
                ox = x0 + (pw - 2 * MARGIN_MM - OVERLAP_MM) * mm
                oy = y0 + OVERLAP_MM * mm
                c.line(ox, y0, ox, y0 + (ph - 2 * MARGIN_MM) * mm)
                c.line(x0, oy, x0 + (pw - 2 * MARGIN_MM) * mm, oy)
                c.setDash()
                for cx, cy in ((x0, y0), (x0 + (pw - 2 * MARGIN_MM) * mm, y0), (x0, y0 + (ph - 2 * MARGIN_MM) * mm),
                               (x0 + (pw - 2 * MARGIN_MM) * mm, y0 + (ph - 2 * MARGIN_MM) * mm)):
                    c.line(cx - 4 * mm, cy, cx + 4 * mm, cy)
                    c.line(cx, cy - 4 * mm, cx, cy + 4 * mm)
                c.setFont("Helvetica", 7)
                c.drawString(x0, (ph - MARGIN_MM + 3) * mm, f"{pattern.silhouette} {pattern.size} — row {r + 1} of "
                             f"{rows}, column {k + 1} of {cols}")
                c.rect(x0 + 2 * mm, y0 + 2 * mm, 2 * cm, 2 * cm, stroke=1, fill=0)   # a 2 cm check on every tile
                c.showPage()
    c.save()
    return out.getvalue()


def techpack_pattern_pages(patterns: list[Any]) -> list[tuple[str, bytes, dict[str, float]]]:
    """(title, PNG of the pieces, points of measure) for each pattern: the tech pack's pattern pages."""
    from .pattern_svg import pattern_png

    return [(f"{p.silhouette} — size {p.size}", pattern_png(p, 1800), p.points_of_measure()) for p in patterns]
