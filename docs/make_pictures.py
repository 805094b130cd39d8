"""Render the README's pictures: front, side and back views of a few designs (plain offscreen pyrender).

Run: ``PYOPENGL_PLATFORM=egl .venv/bin/python docs/make_pictures.py`` (needs the ``render`` extra and Debian's
``libegl1 libegl-mesa0 libgl1-mesa-dri``). The server renderer with lighting presets comes with the exports.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")

import pyrender
from PIL import Image

import fw_kernel as fw

OUT = Path(__file__).parent / "images"
LOOKS = {
    "summer_dress": ("female", {"height": 168, "bust": 88, "waist": 70, "hips": 96},
                     ["sil-aline-dress", "fab-linen-natural", "pat-gingham", "acc-leather-belt", "acc-sneakers"]),
    "office": ("male", {"height": 182, "chest": 104, "waist": 90, "hips": 102},
               ["sil-shirt", "fab-cotton-poplin", "sil-straight-trousers", "fab-wool-twill", "sil-blazer",
                "fab-tweed-wool", "ele-shirt-button", "acc-classic-watch"]),
    "plus_size_coat": ("female", {"height": 165, "bust": 120, "waist": 104, "hips": 126},
                       ["sil-wide-leg-trousers", "fab-denim-indigo", "sil-tshirt", "pat-breton-stripes",
                        "sil-coat", "fab-cashmere-knit", "acc-silk-scarf", "acc-tote-bag"]),
}


def render(scene_tm, yaw: float, size=(360, 560)) -> np.ndarray:
    scene = pyrender.Scene.from_trimesh_scene(scene_tm, bg_color=[0.96, 0.96, 0.97, 1.0], ambient_light=[0.4] * 3)
    a = np.radians(yaw)
    rot = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    pose = np.eye(4)
    pose[:3, :3] = rot
    pose[:3, 3] = rot @ np.array([0.0, 0.95, 3.3])
    scene.add(pyrender.PerspectiveCamera(yfov=np.radians(38)), pose=pose)
    scene.add(pyrender.DirectionalLight(intensity=3.0), pose=pose)
    renderer = pyrender.OffscreenRenderer(*size)
    color, _ = renderer.render(scene)
    renderer.delete()
    return color


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as home:
        ws = fw.connect(home=home, autosave_thread=False)
        for name, (hint, measurements, items) in LOOKS.items():
            avatar = ws.avatars.create(name, measurements, body_hint=hint)
            design = ws.designs.create(name, avatar=avatar)
            for item in items:
                design.add_layer(item)
            scene = design.scene()
            views = np.concatenate([render(scene, yaw) for yaw in (0, 90, 180)], axis=1)
            Image.fromarray(views).save(OUT / f"{name}.png", optimize=True)
            print(OUT / f"{name}.png")
        ws.close()


if __name__ == "__main__":
    main()
