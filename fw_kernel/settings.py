"""Settings from the environment (``FW_*``) or from ``fw.connect(...)`` arguments."""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


def _default_user() -> str:
    return os.environ.get("FW_USER") or os.environ.get("JUPYTERHUB_USER") or getpass.getuser()


class Settings(BaseModel):
    """Where data lives and how the kernel behaves.

    With nothing set, everything is embedded under ``FW_HOME`` (default ``~/.fashion-wallet``): a SQLite
    database (relational data and documents), an in-process cache and event bus, and a local blob folder.
    """

    model_config = ConfigDict(extra="forbid")

    home: Path = Field(default_factory=lambda: Path(os.environ.get("FW_HOME", "~/.fashion-wallet")).expanduser())
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
    event_log: bool = True                       # analytics events with each change (FW_EVENT_LOG=0: off)
    event_retention_days: int | None = Field(None, ge=1)  # `fw metrics purge` deletes older events
    analysts: tuple[str, ...] = ()               # FW_ANALYSTS: users who see every design's metrics rows

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        env = {
            "database_url": os.environ.get("FW_DATABASE_URL"),
            "mongo_url": os.environ.get("FW_MONGO_URL"),
            "redis_url": os.environ.get("FW_REDIS_URL"),
            "storage_url": os.environ.get("FW_STORAGE_URL"),
            "autosave_debounce_s": os.environ.get("FW_AUTOSAVE_DEBOUNCE_S"),
            "queue": os.environ.get("FW_QUEUE"),
            "queue_prefix": os.environ.get("FW_QUEUE_PREFIX"),
            "export_retry_backoff_s": os.environ.get("FW_EXPORT_RETRY_BACKOFF"),
            "event_log": os.environ.get("FW_EVENT_LOG"),
            "event_retention_days": os.environ.get("FW_EVENT_RETENTION_DAYS") or None,
            "analysts": os.environ.get("FW_ANALYSTS"),
        }
        values = {k: v for k, v in env.items() if v is not None}
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
    url = service_url or env.get("FW_SERVICE_URL")
    on_hub = bool(env.get("JUPYTERHUB_API_TOKEN") and env.get("JUPYTERHUB_USER"))
    if not url and on_hub and not env.get("FW_DATABASE_URL") and env.get("JUPYTERHUB_PUBLIC_URL"):
        public = urlsplit(env["JUPYTERHUB_PUBLIC_URL"])
        base = env.get("JUPYTERHUB_BASE_URL", "/").rstrip("/")
        url = f"{public.scheme}://{public.netloc}{base}/services/{env.get('FW_SERVICE_NAME', 'fw')}/"
    if not url:
        return None
    token = token or env.get("FW_SERVICE_TOKEN") or env.get("JUPYTERHUB_API_TOKEN")
    if not token:
        from .domain.errors import ValidationError

        raise ValidationError.bad("token", None, "a design service token (FW_SERVICE_TOKEN, or JUPYTERHUB_API_TOKEN "
                                  "on a hub)", f"no token to call {url}")
    return url, token
