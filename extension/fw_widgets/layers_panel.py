"""The layer panel: the stack (top first) with visibility and lock toggles, move up/down, delete; and for the
selected layer its opacity, blend mode and name. Every control calls the notebook API."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from fw_kernel.domain.values import BLEND_MODES

from .context import StudioContext, disable


def _fixed(px: int) -> w.Layout:
    return w.Layout(width=f"{px}px", flex="0 0 auto", padding="0 2px")


class LayerRow:
    """The widgets of one layer in the stack."""

    def __init__(self, panel: LayersPanel, layer_id: str):
        self.panel = panel
        self.layer_id = layer_id
        self.select = w.Button(description="", layout=w.Layout(flex="1 1 auto", min_width="120px", width="auto"))
        self.visible = w.ToggleButton(value=True, description="shown", layout=_fixed(64))
        # short labels (their tooltips say what they do): the layer's name gets the room
        self.lock = w.ToggleButton(value=False, description="unlocked", layout=_fixed(72))
        self.up = w.Button(description="↑", layout=_fixed(30))
        self.down = w.Button(description="↓", layout=_fixed(30))
        self.delete = w.Button(description="✕", button_style="danger", layout=_fixed(32))
        for widget, name in ((self.select, "select"), (self.visible, "visible"), (self.lock, "lock"),
                             (self.up, "up"), (self.down, "down"), (self.delete, "delete")):
            widget.add_class(f"fw-layer-{name}")
        self.box = w.HBox([self.select, self.visible, self.lock, self.up, self.down, self.delete])
        self.box.add_class("fw-layer-row")
        self.select.on_click(lambda _: panel.ctx.select(layer_id))
        self.visible.observe(self._on_visible, "value")
        self.lock.observe(self._on_lock, "value")
        self.up.on_click(lambda _: panel.move(layer_id, +1))
        self.down.on_click(lambda _: panel.move(layer_id, -1))
        self.delete.on_click(lambda _: panel.delete(layer_id))

    def _on_visible(self, change: dict[str, Any]) -> None:
        if self.panel.updating:
            return
        ctx = self.panel.ctx
        if ctx.call(ctx.design.update_layer, self.layer_id, is_visible=bool(change["new"])) is None:
            self.panel.refresh()  # refused: put the toggle back (a saved edit refreshed the panel already)

    def _on_lock(self, change: dict[str, Any]) -> None:
        if self.panel.updating:
            return
        ctx = self.panel.ctx
        if ctx.call(ctx.design.update_layer, self.layer_id, is_locked=bool(change["new"])) is None:
            self.panel.refresh()  # refused: put the toggle back (a saved edit refreshed the panel already)

    def show(self, layer: Any, index: int, count: int, selected: bool) -> None:
        ctx = self.panel.ctx
        self.select.description = f"{layer.name} ({layer.type})"
        self.select.button_style = "info" if selected else ""
        self.select.tooltip = f"{layer.name} ({layer.type}): select it for the inspector"  # the whole name
        self.visible.value = layer.is_visible
        self.visible.description = "shown" if layer.is_visible else "hidden"
        self.lock.value = layer.is_locked
        self.lock.description = "locked" if layer.is_locked else "unlocked"
        block = ctx.layer_block(layer)
        disable(self.visible, block, "show or hide this layer")
        disable(self.lock, ctx.edit_block(), "lock or unlock this layer")
        disable(self.up, block or ("already on top" if index == count - 1 else None), "move up the stack")
        disable(self.down, block or ("already at the bottom" if index == 0 else None), "move down the stack")
        disable(self.delete, block, "delete this layer (undo brings it back)")

    def close(self) -> None:
        self.box.close()


class LayersPanel:
    """The ordered stack of layers (top of the stack first) and the selected layer's compositing controls."""

    def __init__(self, ctx: StudioContext):
        self.ctx = ctx
        self.updating = False
        self.rows: dict[str, LayerRow] = {}
        self.list = w.VBox([])
        self.empty = w.HTML("<i>No layers yet: add items from the catalog tab.</i>")
        self.opacity = w.IntSlider(value=100, min=0, max=100, description="opacity", continuous_update=False)
        self.blend = w.Dropdown(options=list(BLEND_MODES), value="normal", description="blend mode")
        self.name = w.Text(value="", description="name", continuous_update=False)
        self.rename = w.Button(description="rename")
        self.opacity.observe(self._on_opacity, "value")
        self.blend.observe(self._on_blend, "value")
        self.rename.on_click(self._on_rename)
        self.selected_box = w.VBox([self.opacity, self.blend, w.HBox([self.name, self.rename])])
        self.widget = w.VBox([self.empty, self.list, w.HTML("<b>Selected layer</b>"), self.selected_box])
        self.widget.add_class("fw-layers")
        ctx.on_select(lambda _: self.refresh())

    # -- actions -----------------------------------------------------------------------------------------------
    def move(self, layer_id: str, step: int) -> None:
        ids = [layer.id for layer in self.ctx.design.layers]
        i = ids.index(layer_id)
        j = i + step
        if 0 <= j < len(ids):
            ids[i], ids[j] = ids[j], ids[i]
            self.ctx.call(self.ctx.design.reorder_layers, ids)
        self.refresh()

    def delete(self, layer_id: str) -> None:
        self.ctx.call(self.ctx.design.remove_layer, layer_id, done="layer deleted (undo brings it back)")
        self.refresh()

    def _on_opacity(self, change: dict[str, Any]) -> None:
        if not self.updating and self.ctx.selected:
            self.ctx.call(self.ctx.design.update_layer, self.ctx.selected, opacity=int(change["new"]))
            self.refresh()

    def _on_blend(self, change: dict[str, Any]) -> None:
        if not self.updating and self.ctx.selected:
            self.ctx.call(self.ctx.design.update_layer, self.ctx.selected, blend_mode=change["new"])
            self.refresh()

    def _on_rename(self, _: Any) -> None:
        if self.ctx.selected:
            self.ctx.call(self.ctx.design.update_layer, self.ctx.selected, name=self.name.value)
            self.refresh()

    # -- view --------------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Show the design's current layers (rows are kept per layer id; only changed values are sent)."""
        self.updating = True
        try:
            layers = self.ctx.design.layers
            ids = {layer.id for layer in layers}
            for gone in set(self.rows) - ids:
                self.rows.pop(gone).close()
            if self.ctx.selected is not None and self.ctx.selected not in ids:
                self.ctx.selected = None
            for index, layer in enumerate(layers):
                row = self.rows.get(layer.id)
                if row is None:
                    row = self.rows[layer.id] = LayerRow(self, layer.id)
                row.show(layer, index, len(layers), layer.id == self.ctx.selected)
            children = tuple(self.rows[layer.id].box for layer in reversed(layers))
            if self.list.children != children:
                self.list.children = children
            self.empty.layout.display = "none" if layers else ""
            layer = self.ctx.selected_layer()
            self.selected_box.layout.display = "" if layer is not None else "none"
            if layer is not None:
                self.opacity.value = layer.opacity
                self.blend.value = layer.blend_mode
                self.name.value = layer.name
                block = self.ctx.layer_block(layer)
                for widget in (self.opacity, self.blend, self.name, self.rename):
                    disable(widget, block)
        finally:
            self.updating = False
