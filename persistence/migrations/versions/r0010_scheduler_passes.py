"""The schedulers' last successful send passes, for ``regsam-flow health``:
one row per worker (its name, the pass's time in UTC, its poll interval in
seconds), so that monitoring can tell a scheduler that stopped passing.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduler_passes",
        sa.Column("worker", sa.String(128), primary_key=True),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("poll_seconds", sa.Float, nullable=False),
        sa.Index("ix_scheduler_passes_at", "at"),
    )


def downgrade() -> None:
    """Drops the table: the passes are a monitoring record, not data."""
    op.drop_table("scheduler_passes")
