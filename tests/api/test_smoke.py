"""The notebook API end to end on both relational backends."""

from __future__ import annotations

import jsonpatch


def test_design_lifecycle(connect) -> None:
    ws = connect()
    avatar = ws.avatars.create("Ada", measurements={"height": 168, "bust": 88, "waist": 70, "hips": 96})
    design = ws.designs.create("Summer look", avatar=avatar, category="outfit")
    sil = ws.catalog.get("sil-tshirt")
    fabric = ws.catalog.search("denim", type="fabric")[0]
    base = design.add_layer(sil)
    layer = design.add_layer(fabric, customization={"color": "#aa3344"})
    design.update_layer(layer.id, transform={"rotation": {"y": 10}}, opacity=80, blend_mode="multiply")
    v1 = design.checkpoint("first draft")
    design.update_layer(layer.id, opacity=40)
    design.reorder_layers([layer.id, base.id])
    v2 = design.checkpoint("second")
    ops = design.diff(v1.version_number, v2.version_number)
    assert jsonpatch.apply_patch(v1.snapshot, ops) == v2.snapshot
    assert design.undo() and design.layers[0].id == base.id
    design.restore(1)
    assert design.layer(layer.id).opacity == 80
    again = ws.designs.get(design.id)
    assert again.snapshot() == v1.snapshot
    fork = design.fork()
    assert fork.fork_from == design.id and ws.designs.get(design.id).counts["forks"] == 1
    actions = [h.action for h in design.history]
    assert actions[:3] == ["create", "add_layer", "add_layer"] and "restore" in actions


def test_recommendations_follow_the_design(connect) -> None:
    ws = connect()
    design = ws.designs.create("rec", category="outfit")
    first = [i.type for i in design.recommendations(limit=5)]
    assert first and set(first) <= {"silhouette", "accessory"}  # nothing to put a fabric on yet
    design.add_layer("sil-tshirt")
    after = design.recommendations(limit=50)
    assert "sil-tshirt" not in [i.id for i in after]
    assert any(i.type == "fabric" for i in after)
