"""Initial schema: users, avatars, catalog items, designs, layers, versions, history, collaborators,
comments and the embedded document store.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from fw_kernel.adapters.sql.tables import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")
Ts = UTCDateTime


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    if postgres:
        for schema in ("design", "avatar", "catalog", "shared"):
            op.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")

    op.create_table(
        "users",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("tier", sa.String(20), nullable=False, server_default="free"),
        sa.Column("created_at", Ts, nullable=False),
        schema="shared",
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        schema="shared",
    )
    op.create_table(
        "avatars",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("owner", sa.String(200), sa.ForeignKey("shared.users.name"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("measurements", Json, nullable=False),
        sa.Column("body_hint", sa.String(20), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("created_at", Ts, nullable=False),
        sa.Column("deleted_at", Ts),
        sa.CheckConstraint(_in("body_hint", ("female", "male", "neutral")), name="ck_avatars_body_hint"),
        schema="avatar",
    )
    op.create_index("ix_avatars_owner", "avatars", ["owner"], schema="avatar")
    op.create_table(
        "items",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("tags", Json, nullable=False),
        sa.Column("price", sa.Numeric(12, 2), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("availability", sa.String(20), nullable=False),
        sa.Column("compatibility", Json, nullable=False),
        sa.Column("parameters", Json, nullable=False),
        sa.Column("appearance", Json, nullable=False),
        sa.Column("physical", Json, nullable=False),
        sa.Column("thumbnail", sa.String(300)),
        sa.Column("updated_at", Ts, nullable=False),
        sa.CheckConstraint(_in("type", ("silhouette", "fabric", "pattern", "element", "accessory")),
                           name="ck_items_type"),
        sa.CheckConstraint("price >= 0", name="ck_items_price"),
        schema="catalog",
    )
    op.create_index("ix_items_type", "items", ["type"], schema="catalog")
    op.create_table(
        "designs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("owner", sa.String(200), sa.ForeignKey("shared.users.name"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("avatar_id", sa.String(32), sa.ForeignKey("avatar.avatars.id")),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("tags", Json, nullable=False),
        sa.Column("occasion", sa.String(200), nullable=False),
        sa.Column("season", sa.String(20)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("visibility", sa.String(20), nullable=False),
        sa.Column("canvas", Json, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("autosaved_version", sa.Integer, nullable=False, server_default="0"),
        sa.Column("fork_from", sa.String(32), sa.ForeignKey("design.designs.id")),
        sa.Column("view_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("like_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("fork_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", Ts, nullable=False),
        sa.Column("updated_at", Ts, nullable=False),
        sa.Column("last_edited_at", Ts, nullable=False),
        sa.Column("deleted_at", Ts),
        sa.CheckConstraint(_in("category", ("outfit", "top", "bottom", "dress", "outerwear", "full_collection")),
                           name="ck_designs_category"),
        sa.CheckConstraint(_in("status", ("draft", "published", "archived")), name="ck_designs_status"),
        sa.CheckConstraint(_in("visibility", ("private", "shared", "public")), name="ck_designs_visibility"),
        sa.CheckConstraint("version >= 1", name="ck_designs_version"),
        schema="design",
    )
    op.create_index("ix_designs_owner", "designs", ["owner", "deleted_at"], schema="design")
    op.create_index("ix_designs_autosave_pending", "designs", ["last_edited_at"], schema="design",
                    postgresql_where=sa.text("version > autosaved_version"),
                    sqlite_where=sa.text("version > autosaved_version"))
    op.create_table(
        "layers",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("design_id", sa.String(32), sa.ForeignKey("design.designs.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("order_index", sa.Integer, nullable=False),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("catalog_item_id", sa.String(64), nullable=False),
        sa.Column("transform", Json, nullable=False),
        sa.Column("customization", Json, nullable=False),
        sa.Column("is_visible", sa.Boolean, nullable=False),
        sa.Column("is_locked", sa.Boolean, nullable=False),
        sa.Column("blend_mode", sa.String(20), nullable=False),
        sa.Column("opacity", sa.Integer, nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("group_name", sa.String(200)),
        sa.Column("updated_at", Ts, nullable=False),
        sa.CheckConstraint(_in("type", ("silhouette", "fabric", "pattern", "element", "accessory")),
                           name="ck_layers_type"),
        sa.CheckConstraint(_in("blend_mode", ("normal", "multiply", "screen", "overlay", "add")),
                           name="ck_layers_blend_mode"),
        sa.CheckConstraint("opacity BETWEEN 0 AND 100", name="ck_layers_opacity"),
        sa.CheckConstraint("order_index >= 0", name="ck_layers_order"),
        schema="design",
    )
    op.create_index("ix_layers_design_order", "layers", ["design_id", "order_index"], schema="design")
    op.create_table(
        "versions",
        sa.Column("design_id", sa.String(32), sa.ForeignKey("design.designs.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("version_number", sa.Integer, primary_key=True),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("snapshot", Json, nullable=False),
        sa.Column("design_version", sa.Integer, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", Ts, nullable=False),
        sa.Column("synced", sa.Boolean, nullable=False, server_default=sa.false()),
        schema="design",
    )
    op.create_index("ix_versions_unsynced", "versions", ["created_at"], schema="design",
                    postgresql_where=sa.text("NOT synced"), sqlite_where=sa.text("NOT synced"))
    if postgres:
        # The seed's monthly-partitioned history; partitions are added ahead of time by migrate.py.
        op.execute("""
            CREATE TABLE design.history (
                id BIGSERIAL NOT NULL,
                design_id VARCHAR(32) NOT NULL,
                version INTEGER NOT NULL,
                user_name VARCHAR(200) NOT NULL,
                action VARCHAR(40) NOT NULL,
                data JSONB NOT NULL,
                created_at TIMESTAMPTZ NOT NULL,
                PRIMARY KEY (id, created_at)
            ) PARTITION BY RANGE (created_at)""")
        op.execute("CREATE TABLE design.history_default PARTITION OF design.history DEFAULT")
        op.execute("CREATE INDEX ix_history_design_version ON design.history (design_id, version)")
    else:
        op.create_table(
            "history",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("design_id", sa.String(32), nullable=False),
            sa.Column("version", sa.Integer, nullable=False),
            sa.Column("user_name", sa.String(200), nullable=False),
            sa.Column("action", sa.String(40), nullable=False),
            sa.Column("data", Json, nullable=False),
            sa.Column("created_at", Ts, nullable=False),
            schema="design",
        )
        op.create_index("ix_history_design_version", "history", ["design_id", "version"], schema="design")
    op.create_table(
        "collaborators",
        sa.Column("design_id", sa.String(32), sa.ForeignKey("design.designs.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("user_name", sa.String(200), sa.ForeignKey("shared.users.name"), primary_key=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("added_by", sa.String(200), nullable=False),
        sa.Column("created_at", Ts, nullable=False),
        sa.CheckConstraint(_in("role", ("viewer", "commenter", "editor", "owner")), name="ck_collab_role"),
        schema="design",
    )
    op.create_index("ix_collaborators_user", "collaborators", ["user_name"], schema="design")
    op.create_table(
        "comments",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("design_id", sa.String(32), sa.ForeignKey("design.designs.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("layer_id", sa.String(32)),
        sa.Column("user_name", sa.String(200), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", Ts, nullable=False),
        schema="design",
    )
    op.create_index("ix_comments_design", "comments", ["design_id", "created_at"], schema="design")
    # Embedded document store (production uses MongoDB collections of the same names).
    op.create_table(
        "design_snapshots",
        sa.Column("design_id", sa.String(32), primary_key=True),
        sa.Column("version_number", sa.Integer, primary_key=True),
        sa.Column("doc", Json, nullable=False),
        sa.Column("created_at", Ts, nullable=False),
        schema="shared",
    )
    op.create_table(
        "design_autosaves",
        sa.Column("design_id", sa.String(32), primary_key=True),
        sa.Column("design_version", sa.Integer, primary_key=True),
        sa.Column("doc", Json, nullable=False),
        sa.Column("saved_at", Ts, nullable=False),
        sa.Column("expires_at", Ts, nullable=False),
        schema="shared",
    )
    op.create_index("ix_design_autosaves_expires", "design_autosaves", ["expires_at"], schema="shared")
    op.create_table(
        "render_cache",
        sa.Column("render_hash", sa.String(128), primary_key=True),
        sa.Column("doc", Json, nullable=False),
        sa.Column("created_at", Ts, nullable=False),
        sa.Column("expires_at", Ts, nullable=False),
        schema="shared",
    )
    op.create_index("ix_render_cache_expires", "render_cache", ["expires_at"], schema="shared")


def downgrade() -> None:
    for schema, table in [("shared", "render_cache"), ("shared", "design_autosaves"),
                          ("shared", "design_snapshots"), ("design", "comments"), ("design", "collaborators"),
                          ("design", "history"), ("design", "versions"), ("design", "layers"),
                          ("design", "designs"), ("catalog", "items"), ("avatar", "avatars"), ("shared", "meta"),
                          ("shared", "users")]:
        op.drop_table(table, schema=schema)
