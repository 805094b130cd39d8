"""``DesignViewer``: one design, read-only (the Voila app): the viewport, layer visibility toggles that change
only this view (nothing is saved), and a turntable. ``open_viewer`` turns a design id from a URL into a viewer or
a readable message."""

from __future__ import annotations

import html
import logging
import os
from typing import Any
from urllib.parse import parse_qs

import ipywidgets as w

from fw_kernel.domain.errors import FWError

from .links import VisibilityLinks
from .sync import SceneSync
from .three import Viewport

log = logging.getLogger("fw_widgets")


def design_id_from_query(query: str | None = None) -> str | None:
    """The ``design`` parameter of a URL query string (Voila passes it to the kernel as ``QUERY_STRING``)."""
    query = os.environ.get("QUERY_STRING", "") if query is None else query
    values = parse_qs(query.lstrip("?")).get("design")
    return values[0].strip() if values and values[0].strip() else None


class DesignViewer(w.VBox):
    """A read-only view of a design with per-layer visibility toggles and a turntable (degrees about +Y).

    It follows the design (``design.follow``): an owner's or editor's saved edit shows in the open app, keeping the
    layers this viewer hid hidden. ``live=False`` shows the design as it was when opened."""

    def __init__(self, design: Any, width: int = 720, height: int = 560, live: bool = True, **kwargs: Any):
        self.design = design
        self.viewport = Viewport(width, height, antialias=bool(design.canvas.antialiasing))
        self.sync = SceneSync(design, self.viewport)
        self.sync.full()
        self.toggles: dict[str, w.ToggleButton] = {}
        self.links = VisibilityLinks()
        self._names: dict[str, str] = {}
        self.layer_box = w.VBox([])
        self.title = w.HTML("")
        self._show_layers()
        self.angle = w.IntSlider(value=0, min=0, max=359, step=3, description="turn (deg)", continuous_update=True)
        self.play = w.Play(value=0, min=0, max=359, step=3, interval=50, description="turntable")
        w.jslink((self.play, "value"), (self.angle, "value"))
        self.angle.observe(lambda change: self.viewport.turn(float(change["new"])), "value")
        side = w.VBox([w.HTML("<b>Layers</b>"), self.layer_box, w.HTML("<b>Turntable</b>"),
                       w.HBox([self.play, self.angle])], layout=w.Layout(margin="0 0 0 12px"))
        viewport_box = w.VBox([self.viewport.widget], layout=w.Layout(flex="0 0 auto"))
        viewport_box.add_class("fw-viewport")
        super().__init__([self.title, w.HBox([viewport_box, side], layout=w.Layout(flex_flow="row wrap"))],
                         **kwargs)
        self.add_class("fw-viewer")
        self._unsubscribe = design.on_change(self._on_change)
        self.live: Any = None
        if live:
            try:
                self.live = design.follow()
            except Exception as exc:  # the app still shows the design as opened
                log.warning("the viewer of design %s does not follow its edits: %s", design.id, exc)

    def _show_layers(self) -> None:
        """The title and one toggle per layer its designer shows (top of the stack first); a toggle's state is kept.

        A layer drawn as its own mesh (garment, element, accessory) is shown or hidden in the browser; a fabric or
        print dresses the garment under it, so its toggle redraws that garment without it (in the kernel)."""
        design, m = self.design, self.design.meta
        shown = [layer for layer in design.layers if layer.is_visible]
        hidden_by_owner = len(design.layers) - len(shown)
        note = f", {hidden_by_owner} hidden by the designer" if hidden_by_owner else ""
        self.title.value = (f"<h2 style='margin:4px 0'>{html.escape(design.name)}</h2><div style='color:#666'>"
                            f"{html.escape(m.category)} by {html.escape(design.owner)}; version {design.version}; "
                            f"{len(shown)} layer(s){note}</div>")
        hidden = {layer_id for layer_id, toggle in self.toggles.items() if not toggle.value}
        toggles: dict[str, w.ToggleButton] = {}
        meshes: dict[str, w.ToggleButton] = {}
        for layer in reversed(shown):
            name = f"layer:{layer.id}"
            toggle = self.toggles.pop(layer.id, None)
            if toggle is None:
                toggle = w.ToggleButton(value=True, tooltip=f"show or hide {layer.name!r} in this view (nothing is "
                                        "saved)", layout=w.Layout(width="auto"))
                toggle.add_class("fw-viewer-toggle")
                toggle.observe(lambda change, layer_id=layer.id: self._set_visible(layer_id, bool(change["new"])),
                               "value")
                toggle.observe(lambda change, layer_id=layer.id: setattr(
                    change["owner"], "description", _label(self._names[layer_id], change["new"])), "value")
            self._names[layer.id] = layer.name
            toggle.description = _label(self._names[layer.id], toggle.value)
            toggles[layer.id] = toggle
            if name in self.viewport.nodes and layer.id not in self.sync.hidden:
                meshes[layer.id] = toggle
                if layer.id in hidden:
                    self.viewport.set_visible(name, False)
        for gone in self.toggles.values():
            gone.close()
        self.toggles = toggles
        self.sync.hidden &= set(toggles)  # layers gone or hidden by the designer meanwhile
        self.links.sync(meshes, self.viewport)  # drawn in the browser without a round trip
        children = tuple(toggles.values())
        if self.layer_box.children != children:
            self.layer_box.children = children

    def _set_visible(self, layer_id: str, visible: bool) -> None:
        name = f"layer:{layer_id}"
        if name in self.viewport.nodes and layer_id not in self.sync.hidden:
            self.viewport.set_visible(name, visible)  # the link already did it in the browser; the kernel agrees
            return
        if visible:
            self.sync.hidden.discard(layer_id)
        else:
            self.sync.hidden.add(layer_id)
        try:
            self.sync.full()  # the garment this fabric or print dresses, redrawn with or without it
        except Exception:
            log.exception("the viewer could not redraw without layer %s", layer_id)

    def _on_change(self, design: Any, action: str) -> None:
        try:
            self.sync.update()
            self._show_layers()
        except Exception:  # the app keeps what it shows; the next edit tries again
            log.exception("the viewer could not follow %s", action)

    def close(self) -> None:
        if self.live is not None:
            self.live()
            self.live = None
        self._unsubscribe()
        self.links.close()
        self.viewport.close()
        super().close()


def _label(name: str, shown: bool) -> str:
    return f"{name} (shown)" if shown else f"{name} (hidden here)"


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
