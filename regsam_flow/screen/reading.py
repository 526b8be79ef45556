"""Reading the monitoring CSV file into :class:`Quarter` objects.

Decoding (UTF-8, with or without BOM; UTF-16 and Windows-1252 are refused
with a hint), detecting the separator (``,`` or ``;``) from the header, the
decimal comma in ``;`` files, and every check on the cells.  A file that
cannot be screened raises :class:`ScreenFileError`, which names row and
column of each :class:`Problem`.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from regsam_flow.errors import InvalidInputError
from regsam_flow.i18n import _

from .indicators import INDICATOR_IDS, LABELS, REQUIRED_COLUMNS, column_for_header
from .quarter import MAX_POPULATION, MAX_VALUE, Quarter

__all__ = ["Problem", "ScreenFileError", "parse_quarters", "read_quarters"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file.

    ``row`` is the 1-based row as a spreadsheet shows it (the header is row
    1); ``column`` the column as the file has it (letter and header text);
    ``field`` the column id from :data:`INDICATORS` / :data:`BASE_COLUMNS`.
    """

    row: int | None
    column: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(_("row {row}").format(row=self.row))
        if self.column is not None:
            where.append(_("column {column}").format(column=self.column))
        return f"{', '.join(where)}: {self.message}" if where else self.message


class ScreenFileError(InvalidInputError):
    """The monitoring file cannot be screened.

    ``problems`` lists everything found (cell errors of all rows at once);
    ``row``, ``column`` and ``field`` repeat the first problem's.
    """

    def __init__(
        self,
        message: str,
        *,
        problems: Sequence[Problem] = (),
        source: str | None = None,
        field: str | None = None,
    ) -> None:
        first = problems[0] if problems else None
        super().__init__(message, field=field or (first.field if first else None))
        self.problems = tuple(problems)
        self.source = source
        self.row = first.row if first else None
        self.column = first.column if first else None


_MAX_LISTED = 20


def _file_error(
    source: str, problems: Sequence[Problem], note: str | None = None
) -> ScreenFileError:
    if len(problems) == 1:
        message = f"{source}: {problems[0]}"
    else:
        lines = [_("{source}: {n} problems:").format(source=source, n=len(problems))]
        lines += [f"  {p}" for p in problems[:_MAX_LISTED]]
        if len(problems) > _MAX_LISTED:
            lines.append("  " + _("... and {n} more").format(n=len(problems) - _MAX_LISTED))
        message = "\n".join(lines)
    if note:
        message += "\n" + note
    return ScreenFileError(message, problems=problems, source=source)


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _column(index: int, header: Sequence[str]) -> str:
    text = header[index].strip() if index < len(header) else ""
    return f'{_column_letter(index)} "{text}"' if text else _column_letter(index)


_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?")
_GERMAN_GROUPED = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+,\d*")


def _shown(raw: str, quote: bool = True) -> str:
    """A cell as quoted in a message: at most 30 characters."""
    q = '"' if quote else ""
    if len(raw) <= 30:
        return f"{q}{raw}{q}"
    return f'"{raw[:27]}..." ' + _("({n} characters)").format(n=len(raw))


def _parse_number(text: str, decimal_comma: bool) -> Decimal | None:
    """The decimal in ``text``, or None if it is not a plain number."""
    s = text
    if decimal_comma and "," in s:
        if "." in s:
            if not _GERMAN_GROUPED.fullmatch(s):
                return None
            s = s.replace(".", "")
        s = s.replace(",", ".")
    if not _NUMBER.fullmatch(s):
        return None
    return Decimal(s)


def read_quarters(path: str | os.PathLike[str]) -> list[Quarter]:
    """Read a monitoring CSV file; see :func:`parse_quarters`.

    Raises :class:`ScreenFileError` if the file cannot be read or is not acceptable.
    """
    source = os.fspath(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ScreenFileError(
            _("{source}: cannot read the file: {reason}").format(source=source, reason=reason),
            source=source,
            field="file",
        ) from exc
    return parse_quarters(data, source=source)


def _decode(data: bytes, source: str) -> str:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _file_error(
            source,
            [
                Problem(
                    1,
                    None,
                    None,
                    _(
                        "the file is UTF-16 encoded (Excel: 'Unicode text'); "
                        'save it as "CSV UTF-8" instead'
                    ),
                )
            ],
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        row = data.count(b"\n", 0, exc.start) + 1
        header_end = data.find(b"\n")
        header_line = data[: header_end if header_end >= 0 else len(data)]
        header_text = header_line.decode("utf-8", "replace").rstrip("\r")
        delimiter = ";" if header_text.count(";") > header_text.count(",") else ","
        prefix = data[line_start : exc.start].decode("utf-8", "replace")
        index = prefix.count(delimiter)
        bad = data[exc.start : exc.start + 1]
        guess = bad.decode("cp1252", "replace")
        raise _file_error(
            source,
            [
                Problem(
                    row,
                    _column(index, header_text.split(delimiter)),
                    None,
                    _(
                        "byte 0x{byte} is not UTF-8 (in Windows-1252/Latin-1 it "
                        'would be "{guess}"): the file must be UTF-8 encoded; '
                        'in Excel save it as "CSV UTF-8"'
                    ).format(byte=bad.hex().upper(), guess=guess),
                )
            ],
        ) from None


def _records(text: str, delimiter: str) -> Iterable[tuple[int, list[str]]]:
    """(row number, cells) of every record that is not blank."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for row, cells in enumerate(reader, start=1):
        if any(c.strip() for c in cells):
            yield row, cells


@dataclass
class _Header:
    delimiter: str
    row: int
    cells: list[str]
    index: dict[str, int]
    duplicates: list[Problem]
    unknown: list[str]


def _read_header(text: str, delimiter: str) -> _Header | None:
    try:
        first = next(iter(_records(text, delimiter)), None)
    except csv.Error:
        return None
    if first is None:
        return None
    row, cells = first
    index: dict[str, int] = {}
    duplicates: list[Problem] = []
    unknown: list[str] = []
    for i, cell in enumerate(cells):
        if not cell.strip():
            continue
        column = column_for_header(cell)
        if column is None:
            unknown.append(cell.strip())
        elif column in index:
            duplicates.append(
                Problem(
                    row,
                    _column(i, cells),
                    column,
                    _('means the same as column {other} ("{column}")').format(
                        other=_column(index[column], cells), column=column
                    ),
                )
            )
        else:
            index[column] = i
    return _Header(delimiter, row, cells, index, duplicates, unknown)


def _detect_header(text: str, source: str) -> _Header:
    candidates = [h for h in (_read_header(text, d) for d in (",", ";")) if h is not None]
    if not candidates:
        raise _file_error(source, [Problem(1, None, None, _("the file cannot be read as CSV"))])
    best = max(candidates, key=lambda h: len(h.index))  # a tie keeps ","
    if len(best.cells) <= 1 and not best.index:
        header = best.cells[0] if best.cells else ""
        if "\t" in header:
            hint = _("it seems to be separated by tabs")
        elif "|" in header:
            hint = _('it seems to be separated by "|"')
        else:
            hint = _("no known column name was found")
        shown = header if len(header) <= 60 else header[:57] + "..."
        raise _file_error(
            source,
            [
                Problem(
                    best.row,
                    "A",
                    None,
                    _(
                        "the header {header!r} does not split into columns with ',' or ';' "
                        "({hint}); save the file as CSV separated by commas or semicolons"
                    ).format(header=shown, hint=hint),
                )
            ],
        )
    problems = list(best.duplicates)
    missing = [c for c in REQUIRED_COLUMNS if c not in best.index]
    note = None
    for column in missing:
        problems.append(
            Problem(
                best.row,
                None,
                column,
                _('column "{column}" is missing (German header: "{label}")').format(
                    column=column, label=LABELS[column]
                ),
            )
        )
    if missing:
        unknown = ", ".join(f'"{u}"' for u in best.unknown) or _("none")
        sep = _("semicolons") if best.delimiter == ";" else _("commas")
        note = _(
            "The header was read as separated by {separator}; columns not recognised: "
            "{unknown}. See docs/screening.md for the accepted column names."
        ).format(separator=sep, unknown=unknown)
    if problems:
        raise _file_error(source, problems, note)
    return best


def _check_shape(row: int, cells: list[str], header: _Header, width: int) -> Problem | None:
    """A problem if the row has too few cells, or values beyond the header."""
    if len(cells) < width:
        return Problem(
            row,
            _column(len(cells), header.cells),
            None,
            _(
                "the row has only {cells} cells, the header needs {width}; is a separator missing?"
            ).format(cells=len(cells), width=width),
        )
    extra = [i for i in range(len(header.cells), len(cells)) if cells[i].strip()]
    if extra:
        hint = (
            _(" (a decimal comma? in a comma-separated file write 12.5, or separate with ';')")
            if header.delimiter == ","
            else ""
        )
        return Problem(
            row,
            _column_letter(extra[0]),
            None,
            _("the row has {cells} cells but the header only {width}{hint}").format(
                cells=len(cells), width=len(header.cells), hint=hint
            ),
        )
    return None


def _parse_row(
    row: int, cells: list[str], header: _Header, seen: dict[str, int]
) -> tuple[Quarter | None, list[Problem]]:
    """The quarter in one data row, or the row's problems."""
    idx = header.index
    decimal_comma = header.delimiter == ";"
    problems: list[Problem] = []

    def bad(column: str, message: str) -> None:
        problems.append(Problem(row, _column(idx[column], header.cells), column, message))

    def text(column: str) -> str:
        return unicodedata.normalize("NFC", cells[idx[column]].strip())

    quarter_id, name, district = text("id"), text("name"), text("district")
    if not quarter_id:
        bad("id", _("the quarter id is missing"))
    elif quarter_id in seen:
        bad(
            "id",
            _('quarter id "{id}" already appears in row {row}').format(
                id=quarter_id, row=seen[quarter_id]
            ),
        )
    else:
        seen[quarter_id] = row
    if not name:
        bad("name", _("the quarter name is missing"))

    raw = text("population")
    population = 0
    number = _parse_number(raw, decimal_comma)
    if not raw:
        bad("population", _("the number of inhabitants is missing"))
    elif number is None:
        bad("population", _("{value} is not a number").format(value=_shown(raw)))
    elif number < 0:
        bad("population", _("{value} is negative").format(value=_shown(raw, quote=False)))
    elif number > MAX_POPULATION:
        bad(
            "population",
            _("{value} is more inhabitants than a quarter has (at most {max})").format(
                value=_shown(raw), max=MAX_POPULATION
            ),
        )
    elif number != number.to_integral_value():
        bad(
            "population",
            _(
                "{value} is not a whole number of inhabitants "
                "(write it without thousands separators)"
            ).format(value=_shown(raw)),
        )
    else:
        population = int(number)

    values: dict[str, Decimal | None] = {}
    for column in INDICATOR_IDS:
        raw = text(column)
        if not raw:
            values[column] = None
            continue
        number = _parse_number(raw, decimal_comma)
        if number is None:
            hint = (
                _("; a decimal comma is only read in files separated by ';'")
                if "," in raw and not decimal_comma
                else _("; leave the cell empty if the value is missing")
            )
            bad(column, _("{value} is not a number").format(value=_shown(raw)) + hint)
        elif number < 0:
            bad(
                column,
                _("{value} is negative; a share cannot be negative").format(
                    value=_shown(raw, quote=False)
                ),
            )
        elif number >= MAX_VALUE:
            bad(
                column,
                _("{value} is too large (give less than {max})").format(
                    value=_shown(raw), max=f"{MAX_VALUE:f}"
                ),
            )
        else:
            values[column] = number
    if problems:
        return None, problems
    return Quarter(quarter_id, name, district, population, values, row), []


def parse_quarters(data: bytes | str, *, source: str = "<input>") -> list[Quarter]:
    """Parse monitoring CSV data: one row per quarter.

    The header names the columns ``id``, ``name``, ``district``,
    ``population`` and the 13 of :data:`INDICATORS`, in any order, by id or
    by a German header of :data:`COLUMN_ALIASES`; other columns are ignored.
    Bytes must be UTF-8 (a BOM is fine).  Cells are separated by ``,`` or
    ``;`` (detected from the header); with ``;`` a decimal comma ("12,5",
    "1.234,5") is read too.  Blank rows are skipped.  An empty indicator
    cell is a missing value (``None``); ``district`` may be empty; ``id``,
    ``name`` and ``population`` may not.  Numbers may not be negative,
    ``population`` must be whole, quarter ids must be unique.

    Raises :class:`ScreenFileError` naming row and column of every problem.
    """
    text = _decode(data, source) if isinstance(data, bytes) else data.removeprefix("\ufeff")
    if not text.strip():
        raise _file_error(
            source,
            [
                Problem(
                    1,
                    None,
                    None,
                    _(
                        "the file is empty; row 1 must be a header naming the columns {columns}"
                    ).format(columns=", ".join(REQUIRED_COLUMNS)),
                )
            ],
        )
    if "\x00" in text:
        row = text.count("\n", 0, text.index("\x00")) + 1
        raise _file_error(
            source,
            [Problem(row, None, None, _('the file contains NUL bytes; save it as "CSV UTF-8"'))],
        )
    header = _detect_header(text, source)
    width = max(header.index.values()) + 1
    problems: list[Problem] = []
    quarters: list[Quarter] = []
    seen: dict[str, int] = {}
    row = header.row
    try:
        for row, cells in _records(text, header.delimiter):
            if row <= header.row:
                continue
            shape = _check_shape(row, cells, header, width)
            if shape is not None:
                problems.append(shape)
                continue
            quarter, row_problems = _parse_row(row, cells, header, seen)
            problems.extend(row_problems)
            if quarter is not None:
                quarters.append(quarter)
    except csv.Error as exc:  # e.g. a cell beyond the csv module's size limit
        problems.append(
            Problem(
                row + 1,
                None,
                None,
                _("the row cannot be read as CSV: {problem}").format(problem=exc),
            )
        )

    if problems:
        raise _file_error(source, problems)
    if not quarters:
        raise _file_error(
            source,
            [Problem(header.row + 1, None, None, _("the file has a header but no data rows"))],
        )
    return quarters
