"""CSV for spreadsheets: no cell runs as a formula.

A spreadsheet that opens a CSV file runs a cell starting with ``=``, ``+``,
``-`` or ``@`` as a formula (``=HYPERLINK(...)`` sends data away, DDE
formulas start programs); a leading tab or carriage return does the same in
some of them.  Following OWASP's "CSV Injection" advice, such a cell starts
with a single quote (shown as text, the quote itself hidden by spreadsheets)
and every cell is quoted.  A cell that is entirely a number, also a
negative one (``-5``, ``-12.5``, ``-12,5``), cannot be a formula and stays
as it is, readable as a number.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, TextIO

__all__ = ["safe_cell", "safe_row", "write_csv"]

#: First characters that make a spreadsheet read a formula (also full-width forms).
_TRIGGERS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")
#: First characters after which a text cell needs a closer look (a trigger,
#: or spaces and line breaks a trigger may follow).
_LOOK = _TRIGGERS | frozenset(" \n")


def safe_cell(value: object) -> str:
    """``value`` as the text of one cell that cannot run as a formula."""
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    if text[:1] not in _TRIGGERS and text.lstrip(" \n")[:1] not in _TRIGGERS:
        return text  # most cells: no formula, no need to look for a number
    if _NUMBER.fullmatch(text):
        return text
    return "'" + text


def safe_row(row: Iterable[object]) -> list[object]:
    """The cells of one row made safe (:func:`safe_cell`); quick for the
    plain text most cells are."""
    return [c if type(c) is str and c[:1] not in _LOOK else safe_cell(c) for c in row]


def csv_writer(out: TextIO, *, delimiter: str = ",") -> Any:
    """A CSV writer onto ``out`` as regsam-flow writes CSV: every cell
    quoted, lines ending in ``\\n`` (make the cells safe: :func:`safe_row`)."""
    return csv.writer(out, delimiter=delimiter, lineterminator="\n", quoting=csv.QUOTE_ALL)


def write_csv(rows: Iterable[Sequence[object]], *, delimiter: str = ",") -> str:
    """``rows`` as CSV text: every cell quoted and made safe (:func:`safe_cell`)."""
    out = io.StringIO()
    writer = csv_writer(out, delimiter=delimiter)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()
