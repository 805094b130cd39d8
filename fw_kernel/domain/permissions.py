"""Who may do what with a design."""

from __future__ import annotations

from .design import Design
from .errors import NotFound, PermissionDenied

RANK = {"viewer": 0, "commenter": 1, "editor": 2, "owner": 3}
#: The lowest role that may perform an operation.
NEEDS = {"read": "viewer", "fork": "viewer", "comment": "commenter", "edit": "editor", "checkpoint": "editor",
         "restore": "editor", "export": "viewer", "share": "owner", "delete": "owner"}


def role_of(design: Design, user: str, collaborator_role: str | None) -> str | None:
    """The effective role of ``user``: owner, a collaborator's role, viewer on public designs, else None."""
    if design.owner == user:
        return "owner"
    if collaborator_role is not None:
        return collaborator_role
    if design.meta.visibility == "public":
        return "viewer"
    return None


def check(design: Design, user: str, role: str | None, operation: str) -> str:
    """Raise unless ``role`` allows ``operation``; return the role.

    A user without any access gets :class:`NotFound` (a private design's existence is not revealed).
    """
    if role is None or design.deleted_at is not None:
        raise NotFound(f"design {design.id!r} does not exist or is not shared with {user!r}",
                       field="design_id", value=design.id)
    needed = NEEDS[operation]
    if RANK[role] < RANK[needed]:
        raise PermissionDenied(
            f"{user!r} is {role} on design {design.meta.name!r}: {operation} needs {needed} or above; "
            f"ask the owner ({design.owner!r}) for a higher role",
            field="role", value=role, allowed=f"{needed} or above",
        )
    return role
