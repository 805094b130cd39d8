"""Diffs between design snapshots as RFC 6902 JSON Patch."""

from __future__ import annotations

from typing import Any

import jsonpatch


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """Operations that turn ``before`` into ``after`` (``jsonpatch.apply_patch(before, ops) == after``).

    Design snapshots differ in few places: when both have the same keys and the same layer ids in the same order,
    only the changed top-level values and layers are diffed (the same operations, a fraction of the work).
    """
    layers_a, layers_b = before.get("layers"), after.get("layers")
    if (before.keys() != after.keys() or not isinstance(layers_a, list) or not isinstance(layers_b, list)
            or len(layers_a) != len(layers_b)
            or any(not isinstance(a, dict) or not isinstance(b, dict) or a.get("id") != b.get("id")
                   for a, b in zip(layers_a, layers_b))):
        return list(jsonpatch.make_patch(before, after).patch)
    ops: list[dict[str, Any]] = []
    for key in before:
        if key == "layers" or before[key] == after[key]:
            continue
        for op in jsonpatch.make_patch({key: before[key]}, {key: after[key]}).patch:
            ops.append(op)
    for index, (a, b) in enumerate(zip(layers_a, layers_b)):
        if a != b:
            for op in jsonpatch.make_patch(a, b).patch:
                ops.append({**op, "path": f"/layers/{index}{op['path']}"} | (
                    {"from": f"/layers/{index}{op['from']}"} if "from" in op else {}))
    return ops


def apply(before: dict[str, Any], ops: list[dict[str, Any]]) -> dict[str, Any]:
    """Apply RFC 6902 operations to a copy of ``before``."""
    after: dict[str, Any] = jsonpatch.apply_patch(before, ops, in_place=False)
    return after
