"""The Kooperationsgremium's work orders and recommendations, and the
missing resources it documents.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.String(32)
ID = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "kg_work_orders",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("area_id", ID, sa.ForeignKey("areas.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("addressee_kind", sa.String(16), nullable=False),
        sa.Column("addressee_name", sa.String(200), nullable=False),
        sa.Column("goal_number", sa.Integer, nullable=True),
        sa.Column("measure_id", sa.Integer, sa.ForeignKey("kg_measures.id"), nullable=True),
        sa.Column("meeting_id", sa.Integer, sa.ForeignKey("kg_meetings.id"), nullable=False),
        sa.Column("due", sa.String(10), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("created_by", ID, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_by", ID, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Index("ix_kg_work_orders_area", "area_id", "due"),
    )
    op.create_table(
        "kg_missing_resources",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("area_id", ID, sa.ForeignKey("areas.id"), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("estimate", sa.Text, nullable=False),
        sa.Column("recorded_by", ID, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Index("ix_kg_missing_resources_area", "area_id"),
    )


def downgrade() -> None:
    raise RuntimeError("regsam-flow does not downgrade")
