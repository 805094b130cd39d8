"""The notebook API acting for one authenticated user over the service process's shared kernel services.

The service does not re-implement the notebook API: each request gets a :class:`UserWorkspace` (cheap: a few
objects) whose ``designs``/``avatars``/``catalog`` are the kernel's own, so a call through HTTP validates, saves,
records history and publishes events exactly as the same call in a notebook.
"""

from __future__ import annotations

from fw_kernel.api import Avatars, Catalog, Design, Designs, Workspace
from fw_kernel.bootstrap import Services


class UserWorkspace(Workspace):
    """``Workspace`` for ``user`` over shared ``services`` (closing it closes nothing: the services are the
    process's)."""

    def __init__(self, services: Services, user: str):  # no super().__init__: the user is not the settings'
        self._services = services
        self.user = user
        self.settings = services.settings
        self.designs = Designs(self)
        self.avatars = Avatars(self)
        self.catalog = Catalog(services)

    def open(self, design_id: str) -> Design:
        """The design for an edit or a sub-resource (no view counted; ``designs.get`` counts one)."""
        state, role = self._services.designs.open(self.user, design_id)
        return Design(self, state, role)

    def close(self) -> None:
        pass
