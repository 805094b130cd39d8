"""The Design aggregate: descriptive fields, canvas settings and the ordered layer stack."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .errors import NotFound, show_value
from .layer import Layer
from .validation import validate
from .values import CanvasSettings, DesignMeta


@dataclass(frozen=True)
class Design:
    """A design as stored. Frozen: every operation returns a new Design and leaves the old one intact.

    ``version`` is the optimistic-concurrency counter: it increases by one with every saved edit.
    """

    id: str
    owner: str
    meta: DesignMeta
    canvas: CanvasSettings = field(default_factory=CanvasSettings)
    layers: tuple[Layer, ...] = ()
    version: int = 1
    fork_from: str | None = None
    view_count: int = 0
    like_count: int = 0
    fork_count: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    deleted_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def replace(self, **changes: Any) -> Design:
        return dataclasses.replace(self, **changes)

    def layer(self, layer_id: str) -> Layer:
        for layer in self.layers:
            if layer.id == layer_id:
                return layer
        ids = ", ".join(layer.id for layer in self.layers) or "none"
        raise NotFound(f"layer {show_value(layer_id)} is not in design {self.id!r}; its layers are: {ids}",
                       field="layer_id", value=layer_id, allowed=ids)

    def index_of(self, layer_id: str) -> int:
        return self.layers.index(self.layer(layer_id))

    def with_layers(self, layers: list[Layer] | tuple[Layer, ...]) -> Design:
        """Return a copy with ``layers`` renumbered 0..n-1 (unchanged layers keep their identity)."""
        out = []
        for index, layer in enumerate(layers):
            out.append(layer if layer.order_index == index else layer.model_copy(update={"order_index": index}))
        return self.replace(layers=tuple(out))


def snapshot(design: Design) -> dict[str, Any]:
    """The versioned state of a design as plain JSON (what checkpoints store and diffs compare)."""
    return {
        **design.meta.model_dump(mode="json"),
        "canvas": design.canvas.model_dump(mode="json"),
        "layers": [layer.model_dump(mode="json") for layer in design.layers],
    }


def from_snapshot(design: Design, state: dict[str, Any]) -> Design:
    """Design with the versioned state replaced by ``state`` (a :func:`snapshot`), validated."""
    meta_fields = {k: v for k, v in state.items() if k not in ("canvas", "layers")}
    meta = validate(DesignMeta, meta_fields, "snapshot")
    canvas = validate(CanvasSettings, state.get("canvas", {}), "snapshot.canvas")
    layers = [validate(Layer, raw, f"snapshot.layers[{i}]") for i, raw in enumerate(state.get("layers", []))]
    return design.replace(meta=meta, canvas=canvas).with_layers(layers)
