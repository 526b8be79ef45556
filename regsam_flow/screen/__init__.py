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

The package is pure: standard library only, no database, no CLI.  Its
modules:

* :mod:`.indicators`: the 13 variables, the column ids and German headers;
* :mod:`.quarter`: :class:`Quarter`, one district quarter as read;
* :mod:`.reading`: CSV decoding and checking, :func:`parse_quarters`,
  :func:`read_quarters`, :class:`ScreenFileError`;
* :mod:`.rule`: :class:`ScreenOptions`, :func:`screen`, :func:`screen_file`
  and the result classes;
* :mod:`.render`: :func:`render_table`, :func:`result_to_json`,
  :func:`render_csv`.

Import from the package (``from regsam_flow.screen import screen``); the
names below are its public API.
"""

from __future__ import annotations

from .indicators import BASE_COLUMNS, COLUMN_ALIASES, INDICATOR_IDS, INDICATORS
from .quarter import Quarter
from .reading import Problem, ScreenFileError, parse_quarters, read_quarters
from .render import render_csv, render_table, result_to_json
from .rule import (
    STATUSES,
    QuarterResult,
    ScreenOptions,
    ScreenResult,
    VariableMean,
    screen,
    screen_file,
)

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
