"""The flat sewing pattern of the selected garment layer, shown in the inspector next to the 3D view and redrawn
when one of its parameters changes."""

from __future__ import annotations

import html
import re
from typing import Any

import ipywidgets as w


class PatternView:
    """An SVG of the selected silhouette layer's pattern pieces (made to measure for the design's avatar)."""

    def __init__(self, ctx: Any):
        self.ctx = ctx
        self.html = w.HTML("")
        self.caption = w.HTML("")
        self.widget = w.VBox([self.caption, self.html], layout=w.Layout(max_height="420px", overflow="auto"))
        self.widget.add_class("fw-pattern-view")
        self.shown_key: Any = None

    def refresh(self, layer: Any) -> None:
        if layer is None or layer.type != "silhouette":
            self.widget.layout.display = "none"
            self.shown_key = None
            return
        design = self.ctx.design
        key = (layer.id, repr(sorted(layer.customization.items())), layer.is_visible)
        if key == self.shown_key:
            return
        self.shown_key = key
        svg, pattern = design.pattern_sheet(layer.id, width_cm=170.0)
        if svg is None:
            self.widget.layout.display = "none"
            return
        svg = re.sub(r'width="[\d.]+mm" height="[\d.]+mm"', 'width="100%"', svg, count=1)  # fit the panel
        self.caption.value = (f"<b>Pattern</b>: {len(pattern.panels)} pieces, size {html.escape(pattern.size)} "
                              f"&middot; export with <code>design.export('pattern', format='dxf')</code>")
        self.html.value = svg
        self.widget.layout.display = ""
