"""Who may do what with a design."""

from __future__ import annotations

from .design import Design
from .errors import NotFound, PermissionDenied
from .values import DesignMeta

RANK = {"viewer": 0, "commenter": 1, "editor": 2, "owner": 3}
#: The lowest role that may perform an operation.
NEEDS = {"read": "viewer", "fork": "viewer", "comment": "commenter", "edit": "editor", "checkpoint": "editor",
         "restore": "editor", "export": "viewer", "share": "owner", "publish": "owner", "delete": "owner"}
#: ``design.publish(to=...)`` -> the visibility it sets (with status ``published``)
PUBLISH_TO = {"team": "shared", "public": "public"}


def readable_by_all(meta: DesignMeta) -> bool:
    """Whether anyone signed in may read (never edit) the design: published to the team (visibility ``shared``
    with status ``published``) or public (visibility ``public``: the link is enough)."""
    return meta.visibility == "public" or (meta.visibility == "shared" and meta.status == "published")


def role_of(design: Design, user: str, collaborator_role: str | None) -> str | None:
    """The effective role of ``user``: owner, a collaborator's role, viewer on designs published to the team
    or by public link (:func:`readable_by_all`), else None."""
    if design.owner == user:
        return "owner"
    if collaborator_role is not None:
        return collaborator_role
    if readable_by_all(design.meta):
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
