"""Run the Alembic migrations programmatically (``fw migrate`` and every ``fw.connect()``)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

from .engine import is_postgres, month_start
from .tables import SCHEMAS

log = logging.getLogger(__name__)
_LOCK_KEY = 7_261_530_001  # advisory lock id: concurrent connects migrate one at a time


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    cfg = alembic_config()
    with engine.begin() as connection:
        if is_postgres(engine):
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
            for schema in SCHEMAS:  # alembic's version table lives in `shared`
                connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)
    if is_postgres(engine):
        ensure_history_partitions(engine)
        ensure_monthly_partitions(engine, "analytics", "events")


def ensure_history_partitions(engine: Engine, now: datetime | None = None, months_ahead: int = 2) -> None:
    """Create the monthly partitions of ``design.history`` for this month and the next ones.

    Rows outside every monthly partition land in ``history_default``, so an insert never fails.
    """
    ensure_monthly_partitions(engine, "design", "history", now, months_ahead)


def ensure_monthly_partitions(engine: Engine, schema: str, table: str, now: datetime | None = None,
                              months_ahead: int = 2, months_back: int = 0) -> list[str]:
    """Create the monthly partitions ``{table}_yYYYYmMM`` of a table partitioned by range of time, from
    ``months_back`` months ago to ``months_ahead`` months ahead; returns the names created."""
    now = now or datetime.now(UTC)
    created = []
    for offset in range(-months_back, months_ahead + 1):
        start, end = month_start(now, offset), month_start(now, offset + 1)
        name = f"{table}_y{start:%Y}m{start:%m}"
        with engine.begin() as connection:
            exists = connection.execute(text("SELECT to_regclass(:n)"), {"n": f"{schema}.{name}"}).scalar()
            if exists:
                continue
            try:
                connection.execute(text(
                    f"CREATE TABLE IF NOT EXISTS {schema}.{name} PARTITION OF {schema}.{table} "
                    f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"))
                created.append(name)
            except Exception as exc:  # rows of that month already sit in the default partition: keep them there
                log.warning("%s partition %s not created: %s", table, name, exc)
    return created
