"""The screen's result for people (a table of 80 columns) and programs
(JSON-ready dict, CSV)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from regsam_flow.csv_export import write_csv
from regsam_flow.errors import InvalidInputError
from regsam_flow.i18n import N_, _, format_decimal, language

from .indicators import INDICATOR_IDS
from .rule import QuarterResult, ScreenOptions, ScreenResult

__all__ = ["render_csv", "render_table", "result_to_json"]


def _number(value: Decimal | None) -> str:
    if value is None:
        return "-"
    return _comma(f"{float(value):.6g}")


def _fixed(value: Decimal | None) -> str:
    """A mean or cutoff with two decimals, a decimal comma in German."""
    return "-" if value is None else format_decimal(float(value), 2)


def _comma(number: str) -> str:
    """A number's decimal point as people of the current language write it."""
    return number if language() == "en" else number.replace(".", ",")


def _percent(threshold: float) -> str:
    return format((Decimal(repr(float(threshold))) * 100).normalize(), "f")


def _describe_mean(options: ScreenOptions) -> str:
    how = (
        _("weighted by population")
        if options.weighted_mean
        else _("unweighted (every quarter counts once)")
    )
    over = (
        _("over all quarters in the file")
        if options.floor_counts_for_mean
        else _("over the quarters with at least {n} inhabitants").format(n=options.min_population)
    )
    return _("{how}, {over}; quarters without a value are left out of that variable's mean").format(
        how=how, over=over
    )


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


_TABLE_STATUS = {
    "qualifies": N_("yes"),
    "too_small": N_("too small"),
    "incomplete": N_("incomplete"),
}


def _listed(result: ScreenResult, only_qualifying: bool) -> tuple[QuarterResult, ...]:
    return result.qualifying if only_qualifying else result.quarters


def _one_line(text: str) -> str:
    """A cell on one line: a line break or tab inside a quoted CSV cell becomes a space."""
    return " ".join(text.split())


def render_table(result: ScreenResult, *, width: int = 80, only_qualifying: bool = False) -> str:
    """The result as a plain-text table, ``width`` (default 80) columns wide.

    With ``only_qualifying`` only the qualifying quarters are listed (the
    title still counts all quarters screened, the means are the same).
    """
    o = result.options
    listed = _listed(result, only_qualifying)
    n = len(INDICATOR_IDS)
    lines: list[str] = []
    title = _("Monitoring screen: {quarters} quarters, {qualifying} qualify.").format(
        quarters=len(result.quarters), qualifying=len(result.qualifying)
    )
    rule = _(
        "A value counts when it is at least {percent} % above the mean. "
        "A quarter qualifies with at least {count} of {n} counting values and "
        "at least {population} inhabitants."
    ).format(
        percent=_comma(_percent(o.threshold)),
        count=o.min_count,
        n=n,
        population=o.min_population,
    )
    lines += textwrap.wrap(title, width)
    if result.source:  # a long path is broken, not cut: it stays complete
        lines += textwrap.wrap(
            _("File: {path}").format(path=result.source), width, break_on_hyphens=False
        )
    for paragraph in (rule, _("Mean: {how}.").format(how=_describe_mean(o))):
        lines += textwrap.wrap(paragraph, width)
    if only_qualifying:
        lines.append(_("Only the qualifying quarters are listed."))
    lines.append("")

    headers = (_("ID"), _("Name"), _("District"), _("Pop."), _("Count"), _("Qualifies"))
    rows = [
        (
            _one_line(q.id),
            _one_line(q.name),
            _one_line(q.district),
            str(q.population),
            f"{q.count}/{q.present}",
            _(_TABLE_STATUS.get(q.status, N_("no"))),
        )
        for q in listed
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
    for q, cells in zip(listed, rows, strict=True):
        lines.append(line(cells))
        for label, names in ((_("counts"), q.counted), (_("missing"), q.missing)):
            if names:
                lines += textwrap.wrap(
                    f"{label}: {', '.join(names)}",
                    width,
                    initial_indent=indent,
                    subsequent_indent=indent + "  ",
                    break_on_hyphens=False,
                )
    if not rows:
        lines.append(_("(none)"))
    lines.append("")
    lines += textwrap.wrap(
        _(
            "Count: counting values / values present. too small: enough values count, but "
            "fewer than {population} inhabitants. incomplete: missing values could "
            "still make it qualify."
        ).format(population=o.min_population),
        width,
    )
    lines.append("")
    lines.append(_("Means used (cutoff = mean x {factor}):").format(factor=_number(o.factor)))
    var_w = max(len(c) for c in INDICATOR_IDS)
    variable, mean, cutoff = _("Variable"), _("Mean"), _("Cutoff")
    quarters, counting = _("Quarters"), _("Counting")
    lines.append(
        f"{'#':>2}  {variable:<{var_w}}  {mean:>10}  {cutoff:>10}  {quarters:>8}  {counting:>8}"
    )
    for i, column in enumerate(INDICATOR_IDS, start=1):
        m = result.means[column]
        lines.append(
            f"{i:>2}  {column:<{var_w}}  {_fixed(m.mean):>10}  {_fixed(m.cutoff):>10}  "
            f"{m.quarters:>8}  {m.counting:>8}"
        )
    return "\n".join(lines) + "\n"


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def result_to_json(result: ScreenResult, *, only_qualifying: bool = False) -> dict[str, Any]:
    """The result as a JSON-ready dict (only str, int, float, bool, None, list, dict).

    With ``only_qualifying`` the ``quarters`` list holds only the qualifying
    quarters; ``quarters_total`` still counts all quarters screened.
    """
    return {
        "source": result.source,
        "options": result.options.to_dict(),
        "quarters_total": len(result.quarters),
        "quarters_qualifying": len(result.qualifying),
        "only_qualifying": only_qualifying,
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
            for rank, q in enumerate(_listed(result, only_qualifying), start=1)
        ],
    }


def render_csv(result: ScreenResult, *, delimiter: str = ",", only_qualifying: bool = False) -> str:
    """The result as CSV text, one row per quarter in the result's order.

    Columns: rank, id, name, district, population, count, present,
    qualifies (yes/no), status, counted and missing (ids separated by
    spaces), then one column per variable: 1 counts, 0 does not, empty
    missing.  Pass ``delimiter=";"`` for German Excel, ``only_qualifying``
    for the qualifying quarters alone.  Every cell is quoted, and one that a
    spreadsheet would run as a formula starts with ``'``
    (:mod:`regsam_flow.csv_export`).
    """
    if delimiter not in (",", ";"):
        raise InvalidInputError(_("the CSV delimiter must be ',' or ';'"), field="delimiter")
    rows: list[list[object]] = [
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
    ]
    for rank, q in enumerate(_listed(result, only_qualifying), start=1):
        flags = ["" if c in q.missing else ("1" if c in q.counted else "0") for c in INDICATOR_IDS]
        rows.append(
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
    return write_csv(rows, delimiter=delimiter)
