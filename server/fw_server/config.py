"""Settings of the design service (``FW_SERVICE_*``); where the data lives comes from the kernel's ``FW_*``
settings, which only the service process holds."""

from __future__ import annotations

import os
import secrets
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from fw_kernel.settings import Environment


def _parse_tokens(value: str) -> dict[str, tuple[str, float | None]]:
    """``"token:user[:expires_epoch],..."`` -> {token: (user, expires or None)}."""
    table: dict[str, tuple[str, float | None]] = {}
    for entry in filter(None, (e.strip() for e in value.split(","))):
        parts = entry.split(":")
        if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
            raise ValueError(f"FW_SERVICE_TOKENS entry {entry!r}: expected token:user or token:user:expires_epoch")
        table[parts[0]] = (parts[1], float(parts[2]) if len(parts) == 3 else None)
    return table


class ServiceConfig(BaseModel):
    """How the service authenticates, limits and signs.

    ``auth``: ``static`` (a token table: tests, a laptop) or ``hub`` (JupyterHub tokens and OAuth cookies,
    checked with the Hub API; the default when ``JUPYTERHUB_API_TOKEN`` is set, as for a Hub-managed service).
    """

    model_config = ConfigDict(extra="forbid")

    prefix: str = "/api/v1"
    auth: Literal["static", "hub"] = "static"
    tokens: dict[str, tuple[str, float | None]] = {}
    secret: str = Field(default_factory=lambda: secrets.token_hex(32), repr=False)
    rate_limit: int = Field(600, ge=1, description="requests per user per window")
    rate_window_s: int = Field(60, ge=1)
    rate_prefix: str = "fw:rl"                   # Redis key prefix of the counters
    max_body_bytes: int = Field(1_000_000, ge=1024)
    max_photo_body_bytes: int = Field(70_000_000, ge=1024, description="POST /avatars/from-photos and "
                                      "/avatars/measure-photos: two photos of up to 25 MB, base64")
    photo_threads: int = Field(2, ge=1, description="photo avatars processed at once by this process")
    admins: tuple[str, ...] = Field((), description="users who may audit (besides the Hub's admins)")
    download_ttl_s: int = Field(300, ge=1)
    hub_cache_s: int = Field(10, ge=0, description="how long a Hub answer about a token is reused")
    hub_api_url: str | None = None
    hub_api_token: str | None = Field(None, repr=False)
    hub_scopes: tuple[str, ...] | None = None   # None: the service's access scope on a hub
    redis_url: str | None = None                 # rate limits and events across processes (default FW_REDIS_URL)
    executor_threads: int = Field(8, ge=1)
    presigned_downloads: bool = True             # FW_SERVICE_PRESIGNED_DOWNLOADS=0: stream S3 blobs ourselves
    graphql_introspection: bool = True           # FW_SERVICE_GRAPHQL_INTROSPECTION=0: off in production
    graphql_max_depth: int = Field(10, ge=2, description="deepest GraphQL query (levels of fields)")
    graphql_max_cost: int = Field(5000, ge=10, description="costliest GraphQL query (fields x 20 per list level)")
    graphql_max_tokens: int = Field(5000, ge=100, description="GraphQL document size limit (lexer tokens)")

    @field_validator("tokens", mode="before")
    @classmethod
    def _tokens(cls, value: object) -> object:
        return _parse_tokens(value) if isinstance(value, str) else value

    @field_validator("admins", mode="before")
    @classmethod
    def _admins(cls, value: object) -> object:
        return tuple(a.strip() for a in value.split(",") if a.strip()) if isinstance(value, str) else value

    @classmethod
    def from_env(cls, **overrides: object) -> ServiceConfig:
        env = os.environ
        fw = Environment()  # every FW_* variable, with its help text (fw_kernel.settings)
        hub = bool(env.get("JUPYTERHUB_API_TOKEN"))
        prefix = env.get("JUPYTERHUB_SERVICE_PREFIX", "/").rstrip("/") + "/api/v1" if hub else None
        values: dict[str, object] = {
            "prefix": fw.service_prefix or prefix,
            "auth": fw.service_auth or ("hub" if hub else None),
            "tokens": fw.service_tokens,
            "secret": fw.service_secret,
            "rate_limit": fw.service_rate_limit,
            "rate_window_s": fw.service_rate_window_s,
            "max_body_bytes": fw.service_max_body_bytes,
            "max_photo_body_bytes": fw.service_max_photo_body_bytes,
            "admins": fw.service_admins,
            "download_ttl_s": fw.service_download_ttl_s,
            "hub_api_url": env.get("JUPYTERHUB_API_URL"),
            "hub_api_token": env.get("JUPYTERHUB_API_TOKEN"),
            "redis_url": fw.redis_url,
            "graphql_introspection": _flag(fw.service_graphql_introspection),
            "presigned_downloads": _flag(fw.service_presigned_downloads),
            "graphql_max_depth": fw.service_graphql_max_depth,
            "graphql_max_cost": fw.service_graphql_max_cost,
        }
        values = {k: v for k, v in values.items() if v is not None}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def _flag(value: str | None) -> bool | None:
    """An on/off ``FW_*`` variable: ``0``/``false``/``no``/``off`` is off; unset: None (the default)."""
    return None if value is None else value.strip().lower() not in ("0", "false", "no", "off")
