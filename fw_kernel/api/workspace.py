"""``fw.connect()`` -> :class:`Workspace`: designs, avatars and catalog.

Every edit is saved before the call returns; undo/redo stacks live on the open design object.
"""

from __future__ import annotations

from typing import Any

from ..bootstrap import bootstrap
from ..domain.errors import NotFound
from ..settings import Settings
from ..usecases import ExportUseCases, UseCases
from .avatars import Avatars
from .catalog import Catalog
from .designs import Designs
from .metrics import Metrics


def connect(*, home: str | None = None, database_url: str | None = None, mongo_url: str | None = None,
            redis_url: str | None = None, storage_url: str | None = None, user: str | None = None,
            service_url: str | None = None, token: str | None = None, **options: Any) -> Workspace:
    """Open a workspace: the embedded default (SQLite under ``FW_HOME``), the given services, or the design
    service.

    Arguments override the ``FW_*`` environment variables. ``options`` are further :class:`Settings` fields
    (``autosave_debounce_s``, ``max_layers_per_design``...). ``service_url`` and ``token`` (else
    ``FW_SERVICE_URL``/``FW_SERVICE_TOKEN``; in a JupyterHub single-user server the hub's ``/services/fw/`` and
    ``JUPYTERHUB_API_TOKEN``) talk to the design service over HTTP as the token's user, unless a database is
    named here.
    """
    from ..settings import service_endpoint

    endpoint = None if (database_url or home) else service_endpoint(service_url, token)
    settings = Settings.from_env(home=home, database_url=database_url, mongo_url=mongo_url, redis_url=redis_url,
                                 storage_url=storage_url, user=user, **options)
    if endpoint is not None:
        settings = settings.model_copy(update={"service_url": endpoint[0], "service_token": endpoint[1]})
    ws = Workspace(bootstrap(settings))
    ws.metrics._session("session_opened")  # the event log's record of this kernel session (local stores only)
    return ws


class Workspace:
    """What ``fw.connect()`` returns: ``ws.designs``, ``ws.avatars``, ``ws.catalog``."""

    def __init__(self, services: UseCases, user: str | None = None):
        self._services = services
        self.user = user if user is not None else services.settings.user  # a server passes the request's user
        self.settings = services.settings
        self.designs = Designs(self)
        self.avatars = Avatars(self)
        self.catalog = Catalog(services)
        self.metrics = Metrics(self)  # design metrics as pandas DataFrames

    @property
    def services(self) -> UseCases:
        """The kernel's use cases under this workspace (``designs``, ``avatars``, ``photo_avatars``, ``exports``...
        of :mod:`fw_kernel.services`). For code that embeds the notebook API, such as the design service, which
        needs a call the notebook API does not offer; notebooks use ``designs``/``avatars``/``catalog``."""
        return self._services

    def _exports(self) -> ExportUseCases:
        """The export use cases; services over in-memory adapters (tests) have none."""
        exports = self._services.exports
        if exports is None:
            raise NotFound("this workspace has no export queue (connect() to a store or a design service)",
                           field="exports")
        return exports

    @property
    def scene_builder(self) -> Any:
        return self._services.scene_builder()

    def flush(self) -> None:
        """Auto-save every edited design now (also done on ``close()`` and every few seconds)."""
        self._services.autosaver.run_once(force=True)

    def close(self) -> None:
        self.metrics._session("session_closed")
        self._services.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Workspace(user={self.user!r}, {self._services.describe()})"
