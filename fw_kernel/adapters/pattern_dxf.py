"""Sewing patterns as DXF in the AAMA layout (ASTM D6673), written with ezdxf: what pattern CAD imports.

One block per piece, inserted side by side in model space, millimetres (``$INSUNITS`` = 4). Layers follow the
AAMA/ASTM convention: 1 cut line (boundary), 4 notches, 7 grain line, 8 internal lines (darts, marks), 14 sew
line; each block carries its piece name, size and quantity as text (on layer 1, as AAMA expects). Needs the
``pattern`` extra (ezdxf).
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from .require_ import require_driver as require

LAYERS = {"1": 7, "4": 1, "7": 5, "8": 3, "14": 8}   # layer -> ACI colour
NOTCH_MM = 6.0


def pattern_dxf(patterns: list[Any]) -> bytes:
    """The pieces of all ``patterns`` in one DXF (R2000), AAMA layers. Returns the file's bytes."""
    ezdxf = require("ezdxf", "pattern")
    doc = ezdxf.new("R2000")
    doc.header["$INSUNITS"] = 4        # millimetres
    doc.header["$MEASUREMENT"] = 1     # metric
    for name, colour in LAYERS.items():
        doc.layers.add(name, color=colour)
    msp = doc.modelspace()
    x = 0.0
    for pattern in patterns:
        for p in pattern.panels:
            mm = lambda a: [(float(u) * 10, float(v) * 10) for u, v in np.asarray(a)]  # noqa: E731
            block_name = f"{pattern.silhouette}-{p.name}".replace(" ", "_")[:250]
            block = doc.blocks.new(name=block_name)
            cut = np.asarray(p.cut_polygon().exterior.coords)[:-1]
            block.add_lwpolyline(mm(cut), close=True, dxfattribs={"layer": "1"})
            block.add_lwpolyline(mm(p.outline), close=True, dxfattribs={"layer": "14"})
            block.add_line(*mm(p.grain), dxfattribs={"layer": "7"})
            for n in p.notches:
                outline = p.outline
                k = int(np.argmin(np.linalg.norm(outline - n, axis=1)))
                t = outline[(k + 1) % len(outline)] - outline[k - 1]
                normal = np.array([t[1], -t[0]]) / max(np.linalg.norm(t), 1e-9)
                a = n * 10
                block.add_line(tuple(a), tuple(a + normal * NOTCH_MM), dxfattribs={"layer": "4"})
            for d in p.darts:
                for leg in d.lines():
                    block.add_lwpolyline(mm(leg), dxfattribs={"layer": "8"})
            for label, pts in p.marks:
                if len(pts) == 1:
                    block.add_circle(tuple(pts[0] * 10), 5.0 if label == "button" else 2.0, dxfattribs={"layer": "8"})
                else:
                    block.add_lwpolyline(mm(pts), dxfattribs={"layer": "8"})
            c = np.asarray(p.polygon().representative_point().coords)[0] * 10
            for i, text in enumerate((f"Piece Name: {p.name}", f"Size: {pattern.size}",
                                      f"Quantity: {p.quantity}", f"Style: {pattern.silhouette}",
                                      f"Material: {p.fabric}")):
                block.add_text(text, dxfattribs={"layer": "1", "height": 8.0}).set_placement(
                    (float(c[0]), float(c[1] - i * 12)))
            minx, miny, maxx, _ = p.cut_polygon().bounds
            msp.add_blockref(block_name, (x - minx * 10, -miny * 10))
            x += (maxx - minx) * 10 + 50.0
    buf = io.StringIO()
    doc.write(buf)
    return buf.getvalue().encode("utf-8")
