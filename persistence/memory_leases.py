"""What the memory store does alike for every kind of message a send pass
claims (reminders, the KG's mails), as the SQL store does
(:mod:`~regsam_flow.persistence.leases`): a lease on one, a change by the
lease's holder."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, TypeVar

from regsam_flow.kg import KgMessage
from regsam_flow.model import Reminder, ReminderChange

__all__ = ["claim_row", "update_row"]

Row = TypeVar("Row", Reminder, KgMessage)


def _utc(value: datetime) -> datetime:
    return value.astimezone(timezone.utc)


def claim_row(
    rows: dict[int, Row], row_id: int, worker: str, now: datetime, until: datetime
) -> bool:
    """Take a lease on a pending row; False if someone holds it."""
    r = rows.get(row_id)
    if r is None or r.status != "pending":
        return False
    if r.claimed_until is not None and r.claimed_until >= now:
        return False
    rows[row_id] = replace(r, claimed_by=worker, claimed_until=_utc(until))
    return True


def update_row(
    rows: dict[int, Row],
    row_id: int,
    worker: str | None,
    change: ReminderChange,
    when_status: str | None,
) -> bool:
    """Apply ``change`` (only if ``worker`` holds the lease, and only in
    status ``when_status``, when given); False if it did not."""
    r = rows.get(row_id)
    if r is None:
        return False
    if worker is not None and r.claimed_by != worker:
        return False
    if when_status is not None and r.status != when_status:
        return False
    values: dict[str, Any] = {
        k: _utc(v) if isinstance(v, datetime) else v for k, v in change.values().items()
    }
    rows[row_id] = replace(r, **values)
    return True
