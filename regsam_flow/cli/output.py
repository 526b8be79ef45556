"""Printing for people (tables that fit the terminal, dates as the reader's
language writes them: :func:`day`, :func:`moment`) and for programs (JSON
on stdout).

Everything the CLI prints goes through :func:`echo` (or :func:`echo_json`),
which shows control characters escaped (``\\x1b``, ``\\u202e``): a name or a
message quoting user input cannot move the cursor, set the window title,
ring the bell or reorder text on the terminal.  Line breaks and tabs stay.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import click

from regsam_flow.i18n import _, format_date, format_datetime

__all__ = [
    "SafeFormatter",
    "clean",
    "date_de",
    "day",
    "echo",
    "echo_json",
    "kv",
    "moment",
    "table",
    "time_de",
    "width",
    "wrapped",
]

#: What a terminal may act on: C0 controls but line feed and tab, DEL, C1
#: controls, bidirectional overrides and isolates, line and paragraph
#: separators, and lone surrogates (bytes that were not UTF-8).
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)
#: The same inside JSON text, where C0 controls are escaped by json already.
_UNSAFE_JSON = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text: str) -> str:
    """``text`` with every control character escaped (line breaks and tabs kept)."""
    return _UNSAFE.sub(_escape, text)


def echo(message: Any = "", *, err: bool = False, nl: bool = True) -> None:
    """Print one message (stdout, or stderr with ``err``), control characters escaped."""
    click.echo(clean(str(message)), err=err, nl=nl)


class SafeFormatter(logging.Formatter):
    """A log formatter whose lines show control characters escaped."""

    def format(self, record: logging.LogRecord) -> str:
        return clean(super().format(record))


def width() -> int:
    """The width to print in: ``COLUMNS`` when set, else the terminal's
    when stdout is one, else 80; never below 40 (tables keep ids whole
    anyway, see :func:`table`)."""
    import os
    import sys

    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return max(int(columns), 40)
    if sys.stdout is not None and sys.stdout.isatty():
        return max(shutil.get_terminal_size((80, 24)).columns, 40)
    return 80


def _default(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def echo_json(data: Any, *, err: bool = False) -> None:
    """``data`` as JSON; characters a terminal acts on as ``\\uXXXX`` escapes
    (exact: a JSON reader gets the same text back)."""
    text = json.dumps(data, ensure_ascii=False, indent=2, default=_default)
    click.echo(_UNSAFE_JSON.sub(lambda m: f"\\u{ord(m[0]):04x}", text), err=err)


def date_de(value: date | str | None) -> str:
    """15.07.2027 from a date or ISO date text; '-' for none (German in
    every language: :func:`day` follows the reader's)."""
    if value is None or value == "":
        return "-"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return value.strftime("%d.%m.%Y")


def time_de(value: datetime | str | None) -> str:
    """A UTC moment as Berlin wall time: 15.07.2027 10:30 (German in every
    language: :func:`moment` follows the reader's)."""
    if value is None or value == "":
        return "-"
    from regsam_flow.dates import BERLIN

    if isinstance(value, str):
        value = datetime.fromisoformat(value.removesuffix("Z") + "+00:00")
    return value.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M")


def day(value: date | datetime | str | None) -> str:
    """A date (or ISO date text) as people of the current language write
    it: 15.07.2027 (German), 2027-07-15 (English); '-' for none.  A moment
    gives its day in Berlin."""
    if value is None or value == "":
        return "-"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    elif isinstance(value, datetime):
        from regsam_flow.dates import BERLIN

        value = value.astimezone(BERLIN).date()
    return format_date(value)


def moment(value: datetime | str | None) -> str:
    """A UTC moment (or ISO text) as Berlin wall time in the current
    language: 15.07.2027 10:30 (German), 2027-07-15 10:30 (English)."""
    if value is None or value == "":
        return "-"
    if isinstance(value, str):
        value = datetime.fromisoformat(value.removesuffix("Z") + "+00:00")
    return format_datetime(value)


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[: max(n - 1, 0)] + "…"


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    max_width: int = 0,
    wrap_last: bool = True,
    keep: Sequence[int] = (0, 1),
) -> None:
    """Print rows under headers within the width: the widest columns are
    shortened (with "…"), and the last column wraps onto more lines.
    Columns in ``keep`` (ids people type) are never shortened."""
    import textwrap

    limit = max_width or width()
    cells = [["-" if c is None else str(c).replace("\n", " ") for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, c in enumerate(row):
            widths[i] = max(widths[i], len(c))
    gap = 2
    last = len(widths) - 1
    if wrap_last and last > 0:
        room = limit - sum(widths[:last]) - gap * last
        widths[last] = max(min(widths[last], room), min(20, widths[last]), len(headers[last]))
    while sum(widths) + gap * last > limit:
        candidates = [
            i for i in range(len(widths)) if i not in keep and not (wrap_last and i == last)
        ] or [last]
        widest = max(candidates, key=lambda i: widths[i])
        if widths[widest] <= max(len(headers[widest]), 6):
            break
        widths[widest] -= 1

    def emit(values: Sequence[str]) -> None:
        if wrap_last and last > 0:
            tail = textwrap.wrap(values[last], widths[last], break_on_hyphens=False) or [""]
        else:
            tail = [_cut(values[last], widths[last])]
        head = [_cut(v, w).ljust(w) for v, w in zip(values[:last], widths[:last], strict=True)]
        pad = " " * (sum(widths[:last]) + gap * last)
        echo(((" " * gap).join([*head, tail[0]])).rstrip())
        for more in tail[1:]:
            echo((pad + more).rstrip())

    emit(list(headers))
    emit(["-" * w for w in widths])
    for row in cells:
        emit(row)
    if not cells:
        echo(_("(none)"))


def kv(pairs: Sequence[tuple[str, Any]]) -> None:
    """Aligned 'label: value' lines, values wrapped to the width."""
    import textwrap

    label_w = max(len(k) for k, _v in pairs) + 1
    for key, value in pairs:
        text = "-" if value in (None, "") else str(value)
        wrapped = textwrap.wrap(text, width=max(width() - label_w - 1, 20)) or ["-"]
        echo(f"{(key + ':').ljust(label_w)} {wrapped[0]}")
        for more in wrapped[1:]:
            echo(" " * (label_w + 1) + more)


def wrapped(text: str, indent: int, hang: int = 4) -> str:
    """``text`` wrapped to the width; later lines indented ``hang`` more."""
    import textwrap

    return "\n".join(
        textwrap.wrap(
            text,
            width=width(),
            initial_indent=" " * indent,
            subsequent_indent=" " * (indent + hang),
            break_on_hyphens=False,
        )
    )
