"""Audits of designs: who may audit, and the record every audit access leaves.

An admin may read any design (a private one of someone else too) only through the audit use cases, never
through the ordinary ones, and only with a reason; each access is recorded for the design's owner to see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .errors import PermissionDenied, check_text

REASON_MAX = 500


@dataclass(frozen=True)
class AuditRecord:
    """One audit access: ``admin`` read ``design_id`` (owned by ``owner``) through ``endpoint`` for ``reason``."""

    id: str
    admin: str
    design_id: str
    owner: str
    endpoint: str
    reason: str
    created_at: datetime


def check_auditor(user: str, is_admin: bool) -> None:
    """Only admins audit; anyone else is refused (the ordinary endpoints stay theirs)."""
    if not is_admin:
        raise PermissionDenied(f"{user!r} is not an admin: only admins may audit designs", field="role",
                               value=user, allowed="an admin")


def check_reason(reason: Any) -> str:
    """Why the admin looks: required, plain text, recorded with the access."""
    return check_text("reason", reason, REASON_MAX).strip()
