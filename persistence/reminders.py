"""The reminder part of the SQLAlchemy unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, func, insert, or_, select, update

from regsam_flow.audit import format_ts, parse_ts
from regsam_flow.model import Reminder
from regsam_flow.ports import ReminderUnitOfWork

from . import schema as s

__all__ = ["SqlReminders"]

_TS_FIELDS = ("due_at", "next_attempt_at", "claimed_until", "sent_at", "created_at")


def _reminder(row: Any) -> Reminder:
    m = row._mapping
    return Reminder(
        id=m["id"],
        area=m["area_id"],
        review_date=date.fromisoformat(m["review_date"]),
        kind=m["kind"],
        offset_days=m["offset_days"],
        due_at=parse_ts(m["due_at"]),
        status=m["status"],
        attempts=m["attempts"],
        next_attempt_at=parse_ts(m["next_attempt_at"]),
        claimed_by=m["claimed_by"],
        claimed_until=parse_ts(m["claimed_until"]) if m["claimed_until"] else None,
        sent_at=parse_ts(m["sent_at"]) if m["sent_at"] else None,
        last_error=m["last_error"],
        created_at=parse_ts(m["created_at"]),
    )


class SqlReminders(ReminderUnitOfWork):
    """Reminder reads and writes on the unit of work's connection."""

    conn: Connection
    _sqlite: bool

    def add_reminders(self, reminders: Sequence[Reminder], at: datetime) -> None:
        r = s.reminders
        for rem in reminders:
            exists = self.conn.execute(
                select(r.c.id).where(
                    and_(
                        r.c.area_id == rem.area,
                        r.c.review_date == rem.review_date.isoformat(),
                        r.c.offset_days == rem.offset_days,
                    )
                )
            ).first()
            if exists:
                continue
            due = format_ts(rem.due_at)
            self.conn.execute(
                insert(r).values(
                    area_id=rem.area,
                    review_date=rem.review_date.isoformat(),
                    kind=rem.kind,
                    offset_days=rem.offset_days,
                    due_at=due,
                    status="pending",
                    attempts=0,
                    next_attempt_at=due,
                    last_error="",
                    created_at=format_ts(at),
                )
            )

    def cancel_reminders(
        self, area_id: str, review_date: date | None = None, status: str = "cancelled"
    ) -> int:
        r = s.reminders
        cond = and_(r.c.area_id == area_id, r.c.status == "pending")
        if review_date is not None:
            cond = and_(cond, r.c.review_date == review_date.isoformat())
        result = self.conn.execute(
            update(r).where(cond).values(status=status, claimed_by=None, claimed_until=None)
        )
        return int(result.rowcount or 0)

    def due_reminders(self, now: datetime, limit: int) -> list[Reminder]:
        r = s.reminders
        t = format_ts(now)
        q = (
            select(r)
            .where(
                and_(
                    r.c.status == "pending",
                    r.c.next_attempt_at <= t,
                    or_(r.c.claimed_until.is_(None), r.c.claimed_until < t),
                )
            )
            .order_by(r.c.next_attempt_at, r.c.id)
            .limit(limit)
        )
        if not self._sqlite:
            q = q.with_for_update(skip_locked=True)
        return [_reminder(row) for row in self.conn.execute(q)]

    def due_for_date(self, area_id: str, review_date: date, now: datetime) -> list[Reminder]:
        r = s.reminders
        q = select(r).where(
            and_(
                r.c.area_id == area_id,
                r.c.review_date == review_date.isoformat(),
                r.c.status == "pending",
                r.c.next_attempt_at <= format_ts(now),
            )
        )
        return [_reminder(row) for row in self.conn.execute(q)]

    def claim_reminder(self, reminder_id: int, worker: str, now: datetime, until: datetime) -> bool:
        r = s.reminders
        t = format_ts(now)
        result = self.conn.execute(
            update(r)
            .where(
                and_(
                    r.c.id == reminder_id,
                    r.c.status == "pending",
                    or_(r.c.claimed_until.is_(None), r.c.claimed_until < t),
                )
            )
            .values(claimed_by=worker, claimed_until=format_ts(until))
        )
        return bool(result.rowcount == 1)

    def update_reminder(self, reminder_id: int, worker: str | None, **fields: Any) -> bool:
        r = s.reminders
        values = {
            k: (format_ts(v) if k in _TS_FIELDS and isinstance(v, datetime) else v)
            for k, v in fields.items()
        }
        cond = r.c.id == reminder_id
        if worker is not None:
            cond = and_(cond, r.c.claimed_by == worker)
        result = self.conn.execute(update(r).where(cond).values(**values))
        return bool(result.rowcount == 1)

    def get_reminder(self, reminder_id: int) -> Reminder | None:
        row = self.conn.execute(select(s.reminders).where(s.reminders.c.id == reminder_id)).first()
        return _reminder(row) if row else None

    def list_reminders(
        self, area: str | None = None, status: str | None = None, areas: Sequence[str] | None = None
    ) -> list[Reminder]:
        r = s.reminders
        q = select(r)
        if area is not None:
            q = q.where(r.c.area_id == area)
        if areas is not None:
            q = q.where(r.c.area_id.in_(list(areas)))
        if status is not None:
            q = q.where(r.c.status == status)
        return [_reminder(row) for row in self.conn.execute(q.order_by(r.c.due_at, r.c.id))]

    def next_reminder_at(self) -> datetime | None:
        r = s.reminders
        value = self.conn.execute(
            select(func.min(r.c.next_attempt_at)).where(r.c.status == "pending")
        ).scalar()
        return parse_ts(value) if value else None

    def get_review(self, area_id: str, review_date: date) -> dict[str, Any] | None:
        v = s.reviews
        row = self.conn.execute(
            select(v).where(
                and_(v.c.area_id == area_id, v.c.review_date == review_date.isoformat())
            )
        ).first()
        return dict(row._mapping) if row else None

    def add_review(
        self,
        area_id: str,
        review_date: date,
        decision: str,
        next_review: date | None,
        reason: str,
        by: str,
        at: datetime,
    ) -> None:
        self.conn.execute(
            insert(s.reviews).values(
                area_id=area_id,
                review_date=review_date.isoformat(),
                decision=decision,
                next_review=next_review.isoformat() if next_review else None,
                reason=reason,
                decided_by=by,
                decided_at=format_ts(at),
            )
        )
