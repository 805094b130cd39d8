"""``DesignViewer``: one design, read-only (the Voila app): the viewport, layer visibility toggles that change
only this view (nothing is saved), and a turntable. ``open_viewer`` turns a design id from a URL into a viewer or
a readable message."""

from __future__ import annotations

import html
import os
from typing import Any
from urllib.parse import parse_qs

import ipywidgets as w

from fw_kernel.domain.errors import FWError

from .sync import SceneSync
from .three import Viewport


def design_id_from_query(query: str | None = None) -> str | None:
    """The ``design`` parameter of a URL query string (Voila passes it to the kernel as ``QUERY_STRING``)."""
    query = os.environ.get("QUERY_STRING", "") if query is None else query
    values = parse_qs(query.lstrip("?")).get("design")
    return values[0].strip() if values and values[0].strip() else None


class DesignViewer(w.VBox):
    """A read-only view of a design with per-layer visibility toggles and a turntable (degrees about +Y)."""

    def __init__(self, design: Any, width: int = 720, height: int = 560, **kwargs: Any):
        self.design = design
        self.viewport = Viewport(width, height, antialias=bool(design.canvas.antialiasing))
        self.sync = SceneSync(design, self.viewport)
        self.sync.full()
        self.toggles: dict[str, w.ToggleButton] = {}
        for layer in reversed(design.layers):
            name = f"layer:{layer.id}"
            if name not in self.viewport.nodes:
                continue
            toggle = w.ToggleButton(value=layer.is_visible, description=layer.name,
                                    tooltip=f"show or hide {layer.name!r} in this view (nothing is saved)",
                                    layout=w.Layout(width="auto"))
            toggle.add_class("fw-viewer-toggle")
            toggle.observe(lambda change, name=name: self.viewport.set_visible(name, bool(change["new"])), "value")
            w.jsdlink((toggle, "value"), (self.viewport.nodes[name].mesh, "visible"))  # drawn without a round trip
            self.toggles[layer.id] = toggle
        self.angle = w.IntSlider(value=0, min=0, max=359, step=3, description="turn (deg)", continuous_update=True)
        self.play = w.Play(value=0, min=0, max=359, step=3, interval=50, description="turntable")
        w.jslink((self.play, "value"), (self.angle, "value"))
        self.angle.observe(lambda change: self.viewport.turn(float(change["new"])), "value")
        m = design.meta
        title = w.HTML(f"<h2 style='margin:4px 0'>{html.escape(design.name)}</h2><div style='color:#666'>"
                       f"{html.escape(m.category)} by {html.escape(design.owner)}; version {design.version}; "
                       f"{len(design.layers)} layer(s)</div>")
        side = w.VBox([w.HTML("<b>Layers</b>"), *self.toggles.values(), w.HTML("<b>Turntable</b>"),
                       w.HBox([self.play, self.angle])], layout=w.Layout(margin="0 0 0 12px"))
        viewport_box = w.VBox([self.viewport.widget], layout=w.Layout(flex="0 0 auto"))
        viewport_box.add_class("fw-viewport")
        super().__init__([title, w.HBox([viewport_box, side], layout=w.Layout(flex_flow="row wrap"))], **kwargs)
        self.add_class("fw-viewer")


def message(text: str, kind: str = "error") -> Any:
    colour = "#b00020" if kind == "error" else "#555"
    box = w.HTML(f"<div class='fw-viewer-message' style='font-size:16px;color:{colour};padding:16px'>"
                 f"{html.escape(text)}</div>")
    return box


def open_viewer(ws: Any, design_id: str | None = None) -> Any:
    """A viewer of ``design_id`` (default: the URL's ``?design=<id>``), or a message saying why there is none."""
    design_id = design_id_from_query() if design_id is None else design_id
    if not design_id:
        return message("No design given: open this app with ?design=<design id> at the end of its address.")
    try:
        design = ws.designs.get(design_id)
    except FWError:
        return message(f"Design {design_id!r} was not found, or it is private and not shared with you "
                       f"({ws.user}). Check the id, or ask its owner to share it or make it public.")
    return DesignViewer(design)
