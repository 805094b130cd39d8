"""The scene of a design through the notebook API: nodes, materials, cache, GLB that validates."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import trimesh

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
VALIDATOR = ROOT / ".tools" / "node_modules" / "gltf-validator"

OUTFIT = ["sil-aline-dress", "fab-linen-natural", "pat-gingham", "sil-blazer", "ele-shirt-button",
          "acc-leather-belt", "acc-sneakers"]


@pytest.fixture
def dressed(connect):
    ws = connect()
    avatar = ws.avatars.create("Ada", {"height": 168, "bust": 88, "waist": 70, "hips": 96}, body_hint="female")
    design = ws.designs.create("Look", avatar=avatar)
    layers = [design.add_layer(item) for item in OUTFIT]
    return ws, avatar, design, layers


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_avatar_is_measured_on_its_mesh_and_rebuilt_identically(dressed) -> None:
    ws, avatar, _, _ = dressed
    for key, asked in avatar.requested.items():
        assert abs(avatar.measurements[key] - asked) <= (0.5 if key == "height" else 1.0)
    mesh = avatar.mesh
    assert abs(mesh.bounds[0][1]) < 1e-3 and abs(mesh.bounds[1][1] - 1.68) < 0.006   # feet on y=0, metres
    assert mesh.vertices[:, 2].max() > -mesh.vertices[:, 2].min()                      # faces +Z (toes, nose)
    again = ws.avatars.get(avatar.id)
    assert np.array_equal(again.mesh.vertices, mesh.vertices)
    assert again.landmarks["waist"][1] < again.landmarks["bust"][1] < again.landmarks["head_top"][1]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_scene_nodes_follow_visibility_and_edits_rebuild_only_what_changed(dressed) -> None:
    ws, _, design, layers = dressed
    scene = design.scene()
    nodes = set(scene.graph.nodes_geometry)
    shown = {f"layer:{layer.id}" for layer in layers if layer.type in ("silhouette", "element", "accessory")}
    assert nodes == {"avatar", *shown}
    dress = scene.geometry[f"layer:{layers[0].id}"]
    assert dress.visual.material.baseColorTexture is not None          # linen + gingham composited
    assert len(dress.visual.uv) == len(dress.vertices)
    design.update_layer(layers[-1].id, is_visible=False)
    assert f"layer:{layers[-1].id}" not in design.scene().graph.nodes_geometry
    builder = ws.scene_builder
    misses = builder.misses
    design.update_layer(layers[5].id, opacity=50)                        # a material edit: no new geometry
    belt = design.scene().geometry[f"layer:{layers[5].id}"]
    assert builder.misses == misses and belt.visual.material.alphaMode == "BLEND"
    before = design.scene().geometry[f"layer:{layers[0].id}"].vertices.copy()
    design.update_layer(layers[3].id, customization={"length": 0.8})     # the blazer: it and what sits on it
    after = design.scene()
    # regenerated: the blazer, its buttons and the accessories worn over it; the dress beneath is reused
    assert 1 <= builder.misses - misses <= 4
    assert np.array_equal(after.geometry[f"layer:{layers[0].id}"].vertices, before)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_glb_loads_back_and_passes_the_khronos_validator(dressed, tmp_path: Path) -> None:
    _, _, design, layers = dressed
    glb = design.scene().export(file_type="glb")
    path = tmp_path / "look.glb"
    path.write_bytes(glb)
    back = trimesh.load(path)
    assert set(back.graph.nodes_geometry) >= {"avatar", f"layer:{layers[0].id}"}
    assert back.geometry[f"layer:{layers[0].id}"].visual.material.baseColorTexture is not None
    triangles = sum(len(g.faces) for g in back.geometry.values())
    assert triangles <= 150_000 and len(glb) <= 10 * 2**20
    node = shutil.which("node")
    assert node and VALIDATOR.exists(), "run ./dev test (installs gltf-validator from npm into .tools/)"
    script = ("const v=require(process.argv[1]);const fs=require('fs');"
              "v.validateBytes(new Uint8Array(fs.readFileSync(process.argv[2]))).then(r=>"
              "console.log(JSON.stringify(r.issues)))")
    out = subprocess.run([node, "-e", script, str(VALIDATOR), str(path)], capture_output=True, text=True, check=True)
    issues = json.loads(out.stdout)
    assert issues["numErrors"] == 0, issues["messages"][:5]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_camera_and_lighting_come_from_the_canvas(dressed) -> None:
    _, _, design, _ = dressed
    design.update_canvas(camera={"position": [0.0, 1.2, 4.0], "fov": 30}, lighting_preset="dramatic")
    scene = design.scene()
    assert scene.camera.fov[1] == pytest.approx(30)
    assert np.allclose(scene.camera_transform[:3, 3], [0.0, 1.2, 4.0])
    view = -scene.camera_transform[:3, 2]                      # the camera looks at the canvas target
    assert view[2] < 0 and abs(view[0]) < 1e-6
    assert scene.metadata["lights"]["preset"] == "dramatic" and scene.metadata["lights"]["ambient"] == 0.1


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_size_presets(connect) -> None:
    import fw_kernel as fw

    ws = connect()
    small = ws.avatars.from_size("S", "S", body_hint="female")
    large = ws.avatars.from_size("XL", "XL", body_hint="female", height=175)
    assert large.measurements["bust"] > small.measurements["bust"] + 15
    assert abs(large.measurements["height"] - 175) <= 0.5
    with pytest.raises(fw.ValidationError, match="XS"):
        ws.avatars.from_size("x", "XXXXL")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sheer_fabrics_make_the_garment_see_through(connect) -> None:
    ws = connect()
    avatar = ws.avatars.create("Ada", {"height": 168, "bust": 88, "waist": 70, "hips": 96}, body_hint="female")
    design = ws.designs.create("Sheer", avatar=avatar)                           # garments need a body
    dress = design.add_layer("sil-maxi-dress")

    def alpha() -> tuple[int, str]:
        material = design.scene().geometry[f"layer:{dress.id}"].visual.material
        return int(material.baseColorFactor[3]), material.alphaMode

    assert alpha() == (255, "OPAQUE")
    chiffon = design.add_layer("fab-silk-chiffon")                               # transparency 0.6
    assert alpha() == (102, "BLEND")
    design.update_layer(chiffon.id, opacity=50)                                  # half chiffon over an opaque dress
    assert alpha() == (178, "BLEND")                                              # 255 x 0.7, rounded to even
    design.update_layer(dress.id, opacity=50)                                    # the layer's own opacity multiplies
    assert alpha() == (89, "BLEND")
    design.remove_layer(chiffon.id)
    design.add_layer("fab-denim-indigo")
    assert alpha()[0] == 128
