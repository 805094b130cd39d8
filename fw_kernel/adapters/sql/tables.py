"""Table definitions used by the repositories (the schema itself is created by the Alembic migrations).

Schemas ``design``, ``avatar``, ``catalog``, ``shared`` and ``analytics`` on PostgreSQL; on SQLite they are
translated away (table names are unique across schemas).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy.dialects.postgresql import JSONB

SCHEMAS = ("design", "avatar", "catalog", "shared", "analytics")
SQLITE_SCHEMA_MAP = {name: None for name in SCHEMAS}


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both backends (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


Json = JSON().with_variant(JSONB(), "postgresql")
Ts = UTCDateTime

metadata = MetaData()

users = Table(
    "users", metadata,
    Column("name", String(200), primary_key=True),
    Column("tier", String(20), nullable=False),
    Column("created_at", Ts, nullable=False),
    schema="shared",
)

meta_kv = Table(
    "meta", metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
    schema="shared",
)

avatars = Table(
    "avatars", metadata,
    Column("id", String(32), primary_key=True),
    Column("owner", String(200), nullable=False),
    Column("name", String(200), nullable=False),
    Column("measurements", Json, nullable=False),
    Column("body_hint", String(20), nullable=False),
    Column("source", String(20), nullable=False),
    Column("created_at", Ts, nullable=False),
    Column("deleted_at", Ts),
    Column("requested", Json, nullable=False),
    Column("body", Json, nullable=False),
    Column("confidence", Json, nullable=False, server_default="{}"),
    schema="avatar",
)

items = Table(
    "items", metadata,
    Column("id", String(64), primary_key=True),
    Column("type", String(20), nullable=False),
    Column("name", String(120), nullable=False),
    Column("description", Text, nullable=False),
    Column("tags", Json, nullable=False),
    Column("price", Numeric(12, 2), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("availability", String(20), nullable=False),
    Column("compatibility", Json, nullable=False),
    Column("parameters", Json, nullable=False),
    Column("appearance", Json, nullable=False),
    Column("physical", Json, nullable=False),
    Column("thumbnail", String(300)),
    Column("updated_at", Ts, nullable=False),
    Column("search_text", Text, nullable=False),
    schema="catalog",
)

designs = Table(
    "designs", metadata,
    Column("id", String(32), primary_key=True),
    Column("owner", String(200), nullable=False),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("avatar_id", String(32)),
    Column("category", String(20), nullable=False),
    Column("tags", Json, nullable=False),
    Column("occasion", String(200), nullable=False),
    Column("season", String(20)),
    Column("status", String(20), nullable=False),
    Column("visibility", String(20), nullable=False),
    Column("canvas", Json, nullable=False),
    Column("version", Integer, nullable=False),
    Column("autosaved_version", Integer, nullable=False),
    Column("fork_from", String(32)),
    Column("view_count", Integer, nullable=False),
    Column("like_count", Integer, nullable=False),
    Column("fork_count", Integer, nullable=False),
    Column("created_at", Ts, nullable=False),
    Column("updated_at", Ts, nullable=False),
    Column("last_edited_at", Ts, nullable=False),
    Column("deleted_at", Ts),
    schema="design",
)

layers = Table(
    "layers", metadata,
    Column("id", String(32), primary_key=True),
    Column("design_id", String(32), primary_key=True),
    Column("order_index", Integer, nullable=False),
    Column("type", String(20), nullable=False),
    Column("name", String(200), nullable=False),
    Column("catalog_item_id", String(64), nullable=False),
    Column("transform", Json, nullable=False),
    Column("customization", Json, nullable=False),
    Column("is_visible", Boolean, nullable=False),
    Column("is_locked", Boolean, nullable=False),
    Column("blend_mode", String(20), nullable=False),
    Column("opacity", Integer, nullable=False),
    Column("notes", Text, nullable=False),
    Column("group_name", String(200)),
    Column("updated_at", Ts, nullable=False),
    schema="design",
)

versions = Table(
    "versions", metadata,
    Column("design_id", String(32), primary_key=True),
    Column("version_number", Integer, primary_key=True),
    Column("message", Text, nullable=False),
    Column("snapshot", Json, nullable=False),
    Column("design_version", Integer, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", Ts, nullable=False),
    Column("synced", Boolean, nullable=False),
    schema="design",
)

history = Table(
    "history", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("design_id", String(32), nullable=False),
    Column("version", Integer, nullable=False),
    Column("user_name", String(200), nullable=False),
    Column("action", String(40), nullable=False),
    Column("data", Json, nullable=False),
    Column("created_at", Ts, nullable=False, primary_key=True),
    schema="design",
)

collaborators = Table(
    "collaborators", metadata,
    Column("design_id", String(32), primary_key=True),
    Column("user_name", String(200), primary_key=True),
    Column("role", String(20), nullable=False),
    Column("added_by", String(200), nullable=False),
    Column("created_at", Ts, nullable=False),
    schema="design",
)

comments = Table(
    "comments", metadata,
    Column("id", String(32), primary_key=True),
    Column("design_id", String(32), nullable=False),
    Column("layer_id", String(32)),
    Column("user_name", String(200), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", Ts, nullable=False),
    schema="design",
)

exports = Table(
    "exports", metadata,
    Column("id", String(32), primary_key=True),
    Column("design_id", String(32), nullable=False),
    Column("user_name", String(200), nullable=False),
    Column("type", String(20), nullable=False),
    Column("options", Json, nullable=False),
    Column("status", String(20), nullable=False),
    Column("progress", Integer, nullable=False),
    Column("file_url", Text),
    Column("file_name", String(300)),
    Column("file_size", BigInteger),
    Column("error", Text),
    Column("retry_count", Integer, nullable=False),
    Column("created_at", Ts, nullable=False),
    Column("completed_at", Ts),
    Column("expires_at", Ts),
    Column("request", Json),   # design snapshot + avatar body: what a worker process renders
    schema="design",
)

# The document store of the embedded default (MongoDB collections of the same names in production).
doc_snapshots = Table(
    "design_snapshots", metadata,
    Column("design_id", String(32), primary_key=True),
    Column("version_number", Integer, primary_key=True),
    Column("doc", Json, nullable=False),
    Column("created_at", Ts, nullable=False),
    schema="shared",
)

doc_autosaves = Table(
    "design_autosaves", metadata,
    Column("design_id", String(32), primary_key=True),
    Column("design_version", Integer, primary_key=True),
    Column("doc", Json, nullable=False),
    Column("saved_at", Ts, nullable=False),
    Column("expires_at", Ts, nullable=False),
    schema="shared",
)

doc_render_cache = Table(
    "render_cache", metadata,
    Column("render_hash", String(128), primary_key=True),
    Column("doc", Json, nullable=False),
    Column("created_at", Ts, nullable=False),
    Column("expires_at", Ts, nullable=False),
    schema="shared",
)

# Who audited which design, how and why (migration 0007); kept when the design is deleted.
audit_log = Table(
    "audit_log", metadata,
    Column("id", String(32), primary_key=True),
    Column("admin_name", String(200), nullable=False),
    Column("design_id", String(32), nullable=False),
    Column("owner_name", String(200), nullable=False),
    Column("endpoint", String(200), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", Ts, nullable=False),
    schema="design",
)

# The analytics event log (migration 0008): append-only, monthly partitions on PostgreSQL.
events = Table(
    "events", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("time", Ts, nullable=False, primary_key=True),
    Column("type", String(40), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("design_id", String(32)),
    Column("properties", Json, nullable=False),
    schema="analytics",
    implicit_returning=False,  # nobody needs the new id back: no RETURNING on each insert
)

# Roll-ups of the event log for days that are over: what ws.metrics reads instead of scanning a million events;
# the current day is always aggregated live. Up to which day they hold: shared.meta "metrics_rollup_until".
ROLLUP_COUNTS = ("edits", "created", "checkpoints", "exports", "events")  # per day and key, see metrics_sql
NO_DESIGN = ""  # design_daily's design_id of the events about no design (sessions): a key cannot be NULL


def daily_rollup(name: str, *keys: tuple[str, int]) -> Table:
    """A roll-up table ``analytics.<name>``: the primary key ``keys`` (name, length of the string; ``day``,
    'YYYY-MM-DD' UTC, first unless placed), then one integer column per :data:`ROLLUP_COUNTS`."""
    if "day" not in (key for key, _ in keys):
        keys = (("day", 10), *keys)
    return Table(name, metadata, *(Column(key, String(length), primary_key=True) for key, length in keys),
                 *(Column(count, Integer, nullable=False) for count in ROLLUP_COUNTS), schema="analytics")


activity_daily = daily_rollup("activity_daily", ("actor", 200))  # migration 0008: every design's, per actor
# Migration 0009, for a designer's scope (the designs they can read): per design (NO_DESIGN: none), day and actor
# (design first: a designer's own designs are index ranges), and the sums of design_daily over the designs every
# designer can read (public, or shared and published: those in team_designs), per day and actor, kept equal to
# them when a design's visibility changes (SqlMetricsReader.sync_team).
design_daily = daily_rollup("design_daily", ("design_id", 32), ("day", 10), ("actor", 200))
team_daily = daily_rollup("team_daily", ("actor", 200))
team_designs = Table("team_designs", metadata, Column("design_id", String(32), primary_key=True),
                     schema="analytics")

design_activity = Table(
    "design_activity", metadata,
    Column("design_id", String(32), primary_key=True),
    Column("last_time", Ts, nullable=False),
    schema="analytics",
)
