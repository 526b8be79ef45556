"""The monitoring screen: which district quarters are candidate focus areas.

REGSAM and the social department's social planning pick focus areas
(Schwerpunktgebiete) every two to three years.  The quantitative part of
that choice is a screen of the social department's monitoring, described in
the appendix "Grundlagen der stadtviertelbezogenen Auswertung des
Sozialreferatsmonitorings für den REGSAM-Kriterienkatalog":

1. 13 of the 26 monitoring variables are used (:data:`INDICATORS`);
2. a value *counts* when it lies at least 30 % above the mean of that
   variable: ``value >= mean * (1 + threshold)``, inclusive, compared
   exactly (decimal arithmetic, no floating-point tolerance);
3. a district quarter (Stadtbezirksviertel) qualifies when at least 7 of its
   13 values count,
4. and it has at least 400 inhabitants.

Threshold, minimum count and minimum population are options
(:class:`ScreenOptions`).  The paper leaves two things open; both are
explicit options here, with these defaults:

* ``weighted_mean=False``: the mean is the plain arithmetic mean over
  quarters, every quarter counts once.  With ``True`` each quarter is
  weighted by its total population (the file carries no other base
  population, e.g. the number of 15-25 year olds).
* ``floor_counts_for_mean=True``: the mean spans every quarter in the file,
  including those below the population floor.  With ``False`` only quarters
  with at least ``min_population`` inhabitants make up the mean (all
  quarters are still screened against it).

Missing values: an empty indicator cell is allowed and is never read as
zero.  That variable's mean is taken over the quarters that have a value,
the quarter's count is taken over the values it has, and the result names
the missing variables (status ``incomplete`` when the missing values could
still decide the outcome).  A variable whose mean is zero (or that no
quarter has) counts for no quarter: nothing lies above a mean of zero.

Input is a CSV file, one row per quarter (see :func:`parse_quarters` and
docs/screening.md); bad files are refused with :class:`ScreenFileError`, an
:class:`~regsam_flow.errors.InvalidInputError` that names row and column.

This module is pure: standard library only, no database, no CLI.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import os
import re
import textwrap
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import (
    MAX_EMAX,
    MAX_PREC,
    MIN_EMIN,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    localcontext,
)
from pathlib import Path
from typing import Any

from regsam_flow.errors import InvalidInputError

__all__ = [
    "BASE_COLUMNS",
    "COLUMN_ALIASES",
    "INDICATORS",
    "INDICATOR_IDS",
    "STATUSES",
    "Problem",
    "Quarter",
    "QuarterResult",
    "ScreenFileError",
    "ScreenOptions",
    "ScreenResult",
    "VariableMean",
    "parse_quarters",
    "read_quarters",
    "render_csv",
    "render_table",
    "result_to_json",
    "screen",
    "screen_file",
]

# --------------------------------------------------------------------------
# Columns
# --------------------------------------------------------------------------

#: The 13 variables of the screen, in the paper's order: (column id, German label).
INDICATORS: tuple[tuple[str, str], ...] = (
    ("unemployed_sgb3", "Arbeitslose SGB III"),
    ("alg2_recipients", "ALG II Empfänger"),
    ("alg2_15_25", "ALG II 15-25"),
    ("sozialgeld_under15", "Sozialgeld unter 15"),
    ("basic_income_65plus", "Grundsicherung im Alter"),
    ("living_alone_80plus", "Alleinlebende 80+"),
    ("households_with_children", "Haushalte mit Kindern"),
    ("single_parents", "Alleinerziehende"),
    ("uvg_under12", "UVG unter 12"),
    ("youth_welfare_residential", "Erziehungshilfen stationär"),
    ("child_protection_cases", "Kinderschutzfälle"),
    ("migration_background", "Migrationshintergrund"),
    ("bsa_households", "BSA-Haushalte"),
)

#: The 13 column ids alone, in the paper's order.
INDICATOR_IDS: tuple[str, ...] = tuple(column for column, _ in INDICATORS)

#: The four columns describing a quarter: (column id, German label).
BASE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "Viertel-Nr"),
    ("name", "Name"),
    ("district", "Stadtbezirk"),
    ("population", "Einwohner"),
)

#: German headers accepted besides the column id, per column.  The first is
#: the label used in :data:`INDICATORS` / :data:`BASE_COLUMNS`.  Matching
#: ignores case, spaces, underscores, hyphens and other punctuation, reads
#: "ae"/"oe"/"ue" as "ä"/"ö"/"ü", and ignores a trailing "%", "(%)" or "in %".
COLUMN_ALIASES: Mapping[str, tuple[str, ...]] = {
    "id": ("Viertel-Nr", "Viertelnummer", "Nr", "Nummer", "Stadtbezirksviertel-Nr"),
    "name": ("Name", "Viertel", "Viertelname", "Stadtbezirksviertel", "Bezeichnung"),
    "district": ("Stadtbezirk", "Bezirk", "Stadtbezirksname"),
    "population": (
        "Einwohner",
        "Einwohnerinnen",
        "Einwohner*innen",
        "Einwohnerzahl",
        "Bevölkerung",
        "Bewohner",
        "Bewohnerinnen und Bewohner",
    ),
    "unemployed_sgb3": (
        "Arbeitslose SGB III",
        "Arbeitslose nach SGB III",
        "Arbeitslose SGB 3",
        "Anteil der Arbeitslosen nach SGB III an der erwerbsfähigen Bevölkerung",
    ),
    "alg2_recipients": (
        "ALG II Empfänger",
        "ALG II",
        "ALG 2",
        "ALG II Empfängerinnen",
        "Arbeitslosengeld II",
        "Anteil der EmpfängerInnen von Arbeitslosengeld II an der erwerbsfähigen Bev.",
    ),
    "alg2_15_25": (
        "ALG II 15-25",
        "ALG II 15 bis 25",
        "ALG II Empfänger 15-25",
        "ALG II 15-25 Jahre",
        "Anteil der EmpfängerInnen von Arbeitslosengeld II an der 15-25-jähr. Bevölkerung",
    ),
    "sozialgeld_under15": (
        "Sozialgeld unter 15",
        "Sozialgeld u15",
        "Sozialgeld",
        "Sozialgeld SGB II unter 15",
        "Anteil der EmpfängerInnen von Sozialgeld nach SGB II an der unter 15-jährigen Bevölkerung",
    ),
    "basic_income_65plus": (
        "Grundsicherung im Alter",
        "Grundsicherung 65+",
        "Grundsicherung ab 65",
        "Grundsicherung über 64",
        "Anteil der EmpfängerInnen von Grundsicherung im Alter an der über 64-jähr. Bev.",
    ),
    "living_alone_80plus": (
        "Alleinlebende 80+",
        "Alleinlebende ab 80",
        "Alleinlebende 80 und älter",
        "Alleinlebende 80 Jahre und älter",
        "Anteil der Alleinlebenden 80jährigen und älteren an allen Haushalten",
    ),
    "households_with_children": (
        "Haushalte mit Kindern",
        "HH mit Kindern",
        "Anteil der Haushalte mit Kindern an allen Haushalten",
    ),
    "single_parents": (
        "Alleinerziehende",
        "Alleinerziehende Haushalte",
        "Alleinerziehenden-Haushalte",
        "Anteil der Alleinerziehenden-Haushalte an allen Haushalten mit Kindern",
    ),
    "uvg_under12": (
        "UVG unter 12",
        "UVG",
        "UVG Empfänger",
        "UVG Empfänger unter 12",
        "Unterhaltsvorschuss",
        "Unterhaltsvorschuss unter 12",
        "Anteil der EmpfängerInnen von Leistungen nach UVG an allen unter 12jährigen",
    ),
    "youth_welfare_residential": (
        "Erziehungshilfen stationär",
        "stationäre Erziehungshilfen",
        "Erziehungshilfen stationär und teilstationär",
        "stationäre und teilstationäre Erziehungshilfen",
        "HzE stationär",
        "Anteil der EmpfängerInnen von stationären und teilstationären Erziehungshilfen "
        "an der minderjährigen Bevölkerung",
    ),
    "child_protection_cases": (
        "Kinderschutzfälle",
        "Kinderschutzfälle BSA",
        "Kinderschutz",
        "Anteil der Kinderschutzfälle der BSA an allen Haushalten mit Kindern",
    ),
    "migration_background": (
        "Migrationshintergrund",
        "Bevölkerung mit Migrationshintergrund",
        "Migration",
        "Anteil der Bevölkerung mit Migrationshintergrund an der Gesamtbevölkerung",
    ),
    "bsa_households": (
        "BSA-Haushalte",
        "BSA",
        "BSA betreute Haushalte",
        "von der BSA betreute Haushalte",
        "Anteil der von der BSA betreuten Haushalte an allen Haushalten",
    ),
}

_REQUIRED: tuple[str, ...] = (*(c for c, _ in BASE_COLUMNS), *INDICATOR_IDS)
_LABELS: dict[str, str] = dict((*BASE_COLUMNS, *INDICATORS))
_PERCENT_SUFFIX = re.compile(r"\s*(?:\(\s*(?:in\s*)?%\s*\)|in\s*%|%)\s*$")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def _normalise_header(text: str) -> str:
    s = unicodedata.normalize("NFKC", text).casefold().strip()
    s = _PERCENT_SUFFIX.sub("", s)
    for umlaut, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue")):
        s = s.replace(umlaut, spelled)
    return _NOT_ALNUM.sub("", s)


def _build_alias_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for column in _REQUIRED:
        for alias in (column, *COLUMN_ALIASES[column]):
            key = _normalise_header(alias)
            if index.setdefault(key, column) != column:  # pragma: no cover - table bug
                raise RuntimeError(f"header alias {alias!r} is ambiguous")
    return index


_ALIAS_INDEX = _build_alias_index()

# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


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
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
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
        lines = [f"{source}: {len(problems)} problems:"]
        lines += [f"  {p}" for p in problems[:_MAX_LISTED]]
        if len(problems) > _MAX_LISTED:
            lines.append(f"  ... and {len(problems) - _MAX_LISTED} more")
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


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ScreenOptions:
    """How to screen.

    ``threshold`` is a fraction (0.30 = 30 % above the mean, inclusive);
    ``min_count`` the number of counting values needed (of 13);
    ``min_population`` the inhabitants needed (inclusive);
    ``weighted_mean`` weights each quarter by its population (default: no);
    ``floor_counts_for_mean``: quarters below ``min_population`` are part of
    the mean (default: yes, the mean spans every quarter in the file).
    """

    threshold: float = 0.30
    min_count: int = 7
    min_population: int = 400
    weighted_mean: bool = False
    floor_counts_for_mean: bool = True

    def __post_init__(self) -> None:
        t = self.threshold
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t):
            raise InvalidInputError(f"threshold must be a number, not {t!r}", field="threshold")
        if not 0 <= t < 10:
            raise InvalidInputError(
                f"threshold {t!r} is out of range: give a fraction from 0 to below 10 "
                "(0.30 means 30 % above the mean)",
                field="threshold",
            )
        n = len(INDICATORS)
        if (
            isinstance(self.min_count, bool)
            or not isinstance(self.min_count, int)
            or not (1 <= self.min_count <= n)
        ):
            raise InvalidInputError(
                f"min_count must be a whole number from 1 to {n}, not {self.min_count!r}",
                field="min_count",
            )
        p = self.min_population
        if isinstance(p, bool) or not isinstance(p, int) or p < 0:
            raise InvalidInputError(
                f"min_population must be a whole number of at least 0, not {p!r}",
                field="min_population",
            )

    @property
    def factor(self) -> Decimal:
        """``1 + threshold`` as an exact decimal (0.3 is read as 3/10, not as a binary float)."""
        return Decimal(1) + Decimal(repr(float(self.threshold)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "min_count": self.min_count,
            "min_population": self.min_population,
            "weighted_mean": self.weighted_mean,
            "floor_counts_for_mean": self.floor_counts_for_mean,
        }


@dataclass(frozen=True)
class Quarter:
    """One district quarter (Stadtbezirksviertel) as read from the file.

    ``values`` maps every id of :data:`INDICATOR_IDS` to a non-negative
    decimal, or to ``None`` when the value is missing (absent keys become
    ``None``).  ``row`` is the file row it came from, if any.
    """

    id: str
    name: str
    district: str
    population: int
    values: Mapping[str, Decimal | None]
    row: int | None = None

    def __post_init__(self) -> None:
        where = f"quarter {self.id!r}" + (f" (row {self.row})" if self.row else "")
        if not self.id.strip():
            raise InvalidInputError("a quarter has an empty id", field="id")
        p = self.population
        if isinstance(p, bool) or not isinstance(p, int) or p < 0:
            raise InvalidInputError(
                f"{where}: population must be a whole number of at least 0, not {p!r}",
                field="population",
            )
        unknown = sorted(set(self.values) - set(INDICATOR_IDS))
        if unknown:
            raise InvalidInputError(
                f"{where}: unknown variable(s) {', '.join(unknown)}", field=unknown[0]
            )
        full: dict[str, Decimal | None] = {}
        for column in INDICATOR_IDS:
            value = self.values.get(column)
            if value is not None and (
                not isinstance(value, Decimal) or not value.is_finite() or value < 0
            ):
                raise InvalidInputError(
                    f"{where}: {column} must be a finite decimal of at least 0, not {value!r}",
                    field=column,
                )
            full[column] = value
        object.__setattr__(self, "values", full)

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(c for c in INDICATOR_IDS if self.values[c] is None)


#: The statuses of :class:`QuarterResult`.
STATUSES: tuple[str, ...] = ("qualifies", "too_small", "incomplete", "no")


@dataclass(frozen=True)
class QuarterResult:
    """The screen's verdict on one quarter.

    ``count`` is the number of values at least ``threshold`` above the mean;
    ``counted`` names them, ``missing`` names the variables without a value.
    ``status`` is one of :data:`STATUSES`:

    * ``qualifies``: enough values count and enough inhabitants;
    * ``too_small``: enough values count, but too few inhabitants;
    * ``incomplete``: too few values count, but with the missing values
      counting it would be enough (and it has enough inhabitants);
    * ``no``: otherwise.
    """

    id: str
    name: str
    district: str
    population: int
    count: int
    counted: tuple[str, ...]
    missing: tuple[str, ...]
    qualifies: bool
    population_ok: bool
    status: str

    @property
    def present(self) -> int:
        """How many of the 13 values the quarter has."""
        return len(INDICATOR_IDS) - len(self.missing)


@dataclass(frozen=True)
class VariableMean:
    """The mean one variable was screened against.

    ``mean`` and ``cutoff`` (= mean x (1 + threshold)) are ``None`` when no
    quarter in the mean's basis has a value (or, weighted, they all have 0
    inhabitants).  ``quarters`` is how many quarters make up the mean,
    ``counting`` how many quarters (of all screened) reach the cutoff.
    """

    variable: str
    mean: Decimal | None
    cutoff: Decimal | None
    quarters: int
    counting: int


@dataclass(frozen=True)
class ScreenResult:
    """The screen: quarters strongest first, and the means used.

    Order: qualifying quarters first, then by count (descending), population
    (descending), and id (natural order: "2.1" before "10.1").
    """

    options: ScreenOptions
    quarters: tuple[QuarterResult, ...]
    means: Mapping[str, VariableMean]
    source: str | None = None

    @property
    def qualifying(self) -> tuple[QuarterResult, ...]:
        return tuple(q for q in self.quarters if q.qualifies)


# --------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?")
_GERMAN_GROUPED = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+,\d*")


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
            f"{source}: cannot read the file: {reason}", source=source, field="file"
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
                    "the file is UTF-16 encoded (Excel: 'Unicode text'); "
                    'save it as "CSV UTF-8" instead',
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
                    f"byte 0x{bad.hex().upper()} is not UTF-8 (in Windows-1252/Latin-1 it "
                    f'would be "{guess}"): the file must be UTF-8 encoded; '
                    'in Excel save it as "CSV UTF-8"',
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
        column = _ALIAS_INDEX.get(_normalise_header(cell))
        if column is None:
            unknown.append(cell.strip())
        elif column in index:
            duplicates.append(
                Problem(
                    row,
                    _column(i, cells),
                    column,
                    f'means the same as column {_column(index[column], cells)} ("{column}")',
                )
            )
        else:
            index[column] = i
    return _Header(delimiter, row, cells, index, duplicates, unknown)


def _detect_header(text: str, source: str) -> _Header:
    candidates = [h for h in (_read_header(text, d) for d in (",", ";")) if h is not None]
    if not candidates:
        raise _file_error(source, [Problem(1, None, None, "the file cannot be read as CSV")])
    best = max(candidates, key=lambda h: len(h.index))  # a tie keeps ","
    if len(best.cells) <= 1 and not best.index:
        header = best.cells[0] if best.cells else ""
        if "\t" in header:
            hint = "it seems to be separated by tabs"
        elif "|" in header:
            hint = 'it seems to be separated by "|"'
        else:
            hint = "no known column name was found"
        shown = header if len(header) <= 60 else header[:57] + "..."
        raise _file_error(
            source,
            [
                Problem(
                    best.row,
                    "A",
                    None,
                    f"the header {shown!r} does not split into columns with ',' or ';' "
                    f"({hint}); save the file as CSV separated by commas or semicolons",
                )
            ],
        )
    problems = list(best.duplicates)
    missing = [c for c in _REQUIRED if c not in best.index]
    note = None
    for column in missing:
        problems.append(
            Problem(
                best.row,
                None,
                column,
                f'column "{column}" is missing (German header: "{_LABELS[column]}")',
            )
        )
    if missing:
        unknown = ", ".join(f'"{u}"' for u in best.unknown) or "none"
        sep = "semicolons" if best.delimiter == ";" else "commas"
        note = (
            f"The header was read as separated by {sep}; columns not recognised: {unknown}. "
            "See docs/screening.md for the accepted column names."
        )
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
            f"the row has only {len(cells)} cells, the header needs {width}; "
            "is a separator missing?",
        )
    extra = [i for i in range(len(header.cells), len(cells)) if cells[i].strip()]
    if extra:
        hint = (
            " (a decimal comma? in a comma-separated file write 12.5, or separate with ';')"
            if header.delimiter == ","
            else ""
        )
        return Problem(
            row,
            _column_letter(extra[0]),
            None,
            f"the row has {len(cells)} cells but the header only {len(header.cells)}{hint}",
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
        bad("id", "the quarter id is missing")
    elif quarter_id in seen:
        bad("id", f'quarter id "{quarter_id}" already appears in row {seen[quarter_id]}')
    else:
        seen[quarter_id] = row
    if not name:
        bad("name", "the quarter name is missing")

    raw = text("population")
    population = 0
    number = _parse_number(raw, decimal_comma)
    if not raw:
        bad("population", "the number of inhabitants is missing")
    elif number is None:
        bad("population", f'"{raw}" is not a number')
    elif number < 0:
        bad("population", f"{raw} is negative")
    elif number != number.to_integral_value():
        bad(
            "population",
            f'"{raw}" is not a whole number of inhabitants (write it without thousands separators)',
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
                "; a decimal comma is only read in files separated by ';'"
                if "," in raw and not decimal_comma
                else "; leave the cell empty if the value is missing"
            )
            bad(column, f'"{raw}" is not a number{hint}')
        elif number < 0:
            bad(column, f"{raw} is negative; a share cannot be negative")
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
                    "the file is empty; row 1 must be a header naming the columns "
                    + ", ".join(_REQUIRED),
                )
            ],
        )
    if "\x00" in text:
        row = text.count("\n", 0, text.index("\x00")) + 1
        raise _file_error(
            source,
            [Problem(row, None, None, 'the file contains NUL bytes; save it as "CSV UTF-8"')],
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
        problems.append(Problem(row + 1, None, None, f"the row cannot be read as CSV: {exc}"))

    if problems:
        raise _file_error(source, problems)
    if not quarters:
        raise _file_error(
            source,
            [Problem(header.row + 1, None, None, "the file has a header but no data rows")],
        )
    return quarters


# --------------------------------------------------------------------------
# Screening
# --------------------------------------------------------------------------

# Additions and multiplications in this context are exact (no rounding);
# Inexact is trapped so that a rounding could never pass unnoticed.
_EXACT = Context(
    prec=MAX_PREC,
    Emax=MAX_EMAX,
    Emin=MIN_EMIN,
    traps=[InvalidOperation, DivisionByZero, Inexact],
)
_DISPLAY = Context(prec=12)
_NATURAL = re.compile(r"(\d+)")


def _natural_key(text: str) -> tuple[tuple[int, int, str], ...]:
    # re.split with a group alternates text and digit runs: digits at odd positions.
    return tuple(
        (0, int(part), "") if i % 2 else (1, 0, part.casefold())
        for i, part in enumerate(_NATURAL.split(text))
        if part
    )


def _sort_key(q: QuarterResult) -> tuple[Any, ...]:
    return (not q.qualifies, -q.count, -q.population, _natural_key(q.id), q.id)


def screen(quarters: Iterable[Quarter], options: ScreenOptions | None = None) -> ScreenResult:
    """Screen ``quarters`` by the rule in the module docstring.

    Raises :class:`~regsam_flow.errors.InvalidInputError` for no quarters or
    duplicate quarter ids.
    """
    options = options or ScreenOptions()
    qs = list(quarters)
    if not qs:
        raise InvalidInputError("there are no quarters to screen", field="quarters")
    seen: set[str] = set()
    for q in qs:
        if q.id in seen:
            raise InvalidInputError(f'quarter id "{q.id}" appears twice', field="id")
        seen.add(q.id)

    basis = (
        qs
        if options.floor_counts_for_mean
        else [q for q in qs if q.population >= options.min_population]
    )
    factor = options.factor
    counted: dict[str, list[str]] = {q.id: [] for q in qs}
    means: dict[str, VariableMean] = {}
    with localcontext(_EXACT):  # every + and * below is exact
        for column in INDICATOR_IDS:
            # mean = total / weight; a value counts when value >= mean * factor,
            # i.e. value * weight >= total * factor (weight > 0): exact, no division.
            present = [(v, q.population) for q in basis if (v := q.values[column]) is not None]
            if options.weighted_mean:
                total = sum((v * p for v, p in present), Decimal(0))
                weight = Decimal(sum(p for _, p in present))
            else:
                total = sum((v for v, _ in present), Decimal(0))
                weight = Decimal(len(present))
            if weight == 0:
                means[column] = VariableMean(column, None, None, len(present), 0)
                continue
            bar = total * factor
            counting = 0
            if total > 0:
                for q in qs:
                    v = q.values[column]
                    if v is not None and v * weight >= bar:
                        counted[q.id].append(column)
                        counting += 1
            mean = _DISPLAY.divide(total, weight)
            cutoff = _DISPLAY.multiply(mean, factor)
            means[column] = VariableMean(column, mean, cutoff, len(present), counting)

    results = []
    for q in qs:
        count = len(counted[q.id])
        missing = q.missing
        population_ok = q.population >= options.min_population
        count_ok = count >= options.min_count
        if count_ok:
            status = "qualifies" if population_ok else "too_small"
        elif population_ok and count + len(missing) >= options.min_count:
            status = "incomplete"
        else:
            status = "no"
        results.append(
            QuarterResult(
                id=q.id,
                name=q.name,
                district=q.district,
                population=q.population,
                count=count,
                counted=tuple(counted[q.id]),
                missing=missing,
                qualifies=status == "qualifies",
                population_ok=population_ok,
                status=status,
            )
        )
    results.sort(key=_sort_key)
    return ScreenResult(options=options, quarters=tuple(results), means=means)


def screen_file(path: str | os.PathLike[str], options: ScreenOptions | None = None) -> ScreenResult:
    """Read ``path`` (:func:`read_quarters`) and :func:`screen` it."""
    result = screen(read_quarters(path), options)
    return ScreenResult(result.options, result.quarters, result.means, os.fspath(path))


# --------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------


def _number(value: Decimal | None) -> str:
    if value is None:
        return "-"
    return f"{float(value):.6g}"


def _percent(threshold: float) -> str:
    return format((Decimal(repr(float(threshold))) * 100).normalize(), "f")


def _describe_mean(options: ScreenOptions) -> str:
    how = (
        "weighted by population"
        if options.weighted_mean
        else "unweighted (every quarter counts once)"
    )
    over = (
        "over all quarters in the file"
        if options.floor_counts_for_mean
        else f"over the quarters with at least {options.min_population} inhabitants"
    )
    return f"{how}, {over}; quarters without a value are left out of that variable's mean"


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


_TABLE_STATUS = {"qualifies": "yes", "too_small": "too small", "incomplete": "incomplete"}


def render_table(result: ScreenResult, *, width: int = 80) -> str:
    """The result as a plain-text table, ``width`` (default 80) columns wide."""
    o = result.options
    n = len(INDICATOR_IDS)
    lines: list[str] = []
    title = f"Monitoring screen: {len(result.quarters)} quarters, {len(result.qualifying)} qualify."
    rule = (
        f"A value counts when it is at least {_percent(o.threshold)} % above the mean. "
        f"A quarter qualifies with at least {o.min_count} of {n} counting values and "
        f"at least {o.min_population} inhabitants."
    )
    lines += textwrap.wrap(title, width)
    if result.source:
        lines.append(f"File: {result.source}")
    for paragraph in (rule, "Mean: " + _describe_mean(o) + "."):
        lines += textwrap.wrap(paragraph, width)
    lines.append("")

    headers = ("ID", "Name", "District", "Pop.", "Count", "Qualifies")
    rows = [
        (
            q.id,
            q.name,
            q.district,
            str(q.population),
            f"{q.count}/{q.present}",
            _TABLE_STATUS.get(q.status, "no"),
        )
        for q in result.quarters
    ]
    natural = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    natural[0] = min(natural[0], 12)
    fixed = natural[0] + natural[3] + natural[4] + natural[5] + 2 * (len(headers) - 1)
    room = max(width - fixed, 16)
    district_w = min(natural[2], max(room * 2 // 5, 8))
    name_w = min(natural[1], room - district_w)
    district_w = min(natural[2], room - name_w)
    widths = [natural[0], name_w, district_w, natural[3], natural[4], natural[5]]
    right = {3, 4}

    def line(cells: Sequence[str]) -> str:
        out = []
        for i, cell in enumerate(cells):
            text = _cut(cell, widths[i])
            out.append(text.rjust(widths[i]) if i in right else text.ljust(widths[i]))
        return "  ".join(out).rstrip()

    lines.append(line(headers))
    lines.append("  ".join("-" * w for w in widths))
    indent = " " * (widths[0] + 2)
    for q, cells in zip(result.quarters, rows, strict=True):
        lines.append(line(cells))
        for label, names in (("counts", q.counted), ("missing", q.missing)):
            if names:
                lines += textwrap.wrap(
                    f"{label}: {', '.join(names)}",
                    width,
                    initial_indent=indent,
                    subsequent_indent=indent + "  ",
                    break_on_hyphens=False,
                )
    lines.append("")
    lines += textwrap.wrap(
        f"Count: counting values / values present. too small: enough values count, but "
        f"fewer than {o.min_population} inhabitants. incomplete: missing values could "
        "still make it qualify.",
        width,
    )
    lines.append("")
    lines.append(f"Means used (cutoff = mean x {_number(o.factor)}):")
    var_w = max(len(c) for c in INDICATOR_IDS)
    lines.append(
        f"{'#':>2}  {'Variable':<{var_w}}  {'Mean':>10}  {'Cutoff':>10}  "
        f"{'Quarters':>8}  {'Counting':>8}"
    )
    for i, column in enumerate(INDICATOR_IDS, start=1):
        m = result.means[column]
        lines.append(
            f"{i:>2}  {column:<{var_w}}  {_number(m.mean):>10}  {_number(m.cutoff):>10}  "
            f"{m.quarters:>8}  {m.counting:>8}"
        )
    return "\n".join(lines) + "\n"


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def result_to_json(result: ScreenResult) -> dict[str, Any]:
    """The result as a JSON-ready dict (only str, int, float, bool, None, list, dict)."""
    return {
        "source": result.source,
        "options": result.options.to_dict(),
        "quarters_total": len(result.quarters),
        "quarters_qualifying": len(result.qualifying),
        "means": {
            column: {
                "mean": _float(m.mean),
                "cutoff": _float(m.cutoff),
                "quarters": m.quarters,
                "counting": m.counting,
            }
            for column, m in result.means.items()
        },
        "quarters": [
            {
                "rank": rank,
                "id": q.id,
                "name": q.name,
                "district": q.district,
                "population": q.population,
                "count": q.count,
                "present": q.present,
                "qualifies": q.qualifies,
                "status": q.status,
                "counted": list(q.counted),
                "missing": list(q.missing),
            }
            for rank, q in enumerate(result.quarters, start=1)
        ],
    }


def render_csv(result: ScreenResult, *, delimiter: str = ",") -> str:
    """The result as CSV text, one row per quarter in the result's order.

    Columns: rank, id, name, district, population, count, present,
    qualifies (yes/no), status, counted and missing (ids separated by
    spaces), then one column per variable: 1 counts, 0 does not, empty
    missing.  Pass ``delimiter=";"`` for German Excel.
    """
    if delimiter not in (",", ";"):
        raise InvalidInputError("the CSV delimiter must be ',' or ';'", field="delimiter")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(
        [
            "rank",
            "id",
            "name",
            "district",
            "population",
            "count",
            "present",
            "qualifies",
            "status",
            "counted",
            "missing",
            *INDICATOR_IDS,
        ]
    )
    for rank, q in enumerate(result.quarters, start=1):
        flags = ["" if c in q.missing else ("1" if c in q.counted else "0") for c in INDICATOR_IDS]
        writer.writerow(
            [
                rank,
                q.id,
                q.name,
                q.district,
                q.population,
                q.count,
                q.present,
                "yes" if q.qualifies else "no",
                q.status,
                " ".join(q.counted),
                " ".join(q.missing),
                *flags,
            ]
        )
    return out.getvalue()
