"""The reminder part of the SQLAlchemy unit of work."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, select, update

from regsam_flow.audit import format_ts, parse_ts
from regsam_flow.dates import FIRST_YEAR, LAST_YEAR
from regsam_flow.model import (
    SCHEDULER_PASSES_KEPT,
    Reminder,
    ReminderChange,
    Review,
    SchedulerPass,
    UnreadableReminder,
)
from regsam_flow.ports import ReminderUnitOfWork

from . import schema as s
from .leases import claim_row, due_rows, update_row

__all__ = ["SqlReminders"]

log = logging.getLogger("regsam_flow.persistence")
_KINDS = ("before", "on_day", "overdue")


def _in_range(value: date, name: str) -> None:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(
            f"{name} {value.isoformat()} lies outside the years {FIRST_YEAR}-{LAST_YEAR}"
        )


def _ts(m: Any, name: str) -> datetime:
    raw = m[name]
    try:
        value = parse_ts(raw)
    except (TypeError, ValueError, AttributeError):
        raise ValueError(f"{name} {raw!r} is not a time") from None
    _in_range(value.date(), name)
    return value


def _reminder(row: Any) -> Reminder:
    """A row as a Reminder; ValueError (saying what is wrong) for a row that
    cannot be read: bad or out-of-range dates, an unknown kind."""
    m = row._mapping
    try:
        review = date.fromisoformat(m["review_date"])
    except (TypeError, ValueError):
        raise ValueError(f"review_date {m['review_date']!r} is not a date") from None
    _in_range(review, "review_date")
    if m["kind"] not in _KINDS:
        raise ValueError(f"kind {m['kind']!r} is not one of {', '.join(_KINDS)}")
    return Reminder(
        id=m["id"],
        area=m["area_id"],
        review_date=review,
        kind=m["kind"],
        offset_days=m["offset_days"],
        due_at=_ts(m, "due_at"),
        status=m["status"],
        attempts=m["attempts"],
        next_attempt_at=_ts(m, "next_attempt_at"),
        claimed_by=m["claimed_by"],
        claimed_until=_ts(m, "claimed_until") if m["claimed_until"] else None,
        sent_at=_ts(m, "sent_at") if m["sent_at"] else None,
        last_error=m["last_error"],
        created_at=_ts(m, "created_at"),
    )


def _readable(rows: Iterable[Any], warn: bool = True) -> list[Reminder]:
    """The rows that can be read; the others are left out, logged with
    ``warn`` (a send pass marks pending ones failed: ``unreadable_reminders``)."""
    out = []
    for row in rows:
        try:
            out.append(_reminder(row))
        except ValueError as exc:
            m = row._mapping
            if warn:
                log.warning("reminder %s (%s) cannot be read: %s", m["id"], m["area_id"], exc)
    return out


class SqlReminders(ReminderUnitOfWork):
    """Reminder reads and writes on the unit of work's connection."""

    conn: Connection

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
        return _readable(due_rows(self.conn, s.reminders, now, limit))

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
        return _readable(self.conn.execute(q))

    def reminders_of_date(self, area_id: str, review_date: date) -> list[Reminder]:
        r = s.reminders
        q = select(r).where(
            and_(r.c.area_id == area_id, r.c.review_date == review_date.isoformat())
        )
        return _readable(self.conn.execute(q.order_by(r.c.due_at, r.c.id)), warn=False)

    def unreadable_reminders(self, now: datetime) -> list[UnreadableReminder]:
        r = s.reminders
        # due rows, and rows whose next attempt is no time of 1900-2200 (they
        # would never be due): three ranges of the index, not a scan of the table
        ranges = (
            r.c.next_attempt_at <= format_ts(now),
            r.c.next_attempt_at < f"{FIRST_YEAR:04d}",
            r.c.next_attempt_at >= f"{LAST_YEAR + 1:04d}",
        )
        bad: dict[int, UnreadableReminder] = {}
        for cond in ranges:
            for row in self.conn.execute(select(r).where(and_(r.c.status == "pending", cond))):
                try:
                    _reminder(row)
                except ValueError as exc:
                    rid = int(row._mapping["id"])
                    bad[rid] = UnreadableReminder(rid, str(row._mapping["area_id"]), str(exc))
        return [bad[k] for k in sorted(bad)]

    def processed_after(self, at: datetime) -> list[Reminder]:
        r = s.reminders
        t = format_ts(at)
        # a handled reminder's (last) attempt was due at or before the pass
        # that handled it: ranges of the index on (status, next_attempt_at)
        q = select(r).where(
            and_(r.c.status.in_(("sent", "superseded", "failed")), r.c.next_attempt_at > t)
        )
        return _readable(self.conn.execute(q.order_by(r.c.id)), warn=False)

    def claim_reminder(self, reminder_id: int, worker: str, now: datetime, until: datetime) -> bool:
        return claim_row(self.conn, s.reminders, reminder_id, worker, now, until)

    def update_reminder(
        self,
        reminder_id: int,
        worker: str | None,
        change: ReminderChange,
        *,
        when_status: str | None = None,
    ) -> bool:
        return update_row(self.conn, s.reminders, reminder_id, worker, change, when_status)

    def get_reminder(self, reminder_id: int) -> Reminder | None:
        row = self.conn.execute(select(s.reminders).where(s.reminders.c.id == reminder_id)).first()
        found = _readable([row]) if row else []
        return found[0] if found else None

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
        return _readable(self.conn.execute(q.order_by(r.c.due_at, r.c.id)))

    def next_reminder_at(self) -> datetime | None:
        r = s.reminders
        # the earliest that can be read, in the years 1900-2200: an index seek each
        cond = and_(
            r.c.status == "pending",
            r.c.next_attempt_at >= f"{FIRST_YEAR:04d}",
            r.c.next_attempt_at < f"{LAST_YEAR + 1:04d}",
        )
        while True:
            value = self.conn.execute(select(func.min(r.c.next_attempt_at)).where(cond)).scalar()
            if value is None:
                return None
            try:
                return parse_ts(value)
            except (TypeError, ValueError):
                cond = and_(cond, r.c.next_attempt_at > value)  # skip the unreadable one

    def count_reminders(self, status: str) -> int:
        r = s.reminders
        q = select(func.count()).select_from(r).where(r.c.status == status)
        return int(self.conn.execute(q).scalar() or 0)

    def record_scheduler_pass(self, record: SchedulerPass) -> None:
        p = s.scheduler_passes
        at = format_ts(record.at)
        gone = format_ts(record.at - SCHEDULER_PASSES_KEPT)
        self.conn.execute(delete(p).where(and_(p.c.worker != record.worker, p.c.at < gone)))
        values = {"at": at, "poll_seconds": float(record.poll_seconds)}
        done = self.conn.execute(update(p).where(p.c.worker == record.worker).values(**values))
        if done.rowcount != 1:
            self.conn.execute(insert(p).values(worker=record.worker, **values))

    def last_scheduler_pass(self) -> SchedulerPass | None:
        p = s.scheduler_passes
        row = self.conn.execute(select(p).order_by(p.c.at.desc()).limit(1)).first()
        if row is None:
            return None
        return SchedulerPass(
            worker=row.worker, at=parse_ts(row.at), poll_seconds=float(row.poll_seconds)
        )

    def get_review(self, area_id: str, review_date: date) -> Review | None:
        v = s.reviews
        row = self.conn.execute(
            select(v).where(
                and_(v.c.area_id == area_id, v.c.review_date == review_date.isoformat())
            )
        ).first()
        if row is None:
            return None
        return Review(
            area=row.area_id,
            review_date=date.fromisoformat(row.review_date),
            decision=row.decision,
            next_review=date.fromisoformat(row.next_review) if row.next_review else None,
            reason=row.reason,
            decided_by=row.decided_by,
            decided_at=parse_ts(row.decided_at),
        )

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
