"""Dates and times as people type and read them.

Input: ISO (``2027-07-15``) or German (``15.07.2027``) dates, optionally with a
time (``2027-07-15T10:30``, ``15.07.2027 10:30``).  A time without a zone is
Europe/Berlin time; storage is always UTC.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from .errors import InvalidInputError

__all__ = ["BERLIN", "format_date_de", "format_datetime_de", "parse_date", "parse_when"]

BERLIN = ZoneInfo("Europe/Berlin")
_GERMAN = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_HINT = "use 2027-07-15 or 15.07.2027"


def parse_date(text: str, field: str = "date") -> date:
    """A calendar date in ISO or German form."""
    value = text.strip()
    m = _GERMAN.match(value)
    try:
        if m:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInputError(
            f"{field}: {text!r} is not a valid date ({exc})", field=field
        ) from None
    raise InvalidInputError(f"{field}: {text!r} is not a date ({_HINT})", field=field)


def parse_when(text: str, field: str = "time", end_of_day: bool = False) -> datetime:
    """A moment: a date (start of that day, or its end with ``end_of_day``) or a
    date and time; Europe/Berlin unless a zone or ``Z`` is given.  Returns UTC."""
    value = text.strip()
    for sep in ("T", " "):
        if sep in value:
            day_text, _, time_text = value.partition(sep)
            day = parse_date(day_text, field)
            try:
                if time_text.endswith("Z"):
                    t = time.fromisoformat(time_text[:-1])
                    return datetime.combine(day, t, timezone.utc)
                t = time.fromisoformat(time_text)
            except ValueError:
                raise InvalidInputError(
                    f"{field}: {text!r} has no valid time (use 10:30 or 10:30:00)", field=field
                ) from None
            local = datetime.combine(day, t)
            if t.tzinfo is None:
                local = local.replace(tzinfo=BERLIN)
            return local.astimezone(timezone.utc)
    day = parse_date(value, field)
    start = datetime.combine(day, time(0), BERLIN)
    if end_of_day:
        start = datetime.combine(day + timedelta(days=1), time(0), BERLIN) - timedelta(
            microseconds=1
        )
    return start.astimezone(timezone.utc)


def format_date_de(d: date | None) -> str:
    return d.strftime("%d.%m.%Y") if d else "-"


def format_datetime_de(dt: datetime | None) -> str:
    return dt.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M") if dt else "-"
