"""Initial schema: people, areas, assignments, tasks, agreements, approvals,
the append-only audit log and its head.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.String(32)
ID = sa.String(64)

APPEND_ONLY_SQLITE = """
CREATE TRIGGER audit_log_no_{op} BEFORE {OP} ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: {OP} refused'); END
"""

APPEND_ONLY_PG_FUNCTION = """
CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END
$$ LANGUAGE plpgsql
"""

APPEND_ONLY_PG_TRIGGER = """
CREATE TRIGGER audit_log_no_{op} BEFORE {OP} ON audit_log
FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()
"""


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", ID, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("org", sa.String(200), nullable=False),
        sa.Column("admin", sa.Boolean, nullable=False),
        sa.Column("auditor", sa.Boolean, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "areas",
        sa.Column("id", ID, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("district", sa.String(200), nullable=False),
        sa.Column("workflow", ID, nullable=False),
        sa.Column("workflow_version", sa.Integer, nullable=False),
        sa.Column("state", ID, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_areas_state", "areas", ["state"])
    op.create_table(
        "assignments",
        sa.Column("area_id", ID, sa.ForeignKey("areas.id"), primary_key=True),
        sa.Column("role", ID, primary_key=True),
        sa.Column("person_id", ID, sa.ForeignKey("people.id"), primary_key=True),
    )
    op.create_index("ix_assignments_person", "assignments", ["person_id"])
    op.create_table(
        "tasks",
        sa.Column("area_id", ID, sa.ForeignKey("areas.id"), primary_key=True),
        sa.Column("task_id", ID, primary_key=True),
        sa.Column("done", sa.Boolean, nullable=False),
        sa.Column("done_by", ID, nullable=True),
        sa.Column("done_at", TS, nullable=True),
        sa.Column("note", sa.Text, nullable=False),
    )
    op.create_table(
        "agreements",
        sa.Column("area_id", ID, sa.ForeignKey("areas.id"), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("reasons", sa.Text, nullable=False),
        sa.Column("partners", sa.Text, nullable=False),
        sa.Column("terms", sa.Text, nullable=False),
        sa.Column("duration", sa.String(200), nullable=False),
        sa.Column("start", sa.String(10), nullable=True),
        sa.Column("review", sa.String(10), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", ID, nullable=False),
    )
    op.create_table(
        "signatures",
        sa.Column("area_id", ID, primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("role", ID, primary_key=True),
        sa.Column("person_id", ID, nullable=False),
        sa.Column("at", TS, nullable=False),
    )
    op.create_table(
        "approvals",
        sa.Column("area_id", ID, sa.ForeignKey("areas.id"), primary_key=True),
        sa.Column("round", sa.Integer, primary_key=True),
        sa.Column("trigger", ID, primary_key=True),
        sa.Column("role", ID, primary_key=True),
        sa.Column("person_id", ID, nullable=False),
        sa.Column("at", TS, nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", ID, nullable=False),
        sa.Column("role", ID, nullable=False),
        sa.Column("area", ID, nullable=False),
        sa.Column("action", ID, nullable=False),
        sa.Column("trigger", ID, nullable=False),
        sa.Column("from_state", ID, nullable=False),
        sa.Column("to_state", ID, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_area_seq", "audit_log", ["area", "seq"])
    op.create_index("ix_audit_at", "audit_log", ["at"])
    op.create_index("ix_audit_actor", "audit_log", ["actor"])
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": "0" * 64}])

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for o in ("update", "delete"):
            op.execute(APPEND_ONLY_SQLITE.format(op=o, OP=o.upper()))
    elif dialect == "postgresql":
        op.execute(APPEND_ONLY_PG_FUNCTION)
        for o in ("update", "delete", "truncate"):
            op.execute(APPEND_ONLY_PG_TRIGGER.format(op=o, OP=o.upper()))


def downgrade() -> None:
    raise RuntimeError("regsam-flow does not downgrade: the audit log is append-only")
