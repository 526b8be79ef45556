"""Sign-in for the service: one-time sign-in links, sessions, personal API
tokens, and the attempts the rate limits count.  Every secret is stored
only as its SHA-256 (hex); the rate limits' keys (addresses, clients) too.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TS = sa.String(32)
ID = sa.String(64)
HASH = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "auth_links",
        sa.Column("hash", HASH, primary_key=True),
        sa.Column("person_id", ID, sa.ForeignKey("people.id"), nullable=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("browser_hash", HASH, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_at", TS, nullable=True),
        sa.Index("ix_auth_links_expires", "expires_at"),
    )
    op.create_table(
        "auth_sessions",
        sa.Column("id", ID, primary_key=True),
        sa.Column("secret_hash", HASH, nullable=False, unique=True),
        sa.Column("person_id", ID, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_seen_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("ended_at", TS, nullable=True),
        sa.Column("client", sa.String(200), nullable=False),
        sa.Column("user_agent", sa.String(500), nullable=False),
        sa.Index("ix_auth_sessions_person", "person_id"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", ID, primary_key=True),
        sa.Column("person_id", ID, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("secret_hash", HASH, nullable=False, unique=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_used_at", TS, nullable=True),
        sa.Column("revoked_at", TS, nullable=True),
        sa.Index("ix_api_tokens_person", "person_id"),
    )
    op.create_table(
        "auth_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key_hash", HASH, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Index("ix_auth_attempts_key", "kind", "key_hash", "at"),
        sa.Index("ix_auth_attempts_at", "at"),
    )


def downgrade() -> None:
    raise RuntimeError("regsam-flow does not downgrade")
