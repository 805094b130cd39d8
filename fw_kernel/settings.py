"""Settings from the environment (``FW_*``) or from ``fw.connect(...)`` arguments."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


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

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        env = {
            "database_url": os.environ.get("FW_DATABASE_URL"),
            "mongo_url": os.environ.get("FW_MONGO_URL"),
            "redis_url": os.environ.get("FW_REDIS_URL"),
            "storage_url": os.environ.get("FW_STORAGE_URL"),
            "autosave_debounce_s": os.environ.get("FW_AUTOSAVE_DEBOUNCE_S"),
        }
        values = {k: v for k, v in env.items() if v is not None}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'fashion_wallet.sqlite3'}"

    @property
    def resolved_storage_url(self) -> str:
        return self.storage_url or (self.home / "blobs").as_uri()
