"""The studio widget on real designs (embedded default, real avatars and garments), driven programmatically:
controls edit through the notebook API (saved, undoable, in history) and the viewport changes only what an edit
touched."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fw_kernel.geometry.texture.color import linear_hex
from fw_widgets import DesignStudio
from fw_widgets.scene_data import nodes_of

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("backend", ["sqlite"], indirect=True)]

MEASUREMENTS = {"height": 168, "bust": 88, "waist": 70, "hips": 96, "inseam": 78}


@pytest.fixture
def outfit(connect):
    """A workspace and a design: avatar, trousers, a T-shirt over them."""
    ws = connect()
    avatar = ws.avatars.create("Ada", MEASUREMENTS, body_hint="female")
    design = ws.designs.create("Look", avatar=avatar)
    trousers = design.add_layer("sil-straight-trousers", {"color": "#334466"})
    tee = design.add_layer("sil-tshirt", {"color": "#aa3344"})
    return ws, design, trousers, tee


def _trait_state(widget) -> dict:
    return {k: v for k, v in widget.get_state().items() if not isinstance(v, bytes | memoryview)}


def test_show_builds_the_viewport_from_the_scene(outfit):
    _ws, design, trousers, tee = outfit
    studio = design.show()
    assert isinstance(studio, DesignStudio)
    vp = studio.viewport
    assert set(vp.nodes) == {"avatar", f"layer:{trousers.id}", f"layer:{tee.id}"}
    scene_nodes = nodes_of(design.scene())
    for name, view in vp.nodes.items():
        attrs = view.mesh.geometry.attributes
        assert attrs["position"].array.dtype == np.float32
        assert attrs["index"].array.dtype == np.uint32
        assert attrs["position"].array.shape == scene_nodes[name].vertices.shape
        assert attrs["index"].array.size == scene_nodes[name].faces.size
    cam = design.canvas.camera
    # design space is shifted so that the camera target is the origin (what the orbit controls turn about)
    eye = np.array(vp.camera.position) - np.array(vp.world.position)
    assert tuple(eye) == pytest.approx(cam.position)
    assert tuple(-np.array(vp.world.position)) == pytest.approx(cam.target)
    assert tuple(vp.controls.target) == (0.0, 0.0, 0.0)
    assert vp.camera.fov == pytest.approx(cam.fov)
    x, y, z, qw = vp.camera.quaternion  # the camera's -Z axis points from the eye to the target
    forward = -np.array([2 * (x * z + qw * y), 2 * (y * z - qw * x), 1 - 2 * (x * x + y * y)])
    wanted = np.array(cam.target) - np.array(cam.position)
    assert forward == pytest.approx(wanted / np.linalg.norm(wanted), abs=1e-9)
    assert vp.scene.background == design.canvas.background
    assert vp.grid.visible is design.canvas.show_grid
    tee_node = vp.nodes[f"layer:{tee.id}"]
    assert tee_node.data.material.color == design.layer(tee.id).customization["color"]  # sRGB, as chosen
    assert tee_node.mesh.material.color == linear_hex(design.layer(tee.id).customization["color"])  # three.js: linear
    # layer panel lists the stack top first
    assert [row.layer_id for row in studio.layers.rows.values()] == [trousers.id, tee.id]
    assert studio.layers.list.children[0] is studio.layers.rows[tee.id].box


def test_opacity_slider_saves_undoes_and_touches_only_that_material(outfit):
    ws, design, trousers, tee = outfit
    studio = design.show()
    vp = studio.viewport
    tee_mesh, trousers_mesh = vp.nodes[f"layer:{tee.id}"].mesh, vp.nodes[f"layer:{trousers.id}"].mesh
    tee_geometry, tee_material = tee_mesh.geometry, tee_mesh.material
    before = {name: _trait_state(view.mesh.material) for name, view in vp.nodes.items()}
    poses = {name: (view.mesh.position, view.mesh.quaternion) for name, view in vp.nodes.items()}
    version = design.version

    studio.layers.rows[tee.id].select.click()
    assert studio.ctx.selected == tee.id
    studio.layers.opacity.value = 40
    assert design.layer(tee.id).opacity == 40
    assert design.version == version + 1
    assert design.history[-1].action == "update_layer"
    assert ws.designs.get(design.id).layer(tee.id).opacity == 40  # saved, seen by a fresh handle
    assert studio.sync.last_path == "fast"
    assert tee_mesh.geometry is tee_geometry and tee_mesh.material is tee_material
    assert tee_material.opacity == pytest.approx(0.4, abs=0.003) and tee_material.transparent
    for name, view in vp.nodes.items():  # nothing else changed
        if name != f"layer:{tee.id}":
            assert _trait_state(view.mesh.material) == before[name]
        assert (view.mesh.position, view.mesh.quaternion) == poses[name]
    assert trousers_mesh.material.opacity == 1.0

    studio.history.undo.click()
    assert design.layer(tee.id).opacity == 100
    assert tee_material.opacity == 1.0 and not tee_material.transparent
    assert studio.layers.opacity.value == 100
    assert not studio.history.redo.disabled
    studio.history.redo.click()
    assert design.layer(tee.id).opacity == 40


def test_visibility_toggle_and_edits_made_in_code_show_in_the_open_viewport(outfit):
    _ws, design, trousers, tee = outfit
    studio = design.show()
    mesh = studio.viewport.nodes[f"layer:{trousers.id}"].mesh
    studio.layers.rows[trousers.id].visible.value = False
    assert design.layer(trousers.id).is_visible is False
    assert mesh.visible is False
    assert studio.layers.rows[trousers.id].visible.description == "hidden"
    design.undo()  # in code
    assert mesh.visible is True and studio.layers.rows[trousers.id].visible.value is True

    studio.layers.rows[tee.id].select.click()
    design.update_layer(tee.id, transform={"position": {"x": 0.2}, "rotation": {"y": 30}, "scale": {"y": 1.1}})
    assert studio.sync.last_path == "fast"
    moved = studio.viewport.nodes[f"layer:{tee.id}"].mesh
    fresh = DesignStudio(design).viewport.nodes[f"layer:{tee.id}"].mesh  # built from a full scene
    assert tuple(moved.position) == pytest.approx(tuple(fresh.position), abs=1e-9)
    assert tuple(moved.quaternion) == pytest.approx(tuple(fresh.quaternion), abs=1e-9)
    assert tuple(moved.scale) == pytest.approx(tuple(fresh.scale), abs=1e-9)
    assert studio.inspector.transform[("position", "x")].value == pytest.approx(0.2)

    old_colour = moved.material.color
    design.update_layer(tee.id, customization={"color": "#123456"})  # in code: a colour edit
    assert studio.sync.last_path == "fast"
    again = DesignStudio(design).viewport.nodes[f"layer:{tee.id}"].mesh
    assert moved.material.color == again.material.color != old_colour
    assert fresh.material.color == moved.material.color  # every open studio of the design follows


def test_visibility_toggles_are_linked_to_their_meshes_in_the_browser(outfit):
    _ws, design, trousers, tee = outfit
    studio = design.show()
    rows, nodes = studio.layers.rows, studio.viewport.nodes
    for layer in (trousers, tee):  # a jsdlink widget per layer: source the toggle's value, target the mesh
        link = studio.links._links[layer.id][2]
        assert link.source == (rows[layer.id].visible, "value")
        assert link.target == (nodes[f"layer:{layer.id}"].mesh, "visible")
    design.update_layer(tee.id, is_visible=False)
    design.update_layer(trousers.id, customization={"inseam": 0.7})  # a full update: the hidden tee is stale
    assert nodes[f"layer:{tee.id}"].stale and tee.id not in studio.links  # the kernel redraws it before it shows
    design.update_layer(tee.id, is_visible=True)
    assert tee.id in studio.links and studio.links.target(tee.id) is nodes[f"layer:{tee.id}"].mesh
    design.remove_layer(trousers.id)
    assert trousers.id not in studio.links and len(studio.links) == 1
    assert DesignStudio(design, instant_visibility=False).links is None
    studio.close()
    assert len(studio.links) == 0


def test_silhouette_parameter_replaces_only_that_garments_geometry(outfit):
    _ws, design, trousers, tee = outfit
    studio = design.show()
    vp = studio.viewport
    trousers_geometry = vp.nodes[f"layer:{trousers.id}"].mesh.geometry
    avatar_geometry = vp.nodes["avatar"].mesh.geometry
    tee_mesh = vp.nodes[f"layer:{tee.id}"].mesh
    tee_geometry, tee_material = tee_mesh.geometry, tee_mesh.material
    old_vertices = tee_geometry.attributes["position"].array.copy()

    studio.layers.rows[tee.id].select.click()
    studio.inspector.params["length"].value = 0.8
    assert design.layer(tee.id).customization["length"] == pytest.approx(0.8)
    assert studio.sync.last_path == "full"
    assert tee_mesh.geometry is not tee_geometry  # new buffers for the changed garment...
    new_vertices = tee_mesh.geometry.attributes["position"].array
    assert new_vertices[:, 1].min() < old_vertices[:, 1].min() - 0.05  # a longer tee reaches lower
    assert vp.nodes[f"layer:{trousers.id}"].mesh.geometry is trousers_geometry  # ...and only for it
    assert vp.nodes["avatar"].mesh.geometry is avatar_geometry
    assert tee_mesh.material is tee_material


def test_locked_layer_and_viewer_role_disable_controls_with_a_reason(outfit, connect):
    _ws, design, trousers, tee = outfit
    studio = design.show()
    row = studio.layers.rows[tee.id]
    row.lock.value = True
    assert design.layer(tee.id).is_locked
    row.select.click()
    for control in (row.visible, row.up, row.down, row.delete, studio.layers.opacity, studio.layers.blend,
                    *studio.inspector.transform.values(), *[c for c in studio.inspector.params.values()
                                                            if hasattr(c, "disabled")]):
        assert control.disabled, control
        assert "locked" in control.tooltip
    assert not row.lock.disabled  # unlocking stays possible
    assert not studio.layers.rows[trousers.id].visible.disabled

    design.share("bob", role="viewer")
    bob = connect(user="bob")
    seen = bob.designs.get(design.id)
    readonly = seen.show()
    assert "viewer" in readonly.children[1].value
    for r in readonly.layers.rows.values():
        for control in (r.visible, r.lock, r.delete):
            assert control.disabled and "viewer" in control.tooltip
    assert readonly.history.undo.disabled and readonly.history.checkpoint.disabled
    assert all(s.disabled for s in readonly.avatar.sliders.values())
    forced = readonly.layers.rows[tee.id]
    forced.visible.value = False  # a disabled control set from code: the API refuses, the toggle goes back
    assert forced.visible.value is True and seen.layer(tee.id).is_visible
    assert "PermissionDenied" in readonly.status.widget.value and "Traceback" not in readonly.status.widget.value
    readonly.catalog.refresh()
    adds = [c.children[-1] for c in readonly.catalog.results.children]
    assert adds and all(b.disabled and "viewer" in b.tooltip for b in adds)


def test_api_errors_show_inline_and_change_nothing(outfit):
    _ws, design, trousers, tee = outfit
    studio = design.show()
    version = design.version
    studio.layers.rows[tee.id].select.click()
    studio.layers.name.value = ""
    studio.layers.rename.click()  # an empty name is refused by the API
    assert design.version == version and design.layer(tee.id).name != ""
    assert "fw-error" in studio.status.widget.value and "name" in studio.status.widget.value
    assert "Traceback" not in studio.status.widget.value
    studio.layers.rows[trousers.id].down.click()  # already at the bottom: disabled, and a no-op if clicked
    assert [x.id for x in design.layers] == [trousers.id, tee.id]
    studio.layers.rows[tee.id].down.click()
    assert [x.id for x in design.layers] == [tee.id, trousers.id]
    assert design.history[-1].action == "reorder_layers"


def test_catalog_search_thumbnails_and_add(outfit):
    _ws, design, _trousers, tee = outfit
    studio = design.show()
    panel = studio.catalog
    panel.type.value = "fabric"
    panel.query.value = "denm"  # a typo
    assert panel.items and all(item.type == "fabric" for item in panel.items)
    assert any("denim" in item.id for item in panel.items)
    card = panel.results.children[0]
    assert card.children[0].value[:8] == b"\x89PNG\r\n\x1a\n"  # the item's thumbnail
    card.children[-1].click()
    assert len(design.layers) == 3 and design.layers[-1].catalog_item_id == panel.items[0].id
    assert design.history[-1].action == "add_layer"
    assert studio.ctx.selected == design.layers[-1].id
    # a fabric dresses the tee: its material now carries a texture (full path, new map, same geometry)
    tee_mesh = studio.viewport.nodes[f"layer:{tee.id}"].mesh
    assert tee_mesh.material.map is not None
    assert tee_mesh.material.map.data.shape == (256, 256, 4)
    studio.layers.rows[design.layers[-1].id].delete.click()
    assert len(design.layers) == 2
    assert studio.viewport.nodes[f"layer:{tee.id}"].mesh.material.map is None
    # cards are kept while the results and your rights stay: a refresh sends nothing, a new search closes the old
    cards = panel.results.children
    panel.refresh()
    assert panel.results.children == cards
    old = [card, *card.children]
    panel.query.value = "linen dress"
    assert all(widget.comm is None for widget in old)  # closed with their picture, label and button
    design.update(name="Renamed look")  # a design-field edit refreshes every panel
    assert "Renamed look" in studio.header.value


def test_history_checkpoint_diff_restore_fork(outfit):
    _ws, design, _trousers, tee = outfit
    studio = design.show()
    h = studio.history
    h.message.value = "first"
    h.checkpoint.click()
    design.update_layer(tee.id, opacity=50)
    h.message.value = "second"
    h.checkpoint.click()
    assert [label for label, _ in h.versions.options] == ["v1: first", "v2: second"]
    h.diff.click()
    assert "v1 &rarr; v2: 1 operation" in h.diff_out.value and "opacity" in h.diff_out.value
    h.versions.value = 1
    h.restore.click()
    assert design.layer(tee.id).opacity == 100
    assert studio.viewport.nodes[f"layer:{tee.id}"].mesh.material.opacity == 1.0
    h.fork_name.value = "Copy"
    h.fork.click()
    assert h.forked is not None and h.forked.name == "Copy" and h.forked.fork_from == design.id
    assert "fw-error" not in studio.status.widget.value


def test_avatar_slider_refits_the_body(outfit):
    ws, design, _trousers, _tee = outfit
    studio = design.show()
    old_avatar = design.meta.avatar_id
    avatar_vertices = studio.viewport.nodes["avatar"].mesh.geometry.attributes["position"].array.copy()
    studio.avatar.sliders["waist"].value = 84.0
    assert design.meta.avatar_id != old_avatar
    fitted = ws.avatars.get(design.meta.avatar_id)
    assert fitted.measurements["waist"] == pytest.approx(84.0, abs=1.0)
    new_vertices = studio.viewport.nodes["avatar"].mesh.geometry.attributes["position"].array
    assert not np.array_equal(new_vertices, avatar_vertices)
    design.undo()
    assert design.meta.avatar_id == old_avatar
    assert studio.avatar.sliders["waist"].value == pytest.approx(70.0)


def test_export_panel_runs_an_image_export_with_progress(outfit):
    _ws, design, _trousers, _tee = outfit
    studio = design.show()
    row = studio.exports.rows["image"]
    row.start()
    row.wait(300)
    assert row.bar.value == 100 and row.bar.bar_style == "success", row.result.value
    assert Path(row.handle.path).stat().st_size > 1000
    studio.exports.rows["image"].handle.refresh()
    assert design.exports[0].status == "completed"
    # a download link with the file's name and size (the bytes themselves, for the browser), and a preview
    import base64
    import re

    data = Path(row.handle.path).read_bytes()
    link = re.search(r"href='data:image/png;base64,([^']+)' download='([^']+)'", row.result.value)
    assert link and base64.b64decode(link.group(1)) == data and link.group(2) == row.handle.job.file_name
    assert "KiB)" in row.result.value and row.handle.path not in row.result.value  # no long server path
    (preview,) = row.preview.children
    assert preview.value == data


def test_status_line_and_history_say_what_changed(outfit):
    _ws, design, _trousers, tee = outfit
    studio = design.show()
    studio.layers.rows[tee.id].select.click()
    colour = studio.inspector.params["color"]
    colour.text.value = "#7a1f3d"  # typed in the hex field (Enter or leaving it sends the value)
    assert design.layer(tee.id).customization["color"] == "#7a1f3d"
    assert colour.picker.value == "#7a1f3d"
    said = "Classic Crew-Neck T-Shirt: colour #aa3344 → #7a1f3d"
    assert said in studio.status.widget.value.replace("&#x27;", "'")
    studio.inspector.transform[("rotation", "y")].value = 10.0
    assert "rotation y 0 → 10" in studio.status.widget.value
    studio.history.undo.click()
    assert "undo: Classic Crew-Neck T-Shirt: rotation y 10 → 0" in studio.status.widget.value
    studio.history.refresh()
    recent = studio.history.recent.value
    assert said in recent and "undo: " in recent and "update_layer" not in recent
    colour.text.value = "burgundy"  # not a colour: refused inline, and the field shows the saved colour again
    assert "fw-error" in studio.status.widget.value and colour.text.value == "#7a1f3d"
    assert design.layer(tee.id).customization["color"] == "#7a1f3d"
    row = studio.layers.rows[tee.id]
    assert row.select.tooltip.startswith("Classic Crew-Neck T-Shirt (silhouette)")


def test_canvas_settings_and_a_design_without_avatar(connect):
    ws = connect()
    design = ws.designs.create("Empty")
    studio = design.show()
    assert studio.viewport.nodes == {}
    design.add_layer("sil-tshirt")  # no body: nothing to draw yet, and no error
    assert studio.viewport.nodes == {} and studio.status.last_error is None
    vp = studio.viewport
    key_before = vp.key.intensity
    design.update_canvas(background="#202020", show_grid=False, lighting_preset="dramatic",
                         camera={"position": [1.0, 1.5, 2.5], "target": [0.0, 1.0, 0.0], "fov": 30})
    assert vp.scene.background == "#202020" and vp.grid.visible is False
    assert vp.key.intensity > key_before and vp.fill.intensity < key_before
    assert tuple(np.array(vp.camera.position) - np.array(vp.world.position)) == pytest.approx((1.0, 1.5, 2.5))
    assert vp.camera.fov == 30
    design.update_canvas(background="transparent")
    assert vp.scene.background is None and vp.renderer.background_opacity == 0.0
    studio.avatar.sliders["height"].value = 172.0  # fits a body and puts it on the design
    assert design.meta.avatar_id is not None
    assert set(vp.nodes) == {"avatar", f"layer:{design.layers[0].id}"}


def test_viewer_toggles_change_the_view_only_and_the_turntable_turns(outfit):
    import math

    from fw_widgets import DesignViewer, design_id_from_query, open_viewer

    ws, design, trousers, tee = outfit
    version = design.version
    viewer = DesignViewer(design)
    assert list(viewer.toggles) == [tee.id, trousers.id]  # top of the stack first
    assert viewer.toggles[tee.id].description == "Classic Crew-Neck T-Shirt (shown)"
    viewer.toggles[tee.id].value = False
    assert viewer.toggles[tee.id].description == "Classic Crew-Neck T-Shirt (hidden here)"
    assert viewer.viewport.nodes[f"layer:{tee.id}"].mesh.visible is False
    assert design.version == version and design.layer(tee.id).is_visible  # nothing saved
    viewer.angle.value = 90
    assert tuple(viewer.viewport.root.quaternion) == pytest.approx((0.0, math.sin(math.pi / 4), 0.0,
                                                                     math.cos(math.pi / 4)))
    # the app follows the design: an editor's edits show, the layer hidden in this view stays hidden
    editor = ws.designs.get(design.id)
    editor.update_layer(trousers.id, customization={"color": "#ff0000"})
    viewer.live.wait(editor.version)
    assert viewer.viewport.nodes[f"layer:{trousers.id}"].mesh.material.color == linear_hex("#ff0000")
    assert viewer.viewport.nodes[f"layer:{tee.id}"].mesh.visible is False and not viewer.toggles[tee.id].value
    belt = editor.add_layer("acc-leather-belt")
    viewer.live.wait(editor.version)
    assert list(viewer.toggles) == [belt.id, tee.id, trousers.id] and f"layer:{belt.id}" in viewer.viewport.nodes
    editor.update_layer(trousers.id, is_visible=False)  # hidden by its owner: no toggle for it here
    editor.update(name="Renamed")
    viewer.live.wait(editor.version)
    assert list(viewer.toggles) == [belt.id, tee.id] and "Renamed" in viewer.title.value
    assert viewer.viewport.nodes[f"layer:{trousers.id}"].mesh.visible is False
    viewer.close()
    assert DesignViewer(design, live=False).live is None
    assert design_id_from_query(f"design={design.id}&x=1") == design.id
    assert design_id_from_query("?other=1") is None
    assert isinstance(open_viewer(ws, design.id), DesignViewer)
    assert "was not found" in open_viewer(ws, "nope").value


def test_viewer_lists_every_layer_and_a_fabric_toggle_undresses_its_garment(outfit):
    from fw_widgets import DesignViewer

    _ws, design, trousers, tee = outfit
    denim = design.add_layer("fab-denim-indigo", {"target": trousers.id})
    stripes = design.add_layer("pat-breton-stripes", {"target": tee.id})
    viewer = DesignViewer(design, live=False)
    assert list(viewer.toggles) == [stripes.id, denim.id, tee.id, trousers.id]
    assert "4 layer(s)" in viewer.title.value
    def digest(layer):
        return viewer.viewport.nodes[f"layer:{layer.id}"].data.material.texture_digest

    dressed, striped = digest(trousers), digest(tee)
    version = design.version
    viewer.toggles[denim.id].value = False
    assert viewer.toggles[denim.id].description.endswith("(hidden here)")
    assert digest(trousers) != dressed and digest(tee) == striped  # the trousers without the denim; stripes stay
    viewer.toggles[denim.id].value = True
    assert digest(trousers) == dressed
    assert design.version == version and design.layer(denim.id).is_visible  # nothing saved
    design.update_layer(tee.id, is_visible=False)
    viewer2 = DesignViewer(design, live=False)
    assert tee.id not in viewer2.toggles and "3 layer(s), 1 hidden by the designer" in viewer2.title.value
    viewer.close()
    viewer2.close()


def test_opacity_of_a_garment_in_a_sheer_fabric_keeps_the_fabric_transparency(outfit):
    _, design, _, tee = outfit
    design.add_layer("fab-silk-chiffon", {"target": tee.id})                    # transparency 0.6
    studio = design.show()
    material = studio.viewport.nodes[f"layer:{tee.id}"].mesh.material
    assert material.opacity == pytest.approx(0.4, abs=0.003) and material.transparent
    design.update_layer(tee.id, opacity=50)
    assert studio.sync.last_path == "full"                                       # alpha is shared with the fabric
    assert material.opacity == pytest.approx(0.2, abs=0.003)
    scene_alpha = design.scene().geometry[f"layer:{tee.id}"].visual.material.baseColorFactor[3] / 255
    assert material.opacity == pytest.approx(scene_alpha, abs=0.003)
