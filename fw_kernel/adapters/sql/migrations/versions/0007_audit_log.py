"""Audit records: every read of a design by an admin through the audit endpoints, with its reason.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

from fw_kernel.adapters.sql.tables import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # no foreign key to the design: the record outlives it (an audit must stay visible after a delete)
    op.create_table(
        "audit_log",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("admin_name", sa.String(200), nullable=False),
        sa.Column("design_id", sa.String(32), nullable=False),
        sa.Column("owner_name", sa.String(200), nullable=False),
        sa.Column("endpoint", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        schema="design",
    )
    op.create_index("ix_audit_log_design", "audit_log", ["design_id", "created_at"], schema="design")
    op.create_index("ix_audit_log_admin", "audit_log", ["admin_name", "created_at"], schema="design")
    op.create_index("ix_audit_log_owner", "audit_log", ["owner_name", "created_at"], schema="design")


def downgrade() -> None:
    op.drop_table("audit_log", schema="design")
