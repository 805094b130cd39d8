"""Edit operations on a Design, each with its inverse (undo) and its footprint (for concurrent edits).

``apply`` validates before it builds anything, returns ``(new_design, inverse_command)`` and never mutates:
a refused command leaves the design untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .catalog import CatalogItem
from .design import Design, from_snapshot, snapshot
from .errors import LimitExceeded, PermissionDenied, ValidationError
from .layer import EDITABLE_LAYER_FIELDS, Layer, merge_transform
from .validation import validate
from .values import CanvasSettings, DesignMeta


@dataclass(frozen=True)
class EditContext:
    """What commands may consult: the catalog and the layer limit of the design owner's tier."""

    get_item: Callable[[str], CatalogItem | None]
    max_layers: int | None = None


class Command:
    """Base of the edit operations."""

    action: str = "edit"

    def apply(self, design: Design, ctx: EditContext) -> tuple[Design, Command]:
        raise NotImplementedError

    def footprint(self) -> frozenset[str]:
        """What the command touches: ``layer:<id>`` (whole layer), ``layer:<id>:<field>``, ``order``,
        ``design:<field>``, ``canvas:<field>`` or ``*`` (everything)."""
        raise NotImplementedError

    def to_data(self) -> dict[str, Any]:
        """JSON description for history and events."""
        raise NotImplementedError


def footprints_overlap(a: Iterable[str], b: Iterable[str]) -> bool:
    """True when two footprints touch a common thing (``layer:X`` covers every ``layer:X:field``)."""
    a, b = set(a), set(b)
    if "*" in a or "*" in b:
        return bool(a and b)
    if a & b:
        return True
    whole_a = {x for x in a if x.count(":") == 1 and x.startswith("layer:")}
    whole_b = {x for x in b if x.count(":") == 1 and x.startswith("layer:")}
    return any(x.rsplit(":", 1)[0] in whole_b for x in a if x.count(":") == 2) or any(
        x.rsplit(":", 1)[0] in whole_a for x in b if x.count(":") == 2
    )


def _refuse_if_locked(layer: Layer, what: str) -> None:
    if layer.is_locked:
        raise PermissionDenied(
            f"layer {layer.name!r} ({layer.id}) is locked: {what} is refused; "
            f"unlock it first with update_layer({layer.id!r}, is_locked=False)",
            field="is_locked", value=True, allowed="edits to unlocked layers",
        )


@dataclass(frozen=True)
class AddLayer(Command):
    layer: Layer
    index: int | None = None  # None: on top
    action: str = "add_layer"

    def apply(self, design: Design, ctx: EditContext) -> tuple[Design, Command]:
        item = ctx.get_item(self.layer.catalog_item_id)
        if item is None:
            raise ValidationError.bad("item", self.layer.catalog_item_id, "the id of an existing catalog item")
        if item.type != self.layer.type:
            raise ValidationError.bad("type", self.layer.type, f"{item.type!r} (the type of {item.id!r})",
                                      "layer type must match its catalog item")
        if any(existing.id == self.layer.id for existing in design.layers):
            raise ValidationError.bad("layer.id", self.layer.id, "an id not used in this design")
        if ctx.max_layers is not None and len(design.layers) >= ctx.max_layers:
            raise LimitExceeded(
                f"design {design.id!r} already has {len(design.layers)} layers, the most your tier allows "
                f"({ctx.max_layers}); remove a layer or ask for a higher tier",
                field="layers", value=len(design.layers) + 1, allowed=f"at most {ctx.max_layers}",
            )
        layers = list(design.layers)
        index = len(layers) if self.index is None else max(0, min(self.index, len(layers)))
        layers.insert(index, self.layer)
        return design.with_layers(layers), RemoveLayer(self.layer.id, undoing_add=True)

    def footprint(self) -> frozenset[str]:
        return frozenset({f"layer:{self.layer.id}"})

    def to_data(self) -> dict[str, Any]:
        return {"layer_id": self.layer.id, "item": self.layer.catalog_item_id, "type": self.layer.type,
                "index": self.index}


@dataclass(frozen=True)
class RemoveLayer(Command):
    layer_id: str
    action: str = "remove_layer"
    undoing_add: bool = False  # the undo of an add may remove a layer that was added locked

    def apply(self, design: Design, ctx: EditContext) -> tuple[Design, Command]:
        layer = design.layer(self.layer_id)
        if not self.undoing_add:
            _refuse_if_locked(layer, "removing it")
        index = design.layers.index(layer)
        layers = [x for x in design.layers if x.id != self.layer_id]
        return design.with_layers(layers), AddLayer(layer, index)

    def footprint(self) -> frozenset[str]:
        return frozenset({f"layer:{self.layer_id}"})

    def to_data(self) -> dict[str, Any]:
        return {"layer_id": self.layer_id}


@dataclass(frozen=True)
class UpdateLayer(Command):
    layer_id: str
    changes: dict[str, Any]
    action: str = "update_layer"

    def apply(self, design: Design, ctx: EditContext) -> tuple[Design, Command]:
        layer = design.layer(self.layer_id)
        unknown = [k for k in self.changes if k not in EDITABLE_LAYER_FIELDS]
        if unknown:
            raise ValidationError.bad(unknown[0], self.changes[unknown[0]],
                                      "changes to " + ", ".join(EDITABLE_LAYER_FIELDS), "not an editable field")
        if not self.changes:
            raise ValidationError.bad("changes", {}, "at least one of " + ", ".join(EDITABLE_LAYER_FIELDS))
        unlocking_only = set(self.changes) == {"is_locked"} or (
            self.changes.get("is_locked") is False and layer.is_locked
        )
        if layer.is_locked and not unlocking_only:
            _refuse_if_locked(layer, "changing " + ", ".join(self.changes))
        data = layer.model_dump()
        if "transform" in self.changes:
            data["transform"] = merge_transform(layer.transform, self.changes["transform"])
        if "customization" in self.changes:
            item = ctx.get_item(layer.catalog_item_id)
            custom = self.changes["customization"]
            if item is not None:
                custom = item.validate_customization(custom)
                custom = {**layer.customization, **custom}
            data["customization"] = custom
        for key, value in self.changes.items():
            if key not in ("transform", "customization"):
                data[key] = value
        new_layer = validate(Layer, data)
        old = {key: getattr(layer, key) for key in self.changes}
        old = {k: (v.model_dump() if hasattr(v, "model_dump") else v) for k, v in old.items()}
        if "customization" in old:
            old["customization"] = dict(layer.customization)
        layers = list(design.layers)
        layers[layers.index(layer)] = new_layer
        return design.with_layers(layers), _ReplaceLayerFields(self.layer_id, old)

    def footprint(self) -> frozenset[str]:
        return frozenset(f"layer:{self.layer_id}:{key}" for key in self.changes)

    def to_data(self) -> dict[str, Any]:
        return {"layer_id": self.layer_id, "changes": jsonable(self.changes)}


@dataclass(frozen=True)
class _ReplaceLayerFields(UpdateLayer):
    """Inverse of an update: puts whole old values back (customization replaced, not merged)."""

    action: str = "update_layer"

    def apply(self, design: Design, ctx: EditContext) -> tuple[Design, Command]:
        layer = design.layer(self.layer_id)
        if layer.is_locked and self.changes.get("is_locked") is not False and set(self.changes) != {"is_locked"}:
            _refuse_if_locked(layer, "undoing a change to it")
        data = {**layer.model_dump(), **self.changes}
        new_layer = validate(Layer, data)
        old = {key: getattr(layer, key) for key in self.changes}
        old = {k: (v.model_dump() if hasattr(v, "model_dump") else v) for k, v in old.items()}
        layers = list(design.layers)
        layers[layers.index(layer)] = new_layer
        return design.with_layers(layers), _ReplaceLayerFields(self.layer_id, old)


@dataclass(frozen=True)
class ReorderLayers(Command):
    order: tuple[str, ...]
    action: str = "reorder_layers"

    def apply(self, design: Design, ctx: EditContext) -> tuple[Design, Command]:
        current = [layer.id for layer in design.layers]
        if len(self.order) != len(set(self.order)) or set(self.order) != set(current):
            raise ValidationError.bad("layer_ids", list(self.order),
                                      f"every layer id of the design exactly once: {current}")
        by_id = {layer.id: layer for layer in design.layers}
        return design.with_layers([by_id[i] for i in self.order]), ReorderLayers(tuple(current))

    def footprint(self) -> frozenset[str]:
        return frozenset({"order"})

    def to_data(self) -> dict[str, Any]:
        return {"order": list(self.order)}


@dataclass(frozen=True)
class UpdateDesign(Command):
    changes: dict[str, Any]
    action: str = "update_design"

    def apply(self, design: Design, ctx: EditContext) -> tuple[Design, Command]:
        if not self.changes:
            raise ValidationError.bad("changes", {}, "at least one of " + ", ".join(DesignMeta.model_fields))
        meta = validate(DesignMeta, {**design.meta.model_dump(), **self.changes})
        old = {key: getattr(design.meta, key) for key in self.changes}
        old = {k: (list(v) if isinstance(v, tuple) else v) for k, v in old.items()}
        return design.replace(meta=meta), UpdateDesign(old)

    def footprint(self) -> frozenset[str]:
        return frozenset(f"design:{key}" for key in self.changes)

    def to_data(self) -> dict[str, Any]:
        return {"changes": jsonable(self.changes)}


@dataclass(frozen=True)
class UpdateCanvas(Command):
    changes: dict[str, Any]
    action: str = "update_canvas"

    def apply(self, design: Design, ctx: EditContext) -> tuple[Design, Command]:
        if not self.changes:
            raise ValidationError.bad("changes", {}, "at least one of " + ", ".join(CanvasSettings.model_fields))
        current = design.canvas.model_dump()
        merged = dict(current)
        for key, value in self.changes.items():
            if key == "camera" and isinstance(value, dict):
                merged[key] = {**current["camera"], **value}
            else:
                merged[key] = value
        canvas = validate(CanvasSettings, merged, "canvas")
        old = {key: current[key] for key in self.changes if key in current}
        return design.replace(canvas=canvas), UpdateCanvas(old)

    def footprint(self) -> frozenset[str]:
        return frozenset(f"canvas:{key}" for key in self.changes)

    def to_data(self) -> dict[str, Any]:
        return {"changes": jsonable(self.changes)}


@dataclass(frozen=True)
class ReplaceState(Command):
    """Replace the whole versioned state (restore of a version)."""

    state: dict[str, Any]
    action: str = "restore"
    note: dict[str, Any] = field(default_factory=dict)

    def apply(self, design: Design, ctx: EditContext) -> tuple[Design, Command]:
        before = snapshot(design)
        return from_snapshot(design, self.state), ReplaceState(before, action=self.action)

    def footprint(self) -> frozenset[str]:
        return frozenset({"*"})

    def to_data(self) -> dict[str, Any]:
        return dict(self.note)


@dataclass(frozen=True)
class Composite(Command):
    """Several commands applied as one edit (one undo step), e.g. grouping layers."""

    commands: tuple[Command, ...]
    action: str = "group_layers"
    data: dict[str, Any] = field(default_factory=dict)

    def apply(self, design: Design, ctx: EditContext) -> tuple[Design, Command]:
        inverses: list[Command] = []
        for command in self.commands:
            design, inverse = command.apply(design, ctx)
            inverses.append(inverse)
        return design, Composite(tuple(reversed(inverses)), action=self.action, data=self.data)

    def footprint(self) -> frozenset[str]:
        return frozenset().union(*(c.footprint() for c in self.commands)) if self.commands else frozenset()

    def to_data(self) -> dict[str, Any]:
        return dict(self.data) or {"steps": [c.to_data() for c in self.commands]}


def jsonable(value: Any) -> Any:
    """Plain JSON of edit arguments (tuples, pydantic models and numpy scalars included)."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalar (duck-typed: no numpy in the domain)
        value = value.item()
    if isinstance(value, float) and value != value:  # NaN never reaches here after validation; keep JSON valid
        return None
    return value
