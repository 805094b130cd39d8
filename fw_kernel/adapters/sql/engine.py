"""Engines for the relational store: SQLite (embedded default) or PostgreSQL (psycopg 3)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from ..require_ import require_driver
from .tables import SQLITE_SCHEMA_MAP


def normalise_url(url: str) -> str:
    """``postgresql://`` / ``postgres://`` -> ``postgresql+psycopg://`` (psycopg 3)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record) -> None:
            # Let SQLAlchemy (not pysqlite) emit BEGIN, so every transaction can be BEGIN IMMEDIATE.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")      # readers never block the writer
            cursor.execute("PRAGMA synchronous=NORMAL")    # WAL + NORMAL survives a killed process
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection) -> None:
            # Take the write lock up front: two processes never deadlock upgrading read locks.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine.execution_options(schema_translate_map=SQLITE_SCHEMA_MAP)
    if parsed.get_backend_name() == "postgresql":
        require_driver("psycopg", "postgres")
        return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
    raise ValueError(f"unsupported database URL {parsed.render_as_string(hide_password=True)!r}; "
                     "use sqlite:///path or postgresql://user@host/db")


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def month_start(when: datetime, offset: int = 0) -> datetime:
    index = when.year * 12 + when.month - 1 + offset
    return when.replace(year=index // 12, month=index % 12 + 1, day=1, hour=0, minute=0, second=0, microsecond=0)
