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

    def __init__(self, fitter: Callable[[], BodyFitter | None], find_item: Callable[[str], CatalogItem | None]):
        self._fitter = fitter
        self._find_item = find_item
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
        fitter = self._fitter()
        geometry, key = None, "none"
        if body and fitter is not None:
            geometry, key = fitter.geometry(dict(body)), fitter.key(dict(body))
        return self.builder().build(design, geometry, key, self._find_item)

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
