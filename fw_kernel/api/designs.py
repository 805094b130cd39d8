"""``ws.designs``: create, open and list designs."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

from ..domain.avatar import Avatar as AvatarRecord
from ..domain.gallery import GalleryQuery, select_published
from .avatars import Avatar
from .design import Design

if TYPE_CHECKING:
    from .workspace import Workspace


class Designs:
    def __init__(self, ws: Workspace):
        self._ws = ws
        self._service = ws._services.designs

    def create(self, name: str, avatar: Avatar | str | None = None, category: str = "outfit",
               **fields: Any) -> Design:
        """A new design owned by you (``description``, ``tags``, ``occasion``, ``season``, ``visibility``...)."""
        avatar_id = avatar.id if isinstance(avatar, Avatar | AvatarRecord) else avatar
        state = self._service.create(self._ws.user, name, avatar_id, category=category, **fields)
        return Design(self._ws, state, "owner")

    def get(self, design_id: str) -> Design:
        state, role = self._service.open(self._ws.user, design_id, count_view=True)
        return Design(self._ws, state, role)

    def list(self) -> list[Design]:
        """Designs you own or that are shared with you, most recently edited first."""
        return [Design(self._ws, state, role) for state, role in self._service.list(self._ws.user)]

    def published(self, search: str = "", *, category: str | None = None, designer: str | None = None,
                  fabric: str | None = None, sort: str = "newest") -> builtins.list[Design]:
        """The gallery: designs published to the team or public (anyone's; private ones never), read-only for
        everyone but their owners and editors. ``search`` matches name, description, tags and designer
        (case-insensitive); ``category``, ``designer`` (the owner) and ``fabric`` (a fabric's catalog id or name
        on one of its layers) filter; ``sort``: "newest" (last update first) or "most_liked"."""
        query = GalleryQuery.of(search, category, designer, fabric, sort)
        catalog = self._ws._services.catalog
        states = select_published(self._service.published(self._ws.user), query,
                                  lambda item_id: getattr(catalog.find(item_id), "name", item_id))
        return [Design(self._ws, st, "owner" if st.owner == self._ws.user else "viewer") for st in states]
