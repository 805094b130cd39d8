"""The kernel's services over the design service's REST API: what ``fw.connect()`` wires inside a JupyterHub
single-user server, where the notebook holds the user's token and no database URL.

Each class here offers the methods the notebook API (``fw_kernel.api``) calls on the local services, so the same
``Workspace``, ``Design`` and ``Avatar`` handles work unchanged over HTTP. Edits travel as the REST calls of their
command; undo/redo are the service's (``X-FW-Session``: one session per connected workspace), and the handle's
local stacks hold :class:`RemoteStep` markers, one per step of the service's stacks. Refusals come
back as the kernel errors the service raised, with its message, field and allowed values.

Edits carry the version of the handle they were made on (``X-FW-Base-Version``): a stale handle's edit is
re-applied on the service when it touches nothing changed since, else refused with the same ``Conflict`` as a
local kernel's. Avatars from photos: the photos are read and checked here (the same errors as locally), sent
to the service, which measures and fits them (and keeps them, encrypted, with ``keep_photos``); this kernel
polls the process for its progress bar. Events come over the service's WebSocket
(``remote_events.py``).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urljoin

from ..bootstrap import Services
from ..domain.audit import AuditRecord
from ..domain.avatar import Avatar
from ..domain.catalog import CatalogItem, recommend
from ..domain.commands import (
    AddLayer,
    Command,
    Composite,
    RemoveLayer,
    ReorderLayers,
    UpdateCanvas,
    UpdateDesign,
    UpdateLayer,
    jsonable,
)
from ..domain.design import Design
from ..domain.errors import Conflict, FWError, LimitExceeded, NotFound, PermissionDenied, ValidationError
from ..domain.exports import ExportJob, validate_export
from ..domain.layer import Layer
from ..domain.records import Collaborator, Comment, HistoryEntry, Version
from ..domain.values import CanvasSettings, DesignMeta
from ..settings import Settings
from .remote_events import RemoteEvents

API = "api/v1"
SESSION_HEADER = "X-FW-Session"
BASE_HEADER = "X-FW-Base-Version"

#: the service's error kinds -> kernel errors (401 and 403 are both "you may not").
_ERRORS: dict[str, type[FWError]] = {
    "validation_error": ValidationError, "bad_request": ValidationError, "payload_too_large": ValidationError,
    "not_found": NotFound, "forbidden": PermissionDenied, "unauthorized": PermissionDenied, "conflict": Conflict,
    "limit_exceeded": LimitExceeded, "rate_limited": LimitExceeded,
}


class ServiceError(FWError):
    """The service failed (a 5xx or an unreadable answer), not a refusal of the call."""


class HttpClient:
    """JSON over ``requests`` with the user's token; error bodies become kernel errors."""

    def __init__(self, service_url: str, token: str, timeout_s: float = 120.0):
        try:
            import requests
        except ImportError as exc:  # pragma: no cover - requests comes with the server and remote extras
            raise ImportError("the design service client needs requests: pip install "
                              "'fashion-wallet-studio[remote]'") from exc
        self.service_url = service_url if service_url.endswith("/") else service_url + "/"
        self.api = urljoin(self.service_url, API)
        self.timeout_s = timeout_s
        self.session_id = uuid.uuid4().hex  # names this workspace's undo/redo stacks on the service
        self._http = requests.Session()
        self._http.headers["Authorization"] = f"token {token}"
        self._lock = threading.Lock()  # requests.Session is not documented thread-safe; the studio uses threads

    def call(self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None,
             session: bool = False, base: int | None = None) -> Any:
        headers = {SESSION_HEADER: self.session_id} if session else {}
        if base is not None:  # the version the edit was decided on: a stale one is checked by the service
            headers[BASE_HEADER] = str(int(base))
        query = {k: v for k, v in (params or {}).items() if v is not None}
        with self._lock:
            response = self._http.request(method, self.api + path, json=body, params=query, headers=headers,
                                          timeout=self.timeout_s)
        if response.status_code == 204:
            return None
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code >= 400:
            raise _error(response.status_code, data, response.headers.get("Retry-After"))
        return data

    def close(self) -> None:
        self._http.close()


def _error(status: int, data: Any, retry_after: str | None) -> FWError:
    """The kernel error of a refusal body ``{"error", "message", "field", "allowed"}``."""
    if not isinstance(data, dict) or "message" not in data:
        return ServiceError(f"the design service answered {status} without an error body")
    message = data["message"]
    if status == 429 and retry_after:
        message = f"{message} (retry after {retry_after} s)"
    cls = _ERRORS.get(data.get("error", ""), ServiceError if status >= 500 else FWError)
    return cls(message, field=data.get("field"), allowed=data.get("allowed"))


def _seg(value: Any) -> str:
    """One path segment (ids are the caller's input: a '/' must not reach another route)."""
    return quote(str(value), safe="")


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# -- records from JSON ---------------------------------------------------------------------------------------------
_META = tuple(DesignMeta.model_fields)


def design_of(data: dict[str, Any]) -> tuple[Design, str | None]:
    meta = DesignMeta.model_validate({k: data[k] for k in _META if k in data}, strict=False)
    counts = data.get("counts") or {}
    state = Design(
        id=data["id"], owner=data["owner"], meta=meta,
        canvas=CanvasSettings.model_validate(data["canvas"], strict=False),
        layers=tuple(Layer.model_validate(x, strict=False) for x in data["layers"]), version=data["version"],
        fork_from=data.get("fork_from"), view_count=counts.get("views", 0), like_count=counts.get("likes", 0),
        fork_count=counts.get("forks", 0), created_at=_time(data.get("created_at")),
        updated_at=_time(data.get("updated_at")))
    return state, data.get("role")


def item_of(data: dict[str, Any]) -> CatalogItem:
    return CatalogItem(**{**data, "tags": tuple(data["tags"])})


def avatar_of(data: dict[str, Any]) -> Avatar:
    return Avatar(id=data["id"], owner=data["owner"], name=data["name"], measurements=data["measurements"],
                  body_hint=data["body_hint"], created_at=_time(data.get("created_at")), source=data["source"],
                  requested=data["requested"], body=data["body"], confidence=data["confidence"])


def _version_of(data: dict[str, Any]) -> Version:
    # the snapshot stays on the service: diff() asks it for the operations
    return Version(design_id=data["design_id"], version_number=data["version_number"], message=data["message"],
                   snapshot={}, design_version=data["design_version"], created_by=data["created_by"],
                   created_at=_time(data["created_at"]))


def _collaborator_of(data: dict[str, Any]) -> Collaborator:
    return Collaborator(design_id=data["design_id"], user=data["user"], role=data["role"],
                        added_by=data["added_by"], created_at=_time(data["created_at"]))


def _comment_of(data: dict[str, Any]) -> Comment:
    return Comment(id=data["id"], design_id=data["design_id"], user=data["user"], text=data["text"],
                   layer_id=data.get("layer_id"), created_at=_time(data["created_at"]))


# -- designs -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RemoteStep(Command):
    """What the handle's undo/redo stacks hold over HTTP: one step of the service session's stacks."""

    action: str = "edit"


class RemoteDesignService:
    """The ``DesignService`` methods the notebook API calls, as REST calls."""

    def __init__(self, http: HttpClient, avatars: RemoteAvatarService):
        self._http = http
        self._avatars = avatars

    def _state(self, data: dict[str, Any]) -> tuple[Design, str | None]:
        state, role = design_of(data)
        if state.meta.avatar_id:
            self._avatars.seen(state.meta.avatar_id, state.id)
        return state, role

    def create(self, user: str, name: str, avatar_id: str | None = None, **fields: Any) -> Design:
        return self._state(self._http.call("POST", "/designs", {"name": name, "avatar_id": avatar_id, **fields}))[0]

    def open(self, user: str, design_id: str, count_view: bool = False) -> tuple[Design, str | None]:
        data = self._http.call("GET", f"/designs/{_seg(design_id)}",
                               params={"count_view": "true" if count_view else "false"})
        return self._state(data)

    def list(self, user: str) -> list[tuple[Design, str | None]]:
        return [self._state(d) for d in self._http.call("GET", "/designs")]

    def execute(self, user: str, state: Design, command: Command, action: str | None = None,
                extra: dict[str, Any] | None = None) -> tuple[Design, Command]:
        """Send one edit; returns the design as the service saved it and the marker of its undo step."""
        path = f"/designs/{_seg(state.id)}"
        if isinstance(command, RemoteStep):  # an undo or redo of this session's steps
            kind = "redo" if action == "redo" else "undo"
            answer = self._http.call("POST", f"{path}/{kind}", session=True, base=state.version)
            return self._state(answer["design"])[0], command
        self._send(path, command, state.version)
        return self.open(user, state.id)[0], RemoteStep(action=command.action)

    def _send(self, path: str, command: Command, base: int) -> None:
        """The REST call of one command (one undo step of the session on the service), decided on ``base``."""

        def call(method: str, url: str, body: Any = None, session: bool = True) -> Any:
            return self._http.call(method, url, body, session=session, base=base)

        if isinstance(command, AddLayer):
            layer = command.layer.model_dump(mode="json", exclude={"id", "order_index", "type", "catalog_item_id"})
            call("POST", f"{path}/layers", {**layer, "layer_id": command.layer.id,
                                            "item_id": command.layer.catalog_item_id,
                                            "type": command.layer.type, "index": command.index}, session=True)
        elif isinstance(command, UpdateLayer):
            call("PATCH", f"{path}/layers/{_seg(command.layer_id)}", jsonable(command.changes), session=True)
        elif isinstance(command, RemoveLayer):
            call("DELETE", f"{path}/layers/{_seg(command.layer_id)}", session=True)
        elif isinstance(command, ReorderLayers):
            call("PUT", f"{path}/layers/order", {"layer_ids": list(command.order)}, session=True)
        elif isinstance(command, UpdateDesign):
            call("PATCH", path, jsonable(command.changes), session=True)
        elif isinstance(command, UpdateCanvas):
            call("PATCH", path, {"canvas": jsonable(command.changes)}, session=True)
        elif isinstance(command, Composite) and command.action == "group_layers":
            call("PUT", f"{path}/layers/group", jsonable(command.data), session=True)
        else:
            raise ValidationError.bad("command", type(command).__name__, "an edit the design service offers")

    def restore(self, user: str, state: Design, version_number: int) -> tuple[Design, Command]:
        data = self._http.call("POST", f"/designs/{_seg(state.id)}/versions/{int(version_number)}/restore",
                               session=True, base=state.version)
        return self._state(data)[0], RemoteStep(action="restore")

    def fork(self, user: str, design_id: str, name: str | None = None) -> Design:
        return self._state(self._http.call("POST", f"/designs/{_seg(design_id)}/fork", {"name": name}
                                           if name is not None else {}))[0]

    def checkpoint(self, user: str, design_id: str, message: str = "") -> Version:
        return _version_of(self._http.call("POST", f"/designs/{_seg(design_id)}/versions", {"message": message}))

    def versions(self, user: str, design_id: str) -> list[Version]:
        return [_version_of(v) for v in self._http.call("GET", f"/designs/{_seg(design_id)}/versions")]

    def diff(self, user: str, design_id: str, a: int, b: int) -> list[dict[str, Any]]:
        for field, value in (("a", a), ("b", b)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValidationError.bad(field, value, "a version number (an integer)")
        return self._http.call("GET", f"/designs/{_seg(design_id)}/versions/{a}/diff/{b}")

    def history(self, user: str, design_id: str, limit: int | None = None) -> list[HistoryEntry]:
        entries = self._http.call("GET", f"/designs/{_seg(design_id)}/history", params={"limit": limit})
        return [HistoryEntry(design_id=design_id, version=e["version"], user=e["user"], action=e["action"],
                             data=e["data"], created_at=_time(e["created_at"])) for e in entries]

    def share(self, user: str, design_id: str, other: str, role: str = "viewer") -> Collaborator:
        return _collaborator_of(self._http.call("POST", f"/designs/{_seg(design_id)}/collaborators",
                                                {"user": other, "role": role}))

    def unshare(self, user: str, design_id: str, other: str) -> None:
        self._http.call("DELETE", f"/designs/{_seg(design_id)}/collaborators/{_seg(other)}")

    def collaborators(self, user: str, design_id: str) -> list[Collaborator]:
        return [_collaborator_of(c) for c in self._http.call("GET", f"/designs/{_seg(design_id)}/collaborators")]

    def comment(self, user: str, design_id: str, text: str, layer_id: str | None = None) -> Comment:
        return _comment_of(self._http.call("POST", f"/designs/{_seg(design_id)}/comments",
                                           {"text": text, "layer_id": layer_id}))

    def comments(self, user: str, design_id: str) -> list[Comment]:
        return [_comment_of(c) for c in self._http.call("GET", f"/designs/{_seg(design_id)}/comments")]

    def like(self, user: str, design_id: str) -> None:
        self._http.call("POST", f"/designs/{_seg(design_id)}/like")

    def delete(self, user: str, design_id: str) -> None:
        self._http.call("DELETE", f"/designs/{_seg(design_id)}")


# -- avatars, catalog, exports ---------------------------------------------------------------------------------------
class RemoteAvatarService:
    """Avatars are fitted by the service; the mesh is rebuilt here from the body parameters (``fitter``)."""

    def __init__(self, http: HttpClient, fitter: Any = None):
        self._http = http
        self.fitter = fitter
        self._design_of: dict[str, str] = {}  # avatar id -> a design that wears it (collaborators read it there)

    def seen(self, avatar_id: str, design_id: str) -> None:
        self._design_of[avatar_id] = design_id

    def create(self, user: str, name: str, measurements: dict[str, float], body_hint: str = "neutral") -> Avatar:
        return avatar_of(self._http.call("POST", "/avatars", {"name": name, "measurements": jsonable(measurements),
                                                              "body_hint": body_hint}))

    def get(self, user: str, avatar_id: str) -> Avatar:
        return avatar_of(self._http.call("GET", f"/avatars/{_seg(avatar_id)}"))

    def list(self, user: str) -> list[Avatar]:
        return [avatar_of(a) for a in self._http.call("GET", "/avatars")]

    def of_design(self, avatar_id: str | None) -> Avatar | None:
        if not avatar_id:
            return None
        design_id = self._design_of.get(avatar_id)
        try:
            if design_id is not None:
                return avatar_of(self._http.call("GET", f"/designs/{_seg(design_id)}/avatar"))
            return avatar_of(self._http.call("GET", f"/avatars/{_seg(avatar_id)}"))
        except NotFound:
            return None


class RemoteCatalogService:
    """The catalog through the service; items are kept for the session (the catalog changes with deployments)."""

    def __init__(self, http: HttpClient):
        self._http = http
        self._items: dict[str, CatalogItem] | None = None

    def _all(self) -> dict[str, CatalogItem]:
        if self._items is None:
            self._items = {i.id: i for i in map(item_of, self._http.call("GET", "/catalog/items"))}
        return self._items

    def find(self, item_id: str) -> CatalogItem | None:
        return self._all().get(item_id) if isinstance(item_id, str) else None

    def get(self, item_id: str) -> CatalogItem:
        found = self.find(item_id)
        return found if found is not None else item_of(self._http.call("GET", f"/catalog/items/{_seg(item_id)}"))

    def list(self, type: str | None = None) -> list[CatalogItem]:
        return [item_of(i) for i in self._http.call("GET", "/catalog/items", params={"type": type})]

    def search(self, text: str = "", *, type: str | None = None, tags: Any = (), max_price: float | None = None,
               availability: str | None = None, limit: int = 50) -> list[CatalogItem]:
        if isinstance(tags, str) or not all(isinstance(t, str) for t in tags):
            raise ValidationError.bad("tags", tags, "a list of tag strings")
        params = {"q": text, "type": type, "tags": ",".join(tags) or None, "max_price": max_price,
                  "availability": availability, "limit": limit}
        return [item_of(i) for i in self._http.call("GET", "/catalog/search", params=params)]

    def recommend(self, item_ids: Any, category: str, limit: int = 10) -> list[CatalogItem]:
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 100:
            raise ValidationError.bad("limit", limit, "an integer from 1 to 100")
        items = self._all()
        return recommend(list(items.values()), [items[i] for i in item_ids if i in items], category, limit)


class RemoteExportService:
    """Exports run on the service's workers; a completed job's ``file_url`` is its signed download link."""

    POLL_S = 0.25  # the handle polls every 50 ms; over HTTP that would eat the user's rate limit

    def __init__(self, http: HttpClient):
        self._http = http
        self._last: dict[str, float] = {}

    def _job(self, data: dict[str, Any]) -> ExportJob:
        url = data.get("download_url")
        return ExportJob(id=data["id"], design_id=data["design_id"], user=data["user"], type=data["type"],
                         options=data["options"], status=data["status"], progress=data["progress"],
                         file_url=urljoin(self._http.service_url, url) if url else None,
                         file_name=data.get("file_name"), file_size=data.get("file_size"), error=data.get("error"),
                         created_at=_time(data.get("created_at")), completed_at=_time(data.get("completed_at")),
                         expires_at=_time(data.get("expires_at")))

    def request(self, user: str, design_id: str, type: str, options: dict[str, Any]) -> ExportJob:
        validate_export(type, options)  # here too: the same message as a local kernel's, before any upload
        return self._job(self._http.call("POST", f"/designs/{_seg(design_id)}/exports",
                                         {"type": type, "options": jsonable(options)}))

    def get(self, job_id: str) -> ExportJob:
        wait = self._last.get(job_id, 0.0) + self.POLL_S - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last[job_id] = time.monotonic()
        return self._job(self._http.call("GET", f"/exports/{_seg(job_id)}"))

    def list(self, design_id: str) -> list[ExportJob]:
        return [self._job(j) for j in self._http.call("GET", f"/designs/{_seg(design_id)}/exports")]


class RemotePhotoAvatarService:
    """``PhotoAvatarService`` over HTTP: photos checked and decoded here, measured and fitted by the service."""

    POLL_S = 0.25

    def __init__(self, http: HttpClient):
        self._http = http

    @staticmethod
    def _upload(photo: Any, field: str) -> str:
        """The photo as the service will measure it: decoded here (upright, at most 1280 px; the same checks and
        errors as a local kernel), sent as a lossless PNG of those pixels, base64."""
        import base64
        import io

        from PIL import Image

        from .image_codec import decode_photo

        buf = io.BytesIO()
        Image.fromarray(decode_photo(photo, field)).save(buf, format="PNG", compress_level=1)
        return base64.b64encode(buf.getvalue()).decode()

    def from_photos(self, user: str, name: Any, front: Any, side: Any, height: Any, body_hint: Any = None,
                    weight: Any = None, corrections: Any = None,
                    progress: Callable[[int, str], None] | None = None, keep_photos: bool = False) -> Avatar:
        from ..services.photo_avatars import PhotoAvatarService

        PhotoAvatarService.check_request(name, height, body_hint, weight, corrections)  # before any upload
        body = {"name": name, "front": self._upload(front, "front"), "side": self._upload(side, "side"),
                "height": height, "body_hint": body_hint, "weight": weight,
                "corrections": jsonable(corrections) if corrections else None, "keep_photos": bool(keep_photos)}
        job = self._http.call("POST", "/avatars/from-photos", body)
        shown = -1
        while True:
            if progress is not None and job["progress"] != shown and job["status"] == "processing":
                shown = job["progress"]
                progress(shown, job["step"])
            if job["status"] == "completed":
                if progress is not None:
                    progress(100, "done")
                return avatar_of(job["avatar"])
            if job["status"] == "failed":
                raise _error(422 if job["error"].get("error") == "validation_error" else 500, job["error"], None)
            time.sleep(self.POLL_S)
            job = self._http.call("GET", f"/avatars/processes/{_seg(job['id'])}")

    def measure(self, front: Any, side: Any, height: Any, body_hint: str | None = None) -> dict[str, Any]:
        import base64
        import io

        import numpy as np
        from PIL import Image

        from ..services.photo_avatars import PhotoAvatarService
        from .image_codec import decode_photo

        PhotoAvatarService._check_height(height)  # in the local order: height, then each photo
        images = {"front": decode_photo(front, "front"), "side": decode_photo(side, "side")}
        body = {"front": self._upload(images["front"], "front"), "side": self._upload(images["side"], "side"),
                "height": height, "body_hint": body_hint}
        data = self._http.call("POST", "/avatars/measure-photos", body)
        found: dict[str, Any] = {k: data[k] for k in ("measurements", "confidence", "error_cm", "agreement")}
        for kind, image in images.items():
            view = data[kind]
            mask = np.asarray(Image.open(io.BytesIO(base64.b64decode(view["mask"]))), dtype=np.float32) / 255.0
            found[kind] = {"image": image, "landmarks": np.asarray(view["landmarks"], dtype=np.float64),
                           "mask": mask}
        return found

    def photos(self, user: str, avatar_id: str) -> dict[str, bytes]:
        import base64

        data = self._http.call("GET", f"/avatars/{_seg(avatar_id)}/photos")
        return {k: base64.b64decode(v) for k, v in data.items() if v}

    def delete_photos(self, user: str, avatar_id: str) -> int:
        return int(self._http.call("DELETE", f"/avatars/{_seg(avatar_id)}/photos")["deleted"])


class RemoteAuditService:
    """Who audited the user's own designs (``GET /designs/{id}/audit``)."""

    def __init__(self, http: HttpClient):
        self._http = http

    def of_design(self, user: str, design_id: str, limit: int = 100) -> list[AuditRecord]:
        found = self._http.call("GET", f"/designs/{_seg(design_id)}/audit", params={"limit": limit})
        return [AuditRecord(id=r["id"], admin=r["admin"], design_id=r["design_id"], owner=r["owner"],
                            endpoint=r["endpoint"], reason=r["reason"], created_at=_time(r["created_at"]))
                for r in found]


class _NoAutosave:
    """Every remote edit is saved by the service before it answers: nothing to flush here."""

    def run_once(self, force: bool = False) -> Any:
        return None

    def stop(self, flush: bool = True) -> None:
        pass


class RemoteServices(Services):
    """``Services`` whose designs, avatars, catalog and exports live behind the design service."""

    http: Any = None

    def close(self) -> None:
        if self.http is not None:
            self.http.close()
        self.cache.close()  # the events' WebSocket (remote_events.py)


def remote_services(service_url: str, token: str, fitter: Any = None) -> RemoteServices:
    """Services over the design service at ``service_url`` (its root: ``.../services/fw/`` on a hub) acting as
    the token's user. ``fitter``: rebuilds avatar meshes locally (default: the anny fitter, loaded on first use)."""
    http = HttpClient(service_url, token)
    me = http.call("GET", "/user")
    if fitter is None:
        from .body_anny import AnnyBodyFitter

        fitter = AnnyBodyFitter()
    avatars = RemoteAvatarService(http, fitter)
    settings = Settings(user=me["user"], autosave_thread=False)
    services = RemoteServices(settings, uow=None, documents=None, cache=RemoteEvents(http.api, token, me["user"]),  # type: ignore[arg-type]
                              designs=RemoteDesignService(http, avatars), avatars=avatars,  # type: ignore[arg-type]
                              catalog=RemoteCatalogService(http), autosaver=_NoAutosave())  # type: ignore[arg-type]
    services.exports = RemoteExportService(http)
    services.photo_avatars = RemotePhotoAvatarService(http)
    services.audit = RemoteAuditService(http)
    from .remote_metrics import RemoteMetricsService

    services.metrics = RemoteMetricsService(http)
    services.http = http
    return services
