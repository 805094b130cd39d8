"""Offscreen rendering of a design's scene with pyrender through EGL (NVIDIA on a GPU, Mesa llvmpipe on CPU).

Install the ``render`` extra and Debian's ``libegl1 libegl-mesa0 libgl1-mesa-dri``. ``FW_EGL_DEVICE`` picks the
GPU (``EGL_DEVICE_ID``) where there are several.

Colour spaces: pyrender's lit shader decodes sRGB textures exactly, takes ``baseColorFactor`` as linear (glTF's rule,
which the scene builder follows) and lights in linear; its output encoding is a ``pow(1/2.2)`` approximation, which
lifts dark channels (a burgundy's green 31 -> 36). :func:`shader_dir` replaces that one line with the exact sRGB
encoding, so an unlit ("flat" preset) swatch comes out as the chosen colour.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from typing import Any

import numpy as np

from .gl import RENDER_LOCK, egl

_LOCK = RENDER_LOCK  # one GL context at a time per process (shared with the photo studio and thumbnails)
_APPROX_OUTPUT = "pow(color.xyz, vec3(1.0/2.2))"
_EXACT_ENCODE = """
vec3 fw_linear_to_srgb(vec3 c)  // IEC 61966-2-1, added by fw_kernel
{
    c = clamp(c, 0.0, 1.0);
    return mix(c * 12.92, 1.055 * pow(c, vec3(1.0 / 2.4)) - 0.055, step(vec3(0.0031308), c));
}

void main()"""
_SHADERS: dict[str, str | None] = {}


def shader_dir(pyrender_dir: str) -> str | None:
    """A folder with pyrender's shaders whose mesh shader encodes its output exactly as sRGB (made once per process).

    Parameters
    ----------
    pyrender_dir : str
        The installed pyrender package folder (its ``shaders/`` are copied).

    Returns
    -------
    str or None
        The folder; None (with a warning) when this pyrender's mesh shader has no single ``pow(1/2.2)`` output line
        to replace (a version other than 0.1.45): renders then keep pyrender's approximate encoding.
    """
    if pyrender_dir in _SHADERS:
        return _SHADERS[pyrender_dir]
    source = os.path.join(pyrender_dir, "shaders")
    with open(os.path.join(source, "mesh.frag"), encoding="utf-8") as f:
        mesh = f.read()
    if mesh.count(_APPROX_OUTPUT) != 1 or mesh.count("void main()") != 1:
        warnings.warn(f"{source}/mesh.frag has no single pow(1/2.2) output encoding to replace (tested with "
                      "pyrender 0.1.45): renders keep pyrender's approximate sRGB output", stacklevel=2)
        _SHADERS[pyrender_dir] = None
        return None
    target = tempfile.mkdtemp(prefix="fw-pyrender-shaders-")
    shutil.copytree(source, target, dirs_exist_ok=True)
    with open(os.path.join(target, "mesh.frag"), "w", encoding="utf-8") as f:
        f.write(mesh.replace(_APPROX_OUTPUT, "fw_linear_to_srgb(color.xyz)").replace("void main()", _EXACT_ENCODE))
    _SHADERS[pyrender_dir] = target
    return target


def offscreen(pyrender: Any, width: int, height: int) -> Any:
    """A ``pyrender.OffscreenRenderer`` whose lit shader encodes its output exactly as sRGB (see :func:`shader_dir`).

    ``delete()`` it when done.
    """
    renderer = pyrender.OffscreenRenderer(width, height)
    shaders = shader_dir(os.path.dirname(pyrender.__file__))
    if shaders is not None:  # pyrender has no public hook for its shaders: swap the new renderer's program cache
        renderer._renderer._program_cache = pyrender.shader_program.ShaderProgramCache(shader_dir=shaders)
    return renderer


class PyrenderRenderer:
    def __init__(self) -> None:
        self._pyrender = egl()

    def render(self, scene: Any, width: int, height: int, yaw_deg: float = 0.0, background: str | None = None,
               supersample: int = 1) -> np.ndarray:
        """(height, width, 4) uint8 RGBA of ``scene`` (a trimesh.Scene from ``design.scene()``) seen by its camera
        turned ``yaw_deg`` around the vertical through the camera's target."""
        return next(iter(self.render_many(scene, width, height, [yaw_deg], background, supersample)))

    def render_many(self, scene: Any, width: int, height: int, yaws_deg: Any, background: str | None = None,
                    supersample: int = 1) -> Any:
        """Frames for each yaw, uploading the scene to the GPU once (a turntable). Yields (H, W, 4) uint8."""
        pyrender = self._pyrender
        lights = scene.metadata.get("lights", {})
        background = background or scene.metadata.get("background", "#f4f4f6")
        transparent = background == "transparent"
        rgb = [0.96, 0.96, 0.97] if transparent else [int(background[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        view = pyrender.Scene.from_trimesh_scene(
            scene, bg_color=[*rgb, 0.0 if transparent else 1.0], ambient_light=[lights.get("ambient", 0.35)] * 3)
        pose = np.array(scene.camera_transform, dtype=float)
        centre = np.array(scene.metadata.get("camera_target", [0.0, 0.95, 0.0]), dtype=float)
        fov = float(scene.camera.fov[1]) if scene.camera is not None else 40.0
        camera = view.add(pyrender.PerspectiveCamera(yfov=np.radians(fov), aspectRatio=width / height), pose=pose)
        lights_nodes = []
        for light in lights.get("directional", [{"intensity": 3.0, "pose": pose.tolist()}]):
            if light["intensity"] > 0:
                light_pose = np.array(light["pose"])
                node = view.add(pyrender.DirectionalLight(intensity=light["intensity"]), pose=light_pose)
                lights_nodes.append((node, light_pose))
        canvas = scene.metadata.get("canvas", {})
        flags = pyrender.RenderFlags.RGBA if transparent else pyrender.RenderFlags.NONE
        # shadow maps of the directional lights (arms on the body, layers); pyrender sizes them from the scene
        if canvas.get("shadows", True) and view.scale > 0:
            flags |= pyrender.RenderFlags.SHADOWS_DIRECTIONAL
        if not canvas.get("antialiasing", True):
            supersample = 1
        with _LOCK:
            renderer = offscreen(pyrender, width * supersample, height * supersample)
            try:
                for yaw in yaws_deg:
                    turn = _yaw(float(yaw), centre)  # turn the camera and its lights: a turntable
                    view.set_pose(camera, turn @ pose)
                    for node, light_pose in lights_nodes:
                        view.set_pose(node, turn @ light_pose)
                    color, _ = renderer.render(view, flags=flags)
                    if color.shape[-1] == 3:
                        color = np.concatenate([color, np.full((*color.shape[:2], 1), 255, np.uint8)], axis=-1)
                    if supersample > 1:  # box-filter down: antialiasing
                        color = color.reshape(height, supersample, width, supersample, 4).mean(axis=(1, 3)).round()
                    yield color.astype(np.uint8)
            finally:
                renderer.delete()


def _yaw(degrees: float, centre: np.ndarray) -> np.ndarray:
    a = np.radians(degrees)
    rot = np.eye(4)
    rot[:3, :3] = [[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]]
    to, back = np.eye(4), np.eye(4)
    to[:3, 3], back[:3, 3] = -centre, centre
    return back @ rot @ to
