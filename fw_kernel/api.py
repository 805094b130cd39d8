"""The notebook API: ``fw.connect()`` -> :class:`Workspace` -> designs, avatars and catalog.

Every edit is saved before the call returns; undo/redo stacks live on the open design object.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from typing import Any

from .bootstrap import Services, bootstrap
from .domain.audit import AuditRecord
from .domain.avatar import Avatar as AvatarRecord
from .domain.catalog import CatalogItem
from .domain.commands import (
    AddLayer,
    Command,
    Composite,
    RemoveLayer,
    ReorderLayers,
    UpdateCanvas,
    UpdateDesign,
    UpdateLayer,
)
from .domain.design import Design as DesignState
from .domain.design import snapshot
from .domain.errors import NotFound as NotFoundError
from .domain.errors import ValidationError
from .domain.exports import ExportJob
from .domain.layer import Layer
from .domain.records import Collaborator, Comment, HistoryEntry, Version
from .domain.validation import validate
from .services.clock import new_id
from .settings import Settings


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
    from .settings import service_endpoint

    endpoint = None if (database_url or home) else service_endpoint(service_url, token)
    if endpoint is not None:
        from .adapters.remote_http import remote_services

        return Workspace(remote_services(*endpoint))
    settings = Settings.from_env(home=home, database_url=database_url, mongo_url=mongo_url, redis_url=redis_url,
                                 storage_url=storage_url, user=user, **options)
    return Workspace(bootstrap(settings))


class Workspace:
    """What ``fw.connect()`` returns: ``ws.designs``, ``ws.avatars``, ``ws.catalog``."""

    def __init__(self, services: Services, user: str | None = None):
        self._services = services
        self.user = user if user is not None else services.settings.user  # a server passes the request's user
        self.settings = services.settings
        self.designs = Designs(self)
        self.avatars = Avatars(self)
        self.catalog = Catalog(services)

    @property
    def services(self) -> Services:
        """The kernel's use cases under this workspace (``designs``, ``avatars``, ``photo_avatars``, ``exports``...
        of :mod:`fw_kernel.services`). For code that embeds the notebook API, such as the design service, which
        needs a call the notebook API does not offer; notebooks use ``designs``/``avatars``/``catalog``."""
        return self._services

    @property
    def scene_builder(self) -> Any:
        return self._services.scene_builder()

    def flush(self) -> None:
        """Auto-save every edited design now (also done on ``close()`` and every few seconds)."""
        self._services.autosaver.run_once(force=True)

    def close(self) -> None:
        self._services.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        http = getattr(self._services, "http", None)
        if http is not None:
            return f"Workspace(user={self.user!r}, service={http.service_url!r})"
        return f"Workspace(user={self.user!r}, database={self.settings.resolved_database_url!r})"


class Catalog:
    def __init__(self, services: Services):
        self._catalog = services.catalog

    def get(self, item_id: str) -> CatalogItem:
        return self._catalog.get(item_id)

    def list(self, type: str | None = None) -> list[CatalogItem]:
        return self._catalog.list(type)

    def search(self, text: str = "", type: str | None = None, **filters: Any) -> list[CatalogItem]:
        """Full-text search (typos tolerated); filters: ``tags``, ``max_price``, ``availability``, ``limit``."""
        return self._catalog.search(text, type=type, **filters)

    def recommend(self, design: Design, limit: int = 10) -> list[CatalogItem]:
        """Items compatible with what the design already uses, missing types first."""
        return self._catalog.recommend([x.catalog_item_id for x in design.layers], design.meta.category, limit)


class Avatar:
    """A body fitted to measurements: ``measurements`` are measured on the mesh (cm), ``requested`` what was
    asked; ``mesh`` is a ``trimesh.Trimesh`` in metres, +Y up, facing +Z, feet at y = 0, A-pose."""

    def __init__(self, ws: Workspace, record: AvatarRecord):
        self._ws = ws
        self.record = record

    id = property(lambda self: self.record.id)
    name = property(lambda self: self.record.name)
    body_hint = property(lambda self: self.record.body_hint)
    measurements = property(lambda self: dict(self.record.measurements))
    requested = property(lambda self: dict(self.record.requested))
    source = property(lambda self: self.record.source)  # "measurements" or "photo"
    confidence = property(lambda self: dict(self.record.confidence))  # per measurement, 0..1 (photo avatars)

    def photos(self) -> dict[str, Any]:
        """The photos kept by ``from_photos(..., keep_photos=True)`` as PIL images by kind (front, side): upright,
        without EXIF, decrypted for the owner only."""
        import io

        from PIL import Image

        stored = self._ws._services.photo_avatars.photos(self._ws.user, self.id)
        return {k: Image.open(io.BytesIO(v)) for k, v in stored.items()}

    def delete_photos(self) -> int:
        """Delete the kept photos (the avatar and its measurements stay); returns how many were deleted."""
        return self._ws._services.photo_avatars.delete_photos(self._ws.user, self.id)

    @property
    def _body(self) -> Any:
        fitter = self._ws._services.avatars.fitter
        if fitter is None or not self.record.body:
            raise NotFoundError(f"avatar {self.name!r} has no fitted body", field="body", value=self.id)
        return fitter.body(self.record.body)

    @property
    def mesh(self) -> Any:
        return self._body.trimesh()

    @property
    def landmarks(self) -> dict[str, Any]:
        """Named points (metres): neck, shoulders, bust, waist, hips, crotch, elbows, wrists, ankles, head_top."""
        return dict(self._body.landmarks)

    def __repr__(self) -> str:
        m = self.record.measurements
        shown = ", ".join(f"{k}={m[k]:g}" for k in ("height", "bust", "waist", "hips") if k in m)
        return f"Avatar({self.name!r}, id={self.id!r}, {shown} cm)"


class Avatars:
    def __init__(self, ws: Workspace):
        self._ws = ws
        self._service = ws._services.avatars

    def create(self, name: str, measurements: dict[str, float], body_hint: str = "neutral") -> Avatar:
        """A body fitted to measurements in centimetres (height, bust or chest, underbust, waist, hips, inseam,
        shoulder_width, arm_length, neck, upper_arm, thigh; any subset) and a ``body_hint`` (female, male,
        neutral)."""
        return Avatar(self._ws, self._service.create(self._ws.user, name, measurements, body_hint))

    def from_size(self, name: str, size: str, body_hint: str = "female", **overrides: float) -> Avatar:
        """An avatar of a standard size (XS, S, M, L, XL, XXL, 3XL, 4XL; female or male chart), with any
        measurement overridden in cm (``height=152`` for a petite body)."""
        from .geometry.sizes import SIZES, size_measurements

        if not isinstance(size, str) or size.upper() not in SIZES:
            raise ValidationError.bad("size", size, "one of " + ", ".join(SIZES))
        if body_hint not in ("female", "male"):
            raise ValidationError.bad("body_hint", body_hint, "'female' or 'male' (the two size charts)")
        return self.create(name, size_measurements(size, body_hint, **overrides), body_hint)

    def from_photos(self, name: str, front: Any, side: Any, height: float, body_hint: str | None = None,
                    weight: float | None = None, corrections: dict[str, float] | None = None,
                    progress: bool = True, keep_photos: bool = False) -> Avatar:
        """A body fitted to the measurements of a front and a side photo (paths, bytes, PIL images or RGB arrays;
        standing, whole body in frame, arms 30-45 degrees out, tight clothes). ``height`` (cm) sets the scale;
        ``corrections`` (cm) replace estimates. ``avatar.confidence`` gives each measurement's confidence (0..1);
        a photo that cannot be measured raises ``ValidationError`` saying what to retake. Events on
        ``avatars/{user}`` (see :meth:`on_event`). ``keep_photos``: keep the photos (upright, EXIF stripped,
        AES-GCM encrypted at rest; ``avatar.photos()``, ``avatar.delete_photos()``, the owner only)."""
        bar = _progress_bar("photo avatar") if progress else None
        record = self._ws._services.photo_avatars.from_photos(
            self._ws.user, name, front, side, height, body_hint, weight, corrections,
            progress=(lambda percent, step: bar(percent)) if bar is not None else None, keep_photos=keep_photos)
        return Avatar(self._ws, record)

    def measure_photos(self, front: Any, side: Any, height: float, body_hint: str | None = None) -> dict[str, Any]:
        """Measurements (cm), confidences, landmarks and masks of two photos, without fitting or storing (to
        review and correct before :meth:`from_photos`)."""
        return self._ws._services.photo_avatars.measure(front, side, height, body_hint)

    def on_event(self, callback: Callable[[dict[str, Any]], None]) -> Callable[[], None]:
        """Call ``callback(event)`` for this user's avatar events (processing_started, processing_progress,
        processing_complete, processing_error); returns a function that unsubscribes."""
        from .services.photo_avatars import events_channel

        return self._ws._services.cache.subscribe(events_channel(self._ws.user), callback)

    def get(self, avatar_id: str) -> Avatar:
        return Avatar(self._ws, self._service.get(self._ws.user, avatar_id))

    def list(self) -> list[Avatar]:
        return [Avatar(self._ws, a) for a in self._service.list(self._ws.user)]


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


class ExportHandle:
    """A queued export: ``status``, ``progress`` (0..100), and once completed ``path``/``url`` and ``size``."""

    def __init__(self, ws: Workspace, job: ExportJob):
        self._ws = ws
        self.job = job

    def refresh(self) -> ExportJob:
        self.job = self._ws._services.exports.get(self.job.id)
        return self.job

    def wait(self, timeout: float | None = 600.0, progress: bool = True) -> ExportJob:
        """Block until the export is completed or failed (a progress bar in a notebook or terminal)."""
        import time

        bar = _progress_bar(f"{self.job.type} export") if progress else None
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.refresh().done:
            if bar is not None:
                bar(self.job.progress)
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"export {self.job.id} still {self.job.status} after {timeout} s")
            time.sleep(0.05)
        if bar is not None:
            bar(self.job.progress, self.job.status == "failed")
        return self.job

    status = property(lambda self: self.refresh().status)
    progress = property(lambda self: self.refresh().progress)
    url = property(lambda self: self.job.file_url)
    size = property(lambda self: self.job.file_size)

    @property
    def path(self) -> str | None:
        url = self.job.file_url
        return url[len("file://"):] if url and url.startswith("file://") else url

    def __repr__(self) -> str:
        j = self.job
        return f"Export({j.type}, {j.status}, {j.progress}%, {j.file_name or ''} {j.file_size or ''})"


def _progress_bar(label: str) -> Callable[..., None]:
    """ipywidgets in a notebook, a text bar on a terminal (stderr)."""
    try:
        from IPython import get_ipython

        if get_ipython() is not None and "IPKernelApp" in get_ipython().config:
            import ipywidgets
            from IPython.display import display

            widget = ipywidgets.IntProgress(min=0, max=100, description=label)
            display(widget)

            def show(value: int, failed: bool = False) -> None:
                widget.value = value
                if failed:
                    widget.bar_style = "danger"

            return show
    except ImportError:
        pass
    from tqdm import tqdm

    bar = tqdm(total=100, desc=label, unit="%", bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}")

    def text(value: int, failed: bool = False) -> None:
        bar.update(max(0, value - bar.n))
        if value >= 100 or failed:
            bar.close()

    return text


_LAYER_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
_ADD_LAYER_FIELDS = ("transform", "opacity", "blend_mode", "is_visible", "is_locked", "notes", "group")


class Design:
    """An open design. Edits are saved when the call returns; ``undo()``/``redo()`` step through this
    session's edits; ``refresh()`` pulls what collaborators changed."""

    def __init__(self, ws: Workspace, state: DesignState, role: str | None, service: Any = None):
        self._ws = ws
        # ``service``: what edits go through, default the workspace's design use cases (a server passes one that
        # bases every edit on the version its client saw)
        self._service = service if service is not None else ws._services.designs
        self._state = state
        self._role = role
        self._undo: list[Command] = []
        self._redo: list[Command] = []
        self._listeners: list[Callable[[Design, str], None]] = []
        self._lock = threading.RLock()

    # -- read ----------------------------------------------------------------------------------------------
    @property
    def id(self) -> str:
        return self._state.id

    @property
    def name(self) -> str:
        return self._state.meta.name

    @property
    def meta(self) -> Any:
        return self._state.meta

    @property
    def role(self) -> str | None:
        """Your role on this design when it was opened: owner, editor, commenter or viewer."""
        return self._role

    @property
    def workspace(self) -> Workspace:
        """The workspace this design was opened from (its user, catalog, avatars)."""
        return self._ws

    @property
    def owner(self) -> str:
        return self._state.owner

    @property
    def version(self) -> int:
        return self._state.version

    @property
    def canvas(self) -> Any:
        return self._state.canvas

    @property
    def layers(self) -> list[Layer]:
        return list(self._state.layers)

    @property
    def fork_from(self) -> str | None:
        return self._state.fork_from

    @property
    def counts(self) -> dict[str, int]:
        s = self._state
        return {"views": s.view_count, "likes": s.like_count, "forks": s.fork_count}

    @property
    def state(self) -> DesignState:
        return self._state

    def snapshot(self) -> dict[str, Any]:
        return snapshot(self._state)

    def layer(self, layer_id: str) -> Layer:
        return self._state.layer(layer_id)

    def refresh(self) -> Design:
        """Reload from the store (collaborators' edits); keeps this session's undo stack."""
        self._reload()
        self._notify("refresh")
        return self

    def _reload(self) -> bool:
        """Load the stored state (no notification); True when this user's role on the design changed."""
        with self._lock:
            role = self._role
            self._state, self._role = self._service.open(self._ws.user, self.id)
            return self._role != role

    def on_change(self, callback: Callable[[Design, str], None]) -> Callable[[], None]:
        """Call ``callback(design, action)`` after every edit made through this object (for the studio)."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback)

    def follow(self, callback: Callable[[dict[str, Any]], None] | None = None, *, loop: Any = None) -> Any:
        """Keep this handle up to date with edits saved elsewhere: other handles of the design, collaborators'
        kernels, the design service's clients. When an event announces a version newer than this handle's, it
        reloads (once for a burst) and ``on_change`` listeners (an open studio) get ``"follow"`` (``"refresh"``
        after a design-field edit, a restore or a role change); its own edits are not reloaded. Then
        ``callback(event)`` gets each event (``type``, ``version``, ``user``, ``data``). Both run on the asyncio
        ``loop`` running when this is called (a notebook kernel's), else on a background thread. Returns a handle:
        call it to stop; ``.wait(version)`` blocks until caught up. ``design.show()`` follows while its studio is
        open."""
        from .live import follow

        return follow(self, callback, loop)

    def _notify(self, action: str) -> None:
        for callback in list(self._listeners):
            callback(self, action)

    # -- edits ---------------------------------------------------------------------------------------------
    def _run(self, command: Command, action: str | None = None, record_undo: bool = True,
             extra: dict[str, Any] | None = None) -> Command:
        with self._lock:
            self._state, inverse = self._service.execute(self._ws.user, self._state, command, action, extra)
            if record_undo:
                self._undo.append(inverse)
                self._redo.clear()
        self._notify(action or command.action)
        return inverse

    def add_layer(self, item: CatalogItem | str, customization: dict[str, Any] | None = None, *,
                  name: str | None = None, type: str | None = None, index: int | None = None,
                  layer_id: str | None = None, **fields: Any) -> Layer:
        """Put a catalog item on the design (on top, or at ``index``); returns the new layer.

        ``fields`` may set ``transform``, ``opacity``, ``blend_mode``, ``is_visible``, ``is_locked``, ``notes``,
        ``group``. ``type``, when given, must match the item's type. ``layer_id``: the new layer's id (default: a
        fresh one; the design service's clients send the id of the layer they built).
        """
        unknown = sorted(set(fields) - set(_ADD_LAYER_FIELDS))
        if unknown:
            raise ValidationError.bad(unknown[0], fields[unknown[0]], "keyword arguments " + ", ".join(
                ("customization", "name", "type", "index", "layer_id", *_ADD_LAYER_FIELDS)),
                "not settable when adding a layer")
        item_id = item.id if isinstance(item, CatalogItem) else item
        found = self._ws._services.catalog.find(item_id)
        if found is None:
            raise ValidationError.bad("item", item_id, "the id of an existing catalog item "
                                      "(see ws.catalog.search(...))")
        if type is not None and type != found.type:
            raise ValidationError.bad("type", type, f"{found.type!r} (the type of {found.id!r})",
                                      "layer type must match its catalog item")
        custom = found.validate_customization(customization)
        if layer_id is not None and not (isinstance(layer_id, str) and _LAYER_ID.fullmatch(layer_id)):
            raise ValidationError.bad("layer_id", layer_id, "1 to 32 letters, digits, '_' or '-'")
        layer = validate(Layer, {"id": layer_id if layer_id is not None else new_id(), "type": found.type,
                                 "catalog_item_id": found.id, "name": name if name is not None else found.name,
                                 "customization": custom,
                                 **fields})
        if index is not None and (isinstance(index, bool) or not isinstance(index, int) or index < 0):
            raise ValidationError.bad("index", index, "an integer >= 0")
        self._run(AddLayer(layer, index))
        return self._state.layer(layer.id)

    def update_layer(self, layer_id: str, **changes: Any) -> Layer:
        """Change a layer: ``transform`` (partial: ``{"rotation": {"y": 10}}``), ``customization`` (merged),
        ``opacity`` 0..100, ``blend_mode``, ``is_visible``, ``is_locked``, ``name``, ``notes``, ``group``."""
        self._run(UpdateLayer(layer_id, changes))
        return self._state.layer(layer_id)

    def remove_layer(self, layer_id: str) -> None:
        self._run(RemoveLayer(layer_id))

    def reorder_layers(self, layer_ids: Iterable[str]) -> None:
        """Set the stacking order, bottom first; every layer id exactly once."""
        if isinstance(layer_ids, str) or not isinstance(layer_ids, Iterable):
            raise ValidationError.bad("layer_ids", layer_ids, "a list of every layer id, bottom first")
        self._run(ReorderLayers(tuple(layer_ids)))

    def group_layers(self, layer_ids: Iterable[str], group: str | None) -> None:
        """Put layers in a named group (``None`` ungroups them); one undo step."""
        ids = list(layer_ids)
        if not ids:
            raise ValidationError.bad("layer_ids", ids, "at least one layer id")
        self._run(Composite(tuple(UpdateLayer(i, {"group": group}) for i in ids), action="group_layers",
                            data={"layer_ids": ids, "group": group}))

    def update(self, **changes: Any) -> None:
        """Change descriptive fields: name, description, category, tags, occasion, season, status, visibility,
        avatar_id."""
        self._run(UpdateDesign(changes))

    def update_canvas(self, **changes: Any) -> None:
        """Change canvas settings: camera (position, target, fov), lighting_preset, background, show_grid,
        grid_size, show_guides, snap_to_grid, render_quality, antialiasing, shadows, ambient_occlusion."""
        self._run(UpdateCanvas(changes))

    def undo(self) -> bool:
        """Undo this session's last edit; False when there is nothing to undo."""
        with self._lock:
            if not self._undo:
                return False
            command = self._undo.pop()
            try:
                inverse = self._run(command, action="undo", record_undo=False, extra={"undoes": command.action})
            except Exception:
                self._undo.append(command)
                raise
            self._redo.append(inverse)
            return True

    def redo(self) -> bool:
        """Redo the last undone edit; False when there is nothing to redo."""
        with self._lock:
            if not self._redo:
                return False
            command = self._redo.pop()
            try:
                inverse = self._run(command, action="redo", record_undo=False, extra={"redoes": command.action})
            except Exception:
                self._redo.append(command)
                raise
            self._undo.append(inverse)
            return True

    @property
    def undo_stacks(self) -> tuple[list[Command], list[Command]]:
        """Copies of this handle's undo and redo stacks (inverse commands, most recent last). Set them to resume
        a session: a server keeps each client session's stacks between requests (the design service's
        ``X-FW-Session``); notebooks use :meth:`undo`/:meth:`redo`."""
        with self._lock:
            return list(self._undo), list(self._redo)

    @undo_stacks.setter
    def undo_stacks(self, stacks: tuple[Iterable[Command], Iterable[Command]]) -> None:
        undo, redo = stacks
        with self._lock:
            self._undo, self._redo = list(undo), list(redo)

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    # -- versions ------------------------------------------------------------------------------------------
    def checkpoint(self, message: str = "") -> Version:
        return self._service.checkpoint(self._ws.user, self.id, message)

    @property
    def versions(self) -> list[Version]:
        return self._service.versions(self._ws.user, self.id)

    def diff(self, a: int, b: int) -> list[dict[str, Any]]:
        """RFC 6902 operations that turn version ``a``'s snapshot into version ``b``'s."""
        return self._service.diff(self._ws.user, self.id, a, b)

    def restore(self, version_number: int) -> None:
        """Make version ``version_number`` the current state (an edit itself: undoable, in history)."""
        with self._lock:
            self._state, inverse = self._service.restore(self._ws.user, self._state, version_number)
            self._undo.append(inverse)
            self._redo.clear()
        self._notify("restore")

    def fork(self, name: str | None = None) -> Design:
        state = self._service.fork(self._ws.user, self.id, name)
        self.refresh()
        return Design(self._ws, state, "owner")

    @property
    def history(self) -> list[HistoryEntry]:
        return self._service.history(self._ws.user, self.id)

    def audits(self, limit: int = 100) -> list[AuditRecord]:
        """Who audited this design, when, through which endpoint and why, newest first (the owner only: others
        get PermissionDenied). Admins read designs only through the design service's audit endpoints, and each
        such read leaves a record here."""
        audit = self._ws.services.audit
        if audit is None:
            raise NotFoundError("this workspace keeps no audit log (audits are recorded in the relational store "
                                "of connect() or the design service)", field="audits")
        return audit.of_design(self._ws.user, self.id, limit)

    # -- people --------------------------------------------------------------------------------------------
    def share(self, user: str, role: str = "viewer") -> Collaborator:
        return self._service.share(self._ws.user, self.id, user, role)

    def unshare(self, user: str) -> None:
        self._service.unshare(self._ws.user, self.id, user)

    @property
    def collaborators(self) -> list[Collaborator]:
        return self._service.collaborators(self._ws.user, self.id)

    def comment(self, text: str, layer_id: str | None = None) -> Comment:
        return self._service.comment(self._ws.user, self.id, text, layer_id)

    @property
    def comments(self) -> list[Comment]:
        return self._service.comments(self._ws.user, self.id)

    def scene(self) -> Any:
        """The renderer-neutral scene (``trimesh.Scene``): the avatar and one node per visible layer, with PBR
        materials; what the viewer, the renderer and the model export draw. Without an avatar: the layers that
        need no body (none), so an empty scene."""
        services = self._ws._services
        record = services.avatars.of_design(self._state.meta.avatar_id)
        return services.scene_of(self._state, record.body if record is not None else None)

    def export(self, type: str = "image", **options: Any) -> ExportHandle:
        """Queue an export of the design as it is now (later edits do not change it); returns a handle whose
        ``.wait()`` blocks with a progress bar.

        - ``image``: ``format`` (png, jpeg, webp), ``width``/``height`` (16..4096 px), ``view`` (front,
          three_quarter, left, back, right), ``quality`` (draft, standard, high), ``background`` ('#rrggbb' or
          'transparent').
        - ``video``: a turntable; ``format`` (mp4: H.264 yuv420p faststart, webm: VP9, gif), ``width``/``height``
          (16..1920 px, rounded down to even), ``fps`` (1..60), ``duration`` (0.5..60 s), ``degrees`` (of turn,
          default 360), ``view`` (where it starts), ``quality`` (draft default), ``background`` ('#rrggbb').
        - ``model``: ``format`` glb (binary glTF, PBR materials and textures) or obj (zip of OBJ + MTL + PNGs).
        - ``techpack``: a PDF (cover with hero render, views, line views, bill of materials, measurements with
          tolerances, layers with notes, the version it was made from, the sewing patterns); ``quality``.
        - ``pattern``: the sewing patterns of the visible garments; ``format`` dxf (DXF-AAMA), svg (true scale) or
          pdf (1:1 tiled, ``paper`` a4 | letter, 10 cm test square); ``size`` avatar (made to measure, default) or
          XS..4XL with ``sex`` female | male.
        """
        job = self._ws._services.exports.request(self._ws.user, self.id, type, options)
        return ExportHandle(self._ws, job)

    @property
    def exports(self) -> list[ExportJob]:
        return self._ws._services.exports.list(self.id)

    def patterns(self, size: str = "avatar", sex: str = "female") -> list[Any]:
        """The sewing patterns (:class:`fw_kernel.sewing.Pattern`) of the visible garments, made to measure for
        the avatar (``size="avatar"``) or graded to a standard size XS..4XL."""
        from .domain.exports import validate_export

        o = validate_export("pattern", {"size": size, "sex": sex})
        record = self._ws._services.avatars.of_design(self._state.meta.avatar_id)
        return self._ws._services.patterns_of(self._state, record.body if record is not None else None, o["size"],
                                              o["sex"])

    def show(self, **options: Any) -> Any:
        """The design studio widget (``fw_widgets.DesignStudio``): a live pythreejs viewport and panels for layers,
        inspector, catalog, avatar, history and exports. Needs the ``studio`` extra."""
        try:
            from fw_widgets import DesignStudio  # lazily: fw_kernel works without the widget libraries
        except ImportError as exc:
            raise ImportError("design.show() needs the studio widgets: pip install "
                              "'fashion-wallet-studio[studio]'") from exc
        return DesignStudio(self, **options)

    def recommendations(self, limit: int = 10) -> list[CatalogItem]:
        """Catalog items that go with this design's layers."""
        return self._ws.catalog.recommend(self, limit)

    def like(self) -> None:
        self._service.like(self._ws.user, self.id)

    def delete(self) -> None:
        """Soft-delete (owner only): hidden from lists and reads, kept in the store."""
        self._service.delete(self._ws.user, self.id)

    def __repr__(self) -> str:
        return (f"Design({self.name!r}, id={self.id!r}, version={self.version}, layers={len(self._state.layers)},"
                f" owner={self.owner!r})")
