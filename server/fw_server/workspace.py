"""The notebook API acting for one authenticated user over the service process's shared kernel services.

The service does not re-implement the notebook API: each request gets a :class:`UserWorkspace` (cheap: a few
objects) whose ``designs``/``avatars``/``catalog`` are the kernel's own, so a call through HTTP validates, saves,
records history and publishes events exactly as the same call in a notebook.
"""

from __future__ import annotations

from typing import Any

from fw_kernel.api import Design, Workspace
from fw_kernel.bootstrap import Services
from fw_kernel.domain.errors import ValidationError
from fw_kernel.usecases import DesignUseCases


class UserWorkspace(Workspace):
    """``Workspace`` for ``user`` over shared ``services`` (closing it closes nothing: the services are the
    process's)."""

    def __init__(self, services: Services, user: str, undo: Any = None, session: str | None = None,
                 base_version: int | None = None, load_undo: bool = True):
        super().__init__(services, user)  # the request's user, not the settings'
        self._local = services
        self.session = session
        self._undo_store = undo
        # False (every edit but undo/redo): the handle starts with empty stacks and what it appends is pushed
        # onto the kept ones after the call, without reading them (an edit only appends and empties redo)
        self.load_undo = load_undo
        self.base_version = base_version  # X-FW-Base-Version: the version the client's edit was decided on
        self._opened: list[tuple[Design, tuple[int, int, int, int]]] = []
        self.opened: dict[str, Design] = {}  # the handles this request opened, by design id (X-FW-Return)

    @property
    def services(self) -> Services:
        """The process's local services (the service holds the stores: exports, photo processing, audits)."""
        return self._local

    def open(self, design_id: str, edit: bool = False) -> Design:
        """The design for an edit or a sub-resource (no view counted; ``designs.get`` counts one), with this
        request's session's undo/redo stacks when it names one (``X-FW-Session``). ``edit``: the endpoint edits
        the handle at once and answers from what it saved, so the process's last state of the design will do
        (no read; ``DesignService.open_for_edit``), unless the client named the version it decided on."""
        designs: DesignUseCases = self.services.designs
        role: str | None
        if edit and self.base_version is None:
            state, role = self.services.designs.open_for_edit(self.user, design_id)
        else:
            state, role = designs.open(self.user, design_id)
        if self.base_version is not None:
            if self.base_version > state.version:
                raise ValidationError.bad("X-FW-Base-Version", self.base_version,
                                          f"a version design {state.id!r} has had: 1 to {state.version}")
            designs = _BasedOn(designs, self.base_version)
        design = Design(self, state, role, service=designs)
        self.opened[design.id] = design
        if self.session is not None and self._undo_store is not None:
            if self.load_undo:
                design.undo_stacks = self._undo_store.load(self.user, design.id, self.session)
            self._opened.append((design, _marks(design)))
        return design

    def save_undo(self) -> None:
        """Keep the stacks of the designs this request changed (called after the endpoint)."""
        for design, before in self._opened:
            if _marks(design) == before:
                continue
            if self.load_undo:
                self._undo_store.save(self.user, design.id, self.session, design.undo_stacks)
            else:  # started empty: everything on its undo stack is new, and its edits emptied the redo stack
                self._undo_store.push(self.user, design.id, self.session, design.undo_stacks[0])

    def close(self) -> None:
        pass


def _marks(design: Design) -> tuple[int, int, int, int]:
    """Cheap change marks of the stacks (lengths and identities of their tops)."""
    undo, redo = design.undo_stacks
    return len(undo), len(redo), id(undo[-1]) if undo else 0, id(redo[-1]) if redo else 0


class _BasedOn:
    """The design service with every edit of one handle based on the client's version (a stale remote handle's
    edit is checked against what others changed since, as a local stale handle's is)."""

    def __init__(self, designs: Any, base_version: int):
        self._designs = designs
        self._base = base_version

    def execute(self, user: str, known: Any, command: Any, action: str | None = None,
                extra: dict[str, Any] | None = None) -> Any:
        saved, inverse = self._designs.execute(user, known, command, action, extra, base_version=self._base)
        self._base = saved.version  # a second edit of the same request builds on the first
        return saved, inverse

    def restore(self, user: str, known: Any, number: Any) -> Any:
        saved, inverse = self._designs.restore(user, known, number, base_version=self._base)
        self._base = saved.version
        return saved, inverse

    def __getattr__(self, name: str) -> Any:
        return getattr(self._designs, name)
