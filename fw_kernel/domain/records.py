"""Records kept next to designs: versions, history entries, comments, collaborators, users."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Version:
    """A checkpoint: ``snapshot`` is the design's versioned state (see :func:`domain.design.snapshot`)."""

    design_id: str
    version_number: int
    message: str
    snapshot: dict[str, Any]
    design_version: int
    created_by: str
    created_at: datetime
    synced: bool = False

    def __repr__(self) -> str:
        return (f"Version({self.version_number}, {self.message!r}, by={self.created_by!r}, "
                f"at={self.created_at:%Y-%m-%d %H:%M:%S})")


@dataclass(frozen=True)
class HistoryEntry:
    """One recorded action: who did what to a design, with the design version it produced."""

    design_id: str
    version: int
    user: str
    action: str
    data: dict[str, Any]
    created_at: datetime
    id: int | None = None


@dataclass(frozen=True)
class Comment:
    id: str
    design_id: str
    user: str
    text: str
    created_at: datetime
    layer_id: str | None = None


@dataclass(frozen=True)
class Collaborator:
    design_id: str
    user: str
    role: str
    added_by: str
    created_at: datetime


@dataclass(frozen=True)
class User:
    name: str
    tier: str = "free"
    created_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)
