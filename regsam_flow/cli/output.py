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
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import click

from regsam_flow.i18n import _, format_date, format_datetime

__all__ = [
    "SafeFormatter",
    "Stream",
    "clean",
    "date_de",
    "day",
    "echo",
    "echo_json",
    "json_array",
    "kv",
    "moment",
    "stream_table",
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


class Stream:
    """Text for stdout as it is made, in few large writes: :meth:`write`
    collects, and every 64 KiB go out at once (the first piece at once, so
    a reader sees the first line without waiting).  Control characters are
    escaped as :func:`echo` does (with ``json``: as :func:`echo_json` does).
    Use it as a context manager: leaving it writes the rest."""

    CHUNK = 1 << 16

    def __init__(self, *, json: bool = False) -> None:
        self._parts: list[str] = []
        self._size = 0
        self._first = True
        self._json = json

    def write(self, text: str) -> None:
        self._parts.append(text)
        self._size += len(text)
        if self._size >= self.CHUNK or self._first:
            self.flush()

    def flush(self) -> None:
        if self._parts:
            text = "".join(self._parts)
            self._parts.clear()
            self._size = 0
            if self._json:
                text = _UNSAFE_JSON.sub(lambda m: f"\\u{ord(m[0]):04x}", text)
            else:
                text = clean(text)
            sys.stdout.write(text)
        sys.stdout.flush()
        self._first = False

    def __enter__(self) -> Stream:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.flush()


def json_array(items: Iterable[Any]) -> Iterator[str]:
    """The text :func:`echo_json` prints for the list of ``items``, piece by
    piece as the items come (the same bytes, never the whole list at once)."""
    first = True
    for item in items:
        text = json.dumps(item, ensure_ascii=False, indent=2, default=_default)
        yield ("[\n  " if first else ",\n  ") + text.replace("\n", "\n  ")
        first = False
    yield "[]\n" if first else "\n]\n"


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
    stream_table(headers, rows, max_width=max_width, wrap_last=wrap_last, keep=keep, window=0)


def stream_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    max_width: int = 0,
    wrap_last: bool = True,
    keep: Sequence[int] = (0, 1),
    known: Mapping[int, int] | None = None,
    window: int = 200,
) -> None:
    """:func:`table` for rows that come one by one (any number of them):
    the column widths are fixed from the first ``window`` rows (0: all
    rows), the width to print in and ``known`` (column index: the widest
    its values get, such as the digits of the last sequence number); then
    each row is printed as it comes.  A later value wider than its column
    is shortened with "…" (columns in ``keep`` only ever widen their line)."""
    limit = max_width or width()
    source = iter(rows)
    first: list[list[str]] = []
    for row in source:
        first.append(_cells(row))
        if window and len(first) >= window:
            break
    widths = [len(h) for h in headers]
    for i, w in (known or {}).items():
        widths[i] = max(widths[i], w)
    for cells in first:
        for i, c in enumerate(cells):
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
    lines = _Lines(widths, gap, wrap_last)
    with Stream() as out:
        out.write(lines(list(headers)))
        out.write(lines(["-" * w for w in widths]))
        for cells in first:
            out.write(lines(cells))
        if not first:
            out.write(_("(none)") + "\n")
        del first
        for row in source:
            out.write(lines(_cells(row)))


def _cells(row: Sequence[Any]) -> list[str]:
    return ["-" if c is None else str(c).replace("\n", " ") for c in row]


class _Lines:
    """The lines of one table row at fixed column widths."""

    def __init__(self, widths: list[int], gap: int, wrap_last: bool) -> None:
        self.widths = widths
        self.gap = " " * gap
        self.last = len(widths) - 1
        self.wrap = wrap_last and self.last > 0
        self.pad = " " * (sum(widths[: self.last]) + gap * self.last)

    def __call__(self, values: Sequence[str]) -> str:
        import textwrap

        last, w = self.last, self.widths[self.last]
        text = values[last]
        if not self.wrap:
            tail = [_cut(text, w)]
        elif len(text) <= w and text.isprintable() and text.strip(" ") == text:
            tail = [text]  # what textwrap gives for a short line, without it
        else:
            tail = textwrap.wrap(text, w, break_on_hyphens=False) or [""]
        head = [_cut(v, n).ljust(n) for v, n in zip(values[:last], self.widths[:last], strict=True)]
        out = [(self.gap.join([*head, tail[0]])).rstrip()]
        out.extend((self.pad + more).rstrip() for more in tail[1:])
        return "\n".join(out) + "\n"


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
