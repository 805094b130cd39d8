"""An open design: edits, undo/redo, versions, people, scene and exports."""

from __future__ import annotations

import re
import threading
import warnings
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ..domain.audit import AuditRecord
from ..domain.catalog import CatalogItem, nothing_to_dress
from ..domain.commands import (
    AddLayer,
    Command,
    Composite,
    RemoveLayer,
    ReorderLayers,
    UpdateCanvas,
    UpdateDesign,
    UpdateLayer,
)
from ..domain.design import Design as DesignState
from ..domain.design import snapshot
from ..domain.errors import FWWarning, PermissionDenied, ValidationError
from ..domain.errors import NotFound as NotFoundError
from ..domain.exports import ExportJob
from ..domain.layer import Layer
from ..domain.permissions import RANK
from ..domain.records import Collaborator, Comment, HistoryEntry, Version
from ..domain.validation import validate
from ..services.clock import new_id
from ..usecases import DesignUseCases
from .exports import ExportHandle

if TYPE_CHECKING:
    from .workspace import Workspace


_LAYER_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
_ADD_LAYER_FIELDS = ("transform", "opacity", "blend_mode", "is_visible", "is_locked", "notes", "group")


class Design:
    """An open design. Edits are saved when the call returns; ``undo()``/``redo()`` step through this
    session's edits; ``refresh()`` pulls what collaborators changed."""

    def __init__(self, ws: Workspace, state: DesignState, role: str | None, service: DesignUseCases | None = None):
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
        from ..live import follow

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
        below = self._state.layers[:index] if index is not None else self._state.layers[:-1]
        reason = nothing_to_dress(found.type, custom.get("target"), [(x.id, x.type) for x in below])
        if reason is not None:  # saved as asked; the exported picture would show it on nothing
            warnings.warn(f"{found.name!r} added, but {reason}", FWWarning, stacklevel=2)
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

    def _check_may_edit(self, operation: str) -> None:
        """Undo and redo are edits: a viewer or commenter is refused even when there is nothing to undo."""
        if self._role is not None and RANK.get(self._role, 0) < RANK["editor"]:
            raise PermissionDenied(f"{self._ws.user!r} is {self._role} on design {self.meta.name!r}: {operation} "
                                   "needs editor or above", field="role", value=self._role,
                                   allowed="editor or above")

    def undo(self) -> bool:
        """Undo this session's last edit; False when there is nothing to undo."""
        with self._lock:
            if not self._undo:
                self._check_may_edit("undo")
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
                self._check_may_edit("redo")
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

    def scene(self, hide: Iterable[str] = ()) -> Any:
        """The renderer-neutral scene (``trimesh.Scene``): the avatar and one node per visible layer, with PBR
        materials; what the viewer, the renderer and the model export draw. Without an avatar: the layers that
        need no body (none), so an empty scene. ``hide``: ids of layers to leave out of this scene only (a view's
        choice, nothing is saved; a hidden fabric or print leaves its garment undressed)."""
        services = self._ws._services
        state = self._state
        hidden = set(hide)
        if hidden:
            state = state.with_layers([x.model_copy(update={"is_visible": False}) if x.id in hidden else x
                                       for x in state.layers])
        record = services.avatars.of_design(state.meta.avatar_id)
        return services.scene_of(state, record.body if record is not None else None)

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
        job = self._ws._exports().request(self._ws.user, self.id, type, options)
        return ExportHandle(self._ws, job)

    def drape(self, quality: str = "standard") -> ExportHandle:
        """Drape the visible garments on the avatar with the cloth solver (fabric weight, stretch and bending from
        the catalog), as a job on the export worker; returns its handle (``.wait()`` with a progress bar,
        ``.cancel()``). ``quality``: draft, standard or high (solver steps). The result is cached by the content of
        the inputs (patterns, body, fabrics, layer stack, quality, solver): the same inputs are never draped twice,
        and while a finished drape matches the design, :meth:`scene` and every export draw the draped garments
        (the fitted ones until then). Raises ``NothingToExport`` for a design without an avatar or a garment."""
        job = self._ws._exports().request(self._ws.user, self.id, "drape", {"quality": quality})
        return ExportHandle(self._ws, job)

    @property
    def exports(self) -> list[ExportJob]:
        return self._ws._exports().list(self.id)

    def patterns(self, size: str = "avatar", sex: str = "female") -> list[Any]:
        """The sewing patterns (:class:`fw_kernel.sewing.Pattern`) of the visible garments, made to measure for
        the avatar (``size="avatar"``) or graded to a standard size XS..4XL."""
        from ..domain.exports import validate_export

        o = validate_export("pattern", {"size": size, "sex": sex})
        record = self._ws._services.avatars.of_design(self._state.meta.avatar_id)
        return self._ws._services.patterns_of(self._state, record.body if record is not None else None, o["size"],
                                              o["sex"])

    def pattern_sheet(self, layer_id: str, width_cm: float = 170.0) -> Any:
        """The flat pattern of one garment layer, laid out as an SVG document (text, true proportions,
        ``width_cm`` of sheet), with the pattern it shows: ``(svg, pattern)``; ``(None, None)`` when the layer is
        hidden or is no garment."""
        layer = self.layer(layer_id)
        visible = [x for x in self._state.layers if x.type == "silhouette" and x.is_visible]
        if layer not in visible:
            return None, None
        pattern = next((p for x, p in zip(visible, self.patterns(), strict=False) if x.id == layer.id), None)
        if pattern is None:
            return None, None
        from ..adapters.pattern_svg import pattern_svg

        return pattern_svg(pattern, width_cm=width_cm), pattern

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

    # -- publishing ----------------------------------------------------------------------------------------
    def publish(self, to: str = "team") -> None:
        """Publish the design (owner only): ``to="team"`` makes it readable by everyone signed in to the hub (the
        gallery shows it), ``"public"`` by anyone with its link; nobody may edit it but its collaborators.
        Recorded in the history and the event log (``design_published``); not an undo step."""
        with self._lock:
            self._state = self._service.publish(self._ws.user, self.id, to)
        self._notify("publish")

    def unpublish(self) -> None:
        """Make it a private draft again (owner only): gone from the gallery on its next refresh."""
        with self._lock:
            self._state = self._service.unpublish(self._ws.user, self.id)
        self._notify("unpublish")

    @property
    def published(self) -> str | None:
        """Who it is published to: "team", "public", or None (a draft, or shared with collaborators only)."""
        meta = self._state.meta
        if meta.visibility == "public":
            return "public"
        return "team" if meta.visibility == "shared" and meta.status == "published" else None

    def thumbnail(self, size: int = 256) -> bytes:
        """A ``size`` x ``size`` PNG (three-quarter view) of the design as it is now, from the render cache
        (rendered once per state; no export job): what the gallery shows."""
        return self._ws._exports().thumbnail(self._ws.user, self.id, size)

    def delete(self) -> None:
        """Soft-delete (owner only): hidden from lists and reads, kept in the store."""
        self._service.delete(self._ws.user, self.id)

    def __repr__(self) -> str:
        return (f"Design({self.name!r}, id={self.id!r}, version={self.version}, layers={len(self._state.layers)},"
                f" owner={self.owner!r})")
