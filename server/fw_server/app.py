"""The Tornado application: one handler dispatches the route table, plus the OpenAPI document and the events
WebSocket. Kernel calls block (SQL, fitting), so endpoints run in a thread pool and the IO loop stays free."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import unquote

import tornado.web
from pydantic import BaseModel

from fw_kernel import wire
from fw_kernel.bootstrap import Services, store_unavailable_errors
from fw_kernel.domain.errors import FWError, ValidationError
from fw_kernel.domain.validation import validate

from . import __version__
from .auth import Authenticator, identify, make_authenticator
from .config import ServiceConfig
from .errors import ApiError, body, from_kernel
from .events import EventHub, EventsHandler
from .handlers import JsonErrors
from .openapi import document
from .ratelimit import RateLimiter
from .routes import ROUTES, Context, FileBody, Redirect, Route, state_out
from .signing import UrlSigner
from .undo import UndoStore
from .workspace import UserWorkspace

STORE_DOWN = store_unavailable_errors()
log = logging.getLogger("fw_server")
SESSION_HEADER = wire.SESSION_HEADER
SESSION_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
SESSION_ALLOWED = "1 to 64 letters, digits, '_', '.' or '-' (one id per open design object)"
BASE_HEADER = wire.BASE_HEADER
BASE_PATTERN = re.compile(r"^[1-9][0-9]{0,8}$")
BASE_ALLOWED = "the design version the edit was decided on, an integer from 1 to 999999999"
RETURN_HEADER = wire.RETURN_HEADER
RETURNED_HEADER = wire.RETURNED_HEADER


class Service:
    """What every handler shares: the kernel services, the authenticator, limits, signer and thread pool."""

    def __init__(self, services: Services, config: ServiceConfig, authenticator: Authenticator | None = None):
        self.services = services
        self.config = config
        self.prefix = config.prefix.rstrip("/")
        self.authenticator = authenticator or make_authenticator(config)
        redis_url = config.redis_url if config.redis_url is not None else services.settings.redis_url
        self.limiter = RateLimiter(config.rate_limit, config.rate_window_s, redis_url, prefix=config.rate_prefix)
        self.signer = UrlSigner(config.secret, config.download_ttl_s)
        self.undo = UndoStore(config.secret, redis_url)
        self.executor = ThreadPoolExecutor(config.executor_threads, thread_name_prefix="fw-api")
        self.routes = [(_compile(r.path), r) for r in ROUTES]
        self.openapi = json.dumps(document(self.prefix, __version__)).encode()
        from .photos import PhotoJobs

        self.events = EventHub(services.cache, services.settings.redis_url)
        self.audit = services.audit  # wired by fw_kernel.bootstrap; None for in-memory services
        self.photo_jobs = PhotoJobs(services, redis_url, config.photo_threads)
        from .graphql_api import make_schema

        self.graphql = make_schema(config)  # {prefix}/graphql (fw_server.graphql_api)

    async def rate_limit(self, user: str) -> None:
        try:
            retry_after = await self.limiter.hit(user)
        except Exception as exc:  # a dead Redis must not take the API down: limits are best-effort
            log.warning("rate limiter unavailable: %s", exc)
            return
        if retry_after is not None:
            raise ApiError(429, f"more than {self.limiter.limit} requests in {self.limiter.window_s} s; retry after "
                           f"{retry_after} s", None, f"{self.limiter.limit} requests per {self.limiter.window_s} s",
                           headers={"Retry-After": str(retry_after)})

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        allowed: list[str] = []
        for (pattern, names), route in self.routes:
            m = pattern.match(path)
            if m is None:
                continue
            if route.method != method:
                allowed.append(route.method)
                continue
            return route, {n: unquote(v, errors="strict") for n, v in zip(names, m.groups())}
        if allowed:
            raise ApiError(405, f"{method} is not allowed here; allowed: {', '.join(allowed)}", "method",
                           ", ".join(allowed), headers={"Allow": ", ".join(allowed)})
        raise ApiError(404, f"no such endpoint: {method} {self.prefix}{path}; see {self.prefix}/openapi.json")

    def body_limit(self, method: str, path: str) -> int:
        """The body size limit of a request: its route's (photo uploads) or the service's."""
        try:
            route, _ = self.match(method, path)
        except (ApiError, UnicodeDecodeError):
            return self.config.max_body_bytes
        return self.config.max_photo_body_bytes if route.large_body else self.config.max_body_bytes

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.photo_jobs.close()
        self.undo.close()


def _compile(template: str) -> tuple[re.Pattern[str], list[str]]:
    names = re.findall(r"{(\w+)}", template)
    pattern = re.escape(template)
    for name in names:
        pattern = pattern.replace(re.escape("{" + name + "}"), "([^/]+)")
    return re.compile(f"^{pattern}$"), names


@tornado.web.stream_request_body
class ApiHandler(JsonErrors):
    """Dispatches ``{prefix}/...`` to the route table: size limit, auth, rate limit, validation, endpoint."""

    SUPPORTED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

    def initialize(self, service: Service) -> None:
        self.service = service
        self._chunks: list[bytes] = []
        self._size = 0
        self._too_large = False
        self._limit = service.config.max_body_bytes

    def prepare(self) -> None:
        self._limit = self.service.body_limit(self.request.method or "GET",
                                              self.request.path[len(self.service.prefix):] or "/")
        length = self.request.headers.get("Content-Length")
        if length is not None and length.isdigit() and int(length) > self._limit:
            self._too_large = True

    def data_received(self, chunk: bytes) -> None:
        # past the limit the rest is read and dropped, then answered 413: a client still sending gets its answer
        # rather than a reset connection (Tornado's max_body_size still cuts off anything huge)
        if self._too_large:
            return
        self._size += len(chunk)
        if self._size > self._limit:
            self._too_large = True
            self._chunks.clear()
            return
        self._chunks.append(chunk)

    def on_finish(self) -> None:
        from .prometheus import observe_request

        observe_request(getattr(self, "_fw_route", "unmatched"), self.request.method or "GET", self.get_status(),
                        self.request.request_time())

    async def get(self, path: str) -> None:
        await self._dispatch(path)

    async def post(self, path: str) -> None:
        await self._dispatch(path)

    async def put(self, path: str) -> None:
        await self._dispatch(path)

    async def patch(self, path: str) -> None:
        await self._dispatch(path)

    async def delete(self, path: str) -> None:
        await self._dispatch(path)

    async def _dispatch(self, _: str) -> None:
        service = self.service
        if self._too_large:
            limit = self._limit
            self.send_error_body(413, body("payload_too_large", f"the request body is larger than {limit} bytes",
                                           "body", f"at most {limit} bytes"))
            return
        path_params: dict[str, str] = {}
        try:
            raw = self.request.path[len(service.prefix):] or "/"
            try:
                route, path_params = service.match(self.request.method or "GET", raw)
                self._fw_route = route.path  # the template, not the path: bounded label values
            except UnicodeDecodeError:
                raise ApiError(400, "the path is not valid UTF-8 after percent-decoding") from None
            admin = False
            if route.auth == "token":
                user, admin = await identify(service.authenticator, self)
                await service.rate_limit(user)
                if route.admin and not admin:
                    raise ApiError(403, "only a hub admin may audit designs", "Authorization",
                                   "the token of a hub admin (or a user in FW_SERVICE_ADMINS)")
            else:  # the signature is the credential; checked by the endpoint
                user = ""
            kwargs = _convert(route, path_params)
            request_body = self._body(route)
            query = self._query(route)
            if route.auth == "signature":
                user = query.user
                await service.rate_limit(user)
            session = self._session(route)
            ws = UserWorkspace(service.services, user, service.undo, session, self._base_version(route),
                               load_undo=route.session == "required")  # undo/redo read the stacks; edits append
            ctx = Context(ws, user, request_body, query, service.prefix, service.signer, admin, service)

            want_design = (route.session != "none" and "design_id" in path_params
                           and self.request.headers.get(RETURN_HEADER, "").strip().lower() == "design")

            def call() -> tuple[int, Any]:
                with service.services.one_connection():   # the open and the save of an edit: one checkout
                    result = route.endpoint(ctx, **kwargs)
                ws.save_undo()
                if want_design and result[0] < 300:  # X-FW-Return: design (one request per edit for a client)
                    design = ws.opened.get(path_params["design_id"])
                    if design is not None:
                        self._returned_design = True
                        return 200, state_out(design.state, design.role)
                return result

            status, payload = await asyncio.get_running_loop().run_in_executor(service.executor, call)
        except ApiError as exc:
            self.send_error_body(exc.status, exc.body, exc.headers)
            return
        except FWError as exc:
            err = from_kernel(exc, path_params.get("design_id"))
            self.send_error_body(err.status, err.body, err.headers)
            return
        except STORE_DOWN as exc:  # a store is down: nothing was done
            log.warning("store unavailable during %s %s: %s", self.request.method, self.request.path, exc)
            err = ApiError(503, "a data store is unavailable; retry in a moment", None,
                           headers={"Retry-After": "2"})
            self.send_error_body(err.status, err.body, err.headers)
            return
        if getattr(self, "_returned_design", False):
            self.set_header(RETURNED_HEADER, "design")
        self._respond(status, payload)

    def _body(self, route: Route) -> Any:
        raw = b"".join(self._chunks)
        if route.body is None:
            return None
        if not raw.strip():
            raw = b"{}"
        elif self.request.headers.get("Content-Type", "").split(";")[0].strip().lower() != "application/json":
            # a browser sends a cross-site form post without asking first; it cannot set this type that way
            raise ApiError(415, "the request body must be JSON sent as Content-Type: application/json",
                           "Content-Type", "application/json")
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested a thousand deep
            raise ValidationError.bad("body", raw[:60].decode("utf-8", "replace"), "a JSON object") from None
        if not isinstance(data, dict):
            raise ValidationError.bad("body", data, "a JSON object")
        return validate(route.body, data)

    def _session(self, route: Route) -> str | None:
        """The ``X-FW-Session`` header of an edit (whose undo stack it names)."""
        if route.session == "none":
            return None
        value = self.request.headers.get(SESSION_HEADER)
        if value is None and route.session == "required":
            raise ValidationError(f"{SESSION_HEADER} is required: undo and redo act on the edits of one session",
                                  field=SESSION_HEADER, allowed=SESSION_ALLOWED)
        if value is not None and not SESSION_PATTERN.match(value):
            raise ValidationError.bad(SESSION_HEADER, value, SESSION_ALLOWED)
        return value

    def _base_version(self, route: Route) -> int | None:
        """``X-FW-Base-Version`` of an edit: the design version the client decided it on (stale: checked)."""
        value = self.request.headers.get(BASE_HEADER)
        if value is None or route.session == "none":
            return None
        if not BASE_PATTERN.match(value.strip()):
            raise ValidationError.bad(BASE_HEADER, value, BASE_ALLOWED)
        return int(value)

    def _query(self, route: Route) -> Any:
        args = {k: v[-1].decode("utf-8", "replace") for k, v in self.request.query_arguments.items()}
        if route.query is None:
            return None
        return validate(route.query, args)

    def _respond(self, status: int, payload: Any) -> None:
        self.set_status(status)
        if payload is None:
            self.finish()
            return
        if isinstance(payload, Redirect):
            self.set_header("Location", payload.location)
            self.set_header("Cache-Control", "no-store")
            self.finish()
            return
        if isinstance(payload, FileBody):
            self.set_header("Content-Type", payload.media_type)
            self.set_header("Content-Disposition", f'attachment; filename="{payload.name}"')
            self.finish(payload.data)
            return
        if isinstance(payload, list):
            data: Any = [p.model_dump(mode="json") if isinstance(p, BaseModel) else p for p in payload]
        else:
            data = payload.model_dump(mode="json")
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data, separators=(",", ":")))


def _convert(route: Route, params: dict[str, str]) -> dict[str, Any]:
    """Path parameters with their documented types (integers for version numbers)."""
    out: dict[str, Any] = dict(params)
    for name, description in route.params.items():
        if description.startswith("int:"):
            try:
                out[name] = int(params[name])
            except ValueError:
                raise ValidationError.bad(name, params[name], "an integer (a version number)") from None
    return out


class OpenApiHandler(JsonErrors):
    def initialize(self, service: Service) -> None:
        self.service = service

    def get(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(self.service.openapi)


class NotFoundHandler(JsonErrors):
    def prepare(self) -> None:
        # answered here, not raised: Tornado logs an exception from prepare() as a server error (the Hub's
        # health checks of the service root land here)
        err = ApiError(404, f"no such endpoint: {self.request.path}")
        self.send_error_body(err.status, err.body, err.headers)


def make_app(services: Services, config: ServiceConfig | None = None, authenticator: Authenticator | None = None,
             ) -> tornado.web.Application:
    """The service's Tornado application over kernel ``services`` (the process's; closed by the caller)."""
    config = config or ServiceConfig.from_env()
    service = Service(services, config, authenticator)
    prefix = re.escape(service.prefix)
    from .graphql_api import GraphQLHandler
    from .prometheus import MetricsHandler, metrics_path

    handlers: list[Any] = [
        (re.escape(metrics_path(service.prefix)), MetricsHandler),
        (rf"{prefix}/openapi\.json", OpenApiHandler, {"service": service}),
        (rf"{prefix}/events", EventsHandler, {"service": service}),
        (rf"{prefix}/graphql", GraphQLHandler, {"service": service}),
        (rf"{prefix}(/.*)", ApiHandler, {"service": service}),
    ]
    auth = service.authenticator
    if getattr(auth, "oauth", False):  # browsers log in through the Hub's OAuth
        from jupyterhub.services.auth import HubOAuthCallbackHandler

        callback = service.prefix.rsplit("/api/v1", 1)[0] + "/oauth_callback"
        handlers.insert(0, (re.escape(callback), HubOAuthCallbackHandler))
    app = tornado.web.Application(handlers, default_handler_class=NotFoundHandler, cookie_secret=config.secret,
                                  hub_auth=getattr(auth, "hub_auth", None), websocket_ping_interval=20)
    app.settings["fw_service"] = service
    return app
