"""The inspector: the selected layer's transform and its catalog item's parameters (colour, fabric scale, pattern
scale/rotation, silhouette length/fit/flare...), one control per parameter, each a ``design.update_layer`` call."""

from __future__ import annotations

import contextlib
import html
from typing import Any

import ipywidgets as w
import traitlets

from .context import StudioContext, disable
from .pattern_view import PatternView

#: transform part -> (min, max, step, unit) of its sliders
_TRANSFORM = {"position": (-0.5, 0.5, 0.005, "m"), "rotation": (-180.0, 180.0, 1.0, "deg"),
              "scale": (0.5, 2.0, 0.01, "")}


def parameter_control(name: str, spec: dict[str, Any], value: Any) -> Any:
    """An ipywidget for a catalog parameter spec (number, integer, color, choice, boolean)."""
    kind = spec["type"]
    unit = f" ({spec['unit']})" if spec.get("unit") else ""
    label = f"{name}{unit}"
    style = {"description_width": "120px"}
    wide = w.Layout(width="98%", flex="0 0 auto")  # the whole panel: a usable track
    if kind == "number":
        span = float(spec["max"]) - float(spec["min"])
        return w.FloatSlider(value=float(value), min=float(spec["min"]), max=float(spec["max"]),
                             step=span / 100 if span > 0 else 0.01, description=label, style=style,
                             continuous_update=False, readout_format=".3g", layout=wide)
    if kind == "integer":
        return w.IntSlider(value=int(value), min=int(spec["min"]), max=int(spec["max"]), description=label,
                           style=style, continuous_update=False, layout=wide)
    if kind == "color":
        return ColorField(str(value), label, style)
    if kind == "choice":
        return w.Dropdown(options=list(spec["options"]), value=value, description=label, style=style)
    if kind == "boolean":
        return w.Checkbox(value=bool(value), description=label, style=style)
    return w.HTML(f"{html.escape(label)}: {html.escape(str(value))}")


class ColorField(w.HBox):
    """A colour swatch (the browser's picker) and a hex field that applies on Enter (or when it loses focus).

    ``value`` is the colour (``#rrggbb``); the swatch and the field show it. ipywidgets' ColorPicker applies its
    text only when the focus leaves it: the notebook's Enter handling never lets the change through.
    """

    value = traitlets.Unicode()
    disabled = traitlets.Bool(False)

    def __init__(self, value: str, description: str, style: dict[str, str]):
        self.picker = w.ColorPicker(value=value, concise=True, description=description, style=style,
                                    layout=w.Layout(width="auto"))
        self.text = w.Text(value=value, continuous_update=False, placeholder="#rrggbb",
                           layout=w.Layout(width="90px"))
        self.text.add_class("fw-color-text")
        super().__init__([self.picker, self.text], layout=w.Layout(flex="0 0 auto"))
        self.value = value
        self.picker.observe(lambda change: self._set(change["new"]), "value")
        self.text.observe(lambda change: self._set(change["new"].strip()), "value")
        self.observe(self._show, "value")
        self.observe(self._disable, "disabled")
        self.observe(lambda change: self._tooltip(change["new"]), "tooltip")

    def _set(self, value: str) -> None:
        if value != self.value:
            self.value = value

    def _show(self, change: dict[str, Any]) -> None:
        value = change["new"]
        if self.text.value != value:
            self.text.value = value
        if self.picker.value != value:
            with contextlib.suppress(traitlets.TraitError):  # not a colour: refused, the inspector puts it back
                self.picker.value = value

    def _disable(self, change: dict[str, Any]) -> None:
        self.picker.disabled = self.text.disabled = bool(change["new"])

    def _tooltip(self, text: str | None) -> None:
        self.picker.tooltip = self.text.tooltip = text

    def close(self) -> None:
        self.picker.close()
        self.text.close()
        super().close()


class Inspector:
    """Controls for the selected layer; rebuilt when the selection changes, updated in place otherwise."""

    def __init__(self, ctx: StudioContext):
        self.ctx = ctx
        self.updating = False
        self.title = w.HTML("<i>Select a layer in the layer panel.</i>")
        self.transform: dict[tuple[str, str], w.FloatSlider] = {}
        rows = []
        for part, (lo, hi, step, _unit) in _TRANSFORM.items():
            sliders = []
            for axis in "xyz":
                # one slider per line across the panel: three in a row were squeezed by the tab to a 14 px track
                # (each readout keeps 72 px)
                slider = w.FloatSlider(value=1.0 if part == "scale" else 0.0, min=lo, max=hi, step=step,
                                       description=f"{part[:3]} {axis}", continuous_update=False,
                                       readout_format=".3g",
                                       layout=w.Layout(width="98%", height="26px", flex="0 0 auto"),
                                       style={"description_width": "60px"})
                slider.add_class("fw-transform-slider")
                slider.observe(lambda change, part=part, axis=axis: self._on_transform(part, axis, change),
                               "value")
                self.transform[(part, axis)] = slider
                sliders.append(slider)
            rows.extend(sliders)
        self.transform_box = w.VBox([w.HTML("<b>Transform</b> (position m, rotation deg, scale)"), *rows],
                                    layout=w.Layout(width="100%", flex="0 0 auto"))
        self.params: dict[str, Any] = {}
        self.params_box = w.VBox([], layout=w.Layout(width="100%", flex="0 0 auto"))
        self._shown: str | None = None
        self.pattern = PatternView(ctx)  # the silhouette's flat pattern, redrawn when a parameter changes
        # scrolls inside itself (like the catalog) so that the viewport beside it stays in view
        self.widget = w.VBox([self.title, self.transform_box, self.params_box, self.pattern.widget],
                             layout=w.Layout(max_height="560px", overflow="auto"))
        self.widget.add_class("fw-inspector")
        ctx.on_select(lambda _: self.refresh())

    def _on_transform(self, part: str, axis: str, change: dict[str, Any]) -> None:
        if self.updating or self.ctx.selected is None:
            return
        self.ctx.call(self.ctx.design.update_layer, self.ctx.selected,
                      transform={part: {axis: float(change["new"])}})
        self.refresh()

    def _on_param(self, name: str, change: dict[str, Any]) -> None:
        if self.updating or self.ctx.selected is None:
            return
        self.ctx.call(self.ctx.design.update_layer, self.ctx.selected, customization={name: change["new"]})
        self.refresh()

    def _build_params(self, layer: Any) -> None:
        for control in self.params.values():
            control.close()
        self.params = {}
        item = self.ctx.ws.catalog.get(layer.catalog_item_id)
        values = item.resolve(layer.customization)
        for name, spec in item.parameters.items():
            control = parameter_control(name, spec, values.get(name, spec.get("default")))
            if hasattr(control, "observe") and not isinstance(control, w.HTML):
                control.observe(lambda change, name=name: self._on_param(name, change), "value")
            self.params[name] = control
        header = w.HTML(f"<b>{item.type.capitalize()} parameters</b> of {html.escape(item.name)}")
        self.params_box.children = (header, *self.params.values())

    def refresh(self) -> None:
        self.updating = True
        try:
            layer = self.ctx.selected_layer()
            visible = layer is not None
            self.transform_box.layout.display = "" if visible else "none"
            self.params_box.layout.display = "" if visible else "none"
            if layer is None:
                self.pattern.refresh(None)
                self.title.value = "<i>Select a layer in the layer panel.</i>"
                self._shown = None
                return
            self.title.value = f"<b>{html.escape(layer.name)}</b> ({layer.type}, {html.escape(layer.catalog_item_id)})"
            if self._shown != layer.id:
                self._build_params(layer)
                self._shown = layer.id
            t = layer.transform
            for (part, axis), slider in self.transform.items():
                slider.value = float(getattr(getattr(t, part), axis))
            item = self.ctx.ws.catalog.get(layer.catalog_item_id)
            values = item.resolve(layer.customization)
            for name, control in self.params.items():
                if name in values and hasattr(control, "value") and not isinstance(control, w.HTML):
                    control.value = values[name]
            self.pattern.refresh(layer)
            block = self.ctx.layer_block(layer)
            for control in (*self.transform.values(), *self.params.values()):
                if hasattr(control, "disabled"):
                    disable(control, block)
        finally:
            self.updating = False
