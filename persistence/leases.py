"""What the SQL store does alike for every table of messages a send pass
claims (``reminders``, ``kg_messages``): the due rows, a lease on one, a
change by the lease's holder.  The table has ``id``, ``status``,
``next_attempt_at``, ``claimed_by`` and ``claimed_until``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, and_, or_, select, update

from regsam_flow.audit import format_ts
from regsam_flow.model import ReminderChange

__all__ = ["claim_row", "due_rows", "update_row"]


def due_rows(conn: Connection, t: Table, now: datetime, limit: int) -> Sequence[Any]:
    """Pending rows due at ``now`` on which no live lease holds, the
    earliest first (on PostgreSQL locked, skipping those another pass has)."""
    at = format_ts(now)
    q = (
        select(t)
        .where(
            and_(
                t.c.status == "pending",
                t.c.next_attempt_at <= at,
                or_(t.c.claimed_until.is_(None), t.c.claimed_until < at),
            )
        )
        .order_by(t.c.next_attempt_at, t.c.id)
        .limit(limit)
    )
    if conn.dialect.name != "sqlite":
        q = q.with_for_update(skip_locked=True)
    return list(conn.execute(q))


def claim_row(
    conn: Connection, t: Table, row_id: int, worker: str, now: datetime, until: datetime
) -> bool:
    """Take a lease on a pending row; False if someone holds it."""
    at = format_ts(now)
    result = conn.execute(
        update(t)
        .where(
            and_(
                t.c.id == row_id,
                t.c.status == "pending",
                or_(t.c.claimed_until.is_(None), t.c.claimed_until < at),
            )
        )
        .values(claimed_by=worker, claimed_until=format_ts(until))
    )
    return bool(result.rowcount == 1)


def update_row(
    conn: Connection,
    t: Table,
    row_id: int,
    worker: str | None,
    change: ReminderChange,
    when_status: str | None,
) -> bool:
    """Apply ``change`` (only if ``worker`` holds the lease, and only in
    status ``when_status``, when given); False if it did not."""
    values = {k: format_ts(v) if isinstance(v, datetime) else v for k, v in change.values().items()}
    cond = t.c.id == row_id
    if worker is not None:
        cond = and_(cond, t.c.claimed_by == worker)
    if when_status is not None:
        cond = and_(cond, t.c.status == when_status)
    result = conn.execute(update(t).where(cond).values(**values))
    return bool(result.rowcount == 1)
