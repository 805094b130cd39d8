"""Diffs between snapshots as RFC 6902 JSON Patch: ``apply(a, diff(a, b)) == b``, inputs never mutated."""

from __future__ import annotations

import contextlib
import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fw_kernel.domain import diff as domain_diff
from fw_kernel.domain.commands import AddLayer, RemoveLayer, ReorderLayers, UpdateCanvas, UpdateDesign, UpdateLayer
from fw_kernel.domain.design import snapshot
from fw_kernel.domain.errors import FWError

from .helpers import ITEMS, ctx, make_layer, three_layer_design

OPS = {"add", "remove", "replace", "move", "copy", "test"}


def typed(value: Any) -> str:
    """JSON text: equal only when types agree too (1 vs 1.0 vs True)."""
    return json.dumps(value, sort_keys=True)


def check_roundtrip(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    a_copy, b_copy = copy.deepcopy(a), copy.deepcopy(b)
    ops = domain_diff.diff(a, b)
    assert isinstance(ops, list) and all(op["op"] in OPS and "path" in op for op in ops)
    json.dumps(ops)  # storable as JSON
    result = domain_diff.apply(a, ops)
    assert result == b
    assert typed(result) == typed(b)
    assert a == a_copy and b == b_copy  # neither input is mutated
    assert domain_diff.apply(a, json.loads(json.dumps(ops))) == b  # still works after a JSON round trip
    return ops


def test_equal_snapshots_have_an_empty_diff() -> None:
    state = snapshot(three_layer_design())
    assert domain_diff.diff(state, copy.deepcopy(state)) == []
    assert domain_diff.apply(state, []) == state


def test_diff_of_one_layer_field_is_one_replace() -> None:
    design = three_layer_design()
    after, _ = UpdateLayer("l2", {"opacity": 40}).apply(design, ctx())
    ops = check_roundtrip(snapshot(design), snapshot(after))
    assert ops == [{"op": "replace", "path": "/layers/1/opacity", "value": 40}]


def test_diff_from_nothing_rebuilds_the_state() -> None:
    state = snapshot(three_layer_design())
    check_roundtrip({}, state)
    check_roundtrip(state, {})


def test_keys_with_slashes_and_tildes_are_escaped() -> None:
    check_roundtrip({"a/b": 1, "c~d": {"e": 2}}, {"a/b": 2, "c~d": {"e": 3}, "~1": None})


json_scalars = st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False,
                                                                                   allow_infinity=False) | st.text(
    max_size=6)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.text(max_size=4), inner, max_size=4), max_leaves=20)
json_objects = st.dictionaries(st.text(max_size=4), json_values, max_size=5)


@settings(max_examples=150, deadline=None)
@given(json_objects, json_objects)
def test_diff_then_apply_gives_b_for_any_json(a: dict[str, Any], b: dict[str, Any]) -> None:
    check_roundtrip(a, b)


@st.composite
def edited_snapshots(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    design = three_layer_design()
    start = snapshot(design)
    counter = 0
    for _ in range(draw(st.integers(0, 8))):
        ids = [x.id for x in design.layers]
        kind = draw(st.sampled_from(["add", "update", "remove", "reorder", "design", "canvas"]))
        if kind == "add" or not ids:
            counter += 1
            command: Any = AddLayer(make_layer(f"n{counter}", draw(st.sampled_from(sorted(ITEMS)))),
                                    draw(st.none() | st.integers(0, len(ids))))
        elif kind == "update":
            command = UpdateLayer(draw(st.sampled_from(ids)), draw(st.sampled_from([
                {"opacity": draw(st.integers(0, 100))}, {"name": draw(st.text(min_size=1, max_size=5))},
                {"transform": {"rotation": {"y": draw(st.floats(-90, 90))}}},
                {"group": draw(st.none() | st.text(max_size=3))}, {"is_visible": draw(st.booleans())}])))
        elif kind == "remove":
            command = RemoveLayer(draw(st.sampled_from(ids)))
        elif kind == "reorder":
            command = ReorderLayers(tuple(draw(st.permutations(ids))))
        elif kind == "design":
            command = UpdateDesign({"tags": draw(st.lists(st.sampled_from(["a", "b", "c"]), max_size=3))})
        else:
            command = UpdateCanvas({"camera": {"fov": draw(st.floats(11, 120))}})
        with contextlib.suppress(FWError):  # refused edits are simply skipped
            design, _ = command.apply(design, ctx())
    return start, snapshot(design)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edited_snapshots())
def test_diff_between_design_snapshots_round_trips_exactly(pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
    a, b = pair
    check_roundtrip(a, b)
    check_roundtrip(b, a)
