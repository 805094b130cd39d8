"""Sewing patterns as SVG (true scale: 1 user unit = 1 mm, width/height in mm) and as a PNG sheet (matplotlib).

The SVG draws each piece's cut line (solid), sew line (dashed), grain line with arrows, notches, darts, internal
marks and its label (name, size, cut quantity), laid out in rows. The same layout feeds the studio's inspector
and the tech pack's pattern pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

import numpy as np

GAP = 6.0  # cm between pieces


@dataclass
class Placed:
    panel: Any
    offset: np.ndarray   # (2,) cm added to the panel's coordinates (y still up)


def layout(pattern: Any, width_cm: float = 150.0) -> tuple[list[Placed], float, float]:
    """Pieces in rows no wider than ``width_cm`` (a cutting table), tallest first. Returns the placements and the
    sheet's width and height (cm)."""
    pieces = sorted(pattern.panels, key=lambda p: -np.ptp(p.cut_polygon().exterior.coords.xy[1]))
    placed: list[Placed] = []
    x = y = row_h = 0.0
    width = 0.0
    for p in pieces:
        minx, miny, maxx, maxy = p.cut_polygon().bounds
        w, h = maxx - minx, maxy - miny
        if x > 0 and x + w > width_cm:
            y += row_h + GAP
            x = row_h = 0.0
        placed.append(Placed(p, np.array([x - minx, -(y + h) - miny])))  # rows go down the sheet
        x += w + GAP
        row_h = max(row_h, h)
        width = max(width, x)
    return placed, max(width - GAP, 1.0), y + row_h


def _path(points: np.ndarray, offset: np.ndarray, closed: bool = True) -> str:
    q = (points + offset) * np.array([10.0, -10.0])  # cm -> mm, y down
    d = "M " + " L ".join(f"{a:.1f},{b:.1f}" for a, b in q)
    return d + (" Z" if closed else "")


def pattern_svg(pattern: Any, width_cm: float = 150.0, labels: bool = True) -> str:
    """The pattern as an SVG document at true scale (mm)."""
    placed, w, h = layout(pattern, width_cm)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w * 10:.0f}mm" height="{h * 10:.0f}mm" '
           f'viewBox="0 0 {w * 10:.1f} {h * 10:.1f}">',
           f'<title>{escape(pattern.silhouette)} pattern, size {escape(pattern.size)}</title>',
           '<style>.cut{fill:#fbf8f1;stroke:#222;stroke-width:1.2}.sew{fill:none;stroke:#777;stroke-width:0.8;'
           'stroke-dasharray:6 4}.grain{stroke:#1f5fa8;stroke-width:1.2;marker-end:url(#a);marker-start:url(#a)}'
           '.mark{fill:none;stroke:#b0302a;stroke-width:0.9}.lab{font:bold 22px sans-serif;fill:#222}'
           '.sub{font:16px sans-serif;fill:#555}</style>',
           '<defs><marker id="a" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="6" markerHeight="6" '
           'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#1f5fa8"/></marker></defs>']
    for pl in placed:
        p, off = pl.panel, pl.offset
        out.append(f'<g id="{escape(p.name.replace(" ", "_"))}">')
        out.append(f'<path class="cut" d="{_path(np.asarray(p.cut_polygon().exterior.coords)[:-1], off)}"/>')
        out.append(f'<path class="sew" d="{_path(p.outline, off)}"/>')
        out.append(f'<path class="grain" d="{_path(p.grain, off, closed=False)}"/>')
        for n in p.notches:
            a = (n + off) * np.array([10, -10])
            out.append(f'<circle cx="{a[0]:.1f}" cy="{a[1]:.1f}" r="3" fill="#222"/>')
        for dart in p.darts:
            for leg in dart.lines():
                out.append(f'<path class="mark" d="{_path(leg, off, closed=False)}"/>')
        for label, pts in p.marks:
            if len(pts) == 1:
                a = (pts[0] + off) * np.array([10, -10])
                r = 8 if label == "button" else 4
                out.append(f'<circle class="mark" cx="{a[0]:.1f}" cy="{a[1]:.1f}" r="{r}"/>')
            else:
                out.append(f'<path class="mark" d="{_path(pts, off, closed=False)}"/>')
        if labels:
            c = (np.asarray(p.polygon().representative_point().coords)[0] + off) * np.array([10, -10])
            out.append(f'<text class="lab" x="{c[0]:.0f}" y="{c[1]:.0f}" text-anchor="middle">'
                       f'{escape(p.name)}</text>')
            out.append(f'<text class="sub" x="{c[0]:.0f}" y="{c[1] + 24:.0f}" text-anchor="middle">'
                       f'size {escape(pattern.size)} · cut {p.quantity} · {escape(p.fabric)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


def pattern_png(pattern: Any, width_px: int = 1600, title: str | None = None) -> bytes:
    """A PNG sheet of the pattern (cut and sew lines, grain, darts, marks, names): for docs and previews."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    placed, w, h = layout(pattern, 170.0)
    fig = plt.figure(figsize=(width_px / 100, max(width_px / 100 * h / w, 3.0) + 0.5), dpi=100)
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.93))
    for pl in placed:
        p, off = pl.panel, pl.offset
        cut = np.asarray(p.cut_polygon().exterior.coords) + off
        ax.fill(cut[:, 0], cut[:, 1], color="#fbf8f1", ec="#222", lw=1.0)
        sew = np.vstack([p.outline, p.outline[:1]]) + off
        ax.plot(sew[:, 0], sew[:, 1], color="#888", lw=0.7, ls="--")
        g = p.grain + off
        ax.annotate("", g[1], g[0], arrowprops={"arrowstyle": "<->", "color": "#1f5fa8", "lw": 1.0})
        for dart in p.darts:
            for leg in dart.lines():
                q = leg + off
                ax.plot(q[:, 0], q[:, 1], color="#b0302a", lw=0.8)
        for label, pts in p.marks:
            q = pts + off
            if len(q) == 1:
                ax.plot(q[:, 0], q[:, 1], "o", mfc="none", mec="#b0302a", ms=6 if label == "button" else 3)
            else:
                ax.plot(q[:, 0], q[:, 1], color="#b0302a", lw=0.8, ls=":")
        for n in p.notches:
            ax.plot(n[0] + off[0], n[1] + off[1], "k|", ms=6)
        c = np.asarray(p.polygon().representative_point().coords)[0] + off
        ax.text(c[0], c[1], p.name, ha="center", va="center", fontsize=8, weight="bold")
    ax.set_aspect("equal")
    ax.axis("off")
    fig.suptitle(title or f"{pattern.silhouette} · size {pattern.size} · {len(pattern.panels)} pieces", fontsize=11)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def patterns_svg(patterns: list[Any], width_cm: float = 150.0) -> str:
    """Several patterns in one true-scale SVG, one below the other (each a nested ``<svg>`` in mm)."""
    parts, y, w = [], 0.0, 1.0
    for p in patterns:
        _, pw, ph = layout(p, width_cm)
        inner = pattern_svg(p, width_cm).split("\n", 1)[1].rsplit("</svg>", 1)[0]
        parts.append(f'<svg x="0" y="{y * 10:.1f}" width="{pw * 10:.1f}" height="{ph * 10:.1f}" '
                     f'viewBox="0 0 {pw * 10:.1f} {ph * 10:.1f}">{inner}</svg>')
        y += ph + GAP
        w = max(w, pw)
    h = max(y - GAP, 1.0)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w * 10:.0f}mm" height="{h * 10:.0f}mm" '
            f'viewBox="0 0 {w * 10:.1f} {h * 10:.1f}">' + "".join(parts) + "</svg>")
