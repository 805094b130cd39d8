"""Edit commands: apply returns a new design and an inverse that restores the exact snapshot; refusals
change nothing; locked layers refuse everything but unlocking (and reordering)."""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fw_kernel.domain.commands import (
    AddLayer,
    Command,
    Composite,
    RemoveLayer,
    ReorderLayers,
    ReplaceState,
    UpdateCanvas,
    UpdateDesign,
    UpdateLayer,
    footprints_overlap,
)
from fw_kernel.domain.design import Design, snapshot
from fw_kernel.domain.errors import FWError, LimitExceeded, NotFound, PermissionDenied, ValidationError
from fw_kernel.domain.values import BLEND_MODES

from .helpers import ITEMS, ctx, make_design, make_layer, three_layer_design


def roundtrip(design: Design, command: Command, max_layers: int | None = None) -> Design:
    """Apply ``command``, check the input is untouched and the inverse restores the exact snapshot."""
    before = snapshot(design)
    frozen_layers = design.layers
    new, inverse = command.apply(design, ctx(max_layers))
    assert snapshot(design) == before, "apply changed its input design"
    assert design.layers is frozen_layers
    assert new is not design
    restored, redo = inverse.apply(new, ctx(max_layers))
    assert snapshot(restored) == before
    assert json.dumps(snapshot(restored), sort_keys=True) == json.dumps(before, sort_keys=True)  # types too
    again, _ = redo.apply(restored, ctx(max_layers))
    assert snapshot(again) == snapshot(new)
    return new


def refused(design: Design, command: Command, error: type[FWError], *words: str,
            max_layers: int | None = None) -> FWError:
    before = snapshot(design)
    layers = design.layers
    with pytest.raises(error) as info:
        command.apply(design, ctx(max_layers))
    assert snapshot(design) == before and design.layers is layers
    message = str(info.value)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    assert len(message) < 500
    return info.value


# -- AddLayer ------------------------------------------------------------------------------------------------
def test_add_layer_goes_on_top_and_inverse_removes_it() -> None:
    design = three_layer_design()
    new = roundtrip(design, AddLayer(make_layer("l4", "acc-belt")))
    assert [x.id for x in new.layers] == ["l1", "l2", "l3", "l4"]
    assert [x.order_index for x in new.layers] == [0, 1, 2, 3]


@pytest.mark.parametrize(("index", "expected"), [(0, ["new", "l1", "l2", "l3"]), (1, ["l1", "new", "l2", "l3"]),
                                                 (3, ["l1", "l2", "l3", "new"]), (99, ["l1", "l2", "l3", "new"]),
                                                 (-5, ["new", "l1", "l2", "l3"])])
def test_add_layer_at_index_is_clamped(index: int, expected: list[str]) -> None:
    new = roundtrip(three_layer_design(), AddLayer(make_layer("new", "pat-dots"), index))
    assert [x.id for x in new.layers] == expected
    assert [x.order_index for x in new.layers] == list(range(4))


def test_add_layer_to_empty_design() -> None:
    new = roundtrip(make_design(), AddLayer(make_layer("only")))
    assert [x.id for x in new.layers] == ["only"]


def test_add_layer_refuses_unknown_item() -> None:
    layer = make_layer("x").model_copy(update={"catalog_item_id": "no-such-item"})
    refused(three_layer_design(), AddLayer(layer), ValidationError, "item", "no-such-item", "existing catalog item")


def test_add_layer_refuses_a_type_that_does_not_match_the_item() -> None:
    layer = make_layer("x", "fab-denim").model_copy(update={"type": "silhouette"})
    err = refused(three_layer_design(), AddLayer(layer), ValidationError, "type", "'fabric'")
    assert err.field == "type"


def test_add_layer_refuses_a_duplicate_id() -> None:
    refused(three_layer_design(), AddLayer(make_layer("l2")), ValidationError, "layer.id", "l2")


def test_add_layer_refuses_beyond_the_tier_limit() -> None:
    design = three_layer_design()
    err = refused(design, AddLayer(make_layer("l4")), LimitExceeded, "3", max_layers=3)
    assert err.allowed == "at most 3"
    roundtrip(design, AddLayer(make_layer("l4")), max_layers=4)  # one below the limit is fine


# -- RemoveLayer ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("layer_id", ["l1", "l2", "l3"])
def test_remove_layer_and_inverse_puts_it_back_in_place(layer_id: str) -> None:
    new = roundtrip(three_layer_design(), RemoveLayer(layer_id))
    assert layer_id not in [x.id for x in new.layers]
    assert [x.order_index for x in new.layers] == [0, 1]


def test_remove_unknown_layer_is_not_found_and_lists_the_layers() -> None:
    err = refused(three_layer_design(), RemoveLayer("ghost"), NotFound, "ghost", "l1", "l2", "l3")
    assert err.field == "layer_id"


# -- UpdateLayer ---------------------------------------------------------------------------------------------
UPDATES: list[tuple[str, dict[str, Any], Any]] = [
    ("l1", {"name": "Base tee"}, lambda x: x.name == "Base tee"),
    ("l1", {"opacity": 0}, lambda x: x.opacity == 0),
    ("l1", {"opacity": 100}, lambda x: x.opacity == 100),
    ("l2", {"blend_mode": "multiply"}, lambda x: x.blend_mode == "multiply"),
    ("l2", {"is_visible": False}, lambda x: x.is_visible is False),
    ("l2", {"is_locked": True}, lambda x: x.is_locked is True),
    ("l3", {"notes": "sew on last"}, lambda x: x.notes == "sew on last"),
    ("l3", {"group": "closures"}, lambda x: x.group == "closures"),
    ("l1", {"transform": {"rotation": {"y": 10}}}, lambda x: x.transform.rotation.y == 10),
    ("l1", {"transform": {"scale": {"x": 2.5}, "position": {"z": -0.1}}},
     lambda x: x.transform.scale.x == 2.5 and x.transform.position.z == -0.1),
    ("l1", {"customization": {"color": "#AA3344"}}, lambda x: x.customization == {"color": "#aa3344"}),
    ("l3", {"customization": {"count": 4}}, lambda x: x.customization == {"count": 4}),
    ("l1", {"opacity": 40, "blend_mode": "screen", "name": "n"},
     lambda x: (x.opacity, x.blend_mode, x.name) == (40, "screen", "n")),
]


@pytest.mark.parametrize(("layer_id", "changes", "check"), UPDATES)
def test_update_layer_applies_and_inverse_restores(layer_id: str, changes: dict[str, Any], check: Any) -> None:
    new = roundtrip(three_layer_design(), UpdateLayer(layer_id, changes))
    assert check(new.layer(layer_id))
    assert [x.id for x in new.layers] == ["l1", "l2", "l3"]


def test_update_layer_transform_is_a_partial_merge() -> None:
    design = make_design(make_layer("l1", transform={"position": {"x": 0.1, "y": 0.2, "z": 0.3},
                                                     "rotation": {"x": 5.0, "y": 6.0, "z": 7.0}}))
    new = roundtrip(design, UpdateLayer("l1", {"transform": {"rotation": {"y": 10}}}))
    t = new.layer("l1").transform
    assert (t.rotation.x, t.rotation.y, t.rotation.z) == (5.0, 10.0, 7.0)
    assert (t.position.x, t.position.y, t.position.z) == (0.1, 0.2, 0.3)


def test_update_layer_customization_is_merged_and_inverse_replaces_it_whole() -> None:
    design = make_design(make_layer("l1", customization={"color": "#112233"}))
    new = roundtrip(design, UpdateLayer("l1", {"customization": {"fit": "slim"}}))
    assert new.layer("l1").customization == {"color": "#112233", "fit": "slim"}


@pytest.mark.parametrize(("changes", "error", "words"), [
    ({"opacity": 101}, ValidationError, ("opacity", "100")),
    ({"opacity": -1}, ValidationError, ("opacity", ">= 0")),
    ({"opacity": 50.5}, ValidationError, ("opacity", "integer")),
    ({"opacity": "50"}, ValidationError, ("opacity", "integer")),
    ({"blend_mode": "dodge"}, ValidationError, ("blend_mode", "'multiply'")),
    ({"is_visible": "yes"}, ValidationError, ("is_visible", "True or False")),
    ({"transform": {"position": {"x": math.nan}}}, ValidationError, ("transform.position.x", "finite")),
    ({"transform": {"rotation": {"y": math.inf}}}, ValidationError, ("transform.rotation.y", "finite")),
    ({"transform": {"scale": {"z": 0}}}, ValidationError, ("transform.scale.z", "> 0")),
    ({"transform": {"scale": {"x": -2}}}, ValidationError, ("transform.scale.x", "> 0")),
    ({"transform": 5}, ValidationError, ("transform",)),
    ({"customization": {"length": 2.0}}, ValidationError, ("customization.length", "0.5", "0.9")),
    ({"customization": {"sleeves": 1}}, ValidationError, ("customization.sleeves", "color", "fit", "length")),
    ({"customization": [1]}, ValidationError, ("customization", "dict")),
    ({"name": ""}, ValidationError, ("name",)),
    ({"notes": "x" * 10_001}, ValidationError, ("notes", "10000")),
    ({"type": "fabric"}, ValidationError, ("type", "name", "opacity")),
    ({"catalog_item_id": "fab-denim"}, ValidationError, ("catalog_item_id",)),
    ({"id": "other"}, ValidationError, ("id",)),
    ({"order_index": 2}, ValidationError, ("order_index",)),
    ({}, ValidationError, ("changes", "opacity")),
])
def test_update_layer_refusals_change_nothing(changes: dict[str, Any], error: type[FWError],
                                              words: tuple[str, ...]) -> None:
    refused(three_layer_design(), UpdateLayer("l1", changes), error, *words)


def test_update_unknown_layer_is_not_found() -> None:
    refused(three_layer_design(), UpdateLayer("ghost", {"opacity": 5}), NotFound, "ghost", "l1")


# -- ReorderLayers -------------------------------------------------------------------------------------------
def test_reorder_and_inverse() -> None:
    new = roundtrip(three_layer_design(), ReorderLayers(("l3", "l1", "l2")))
    assert [x.id for x in new.layers] == ["l3", "l1", "l2"]
    assert [x.order_index for x in new.layers] == [0, 1, 2]


@pytest.mark.parametrize("order", [("l1", "l2"), ("l1", "l2", "l3", "l3"), ("l1", "l2", "ghost"),
                                   ("l1", "l2", "l3", "l4"), ()])
def test_reorder_needs_every_id_exactly_once(order: tuple[str, ...]) -> None:
    refused(three_layer_design(), ReorderLayers(order), ValidationError, "layer_ids", "l1", "l2", "l3")


# -- UpdateDesign / UpdateCanvas / ReplaceState / Composite ----------------------------------------------------
@pytest.mark.parametrize("changes", [
    {"name": "Autumn"}, {"tags": ["denim", "casual"]}, {"tags": []}, {"season": "winter"},
    {"category": "dress", "status": "published", "visibility": "public"}, {"description": "d" * 10_000},
    {"avatar_id": "a1"},
])
def test_update_design_and_inverse(changes: dict[str, Any]) -> None:
    design = make_design(make_layer("l1"), tags=("old",), season="summer")
    new = roundtrip(design, UpdateDesign(changes))
    for key, value in changes.items():
        got = getattr(new.meta, key)
        assert (list(got) if isinstance(got, tuple) else got) == value


@pytest.mark.parametrize(("changes", "words"), [
    ({}, ("changes", "name")),
    ({"colour": "red"}, ("colour", "unknown field", "category", "tags")),
    ({"category": "shoes"}, ("category", "'outfit'", "'dress'")),
    ({"name": ""}, ("name",)),
    ({"name": "x" * 201}, ("name", "200")),
    ({"tags": 5}, ("tags",)),
    ({"tags": ["x" * 41]}, ("tags",)),
    ({"tags": [str(i) for i in range(51)]}, ("tags", "50")),
    ({"visibility": "everyone"}, ("visibility", "'public'")),
])
def test_update_design_refusals(changes: dict[str, Any], words: tuple[str, ...]) -> None:
    refused(make_design(make_layer("l1")), UpdateDesign(changes), ValidationError, *words)


@pytest.mark.parametrize("changes", [
    {"camera": {"fov": 55}}, {"camera": {"position": [1.0, 2.0, 3.0]}}, {"background": "transparent"},
    {"background": "#000000", "shadows": False, "lighting_preset": "dramatic"}, {"grid_size": 0.5},
])
def test_update_canvas_and_inverse(changes: dict[str, Any]) -> None:
    design = make_design(make_layer("l1"))
    new = roundtrip(design, UpdateCanvas(changes))
    if "camera" in changes:  # partial camera update keeps the rest
        assert new.canvas.camera.target == design.canvas.camera.target
        for key, value in changes["camera"].items():
            got = getattr(new.canvas.camera, key)
            assert (list(got) if isinstance(got, tuple) else got) == value


@pytest.mark.parametrize(("changes", "words"), [
    ({"camera": {"fov": 5}}, ("canvas.camera.fov", "10")),
    ({"camera": {"position": [1.0, math.nan, 0.0]}}, ("canvas.camera.position",)),
    ({"background": "red"}, ("canvas.background",)),
    ({"lighting_preset": "disco"}, ("canvas.lighting_preset", "'studio'")),
    ({"grid_size": 0}, ("canvas.grid_size", "> 0")),
    ({"zoom": 2}, ("zoom", "unknown field")),
])
def test_update_canvas_refusals(changes: dict[str, Any], words: tuple[str, ...]) -> None:
    refused(make_design(make_layer("l1")), UpdateCanvas(changes), ValidationError, *words)


def test_update_canvas_refuses_empty_changes() -> None:
    refused(make_design(make_layer("l1")), UpdateCanvas({}), ValidationError, "changes")


def test_replace_state_and_inverse() -> None:
    source = three_layer_design()
    target, _ = UpdateLayer("l2", {"opacity": 7}).apply(source, ctx())
    target, _ = RemoveLayer("l1").apply(target, ctx())
    target, _ = UpdateDesign({"name": "Other"}).apply(target, ctx())
    new = roundtrip(source, ReplaceState(snapshot(target)))
    assert snapshot(new) == snapshot(target)
    assert new.id == source.id and new.owner == source.owner


def test_replace_state_refuses_an_invalid_snapshot() -> None:
    bad = snapshot(three_layer_design())
    bad["layers"][1]["opacity"] = 1000
    refused(three_layer_design(), ReplaceState(bad), ValidationError, "snapshot.layers[1].opacity", "100")


def test_composite_is_one_step_and_all_or_nothing() -> None:
    design = three_layer_design()
    group = Composite((UpdateLayer("l1", {"group": "g"}), UpdateLayer("l3", {"group": "g"})))
    new = roundtrip(design, group)
    assert [x.group for x in new.layers] == ["g", None, "g"]
    bad = Composite((UpdateLayer("l1", {"group": "g"}), UpdateLayer("ghost", {"group": "g"})))
    refused(design, bad, NotFound, "ghost")


def test_every_command_describes_itself_as_json() -> None:
    design = three_layer_design()
    commands: list[Command] = [
        AddLayer(make_layer("l4")), RemoveLayer("l1"), UpdateLayer("l1", {"transform": {"rotation": {"y": 1}}}),
        ReorderLayers(("l3", "l2", "l1")), UpdateDesign({"tags": ("a",)}), UpdateCanvas({"camera": {"fov": 30}}),
        ReplaceState(snapshot(design), note={"version_number": 1}),
        Composite((UpdateLayer("l1", {"group": "g"}),)),
    ]
    for command in commands:
        data = command.to_data()
        assert json.loads(json.dumps(data)) == data
        assert isinstance(command.action, str) and command.action
        assert command.footprint()
        _, inverse = command.apply(design, ctx())
        json.dumps(inverse.to_data())


# -- locked layers -------------------------------------------------------------------------------------------
def locked_design() -> Design:
    return make_design(make_layer("l1"), make_layer("lk", "fab-denim", is_locked=True), make_layer("l3"))


@pytest.mark.parametrize("command", [
    UpdateLayer("lk", {"opacity": 10}),
    UpdateLayer("lk", {"name": "renamed"}),
    UpdateLayer("lk", {"is_visible": False}),
    UpdateLayer("lk", {"transform": {"position": {"x": 1}}}),
    UpdateLayer("lk", {"customization": {"color": "#000000"}}),
    UpdateLayer("lk", {"group": "g"}),
    UpdateLayer("lk", {"notes": "n"}),
    UpdateLayer("lk", {"blend_mode": "add"}),
    RemoveLayer("lk"),
    Composite((UpdateLayer("l1", {"group": "g"}), UpdateLayer("lk", {"group": "g"}))),
], ids=lambda c: f"{c.action}-{sorted(getattr(c, 'changes', {}) or {})}")
def test_locked_layer_refuses_edits(command: Command) -> None:
    err = refused(locked_design(), command, PermissionDenied, "locked", "unlock", "is_locked=False")
    assert err.field == "is_locked"


def test_locked_layer_can_be_unlocked_relocked_and_reordered() -> None:
    design = locked_design()
    unlocked = roundtrip(design, UpdateLayer("lk", {"is_locked": False}))
    assert unlocked.layer("lk").is_locked is False
    roundtrip(design, UpdateLayer("lk", {"is_locked": True}))
    moved = roundtrip(design, ReorderLayers(("lk", "l3", "l1")))
    assert [x.id for x in moved.layers] == ["lk", "l3", "l1"] and moved.layer("lk").is_locked
    roundtrip(design, UpdateLayer("l1", {"opacity": 3}))  # other layers stay editable
    roundtrip(design, RemoveLayer("l3"))


def test_after_unlocking_the_layer_is_editable() -> None:
    design, _ = UpdateLayer("lk", {"is_locked": False}).apply(locked_design(), ctx())
    new = roundtrip(design, UpdateLayer("lk", {"opacity": 10}))
    assert new.layer("lk").opacity == 10


def test_undo_of_an_edit_refused_once_someone_locked_the_layer() -> None:
    design = three_layer_design()
    edited, inverse = UpdateLayer("l1", {"opacity": 10}).apply(design, ctx())
    locked, _ = UpdateLayer("l1", {"is_locked": True}).apply(edited, ctx())
    refused(locked, inverse, PermissionDenied, "locked", "unlock")


def test_inverse_of_lock_and_edit_restores_the_snapshot() -> None:
    roundtrip(three_layer_design(), UpdateLayer("l1", {"is_locked": True, "opacity": 5}))


def test_inverse_of_adding_a_locked_layer_restores_the_snapshot() -> None:
    roundtrip(three_layer_design(), AddLayer(make_layer("l4", is_locked=True)))


# -- footprints ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("a", "b", "overlap"), [
    ({"layer:A"}, {"layer:A"}, True),
    ({"layer:A"}, {"layer:A:opacity"}, True),
    ({"layer:A:opacity"}, {"layer:A"}, True),
    ({"layer:A:opacity"}, {"layer:A:opacity"}, True),
    ({"layer:A:opacity"}, {"layer:A:name"}, False),
    ({"layer:A"}, {"layer:B"}, False),
    ({"layer:A:opacity"}, {"layer:B:opacity"}, False),
    ({"layer:A"}, {"layer:AB:opacity"}, False),
    ({"order"}, {"order"}, True),
    ({"order"}, {"layer:A"}, False),
    ({"design:name"}, {"design:name"}, True),
    ({"design:name"}, {"design:tags"}, False),
    ({"canvas:camera"}, {"design:name"}, False),
    ({"*"}, {"layer:A:opacity"}, True),
    ({"design:name"}, {"*"}, True),
    ({"*"}, {"*"}, True),
    ({"*"}, set(), False),
    (set(), {"layer:A"}, False),
    ({"layer:A:opacity", "layer:B:name"}, {"layer:C", "layer:B"}, True),
])
def test_footprints_overlap(a: set[str], b: set[str], overlap: bool) -> None:
    assert footprints_overlap(a, b) is overlap
    assert footprints_overlap(b, a) is overlap
    assert footprints_overlap(list(a), iter(b)) is overlap  # any iterable


def test_command_footprints() -> None:
    assert AddLayer(make_layer("x")).footprint() == {"layer:x"}
    assert RemoveLayer("x").footprint() == {"layer:x"}
    assert UpdateLayer("x", {"opacity": 1, "name": "n"}).footprint() == {"layer:x:opacity", "layer:x:name"}
    assert ReorderLayers(("a",)).footprint() == {"order"}
    assert UpdateDesign({"name": "n"}).footprint() == {"design:name"}
    assert UpdateCanvas({"shadows": False}).footprint() == {"canvas:shadows"}
    assert ReplaceState({}).footprint() == {"*"}
    assert Composite((UpdateLayer("a", {"group": "g"}), UpdateLayer("b", {"group": "g"}))).footprint() == {
        "layer:a:group", "layer:b:group"}
    assert Composite(()).footprint() == frozenset()


# -- property: random edit sequences undo back to the original -----------------------------------------------
FIELD_VALUES = {
    "opacity": st.integers(0, 100) | st.sampled_from([-1, 101, 50.5, "50"]),
    "blend_mode": st.sampled_from(BLEND_MODES) | st.just("dodge"),
    "is_visible": st.booleans(),
    "name": st.text(min_size=1, max_size=12) | st.just(""),
    "notes": st.text(max_size=20),
    "group": st.none() | st.text(min_size=1, max_size=8),
    "transform": st.fixed_dictionaries({}, optional={
        "position": st.fixed_dictionaries({}, optional={"x": st.floats(-2, 2), "y": st.floats(-2, 2)}),
        "rotation": st.fixed_dictionaries({}, optional={"y": st.floats(-180, 180) | st.just(math.nan)}),
        "scale": st.fixed_dictionaries({}, optional={"z": st.floats(0.1, 3) | st.just(0.0)}),
    }),
}

CUSTOM_VALUES = {
    "sil-tee": st.fixed_dictionaries({}, optional={"color": st.sampled_from(["#aa3344", "#FFFFFF", "red"]),
                                                   "length": st.floats(0.4, 1.0),
                                                   "fit": st.sampled_from(["slim", "loose", "baggy"])}),
    "fab-denim": st.fixed_dictionaries({}, optional={"scale": st.floats(0.1, 5)}),
    "pat-dots": st.fixed_dictionaries({}, optional={"staggered": st.booleans()}),
    "ele-button": st.fixed_dictionaries({}, optional={"count": st.integers(0, 21)}),
    "acc-belt": st.just({}),
}


@st.composite
def a_command(draw: st.DrawFn, design: Design, counter: list[int]) -> Command:
    ids = [x.id for x in design.layers]
    kinds = ["add"] + (["update", "update", "update", "lock", "remove", "reorder", "group"] if ids else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "add":
        counter[0] += 1
        item = draw(st.sampled_from(sorted(ITEMS)))
        index = draw(st.none() | st.integers(-1, len(ids) + 1))
        return AddLayer(make_layer(f"n{counter[0]}", item), index)
    layer_id = draw(st.sampled_from(ids))
    if kind == "remove":
        return RemoveLayer(layer_id)
    if kind == "reorder":
        return ReorderLayers(tuple(draw(st.permutations(ids))))
    if kind == "lock":
        return UpdateLayer(layer_id, {"is_locked": draw(st.booleans())})
    if kind == "group":
        chosen = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True))
        name = draw(st.none() | st.sampled_from(["a", "b"]))
        return Composite(tuple(UpdateLayer(i, {"group": name}) for i in chosen))
    fields = draw(st.lists(st.sampled_from([*FIELD_VALUES, "customization"]), min_size=1, max_size=3,
                           unique=True))
    changes = {}
    for name in fields:
        if name == "customization":
            changes[name] = draw(CUSTOM_VALUES[design.layer(layer_id).catalog_item_id])
        else:
            changes[name] = draw(FIELD_VALUES[name])
    return UpdateLayer(layer_id, changes)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_edits_undone_in_reverse_give_back_the_original(data: st.DataObject) -> None:
    design = three_layer_design()
    original = snapshot(design)
    done: list[tuple[dict[str, Any], Command]] = []
    counter = [0]
    for _ in range(data.draw(st.integers(1, 20), label="steps")):
        command = data.draw(a_command(design, counter))
        before = snapshot(design)
        before_copy = copy.deepcopy(before)
        try:
            design_after, inverse = command.apply(design, ctx(max_layers=6))
        except FWError:
            assert snapshot(design) == before_copy  # a refused edit changes nothing
            continue
        assert snapshot(design) == before_copy  # nor does an accepted one change its input
        done.append((before, inverse))
        design = design_after
        assert [x.order_index for x in design.layers] == list(range(len(design.layers)))
    for before, inverse in reversed(done):
        design, _ = inverse.apply(design, ctx(max_layers=6))
        assert snapshot(design) == before
    assert snapshot(design) == original
