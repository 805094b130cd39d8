"""Catalog full-text search: PostgreSQL tsvector + pg_trgm; SQLite FTS5.

Typo tolerance: the catalog service expands misspelt words to close catalog words (both back ends);
PostgreSQL also matches by trigram word similarity.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _schema() -> str | None:
    # alembic's ALTER TABLE ignores schema_translate_map: name the schema only where it exists
    return "catalog" if op.get_bind().dialect.name == "postgresql" else None


def upgrade() -> None:
    op.add_column("items", sa.Column("search_text", sa.Text, nullable=False, server_default=""), schema=_schema())
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("""
            ALTER TABLE catalog.items ADD COLUMN search tsvector GENERATED ALWAYS AS (
                setweight(to_tsvector('english', coalesce(name, '')), 'A') ||
                setweight(to_tsvector('english', coalesce(search_text, '')), 'B') ||
                setweight(to_tsvector('english', coalesce(description, '')), 'C')) STORED""")
        op.execute("CREATE INDEX ix_items_search ON catalog.items USING gin (search)")
        op.execute("CREATE INDEX ix_items_trgm ON catalog.items USING gin ((name || ' ' || search_text) gin_trgm_ops)")
        op.execute("CREATE INDEX ix_items_price ON catalog.items (price)")
    else:
        op.execute("CREATE VIRTUAL TABLE items_fts USING fts5(id UNINDEXED, name, tags, description, "
                   "tokenize='porter unicode61')")
    # Make the next connect reload the catalog, which fills search_text and the FTS index.
    meta = "shared.meta" if op.get_bind().dialect.name == "postgresql" else "meta"
    op.execute(f"DELETE FROM {meta} WHERE key = 'catalog_manifest_hash'")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS catalog.ix_items_price")
        op.execute("DROP INDEX IF EXISTS catalog.ix_items_trgm")
        op.execute("DROP INDEX IF EXISTS catalog.ix_items_search")
        op.execute("ALTER TABLE catalog.items DROP COLUMN search")
    else:
        op.execute("DROP TABLE items_fts")
    op.drop_column("items", "search_text", schema=_schema())
