"""Export jobs (queued -> processing -> completed | failed).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from fw_kernel.adapters.sql.tables import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "exports",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("design_id", sa.String(32), sa.ForeignKey("design.designs.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("user_name", sa.String(200), nullable=False),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("options", Json, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("progress", sa.Integer, nullable=False),
        sa.Column("file_url", sa.Text),
        sa.Column("file_name", sa.String(300)),
        sa.Column("file_size", sa.BigInteger),
        sa.Column("error", sa.Text),
        sa.Column("retry_count", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("completed_at", UTCDateTime),
        sa.Column("expires_at", UTCDateTime),
        sa.CheckConstraint("status IN ('queued', 'processing', 'completed', 'failed')", name="ck_exports_status"),
        sa.CheckConstraint("progress BETWEEN 0 AND 100", name="ck_exports_progress"),
        schema="design",
    )
    op.create_index("ix_exports_design", "exports", ["design_id", "created_at"], schema="design")


def downgrade() -> None:
    op.drop_table("exports", schema="design")
