"""The one place that wires adapters to services from settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .domain.limits import TierLimits
from .ports import DocumentStore, StateCache, UnitOfWorkFactory
from .services.autosave import Autosaver
from .services.avatars import AvatarService
from .services.catalog import CatalogService
from .services.clock import utcnow
from .services.designs import DesignService
from .services.photo_avatars import PhotoAvatarService
from .settings import Settings


@dataclass
class Services:
    settings: Settings
    uow: UnitOfWorkFactory
    documents: DocumentStore
    cache: StateCache
    designs: DesignService
    avatars: AvatarService
    catalog: CatalogService
    autosaver: Autosaver
    engine: Any = None
    exports: Any = None
    photo_avatars: Any = None
    audit: Any = None  # services.audit.AuditService: owners read who audited their designs
    _scene_builder: Any = None

    def scene_builder(self) -> Any:
        """The process's scene builder (geometry cache); trimesh loads on first use."""
        if self._scene_builder is None:
            from .scene.build import SceneBuilder

            self._scene_builder = SceneBuilder()
        return self._scene_builder

    def scene_of(self, design: Any, body: dict[str, Any] | None) -> Any:
        """The scene of a design state on the body with these parameters (None: no avatar)."""
        fitter = self.avatars.fitter
        geometry, key = None, "none"
        if body and fitter is not None:
            geometry, key = fitter.geometry(body), fitter.key(body)
        return self.scene_builder().build(design, geometry, key, self.catalog.find)

    def patterns_of(self, design: Any, body: dict[str, Any] | None, size: str = "avatar",
                    sex: str = "female") -> list[Any]:
        """The sewing patterns of a design state's visible garments: made to measure for its avatar's fitted body
        (``size="avatar"``), or in a standard size of the women's or men's chart."""
        from .sewing import STYLES, draft, from_body, standard_size

        measures, label = None, size
        if size != "avatar":
            measures = standard_size(size, sex)
        elif body and self.avatars.fitter is not None:
            measures, label = from_body(self.avatars.fitter.geometry(body)), "made-to-measure"
        else:
            measures, label = standard_size("M", sex), "M"
        out = []
        for layer in design.layers:
            item = self.catalog.find(layer.catalog_item_id)
            if layer.type == "silhouette" and layer.is_visible and item is not None and item.id in STYLES:
                out.append(draft(item.id, item.resolve(layer.customization), measures, label))
        return out

    def close(self) -> None:
        if self.exports is not None:
            self.exports._queue.close()
        self.autosaver.stop(flush=True)
        self.cache.close()
        self.documents.close()
        if self.engine is not None:
            self.engine.dispose()


def bootstrap(settings: Settings) -> Services:
    """Create engines and clients, run migrations, sync the catalog, start auto-save."""
    from .adapters.cache_local import LocalStateCache
    from .adapters.catalog_files import load_manifests, manifest_digest
    from .adapters.resilient import BreakerStateCache
    from .adapters.sql.engine import make_engine
    from .adapters.sql.migrate import upgrade
    from .adapters.sql.repositories import SqlUnitOfWork

    if settings.resolved_queue == "rq" and not settings.redis_url:
        from .domain.errors import ValidationError

        raise ValidationError.bad("queue", "rq", "'local', or 'rq' with a Redis URL (FW_REDIS_URL)", "no Redis URL")
    settings.home.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)

    def uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(engine, utcnow)

    documents: DocumentStore
    if settings.mongo_url:
        from .adapters.documents_mongo import MongoDocumentStore

        documents = MongoDocumentStore(settings.mongo_url, settings.mongo_database)
    else:
        from .adapters.documents_sql import SqlDocumentStore

        documents = SqlDocumentStore(engine)
    cache: StateCache
    if settings.redis_url:
        from .adapters.cache_redis import RedisStateCache

        cache = BreakerStateCache(RedisStateCache(settings.redis_url), name="redis")
    else:
        cache = LocalStateCache()
    from .adapters.blobs import FsspecBlobStore
    from .adapters.body_anny import AnnyBodyFitter
    from .adapters.exports_store import SqlExportStore
    from .services.exports import ExportService

    services = wire(settings, uow, documents, cache, lambda: load_manifests(settings.catalog_dir), engine,
                    digest=lambda: manifest_digest(settings.catalog_dir), fitter=AnnyBodyFitter())
    services.photo_avatars.vault_factory = lambda: _photo_vault(settings)
    if settings.queue == "rq":  # FW_QUEUE=rq: pose, mask and extraction on a `fw worker` (the call waits)
        from .adapters.photo_queue_rq import RqPhotoMeasurer

        services.photo_avatars.remote = RqPhotoMeasurer(settings.redis_url, settings.queue_prefix)

    def renderer() -> Any:
        from .adapters.render_pyrender import PyrenderRenderer

        return PyrenderRenderer()

    def encode_video(*args: Any) -> bytes:
        from .adapters.video_pyav import encode

        return encode(*args)

    store = SqlExportStore(engine)
    services.exports = ExportService(uow, store, _job_queue(settings, store, uow),
                                     lambda: FsspecBlobStore(settings.resolved_storage_url), documents,
                                     services.scene_of, renderer, encode_video, item_of=services.catalog.find,
                                     techpack_writer=_LazyModule("fw_kernel.adapters.techpack_pdf"),
                                     image_codec=_LazyModule("fw_kernel.adapters.image_codec"),
                                     patterns_of=services.patterns_of,
                                     pattern_writer=_LazyModule("fw_kernel.adapters.pattern_files"))
    from .adapters.audit_sql import SqlAuditLog
    from .services.audit import AuditService

    services.audit = AuditService(uow, SqlAuditLog(engine), services.exports)
    return services


def _job_queue(settings: Settings, store: Any, uow: Any) -> Any:
    """``FW_QUEUE``: RQ on Redis (priority by the requesting user's tier), or the in-process worker thread."""
    if settings.resolved_queue == "local":
        from .adapters.queue_local import LocalJobQueue

        return LocalJobQueue()
    from .adapters.queue_rq import RqJobQueue

    def tier_of(job_id: str) -> str:
        user = store.get(job_id).user
        with uow() as u:
            tier = u.users.ensure(user, utcnow()).tier
            u.commit()
        return tier

    return RqJobQueue(settings.redis_url, settings.queue_prefix, tier_of, settings.export_retry_backoff_s)


def wire(settings: Settings, uow: UnitOfWorkFactory, documents: DocumentStore, cache: StateCache,
         load_manifests: Any, engine: Any = None, digest: Any = None, fitter: Any = None) -> Services:
    """Services over given adapters (also used by tests with the in-memory adapters)."""
    catalog = CatalogService(uow, load_manifests, digest)
    catalog.sync()
    overrides = TierLimits(settings.max_designs, settings.max_layers_per_design)
    designs = DesignService(uow, catalog, cache, overrides=overrides)
    autosaver = Autosaver(uow, documents, cache, settings.autosave_debounce_s, settings.state_ttl_s)
    if settings.autosave_thread:
        autosaver.start(settings.autosave_interval_s)
    avatars = AvatarService(uow, fitter)
    services = Services(settings, uow, documents, cache, designs, avatars, catalog, autosaver, engine)
    services.photo_avatars = PhotoAvatarService(uow, avatars, _pose_detector, cache,
                                                codec=_LazyModule("fw_kernel.adapters.image_codec"))
    return services


def _photo_vault(settings: Settings) -> Any:
    """Kept body photos: encrypted (FW_PHOTO_KEY, else a key file in FW_HOME) in the blob store."""
    import os

    from .adapters.blobs import FsspecBlobStore
    from .adapters.photo_vault import EncryptedPhotoVault, load_key

    return EncryptedPhotoVault(FsspecBlobStore(settings.resolved_storage_url),
                               load_key(os.environ.get("FW_PHOTO_KEY"), settings.home))


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
