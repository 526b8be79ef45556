"""The review date as an iCalendar (RFC 5545) event to put in a calendar.

:func:`review_event` writes a ``METHOD:PUBLISH`` calendar with one all-day
``VEVENT`` on the review date.  Its ``UID`` depends only on the area and the
review date, so every reminder for the same review updates one calendar entry
instead of adding another.  Text values are escaped (:func:`escape_text`),
lines folded at 75 octets (:func:`fold_line`) and ended with CRLF.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone
from urllib.parse import quote

from regsam_flow.ports import ReminderNotice

from .context import language_of

__all__ = ["escape_text", "event_uid", "fold_line", "review_event"]

#: Most octets a content line may have, not counting its CRLF (RFC 5545 3.1).
MAX_OCTETS = 75
PRODID = "-//REGSAM//regsam-flow//DE"

_SUMMARY = {
    "de": "Überprüfung Schwerpunktgebiet {name}",
    "en": "Review of focus area {name}",
}
_DESCRIPTION = {
    "de": (
        "Stichtag der Kooperationsvereinbarung für das Schwerpunktgebiet {name} ({district}).\n"
        "Thema: {topic}\n"
        "Zu entscheiden: ob der Prozess fortgesetzt wird (neuer Überprüfungstermin, "
        "geänderte Kooperationsvereinbarung) oder endet."
    ),
    "en": (
        "Review date of the cooperation agreement for the focus area {name} ({district}).\n"
        "Topic: {topic}\n"
        "To decide: whether the process continues (new review date, amended "
        "agreement) or ends."
    ),
}


def escape_text(value: str) -> str:
    """Escape a TEXT value: backslash, semicolon, comma and line breaks."""
    out = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    out = out.replace("\r\n", "\n").replace("\r", "\n")
    return out.replace("\n", "\\n")


def fold_line(line: str) -> str:
    """Fold one content line into pieces of at most 75 octets joined by
    CRLF + space, never splitting a UTF-8 character."""
    pieces: list[str] = []
    current = ""
    size = 0
    limit = MAX_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append(current)
            current, size, limit = "", 0, MAX_OCTETS - 1  # the leading space counts
        current += char
        size += width
    pieces.append(current)
    return "\r\n ".join(pieces)


def event_uid(area: str, review: date) -> str:
    """The stable UID of an area's review event."""
    return f"review-{quote(area, safe='-._~')}-{review:%Y%m%d}@regsam-flow"


def _lines(lines: Iterable[str]) -> str:
    return "".join(fold_line(line) + "\r\n" for line in lines)


def review_event(notice: ReminderNotice, now: datetime) -> str:
    """The calendar text (CRLF line endings) for the notice's review date;
    ``now`` becomes the DTSTAMP (naive values count as UTC)."""
    lang = language_of(notice)
    stamp = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
    stamp = stamp.astimezone(timezone.utc)
    review = notice.review_date
    summary = _SUMMARY[lang].format(name=notice.area_name)
    description = _DESCRIPTION[lang].format(
        name=notice.area_name,
        district=notice.district or "-",
        topic=notice.agreement.get("topic") or "-",
    )
    return _lines(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            f"PRODID:{PRODID}",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            "BEGIN:VEVENT",
            f"UID:{escape_text(event_uid(notice.area, review))}",
            f"DTSTAMP:{stamp:%Y%m%dT%H%M%SZ}",
            f"DTSTART;VALUE=DATE:{review:%Y%m%d}",
            f"DTEND;VALUE=DATE:{review + timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{escape_text(summary)}",
            f"DESCRIPTION:{escape_text(description)}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
            "END:VCALENDAR",
        ]
    )
