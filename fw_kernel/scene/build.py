"""Design state + body + catalog -> a renderer-neutral ``trimesh.Scene``.

The scene is the single source for the notebook viewer, the server renderer and the model export: one node per
visible layer (``layer:<id>``) plus ``avatar``, PBR materials with textures from the fabric and print layers, and
the canvas settings in ``scene.metadata["canvas"]``. Geometry is cached by content hash, so a rebuild after one
edit regenerates only what that edit changed.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import trimesh
from PIL import Image

from ..domain.catalog import CatalogItem
from ..domain.design import Design
from ..domain.layer import Layer
from ..geometry.garment.garments import BodyGeometry, Garment, spec_from
from ..geometry.garment.trims import ACCESSORY_KINDS, ELEMENT_KINDS, accessory_mesh, element_mesh, trim_kind
from ..geometry.texture.blend import composite
from ..geometry.texture.color import hex_to_rgb, srgb_to_linear
from ..geometry.texture.textures import fabric_maps, pattern_image
from ..sewing import from_body, garment_for, spec_values
from ..sewing.assemble import PatternGarment
from .drapes import DEFAULT_PHYSICAL, StackEntry

TEXTURE_PX = 256
TILE_M = 0.12          # metres of fabric one texture tile covers at scale 1
SKIN = (0.86, 0.70, 0.60)  # sRGB-encoded, like every colour here; the materials hold it linear


@dataclass
class Look:
    """What a garment looks like: an RGB texture (float, (H, W, 3)) or a flat colour, and PBR factors."""

    rgb: np.ndarray
    roughness: float = 0.8
    metallic: float = 0.0
    tile_m: float = TILE_M
    textured: bool = False
    transparency: float = 0.0  # of the fabric (chiffon, lace): 0 opaque .. 1 clear

    def image(self) -> np.ndarray:
        if self.textured:
            return self.rgb
        return np.broadcast_to(self.rgb.reshape(1, 1, 3), (TEXTURE_PX, TEXTURE_PX, 3)).astype(np.float32)


def _key(*parts: Any) -> str:
    return hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


class SceneBuilder:
    """Builds scenes and caches generated geometry and textures (bounded LRU, per process)."""

    def __init__(self, capacity: int = 512):
        self._cache: OrderedDict[str, Any] = OrderedDict()
        self._capacity = capacity
        self.hits = 0
        self.misses = 0

    def _cached(self, key: str, make: Callable[[], Any]) -> Any:
        if key in self._cache:
            self.hits += 1
            self._cache.move_to_end(key)
            return self._cache[key]
        self.misses += 1
        value = make()
        self._cache[key] = value
        while len(self._cache) > self._capacity:
            self._cache.popitem(last=False)
        return value

    def build(self, design: Design, body: BodyGeometry | None, body_key: str,
              find_item: Callable[[str], CatalogItem | None],
              drapes: Callable[[list[StackEntry]], list[np.ndarray] | None] | None = None) -> trimesh.Scene:
        """The scene of ``design`` on ``body`` (``body_key`` identifies the body for caching). ``drapes``: the
        finished drape of a stack of garments (:meth:`drape_stack`), None while there is none; draped garments
        are drawn with its vertices (``scene.metadata["draped"]``: their layer ids; ``["drapeable"]``: the layers a
        drape drapes), the others as fitted."""
        scene = trimesh.Scene()
        scene.metadata["canvas"] = design.canvas.model_dump(mode="json")
        scene.metadata["design_id"] = design.id
        if body is not None:
            avatar = trimesh.Trimesh(body.vertices, body.faces, process=False)
            avatar.visual = trimesh.visual.TextureVisuals(material=trimesh.visual.material.PBRMaterial(
                name="skin", baseColorFactor=_linear_factor(SKIN, 1.0), roughnessFactor=0.6,
                metallicFactor=0.0))
            scene.add_geometry(avatar, node_name="avatar", geom_name="avatar")
        garments, looks, trims, physical = self._layers(design, body, body_key, find_item)
        draped: dict[str, np.ndarray] = {}
        stack = _stack(garments, physical)
        scene.metadata["drapeable"] = [entry.layer_id for entry, _ in stack]  # what a drape would drape
        if stack and drapes is not None:
            arrays = drapes([entry for entry, _ in stack])
            if arrays is not None:
                draped = {entry.layer_id: a for (entry, _), a in zip(stack, arrays)}
        scene.metadata["draped"] = sorted(draped)
        for layer, garment, _ in garments:
            if layer.is_visible:
                self._add_garment(scene, layer, garment, looks[layer.id], draped.get(layer.id))
        for layer, mesh, rgb in trims:
            if layer.is_visible and len(mesh.faces):
                self._add_trim(scene, layer, mesh, rgb)
        _camera_and_lights(scene, design)
        return scene

    def drape_stack(self, design: Design, body: BodyGeometry, body_key: str,
                    find_item: Callable[[str], CatalogItem | None]) -> list[tuple[StackEntry, Garment]]:
        """What a drape of ``design`` drapes: its visible pattern garments, innermost first, each with its fabric's
        ``physical`` block (the topmost visible fabric layer dressing it; :data:`DEFAULT_PHYSICAL` without one)."""
        garments, _, _, physical = self._layers(design, body, body_key, find_item)
        return _stack(garments, physical)

    def _layers(self, design: Design, body: BodyGeometry | None, body_key: str,
                find_item: Callable[[str], CatalogItem | None]) -> tuple[
            list[tuple[Layer, Garment, str]], dict[str, Look], list[tuple[Layer, trimesh.Trimesh, np.ndarray]],
            dict[str, dict[str, Any]]]:
        """Garments (fitted), their looks, trims, and the physical block of each dressed garment."""
        garments: list[tuple[Layer, Garment, str]] = []
        physical: dict[str, dict[str, Any]] = {}
        shapes: dict[str, str] = {}
        looks: dict[str, Look] = {}
        trims: list[tuple[Layer, trimesh.Trimesh, np.ndarray]] = []
        for layer in design.layers:
            item = find_item(layer.catalog_item_id)
            if item is None or body is None:
                continue
            values = item.resolve(layer.customization)
            if layer.type == "silhouette":
                spec = spec_from(item.id, item.compatibility.get("categories", []), item.tags, spec_values(values))
                under_keys = [k for _, _, k in garments]
                key = _key("garment", body_key, item.id, values, under_keys)
                measures = self._cached(_key("measures", body_key), lambda: from_body(body))
                # the garment is sewn from its pattern (every parameter of the silhouette), worn on the fitting
                # surfaces over the garments beneath
                garment = self._cached(key, lambda spec=spec, item=item, values=values, measures=measures: garment_for(  # type: ignore[misc]
                    body, measures, item.id, spec, values, [g for _, g, _ in garments]))
                garments.append((layer, garment, key))
                # what the shape depends on (not the colours): the drape cache's key of this garment
                shapes[layer.id] = _key("shape", body_key, item.id, {k: v for k, v in values.items()
                                                                     if not k.startswith("color")},
                                        [shapes[lay.id] for lay, _, _ in garments[:-1]])
                looks[layer.id] = Look(hex_to_rgb(values.get("color", "#cccccc")))
            elif layer.type in ("fabric", "pattern"):
                target = _target(layer, garments)
                if target is None or not layer.is_visible:  # a hidden fabric or print leaves the garment as it was
                    continue
                looks[target] = self._dress(looks[target], layer, item, values)
                if item.type == "fabric" and item.physical:
                    physical[target] = dict(item.physical)
            elif layer.type == "element":
                target_layer = _target(layer, garments)
                if target_layer is None:
                    continue
                garment = next(g for lay, g, _ in garments if lay.id == target_layer)
                kind = trim_kind(item.id, item.tags, ELEMENT_KINDS)
                if kind is None:
                    continue
                key = _key("element", [k for lay, _, k in garments if lay.id == target_layer], kind, values)
                mesh = self._cached(key, lambda kind=kind, garment=garment, values=values: element_mesh(  # type: ignore[misc]
                    kind, garment, values))
                trims.append((layer, mesh, hex_to_rgb(_trim_colour(values))))
            elif layer.type == "accessory":
                kind = trim_kind(item.id, item.tags, ACCESSORY_KINDS)
                if kind is None:
                    continue
                key = _key("accessory", body_key, [k for _, _, k in garments], kind, values)
                mesh = self._cached(key, lambda kind=kind, values=values: accessory_mesh(  # type: ignore[misc]
                    kind, body, values, [g for _, g, _ in garments]))
                trims.append((layer, mesh, hex_to_rgb(_trim_colour(values))))
        return [(lay, g, shapes[lay.id]) for lay, g, _ in garments], looks, trims, physical

    # -- materials -----------------------------------------------------------------------------------------------
    def _dress(self, under: Look, layer: Layer, item: CatalogItem, values: dict[str, Any]) -> Look:
        """Composite a fabric or print layer onto the look beneath with its blend mode and opacity."""
        if item.type == "fabric":
            app = item.appearance
            key = _key("fabric", item.id, values)
            maps = self._cached(key, lambda: fabric_maps(
                app.get("weave", "plain"), size=(TEXTURE_PX, TEXTURE_PX),
                base_color=values.get("color", app.get("base_color", "#888888")),
                roughness=float(app.get("roughness", 0.7)), sheen=float(app.get("sheen", 0.2))))
            layer_rgb = maps["albedo"]
            roughness = float(np.mean(maps["roughness"]))
            tile = TILE_M * float(values.get("scale", 1.0))
            share = layer.opacity / 100.0  # a half-opaque fabric layer half replaces the one beneath
            transparency = under.transparency * (1 - share) + float(app.get("transparency", 0.0)) * share
        else:
            colours = [values[k] for k in sorted(values) if k.startswith("color")] or item.appearance.get("colors", [])
            key = _key("pattern", item.id, values)
            layer_rgb = self._cached(key, lambda: pattern_image(
                item.appearance.get("kind", "stripes"), size=(TEXTURE_PX, TEXTURE_PX), colors=colours,
                scale=1.0, rotation_deg=float(values.get("rotation", 0.0))))
            roughness = under.roughness
            tile = under.tile_m * float(values.get("scale", 1.0))
            transparency = under.transparency  # a print is dyed into the fabric
        rgb = composite(under.image(), layer_rgb, layer.blend_mode, layer.opacity)
        return Look(rgb.astype(np.float32), roughness=roughness, tile_m=tile, textured=True,
                    transparency=transparency)

    def _add_garment(self, scene: trimesh.Scene, layer: Layer, garment: Garment, look: Look,
                     vertices: np.ndarray | None = None) -> None:
        uv = garment.uv / look.tile_m
        image = Image.fromarray((np.clip(look.image(), 0, 1) * 255).astype(np.uint8))
        alpha = layer.opacity / 100.0 * (1.0 - look.transparency)
        material = trimesh.visual.material.PBRMaterial(
            name=f"{layer.name}", baseColorTexture=image, baseColorFactor=[255, 255, 255, round(alpha * 255)],
            roughnessFactor=look.roughness, metallicFactor=look.metallic, doubleSided=True,
            alphaMode="BLEND" if alpha < 1 else "OPAQUE")
        mesh = trimesh.Trimesh(garment.vertices if vertices is None else vertices, garment.faces, process=False,
                               visual=trimesh.visual.TextureVisuals(uv=uv, material=material))
        scene.add_geometry(mesh, node_name=f"layer:{layer.id}", geom_name=f"layer:{layer.id}",
                           transform=_matrix(layer, mesh))

    def _add_trim(self, scene: trimesh.Scene, layer: Layer, mesh: trimesh.Trimesh, rgb: np.ndarray) -> None:
        alpha = layer.opacity / 100.0
        material = trimesh.visual.material.PBRMaterial(
            name=layer.name, baseColorFactor=_linear_factor(rgb, alpha),
            roughnessFactor=0.5, metallicFactor=0.0, doubleSided=True, alphaMode="BLEND" if alpha < 1 else "OPAQUE")
        copy = mesh.copy()
        copy.visual = trimesh.visual.TextureVisuals(material=material)
        scene.add_geometry(copy, node_name=f"layer:{layer.id}", geom_name=f"layer:{layer.id}",
                           transform=_matrix(layer, copy))


#: Lighting presets: (intensity of the key light, of the fill light, ambient), key and fill from the front-left
#: and front-right. Renderers read ``scene.metadata["lights"]`` (trimesh keeps no light in a GLB).
LIGHTING = {"studio": (2.0, 0.8, 0.35), "soft": (1.8, 1.4, 0.55), "outdoor": (4.0, 0.6, 0.45),
            "dramatic": (4.5, 0.2, 0.1), "flat": (0.0, 0.0, 1.0)}


def _look_at(eye: np.ndarray, target: np.ndarray) -> np.ndarray:
    forward = target - eye
    forward = forward / max(np.linalg.norm(forward), 1e-9)
    right = np.cross(forward, [0.0, 1.0, 0.0])
    right = right / max(np.linalg.norm(right), 1e-9)
    up = np.cross(right, forward)
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2], pose[:3, 3] = right, up, -forward, eye
    return pose


def _camera_and_lights(scene: trimesh.Scene, design: Design) -> None:
    """The canvas camera (position, target, vertical fov) as the scene's camera, and the lighting preset."""
    cam = design.canvas.camera
    eye, target = np.array(cam.position, dtype=float), np.array(cam.target, dtype=float)
    scene.camera = trimesh.scene.Camera(name="canvas", resolution=(1280, 960), fov=(cam.fov * 4 / 3, cam.fov))
    scene.camera_transform = _look_at(eye, target)
    key, fill, ambient = LIGHTING[design.canvas.lighting_preset]
    scene.metadata["lights"] = {
        "preset": design.canvas.lighting_preset, "ambient": ambient,
        "directional": [{"intensity": key, "pose": _look_at(target + np.array([-2.0, 2.5, 3.0]), target).tolist()},
                        {"intensity": fill, "pose": _look_at(target + np.array([2.5, 1.0, 2.5]), target).tolist()}],
    }
    scene.metadata["background"] = design.canvas.background
    scene.metadata["camera_target"] = target.tolist()


def _linear_factor(rgb: Any, alpha: float) -> list[int]:
    """glTF's ``baseColorFactor`` (linear, unlike the sRGB texture images) of an sRGB colour, as trimesh keeps it:
    four 8-bit integers. ``rgb`` shape (3,) sRGB-encoded in [0, 1]; ``alpha`` in [0, 1]."""
    return [*(round(float(c) * 255) for c in srgb_to_linear(rgb)), round(alpha * 255)]


def _trim_colour(values: dict[str, Any]) -> str:
    for key in ("color", "upper_color", "frame_color", "dial_color", "strap_color"):
        if isinstance(values.get(key), str):
            return values[key]
    return "#b8a27a" if "metal" in values or "case_finish" in values else "#444444"


def _stack(garments: list[tuple[Layer, Garment, str]], physical: dict[str, dict[str, Any]]
           ) -> list[tuple[StackEntry, Garment]]:
    """The drape stack of the fitted garments: the visible ones sewn from a pattern, innermost first."""
    out: list[tuple[StackEntry, Garment]] = []
    for layer, garment, key in garments:
        if layer.is_visible and isinstance(garment, PatternGarment):
            out.append((StackEntry(layer.id, key, len(garment.vertices), len(garment.faces),
                                   physical.get(layer.id, DEFAULT_PHYSICAL)), garment))
    return out


def _target(layer: Layer, garments: list[tuple[Layer, Garment, str]]) -> str | None:
    """The silhouette layer a fabric, print or element dresses: ``customization["target"]`` if it names one, else
    the nearest silhouette below."""
    wanted = layer.customization.get("target")
    ids = [lay.id for lay, _, _ in garments]
    if isinstance(wanted, str) and wanted in ids:
        return wanted
    return ids[-1] if ids else None


def _matrix(layer: Layer, mesh: trimesh.Trimesh) -> np.ndarray:
    """The layer's transform (position m, rotation deg XYZ, scale) about the mesh's centre."""
    t = layer.transform
    if t.position == t.position.__class__() and t.rotation == t.rotation.__class__() and \
            t.scale == t.scale.__class__():
        return np.eye(4)
    centre = mesh.bounds.mean(0) if len(mesh.vertices) else np.zeros(3)
    rotation = trimesh.transformations.euler_matrix(*np.radians([t.rotation.x, t.rotation.y, t.rotation.z]), "sxyz")  # type: ignore[call-arg]
    scale = np.diag([t.scale.x, t.scale.y, t.scale.z, 1.0])
    to_origin = trimesh.transformations.translation_matrix(-centre)
    back = trimesh.transformations.translation_matrix(centre + np.array([t.position.x, t.position.y, t.position.z]))
    return back @ rotation @ scale @ to_origin
