"""Edits in words: what changed between two states of a design, for the studio's status line and the history.

``"Tailored Blazer: colour #2b2f3a → #7a1f3d"``, ``"added 'Denim'"``, ``"Summer Dress: hidden"``. Works from the
states alone, so an undo, a redo, a restore or a collaborator's edit reads the same way as the edit itself.
"""

from __future__ import annotations

from typing import Any

from .design import Design
from .layer import Layer

#: how a field or parameter reads in a sentence
_WORDS = {"color": "colour", "is_visible": "visibility", "is_locked": "lock", "blend_mode": "blend mode",
          "avatar_id": "avatar", "catalog_item_id": "item"}
MAX_PARTS = 3  # a sentence names at most this many changes, then "and N more"
MAX_VALUE = 40  # characters of a value shown


class _Default:
    def __str__(self) -> str:
        return "default"


DEFAULT = _Default()  # a parameter not set on the layer (the catalog's default applies)


def _word(key: str) -> str:
    return _WORDS.get(key, key.replace("_", " ").replace("color", "colour"))


def _value(value: Any) -> str:
    if isinstance(value, float):
        text = f"{value:.3g}"
    elif isinstance(value, str):
        text = value if value.startswith("#") else repr(value)
    else:
        text = str(value)
    return text if len(text) <= MAX_VALUE else text[:MAX_VALUE - 1] + "…"


def _change(key: str, old: Any, new: Any) -> str:
    return f"{_word(key)} {_value(old)} → {_value(new)}"


def layer_changes(before: Layer, after: Layer) -> list[str]:
    """The differences between two versions of a layer, one phrase each (transform per axis, parameters by name)."""
    parts: list[str] = []
    if before.is_visible != after.is_visible:
        parts.append("shown" if after.is_visible else "hidden")
    if before.is_locked != after.is_locked:
        parts.append("locked" if after.is_locked else "unlocked")
    if before.name != after.name:
        parts.append(f"renamed {_value(before.name)} → {_value(after.name)}")
    keys = sorted(set(before.customization) | set(after.customization))
    for key in keys:
        old, new = before.customization.get(key), after.customization.get(key)
        if old != new:
            parts.append(_change(key, DEFAULT if old is None else old, DEFAULT if new is None else new))
    for part in ("position", "rotation", "scale"):
        old_t, new_t = getattr(before.transform, part), getattr(after.transform, part)
        for axis in "xyz":
            a, b = getattr(old_t, axis), getattr(new_t, axis)
            if a != b:
                parts.append(_change(f"{part} {axis}", a, b))
    for key in ("opacity", "blend_mode", "notes", "group"):
        if getattr(before, key) != getattr(after, key):
            parts.append(_change(key, getattr(before, key), getattr(after, key)))
    return parts


def _sentence(parts: list[str]) -> str:
    if len(parts) > MAX_PARTS:
        return ", ".join(parts[:MAX_PARTS]) + f" and {len(parts) - MAX_PARTS} more"
    return ", ".join(parts)


def describe_change(before: Design, after: Design) -> str:
    """What turned ``before`` into ``after``, in one sentence ("" when nothing a person would see changed)."""
    old = {x.id: x for x in before.layers}
    new = {x.id: x for x in after.layers}
    phrases: list[str] = []
    added = [x for x in after.layers if x.id not in old]
    removed = [x for x in before.layers if x.id not in new]
    phrases += [f"added {x.name!r}" for x in added]
    phrases += [f"removed {x.name!r}" for x in removed]
    for layer in after.layers:
        if layer.id in old and old[layer.id] != layer:
            parts = layer_changes(old[layer.id], layer)
            if parts:
                phrases.append(f"{layer.name}: {_sentence(parts)}")
    kept_old = [x for x in before.layers if x.id in new]
    kept_new = [x for x in after.layers if x.id in old]
    if [x.id for x in kept_old] != [x.id for x in kept_new] and not phrases:
        phrases.append("layers reordered")
    meta = [_change(k, getattr(before.meta, k), getattr(after.meta, k)) for k in type(after.meta).model_fields
            if getattr(before.meta, k) != getattr(after.meta, k)]
    if meta:
        phrases.append("design " + _sentence(meta))
    canvas = [k for k in type(after.canvas).model_fields if getattr(before.canvas, k) != getattr(after.canvas, k)]
    if canvas:
        phrases.append("canvas: " + ", ".join(_word(k) for k in canvas) + " changed")
    if len(phrases) > MAX_PARTS:
        return "; ".join(phrases[:MAX_PARTS]) + f"; and {len(phrases) - MAX_PARTS} more changes"
    return "; ".join(phrases)
