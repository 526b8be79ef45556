"""The Kooperationsgremium's work: meetings (attendees, decisions,
attachments), the catalogue of goals and measures, its adopted versions.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.String(32)
ID = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "kg_meetings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("area_id", ID, sa.ForeignKey("areas.id"), nullable=False),
        sa.Column("held_on", sa.String(10), nullable=False),
        sa.Column("place", sa.Text, nullable=False),
        sa.Column("planned", sa.Boolean, nullable=False),
        sa.Column("minutes", sa.Text, nullable=False),
        sa.Column("recorded_by", ID, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Index("ix_kg_meetings_area", "area_id", "held_on"),
    )
    op.create_table(
        "kg_attendees",
        sa.Column("meeting_id", sa.Integer, sa.ForeignKey("kg_meetings.id"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("person_id", ID, sa.ForeignKey("people.id"), nullable=True),
        sa.Column("guest", sa.Text, nullable=True),
    )
    op.create_table(
        "kg_decisions",
        sa.Column("meeting_id", sa.Integer, sa.ForeignKey("kg_meetings.id"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_table(
        "kg_attachments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("meeting_id", sa.Integer, sa.ForeignKey("kg_meetings.id"), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("media_type", sa.String(255), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Index("ix_kg_attachments_meeting", "meeting_id"),
    )
    op.create_table(
        "kg_goals",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("area_id", ID, sa.ForeignKey("areas.id"), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("rating", sa.String(16), nullable=True),
        sa.Column("rating_note", sa.Text, nullable=False),
        sa.Column("rated_by", ID, nullable=True),
        sa.Column("rated_at", TS, nullable=True),
        sa.UniqueConstraint("area_id", "number", name="uq_kg_goals_number"),
    )
    op.create_table(
        "kg_measures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("goal_id", sa.Integer, sa.ForeignKey("kg_goals.id"), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("responsible_kind", sa.String(16), nullable=False),
        sa.Column("responsible_name", sa.String(200), nullable=False),
        sa.Index("ix_kg_measures_goal", "goal_id"),
    )
    op.create_table(
        "kg_catalogue_versions",
        sa.Column("area_id", ID, sa.ForeignKey("areas.id"), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("meeting_id", sa.Integer, sa.ForeignKey("kg_meetings.id"), nullable=False),
        sa.Column("adopted_by", ID, nullable=False),
        sa.Column("adopted_at", TS, nullable=False),
        sa.Column("goals", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    raise RuntimeError("regsam-flow does not downgrade")
