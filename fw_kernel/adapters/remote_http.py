"""The kernel's services over the design service's REST API: what ``fw.connect()`` wires inside a JupyterHub
single-user server, where the notebook holds the user's token and no database URL.

Each class here implements a use-case Protocol of ``fw_kernel.usecases`` (what the notebook API calls), so the same
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

import builtins
import dataclasses
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from .. import wire
from ..domain.audit import AuditRecord
from ..domain.avatar import Avatar
from ..domain.catalog import CatalogItem, recommend
from ..domain.commands import Command, jsonable
from ..domain.design import Design
from ..domain.errors import NotFound, ValidationError
from ..domain.exports import ExportJob, validate_export
from ..domain.records import Collaborator, Comment, HistoryEntry, Version
from ..ports import BodyFitter
from ..scene.maker import SceneMaker
from ..services.drape import RemoteDrapes
from ..settings import Settings
from .remote_events import RemoteEvents
from .remote_metrics import RemoteMetricsService

API = wire.API_PATH
SESSION_HEADER = wire.SESSION_HEADER
BASE_HEADER = wire.BASE_HEADER
RETURN_HEADER = wire.RETURN_HEADER
RETURNED_HEADER = wire.RETURNED_HEADER
ServiceError = wire.ServiceError
_error = wire.error_of
_seg = wire.segment
_time = wire._time
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
             session: bool = False, base: int | None = None, returned: dict[str, str] | None = None) -> Any:
        """One call; ``returned``: ask for the whole design back (``X-FW-Return``) and fill it with the
        answer's ``X-FW-Returned`` header (empty from a service that answers edits as before)."""
        headers = {SESSION_HEADER: self.session_id} if session else {}
        if base is not None:  # the version the edit was decided on: a stale one is checked by the service
            headers[BASE_HEADER] = str(int(base))
        if returned is not None:
            headers[RETURN_HEADER] = "design"
        query = {k: v for k, v in (params or {}).items() if v is not None}
        with self._lock:
            response = self._http.request(method, self.api + path, json=body, params=query, headers=headers,
                                          timeout=self.timeout_s)
        if returned is not None and response.headers.get(RETURNED_HEADER):
            returned[RETURNED_HEADER] = response.headers[RETURNED_HEADER]
        if response.status_code == 204:
            return None
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code >= 400:
            raise _error(response.status_code, data, response.headers.get("Retry-After"))
        return data

    def raw(self, method: str, path: str, params: dict[str, Any] | None = None, json: Any = None) -> bytes | None:
        """The body of a binary answer (a file); None for a 404, other refusals raised as kernel errors."""
        with self._lock:
            response = self._http.request(method, self.api + path, params=params, json=json, timeout=self.timeout_s)
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            try:
                data = response.json()
            except ValueError:
                data = None
            raise _error(response.status_code, data, response.headers.get("Retry-After"))
        return bytes(response.content)

    def close(self) -> None:
        self._http.close()


# -- records from JSON (fw_kernel.wire) ------------------------------------------------------------------------------
design_of = wire.design_of
item_of = wire.item_of
avatar_of = wire.avatar_of
_version_of = wire.version_of
_collaborator_of = wire.collaborator_of
_comment_of = wire.comment_of


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
        saved = self._send(path, command, state.version)
        if saved is None:  # a service that does not answer with the design: read it
            saved = self.open(user, state.id)[0]
        return saved, RemoteStep(action=command.action)

    def _send(self, path: str, command: Command, base: int) -> Design | None:
        """The REST call of one command (one undo step of the session on the service), decided on ``base``;
        the design as saved when the service sent it back (``X-FW-Return``)."""
        request = wire.edit_request(command)
        returned: dict[str, str] = {}
        data = self._http.call(request.method, path + request.path, request.body, session=True, base=base,
                               returned=returned)
        if returned.get(RETURNED_HEADER) == "design" and isinstance(data, dict):
            return self._state(data)[0]
        return None

    def restore(self, user: str, state: Design, version_number: int) -> tuple[Design, Command]:
        data = self._http.call("POST", f"/designs/{_seg(state.id)}/versions/{int(version_number)}/restore",
                               session=True, base=state.version)
        return self._state(data)[0], RemoteStep(action="restore")

    def fork(self, user: str, design_id: str, name: str | None = None) -> Design:
        return self._state(self._http.call("POST", f"/designs/{_seg(design_id)}/fork", {"name": name}
                                           if name is not None else {}))[0]

    def checkpoint(self, user: str, design_id: str, message: str = "") -> Version:
        return _version_of(self._http.call("POST", f"/designs/{_seg(design_id)}/versions", {"message": message}))

    def versions(self, user: str, design_id: str) -> builtins.list[Version]:
        return [_version_of(v) for v in self._http.call("GET", f"/designs/{_seg(design_id)}/versions")]

    def diff(self, user: str, design_id: str, a: int, b: int) -> builtins.list[dict[str, Any]]:
        for field, value in (("a", a), ("b", b)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValidationError.bad(field, value, "a version number (an integer)")
        return self._http.call("GET", f"/designs/{_seg(design_id)}/versions/{a}/diff/{b}")

    def history(self, user: str, design_id: str, limit: int | None = None) -> builtins.list[HistoryEntry]:
        entries = self._http.call("GET", f"/designs/{_seg(design_id)}/history", params={"limit": limit})
        return [wire.history_of(design_id, e) for e in entries]

    def share(self, user: str, design_id: str, other: str, role: str = "viewer") -> Collaborator:
        return _collaborator_of(self._http.call("POST", f"/designs/{_seg(design_id)}/collaborators",
                                                {"user": other, "role": role}))

    def unshare(self, user: str, design_id: str, other: str) -> None:
        self._http.call("DELETE", f"/designs/{_seg(design_id)}/collaborators/{_seg(other)}")

    def collaborators(self, user: str, design_id: str) -> builtins.list[Collaborator]:
        return [_collaborator_of(c) for c in self._http.call("GET", f"/designs/{_seg(design_id)}/collaborators")]

    def comment(self, user: str, design_id: str, text: str, layer_id: str | None = None) -> Comment:
        return _comment_of(self._http.call("POST", f"/designs/{_seg(design_id)}/comments",
                                           {"text": text, "layer_id": layer_id}))

    def comments(self, user: str, design_id: str) -> builtins.list[Comment]:
        return [_comment_of(c) for c in self._http.call("GET", f"/designs/{_seg(design_id)}/comments")]

    def like(self, user: str, design_id: str) -> None:
        self._http.call("POST", f"/designs/{_seg(design_id)}/like")

    def delete(self, user: str, design_id: str) -> None:
        self._http.call("DELETE", f"/designs/{_seg(design_id)}")

    def publish(self, user: str, design_id: str, to: Any = "team") -> Design:
        return self._state(self._http.call("POST", f"/designs/{_seg(design_id)}/publish", {"to": to}))[0]

    def unpublish(self, user: str, design_id: str) -> Design:
        return self._state(self._http.call("POST", f"/designs/{_seg(design_id)}/unpublish"))[0]

    def published(self, user: str) -> builtins.list[Design]:
        return [self._state(d)[0] for d in self._http.call("GET", "/gallery")]


# -- avatars, catalog, exports ---------------------------------------------------------------------------------------
class RemoteAvatarService:
    """Avatars are fitted by the service; the mesh is rebuilt here from the body parameters (``fitter``)."""

    def __init__(self, http: HttpClient, fitter: BodyFitter | None = None):
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

    def update(self, user: str, avatar_id: str, name: Any = None, measurements: Any = None,
               body_hint: Any = None) -> Avatar:
        given = {k: v for k, v in (("name", name), ("measurements", measurements), ("body_hint", body_hint))
                 if v is not None}
        return avatar_of(self._http.call("PATCH", f"/avatars/{_seg(avatar_id)}", jsonable(given)))

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
        self._thumbnails: dict[str, bytes | None] = {}

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
               availability: str | None = None, limit: int = 50) -> builtins.list[CatalogItem]:
        if isinstance(tags, str) or not all(isinstance(t, str) for t in tags):
            raise ValidationError.bad("tags", tags, "a list of tag strings")
        params = {"q": text, "type": type, "tags": ",".join(tags) or None, "max_price": max_price,
                  "availability": availability, "limit": limit}
        return [item_of(i) for i in self._http.call("GET", "/catalog/search", params=params)]

    def thumbnail(self, item_id: str) -> bytes | None:
        """The service's thumbnail of an item (its catalog, not the bundled files), kept for the session."""
        if item_id not in self._thumbnails:
            item = self.get(item_id)
            self._thumbnails[item_id] = (self._http.raw("GET", f"/catalog/items/{_seg(item.id)}/thumbnail")
                                         if item.thumbnail else None)
        return self._thumbnails[item_id]

    def recommend(self, item_ids: Any, category: str, limit: int = 10) -> builtins.list[CatalogItem]:
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

    def cancel(self, user: str, job_id: str) -> ExportJob:
        return self._job(self._http.call("POST", f"/exports/{_seg(job_id)}/cancel"))

    def finished_drape(self, user: str, design_id: str, stack: Any) -> bytes | None:
        return self._http.raw("POST", f"/designs/{_seg(design_id)}/drapes/find", json={"stack": list(stack)})

    def thumbnail(self, user: str, design_id: str, size: Any = 256) -> bytes:
        if isinstance(size, bool) or not isinstance(size, int) or not 32 <= size <= 1024:
            raise ValidationError.bad("size", size, "an integer from 32 to 1024 (pixels)")
        data = self._http.raw("GET", f"/designs/{_seg(design_id)}/thumbnail", params={"size": size})
        if data is None:
            raise NotFound(f"design {design_id!r} does not exist or is not shared with {user!r}",
                           field="design_id", value=design_id)
        return data


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

        from ..geometry.photo.measure import to_check
        from ..services.photo_avatars import PhotoAvatarService
        from .image_codec import decode_photo

        PhotoAvatarService._check_height(height)  # in the local order: height, then each photo
        images = {"front": decode_photo(front, "front"), "side": decode_photo(side, "side")}
        body = {"front": self._upload(images["front"], "front"), "side": self._upload(images["side"], "side"),
                "height": height, "body_hint": body_hint}
        data = self._http.call("POST", "/avatars/measure-photos", body)
        found: dict[str, Any] = {k: data[k] for k in ("measurements", "confidence", "error_cm", "agreement")}
        # as a local kernel lists them (a service from before check_with_tape: from the confidences)
        found["check_with_tape"] = list(data["check_with_tape"]) if "check_with_tape" in data \
            else to_check(data["confidence"])
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
                            endpoint=r["endpoint"], reason=r["reason"],
                            created_at=wire._required_time(r["created_at"]))
                for r in found]


class _NoAutosave:
    """Every remote edit is saved by the service before it answers: nothing to flush here."""

    def run_once(self, force: bool = False) -> Any:
        return None

    def stop(self, flush: bool = True) -> None:
        pass


@dataclass(frozen=True, eq=False)
class RemoteServices:
    """The use cases (:class:`~fw_kernel.usecases.UseCases`) behind the design service: designs, avatars, catalog,
    exports and audits as REST calls, events over its WebSocket. Auto-save is the service's."""

    settings: Settings
    http: HttpClient
    designs: RemoteDesignService
    avatars: RemoteAvatarService
    catalog: RemoteCatalogService
    exports: RemoteExportService
    photo_avatars: RemotePhotoAvatarService
    audit: RemoteAuditService
    events: RemoteEvents
    scenes: SceneMaker  # meshes are rebuilt here from the body parameters the service sends
    metrics: RemoteMetricsService  # ws.metrics: the service's DataFrames (rows as the service scopes them)
    autosaver: _NoAutosave = dataclasses.field(default_factory=lambda: _NoAutosave())

    @property
    def cache(self) -> RemoteEvents:
        """The events port under the local services' name (it is no state cache: that is the service's)."""
        return self.events

    def scene_builder(self) -> Any:
        return self.scenes.builder()

    def patterns_of(self, design: Design, body: Mapping[str, Any] | None, size: str = "avatar",
                    sex: str = "female") -> list[Any]:
        """Drafted here, from the body parameters the service sends (like the meshes)."""
        return self.scenes.patterns_of(design, body, size, sex)

    def scene_of(self, design: Design, body: Mapping[str, Any] | None) -> Any:
        return self.scenes.scene_of(design, body)

    def describe(self) -> str:
        return f"service={self.http.service_url!r}"

    def close(self) -> None:
        self.http.close()
        self.events.close()  # the events' WebSocket (remote_events.py)


def remote_services(service_url: str, token: str, fitter: BodyFitter | None = None) -> RemoteServices:
    """Services over the design service at ``service_url`` (its root: ``.../services/fw/`` on a hub) acting as
    the token's user. ``fitter``: rebuilds avatar meshes locally (default: the anny fitter, loaded on first use)."""
    http = HttpClient(service_url, token)
    me = http.call("GET", "/user")
    if fitter is None:
        from .body_anny import AnnyBodyFitter

        fitter = AnnyBodyFitter()
    avatars = RemoteAvatarService(http, fitter)
    exports = RemoteExportService(http)
    catalog = RemoteCatalogService(http)
    return RemoteServices(settings=Settings(user=me["user"], autosave_thread=False), http=http,
                          designs=RemoteDesignService(http, avatars), avatars=avatars, catalog=catalog,
                          exports=exports, photo_avatars=RemotePhotoAvatarService(http),
                          audit=RemoteAuditService(http), events=RemoteEvents(http.api, token, me["user"]),
                          scenes=SceneMaker(lambda: avatars.fitter, catalog.find,
                                            RemoteDrapes(exports, me["user"])),
                          metrics=RemoteMetricsService(http))
