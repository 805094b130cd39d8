"""The one place that wires adapters to services from settings (cosmicpython's bootstrap).

- :func:`bootstrap` (what ``fw.connect()`` calls): the use cases for the settings, local or the design service's
  HTTP client; both implement :class:`~fw_kernel.usecases.UseCases`;
- :func:`local_services`: the local half over the stores the settings name (the design service and the workers
  call it; ``fitter``, ``documents`` and ``cache`` may be replaced);
- :func:`wire`: services over given adapters (the tests' in-memory ones), built once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from .domain.errors import ValidationError
from .domain.limits import TierLimits
from .ports import BlobStore, BodyFitter, DocumentStore, EventSubscriber, StateCache, UnitOfWorkFactory
from .scene.maker import SceneMaker
from .services.audit import AuditService
from .services.autosave import Autosaver
from .services.avatars import AvatarService
from .services.catalog import CatalogService
from .services.clock import utcnow
from .services.designs import DesignService
from .services.drape import DrapeCache, load_draper
from .services.exports import ExportService
from .services.metrics import MetricsService
from .services.photo_avatars import PhotoAvatarService
from .settings import Environment, Settings
from .usecases import UseCases

if TYPE_CHECKING:  # sqlalchemy is the adapters' import: only its type here
    from sqlalchemy import Engine


@dataclass(frozen=True, eq=False)
class Services:
    """The local use cases over the adapters ``bootstrap`` wired (implements :class:`~fw_kernel.usecases.UseCases`;
    the design service's client is :class:`~fw_kernel.adapters.remote_http.RemoteServices`)."""

    settings: Settings
    uow: UnitOfWorkFactory
    documents: DocumentStore
    cache: StateCache
    designs: DesignService
    avatars: AvatarService
    catalog: CatalogService
    autosaver: Autosaver
    photo_avatars: PhotoAvatarService
    engine: Engine | None = None            # the SQLAlchemy engine (disposed on close)
    exports: ExportService | None = None    # None: services over in-memory adapters (tests)
    audit: AuditService | None = None       # owners read who audited their designs (relational store only)
    blobs: Callable[[], BlobStore] | None = None  # the process's blob store (one per URL), None without one
    scenes: SceneMaker = field(default_factory=lambda: SceneMaker(lambda: None, lambda _id: None))
    metrics: MetricsService | None = None    # ws.metrics: design metrics as DataFrames (relational store only)

    @property
    def events(self) -> EventSubscriber:
        """The events port (the cache's pub/sub: in-process, or Redis)."""
        return self.cache

    def one_connection(self) -> AbstractContextManager[None]:
        """A block whose units of work on this thread share one database connection (the design service wraps
        each request in one: an edit opens the design, then saves it)."""
        if self.engine is None:
            return nullcontext()
        from .adapters.sql.repositories import held_connection

        return held_connection(self.engine)

    def scene_builder(self) -> Any:
        """The process's scene builder (geometry cache); trimesh loads on first use."""
        return self.scenes.builder()

    def scene_of(self, design: Any, body: Mapping[str, Any] | None) -> Any:
        """The scene of a design state on the body with these parameters (None: no avatar)."""
        return self.scenes.scene_of(design, body)

    def describe(self) -> str:
        return f"database={self.settings.resolved_database_url!r}"

    def patterns_of(self, design: Any, body: Mapping[str, Any] | None, size: str = "avatar",
                    sex: str = "female") -> list[Any]:
        """The sewing patterns of a design state's visible garments (see :meth:`SceneMaker.patterns_of`)."""
        return self.scenes.patterns_of(design, body, size, sex)

    def close(self) -> None:
        if self.exports is not None:
            self.exports._queue.close()
        self.autosaver.stop(flush=True)
        self.cache.close()
        self.documents.close()
        if self.engine is not None:
            self.engine.dispose()


def store_unavailable_errors() -> tuple[type[BaseException], ...]:
    """The exceptions that mean a data store is down (nothing was done; retry later): the relational store's
    disconnects and refused connections. For callers that answer "unavailable" (the design service's 503) without
    importing a storage library."""
    errors: list[type[BaseException]] = [ConnectionError]
    try:
        from sqlalchemy.exc import InterfaceError, OperationalError
    except ImportError:  # no relational adapter installed
        return tuple(errors)
    return (OperationalError, InterfaceError, *errors)


def bootstrap(settings: Settings) -> UseCases:
    """The one entry point: the use cases for ``settings``. With ``settings.service_url`` (a design service, e.g.
    in a JupyterHub single-user server): its HTTP client, acting as the token's user; else the local services
    over the configured stores (:func:`local_services`)."""
    if settings.service_url:
        from .adapters.remote_http import remote_services

        if not settings.service_token:
            raise ValidationError.bad("service_token", None, "a design service token (FW_SERVICE_TOKEN)",
                                      f"no token to call {settings.service_url}")
        return remote_services(settings.service_url, settings.service_token)
    return local_services(settings)


def local_services(settings: Settings, *, fitter: BodyFitter | None = None, documents: DocumentStore | None = None,
                   cache: StateCache | None = None) -> Services:
    """Create engines and clients, run migrations, sync the catalog, start auto-save (what the design service and
    the workers run on). ``fitter``, ``documents`` and ``cache`` replace the adapters the settings name."""
    from .adapters.cache_local import LocalStateCache
    from .adapters.catalog_files import asset_reader, load_manifests, manifest_digest
    from .adapters.resilient import BreakerStateCache
    from .adapters.sql.engine import make_engine
    from .adapters.sql.migrate import upgrade
    from .adapters.sql.repositories import SqlUnitOfWork

    if settings.resolved_queue == "rq" and not settings.redis_url:
        raise ValidationError.bad("queue", "rq", "'local', or 'rq' with a Redis URL (FW_REDIS_URL)", "no Redis URL")
    settings.home.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)

    def sql_uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(engine, utcnow)

    uow = cast(UnitOfWorkFactory, sql_uow)  # SqlUnitOfWork implements the UnitOfWork port

    if documents is None:
        if settings.mongo_url:
            from .adapters.documents_mongo import MongoDocumentStore

            documents = MongoDocumentStore(settings.mongo_url, settings.mongo_database)
        else:
            from .adapters.documents_sql import SqlDocumentStore

            documents = SqlDocumentStore(engine)
    if cache is None:
        if settings.redis_url:
            from .adapters.cache_redis import RedisStateCache

            cache = BreakerStateCache(RedisStateCache(settings.redis_url), name="redis")
        else:
            cache = LocalStateCache()
    from .adapters.audit_sql import SqlAuditLog
    from .adapters.body_anny import AnnyBodyFitter
    from .adapters.exports_store import SqlExportStore
    from .adapters.metrics_sql import SqlMetricsReader

    if fitter is None:
        fitter = AnnyBodyFitter()
    remote_measurer = None
    if settings.queue == "rq":  # FW_QUEUE=rq: pose, mask and extraction on a `fw worker` (the call waits)
        from .adapters.photo_queue_rq import RqPhotoMeasurer

        remote_measurer = RqPhotoMeasurer(settings.redis_url or "", settings.queue_prefix)

    def renderer() -> Any:
        from .adapters.render_pyrender import PyrenderRenderer

        return PyrenderRenderer()

    def encode_video(*args: Any) -> bytes:
        from .adapters.video_pyav import encode

        return encode(*args)

    store = SqlExportStore(engine, settings.event_log)
    blobs = _BlobStores(settings.resolved_storage_url)

    def exports(catalog: CatalogService, scenes: SceneMaker) -> ExportService:
        # finished drapes in the blob store + render cache; the draper (FW_DRAPER) is imported on first use
        scenes.drapes = DrapeCache(documents, blobs.get, lambda: load_draper(settings.draper))
        return ExportService(uow, store, _job_queue(settings, store, uow), blobs.get, documents,
                             scenes.scene_of, renderer, encode_video, item_of=catalog.find,
                             techpack_writer=_LazyModule("fw_kernel.adapters.techpack_pdf"),
                             image_codec=_LazyModule("fw_kernel.adapters.image_codec"),
                             patterns_of=scenes.patterns_of,
                             pattern_writer=_LazyModule("fw_kernel.adapters.pattern_files"),
                             drapes=scenes.drapes, drape_stack_of=scenes.drape_stack,
                             drape_marker=scenes.drape_marker)

    services = wire(settings, uow, documents, cache, lambda: load_manifests(settings.catalog_dir), engine,
                    digest=lambda: manifest_digest(settings.catalog_dir), fitter=fitter,
                    vault=lambda: _photo_vault(settings), photo_remote=remote_measurer, exports=exports,
                    audit_log=SqlAuditLog(engine), read_asset=asset_reader(settings.catalog_dir), blobs=blobs.get,
                    metrics_reader=SqlMetricsReader(engine))
    try:  # Prometheus metrics of this process (the metrics extra)
        from .adapters.prom import instrument
    except ImportError:
        pass
    else:
        instrument(services)
    return services


class _BlobStores:
    """One blob store per process and URL (fsspec file systems are cached anyway; this keeps one object)."""

    def __init__(self, url: str):
        self._url = url
        self._store: BlobStore | None = None
        self._lock = threading.Lock()

    def get(self) -> BlobStore:
        with self._lock:
            if self._store is None:
                from .adapters.blobs import FsspecBlobStore

                self._store = FsspecBlobStore(self._url)
            return self._store


def _job_queue(settings: Settings, store: Any, uow: Any) -> Any:
    """``FW_QUEUE``: RQ on Redis (priority by the requesting user's tier), or the in-process worker thread."""
    if settings.resolved_queue == "local":
        from .adapters.queue_local import LocalJobQueue

        return LocalJobQueue()
    from .adapters.queue_rq import RqJobQueue

    def tier_of(job_id: str) -> str:
        user = store.get(job_id).user
        with uow() as u:
            tier = str(u.users.ensure(user, utcnow()).tier)
            u.commit()
        return tier

    return RqJobQueue(settings.redis_url or "", settings.queue_prefix, tier_of, settings.export_retry_backoff_s)


def wire(settings: Settings, uow: UnitOfWorkFactory, documents: DocumentStore, cache: StateCache,
         load_manifests: Any, engine: Engine | None = None, digest: Any = None,
         fitter: BodyFitter | None = None, *,
         vault: Callable[[], Any] | None = None, photo_remote: Any = None,
         exports: Callable[[CatalogService, SceneMaker], ExportService] | None = None,
         audit_log: Any = None, read_asset: Callable[[str], bytes | None] | None = None,
         blobs: Callable[[], BlobStore] | None = None, metrics_reader: Any = None) -> Services:
    """Services over given adapters, built once (also used by tests with the in-memory adapters)."""
    catalog = CatalogService(uow, load_manifests, digest, read_asset)
    catalog.sync()
    overrides = TierLimits(settings.max_designs, settings.max_layers_per_design)
    designs = DesignService(uow, catalog, cache, overrides=overrides)
    designs.event_log = settings.event_log
    autosaver = Autosaver(uow, documents, cache, settings.autosave_debounce_s, settings.state_ttl_s)
    autosaver.event_log = settings.event_log
    if settings.autosave_thread:
        autosaver.start(settings.autosave_interval_s)
    avatars = AvatarService(uow, fitter)
    photo_avatars = PhotoAvatarService(uow, avatars, _pose_detector, cache, vault=vault,
                                       codec=_LazyModule("fw_kernel.adapters.image_codec"), remote=photo_remote)
    scenes = SceneMaker(lambda: avatars.fitter, catalog.find)
    export_service = exports(catalog, scenes) if exports is not None else None
    audit = AuditService(uow, audit_log, export_service) if audit_log is not None else None
    metrics = (MetricsService(metrics_reader, catalog.find, uow, settings.analysts, settings.event_log)
               if metrics_reader is not None else None)
    return Services(settings, uow, documents, cache, designs, avatars, catalog, autosaver, photo_avatars, engine,
                    export_service, audit, blobs, scenes, metrics)


def _photo_vault(settings: Settings) -> Any:
    """Kept body photos: encrypted (FW_PHOTO_KEY, else a key file in FW_HOME) in the blob store."""

    from .adapters.blobs import FsspecBlobStore
    from .adapters.photo_vault import EncryptedPhotoVault, load_key

    return EncryptedPhotoVault(FsspecBlobStore(settings.resolved_storage_url),
                               load_key(Environment().photo_key, settings.home))


def _pose_detector() -> Any:
    from .adapters.pose_mediapipe import MediaPipePose  # lazily: the photo extra

    return MediaPipePose()


class _LazyModule:
    """A module imported on first attribute use (keeps reportlab and PIL out of connect())."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        import importlib

        return getattr(importlib.import_module(self._name), attr)
