"""A scene as model files: GLB (binary glTF with materials and textures) or OBJ + MTL + textures in a zip."""

from __future__ import annotations

import io
import zipfile

import trimesh
import trimesh.exchange.obj


def to_glb(scene: trimesh.Scene) -> bytes:
    return scene.export(file_type="glb")


def to_obj_zip(scene: trimesh.Scene, name: str = "design") -> bytes:
    """``design.obj``, ``material.mtl`` and the texture PNGs it names, in one zip."""
    text, files = trimesh.exchange.obj.export_obj(scene, include_texture=True, return_texture=True,
                                                  mtl_name="material.mtl")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{name}.obj", text)
        for filename, data in files.items():
            archive.writestr(filename, data)
    return buffer.getvalue()
