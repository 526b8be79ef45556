"""screen: the monitoring screen for candidate focus areas (no database)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import click

from regsam_flow.i18n import _

from .app import cli
from .common import json_option
from .context import Ctx, pass_ctx
from .output import echo, echo_json, width

if TYPE_CHECKING:
    from regsam_flow.screen import ScreenOptions

__all__ = ["parse_threshold", "screen"]

_THRESHOLD = re.compile(r"(-?)\s*(\d+(?:[.,]\d*)?|[.,]\d+)\s*(%?)")


def parse_threshold(text: str) -> float:
    """``--threshold`` as a fraction: "30", "30%", "30 %" and "0.3" all give 0.3.

    A trailing ``%`` always means percent; without it a number below 1 is a
    fraction and 1 or more is percent.  A decimal comma is read too.
    """
    from decimal import Decimal

    from regsam_flow.errors import InvalidInputError

    match = _THRESHOLD.fullmatch(text.strip())
    if match is None:
        raise InvalidInputError(
            _(
                "--threshold {value} is not a number: give how far above the mean a value "
                "must lie, e.g. 30, 30% or 0.3 (all mean 30 %)"
            ).format(value=repr(text)),
            field="threshold",
        )
    if match[1]:
        raise InvalidInputError(
            _(
                "--threshold {value} is negative: a value counts when it lies that far "
                "above the mean, e.g. 30 (%)"
            ).format(value=text.strip()),
            field="threshold",
        )
    number = Decimal(match[2].replace(",", "."))
    percent = bool(match[3]) or number >= 1
    fraction = number / 100 if percent else number
    if fraction >= 10:
        raise InvalidInputError(
            _("--threshold {value} is too high: give less than 1000 %").format(value=text.strip()),
            field="threshold",
        )
    return float(fraction)


def _options(
    threshold: str,
    min_count: int,
    min_population: int,
    weighted_mean: bool,
    floor_counts_for_mean: bool,
) -> ScreenOptions:
    """The options, with errors naming the command-line option."""
    from regsam_flow.errors import InvalidInputError
    from regsam_flow.screen import ScreenOptions

    try:
        return ScreenOptions(
            threshold=parse_threshold(threshold),
            min_count=min_count,
            min_population=min_population,
            weighted_mean=weighted_mean,
            floor_counts_for_mean=floor_counts_for_mean,
        )
    except InvalidInputError as exc:
        field = exc.field or ""
        if field in ("min_count", "min_population") and exc.message.startswith(field):
            option = "--" + field.replace("_", "-")
            raise InvalidInputError(option + exc.message[len(field) :], field=field) from None
        raise


@cli.command()
@click.argument("path", metavar="FILE", type=click.Path(allow_dash=True))
@click.option(
    "--threshold",
    default="30",
    metavar="PERCENT",
    help="How far above the mean a value must lie to count: 30, 30% or 0.3 "
    "(a number below 1 is a fraction, 1 or more is percent) [default: 30%].",
)
@click.option(
    "--min-count",
    type=int,
    default=7,
    show_default=True,
    metavar="N",
    help="Counting values (of 13) a quarter needs.",
)
@click.option(
    "--min-population",
    type=int,
    default=400,
    show_default=True,
    metavar="N",
    help="Inhabitants a quarter needs (inclusive).",
)
@click.option(
    "--weighted-mean/--unweighted-mean",
    default=False,
    help="Weight each quarter by its population in the mean "
    "[default: unweighted, every quarter counts once].",
)
@click.option(
    "--floor-counts-for-mean/--floor-excluded-from-mean",
    "floor_counts_for_mean",
    default=True,
    help="Whether quarters below --min-population make up the mean "
    "[default: they do, the mean spans every quarter in the file].",
)
@click.option("--only-qualifying", is_flag=True, help="List only the qualifying quarters.")
@click.option(
    "--csv",
    "as_csv",
    is_flag=True,
    help="CSV on stdout, one row per quarter (takes precedence over --json).",
)
@click.option(
    "--csv-delimiter",
    type=click.Choice([",", ";"]),
    default=None,
    help="Separator of the CSV output [default: ,]; ';' for German Excel. Implies --csv.",
)
@json_option
@pass_ctx
def screen(
    obj: Ctx,
    path: str,
    threshold: str,
    min_count: int,
    min_population: int,
    weighted_mean: bool,
    floor_counts_for_mean: bool,
    only_qualifying: bool,
    as_csv: bool,
    csv_delimiter: str | None,
) -> None:
    """Screen monitoring data for candidate focus areas.

    Reads FILE (CSV, or - for standard input), one row per district quarter
    (Stadtbezirksviertel), and applies the rule of the selection paper: a
    value counts when it lies at least 30 % above the mean of its variable;
    a quarter qualifies with at least 7 of 13 counting values and at least
    400 inhabitants. Needs no database.

    \b
    Columns, by id or German header (e.g. "Einwohner", "ALG II Empfänger";
    all accepted headers: docs/screening.md):
      id, name, district, population,
      unemployed_sgb3, alg2_recipients, alg2_15_25, sozialgeld_under15,
      basic_income_65plus, living_alone_80plus, households_with_children,
      single_parents, uvg_under12, youth_welfare_residential,
      child_protection_cases, migration_background, bsa_households

    Other columns are ignored. UTF-8, separated by , or ; (with ; a decimal
    comma is read). An empty cell is a missing value, not zero.

    \b
    The paper leaves two choices open about the mean:
      weighted?       default: no, every quarter counts once
                      (--weighted-mean: weighted by population)
      which quarters? default: all in the file, also those below
                      --min-population (--floor-excluded-from-mean:
                      only the quarters with enough inhabitants)
    The output states the choice, and every variable's mean and cutoff.

    A file that cannot be screened exits with code 7, naming row and column
    of every problem.

    \b
    Examples:
      regsam-flow screen monitoring.csv
      regsam-flow screen monitoring.csv --weighted-mean --threshold 30%
      regsam-flow --json screen monitoring.csv --only-qualifying
      regsam-flow screen - --csv-delimiter ';' < monitoring.csv > result.csv
    """
    import dataclasses
    import sys

    from regsam_flow.screen import (
        parse_quarters,
        read_quarters,
        render_csv,
        render_table,
        result_to_json,
    )
    from regsam_flow.screen import screen as run_screen

    options = _options(threshold, min_count, min_population, weighted_mean, floor_counts_for_mean)
    if path == "-":
        source = "<stdin>"
        quarters = parse_quarters(sys.stdin.buffer.read(), source=source)
    else:
        source = path
        quarters = read_quarters(path)
    result = dataclasses.replace(run_screen(quarters, options), source=source)

    if as_csv or csv_delimiter:
        text = render_csv(result, delimiter=csv_delimiter or ",", only_qualifying=only_qualifying)
        echo(text, nl=False)
    elif obj.json:
        echo_json(result_to_json(result, only_qualifying=only_qualifying))
    else:
        echo(render_table(result, width=width(), only_qualifying=only_qualifying), nl=False)
