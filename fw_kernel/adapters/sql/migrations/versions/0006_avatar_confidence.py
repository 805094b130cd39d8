"""Avatars from photos keep a confidence (0..1) per measurement.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")


def _schema() -> str | None:
    # alembic's ALTER TABLE ignores schema_translate_map: name the schema only where it exists
    return "avatar" if op.get_bind().dialect.name == "postgresql" else None


def upgrade() -> None:
    op.add_column("avatars", sa.Column("confidence", Json, nullable=False, server_default="{}"), schema=_schema())


def downgrade() -> None:
    op.drop_column("avatars", "confidence", schema=_schema())
