"""The analytics event log: one append-only record per change, written in the transaction of that change.

Plain data (no storage): :class:`Event` and how a design-history action becomes an event type. The relational
adapters keep events in ``analytics.events`` (PostgreSQL, partitioned by month) or ``events`` (SQLite).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

#: Every event type the log holds (the columns ``type`` of ``analytics.events``).
EVENT_TYPES: tuple[str, ...] = (
    "design_created", "design_updated", "design_deleted", "layer_added", "layer_updated", "layer_removed",
    "layers_reordered", "version_checkpointed", "design_restored", "design_forked", "design_shared",
    "design_unshared", "comment_added", "export_requested", "export_started", "export_completed", "export_failed",
    "autosave", "conflict", "session_opened", "session_closed", "avatar_created", "drape_completed",
    "design_published", "design_unpublished", "avatar_updated",
)

#: design-history action -> event type (undo/redo record the type of what they undid or redid)
_ACTIONS: dict[str, str] = {
    "create": "design_created", "add_layer": "layer_added", "update_layer": "layer_updated",
    "remove_layer": "layer_removed", "reorder_layers": "layers_reordered", "group_layers": "layer_updated",
    "update_design": "design_updated", "update": "design_updated", "update_canvas": "design_updated",
    "checkpoint": "version_checkpointed", "restore": "design_restored", "fork": "design_forked",
    "share": "design_shared", "unshare": "design_unshared", "comment": "comment_added", "delete": "design_deleted",
    "publish": "design_published", "unpublish": "design_unpublished",
}

#: the actor of events no person caused (auto-save)
SYSTEM_ACTOR = "fw-autosave"

#: the event types that count as edits in ``ws.metrics.activity()``
EDIT_TYPES: tuple[str, ...] = ("layer_added", "layer_updated", "layer_removed", "layers_reordered",
                               "design_updated", "design_restored")


@dataclass(frozen=True)
class Event:
    """One row of the event log. ``time`` is timezone-aware UTC; ``properties`` is JSON (never private content:
    no snapshots, comment texts or photos)."""

    type: str
    actor: str
    time: datetime
    design_id: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


def event_of_action(action: str, data: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The event type and properties of a design-history entry (None: an action the log does not record)."""
    undoing = data.get("undoes") or data.get("redoes")
    kind = _ACTIONS.get(undoing if action in ("undo", "redo") and undoing else action)
    if kind is None:
        return None
    props: dict[str, Any] = {}
    if action in ("undo", "redo"):
        props["via"] = action
    renamed = {"item": "catalog_item", "catalog_item_id": "catalog_item", "type": "layer_type"}
    for key in ("layer_id", "item", "catalog_item_id", "type", "version_number", "from", "from_version", "role",
                "user", "layer_ids", "catalog_item", "layer_type", "comment_id", "to"):
        if key in data:
            props[renamed.get(key, key)] = data[key]
    changes = data.get("changes")
    if isinstance(changes, dict):  # the names of the changed fields, never their values (text may be private)
        props["fields"] = sorted(changes)
    if kind == "design_created" and "category" in data:
        props["category"] = data["category"]
    return kind, props
