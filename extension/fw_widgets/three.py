"""The pythreejs viewport: the ONLY module that imports pythreejs.

:class:`Viewport` keeps one pythreejs ``Mesh`` per scene node and changes only the attributes an edit touched:
a pose edit sets ``position``/``quaternion``/``scale``, a colour or opacity edit sets the material's traits, a
visibility edit sets ``visible``, and new buffers replace only that node's geometry. Geometry goes to the browser
as float32/uint32 ``BufferAttribute`` arrays (binary), never as Python lists.

Colour spaces (three.js r97, the one pythreejs 2.4.2 ships): lighting is computed on linear values and the renderer
encodes its output (``gammaOutput`` with ``gammaFactor`` 2.2, r97's closest to sRGB). Textures are declared
``sRGBEncoding`` so the shader decodes them; r97 takes material colours as given, so this module hands them over
linear (:func:`_three_colour`): the one place the studio converts a colour.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pythreejs as three

from fw_kernel.geometry.texture.color import linear_hex

from .scene_data import MaterialData, NodeData, lights_of, quaternion_of

#: Objects at most this far from the origin are framed by the camera's far plane (metres).
_FAR = 100.0


@dataclass
class NodeView:
    """A drawn node: its pythreejs mesh and the data it was last drawn from (to compare with)."""

    mesh: Any
    data: NodeData
    stale: bool = False  # hidden while something beneath changed: redraw from a fresh scene before showing


def _buffer_geometry(data: NodeData) -> Any:
    attributes = {
        "position": three.BufferAttribute(array=data.vertices, normalized=False),
        "normal": three.BufferAttribute(array=data.normals, normalized=False),
        "index": three.BufferAttribute(array=data.faces.reshape(-1), normalized=False),
    }
    if data.uv is not None:
        attributes["uv"] = three.BufferAttribute(array=data.uv, normalized=False)
    return three.BufferGeometry(attributes=attributes)


def _three_colour(srgb_hex: str) -> str:
    """A material colour for three.js r97 (which applies no decoding to colours): the sRGB hex as linear hex."""
    return linear_hex(srgb_hex)


def _texture(material: MaterialData) -> Any:
    # sRGB-encoded texels: the shader decodes them before lighting (the renderer encodes its output)
    return three.DataTexture(data=material.texture, format="RGBAFormat", type="UnsignedByteType",
                             wrapS="RepeatWrapping", wrapT="RepeatWrapping", magFilter="LinearFilter",
                             minFilter="LinearFilter", encoding="sRGBEncoding")


def _material(material: MaterialData) -> Any:
    kwargs: dict[str, Any] = {}
    if material.texture is not None:
        kwargs["map"] = _texture(material)
    return three.MeshStandardMaterial(
        color=_three_colour("#ffffff" if material.texture is not None else material.color),
        roughness=material.roughness, metalness=material.metalness, opacity=material.opacity,
        transparent=material.transparent, side="DoubleSide", **kwargs)


def look_at_quaternion(eye: np.ndarray, target: np.ndarray) -> tuple[float, float, float, float]:
    """(x, y, z, w) turning a three.js camera (looking down -Z, +Y up) at ``eye`` towards ``target``."""
    forward = target - eye
    forward = forward / max(float(np.linalg.norm(forward)), 1e-9)
    right = np.cross(forward, [0.0, 1.0, 0.0])
    right = right / max(float(np.linalg.norm(right)), 1e-9)
    up = np.cross(right, forward)
    return quaternion_of(np.column_stack([right, up, -forward]))


def _directional(position: list[float], intensity: float) -> Any:
    # an explicit shadow: with the default one the browser logs "Error setting state: t.on is not a function"
    shadow = three.DirectionalLightShadow(camera=three.OrthographicCamera(-2, 2, 2, -2, 0.1, 20))
    return three.DirectionalLight(color="#ffffff", position=position, intensity=intensity, shadow=shadow)


class Viewport:
    """A pythreejs scene with orbit controls, canvas camera/lights/background/grid, and the design's nodes."""

    def __init__(self, width: int = 720, height: int = 540, antialias: bool = True):
        self.camera = three.PerspectiveCamera(position=[0.0, 1.1, 3.2], fov=40.0, aspect=width / height,
                                              near=0.05, far=_FAR)
        self.key = _directional([-2.0, 3.45, 3.0], 1.0)
        self.fill = _directional([2.5, 1.95, 2.5], 0.4)
        self.ambient = three.AmbientLight(color="#ffffff", intensity=0.4)
        self.grid = three.GridHelper(size=4.0, divisions=40, colorCenterLine=_three_colour("#9a9aa2"),
                                     colorGrid=_three_colour("#d0d0d6"))
        #: the design's meshes; the turntable turns this group about +Y
        self.root = three.Group()
        #: design space (metres, feet at y = 0) shifted so that the canvas camera's target is the origin: the orbit
        #: controls turn about the origin whatever state the browser applies first (Voila sends it all at once)
        self.world = three.Group(children=[self.key, self.fill, self.grid, self.root], position=[0.0, -0.95, 0.0])
        self.scene = three.Scene(children=[self.ambient, self.world], background="#f4f4f6")
        self.controls = three.OrbitControls(controlling=self.camera, target=[0.0, 0.0, 0.0])
        self.renderer = three.Renderer(scene=self.scene, camera=self.camera, controls=[self.controls],
                                       width=width, height=height, antialias=antialias, alpha=True,
                                       gammaOutput=True, gammaFactor=2.2)  # linear lighting -> sRGB-ish output
        self.renderer.layout.width = f"{width}px"
        self.renderer.layout.height = f"{height}px"
        self.nodes: dict[str, NodeView] = {}

    # -- canvas ------------------------------------------------------------------------------------------------
    def set_canvas(self, canvas: Any) -> None:
        """Camera (position, target, vertical fov), lighting preset, background and grid of the canvas settings."""
        cam = canvas.camera
        target = np.array(cam.target, dtype=float)
        eye = np.array(cam.position, dtype=float) - target
        self.world.position = tuple(float(-v) for v in target)
        self.camera.position = tuple(float(v) for v in eye)
        self.camera.fov = float(cam.fov)
        # the orientation as state, not a lookAt() message: Voila creates the views after the kernel ran, and a
        # message sent before that is lost
        self.camera.quaternion = look_at_quaternion(eye, np.zeros(3))
        key, fill, ambient = lights_of(canvas)
        self.key.position = tuple(float(v) for v in target + np.array([-2.0, 2.5, 3.0]))
        self.fill.position = tuple(float(v) for v in target + np.array([2.5, 1.0, 2.5]))
        self.key.intensity, self.fill.intensity, self.ambient.intensity = key, fill, ambient
        if canvas.background == "transparent":
            self.scene.background = None
            self.renderer.background_opacity = 0.0
        else:
            self.scene.background = canvas.background
            self.renderer.background = canvas.background
            self.renderer.background_opacity = 1.0
        size = float(canvas.grid_size)
        divisions = max(1, min(200, round(4.0 / size)))
        if self.grid.divisions != divisions:
            self.grid.divisions = divisions
            self.grid.size = divisions * size
        self.grid.visible = bool(canvas.show_grid)

    # -- nodes -------------------------------------------------------------------------------------------------
    def put(self, data: NodeData, visible: bool = True) -> None:
        """Draw a node, or update a drawn one touching only the attributes that differ."""
        view = self.nodes.get(data.name)
        if view is None:
            mesh = three.Mesh(geometry=_buffer_geometry(data), material=_material(data.material),
                              position=data.position, quaternion=data.quaternion, scale=data.scale,
                              visible=visible, name=data.name)
            self.nodes[data.name] = NodeView(mesh, data)
            self.root.add(mesh)
            return
        old = view.data
        if not data.same_geometry(old):
            view.mesh.geometry = _buffer_geometry(data)
        else:  # keep the drawn buffers; the new data may be different numpy objects with the same values
            data.vertices, data.faces, data.normals, data.uv = old.vertices, old.faces, old.normals, old.uv
        self._set_material(view, data.material)
        self.set_pose(data.name, data.position, data.quaternion, data.scale)
        view.data = data
        view.stale = False
        if view.mesh.visible != visible:
            view.mesh.visible = visible

    def _set_material(self, view: NodeView, new: MaterialData) -> None:
        old, material = view.data.material, view.mesh.material
        if (new.texture is None) != (old.texture is None):
            view.mesh.material = _material(new)
            return
        if new.texture is not None and new.texture_digest != old.texture_digest:
            material.map = _texture(new)
        if new.texture is None and new.color != old.color:
            material.color = _three_colour(new.color)
        if new.roughness != old.roughness:
            material.roughness = new.roughness
        if new.metalness != old.metalness:
            material.metalness = new.metalness
        if new.opacity != old.opacity:
            self.set_opacity(view.data.name, new.opacity)

    def set_pose(self, name: str, position: tuple[float, ...], quaternion: tuple[float, ...],
                 scale: tuple[float, ...]) -> None:
        mesh = self.nodes[name].mesh
        if tuple(mesh.position) != tuple(position):
            mesh.position = tuple(position)
        if tuple(mesh.quaternion) != tuple(quaternion):
            mesh.quaternion = tuple(quaternion)
        if tuple(mesh.scale) != tuple(scale):
            mesh.scale = tuple(scale)
        data = self.nodes[name].data
        data.position, data.quaternion, data.scale = tuple(position), tuple(quaternion), tuple(scale)  # type: ignore

    def set_opacity(self, name: str, opacity: float) -> None:
        view = self.nodes[name]
        material = view.mesh.material
        transparent = opacity < 1.0
        if material.transparent != transparent:
            material.transparent = transparent
        if material.opacity != opacity:
            material.opacity = opacity
        m = view.data.material
        view.data.material = MaterialData(m.color, m.texture, m.texture_digest, m.roughness, m.metalness, opacity)

    def set_color(self, name: str, color: str) -> None:
        view = self.nodes[name]
        view.mesh.material.color = _three_colour(color)
        m = view.data.material
        view.data.material = MaterialData(color, m.texture, m.texture_digest, m.roughness, m.metalness, m.opacity)

    def set_visible(self, name: str, visible: bool) -> None:
        mesh = self.nodes[name].mesh
        if mesh.visible != visible:
            mesh.visible = visible

    def remove(self, name: str) -> None:
        view = self.nodes.pop(name)
        self.root.remove(view.mesh)

    def turn(self, degrees: float) -> None:
        """Turn the whole design about +Y (the turntable)."""
        half = math.radians(degrees) / 2  # as a quaternion: pythreejs re-applies the quaternion over a rotation
        self.root.quaternion = (0.0, math.sin(half), 0.0, math.cos(half))

    @property
    def widget(self) -> Any:
        return self.renderer

    def close(self) -> None:
        self.renderer.close()
