"""Layers: one catalog item placed on a design, with its transform, customization and compositing."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from .values import BlendMode, Frozen, LayerType, LongText, ShortText, Transform


class Layer(Frozen):
    """A layer of a design. Immutable: edits make a new Layer (cheap, and keeps refused edits side-effect free).

    ``order_index`` is the position in the design's stack (0 = bottom), kept dense by the design.
    """

    id: str
    type: LayerType
    catalog_item_id: str
    name: Annotated[str, Field(min_length=1, max_length=200)]
    order_index: Annotated[int, Field(ge=0)] = 0
    transform: Transform = Transform()
    customization: dict[str, Any] = Field(default_factory=dict)
    is_visible: bool = True
    is_locked: bool = False
    blend_mode: BlendMode = "normal"
    opacity: Annotated[int, Field(ge=0, le=100)] = 100
    notes: LongText = ""
    group: ShortText | None = None


#: Fields a caller may change with ``update_layer`` (id, type and item are fixed for a layer's life).
EDITABLE_LAYER_FIELDS = (
    "name", "transform", "customization", "is_visible", "is_locked", "blend_mode", "opacity", "notes", "group",
)


def merge_transform(current: Transform, patch: Any) -> dict[str, Any]:
    """Overlay a partial transform (``{"rotation": {"y": 10}}``) on ``current``; return the merged dict."""
    merged: dict[str, Any] = current.model_dump()
    if isinstance(patch, Transform):
        given: dict[str, Any] = patch.model_dump()
        return given
    if not isinstance(patch, dict):
        return patch  # type: ignore[no-any-return]  # not a dict: validation names the wrong type
    for part, values in patch.items():
        if part in merged and isinstance(values, dict):
            merged[part] = {**merged[part], **values}
        else:
            merged[part] = values
    return merged
