"""Catalog thumbnails the project renders itself (``fw catalog thumbnails``).

Fabrics and prints are swatches of their procedural textures (numpy, deterministic); silhouettes, elements and
accessories are offscreen renders (pyrender through EGL: the ``render`` extra and Debian's ``libegl1
libegl-mesa0 libgl1-mesa-dri``) of the item on a reference body.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..domain.catalog import CatalogItem

SIZE = 256
REFERENCE_BODY = ({"height": 168, "bust": 90, "waist": 72, "hips": 98}, "female")


def swatch(item: CatalogItem, size: int = SIZE) -> np.ndarray:
    """(size, size, 3) float32 in [0, 1]: the fabric's albedo or the print at the item's default parameters."""
    from ..geometry.texture.textures import fabric_maps, pattern_image

    values = item.defaults()
    if item.type == "fabric":
        app = item.appearance
        return fabric_maps(app.get("weave", "plain"), size=(size, size),
                           base_color=values.get("color", app.get("base_color", "#888888")),
                           roughness=float(app.get("roughness", 0.7)), sheen=float(app.get("sheen", 0.2)))["albedo"]
    colours = [values[k] for k in sorted(values) if k.startswith("color")] or item.appearance.get("colors", [])
    return pattern_image(item.appearance.get("kind", "stripes"), size=(size, size), colors=colours)


def _render(scene: Any, focus: np.ndarray, extent: float, size: int) -> np.ndarray:
    from .gl import RENDER_LOCK, egl

    pyrender = egl()

    view = pyrender.Scene.from_trimesh_scene(scene, bg_color=[0.96, 0.96, 0.97, 1.0], ambient_light=[0.45] * 3)
    distance = max(extent, 0.15) * 1.9
    pose = np.eye(4)
    pose[:3, 3] = focus + np.array([0.0, 0.0, distance])
    view.add(pyrender.PerspectiveCamera(yfov=np.radians(40)), pose=pose)
    view.add(pyrender.DirectionalLight(intensity=3.0), pose=pose)
    from .render_pyrender import offscreen

    with RENDER_LOCK:
        renderer = offscreen(pyrender, size, size)  # exact sRGB output, like the exports
        try:
            color, _ = renderer.render(view)
        finally:
            renderer.delete()
    return color


def render_items(items: Sequence[CatalogItem], find: Callable[[str], CatalogItem | None], body: Any,
                 size: int = SIZE) -> dict[str, np.ndarray]:
    """Renders (uint8 RGB) of silhouettes, elements and accessories on ``body`` (a BodyGeometry)."""
    from ..domain.design import Design
    from ..domain.layer import Layer
    from ..domain.values import DesignMeta
    from ..scene.build import SceneBuilder

    builder = SceneBuilder()
    out: dict[str, np.ndarray] = {}
    for item in items:
        layers = []
        if item.type == "element":  # shown on a shirt
            layers.append(Layer(id="base", type="silhouette", catalog_item_id="sil-shirt", name="base"))
        layers.append(Layer.model_validate({"id": "item", "type": item.type, "catalog_item_id": item.id,
                                            "name": item.name, "order_index": len(layers)}))
        design = Design(id="thumb", owner="catalog", meta=DesignMeta(name=item.name)).with_layers(layers)
        scene = builder.build(design, body, "reference", find)
        if "layer:item" not in scene.graph.nodes_geometry:
            continue
        bounds = scene.geometry["layer:item"].bounds  # the body stays in the picture, for scale
        out[item.id] = _render(scene, bounds.mean(0), float(np.ptp(bounds, axis=0)[:2].max()), size)
    return out


def write_thumbnails(items: Sequence[CatalogItem], catalog_dir: Path, body: Any | None,
                     find: Callable[[str], CatalogItem | None], types: Sequence[str] | None = None) -> list[Path]:
    """Write every item's thumbnail to ``catalog_dir / item.thumbnail``; returns the paths written."""
    from ..geometry.png import write_png

    chosen = [i for i in items if i.thumbnail and (types is None or i.type in types)]
    written: list[Path] = []
    for item in chosen:
        if item.type in ("fabric", "pattern"):
            path = catalog_dir / item.thumbnail  # type: ignore[operator]
            path.parent.mkdir(parents=True, exist_ok=True)
            write_png(path, swatch(item))
            written.append(path)
    rendered = [i for i in chosen if i.type not in ("fabric", "pattern")]
    if rendered and body is not None:
        for item_id, image in render_items(rendered, find, body).items():
            item = next(i for i in rendered if i.id == item_id)
            path = catalog_dir / item.thumbnail  # type: ignore[operator]
            path.parent.mkdir(parents=True, exist_ok=True)
            write_png(path, image)
            written.append(path)
    return written
