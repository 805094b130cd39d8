"""The design service's wire format, shared by the service (``fw_server``) and its clients (``adapters/remote_*``).

One module for what both sides must agree on, so that they agree by construction rather than by convention:

- the API path and the headers (:data:`SESSION_HEADER`, :data:`BASE_HEADER`);
- the WebSocket event names (``Literal`` types), the kernel event type <-> service event name maps both ways,
  and the kernel event channel <-> subscription (namespace, id) maps both ways;
- the error kinds of a refusal body and the kernel errors they stand for;
- the JSON of designs, layers, versions, history entries, collaborators, comments, avatars and catalog items,
  both ways (``*_fields``: what the service answers; ``*_of``: the record a client rebuilds from it);
- the REST request of each edit command (a registry from command type to request).

Plain Python over the domain (no HTTP or WebSocket library): the round trips are tested in ``tests/test_wire.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal, TypedDict, TypeVar, cast
from urllib.parse import quote

from .domain.avatar import Avatar
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
    jsonable,
)
from .domain.design import Design
from .domain.errors import Conflict, FWError, LimitExceeded, NotFound, PermissionDenied, ValidationError
from .domain.layer import Layer
from .domain.records import Collaborator, Comment, HistoryEntry, Version
from .domain.values import CanvasSettings, DesignMeta

# -- paths and headers -------------------------------------------------------------------------------------------
API_PATH: Final = "api/v1"
"""The REST API under the service's root (``{root}/api/v1``); the events WebSocket is ``{api}/events``."""
SESSION_HEADER: Final = "X-FW-Session"
"""Names the client session whose undo/redo stacks an edit joins (one per connected workspace)."""
BASE_HEADER: Final = "X-FW-Base-Version"
"""The design version an edit was decided on: a stale one is re-applied when nothing it touches changed."""
RETURN_HEADER: Final = "X-FW-Return"
"""``design`` on an edit: answer with the whole design as saved (what ``GET /designs/{id}`` would return), so a
client that keeps the design's state needs one request per edit, not the edit and a read."""
RETURNED_HEADER: Final = "X-FW-Returned"
"""``design`` on an answer that honoured :data:`RETURN_HEADER` (a service without it answers as before)."""


def segment(value: object) -> str:
    """One URL path segment (ids are the caller's input: a '/' must not reach another route)."""
    return quote(str(value), safe="")


# -- events ------------------------------------------------------------------------------------------------------
Namespace = Literal["/design", "/avatar", "/catalog"]
NAMESPACES: Final[tuple[Namespace, ...]] = ("/design", "/avatar", "/catalog")
DesignEventName = Literal["design_updated", "layer_added", "layer_removed", "collaborator_joined",
                          "collaborator_left", "cursor_moved"]
AvatarEventName = Literal["processing_started", "processing_progress", "processing_complete", "processing_error"]
CatalogEventName = Literal["new_items", "price_updated", "stock_changed"]
Action = Literal["subscribe", "unsubscribe", "cursor"]
ACTIONS: Final[tuple[Action, ...]] = ("subscribe", "unsubscribe", "cursor")

AVATARS_CHANNEL: Final = "avatars/"
"""Prefix of a user's avatar event channel (``avatars/{user}``, what ``PhotoAvatarService`` publishes on)."""
CATALOG_CHANNEL: Final = "catalog"
"""The catalog's event channel (new items, prices, stock)."""

#: kernel event types with a /design event name of their own; every other type is ``design_updated`` with the
#: kernel type as its ``action``.
SERVICE_EVENT_OF: Final[dict[str, DesignEventName]] = {
    "add_layer": "layer_added", "remove_layer": "layer_removed", "collaborator_joined": "collaborator_joined",
    "collaborator_left": "collaborator_left", "cursor_moved": "cursor_moved"}
#: the other way: a /design event name -> the kernel event type (``design_updated`` carries it as ``action``).
KERNEL_EVENT_OF: Final[dict[str, str]] = {name: kind for kind, name in SERVICE_EVENT_OF.items()}

Key = tuple[Namespace, str]
"""A subscription: (namespace, id): ("/design", design id), ("/avatar", user), ("/catalog", "")."""


class KernelEvent(TypedDict, total=False):
    """What the kernel publishes on a design channel (``StateCache.publish``) and subscribers get."""

    type: str
    design_id: str | None
    version: int | None
    user: str | None
    data: dict[str, Any]
    at: str | None


class EventMessage(TypedDict, total=False):
    """A service -> client WebSocket event."""

    namespace: Namespace
    event: str
    design_id: str
    user: str | None
    version: int | None
    at: str | None
    data: Any
    action: str


class SubscriptionRequest(TypedDict, total=False):
    """A client -> service (un)subscription (``action`` added when sent)."""

    action: Action
    namespace: Namespace
    design_id: str


def avatars_channel(user: str) -> str:
    return AVATARS_CHANNEL + user


def channel_id(key: Key) -> str:
    """The kernel event channel (``StateCache.publish`` id) of a subscription key."""
    namespace, ident = key
    if namespace == "/design":
        return ident
    if namespace == "/avatar":
        return avatars_channel(ident)
    return CATALOG_CHANNEL


def key_of(channel: str) -> Key:
    """The subscription key of a kernel event channel (the inverse of :func:`channel_id`)."""
    if channel.startswith(AVATARS_CHANNEL):
        return ("/avatar", channel[len(AVATARS_CHANNEL):])
    if channel == CATALOG_CHANNEL:
        return ("/catalog", "")
    return ("/design", channel)


def channel_request(channel: str) -> SubscriptionRequest:
    """The service subscription (namespace and design id) of a kernel event channel, as a client sends it (the
    service answers ``/avatar`` with the token's own avatars)."""
    namespace, ident = key_of(channel)
    if namespace == "/design":
        return {"namespace": namespace, "design_id": ident}
    return {"namespace": namespace}


def channel_of(message: dict[str, Any], user: str) -> str | None:
    """The kernel channel a service event message belongs to, for a client connected as ``user``."""
    namespace = message.get("namespace")
    if namespace == "/design":
        design_id = message.get("design_id")
        return design_id if isinstance(design_id, str) else None
    if namespace == "/avatar":
        return avatars_channel(user)
    if namespace == "/catalog":
        return CATALOG_CHANNEL
    return None


def to_message(key: Key, event: dict[str, Any]) -> EventMessage:
    """A kernel event as the service's namespaced WebSocket message."""
    namespace, ident = key
    kind = str(event.get("type", "event"))
    if namespace == "/design":
        name = SERVICE_EVENT_OF.get(kind, "design_updated")
        message: EventMessage = {"namespace": namespace, "event": name, "design_id": ident, "user": event.get("user"),
                                 "version": event.get("version"), "at": event.get("at"),
                                 "data": event.get("data", {})}
        if name == "design_updated":
            message["action"] = kind
        return message
    return {"namespace": namespace, "event": kind, "data": event}


def kernel_event(message: dict[str, Any]) -> KernelEvent:
    """A service event message back in the kernel's form (the inverse of :func:`to_message`)."""
    if message.get("namespace") != "/design":
        data = message.get("data")
        return cast(KernelEvent, data) if isinstance(data, dict) else {"type": str(message.get("event"))}
    name = str(message.get("event"))
    kind = message.get("action") if name == "design_updated" else KERNEL_EVENT_OF.get(name, name)
    return {"type": str(kind), "design_id": message.get("design_id"), "version": message.get("version"),
            "user": message.get("user"), "data": message.get("data") or {}, "at": message.get("at")}


# -- errors ------------------------------------------------------------------------------------------------------
#: the service's error kinds -> kernel errors (401 and 403 are both "you may not").
KERNEL_ERROR_OF: Final[dict[str, type[FWError]]] = {
    "validation_error": ValidationError, "bad_request": ValidationError, "payload_too_large": ValidationError,
    "not_found": NotFound, "forbidden": PermissionDenied, "unauthorized": PermissionDenied, "conflict": Conflict,
    "limit_exceeded": LimitExceeded, "rate_limited": LimitExceeded,
}


class ServiceError(FWError):
    """The service failed (a 5xx or an unreadable answer), not a refusal of the call."""


def error_of(status: int, data: Any, retry_after: str | None = None) -> FWError:
    """The kernel error of a refusal body ``{"error", "message", "field", "allowed"}``."""
    if not isinstance(data, dict) or "message" not in data:
        return ServiceError(f"the design service answered {status} without an error body")
    message = str(data["message"])
    if status == 429 and retry_after:
        message = f"{message} (retry after {retry_after} s)"
    cls = KERNEL_ERROR_OF.get(str(data.get("error", "")), ServiceError if status >= 500 else FWError)
    return cls(message, field=data.get("field"), allowed=data.get("allowed"))


# -- records -----------------------------------------------------------------------------------------------------
def _time(value: str | datetime | None) -> datetime | None:
    if isinstance(value, datetime) or value is None:
        return value
    return datetime.fromisoformat(value) if value else None


def _required_time(value: str | datetime) -> datetime:
    found = _time(value)
    if found is None:
        raise ValueError("a timestamp is required")
    return found


_META: Final = tuple(DesignMeta.model_fields)


def design_fields(state: Design, role: str | None) -> dict[str, Any]:
    """What the service answers for a design (the fields of ``DesignOut``; canvas and layers as models)."""
    meta = state.meta
    return {"id": state.id, "owner": state.owner, "role": role, "version": state.version, "name": meta.name,
            "description": meta.description, "avatar_id": meta.avatar_id, "category": meta.category,
            "tags": list(meta.tags), "occasion": meta.occasion, "season": meta.season, "status": meta.status,
            "visibility": meta.visibility, "fork_from": state.fork_from,
            "counts": {"views": state.view_count, "likes": state.like_count, "forks": state.fork_count},
            "created_at": state.created_at, "updated_at": state.updated_at, "canvas": state.canvas,
            "layers": list(state.layers)}


def design_of(data: dict[str, Any]) -> tuple[Design, str | None]:
    """The design state and the caller's role from the service's JSON of a design."""
    meta = DesignMeta.model_validate({k: data[k] for k in _META if k in data}, strict=False)
    counts = data.get("counts") or {}
    state = Design(
        id=data["id"], owner=data["owner"], meta=meta,
        canvas=CanvasSettings.model_validate(data["canvas"], strict=False),
        layers=tuple(layer_of(x) for x in data["layers"]), version=data["version"],
        fork_from=data.get("fork_from"), view_count=counts.get("views", 0), like_count=counts.get("likes", 0),
        fork_count=counts.get("forks", 0), created_at=_time(data.get("created_at")),
        updated_at=_time(data.get("updated_at")))
    return state, data.get("role")


def layer_json(layer: Layer) -> dict[str, Any]:
    return layer.model_dump(mode="json")


def layer_of(data: dict[str, Any]) -> Layer:
    return Layer.model_validate(data, strict=False)


def version_fields(version: Version) -> dict[str, Any]:
    """A version without its snapshot (``diff`` asks the service for operations)."""
    return {"design_id": version.design_id, "version_number": version.version_number, "message": version.message,
            "design_version": version.design_version, "created_by": version.created_by,
            "created_at": version.created_at}


def version_of(data: dict[str, Any]) -> Version:
    return Version(design_id=data["design_id"], version_number=data["version_number"], message=data["message"],
                   snapshot={}, design_version=data["design_version"], created_by=data["created_by"],
                   created_at=_required_time(data["created_at"]))


def history_fields(entry: HistoryEntry) -> dict[str, Any]:
    return {"version": entry.version, "user": entry.user, "action": entry.action, "data": entry.data,
            "created_at": entry.created_at}


def history_of(design_id: str, data: dict[str, Any]) -> HistoryEntry:
    return HistoryEntry(design_id=design_id, version=data["version"], user=data["user"], action=data["action"],
                        data=data["data"], created_at=_required_time(data["created_at"]))


def collaborator_fields(c: Collaborator) -> dict[str, Any]:
    return {"design_id": c.design_id, "user": c.user, "role": c.role, "added_by": c.added_by,
            "created_at": c.created_at}


def collaborator_of(data: dict[str, Any]) -> Collaborator:
    return Collaborator(design_id=data["design_id"], user=data["user"], role=data["role"],
                        added_by=data["added_by"], created_at=_required_time(data["created_at"]))


def comment_fields(c: Comment) -> dict[str, Any]:
    return {"id": c.id, "design_id": c.design_id, "user": c.user, "text": c.text, "layer_id": c.layer_id,
            "created_at": c.created_at}


def comment_of(data: dict[str, Any]) -> Comment:
    return Comment(id=data["id"], design_id=data["design_id"], user=data["user"], text=data["text"],
                   layer_id=data.get("layer_id"), created_at=_required_time(data["created_at"]))


def item_of(data: dict[str, Any]) -> CatalogItem:
    return CatalogItem(**{**data, "tags": tuple(data["tags"])})


def avatar_of(data: dict[str, Any]) -> Avatar:
    return Avatar(id=data["id"], owner=data["owner"], name=data["name"], measurements=data["measurements"],
                  body_hint=data["body_hint"], created_at=_time(data.get("created_at")), source=data["source"],
                  requested=data["requested"], body=data["body"], confidence=data["confidence"])


# -- edits as requests -------------------------------------------------------------------------------------------
Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]


@dataclass(frozen=True)
class EditRequest:
    """The REST call of one edit command, relative to ``/designs/{design_id}``."""

    method: Method
    path: str          # "" (the design itself), "/layers", "/layers/{id}", ...
    body: Any = None


C = TypeVar("C", bound=Command)
_REQUESTS: dict[type[Command], Callable[[Any], EditRequest]] = {}


def registers(kind: type[C]) -> Callable[[Callable[[C], EditRequest]], Callable[[C], EditRequest]]:
    """Register the request of a command type (exact type: a subclass needs its own)."""

    def register(fn: Callable[[C], EditRequest]) -> Callable[[C], EditRequest]:
        _REQUESTS[kind] = fn
        return fn

    return register


def edit_request(command: Command) -> EditRequest:
    """The REST call of an edit; ``ValidationError`` for a command the design service does not offer."""
    build = _REQUESTS.get(type(command))
    if build is None:
        raise ValidationError.bad("command", type(command).__name__, "an edit the design service offers")
    return build(command)


def request_commands() -> tuple[type[Command], ...]:
    """The command types that have a request (for the tests and the documentation)."""
    return tuple(_REQUESTS)


@registers(AddLayer)
def _add_layer(c: AddLayer) -> EditRequest:
    layer = c.layer.model_dump(mode="json", exclude={"id", "order_index", "type", "catalog_item_id"})
    return EditRequest("POST", "/layers", {**layer, "layer_id": c.layer.id, "item_id": c.layer.catalog_item_id,
                                           "type": c.layer.type, "index": c.index})


@registers(UpdateLayer)
def _update_layer(c: UpdateLayer) -> EditRequest:
    return EditRequest("PATCH", f"/layers/{segment(c.layer_id)}", jsonable(c.changes))


@registers(RemoveLayer)
def _remove_layer(c: RemoveLayer) -> EditRequest:
    return EditRequest("DELETE", f"/layers/{segment(c.layer_id)}")


@registers(ReorderLayers)
def _reorder_layers(c: ReorderLayers) -> EditRequest:
    return EditRequest("PUT", "/layers/order", {"layer_ids": list(c.order)})


@registers(UpdateDesign)
def _update_design(c: UpdateDesign) -> EditRequest:
    return EditRequest("PATCH", "", jsonable(c.changes))


@registers(UpdateCanvas)
def _update_canvas(c: UpdateCanvas) -> EditRequest:
    return EditRequest("PATCH", "", {"canvas": jsonable(c.changes)})


@registers(Composite)
def _composite(c: Composite) -> EditRequest:
    if c.action != "group_layers":  # the only composite the notebook API makes
        raise ValidationError.bad("command", type(c).__name__, "an edit the design service offers")
    return EditRequest("PUT", "/layers/group", jsonable(c.data))
