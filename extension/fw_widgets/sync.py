"""Keeps a :class:`~fw_widgets.three.Viewport` in step with a design, touching only what an edit changed.

Fast path (no scene rebuild): one layer's visibility, transform, opacity (silhouettes, elements, accessories) or a
flat silhouette colour changed; what the scene builder makes of those fields depends on that layer alone, so the
viewport sets that node's pythreejs attributes directly. Anything else (a silhouette parameter, a fabric, a new
layer, an undo of several edits, a new avatar) takes the full path: ``design.scene()`` (geometry cached by content
hash, so only what changed is regenerated) and a per-node comparison that replaces only the buffers, materials and
poses that differ.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from fw_kernel.geometry.texture.color import hex_to_rgb

from .scene_data import hex_of, layer_pose, nodes_of

#: Layer fields that do not change what is drawn.
_NOT_DRAWN = frozenset({"name", "is_locked", "notes", "group"})
_FIELDS = ("name", "transform", "customization", "is_visible", "is_locked", "blend_mode", "opacity", "notes",
           "group")
#: Layer types drawn as their own node (fabrics and prints change the silhouette they dress instead).
_DRAWN_TYPES = ("silhouette", "element", "accessory")


def _node(layer_id: str) -> str:
    return f"layer:{layer_id}"


def _flat_colour(color: str) -> str:
    # what the scene builder's flat texture holds: 8-bit, truncated
    return hex_of((np.clip(hex_to_rgb(color), 0.0, 1.0) * 255).astype(np.uint8))


class SceneSync:
    """Draws ``design`` into ``viewport`` and applies later edits incrementally; ``stats`` counts each path."""

    def __init__(self, design: Any, viewport: Any, hidden: Any = None):
        self.design = design
        self.viewport = viewport
        #: ids of layers this view leaves out (``set[str]``, read at each rebuild; the viewer's fabric toggles)
        self.hidden: set[str] = hidden if hidden is not None else set()
        self._layers: tuple[Any, ...] = ()
        self._avatar_id: str | None = None
        self._canvas: Any = None
        self.stats = {"fast": 0, "full": 0, "none": 0}
        self.last_ms = 0.0
        self.last_path = ""
        #: layer ids the last full rebuild drew draped (a finished drape), and those a drape would drape
        self.draped: list[str] = []
        self.drapeable: list[str] = []

    def full(self) -> None:
        """Rebuild the scene and update every node that differs (new buffers only where the geometry did)."""
        design = self.design
        scene = design.scene(hide=self.hidden) if self.hidden else design.scene()
        self.draped = list(scene.metadata.get("draped", []))
        self.drapeable = list(scene.metadata.get("drapeable", []))
        nodes = nodes_of(scene)
        layers = {layer.id: layer for layer in design.layers}
        for data in nodes.values():
            self.viewport.put(data, visible=True)
        for name, view in list(self.viewport.nodes.items()):
            if name in nodes:
                continue
            layer = layers.get(name.split(":", 1)[1]) if name.startswith("layer:") else None
            if layer is not None and not layer.is_visible:
                self.viewport.set_visible(name, False)
                view.stale = True
            else:
                self.viewport.remove(name)
        self.viewport.set_canvas(design.canvas)
        self._remember()
        self.stats["full"] += 1

    def update(self) -> str:
        """Bring the viewport up to the design's current state; returns the path taken (fast, full, none)."""
        started = time.perf_counter()
        path = self._fast()
        if path is None:
            self.full()
            path = "full"
        else:
            self.stats[path] += 1
            self._remember()
        self.last_ms = (time.perf_counter() - started) * 1000.0
        self.last_path = path
        return path

    def _remember(self) -> None:
        state = self.design.state
        self._layers = tuple(state.layers)
        self._avatar_id = state.meta.avatar_id
        self._canvas = state.canvas

    def _fast(self) -> str | None:
        """Apply the edit without a rebuild when that is exact; None when the full path is needed."""
        state = self.design.state
        if state.meta.avatar_id != self._avatar_id:
            return None
        old, new = self._layers, tuple(state.layers)
        if [x.id for x in old] != [x.id for x in new]:
            return None
        changed = [(a, b) for a, b in zip(old, new) if a != b]
        if len(changed) > 1:
            return None
        actions: list[Callable[..., Any]] = []
        for before, after in changed:
            fields = {f for f in _FIELDS if getattr(before, f) != getattr(after, f)} - _NOT_DRAWN
            if not fields:
                continue
            name = _node(after.id)
            view = self.viewport.nodes.get(name)
            if len(fields) > 1 or after.type not in _DRAWN_TYPES or view is None:
                return None
            field = fields.pop()
            if field == "is_visible":
                if after.is_visible and view.stale:
                    return None
                actions.append(lambda name=name, v=after.is_visible: self.viewport.set_visible(name, v))
            elif field == "transform":
                pose = layer_pose(after.transform, view.data.centre)
                actions.append(lambda name=name, pose=pose: self.viewport.set_pose(name, *pose))
            elif field == "opacity":
                if abs(view.data.material.opacity - round(round(before.opacity / 100 * 255) / 255, 4)) > 1e-3:
                    return None  # a sheer fabric shares the alpha (scene builder): take the full path
                alpha = round(round(after.opacity / 100 * 255) / 255, 4)  # the scene's 8-bit alpha
                actions.append(lambda name=name, a=alpha: self.viewport.set_opacity(name, a))
            elif field == "customization":
                keys = {k for k in set(before.customization) | set(after.customization)
                        if before.customization.get(k) != after.customization.get(k)}
                colour = after.customization.get("color")
                if (keys != {"color"} or after.type != "silhouette" or not isinstance(colour, str)
                        or view.data.material.texture is not None):
                    return None
                flat = _flat_colour(colour)
                actions.append(lambda name=name, c=flat: self.viewport.set_color(name, c))
            else:
                return None
        if state.canvas != self._canvas:
            actions.append(lambda: self.viewport.set_canvas(state.canvas))
        for action in actions:
            action()
        return "fast" if actions else "none"
