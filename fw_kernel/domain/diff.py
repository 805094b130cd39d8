"""Diffs between design snapshots as RFC 6902 JSON Patch."""

from __future__ import annotations

from typing import Any

import jsonpatch


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """Operations that turn ``before`` into ``after`` (``jsonpatch.apply_patch(before, ops) == after``)."""
    return list(jsonpatch.make_patch(before, after).patch)


def apply(before: dict[str, Any], ops: list[dict[str, Any]]) -> dict[str, Any]:
    """Apply RFC 6902 operations to a copy of ``before``."""
    return jsonpatch.apply_patch(before, ops, in_place=False)
