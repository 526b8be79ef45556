"""The rule: which quarters qualify as candidate focus areas.

A value *counts* when it lies at least ``threshold`` (30 %) above the mean
of its variable, ``value >= mean * (1 + threshold)``, compared exactly in
decimal arithmetic; a quarter qualifies with at least ``min_count`` (7) of
its 13 values counting and at least ``min_population`` (400) inhabitants.
The two choices the paper leaves open (weighted mean, which quarters make up
the mean) are :class:`ScreenOptions`.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Mapping
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
from typing import Any

from regsam_flow.errors import InvalidInputError
from regsam_flow.i18n import _

from .indicators import INDICATOR_IDS, INDICATORS
from .quarter import Quarter
from .reading import read_quarters

__all__ = [
    "STATUSES",
    "QuarterResult",
    "ScreenOptions",
    "ScreenResult",
    "VariableMean",
    "screen",
    "screen_file",
]


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
            raise InvalidInputError(
                _("threshold must be a number, not {value!r}").format(value=t), field="threshold"
            )
        if not 0 <= t < 10:
            raise InvalidInputError(
                _(
                    "threshold {value!r} is out of range: give a fraction from 0 to below 10 "
                    "(0.30 means 30 % above the mean)"
                ).format(value=t),
                field="threshold",
            )
        n = len(INDICATORS)
        if (
            isinstance(self.min_count, bool)
            or not isinstance(self.min_count, int)
            or not (1 <= self.min_count <= n)
        ):
            raise InvalidInputError(
                _("min_count must be a whole number from 1 to {n}, not {value!r}").format(
                    n=n, value=self.min_count
                ),
                field="min_count",
            )
        p = self.min_population
        if isinstance(p, bool) or not isinstance(p, int) or p < 0:
            raise InvalidInputError(
                _("min_population must be a whole number of at least 0, not {value!r}").format(
                    value=p
                ),
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
    """Screen ``quarters`` by the rule in the package docstring (regsam_flow.screen).

    Raises :class:`~regsam_flow.errors.InvalidInputError` for no quarters or
    duplicate quarter ids.
    """
    options = options or ScreenOptions()
    qs = list(quarters)
    if not qs:
        raise InvalidInputError(_("there are no quarters to screen"), field="quarters")
    seen: set[str] = set()
    for q in qs:
        if q.id in seen:
            raise InvalidInputError(
                _('quarter id "{id}" appears twice').format(id=q.id), field="id"
            )
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
