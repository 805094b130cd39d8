"""The notebook API acting for one authenticated user over the service process's shared kernel services.

The service does not re-implement the notebook API: each request gets a :class:`UserWorkspace` (cheap: a few
objects) whose ``designs``/``avatars``/``catalog`` are the kernel's own, so a call through HTTP validates, saves,
records history and publishes events exactly as the same call in a notebook.
"""

from __future__ import annotations

from typing import Any

from fw_kernel.api import Avatars, Catalog, Design, Designs, Workspace
from fw_kernel.bootstrap import Services


class UserWorkspace(Workspace):
    """``Workspace`` for ``user`` over shared ``services`` (closing it closes nothing: the services are the
    process's)."""

    def __init__(self, services: Services, user: str, undo: Any = None, session: str | None = None):
        # no super().__init__: the user is the request's, not the settings'
        self._services = services
        self.user = user
        self.settings = services.settings
        self.designs = Designs(self)
        self.avatars = Avatars(self)
        self.catalog = Catalog(services)
        self.session = session
        self._undo_store = undo
        self._opened: list[tuple[Design, tuple[int, int, int, int]]] = []

    def open(self, design_id: str) -> Design:
        """The design for an edit or a sub-resource (no view counted; ``designs.get`` counts one), with this
        request's session's undo/redo stacks when it names one (``X-FW-Session``)."""
        state, role = self._services.designs.open(self.user, design_id)
        design = Design(self, state, role)
        if self.session is not None and self._undo_store is not None:
            design._undo, design._redo = self._undo_store.load(self.user, design.id, self.session)
            self._opened.append((design, _marks(design)))
        return design

    def save_undo(self) -> None:
        """Keep the stacks of the designs this request changed (called after the endpoint)."""
        for design, before in self._opened:
            if _marks(design) != before:
                self._undo_store.save(self.user, design.id, self.session, (design._undo, design._redo))

    def close(self) -> None:
        pass


def _marks(design: Design) -> tuple[int, int, int, int]:
    """Cheap change marks of the stacks (lengths and identities of their tops)."""
    return (len(design._undo), len(design._redo), id(design._undo[-1]) if design._undo else 0,
            id(design._redo[-1]) if design._redo else 0)
