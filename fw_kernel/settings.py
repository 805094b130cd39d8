"""Settings from the environment (``FW_*``) or from ``fw.connect(...)`` arguments.

:class:`Environment` is the one model of every ``FW_*`` variable (pydantic-settings, ``env_prefix="FW_"``, help
text on each field): the kernel (:meth:`Settings.from_env`), the design service (``fw_server.config``), ``fw hub``
(``fw_server.hub``) and the worker read their variables through it. The README's settings table is
:func:`settings_table` (``python -m fw_kernel.settings`` prints it; a test checks the README against it).
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_KERNEL, _SERVICE, _HUB = "kernel", "service", "hub"


def _f(default: object, help: str, shown: str | None = None, group: str = _KERNEL, secret: bool = False) -> Any:
    """A field of :class:`Environment`: its help text, the default as the README shows it, and its group."""
    extra: dict[str, Any] = {"group": group}
    if shown is not None:
        extra["shown"] = shown
    return Field(default, description=help, repr=not secret, json_schema_extra=extra)


class Environment(BaseSettings):
    """Every ``FW_*`` environment variable, with what it does (read once by whoever needs it: ``Environment()``).

    Values are kept as given (strings, numbers); the settings they feed (:class:`Settings`,
    ``fw_server.config.ServiceConfig``, ``fw_server.hub``) parse and check them. Unset: None.
    """

    model_config = SettingsConfigDict(env_prefix="FW_", extra="ignore", case_sensitive=False)

    # -- the kernel (every notebook, the design service, the workers) ------------------------------------------
    home: str | None = _f(None, "folder of the embedded default", "`~/.fashion-wallet`")
    database_url: str | None = _f(None, "`postgresql://user@host/db` (psycopg 3)", "SQLite file in `FW_HOME`")
    mongo_url: str | None = _f(None, "document store (snapshots, auto-saves, render cache)",
                               "tables in the relational store")
    redis_url: str | None = _f(None, "state cache and change events", "in-process")
    storage_url: str | None = _f(None, "blob store (fsspec URL)", "`FW_HOME/blobs`")
    user: str | None = _f(None, "acting user", "`JUPYTERHUB_USER`, else the OS user")
    autosave_debounce_s: float | None = _f(None, "auto-save debounce (seconds)", "30")
    queue: str | None = _f(
        None, "export job queue: `local` (a worker thread in the kernel) or `rq` (RQ on `FW_REDIS_URL`, run by "
        "`fw worker`)", "`rq` when `FW_REDIS_URL` is set, else `local`")
    queue_prefix: str | None = _f(None, "RQ queue names `<prefix>-high`, `-default`, `-low`", "`fw-exports`")
    export_retry_backoff: str | None = _f(
        None, "retries of a failed export job on RQ: seconds before each (`\"\"`: none)", "`10,60`")
    photo_key: str | None = _f(None, "key of kept body photos (32 bytes, URL-safe base64)",
                               "a key file `FW_HOME/photo.key`", secret=True)
    egl_device: str | None = _f(None, "the GPU (EGL device index) offscreen renders use", "the first device")
    warp_cache: str | None = _f(None, "warp's kernel cache of the cloth solver (compiled once per machine)",
                                "`~/.cache/fw/warp`")
    draper: str | None = _f(None, "the cloth draper of drape jobs: `module:Class`, made with no arguments",
                            "`fw_kernel.adapters.drape_newton:NewtonDraper`")
    event_log: str | None = _f(None, "write the analytics event log with each change (`0`: off)", "`1`")
    event_retention_days: int | None = _f(None, "`fw metrics purge` deletes events older than this (days)",
                                          "keep all")
    analysts: str | None = _f(None, "users who see every design's metrics rows, comma-separated (besides the hub "
                              "group `fw-analysts`)", "none")
    service_url: str | None = _f(None, "the design service a kernel talks to over HTTP (no database settings)",
                                 "on a hub: `/services/<FW_SERVICE_NAME>/`; else none (local stores)")
    service_token: str | None = _f(None, "the token a kernel calls the design service with",
                                   "`JUPYTERHUB_API_TOKEN`", secret=True)
    service_name: str | None = _f(None, "the design service's name on a hub", "`fw`")

    # -- the design service (`fw service`) ------------------------------------------------------------------------
    service_prefix: str | None = _f(None, "URL prefix of the REST API", "`/api/v1` (on a hub: the service's prefix)",
                                    group=_SERVICE)
    service_auth: str | None = _f(
        None, "`static` (the token table `FW_SERVICE_TOKENS`) or `hub` (JupyterHub tokens and OAuth)",
        "`hub` when `JUPYTERHUB_API_TOKEN` is set, else `static`", group=_SERVICE)
    service_tokens: str | None = _f(None, "static token table `token:user[:expires_epoch],...`", "none",
                                    group=_SERVICE, secret=True)
    service_secret: str | None = _f(None, "HMAC key of signed download links (the same on every process)",
                                    "random per process", group=_SERVICE, secret=True)
    service_rate_limit: int | None = _f(None, "requests per user per window", "600", group=_SERVICE)
    service_rate_window_s: int | None = _f(None, "rate limit window (seconds)", "60", group=_SERVICE)
    service_max_body_bytes: int | None = _f(None, "largest request body (bytes)", "1000000", group=_SERVICE)
    service_max_photo_body_bytes: int | None = _f(None, "largest photo upload body (bytes)", "70000000",
                                                  group=_SERVICE)
    service_admins: str | None = _f(None, "users who may audit designs, comma-separated (besides the hub's admins)",
                                    "none", group=_SERVICE)
    service_download_ttl_s: int | None = _f(None, "how long a signed download link is valid (seconds)", "300",
                                            group=_SERVICE)
    service_presigned_downloads: str | None = _f(
        None, "blobs on S3: signed download links redirect to a pre-signed S3 URL (`0`: the service streams the "
        "file, for an endpoint browsers cannot reach)", "`1`", group=_SERVICE)
    service_graphql_introspection: str | None = _f(
        None, "answer GraphQL introspection queries at `/api/v1/graphql` (`0`: off, for production)", "`1`",
        group=_SERVICE)
    service_graphql_max_depth: int | None = _f(None, "deepest GraphQL query accepted (levels of fields)", "10",
                                               group=_SERVICE)
    service_graphql_max_cost: int | None = _f(
        None, "costliest GraphQL query accepted (fields, times 20 under each list)", "5000", group=_SERVICE)

    # -- `fw hub` -----------------------------------------------------------------------------------------------
    hub_users: str | None = _f(None, "the hub's users and passwords `user:password,...`", "none (required)",
                               group=_HUB, secret=True)
    hub_admins: str | None = _f(None, "the hub's admins, comma-separated", "none", group=_HUB)
    hub_home: str | None = _f(None, "the hub's state and the users' folders (`users/<name>`)", "`FW_HOME/hub`",
                              group=_HUB)
    hub_admin_token: str | None = _f(None, "a token for the hub's admin REST API (`/hub/api`)", "none", group=_HUB,
                                     secret=True)
    hub_proxy: str | None = _f(None, "the configurable-http-proxy executable",
                               "`.tools/node_modules/.bin/`, else the PATH", group=_HUB)
    hub_ip: str | None = _f(None, "the address the hub listens on", "`127.0.0.1`", group=_HUB)
    hub_port: int | None = _f(None, "the hub's public port", "8000", group=_HUB)
    hub_api_port: int | None = _f(None, "the port of the Hub itself", "`FW_HUB_PORT` + 1", group=_HUB)
    hub_proxy_api_port: int | None = _f(None, "the proxy's API port", "`FW_HUB_PORT` + 2", group=_HUB)
    hub_service_port: int | None = _f(None, "the design service's port", "`FW_HUB_PORT` + 3", group=_HUB)


def settings_table() -> str:
    """The README's settings table: every ``FW_*`` variable, who reads it, what it does and its default."""
    rows = ["| variable | read by | what | default |", "|---|---|---|---|"]
    for name, info in Environment.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        rows.append(f"| `FW_{name.upper()}` | {extra.get('group', _KERNEL)} | {info.description} | "
                    f"{extra.get('shown', '')} |")
    return "\n".join(rows)


def _default_user() -> str:
    return Environment().user or os.environ.get("JUPYTERHUB_USER") or getpass.getuser()


class Settings(BaseModel):
    """Where data lives and how the kernel behaves.

    With nothing set, everything is embedded under ``FW_HOME`` (default ``~/.fashion-wallet``): a SQLite
    database (relational data and documents), an in-process cache and event bus, and a local blob folder.
    """

    model_config = ConfigDict(extra="forbid")

    home: Path = Field(default_factory=lambda: Path(Environment().home or "~/.fashion-wallet").expanduser())
    database_url: str | None = None
    mongo_url: str | None = None
    mongo_database: str = "fashion_wallet"
    redis_url: str | None = None
    storage_url: str | None = None
    user: str = Field(default_factory=_default_user)
    tier: str = "free"
    autosave_debounce_s: float = 30.0
    autosave_interval_s: float = 1.0
    autosave_thread: bool = True
    state_ttl_s: int = 30 * 60
    max_designs: int | None = None           # overrides the tier's limit when set
    max_layers_per_design: int | None = None
    catalog_dir: Path | None = None
    queue: Literal["local", "rq"] | None = None   # export jobs; None: rq when redis_url is set, else local
    queue_prefix: str = "fw-exports"             # RQ queues <prefix>-high, -default, -low
    export_retry_backoff_s: tuple[int, ...] = (10, 60)   # one retry per entry, after that many seconds
    draper: str = "fw_kernel.adapters.drape_newton:NewtonDraper"  # FW_DRAPER: the drape jobs' cloth draper
    event_log: bool = True                       # analytics events with each change (FW_EVENT_LOG=0: off)
    event_retention_days: int | None = Field(None, ge=1)  # `fw metrics purge` deletes older events
    analysts: tuple[str, ...] = ()               # FW_ANALYSTS: users who see every design's metrics rows
    service_url: str | None = None               # a design service: bootstrap() builds its HTTP client
    service_token: str | None = Field(None, repr=False)

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        e = Environment()
        env = {"database_url": e.database_url, "mongo_url": e.mongo_url, "redis_url": e.redis_url,
               "storage_url": e.storage_url, "autosave_debounce_s": e.autosave_debounce_s, "queue": e.queue,
               "queue_prefix": e.queue_prefix, "export_retry_backoff_s": e.export_retry_backoff,
               "event_log": e.event_log, "draper": e.draper, "event_retention_days": e.event_retention_days or None,
               "analysts": e.analysts}
        values: dict[str, object] = {k: v for k, v in env.items() if v is not None}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @field_validator("export_retry_backoff_s", mode="before")
    @classmethod
    def _backoff_list(cls, value: object) -> object:
        """``FW_EXPORT_RETRY_BACKOFF="10,60"``: two retries, 10 s and 60 s after a failure ("" for none)."""
        if isinstance(value, str):
            return tuple(int(v) for v in value.replace(" ", "").split(",") if v)
        return value

    @field_validator("analysts", mode="before")
    @classmethod
    def _analyst_list(cls, value: object) -> object:
        """``FW_ANALYSTS="ann,bo"``."""
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip())
        return value

    @property
    def resolved_queue(self) -> str:
        """``rq`` when asked for or when a Redis URL is configured, else the in-process ``local`` queue."""
        return self.queue or ("rq" if self.redis_url else "local")

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'fashion_wallet.sqlite3'}"

    @property
    def resolved_storage_url(self) -> str:
        return self.storage_url or (self.home / "blobs").as_uri()


def service_endpoint(service_url: str | None = None, token: str | None = None) -> tuple[str, str] | None:
    """Where the design service is and the token to call it with, or None for a local workspace.

    ``service_url`` (else ``FW_SERVICE_URL``) is the service's root, e.g. ``http://127.0.0.1:8765/`` or
    ``https://hub.example.com/services/fw/``. Inside a JupyterHub single-user server (``JUPYTERHUB_API_TOKEN`` and
    ``JUPYTERHUB_USER`` set) without ``FW_DATABASE_URL`` it defaults to ``/services/<FW_SERVICE_NAME or fw>/`` on
    the hub's public URL. The token: ``token``, else ``FW_SERVICE_TOKEN``, else ``JUPYTERHUB_API_TOKEN``.
    """
    from urllib.parse import urlsplit

    env = os.environ
    fw = Environment()
    url = service_url or fw.service_url
    on_hub = bool(env.get("JUPYTERHUB_API_TOKEN") and env.get("JUPYTERHUB_USER"))
    if not url and on_hub and not fw.database_url and env.get("JUPYTERHUB_PUBLIC_URL"):
        public = urlsplit(env["JUPYTERHUB_PUBLIC_URL"])
        base = env.get("JUPYTERHUB_BASE_URL", "/").rstrip("/")
        url = f"{public.scheme}://{public.netloc}{base}/services/{fw.service_name or 'fw'}/"
    if not url:
        return None
    token = token or fw.service_token or env.get("JUPYTERHUB_API_TOKEN")
    if not token:
        from .domain.errors import ValidationError

        raise ValidationError.bad("token", None, "a design service token (FW_SERVICE_TOKEN, or JUPYTERHUB_API_TOKEN "
                                  "on a hub)", f"no token to call {url}")
    return url, token


if __name__ == "__main__":  # python -m fw_kernel.settings: the README's settings table
    print(settings_table())
