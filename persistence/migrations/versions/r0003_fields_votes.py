"""Instance data (fields) and votes, for workflows such as the selection of areas.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.String(32)
ID = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "fields",
        sa.Column("area_id", ID, sa.ForeignKey("areas.id"), primary_key=True),
        sa.Column("field_id", ID, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("set_by", ID, nullable=False),
        sa.Column("set_at", TS, nullable=False),
    )
    op.create_table(
        "votes",
        sa.Column("area_id", ID, sa.ForeignKey("areas.id"), primary_key=True),
        sa.Column("round", sa.Integer, primary_key=True),
        sa.Column("person_id", ID, primary_key=True),
        sa.Column("role", ID, nullable=False),
        sa.Column("vote", sa.Boolean, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("at", TS, nullable=False),
    )


def downgrade() -> None:
    raise RuntimeError("regsam-flow does not downgrade")
