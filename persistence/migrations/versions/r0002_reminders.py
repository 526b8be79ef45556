"""Review-date reminders and review decisions.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.String(32)
ID = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("area_id", ID, sa.ForeignKey("areas.id"), nullable=False),
        sa.Column("review_date", sa.String(10), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("offset_days", sa.Integer, nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("claimed_by", sa.String(128), nullable=True),
        sa.Column("claimed_until", TS, nullable=True),
        sa.Column("sent_at", TS, nullable=True),
        sa.Column("last_error", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("area_id", "review_date", "offset_days", name="uq_reminders_slot"),
    )
    op.create_index("ix_reminders_due", "reminders", ["status", "next_attempt_at"])
    op.create_table(
        "reviews",
        sa.Column("area_id", ID, sa.ForeignKey("areas.id"), primary_key=True),
        sa.Column("review_date", sa.String(10), primary_key=True),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("next_review", sa.String(10), nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("decided_by", ID, nullable=False),
        sa.Column("decided_at", TS, nullable=False),
    )


def downgrade() -> None:
    raise RuntimeError("regsam-flow does not downgrade")
