"""A district quarter (Stadtbezirksviertel) as read from the monitoring file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from regsam_flow.errors import InvalidInputError
from regsam_flow.i18n import _

from .indicators import INDICATOR_IDS

__all__ = ["MAX_POPULATION", "MAX_VALUE", "Quarter"]

#: More inhabitants than any district quarter has (Munich has 1.5 million).
MAX_POPULATION = 10_000_000
#: Indicator values (shares, rates, counts) lie below this.
MAX_VALUE = Decimal(10) ** 12


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
        where = (
            _("quarter {id!r} (row {row})").format(id=self.id, row=self.row)
            if self.row
            else _("quarter {id!r}").format(id=self.id)
        )
        if not self.id.strip():
            raise InvalidInputError(_("a quarter has an empty id"), field="id")
        p = self.population
        if isinstance(p, bool) or not isinstance(p, int) or p < 0:
            raise InvalidInputError(
                _("{where}: population must be a whole number of at least 0, not {value!r}").format(
                    where=where, value=p
                )[:300],
                field="population",
            )
        if p > MAX_POPULATION:
            raise InvalidInputError(
                _("{where}: population is more than {max} inhabitants").format(
                    where=where, max=MAX_POPULATION
                ),
                field="population",
            )
        unknown = sorted(set(self.values) - set(INDICATOR_IDS))
        if unknown:
            raise InvalidInputError(
                _("{where}: unknown variable(s) {names}").format(
                    where=where, names=", ".join(unknown)
                ),
                field=unknown[0],
            )
        full: dict[str, Decimal | None] = {}
        for column in INDICATOR_IDS:
            value = self.values.get(column)
            if value is not None and (
                not isinstance(value, Decimal)
                or not value.is_finite()
                or value < 0
                or value >= MAX_VALUE
            ):
                raise InvalidInputError(
                    _(
                        "{where}: {column} must be a decimal of at least 0 and below {max},"
                        " not {value!r}"
                    ).format(where=where, column=column, max=f"{MAX_VALUE:f}", value=value)[:300],
                    field=column,
                )
            full[column] = value
        object.__setattr__(self, "values", full)

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(c for c in INDICATOR_IDS if self.values[c] is None)
