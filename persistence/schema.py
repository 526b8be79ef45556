"""The tables of the regsam-flow database (SQLAlchemy Core).

Timestamps are stored as UTC text in the audit log's own format
(``2027-07-15T06:00:00.000000Z``): sortable, exact, and the same on every
database, so hashes recompute bit for bit.  Dates are ISO text.

The schema itself is created and changed only by the Alembic migrations in
``migrations/``; :data:`HEAD_REVISION` names the newest one.

The tables are defined on first use (PEP 562): every command checks
:data:`HEAD_REVISION`, but the reads behind ``area show`` use plain SQL and
never need the :class:`~sqlalchemy.Table` objects, whose construction costs
a start-up a few milliseconds.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from .revision import HEAD_REVISION

__all__ = [
    "HEAD_REVISION",
    "agreements",
    "api_tokens",
    "approvals",
    "areas",
    "assignments",
    "audit_head",
    "audit_log",
    "auth_attempts",
    "auth_links",
    "auth_sessions",
    "fields",
    "kg_attachments",
    "kg_attendees",
    "kg_catalogue_versions",
    "kg_decisions",
    "kg_goals",
    "kg_measures",
    "kg_meetings",
    "kg_messages",
    "kg_missing_resources",
    "kg_work_orders",
    "metadata",
    "people",
    "reminders",
    "reviews",
    "scheduler_passes",
    "signatures",
    "tasks",
    "votes",
    "workflow_definitions",
]


TS = String(32)
ID = String(64)
HASH = String(64)

_TABLES = (
    "metadata",
    "people",
    "areas",
    "assignments",
    "tasks",
    "agreements",
    "signatures",
    "approvals",
    "audit_log",
    "audit_head",
    "reminders",
    "reviews",
    "fields",
    "votes",
    "workflow_definitions",
    "kg_meetings",
    "kg_attendees",
    "kg_decisions",
    "kg_attachments",
    "kg_goals",
    "kg_measures",
    "kg_catalogue_versions",
    "kg_work_orders",
    "kg_missing_resources",
    "kg_messages",
    "auth_links",
    "auth_sessions",
    "api_tokens",
    "auth_attempts",
    "scheduler_passes",
)
_lock = threading.Lock()

if TYPE_CHECKING:  # defined by _define() on first use
    metadata: MetaData
    people: Table
    areas: Table
    assignments: Table
    tasks: Table
    agreements: Table
    signatures: Table
    approvals: Table
    audit_log: Table
    audit_head: Table
    reminders: Table
    reviews: Table
    fields: Table
    votes: Table
    workflow_definitions: Table
    kg_meetings: Table
    kg_attendees: Table
    kg_decisions: Table
    kg_attachments: Table
    kg_goals: Table
    kg_measures: Table
    kg_catalogue_versions: Table
    kg_work_orders: Table
    kg_missing_resources: Table
    kg_messages: Table
    auth_links: Table
    auth_sessions: Table
    api_tokens: Table
    auth_attempts: Table
    scheduler_passes: Table


def __getattr__(name: str) -> Any:
    if name not in _TABLES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    with _lock:
        if "metadata" not in globals():
            globals().update(_define())
    return globals()[name]


def _delivery_columns() -> list[Column[Any]]:
    """The columns of a message a send pass claims and sends (reminders,
    the KG's mails): where it stands, its attempts, the lease on it."""
    return [
        Column("status", String(16), nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("next_attempt_at", TS, nullable=False),
        Column("claimed_by", String(128), nullable=True),
        Column("claimed_until", TS, nullable=True),
        Column("sent_at", TS, nullable=True),
        Column("last_error", Text, nullable=False),
        Column("created_at", TS, nullable=False),
    ]


def _define() -> dict[str, Any]:
    metadata = MetaData()

    people = Table(
        "people",
        metadata,
        Column("id", ID, primary_key=True),
        Column("name", String(200), nullable=False),
        Column("email", String(254), nullable=False),
        Column("org", String(200), nullable=False, default=""),
        Column("admin", Boolean, nullable=False, default=False),
        Column("auditor", Boolean, nullable=False, default=False),
        Column("created_at", TS, nullable=False),
        Column("decision_mails", Boolean, nullable=False, default=True),
    )

    areas = Table(
        "areas",
        metadata,
        Column("id", ID, primary_key=True),
        Column("name", String(200), nullable=False),
        Column("district", String(200), nullable=False, default=""),
        Column("workflow", ID, nullable=False),
        Column("workflow_version", Integer, nullable=False),
        Column("state", ID, nullable=False),
        Column("version", Integer, nullable=False),
        Column("round", Integer, nullable=False),
        Column("created_at", TS, nullable=False),
        Column("updated_at", TS, nullable=False),
        Index("ix_areas_state", "state"),
    )

    assignments = Table(
        "assignments",
        metadata,
        Column("area_id", ID, ForeignKey("areas.id"), primary_key=True),
        Column("role", ID, primary_key=True),
        Column("person_id", ID, ForeignKey("people.id"), primary_key=True),
        Index("ix_assignments_person", "person_id"),
    )

    tasks = Table(
        "tasks",
        metadata,
        Column("area_id", ID, ForeignKey("areas.id"), primary_key=True),
        Column("task_id", ID, primary_key=True),
        Column("done", Boolean, nullable=False),
        Column("done_by", ID, nullable=True),
        Column("done_at", TS, nullable=True),
        Column("note", Text, nullable=False, default=""),
    )

    agreements = Table(
        "agreements",
        metadata,
        Column("area_id", ID, ForeignKey("areas.id"), primary_key=True),
        Column("version", Integer, primary_key=True),
        Column("topic", Text, nullable=False),
        Column("scope", Text, nullable=False),
        Column("reasons", Text, nullable=False),
        Column("partners", Text, nullable=False),
        Column("terms", Text, nullable=False),
        Column("duration", String(200), nullable=False),
        Column("start", String(10), nullable=True),
        Column("review", String(10), nullable=True),
        Column("created_at", TS, nullable=False),
        Column("created_by", ID, nullable=False),
    )

    signatures = Table(
        "signatures",
        metadata,
        Column("area_id", ID, primary_key=True),
        Column("version", Integer, primary_key=True),
        Column("role", ID, primary_key=True),
        Column("person_id", ID, nullable=False),
        Column("at", TS, nullable=False),
    )

    approvals = Table(
        "approvals",
        metadata,
        Column("area_id", ID, ForeignKey("areas.id"), primary_key=True),
        Column("round", Integer, primary_key=True),
        Column("trigger", ID, primary_key=True),
        Column("role", ID, primary_key=True),
        Column("person_id", ID, nullable=False),
        Column("at", TS, nullable=False),
    )

    audit_log = Table(
        "audit_log",
        metadata,
        Column("seq", Integer, primary_key=True, autoincrement=False),
        Column("at", TS, nullable=False),
        Column("actor", ID, nullable=False),
        Column("role", ID, nullable=False),
        Column("area", ID, nullable=False),
        Column("action", ID, nullable=False),
        Column("trigger", ID, nullable=False),
        Column("from_state", ID, nullable=False),
        Column("to_state", ID, nullable=False),
        Column("reason", Text, nullable=False),
        Column("details", Text, nullable=False),
        Column("hash", String(64), nullable=False),
        Index("ix_audit_area_seq", "area", "seq"),
        Index("ix_audit_at", "at"),
        Index("ix_audit_actor", "actor"),
    )

    # One row (id = 1): the newest (seq, hash).  Writers lock it first, so the
    # chain has one writer at a time on every database.
    audit_head = Table(
        "audit_head",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("seq", Integer, nullable=False),
        Column("hash", String(64), nullable=False),
    )

    # Review-date reminders: the database is the single source of truth for
    # what is due.  A scheduler claims a row (claimed_by, claimed_until: a
    # lease) before it sends, so two schedulers never send the same one.
    reminders = Table(
        "reminders",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("area_id", ID, ForeignKey("areas.id"), nullable=False),
        Column("review_date", String(10), nullable=False),
        Column("kind", String(16), nullable=False),
        Column("offset_days", Integer, nullable=False),
        Column("due_at", TS, nullable=False),
        *_delivery_columns(),
        UniqueConstraint("area_id", "review_date", "offset_days", name="uq_reminders_slot"),
        Index("ix_reminders_due", "status", "next_attempt_at"),
    )

    # The decision taken at a review date: continue (with a new date) or end.
    reviews = Table(
        "reviews",
        metadata,
        Column("area_id", ID, ForeignKey("areas.id"), primary_key=True),
        Column("review_date", String(10), primary_key=True),
        Column("decision", String(16), nullable=False),
        Column("next_review", String(10), nullable=True),
        Column("reason", Text, nullable=False),
        Column("decided_by", ID, nullable=False),
        Column("decided_at", TS, nullable=False),
    )

    # Data an instance carries (e.g. a candidate's assessment), as JSON values.
    fields = Table(
        "fields",
        metadata,
        Column("area_id", ID, ForeignKey("areas.id"), primary_key=True),
        Column("field_id", ID, primary_key=True),
        Column("value", Text, nullable=False),
        Column("set_by", ID, nullable=False),
        Column("set_at", TS, nullable=False),
    )

    # Votes held in a state (e.g. the 4er-Gremium), one per person and round.
    votes = Table(
        "votes",
        metadata,
        Column("area_id", ID, ForeignKey("areas.id"), primary_key=True),
        Column("round", Integer, primary_key=True),
        Column("person_id", ID, primary_key=True),
        Column("role", ID, nullable=False),
        Column("vote", Boolean, nullable=False),
        Column("reason", Text, nullable=False),
        Column("at", TS, nullable=False),
    )

    # The workflow definitions areas run on, as deployed (append-only).
    workflow_definitions = Table(
        "workflow_definitions",
        metadata,
        Column("name", ID, primary_key=True),
        Column("version", Integer, primary_key=True),
        Column("hash", String(64), nullable=False),
        Column("text", Text, nullable=False),
        Column("source", Text, nullable=False),
        Column("deployed_by", ID, nullable=False),
        Column("deployed_at", TS, nullable=False),
    )

    # The Kooperationsgremium's work (regsam_flow.kg): meetings with their
    # attendees, decisions and attachments; the catalogue of goals and
    # measures; the versions of it the KG adopted.
    kg_meetings = Table(
        "kg_meetings",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("area_id", ID, ForeignKey("areas.id"), nullable=False),
        Column("held_on", String(10), nullable=False),
        Column("place", Text, nullable=False),
        Column("planned", Boolean, nullable=False),
        Column("minutes", Text, nullable=False),
        Column("recorded_by", ID, nullable=False),
        Column("recorded_at", TS, nullable=False),
        Index("ix_kg_meetings_area", "area_id", "held_on"),
    )
    kg_attendees = Table(
        "kg_attendees",
        metadata,
        Column("meeting_id", Integer, ForeignKey("kg_meetings.id"), primary_key=True),
        Column("position", Integer, primary_key=True),
        Column("person_id", ID, ForeignKey("people.id"), nullable=True),
        Column("guest", Text, nullable=True),
    )
    kg_decisions = Table(
        "kg_decisions",
        metadata,
        Column("meeting_id", Integer, ForeignKey("kg_meetings.id"), primary_key=True),
        Column("position", Integer, primary_key=True),
        Column("text", Text, nullable=False),
    )
    kg_attachments = Table(
        "kg_attachments",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("meeting_id", Integer, ForeignKey("kg_meetings.id"), nullable=False),
        Column("filename", String(255), nullable=False),
        Column("media_type", String(255), nullable=False),
        Column("size", Integer, nullable=False),
        Column("sha256", String(64), nullable=False),
        Column("content", LargeBinary, nullable=False),
        Index("ix_kg_attachments_meeting", "meeting_id"),
    )
    kg_goals = Table(
        "kg_goals",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("area_id", ID, ForeignKey("areas.id"), nullable=False),
        Column("number", Integer, nullable=False),
        Column("title", Text, nullable=False),
        Column("description", Text, nullable=False),
        Column("rating", String(16), nullable=True),
        Column("rating_note", Text, nullable=False),
        Column("rated_by", ID, nullable=True),
        Column("rated_at", TS, nullable=True),
        UniqueConstraint("area_id", "number", name="uq_kg_goals_number"),
    )
    kg_measures = Table(
        "kg_measures",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("goal_id", Integer, ForeignKey("kg_goals.id"), nullable=False),
        Column("title", Text, nullable=False),
        Column("responsible_kind", String(16), nullable=False),
        Column("responsible_name", String(200), nullable=False),
        Index("ix_kg_measures_goal", "goal_id"),
    )
    kg_catalogue_versions = Table(
        "kg_catalogue_versions",
        metadata,
        Column("area_id", ID, ForeignKey("areas.id"), primary_key=True),
        Column("version", Integer, primary_key=True),
        Column("meeting_id", Integer, ForeignKey("kg_meetings.id"), nullable=False),
        Column("adopted_by", ID, nullable=False),
        Column("adopted_at", TS, nullable=False),
        Column("goals", Text, nullable=False),
        Column("sha256", String(64), nullable=False),
    )
    # The KG's work orders and recommendations (goal by its number), and
    # the missing resources it documents.
    kg_work_orders = Table(
        "kg_work_orders",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("area_id", ID, ForeignKey("areas.id"), nullable=False),
        Column("kind", String(16), nullable=False),
        Column("title", Text, nullable=False),
        Column("addressee_kind", String(16), nullable=False),
        Column("addressee_name", String(200), nullable=False),
        Column("goal_number", Integer, nullable=True),
        Column("measure_id", Integer, ForeignKey("kg_measures.id"), nullable=True),
        Column("meeting_id", Integer, ForeignKey("kg_meetings.id"), nullable=False),
        Column("due", String(10), nullable=False),
        Column("status", String(16), nullable=False),
        Column("note", Text, nullable=False),
        Column("created_by", ID, nullable=False),
        Column("created_at", TS, nullable=False),
        Column("updated_by", ID, nullable=False),
        Column("updated_at", TS, nullable=False),
        Index("ix_kg_work_orders_area", "area_id", "due"),
    )
    kg_missing_resources = Table(
        "kg_missing_resources",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("area_id", ID, ForeignKey("areas.id"), nullable=False),
        Column("text", Text, nullable=False),
        Column("estimate", Text, nullable=False),
        Column("recorded_by", ID, nullable=False),
        Column("recorded_at", TS, nullable=False),
        Index("ix_kg_missing_resources_area", "area_id"),
    )
    # The KG's mails, a durable outbox claimed like the reminders; a message
    # (area, kind, meeting or order, due time) is planned once.
    kg_messages = Table(
        "kg_messages",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("area_id", ID, ForeignKey("areas.id"), nullable=False),
        Column("kind", String(32), nullable=False),
        Column("ref", Integer, nullable=False),
        Column("due_at", TS, nullable=False),
        *_delivery_columns(),
        UniqueConstraint("area_id", "kind", "ref", "due_at", name="uq_kg_messages_slot"),
        Index("ix_kg_messages_due", "status", "next_attempt_at"),
    )
    # Sign-in (migration 0008): every secret only as its SHA-256 hex, the
    # rate limits' keys (addresses, clients) too.  A session's idle expiry is
    # computed from last_seen_at and the policy.
    auth_links = Table(
        "auth_links",
        metadata,
        Column("hash", HASH, primary_key=True),
        Column("person_id", ID, ForeignKey("people.id"), nullable=True),
        Column("email", String(254), nullable=False),
        Column("browser_hash", HASH, nullable=False),
        Column("created_at", TS, nullable=False),
        Column("expires_at", TS, nullable=False),
        Column("used_at", TS, nullable=True),
        Index("ix_auth_links_expires", "expires_at"),
    )
    auth_sessions = Table(
        "auth_sessions",
        metadata,
        Column("id", ID, primary_key=True),
        Column("secret_hash", HASH, nullable=False, unique=True),
        Column("person_id", ID, ForeignKey("people.id"), nullable=False),
        Column("created_at", TS, nullable=False),
        Column("last_seen_at", TS, nullable=False),
        Column("expires_at", TS, nullable=False),
        Column("ended_at", TS, nullable=True),
        Column("client", String(200), nullable=False),
        Column("user_agent", String(500), nullable=False),
        Index("ix_auth_sessions_person", "person_id"),
    )
    api_tokens = Table(
        "api_tokens",
        metadata,
        Column("id", ID, primary_key=True),
        Column("person_id", ID, ForeignKey("people.id"), nullable=False),
        Column("name", String(64), nullable=False),
        Column("secret_hash", HASH, nullable=False, unique=True),
        Column("created_at", TS, nullable=False),
        Column("last_used_at", TS, nullable=True),
        Column("revoked_at", TS, nullable=True),
        Index("ix_api_tokens_person", "person_id"),
    )
    auth_attempts = Table(
        "auth_attempts",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("kind", String(16), nullable=False),
        Column("key_hash", HASH, nullable=False),
        Column("at", TS, nullable=False),
        Index("ix_auth_attempts_key", "kind", "key_hash", "at"),
        Index("ix_auth_attempts_at", "at"),
    )
    # The schedulers' last successful passes (migration 0010), for `health`.
    scheduler_passes = Table(
        "scheduler_passes",
        metadata,
        Column("worker", String(128), primary_key=True),
        Column("at", TS, nullable=False),
        Column("poll_seconds", Float, nullable=False),
        Index("ix_scheduler_passes_at", "at"),
    )

    return {name: value for name, value in locals().items() if name in _TABLES}
