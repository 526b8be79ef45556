"""Dates and times as people type and read them.

Input: ISO (``2027-07-15``) or German (``15.07.2027``) dates, optionally with a
time (``2027-07-15T10:30``, ``15.07.2027 10:30``).  A time without a zone is
Europe/Berlin time; storage is always UTC.  Dates lie between the years
1900 and 2200 (:data:`FIRST_YEAR`, :data:`LAST_YEAR`): anything else is a
typo, and the year limits of Python's dates would otherwise end in an
overflow while converting or planning.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from .errors import InvalidInputError
from .i18n import N_, _

__all__ = [
    "BERLIN",
    "FIRST_YEAR",
    "LAST_YEAR",
    "check_date",
    "check_moment",
    "format_date_de",
    "format_datetime_de",
    "parse_date",
    "parse_when",
    "to_date",
    "to_moment",
]

BERLIN = ZoneInfo("Europe/Berlin")
_GERMAN = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_HINT = N_("use 2027-07-15 or 15.07.2027")
#: The years a date may lie in (both included).
FIRST_YEAR, LAST_YEAR = 1900, 2200


def check_date(value: date, field: str = "date") -> date:
    """``value`` if its year lies in 1900-2200, else an InvalidInputError naming ``field``."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise InvalidInputError(
            _("{field}: {date} lies outside the years {first}-{last}").format(
                field=field, date=value.isoformat(), first=FIRST_YEAR, last=LAST_YEAR
            ),
            field=field,
        )
    return value


def check_moment(value: datetime, field: str = "time") -> datetime:
    """``value`` (a date and time) if it lies in the years 1900-2200; a time
    without a zone is refused, as the engine could not tell when it is."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInputError(
            _("{field}: a date and time needs a time zone").format(field=field), field=field
        )
    check_date(value.date(), field)
    return value


def parse_date(text: str, field: str = "date") -> date:
    """A calendar date in ISO or German form."""
    value = text.strip()
    m = _GERMAN.match(value)
    try:
        if m:
            return check_date(date(int(m.group(3)), int(m.group(2)), int(m.group(1))), field)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return check_date(date.fromisoformat(value), field)
    except ValueError as exc:
        raise InvalidInputError(
            _("{field}: {text!r} is not a valid date ({problem})").format(
                field=field, text=text, problem=exc
            ),
            field=field,
        ) from None
    raise InvalidInputError(
        _("{field}: {text!r} is not a date ({hint})").format(field=field, text=text, hint=_(_HINT)),
        field=field,
    )


def parse_when(text: str, field: str = "time", end_of_day: bool = False) -> datetime:
    """A moment: a date (start of that day, or its end with ``end_of_day``) or a
    date and time; Europe/Berlin unless a zone or ``Z`` is given.  Returns UTC."""
    value = text.strip()
    for sep in ("T", " "):
        if sep in value:
            day_text, _sep, time_text = value.partition(sep)
            day = parse_date(day_text, field)
            try:
                if time_text.endswith("Z"):
                    t = time.fromisoformat(time_text[:-1])
                    return datetime.combine(day, t, timezone.utc)
                t = time.fromisoformat(time_text)
            except ValueError:
                raise InvalidInputError(
                    _("{field}: {text!r} has no valid time (use 10:30 or 10:30:00)").format(
                        field=field, text=text
                    ),
                    field=field,
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


def to_date(value: date | str, field: str = "date") -> date:
    """A calendar date an API caller gave as a :class:`date` or as text (ISO
    or German); a date and time is refused, as its day would depend on the zone."""
    if isinstance(value, datetime):
        raise InvalidInputError(
            _("{field} must be a date, not a date and time").format(field=field), field=field
        )
    if isinstance(value, date):
        return check_date(value, field)
    if isinstance(value, str):
        return parse_date(value, field)
    raise InvalidInputError(_("{field} must be a date").format(field=field), field=field)


def to_moment(
    value: datetime | date | str, field: str = "time", end_of_day: bool = False
) -> datetime:
    """A moment an API caller gave as a :class:`datetime` (with a zone), a
    :class:`date` (the start of that day in Berlin, or its end with
    ``end_of_day``) or as text (see :func:`parse_when`)."""
    if isinstance(value, datetime):
        return check_moment(value, field)
    if isinstance(value, date):
        return parse_when(check_date(value, field).isoformat(), field, end_of_day=end_of_day)
    if isinstance(value, str):
        return parse_when(value, field, end_of_day=end_of_day)
    raise InvalidInputError(
        _("{field} must be a date or a date and time").format(field=field), field=field
    )


def format_date_de(d: date | None) -> str:
    return d.strftime("%d.%m.%Y") if d else "-"


def format_datetime_de(dt: datetime | None) -> str:
    return dt.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M") if dt else "-"
