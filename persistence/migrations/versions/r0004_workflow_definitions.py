"""Deployed workflow definitions: the rules areas run on live in the database.

Stores the definitions shipped with this regsam-flow (the ones existing areas
run on), each with an audit entry ``workflow_deployed`` by ``regsam-flow``.
The table is append-only, as the audit log is.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.String(32)
ID = sa.String(64)

APPEND_ONLY_SQLITE = """
CREATE TRIGGER workflow_definitions_no_{op} BEFORE {OP} ON workflow_definitions
BEGIN SELECT RAISE(ABORT, 'workflow_definitions is append-only: {OP} refused'); END
"""

APPEND_ONLY_PG_FUNCTION = """
CREATE FUNCTION workflow_definitions_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'workflow_definitions is append-only: % refused', TG_OP;
END
$$ LANGUAGE plpgsql
"""

APPEND_ONLY_PG_TRIGGER = """
CREATE TRIGGER workflow_definitions_no_{op} BEFORE {OP} ON workflow_definitions
FOR EACH STATEMENT EXECUTE FUNCTION workflow_definitions_append_only()
"""


def upgrade() -> None:
    op.create_table(
        "workflow_definitions",
        sa.Column("name", ID, primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("deployed_by", ID, nullable=False),
        sa.Column("deployed_at", TS, nullable=False),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for o in ("update", "delete"):
            op.execute(APPEND_ONLY_SQLITE.format(op=o, OP=o.upper()))
    elif dialect == "postgresql":
        op.execute(APPEND_ONLY_PG_FUNCTION)
        for o in ("update", "delete", "truncate"):
            op.execute(APPEND_ONLY_PG_TRIGGER.format(op=o, OP=o.upper()))
    _store_shipped(op.get_bind())


def _store_shipped(conn: sa.Connection) -> None:
    """The shipped definitions, each with its audit entry (as literal SQL
    too, for ``--sql``: the statements carry their values)."""
    from regsam_flow.audit import format_ts
    from regsam_flow.model import AUDIT_FIELDS
    from regsam_flow.persistence.migrating import audit_head
    from regsam_flow.shipped import shipped_deployments

    now = datetime.now(timezone.utc)
    seq, prev = audit_head(conn)
    for d, entry in shipped_deployments(seq, prev, now):
        op.execute(
            sa.text(
                "INSERT INTO workflow_definitions (name, version, hash, text, source, "
                "deployed_by, deployed_at) VALUES (:n, :v, :h, :t, :s, :by, :at)"
            ).bindparams(
                n=d.name,
                v=d.version,
                h=d.hash,
                t=d.text,
                s=d.source,
                by=d.deployed_by,
                at=format_ts(d.deployed_at),
            )
        )
        op.execute(
            sa.text(
                'INSERT INTO audit_log (seq, at, actor, role, area, action, "trigger", '
                "from_state, to_state, reason, details, hash) VALUES (:seq, :at, :actor, "
                ":role, :area, :action, :trigger, :from_state, :to_state, :reason, "
                ":details, :hash)"
            ).bindparams(**dict(zip(AUDIT_FIELDS, entry, strict=True)))
        )
        seq, prev = entry.seq, entry.hash
    op.execute(
        sa.text("UPDATE audit_head SET seq = :seq, hash = :hash WHERE id = 1").bindparams(
            seq=seq, hash=prev
        )
    )


def downgrade() -> None:
    raise RuntimeError("regsam-flow does not downgrade: deployed definitions are append-only")
