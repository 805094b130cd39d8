"""Export records keep their request (design snapshot, canvas, avatar body) so a worker in another process,
on another machine, can run them after the requesting kernel has gone.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")


def _schema() -> str | None:
    # alembic's ALTER TABLE ignores schema_translate_map: name the schema only where it exists
    return "design" if op.get_bind().dialect.name == "postgresql" else None


def upgrade() -> None:
    op.add_column("exports", sa.Column("request", Json), schema=_schema())


def downgrade() -> None:
    op.drop_column("exports", "request", schema=_schema())
