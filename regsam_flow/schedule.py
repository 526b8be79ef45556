"""When review-date reminders are due: pure date arithmetic, no I/O.

A reminder is due at the policy's send hour (default 08:00) in its time zone
(default Europe/Berlin) on its day, and stored in UTC; the zone database
makes the last Sundays of March and October come out right.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from .model import Reminder
from .workflows import ReminderPolicy

__all__ = ["backoff", "next_overdue", "planned_reminders", "send_time"]


def send_time(day: date, policy: ReminderPolicy) -> datetime:
    """The UTC moment of the send hour on ``day``, local to the policy's zone."""
    local = datetime.combine(day, time(policy.send_hour), tzinfo=ZoneInfo(policy.timezone))
    return local.astimezone(timezone.utc)


def planned_reminders(area: str, review: date, policy: ReminderPolicy) -> list[Reminder]:
    """The reminders for one review date: each ``days_before``, the day
    itself, and the first overdue one (the next follow when it is sent)."""
    out = [
        Reminder(0, area, review, "before", d, send_time(review - timedelta(days=d), policy))
        for d in sorted(set(policy.days_before), reverse=True)
    ]
    if policy.on_day:
        out.append(Reminder(0, area, review, "on_day", 0, send_time(review, policy)))
    if policy.repeat_every_days:
        step = policy.repeat_every_days
        out.append(
            Reminder(
                0, area, review, "overdue", -step, send_time(review + timedelta(days=step), policy)
            )
        )
    return out


def next_overdue(sent: Reminder, policy: ReminderPolicy, now: datetime) -> Reminder | None:
    """The overdue reminder after ``sent``: the first repeat after ``now``, so
    repeats missed while no scheduler ran are folded into one."""
    step = policy.repeat_every_days
    if not step or sent.kind not in ("on_day", "overdue"):
        return None
    offset = sent.offset_days - step
    while True:
        due = send_time(sent.review_date - timedelta(days=offset), policy)
        if due > now:
            return Reminder(0, sent.area, sent.review_date, "overdue", offset, due)
        offset -= step


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt after ``attempts`` failures: 1, 2, 4, ...
    minutes, at most 6 hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))
