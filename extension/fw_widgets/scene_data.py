"""What the viewport draws, taken from ``design.scene()`` (a ``trimesh.Scene``): plain numpy, no widget library.

Each node (``avatar``, ``layer:<id>``) becomes a :class:`NodeData`: float32/uint32 buffers for the GPU, a pose
(position, quaternion, scale) decomposed from the node transform, and a :class:`MaterialData`. Comparing two
``NodeData`` tells the viewport which pythreejs attributes an edit changed.
"""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fw_kernel.geometry.texture.color import linear_to_srgb, srgb_to_linear

#: Lighting presets as three.js intensities (key, fill, ambient). The scene's presets are tuned for pyrender's
#: physically based lights; three.js (r97, non-physical lights) gets them scaled to a similar exposure.
_THREE_LIGHT_SCALE = 0.32


@dataclass(frozen=True)
class MaterialData:
    """A flat colour or an RGBA texture (uint8, (H, W, 4)), PBR factors and opacity (0..1).

    ``color`` ('#rrggbb') and the texture hold sRGB-encoded values, as the designer sees them; with a texture,
    ``color`` is the (sRGB) tint it is multiplied by.
    """

    color: str
    texture: np.ndarray | None = field(default=None, compare=False, repr=False)
    texture_digest: str | None = None
    roughness: float = 0.8
    metalness: float = 0.0
    opacity: float = 1.0

    @property
    def transparent(self) -> bool:
        return self.opacity < 1.0


@dataclass
class NodeData:
    """One node of the scene, ready for the GPU.

    ``vertices`` float32 (N, 3) metres, ``faces`` uint32 (M, 3), ``normals`` float32 (N, 3), ``uv`` float32 (N, 2)
    or None; ``centre`` (3,) metres, the centre of the untransformed mesh's bounds (transforms turn about it);
    ``position`` (3,) metres, ``quaternion`` (x, y, z, w), ``scale`` (3,).
    """

    name: str
    vertices: np.ndarray
    faces: np.ndarray
    normals: np.ndarray
    uv: np.ndarray | None
    centre: np.ndarray
    position: tuple[float, float, float]
    quaternion: tuple[float, float, float, float]
    scale: tuple[float, float, float]
    material: MaterialData

    def same_geometry(self, other: NodeData) -> bool:
        """Whether the buffers are equal (a silhouette edit changes them; a colour or transform edit does not)."""
        return (self.vertices.shape == other.vertices.shape and self.faces.shape == other.faces.shape
                and np.array_equal(self.vertices, other.vertices) and np.array_equal(self.faces, other.faces)
                and ((self.uv is None and other.uv is None) or (
                    self.uv is not None and other.uv is not None and self.uv.shape == other.uv.shape
                    and np.array_equal(self.uv, other.uv))))

    @property
    def pose(self) -> tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]]:
        return self.position, self.quaternion, self.scale


def hex_of(rgb: Any) -> str:
    """'#rrggbb' of an RGB triple of 0..255 integers."""
    r, g, b = (round(float(c)) for c in list(rgb)[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


def quaternion_of(rotation: np.ndarray) -> tuple[float, float, float, float]:
    """(x, y, z, w) of a 3x3 rotation matrix (three.js order)."""
    m = rotation
    trace = m[0, 0] + m[1, 1] + m[2, 2]
    if trace > 0:
        s = 0.5 / math.sqrt(trace + 1.0)
        w, x, y, z = 0.25 / s, (m[2, 1] - m[1, 2]) * s, (m[0, 2] - m[2, 0]) * s, (m[1, 0] - m[0, 1]) * s
    elif m[0, 0] > m[1, 1] and m[0, 0] > m[2, 2]:
        s = 2.0 * math.sqrt(1.0 + m[0, 0] - m[1, 1] - m[2, 2])
        w, x, y, z = (m[2, 1] - m[1, 2]) / s, 0.25 * s, (m[0, 1] + m[1, 0]) / s, (m[0, 2] + m[2, 0]) / s
    elif m[1, 1] > m[2, 2]:
        s = 2.0 * math.sqrt(1.0 + m[1, 1] - m[0, 0] - m[2, 2])
        w, x, y, z = (m[0, 2] - m[2, 0]) / s, (m[0, 1] + m[1, 0]) / s, 0.25 * s, (m[1, 2] + m[2, 1]) / s
    else:
        s = 2.0 * math.sqrt(1.0 + m[2, 2] - m[0, 0] - m[1, 1])
        w, x, y, z = (m[1, 0] - m[0, 1]) / s, (m[0, 2] + m[2, 0]) / s, (m[1, 2] + m[2, 1]) / s, 0.25 * s
    return (float(x), float(y), float(z), float(w))


def decompose(matrix: np.ndarray) -> tuple[tuple[float, float, float], tuple[float, float, float, float],
                                            tuple[float, float, float]]:
    """Position, quaternion and scale of a 4x4 transform T @ R @ S (what the scene's layer transforms are)."""
    m = np.asarray(matrix, dtype=float)
    scale = np.linalg.norm(m[:3, :3], axis=0)
    rotation = m[:3, :3] / np.where(scale > 0, scale, 1.0)
    return (tuple(float(v) for v in m[:3, 3]), quaternion_of(rotation),  # type: ignore[return-value]
            tuple(float(v) for v in scale))


def layer_pose(transform: Any, centre: np.ndarray) -> tuple[tuple[float, float, float],
                                                             tuple[float, float, float, float],
                                                             tuple[float, float, float]]:
    """Pose of a layer's ``Transform`` (position m, rotation deg XYZ static axes, scale) turning about ``centre``.

    Mirrors the scene builder (``T(centre + p) @ R @ S @ T(-centre)``); a widget test checks both agree.
    """
    rx, ry, rz = (math.radians(v) for v in (transform.rotation.x, transform.rotation.y, transform.rotation.z))
    cx, sx, cy, sy, cz, sz = math.cos(rx), math.sin(rx), math.cos(ry), math.sin(ry), math.cos(rz), math.sin(rz)
    rot_x = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    rot_y = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rot_z = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    rotation = rot_z @ rot_y @ rot_x
    scale = np.array([transform.scale.x, transform.scale.y, transform.scale.z], dtype=float)
    offset = np.array([transform.position.x, transform.position.y, transform.position.z], dtype=float)
    position = centre + offset - rotation @ (scale * centre)
    return (tuple(float(v) for v in position), quaternion_of(rotation),  # type: ignore[return-value]
            tuple(float(v) for v in scale))


def material_of(mesh: Any) -> MaterialData:
    """The viewer's material for a trimesh mesh with a PBR material (a uniform texture becomes a flat colour).

    Colours follow glTF: ``baseColorFactor`` is linear, the texture sRGB-encoded. ``MaterialData.color`` is the
    sRGB-encoded colour (what a designer picked); the viewport hands it to three.js as linear.
    """
    material = getattr(mesh.visual, "material", None)
    factor = np.array([255, 255, 255, 255], dtype=float)
    roughness, metalness = 0.8, 0.0
    texture = None
    if material is not None:
        if getattr(material, "baseColorFactor", None) is not None:
            factor = np.asarray(material.baseColorFactor, dtype=float).reshape(-1)
            if factor.size == 3:
                factor = np.append(factor, 255.0)
        roughness = float(material.roughnessFactor) if material.roughnessFactor is not None else 0.8
        metalness = float(material.metallicFactor) if material.metallicFactor is not None else 0.0
        image = getattr(material, "baseColorTexture", None)
        if image is not None:
            texture = np.asarray(image.convert("RGB"), dtype=np.uint8)
    opacity = round(float(factor[3]) / 255.0, 4)
    linear = factor[:3] / 255.0
    if texture is not None and bool((texture == texture[0, 0]).all()):
        linear = linear * srgb_to_linear(texture[0, 0] / 255.0)  # the factor multiplies the decoded texel
        return MaterialData(hex_of(linear_to_srgb(linear) * 255), None, None, roughness, metalness, opacity)
    if texture is None:
        return MaterialData(hex_of(linear_to_srgb(linear) * 255), None, None, roughness, metalness, opacity)
    rgba = np.concatenate([texture, np.full((*texture.shape[:2], 1), 255, np.uint8)], axis=2)
    digest = hashlib.blake2b(rgba.tobytes(), digest_size=16).hexdigest()
    return MaterialData(hex_of(linear_to_srgb(linear) * 255), np.ascontiguousarray(rgba), digest, roughness,
                        metalness, opacity)


_NORMALS: OrderedDict[str, np.ndarray] = OrderedDict()
_NORMALS_KEPT = 256


def _vertex_normals(mesh: Any, vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Vertex normals, cached by the buffers' content: a rebuilt scene brings new mesh objects with the same
    geometry, and normals are most of what comparing it would cost."""
    key = hashlib.blake2b(vertices.tobytes() + faces.tobytes(), digest_size=16).hexdigest()
    normals = _NORMALS.get(key)
    if normals is None:
        normals = np.ascontiguousarray(mesh.vertex_normals, dtype=np.float32)
        _NORMALS[key] = normals
        while len(_NORMALS) > _NORMALS_KEPT:
            _NORMALS.popitem(last=False)
    else:
        _NORMALS.move_to_end(key)
    return normals


def node_data(name: str, mesh: Any, matrix: np.ndarray) -> NodeData:
    """A scene node (its mesh and world transform) as GPU-ready buffers and a pose."""
    vertices = np.ascontiguousarray(mesh.vertices, dtype=np.float32)
    faces = np.ascontiguousarray(mesh.faces, dtype=np.uint32)
    normals = _vertex_normals(mesh, vertices, faces)
    uv = getattr(mesh.visual, "uv", None)
    uv = None if uv is None or len(uv) != len(vertices) else np.ascontiguousarray(uv, dtype=np.float32)
    centre = np.asarray(mesh.bounds, dtype=float).mean(0) if len(vertices) else np.zeros(3)
    position, quaternion, scale = decompose(matrix)
    return NodeData(name, vertices, faces, normals, uv, centre, position, quaternion, scale, material_of(mesh))


def nodes_of(scene: Any) -> dict[str, NodeData]:
    """Every mesh node of a ``trimesh.Scene``, by node name (``avatar``, ``layer:<id>``)."""
    out: dict[str, NodeData] = {}
    for name in scene.graph.nodes_geometry:
        matrix, geometry_name = scene.graph[name]
        mesh = scene.geometry[geometry_name]
        if hasattr(mesh, "faces") and len(mesh.faces):
            out[name] = node_data(name, mesh, matrix)
    return out


def lights_of(canvas: Any) -> tuple[float, float, float]:
    """(key, fill, ambient) three.js intensities of the canvas' lighting preset."""
    from fw_kernel.scene.build import LIGHTING

    key, fill, ambient = LIGHTING.get(canvas.lighting_preset, LIGHTING["studio"])
    return key * _THREE_LIGHT_SCALE, fill * _THREE_LIGHT_SCALE, min(1.0, ambient * 1.4)
