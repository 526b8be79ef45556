"""The KG's mails: a durable outbox (meeting decisions, due and overdue work
orders), and each person's choice whether to get the decisions by mail.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TS = sa.String(32)
ID = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "kg_messages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("area_id", ID, sa.ForeignKey("areas.id"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("ref", sa.Integer, nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("claimed_by", sa.String(128), nullable=True),
        sa.Column("claimed_until", TS, nullable=True),
        sa.Column("sent_at", TS, nullable=True),
        sa.Column("last_error", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("area_id", "kind", "ref", "due_at", name="uq_kg_messages_slot"),
        sa.Index("ix_kg_messages_due", "status", "next_attempt_at"),
    )
    op.add_column(
        "people",
        sa.Column("decision_mails", sa.Boolean, nullable=False, server_default=sa.true()),
    )


def downgrade() -> None:
    raise RuntimeError("regsam-flow does not downgrade")
