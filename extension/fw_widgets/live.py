"""The open studio follows its design: edits saved elsewhere (another handle in this kernel, a collaborator's
kernel, the design service's clients) reload the handle through ``design.follow()``, and the studio applies them
incrementally through ``design.on_change`` like its own. The status line says who changed what."""

from __future__ import annotations

import logging
from typing import Any

from .context import workspace_of

log = logging.getLogger("fw_widgets")

#: events that announce no edit of the design's content (nothing to name in the status line).
_NOT_EDITS = frozenset({"autosaved", "checkpoint", "cursor_moved", "collaborator_joined", "collaborator_left",
                        "comment", "forked", "create", "delete", "like", "reconnected"})


class LiveUpdatesFailed(Exception):
    """The design could not be reloaded after a collaborator's edit (deleted, unshared, service down)."""


def follow(studio: Any) -> Any | None:
    """Follow the studio's design (``design.follow``); None, with a note in the status line, when its events
    cannot be had (the studio then shows edits made through its own handle only)."""
    try:
        return studio.design.follow(lambda event: announce(studio, event))
    except Exception as exc:
        log.warning("the studio of design %s does not follow edits made elsewhere: %s", studio.design.id, exc)
        studio.status.error(LiveUpdatesFailed(f"edits made elsewhere will not show until reopened ({exc})"))
        return None


def announce(studio: Any, event: dict[str, Any]) -> None:
    """Say in the status line that someone else's edit arrived (called after the handle reloaded)."""
    kind = event.get("type")
    if kind == "refresh_failed":
        studio.status.error(LiveUpdatesFailed(f"edits made elsewhere cannot be shown: "
                                              f"{event.get('data', {}).get('message')}"))
        return
    user, version = event.get("user"), event.get("version")
    me = workspace_of(studio.design).user
    if kind == "collaborator_left" and event.get("data", {}).get("user") == me:
        studio.status.error(LiveUpdatesFailed(f"{user} removed your access to this design: its later edits will "
                                              "not show here"))
        return
    if kind in _NOT_EDITS or not user or not isinstance(version, int) or user == me:
        return
    summary = (event.get("data") or {}).get("summary")
    studio.status.ok(f"updated by {user} (version {version})" + (f": {summary}" if summary else ""))
