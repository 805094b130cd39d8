"""Roll-ups for a designer's ``ws.metrics.activity()`` (the designs they can read), instead of a scan of those
designs' events: ``analytics.design_daily`` (the event log's counts per design, day and actor for the days that
are over), ``analytics.team_daily`` (their sums per day and actor over the designs every designer can read) and
``analytics.team_designs`` (which designs those are).

Filled with ``activity_daily`` by ``SqlMetricsReader.rollup``; the roll-ups so far are emptied here so the next
roll-up fills all three from the same days (``design_activity`` is recomputed too: its upsert keeps the newest).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    counts = ("edits", "created", "checkpoints", "exports", "events")
    # the columns of tables.daily_rollup(...) when this was written
    op.create_table(
        "design_daily",
        sa.Column("design_id", sa.String(32), primary_key=True),   # '' for events about no design
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("actor", sa.String(200), primary_key=True),
        *(sa.Column(name, sa.Integer, nullable=False) for name in counts),
        schema="analytics",
    )
    op.create_table(
        "team_daily",
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("actor", sa.String(200), primary_key=True),
        *(sa.Column(name, sa.Integer, nullable=False) for name in counts),
        schema="analytics",
    )
    op.create_table("team_designs", sa.Column("design_id", sa.String(32), primary_key=True), schema="analytics")
    postgres = op.get_bind().dialect.name == "postgresql"  # SQLite: no schemas
    op.execute(sa.delete(sa.table("activity_daily", schema="analytics" if postgres else None)))
    meta = sa.table("meta", sa.column("key"), schema="shared" if postgres else None)
    op.execute(sa.delete(meta).where(meta.c.key == "metrics_rollup_until"))


def downgrade() -> None:
    for name in ("design_daily", "team_daily", "team_designs"):
        op.drop_table(name, schema="analytics")
