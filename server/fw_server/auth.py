"""Who is calling: pluggable authenticators. The acting user always comes from here, never from a request body.

- :class:`StaticTokens`: a token table from settings (tests, a laptop): ``Authorization: token <t>`` (or
  ``Bearer <t>``); entries may expire. Tokens are compared in constant time.
- :class:`HubTokens`: on a JupyterHub, the user's API token (kernels) or the OAuth cookie (browsers) is checked
  with the Hub API through ``jupyterhub.services.auth.HubAuth``/``HubOAuth``, whose answers are cached for
  ``hub_cache_s`` seconds (a revoked token stops working at most that long after). The cookie authenticates GET
  requests only; writes and WebSockets carry the token.
"""

from __future__ import annotations

import hashlib
import re
import time
from typing import Any, Protocol

from .config import ServiceConfig
from .errors import ApiError

_HEADER = re.compile(r"(?:token|bearer)\s+(\S+)\s*$", re.IGNORECASE)


def token_of(handler: Any, allow_query: bool = False) -> str | None:
    """The token of a request: the Authorization header, or ``?token=`` where allowed (WebSockets, whose browser
    API cannot set headers)."""
    match = _HEADER.match(handler.request.headers.get("Authorization", ""))
    if match:
        return match.group(1)
    if allow_query:
        return handler.get_query_argument("token", None) or None
    return None


class Authenticator(Protocol):
    async def user_of(self, handler: Any, websocket: bool = False) -> str:
        """The calling user's name; raises :class:`ApiError` 401 (or 403: a token without the service's scope)."""
        ...


async def identify(auth: Any, handler: Any) -> tuple[str, bool]:
    """The calling user's name and whether they may audit (a hub admin, or listed in ``FW_SERVICE_ADMINS``);
    an authenticator without ``caller`` knows no admins."""
    caller = getattr(auth, "caller", None)
    if caller is None:
        return await auth.user_of(handler), False
    return await caller(handler)


def _unauthorized(why: str) -> ApiError:
    return ApiError(401, f"{why}; send 'Authorization: token <your token>'", "Authorization",
                    "a valid, unexpired token", headers={"WWW-Authenticate": 'token realm="fw"'})


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class StaticTokens:
    """The static token table (``FW_SERVICE_TOKENS``). Tokens are kept and looked up by their SHA-256 digest: a dict
    lookup whose timing can only tell about a digest, never about a prefix of a real token, and constant work per
    request however many tokens there are."""

    def __init__(self, table: dict[str, tuple[str, float | None]], clock: Any = time.time,
                 admins: tuple[str, ...] = ()):
        self._table = {_digest(token): entry for token, entry in table.items()}
        self._clock = clock
        self.admins = set(admins)

    async def caller(self, handler: Any) -> tuple[str, bool]:
        user = await self.user_of(handler)
        return user, user in self.admins

    def revoke(self, token: str) -> None:
        self._table.pop(_digest(token), None)

    def add(self, token: str, user: str, expires: float | None = None) -> None:
        self._table[_digest(token)] = (user, expires)

    async def user_of(self, handler: Any, websocket: bool = False) -> str:
        token = token_of(handler, allow_query=websocket)
        if not token:
            raise _unauthorized("no token")
        found = self._table.get(_digest(token))
        if found is None:
            raise _unauthorized("unknown or revoked token")
        user, expires = found
        if expires is not None and self._clock() >= expires:
            raise _unauthorized("expired token")
        return user


class HubTokens:
    """JupyterHub's tokens (API tokens of kernels, OAuth tokens of browsers), checked with the Hub API."""

    def __init__(self, config: ServiceConfig):
        import os

        from jupyterhub.services.auth import HubAuth, HubOAuth

        options: dict[str, Any] = {"cache_max_age": config.hub_cache_s}
        if config.hub_api_url:
            options["api_url"] = config.hub_api_url
        if config.hub_api_token:
            options["api_token"] = config.hub_api_token
        self.oauth = bool(os.environ.get("JUPYTERHUB_CLIENT_ID"))
        self.hub_auth = (HubOAuth if self.oauth else HubAuth)(**options)
        scopes = config.hub_scopes if config.hub_scopes is not None else tuple(self.hub_auth.access_scopes)
        self.scopes = set(scopes)
        self.admins = set(config.admins)
        self.groups_of: dict[str, frozenset[str]] = {}  # the Hub's last word on each caller's groups (metrics)

    async def user_of(self, handler: Any, websocket: bool = False) -> str:
        return (await self._model(handler, websocket))["name"]

    async def caller(self, handler: Any) -> tuple[str, bool]:
        """The user and whether the Hub says they are an admin (the user model's ``admin``)."""
        model = await self._model(handler, False)
        return model["name"], bool(model.get("admin")) or model["name"] in self.admins

    async def _model(self, handler: Any, websocket: bool) -> dict[str, Any]:
        from tornado.web import HTTPError

        token = token_of(handler, allow_query=websocket)
        try:
            if token:
                model = await self.hub_auth.user_for_token(token, sync=False)
            elif self.oauth and not websocket and handler.request.method == "GET":
                # a browser with the service's OAuth cookie: reads only. Writes and WebSockets need the token
                # itself, so a page on another site cannot act with a visitor's cookie (no CSRF, no CSWSH).
                handler.hub_auth = self.hub_auth
                model = await self.hub_auth.get_user(handler, sync=False)
            else:
                model = None
        except HTTPError as exc:  # the Hub is down or refuses the service itself: not the caller's fault
            raise ApiError(503, f"the Hub could not check the token ({exc.log_message or exc}); retry shortly",
                           "Authorization", headers={"Retry-After": "5"}) from None
        if not model or not model.get("name"):
            raise _unauthorized("the Hub does not know this token (forged, revoked or expired)" if token
                                else "no token")
        if self.scopes and not self.scopes & set(model.get("scopes", ())):
            raise ApiError(403, f"this token may not use the design service: it needs one of the scopes "
                           f"{sorted(self.scopes)}", "Authorization", " or ".join(sorted(self.scopes)))
        self.groups_of[str(model["name"])] = frozenset(model.get("groups") or ())
        return {**model, "name": str(model["name"])}


def make_authenticator(config: ServiceConfig) -> Authenticator:
    if config.auth == "hub":
        return HubTokens(config)
    return StaticTokens(config.tokens, admins=config.admins)
