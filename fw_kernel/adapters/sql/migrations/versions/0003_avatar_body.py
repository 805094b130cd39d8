"""Avatars keep the requested measurements and the body-model parameters of the fitted mesh.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")


def _schema() -> str | None:
    # alembic's ALTER TABLE ignores schema_translate_map: name the schema only where it exists
    return "avatar" if op.get_bind().dialect.name == "postgresql" else None


def upgrade() -> None:
    op.add_column("avatars", sa.Column("requested", Json, nullable=False, server_default="{}"), schema=_schema())
    op.add_column("avatars", sa.Column("body", Json, nullable=False, server_default="{}"), schema=_schema())


def downgrade() -> None:
    op.drop_column("avatars", "body", schema=_schema())
    op.drop_column("avatars", "requested", schema=_schema())
