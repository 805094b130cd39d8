"""GraphQL at ``{prefix}/graphql`` beside REST: the seed's schema extended to the model (strawberry-graphql,
framework-agnostic ``schema.execute``/``subscribe`` inside the Tornado app).

- Queries and mutations go through the REST endpoints of :mod:`fw_server.routes` (the same request models, kernel
  calls, permissions and events); a refusal is a GraphQL error whose ``message`` is the REST body's and whose
  ``extensions`` carry its ``code`` (the REST ``error`` kind: ``not_found``, ``forbidden``, ``validation_error``...),
  ``status``, ``field`` and ``allowed``.
- A design's ``versions``, ``collaborators`` and ``avatar`` are batched per request (strawberry DataLoaders over
  ``DesignService.versions_many``/``collaborators_many`` and ``AvatarService.of_designs``): a list of designs with
  them costs a fixed number of queries, not one per design.
- Limits: depth (``graphql_max_depth``), cost (fields, times :data:`LIST_FACTOR` under each list; at most
  ``graphql_max_cost``), size (lexer tokens, and the service's body size limit), aliases; introspection off when
  ``FW_SERVICE_GRAPHQL_INTROSPECTION=0``.
- Subscriptions (``designUpdated``, ``collaboratorJoined``) over the ``graphql-transport-ws`` protocol on the
  WebSocket at the same URL, authenticated as the events WebSocket (header, or ``?token=``), fed by the same event
  hub as ``{prefix}/events``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import AsyncGenerator, Callable
from datetime import datetime
from typing import Annotated, Any

import strawberry
import tornado.websocket
from graphql import GraphQLError, ValidationRule
from graphql.language import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
)
from pydantic import Field
from strawberry.dataloader import DataLoader
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)
from strawberry.scalars import JSON
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import Info
from strawberry.types.graphql import OperationType

from fw_kernel.domain.errors import FWError
from fw_kernel.domain.validation import validate

from . import routes as r
from . import schemas as s
from .auth import identify
from .errors import ApiError, body, from_kernel
from .handlers import JsonErrors
from .routes import Context
from .workspace import UserWorkspace

log = logging.getLogger("fw_server.graphql")
SUBPROTOCOL = "graphql-transport-ws"
LIST_FACTOR = 20
"""How many items a list field is assumed to hold when costing a query (a design's layers, a user's designs)."""


# -- the request context -------------------------------------------------------------------------------------------
class RequestContext:
    """What every resolver of one operation shares: the caller, the service, and the per-request loaders."""

    def __init__(self, service: Any, user: str, admin: bool = False):
        self.service = service
        self.user = user
        self.admin = admin
        designs, avatars = service.services.designs, service.services.avatars
        self.versions = DataLoader(self._batch(lambda ids: designs.versions_many(user, ids), list))
        self.collaborators = DataLoader(self._batch(lambda ids: designs.collaborators_many(user, ids), list))
        self.avatars = DataLoader(self._batch(avatars.of_designs, lambda: None))

    def _batch(self, fetch: Callable[[list[str]], dict[str, Any]], missing: Callable[[], Any]
               ) -> Callable[[list[str]], Any]:
        async def load(keys: list[str]) -> list[Any]:
            found = await self.run(lambda: fetch(list(keys)))
            return [found.get(k, missing()) for k in keys]

        return load

    def ctx(self, body_model: type[Any] | None = None, data: dict[str, Any] | None = None,
            query: Any = None) -> Context:
        service = self.service
        ws = UserWorkspace(service.services, self.user, service.undo)
        request_body = validate(body_model, data or {}) if body_model is not None else None
        return Context(ws, self.user, request_body, query, service.prefix, service.signer, self.admin, service)

    async def run(self, fn: Callable[[], Any]) -> Any:
        """A blocking kernel call in the service's thread pool."""
        return await asyncio.get_running_loop().run_in_executor(self.service.executor, fn)

    async def call(self, endpoint: Callable[..., tuple[int, Any]], body_model: type[Any] | None = None,
                   data: dict[str, Any] | None = None, query: Any = None, **params: Any) -> Any:
        """A REST endpoint for the caller; its payload. Kernel refusals become :class:`GraphQLError`."""
        def go() -> Any:
            ctx = self.ctx(body_model, data, query)
            return endpoint(ctx, **params)[1]

        try:
            return await self.run(go)
        except ApiError as exc:
            raise _error(exc) from None
        except FWError as exc:
            raise _error(from_kernel(exc, params.get("design_id"))) from None


def _error(exc: ApiError) -> GraphQLError:
    b = exc.body
    return GraphQLError(b["message"], extensions={"code": b["error"], "status": exc.status, "field": b["field"],
                                                  "allowed": b["allowed"]})


def _given(value: Any) -> dict[str, Any]:
    """The fields of a GraphQL input the client set (null included, unset left out), as REST's JSON body."""
    return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)
            if getattr(value, f.name) is not strawberry.UNSET}


def _ctx(info: Info) -> RequestContext:
    return info.context  # type: ignore[no-any-return]


# -- types ---------------------------------------------------------------------------------------------------------
@strawberry.type
class Layer:
    id: strawberry.ID
    type: str
    catalog_item_id: str
    name: str
    order_index: int
    transform: JSON
    customization: JSON
    is_visible: bool
    is_locked: bool
    blend_mode: str
    opacity: int
    notes: str
    group: str | None


@strawberry.type
class Version:
    design_id: strawberry.ID
    version_number: int
    message: str
    design_version: int
    created_by: str
    created_at: datetime


@strawberry.type
class Collaborator:
    design_id: strawberry.ID
    user: str
    role: str
    added_by: str
    created_at: datetime


@strawberry.type
class Avatar:
    id: strawberry.ID
    name: str
    owner: str
    body_hint: str
    source: str
    measurements: JSON = strawberry.field(description="cm, measured on the fitted mesh")
    requested: JSON = strawberry.field(description="cm, as asked")
    confidence: JSON
    body: JSON = strawberry.field(description="body-model parameters that rebuild the mesh")
    created_at: datetime | None


@strawberry.type
class CatalogItem:
    id: strawberry.ID
    type: str
    name: str
    description: str
    tags: list[str]
    price: float
    currency: str
    availability: str
    compatibility: JSON
    parameters: JSON
    appearance: JSON
    physical: JSON
    thumbnail: str | None


@strawberry.type
class Silhouette(CatalogItem):
    pass


@strawberry.type
class CatalogResult:
    items: list[CatalogItem]
    total: int


@strawberry.type
class Counts:
    views: int
    likes: int
    forks: int


@strawberry.type
class Design:
    id: strawberry.ID
    owner: str
    role: str | None
    version: int
    name: str
    description: str
    avatar_id: str | None
    category: str
    tags: list[str]
    occasion: str
    season: str | None
    status: str
    visibility: str
    fork_from: str | None
    counts: Counts
    created_at: datetime | None
    updated_at: datetime | None
    canvas: JSON
    layers: list[Layer]

    @strawberry.field(description="The checkpoints, oldest first (batched across designs)")
    async def versions(self, info: Info) -> list[Version]:
        return [_version(v) for v in await _ctx(info).versions.load(str(self.id))]

    @strawberry.field(description="Who the design is shared with (batched across designs)")
    async def collaborators(self, info: Info) -> list[Collaborator]:
        return [_collaborator(c) for c in await _ctx(info).collaborators.load(str(self.id))]

    @strawberry.field(description="The avatar the design wears (batched across designs)")
    async def avatar(self, info: Info) -> Avatar | None:
        if not self.avatar_id:
            return None
        return _avatar(await _ctx(info).avatars.load(self.avatar_id))


@strawberry.type
class DesignList:
    items: list[Design]
    total: int
    has_more: bool


def _design(out: s.DesignOut) -> Design:
    d = out.model_dump(mode="json")
    d.update(created_at=out.created_at, updated_at=out.updated_at, counts=Counts(**d["counts"]),
             layers=[Layer(**layer) for layer in d["layers"]])
    return Design(**d)


def _avatar(out: Any) -> Avatar | None:
    if out is None:
        return None
    if not isinstance(out, s.AvatarOut):  # a record from the batch loader
        out = r.avatar_out(_RecordHandle(out))  # type: ignore[arg-type]
    return Avatar(**out.model_dump())


class _RecordHandle:
    """What :func:`fw_server.routes.avatar_out` reads of an avatar handle: its record."""

    def __init__(self, record: Any):
        self.record = record


def _version(v: Any) -> Version:
    return Version(**(v.model_dump() if isinstance(v, s.VersionOut) else s.VersionOut(
        design_id=v.design_id, version_number=v.version_number, message=v.message, design_version=v.design_version,
        created_by=v.created_by, created_at=v.created_at).model_dump()))


def _collaborator(c: Any) -> Collaborator:
    return Collaborator(design_id=c.design_id, user=c.user, role=c.role, added_by=c.added_by,
                        created_at=c.created_at)


def _item(out: s.CatalogItemOut, cls: type[CatalogItem] = CatalogItem) -> CatalogItem:
    return cls(**out.model_dump())


# -- inputs --------------------------------------------------------------------------------------------------------
@strawberry.input
class Pagination:
    offset: int = 0
    limit: int = 50


@strawberry.input
class CatalogFilters:
    q: str | None = strawberry.UNSET
    type: str | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET
    max_price: float | None = strawberry.UNSET
    availability: str | None = strawberry.UNSET
    limit: int | None = strawberry.UNSET


@strawberry.input
class AvatarInput:
    name: str
    measurements: JSON = strawberry.field(description="cm: {bust, waist, hips, height, ...}")
    body_hint: str | None = strawberry.UNSET


@strawberry.input
class AvatarUpdate:
    name: str | None = strawberry.UNSET
    measurements: JSON | None = strawberry.field(
        default=strawberry.UNSET, description="cm to change, merged into the ones asked before; the body is re-fitted")
    body_hint: str | None = strawberry.UNSET


@strawberry.input
class _DesignFields:
    """The descriptive fields :class:`DesignInput` and :class:`DesignUpdate` share (all optional)."""

    avatar_id: str | None = strawberry.UNSET
    category: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET
    occasion: str | None = strawberry.UNSET
    season: str | None = strawberry.UNSET
    status: str | None = strawberry.UNSET
    visibility: str | None = strawberry.UNSET


@strawberry.input
class DesignInput(_DesignFields):
    name: str


@strawberry.input
class DesignUpdate(_DesignFields):
    name: str | None = strawberry.UNSET
    canvas: JSON | None = strawberry.UNSET


@strawberry.input
class LayerInput:
    item_id: str
    name: str | None = strawberry.UNSET
    index: int | None = strawberry.UNSET
    transform: JSON | None = strawberry.UNSET
    customization: JSON | None = strawberry.UNSET
    is_visible: bool | None = strawberry.UNSET
    blend_mode: str | None = strawberry.UNSET
    opacity: int | None = strawberry.UNSET


@strawberry.input
class LayerUpdate:
    name: str | None = strawberry.UNSET
    transform: JSON | None = strawberry.UNSET
    customization: JSON | None = strawberry.UNSET
    is_visible: bool | None = strawberry.UNSET
    is_locked: bool | None = strawberry.UNSET
    blend_mode: str | None = strawberry.UNSET
    opacity: int | None = strawberry.UNSET
    notes: str | None = strawberry.UNSET
    group: str | None = strawberry.UNSET


class PageQuery(s.Request):
    offset: Annotated[int, Field(ge=0, le=1_000_000)] = 0
    limit: Annotated[int, Field(ge=1, le=200)] = 50


def _not_you(user_id: str, ctx: RequestContext) -> None:
    """``userId`` arguments of the seed's schema: a user reads only their own (as REST's ``/designs``)."""
    if user_id != ctx.user:
        raise _error(ApiError(403, f"{ctx.user!r} may only list their own designs and avatars, not {user_id!r}'s",
                              "userId", f"{ctx.user!r}"))


# -- operations ----------------------------------------------------------------------------------------------------
@strawberry.type
class Query:
    @strawberry.field(description="Who the token belongs to")
    def me(self, info: Info) -> str:
        return _ctx(info).user

    @strawberry.field
    async def design(self, info: Info, id: strawberry.ID) -> Design:
        out = await _ctx(info).call(r.get_design, query=s.DesignQuery(count_view=False), design_id=str(id))
        return _design(out)

    @strawberry.field(description="Designs the user owns or that are shared with them, recently edited first")
    async def designs(self, info: Info, user_id: strawberry.ID, pagination: Pagination | None = None) -> DesignList:
        ctx = _ctx(info)
        _not_you(str(user_id), ctx)
        page = validate(PageQuery, dataclasses.asdict(pagination) if pagination else {}, "pagination")
        found = await ctx.call(r.list_designs)
        items = found[page.offset:page.offset + page.limit]
        return DesignList(items=[_design(d) for d in items], total=len(found),
                          has_more=page.offset + len(items) < len(found))

    @strawberry.field
    async def avatar(self, info: Info, id: strawberry.ID) -> Avatar:
        return _avatar(await _ctx(info).call(r.get_avatar, avatar_id=str(id)))  # type: ignore[return-value]

    @strawberry.field
    async def avatars(self, info: Info, user_id: strawberry.ID) -> list[Avatar]:
        ctx = _ctx(info)
        _not_you(str(user_id), ctx)
        return [a for a in map(_avatar, await ctx.call(r.list_avatars)) if a is not None]

    @strawberry.field
    async def catalog(self, info: Info, filters: CatalogFilters | None = None) -> CatalogResult:
        given = _given(filters) if filters else {}
        if isinstance(given.get("tags"), list):
            given["tags"] = ",".join(given["tags"])
        query = validate(s.CatalogSearchQuery, {k: v for k, v in given.items() if v is not None})
        found = await _ctx(info).call(r.search_catalog, query=query)
        return CatalogResult(items=[_item(i) for i in found], total=len(found))

    @strawberry.field
    async def silhouette(self, info: Info, id: strawberry.ID) -> Silhouette | None:
        out = await _ctx(info).call(r.get_catalog_item, item_id=str(id))
        return _item(out, Silhouette) if out.type == "silhouette" else None  # type: ignore[return-value]


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create_avatar(self, info: Info, input: AvatarInput) -> Avatar:
        out = await _ctx(info).call(r.create_avatar, s.AvatarCreate, _given(input))
        return _avatar(out)  # type: ignore[return-value]

    @strawberry.mutation(description="Rename or re-fit one of your avatars (as REST's PATCH /avatars/{id})")
    async def update_avatar(self, info: Info, id: strawberry.ID, updates: AvatarUpdate) -> Avatar:
        out = await _ctx(info).call(r.update_avatar, s.AvatarPatch, _given(updates), avatar_id=str(id))
        return _avatar(out)  # type: ignore[return-value]

    @strawberry.mutation
    async def create_design(self, info: Info, input: DesignInput) -> Design:
        return _design(await _ctx(info).call(r.create_design, s.DesignCreate, _given(input)))

    @strawberry.mutation
    async def update_design(self, info: Info, id: strawberry.ID, updates: DesignUpdate) -> Design:
        return _design(await _ctx(info).call(r.update_design, s.DesignPatch, _given(updates), design_id=str(id)))

    @strawberry.mutation
    async def fork_design(self, info: Info, id: strawberry.ID, name: str | None = None) -> Design:
        data = {} if name is None else {"name": name}
        return _design(await _ctx(info).call(r.fork_design, s.ForkRequest, data, design_id=str(id)))

    @strawberry.mutation
    async def delete_design(self, info: Info, id: strawberry.ID) -> bool:
        await _ctx(info).call(r.delete_design, design_id=str(id))
        return True

    @strawberry.mutation
    async def add_layer(self, info: Info, design_id: strawberry.ID, input: LayerInput) -> Layer:
        layer = await _ctx(info).call(r.add_layer, s.LayerCreate, _given(input), design_id=str(design_id))
        return Layer(**layer.model_dump(mode="json"))

    @strawberry.mutation
    async def update_layer(self, info: Info, design_id: strawberry.ID, layer_id: strawberry.ID,
                           updates: LayerUpdate) -> Layer:
        layer = await _ctx(info).call(r.update_layer, s.LayerPatch, _given(updates), design_id=str(design_id),
                                      layer_id=str(layer_id))
        return Layer(**layer.model_dump(mode="json"))

    @strawberry.mutation
    async def remove_layer(self, info: Info, design_id: strawberry.ID, layer_id: strawberry.ID) -> bool:
        await _ctx(info).call(r.remove_layer, design_id=str(design_id), layer_id=str(layer_id))
        return True

    @strawberry.mutation
    async def checkpoint(self, info: Info, design_id: strawberry.ID, message: str = "") -> Version:
        out = await _ctx(info).call(r.checkpoint, s.CheckpointRequest, {"message": message},
                                    design_id=str(design_id))
        return _version(out)

    @strawberry.mutation
    async def share_design(self, info: Info, design_id: strawberry.ID, user: str, role: str = "viewer"
                           ) -> Collaborator:
        out = await _ctx(info).call(r.share_design, s.ShareRequest, {"user": user, "role": role},
                                    design_id=str(design_id))
        return _collaborator(out)


@strawberry.type
class Subscription:
    @strawberry.subscription(description="The design after each saved change by anyone (yours included)")
    async def design_updated(self, info: Info, design_id: strawberry.ID) -> AsyncGenerator[Design, None]:
        ctx = _ctx(info)
        async for message in _events(ctx, str(design_id)):
            if message.get("event") in ("cursor_moved", "collaborator_left"):
                continue
            try:
                out = await ctx.call(r.get_design, query=s.DesignQuery(count_view=False), design_id=str(design_id))
            except GraphQLError:
                return  # no longer readable (unshared, deleted): the subscription ends
            yield _design(out)

    @strawberry.subscription(description="Each user the design is shared with from now on")
    async def collaborator_joined(self, info: Info, design_id: strawberry.ID
                                  ) -> AsyncGenerator[Collaborator, None]:
        ctx = _ctx(info)
        async for message in _events(ctx, str(design_id)):
            if message.get("event") != "collaborator_joined":
                continue
            people = await ctx.call(r.list_collaborators, design_id=str(design_id))
            who = (message.get("data") or {}).get("user")
            for c in people:
                if c.user == who:
                    yield _collaborator(c)


class _Listener:
    """An event hub listener (as :class:`fw_server.events.EventsHandler`) feeding a queue."""

    def __init__(self, user: str) -> None:
        self.user = user
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=1000)

    def deliver(self, key: Any, message: dict[str, Any]) -> None:
        if not self.queue.full():  # a stalled subscriber drops events rather than grow without bound
            self.queue.put_nowait(message)


async def _events(ctx: RequestContext, design_id: str) -> AsyncGenerator[dict[str, Any], None]:
    """The /design events of a design the caller may read (checked first: the REST 404 otherwise)."""
    await ctx.call(r.get_design, query=s.DesignQuery(count_view=False), design_id=design_id)
    listener = _Listener(ctx.user)
    key = ("/design", design_id)
    hub = ctx.service.events
    hub.add(key, listener)
    try:
        await hub.wait_subscribed(key)
        while True:
            message = await listener.queue.get()
            if message.get("event") == "collaborator_left" and (message.get("data") or {}).get("user") == ctx.user:
                return
            yield message
    finally:
        hub.remove(key, listener)


# -- limits --------------------------------------------------------------------------------------------------------
def cost_rule(max_cost: int) -> type[ValidationRule]:
    """A validation rule refusing operations whose cost (each field 1, times :data:`LIST_FACTOR` under each list
    field) exceeds ``max_cost``: one query cannot ask for every layer of every version of every design."""

    class CostLimit(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            fragments = {f.name.value: f for f in self.context.document.definitions
                         if isinstance(f, FragmentDefinitionNode)}
            schema = self.context.schema
            root = {"query": schema.query_type, "mutation": schema.mutation_type,
                    "subscription": schema.subscription_type}[node.operation.value]
            cost = _cost(node.selection_set, root, fragments, 1, 0)
            if cost > max_cost:
                self.report_error(GraphQLError(
                    f"the query costs {cost}, more than the limit of {max_cost} (each field counts 1, times "
                    f"{LIST_FACTOR} under each list); ask for fewer fields or nest fewer lists", [node],
                    extensions={"code": "query_too_costly", "status": 400, "field": "query",
                                "allowed": f"a cost of at most {max_cost}"}))

    return CostLimit


def _cost(selection_set: Any, parent: Any, fragments: dict[str, Any], factor: int, depth: int) -> int:
    from graphql import get_named_type, is_list_type, is_non_null_type

    if selection_set is None or depth > 50:
        return 0
    total = 0
    for sel in selection_set.selections:
        if isinstance(sel, FieldNode):
            field = getattr(parent, "fields", {}).get(sel.name.value) if parent is not None else None
            kind = field.type if field is not None else None
            if kind is not None and is_non_null_type(kind):
                kind = kind.of_type
            inner = factor * LIST_FACTOR if kind is not None and is_list_type(kind) else factor
            total += factor + _cost(sel.selection_set, get_named_type(kind) if kind is not None else None,
                                    fragments, inner, depth + 1)
        elif isinstance(sel, InlineFragmentNode):
            total += _cost(sel.selection_set, parent, fragments, factor, depth + 1)
        elif isinstance(sel, FragmentSpreadNode) and sel.name.value in fragments:
            total += _cost(fragments[sel.name.value].selection_set, parent, fragments, factor, depth + 1)
    return total


def make_schema(config: Any) -> strawberry.Schema:
    """The service's schema with its limits (``config``: :class:`fw_server.config.ServiceConfig`)."""
    extensions: list[Any] = [
        lambda: QueryDepthLimiter(max_depth=config.graphql_max_depth),
        lambda: MaxTokensLimiter(max_token_count=config.graphql_max_tokens),
        lambda: MaxAliasesLimiter(max_alias_count=30),
        lambda: AddValidationRules([cost_rule(config.graphql_max_cost)]),
    ]
    if not config.graphql_introspection:
        extensions.append(DisableIntrospection)
    return _Schema(query=Query, mutation=Mutation, subscription=Subscription, extensions=extensions)


class _Schema(strawberry.Schema):
    """Refusals (kernel errors, invalid documents) are answers, not failures: only unexpected exceptions are
    logged (by :func:`error_json`, once)."""

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        pass


# -- transport -----------------------------------------------------------------------------------------------------
def error_json(err: GraphQLError) -> dict[str, Any]:
    """A GraphQL error as JSON; an unexpected exception is logged and answered as REST answers a 500."""
    original = err.original_error
    if original is not None and not isinstance(original, GraphQLError):
        if isinstance(original, FWError):  # raised outside a REST endpoint (argument validation)
            api = from_kernel(original)
            return {"message": api.body["message"], "path": err.path,
                    "extensions": _api_error_json(api)["extensions"]}
        log.error("GraphQL resolver failed", exc_info=original)
        b = body("internal_error", "internal error (logged by the service)")
        return {"message": b["message"], "path": err.path, "extensions": {"code": "internal_error", "status": 500}}
    out = err.formatted
    extensions = dict(out.get("extensions") or {})
    extensions.setdefault("code", "graphql_validation_failed" if not err.path else "bad_request")
    extensions.setdefault("status", 400)
    out["extensions"] = extensions
    return dict(out)


def result_json(result: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"data": result.data}
    if result.errors:
        out["errors"] = [error_json(e) for e in result.errors]
    return out


async def execute(service: Any, user: str, admin: bool, request: dict[str, Any],
                  allowed: tuple[OperationType, ...] | None = None) -> dict[str, Any]:
    """Run one query or mutation document for ``user`` (``allowed``: the operation types this request may run)."""
    query, variables, operation = _parts(request)
    allowed = allowed or (OperationType.QUERY, OperationType.MUTATION)
    try:
        result = await service.graphql.execute(query, variable_values=variables, operation_name=operation,
                                               context_value=RequestContext(service, user, admin),
                                               allowed_operation_types=allowed)
    except InvalidOperationTypeError as exc:
        kinds = " or ".join(t.value for t in allowed)
        raise ApiError(405, f"a {exc.operation_type.value} is not allowed here: send {kinds} operations "
                       f"({'POST for mutations, ' if len(allowed) == 1 else ''}the WebSocket for subscriptions)",
                       "query", kinds) from None
    return result_json(result)


def _parts(request: dict[str, Any]) -> tuple[str, dict[str, Any] | None, str | None]:
    query, variables, operation = request.get("query"), request.get("variables"), request.get("operationName")
    if not isinstance(query, str) or not query.strip():
        raise ApiError(400, "a GraphQL request is a JSON object with a 'query' string", "query", "a GraphQL document")
    if variables is not None and not isinstance(variables, dict):
        raise ApiError(400, "'variables' must be a JSON object", "variables", "an object or null")
    if operation is not None and not isinstance(operation, str):
        raise ApiError(400, "'operationName' must be a string", "operationName", "a string or null")
    return query, variables, operation


class GraphQLHandler(tornado.websocket.WebSocketHandler, JsonErrors):
    """``POST`` (and ``GET ?query=``) runs an operation; a WebSocket upgrade speaks ``graphql-transport-ws``."""

    def initialize(self, service: Any) -> None:
        self.service = service
        self.user = ""

    # -- HTTP ----------------------------------------------------------------------------------------------------
    async def get(self, *args: Any, **kwargs: Any) -> None:
        if self.request.headers.get("Upgrade", "").lower() == "websocket":
            await super().get(*args, **kwargs)
            return
        request = {k: self.get_query_argument(k, None) for k in ("query", "operationName")}
        variables = self.get_query_argument("variables", None)
        try:
            request["variables"] = json.loads(variables) if variables else None
        except ValueError:
            self._answer(400, {"errors": [_api_error_json(ApiError(400, "'variables' is not JSON", "variables"))]})
            return
        await self._http(request, (OperationType.QUERY,))  # GET reads: a link cannot make a mutation

    async def post(self, *args: Any, **kwargs: Any) -> None:
        limit = self.service.config.max_body_bytes
        if len(self.request.body) > limit:
            self._answer(413, {"errors": [_api_error_json(ApiError(
                413, f"the request body is larger than {limit} bytes", "body", f"at most {limit} bytes"))]})
            return
        if self.request.headers.get("Content-Type", "").split(";")[0].strip().lower() != "application/json":
            self._answer(415, {"errors": [_api_error_json(ApiError(
                415, "the request body must be JSON sent as Content-Type: application/json", "Content-Type",
                "application/json"))]})
            return
        try:
            request = json.loads(self.request.body)
        except (ValueError, UnicodeDecodeError):
            request = None
        if not isinstance(request, dict):
            self._answer(400, {"errors": [_api_error_json(ApiError(
                400, "a GraphQL request is a JSON object with a 'query' string", "body", "a JSON object"))]})
            return
        await self._http(request)

    async def _http(self, request: dict[str, Any], allowed: tuple[OperationType, ...] | None = None) -> None:
        try:
            user, admin = await identify(self.service.authenticator, self)
            await self.service.rate_limit(user)
            answer = await execute(self.service, user, admin, request, allowed)
        except ApiError as exc:
            for name, value in exc.headers.items():
                self.set_header(name, value)
            self._answer(exc.status, {"errors": [_api_error_json(exc)]})
            return
        self._answer(200, answer)

    def _answer(self, status: int, payload: dict[str, Any]) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(payload, default=str, separators=(",", ":")))

    # -- WebSocket (graphql-transport-ws) ----------------------------------------------------------------------
    async def prepare(self) -> None:
        if self.request.headers.get("Upgrade", "").lower() != "websocket":
            return
        try:
            self.user = await self.service.authenticator.user_of(self, websocket=True)
            await self.service.rate_limit(self.user)
        except ApiError as exc:
            self._answer(exc.status, {"errors": [_api_error_json(exc)]})

    def select_subprotocol(self, subprotocols: list[str]) -> str | None:
        return SUBPROTOCOL if SUBPROTOCOL in subprotocols else None

    def check_origin(self, origin: str) -> bool:
        return True  # every connection carries a token; cookies alone are never trusted here

    def open(self, *args: Any, **kwargs: Any) -> None:
        if self.selected_subprotocol != SUBPROTOCOL:
            self.close(4406, f"Subprotocol not acceptable: use {SUBPROTOCOL}")
            return
        self.protocol = TransportWS(self.service, self.user, self)

    async def on_message(self, message: str | bytes) -> None:
        await self.protocol.on_message(message)

    def on_close(self) -> None:
        protocol = getattr(self, "protocol", None)
        if protocol is not None:
            protocol.on_close()


class TransportWS:
    """The ``graphql-transport-ws`` protocol on one WebSocket (``socket``: a Tornado WebSocketHandler, the
    caller authenticated already): connection_init/ack, ping/pong, subscribe -> next*/error/complete, complete.
    Served at ``{prefix}/graphql`` and on ``{prefix}/events`` when the client asks for the subprotocol."""

    def __init__(self, service: Any, user: str, socket: Any):
        self.service = service
        self.user = user
        self.socket = socket
        self._ops: dict[str, asyncio.Task[None]] = {}
        self._acked = False
        asyncio.get_running_loop().call_later(10, self._init_timeout)

    def _init_timeout(self) -> None:
        if not self._acked and self.socket.ws_connection is not None:
            self.socket.close(4408, "Connection initialisation timeout")

    async def on_message(self, message: str | bytes) -> None:
        try:
            msg = json.loads(message)
            kind = msg.get("type") if isinstance(msg, dict) else None
        except ValueError:
            kind = None
        if kind == "connection_init":
            if self._acked:
                self.socket.close(4429, "Too many initialisation requests")
                return
            self._acked = True
            self._send({"type": "connection_ack"})
        elif kind == "ping":
            self._send({"type": "pong"})
        elif kind == "pong":
            pass
        elif kind == "subscribe" and isinstance(msg.get("id"), str) and isinstance(msg.get("payload"), dict):
            if not self._acked:
                self.socket.close(4401, "Unauthorized")
                return
            op_id = msg["id"]
            if op_id in self._ops:
                self.socket.close(4409, f"Subscriber for {op_id} already exists")
                return
            self._ops[op_id] = asyncio.create_task(self._operation(op_id, msg["payload"]))
        elif kind == "complete" and isinstance(msg.get("id"), str):
            task = self._ops.pop(msg["id"], None)
            if task is not None:
                task.cancel()
        else:
            self.socket.close(4400, "Invalid message: expected connection_init, subscribe, complete, ping or pong")

    async def _operation(self, op_id: str, payload: dict[str, Any]) -> None:
        try:
            await self.service.rate_limit(self.user)
            query, variables, operation = _parts(payload)
            context = RequestContext(self.service, self.user)
            result = await self.service.graphql.subscribe(query, variable_values=variables,
                                                          operation_name=operation, context_value=context)
            if not hasattr(result, "__aiter__"):  # a query or mutation over the socket, or a refused document
                answer = result_json(result)
                if result.errors and result.data is None:
                    self._send({"type": "error", "id": op_id, "payload": answer["errors"]})
                    return
                self._send({"type": "next", "id": op_id, "payload": answer})
            else:
                async for item in result:
                    if item.errors and isinstance(item.errors[0].original_error, InvalidOperationTypeError):
                        # subscribe() streams subscriptions only: a query or mutation here is executed as over HTTP
                        self._send({"type": "next", "id": op_id,
                                    "payload": await execute(self.service, self.user, False, payload)})
                        break
                    self._send({"type": "next", "id": op_id, "payload": result_json(item)})
            self._send({"type": "complete", "id": op_id})
        except ApiError as exc:
            self._send({"type": "error", "id": op_id, "payload": [_api_error_json(exc)]})
        except asyncio.CancelledError:
            pass
        except Exception:  # never leaves the socket half-open on a bug
            log.exception("GraphQL subscription %s failed", op_id)
            self._send({"type": "error", "id": op_id, "payload": [
                {"message": "internal error (logged by the service)", "extensions": {"code": "internal_error"}}]})
        finally:
            self._ops.pop(op_id, None)

    def _send(self, message: dict[str, Any]) -> None:
        try:
            self.socket.write_message(json.dumps(message, default=str))
        except tornado.websocket.WebSocketClosedError:
            self.on_close()

    def on_close(self) -> None:
        for task in self._ops.values():
            task.cancel()
        self._ops.clear()


def _api_error_json(exc: ApiError) -> dict[str, Any]:
    b = exc.body
    return {"message": b["message"], "extensions": {"code": b["error"], "status": exc.status, "field": b["field"],
                                                    "allowed": b["allowed"]}}
