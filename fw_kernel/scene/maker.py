"""Design states -> ``trimesh.Scene`` through one process-wide scene builder (its geometry cache), for the local
services and the design service's client alike. trimesh loads on first use."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from ..domain.catalog import CatalogItem
from ..ports import BodyFitter


class SceneMaker:
    """``fitter``: the body fitter now (it may be swapped, e.g. None in tests that skip bodies)."""

    def __init__(self, fitter: Callable[[], BodyFitter | None], find_item: Callable[[str], CatalogItem | None],
                 drapes: Any = None):
        self._fitter = fitter
        self._find_item = find_item
        #: finished drapes (``services.drape.DrapeCache``: ``.finished(stack)``, ``.key(stack, quality)``); None:
        #: scenes draw fitted garments only
        self.drapes = drapes
        self._builder: Any = None
        self._lock = threading.Lock()

    def builder(self) -> Any:
        """The ``SceneBuilder`` (made on first use)."""
        with self._lock:
            if self._builder is None:
                from .build import SceneBuilder

                self._builder = SceneBuilder()
            return self._builder

    def scene_of(self, design: Any, body: Mapping[str, Any] | None) -> Any:
        """The scene of a design state on the body with these parameters (None: no avatar)."""
        geometry, key = self._body(body)
        drapes = self.drapes
        finished = None if drapes is None else lambda stack: drapes.finished(stack, design_id=design.id)
        return self.builder().build(design, geometry, key, self._find_item, finished)

    def _body(self, body: Mapping[str, Any] | None) -> tuple[Any, str]:
        fitter = self._fitter()
        if body and fitter is not None:
            return fitter.geometry(dict(body)), fitter.key(dict(body))
        return None, "none"

    def drape_stack(self, design: Any, body: Mapping[str, Any] | None) -> tuple[Any, list[tuple[Any, Any]]]:
        """The body geometry and the drape stack of a design state: ``(StackEntry, PatternGarment)`` of its visible
        pattern garments, innermost first, fitted (what a drape job drapes); no body: ``(None, [])``."""
        geometry, key = self._body(body)
        if geometry is None:
            return None, []
        return geometry, self.builder().drape_stack(design, geometry, key, self._find_item)

    def drape_marker(self, design: Any, body: Mapping[str, Any] | None) -> str | None:
        """The key of the finished drape a design's scene draws, None when it draws none: part of a cached render's
        key, so a render asked for after a drape finished draws the draped garments."""
        if self.drapes is None or self.drapes.version() is None:
            return None
        _, stack = self.drape_stack(design, body)
        found = self.drapes.find([entry for entry, _ in stack]) if stack else None
        return None if found is None else str(found[0])

    def patterns_of(self, design: Any, body: Mapping[str, Any] | None, size: str = "avatar",
                    sex: str = "female") -> list[Any]:
        """The sewing patterns of a design state's visible garments: made to measure for its avatar's fitted body
        (``size="avatar"``), or in a standard size (XS..4XL) of the women's or men's chart."""
        from ..sewing import STYLES, draft, from_body, standard_size

        fitter = self._fitter()
        if size != "avatar":
            measures, label = standard_size(size, sex), size
        elif body and fitter is not None:
            measures, label = from_body(fitter.geometry(dict(body))), "made-to-measure"
        else:
            measures, label = standard_size("M", sex), "M"
        out = []
        for layer in design.layers:
            item = self._find_item(layer.catalog_item_id)
            if layer.type == "silhouette" and layer.is_visible and item is not None and item.id in STYLES:
                out.append(draft(item.id, item.resolve(layer.customization), measures, label))
        return out
