"""Browser-side links from visibility toggles to meshes: a layer shows or hides in the very next frame.

Without a link a click goes to the kernel, through ``design.update_layer`` (saved), and back as a trait change of
the mesh: two comm hops and the kernel's work before the browser can draw. With an ``ipywidgets.jsdlink`` the
browser sets the mesh's ``visible`` itself; the kernel still saves the edit (the toggle's observer) and its own
update of the mesh then changes nothing. A refused edit puts the toggle back, and the link the mesh with it.

Stale nodes (hidden while the geometry beneath them changed) are not linked: the kernel redraws them before they
show, so the browser never flashes an outdated garment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ipywidgets as w


class VisibilityLinks:
    """The live links, one per layer that has both a toggle and a fresh drawn node."""

    def __init__(self) -> None:
        self._links: dict[str, tuple[Any, Any, Any]] = {}  # layer id -> (toggle, mesh, link widget)

    def __len__(self) -> int:
        return len(self._links)

    def __contains__(self, layer_id: object) -> bool:
        return layer_id in self._links

    def target(self, layer_id: str) -> Any:
        """The mesh the layer's toggle drives in the browser (None when not linked)."""
        entry = self._links.get(layer_id)
        return entry[1] if entry else None

    def sync(self, toggles: Mapping[str, Any], viewport: Any) -> None:
        """Link every ``toggles[layer_id]`` to the viewport's fresh node ``layer:<id>``; drop links that no longer
        hold (layer removed, node stale or replaced, toggle closed)."""
        want: dict[str, tuple[Any, Any]] = {}
        for layer_id, toggle in toggles.items():
            view = viewport.nodes.get(f"layer:{layer_id}")
            if view is not None and not view.stale and toggle.comm is not None:
                want[layer_id] = (toggle, view.mesh)
        for layer_id, (toggle, mesh, link) in list(self._links.items()):
            pair = want.get(layer_id)
            if pair is None or pair[0] is not toggle or pair[1] is not mesh:
                link.close()
                del self._links[layer_id]
        for layer_id, (toggle, mesh) in want.items():
            if layer_id not in self._links:
                self._links[layer_id] = (toggle, mesh, w.jsdlink((toggle, "value"), (mesh, "visible")))

    def close(self) -> None:
        for _, _, link in self._links.values():
            link.close()
        self._links.clear()
