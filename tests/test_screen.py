"""The monitoring screen (regsam_flow.screen): the rule, the file reader, the renderers.

Expectations are computed by hand in the comments; "cutoff" is mean x 1.3.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import random
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from regsam_flow.errors import InvalidInputError
from regsam_flow.screen import (
    INDICATOR_IDS,
    INDICATORS,
    Quarter,
    QuarterResult,
    ScreenFileError,
    ScreenOptions,
    ScreenResult,
    parse_quarters,
    read_quarters,
    render_csv,
    render_table,
    result_to_json,
    screen,
    screen_file,
)

SAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "monitoring-sample.csv"
HEADER = ["id", "name", "district", "population", *INDICATOR_IDS]
V1, V2, V3 = INDICATOR_IDS[:3]  # unemployed_sgb3, alg2_recipients, alg2_15_25


def row(
    qid: str,
    population: int | str,
    values: Sequence[str | float] | Mapping[str, str | float] = (),
    *,
    default: str | float = 10,
    name: str | None = None,
    district: str = "Bezirk",
) -> list[str]:
    """A data row: ``values`` by position (first variables) or by column id."""
    cells = {c: str(default) for c in INDICATOR_IDS}
    if isinstance(values, Mapping):
        cells.update({c: str(v) for c, v in values.items()})
    else:
        cells.update({c: str(v) for c, v in zip(INDICATOR_IDS, values, strict=False)})
    return [qid, name or f"Viertel {qid}", district, str(population)] + [
        cells[c] for c in INDICATOR_IDS
    ]


def write(
    tmp_path: Path,
    rows: Sequence[Sequence[str]],
    *,
    header: Sequence[str] = HEADER,
    delimiter: str = ",",
    encoding: str = "utf-8",
    name: str = "monitoring.csv",
) -> Path:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows([header, *rows])
    path = tmp_path / name
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def by_id(result: ScreenResult) -> dict[str, QuarterResult]:
    return {q.id: q for q in result.quarters}


def refused(path: Path) -> ScreenFileError:
    with pytest.raises(ScreenFileError) as info:
        read_quarters(path)
    return info.value


# --------------------------------------------------------------------------
# The rule
# --------------------------------------------------------------------------


def boundary_rows() -> list[list[str]]:
    # unemployed_sgb3: 13, 10, 7, 10 -> mean 40/4 = 10, cutoff 13: A's 13 is exactly +30 %.
    # alg2_recipients: 12.99, 10.01, 7, 10 -> mean 10, cutoff 13: A's 12.99 is just below.
    # alg2_15_25: 1.43, 1.1, 0.77, 1.1 -> mean 4.4/4 = 1.1, cutoff 1.43: A counts (in binary
    #   floating point 1.1 * 1.3 is 1.4300000000000002 and A would be lost).
    # all other variables 5 everywhere -> mean 5, cutoff 6.5: nobody counts;
    # bsa_households 0 everywhere -> mean 0: nobody counts, though 0 >= 0 x 1.3.
    others = {c: 5 for c in INDICATOR_IDS[3:]} | {"bsa_households": 0}
    return [
        row("A", 1000, {V1: 13, V2: 12.99, V3: 1.43, **others}),
        row("B", 1000, {V1: 10, V2: 10.01, V3: 1.1, **others}),
        row("C", 1000, {V1: 7, V2: 7, V3: 0.77, **others}),
        row("D", 1000, {V1: 10, V2: 10, V3: 1.1, **others}),
    ]


def test_value_exactly_30_percent_above_counts_and_just_below_does_not(tmp_path: Path) -> None:
    result = screen_file(write(tmp_path, boundary_rows()))
    quarters = by_id(result)
    a = quarters["A"]
    assert a.counted == (V1, V3)
    assert a.count == 2
    assert all(quarters[q].count == 0 for q in "BCD")
    assert result.means[V1].mean == Decimal(10)
    assert result.means[V1].cutoff == Decimal(13)
    assert result.means["bsa_households"].mean == 0
    assert result.means["bsa_households"].counting == 0


def test_threshold_is_a_parameter(tmp_path: Path) -> None:
    # threshold 0.25: cutoff for alg2_recipients is 10 x 1.25 = 12.5 -> A's 12.99 counts now.
    result = screen_file(write(tmp_path, boundary_rows()), ScreenOptions(threshold=0.25))
    assert by_id(result)["A"].counted == (V1, V2, V3)


def test_threshold_is_read_as_the_decimal_written(tmp_path: Path) -> None:
    # 11, 10, 9 -> mean 10; threshold 0.1 -> cutoff exactly 11, so A's 11 counts.
    # (The binary float 0.1 is 0.1000000000000000055..., which would put the cutoff above 11.)
    path = write(tmp_path, [row("A", 1000, [11]), row("B", 1000, [10]), row("C", 1000, [9])])
    result = screen_file(path, ScreenOptions(threshold=0.1))
    assert by_id(result)["A"].counted == (V1,)


def population_rows() -> list[list[str]]:
    # Seven quarters; A (400 inh.) and B (399) have 20 in the first 7 variables,
    # C (1000) has 20 in the first 6, the rest have 10 everywhere.
    # Variables 1-6: (20 + 20 + 20 + 10 x 4) / 7 = 100/7 = 14.29, cutoff 18.57 -> 20 counts.
    # Variable 7:    (20 + 20 + 10 x 5) / 7 = 90/7 = 12.86, cutoff 16.71      -> 20 counts.
    # Variables 8-13: mean 10, cutoff 13 -> nobody counts.
    return [
        row("A", 400, [20] * 7),
        row("B", 399, [20] * 7),
        row("C", 1000, [20] * 6),
        row("D", 1000),
        row("E", 1000),
        row("F", 1000),
        row("G", 1000),
    ]


def test_400_inhabitants_qualify_399_do_not(tmp_path: Path) -> None:
    result = screen_file(write(tmp_path, population_rows()))
    quarters = by_id(result)
    a, b, c = quarters["A"], quarters["B"], quarters["C"]
    assert (a.count, a.qualifies, a.status) == (7, True, "qualifies")
    assert (b.count, b.qualifies, b.status) == (7, False, "too_small")
    # 6 of 13 is one short of 7.
    assert (c.count, c.qualifies, c.status) == (6, False, "no")
    assert [q.id for q in result.qualifying] == ["A"]


def test_minimum_count_and_population_are_parameters(tmp_path: Path) -> None:
    path = write(tmp_path, population_rows())
    result = screen_file(path, ScreenOptions(min_count=6, min_population=399))
    # A and B: 7 each (A has more inhabitants), C: 6.
    assert [q.id for q in result.qualifying] == ["A", "B", "C"]


def test_weighted_mean_gives_a_different_result(tmp_path: Path) -> None:
    # A: 5000 inh., 20 everywhere; B and C: 500 inh., 10 everywhere.
    # unweighted: (20 + 10 + 10) / 3 = 13.33, cutoff 17.33 -> A's 20 counts 13 times.
    # weighted:   (20 x 5000 + 10 x 500 + 10 x 500) / 6000 = 110000/6000 = 18.33,
    #             cutoff 23.83 -> A's 20 does not count.
    path = write(tmp_path, [row("A", 5000, default=20), row("B", 500), row("C", 500)])
    unweighted = screen_file(path)
    weighted = screen_file(path, ScreenOptions(weighted_mean=True))
    assert by_id(unweighted)["A"].count == 13
    assert [q.id for q in unweighted.qualifying] == ["A"]
    assert by_id(weighted)["A"].count == 0
    assert weighted.qualifying == ()
    assert float(weighted.means[V1].mean or 0) == pytest.approx(110000 / 6000)


def test_quarters_below_the_floor_count_for_the_mean_only_if_asked(tmp_path: Path) -> None:
    # S: 100 inh., 40 everywhere; A 14, B 10, C 6 (1000 inh. each).
    # floor counts (default): (40 + 14 + 10 + 6) / 4 = 17.5, cutoff 22.75 -> A's 14 does not count.
    # floor excluded:         (14 + 10 + 6) / 3 = 10, cutoff 13          -> A's 14 counts.
    # S is screened either way (40 counts) but is too small.
    path = write(
        tmp_path,
        [
            row("S", 100, default=40),
            row("A", 1000, default=14),
            row("B", 1000),
            row("C", 1000, default=6),
        ],
    )
    included = screen_file(path)
    excluded = screen_file(path, ScreenOptions(floor_counts_for_mean=False))

    assert included.means[V1].mean == Decimal("17.5")
    assert included.means[V1].quarters == 4
    assert by_id(included)["A"].count == 0
    assert by_id(included)["S"].status == "too_small"

    assert excluded.means[V1].mean == Decimal(10)
    assert excluded.means[V1].quarters == 3
    assert by_id(excluded)["A"].count == 13
    assert [q.id for q in excluded.qualifying] == ["A"]
    assert by_id(excluded)["S"].status == "too_small"


def test_missing_value_is_reported_and_not_taken_as_zero(tmp_path: Path) -> None:
    # unemployed_sgb3: A 10, B 10, C 14, M empty.
    #   mean over the three values: 34/3 = 11.33, cutoff 14.73 -> C's 14 does not count.
    #   (read as zero: 34/4 = 8.5, cutoff 11.05 -> C's 14 would count.)
    path = write(
        tmp_path,
        [
            row("A", 1000, {V1: 10}),
            row("B", 1000, {V1: 10}),
            row("C", 1000, {V1: 14}),
            row("M", 1000, {V1: ""}),
        ],
    )
    result = screen_file(path)
    quarters = by_id(result)
    assert quarters["C"].count == 0
    m = quarters["M"]
    assert m.missing == (V1,)
    assert m.present == 12
    assert result.means[V1].quarters == 3
    assert float(result.means[V1].mean or 0) == pytest.approx(34 / 3)
    assert read_quarters(path)[3].values[V1] is None
    data = result_to_json(result)
    assert any(q["id"] == "M" and q["missing"] == [V1] for q in data["quarters"])
    assert "missing: unemployed_sgb3" in render_table(result)


def test_missing_values_that_could_decide_mark_the_quarter_incomplete(tmp_path: Path) -> None:
    # Fillers F1-F6: 10 everywhere. X: 30 in variables 1-6, 7th and 8th empty, 10 otherwise.
    # Variables 1-6: (30 + 60) / 7 = 12.86, cutoff 16.71 -> 30 counts: X has 6 of 11 present;
    # with its two missing values it could reach 7.
    rows = [row(f"F{i}", 1000) for i in range(1, 7)]
    rows.append(
        row(
            "X",
            1000,
            {**{c: 30 for c in INDICATOR_IDS[:6]}, **dict.fromkeys(INDICATOR_IDS[6:8], "")},
        )
    )
    x = by_id(screen_file(write(tmp_path, rows)))["X"]
    assert (x.count, x.present, x.qualifies, x.status) == (6, 11, False, "incomplete")


def test_sorting_strongest_candidates_first() -> None:
    def quarter(qid: str, population: int, hot: int) -> Quarter:
        values = {c: Decimal(100 if i < hot else 10) for i, c in enumerate(INDICATOR_IDS)}
        return Quarter(qid, f"Viertel {qid}", "Bezirk", population, values)

    # Variable 1: six quarters at 100, ten fillers at 10: mean 700/16 = 43.75, cutoff 56.9;
    # so 100 always counts and 10 never does.
    quarters = [quarter(f"f{i}", 1000, 0) for i in range(10, 0, -1)]
    quarters += [
        quarter("10.1", 1000, 3),
        quarter("b", 300, 12),  # more counts than anyone, but too small
        quarter("a", 5000, 7),
        quarter("2.1", 1000, 3),
        quarter("d", 2000, 3),
        quarter("c", 800, 9),
    ]
    result = screen(quarters)
    assert [q.id for q in result.quarters] == [
        "c",  # qualifies, 9
        "a",  # qualifies, 7
        "b",  # 12 but not qualifying
        "d",  # 3, 2000 inhabitants
        "2.1",  # 3, 1000 inhabitants; natural order puts 2.1 before 10.1
        "10.1",
        *[f"f{i}" for i in range(1, 11)],  # f2 before f10
    ]


def test_screen_refuses_duplicate_quarters_and_nothing_to_screen() -> None:
    q = Quarter("1.1", "Viertel", "Bezirk", 500, {})
    with pytest.raises(InvalidInputError, match=r"1\.1"):
        screen([q, q])
    with pytest.raises(InvalidInputError, match="no quarters"):
        screen([])


def test_quarter_refuses_negative_values_and_population() -> None:
    with pytest.raises(InvalidInputError) as info:
        Quarter("1", "V", "B", 500, {V1: Decimal(-1)})
    assert info.value.field == V1
    with pytest.raises(InvalidInputError) as info:
        Quarter("1", "V", "B", -5, {})
    assert info.value.field == "population"


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"threshold": 30}, "threshold"),  # meant 30 %, i.e. 0.30
        ({"threshold": -0.1}, "threshold"),
        ({"threshold": float("nan")}, "threshold"),
        ({"min_count": 0}, "min_count"),
        ({"min_count": 14}, "min_count"),
        ({"min_population": -1}, "min_population"),
    ],
)
def test_options_out_of_range_are_refused(options: dict[str, float], field: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        ScreenOptions(**options)  # type: ignore[arg-type]
    assert info.value.field == field


# --------------------------------------------------------------------------
# Reading files
# --------------------------------------------------------------------------


def test_semicolon_file_with_german_headers_and_decimal_comma(tmp_path: Path) -> None:
    header = ["Viertel-Nr", "Name", "Stadtbezirk", "Einwohner", *(label for _, label in INDICATORS)]
    rows = [[c.replace(".", ",") for c in r] for r in boundary_rows()]
    rows[1][4] = "1.010,0"  # German thousands separator and decimal comma: 1010
    path = write(tmp_path, rows, header=header, delimiter=";")
    quarters = read_quarters(path)
    assert quarters[0].values[V2] == Decimal("12.99")
    assert quarters[0].values[V3] == Decimal("1.43")
    assert quarters[1].values[V1] == Decimal(1010)
    # Same screen as the comma file, except B's unemployed_sgb3 is 1010 now:
    # mean (13 + 1010 + 7 + 10) / 4 = 260, so A's 13 no longer counts; B's 1010 does.
    result = screen(quarters)
    assert by_id(result)["A"].counted == (V3,)
    assert by_id(result)["B"].counted == (V1,)


def test_header_variants_are_accepted_and_extra_columns_ignored(tmp_path: Path) -> None:
    header = [
        "VIERTEL_NR",
        "name",
        "Bezirk",
        "Einwohner*innen",
        "Arbeitslose_SGB_III",
        "ALG-II-Empfaenger",
        "alg ii 15-25",
        "Sozialgeld unter 15 (%)",
        "Grundsicherung 65+",
        "Alleinlebende ab 80",
        "HH mit Kindern",
        "Alleinerziehende in %",
        "UVG",
        "stationäre Erziehungshilfen",
        "KINDERSCHUTZFÄLLE",
        "Migrationshintergrund",
        "von der BSA betreute Haushalte",
        "Ausländeranteil",  # variable 26 of the monitoring, not used: ignored
    ]
    path = write(tmp_path, [[*row("7.1", 812, [1.5]), "33"]], header=header, delimiter=";")
    [q] = read_quarters(path)
    assert (q.id, q.name, q.district, q.population) == ("7.1", "Viertel 7.1", "Bezirk", 812)
    assert q.values[V1] == Decimal("1.5")
    assert q.values["bsa_households"] == Decimal(10)


def test_utf8_bom_file_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, [row("1", 500, name="Neuperlach-Süd")], encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    [q] = read_quarters(path)
    assert (q.id, q.name) == ("1", "Neuperlach-Süd")


def test_blank_rows_are_skipped_and_rows_counted_as_in_a_spreadsheet(tmp_path: Path) -> None:
    path = write(tmp_path, [row("1", 500), [""] * len(HEADER), row("2", 600)])
    quarters = read_quarters(path)
    assert [(q.id, q.row) for q in quarters] == [("1", 2), ("2", 4)]


# -- bad files: every message names row and column --------------------------


def test_missing_column(tmp_path: Path) -> None:
    header = [h for h in HEADER if h != "single_parents"]
    rows = [[c for h, c in zip(HEADER, row("1", 500), strict=True) if h != "single_parents"]]
    error = refused(write(tmp_path, rows, header=header))
    assert error.row == 1
    assert error.field == "single_parents"
    assert "row 1" in error.message
    assert 'column "single_parents"' in error.message
    assert "Alleinerziehende" in error.message  # the German header that would do


def test_non_numeric_cell(tmp_path: Path) -> None:
    path = write(tmp_path, [row("1", 500), row("2", 500, {V1: "viel"})])
    error = refused(path)
    assert (error.row, error.field) == (3, V1)
    assert 'row 3, column E "unemployed_sgb3"' in error.message
    assert '"viel" is not a number' in error.message


def test_decimal_comma_in_a_comma_file_is_explained(tmp_path: Path) -> None:
    path = write(tmp_path, [row("1", 500, {V1: "12,5"})])  # csv quotes it: one cell
    error = refused(path)
    assert 'row 2, column E "unemployed_sgb3"' in error.message
    assert "decimal comma" in error.message


def test_duplicate_quarter_id(tmp_path: Path) -> None:
    error = refused(write(tmp_path, [row("4.2", 500), row("4.3", 500), row("4.2", 700)]))
    assert (error.row, error.field) == (4, "id")
    assert 'row 4, column A "id"' in error.message
    assert "already appears in row 2" in error.message


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    error = refused(path)
    assert error.row == 1
    assert "row 1" in error.message and "empty" in error.message


def test_header_without_rows(tmp_path: Path) -> None:
    error = refused(write(tmp_path, []))
    assert error.row == 2
    assert "row 2" in error.message and "no data rows" in error.message


def test_latin1_file(tmp_path: Path) -> None:
    path = write(
        tmp_path, [row("1", 500), row("2", 500, name="Neuperlach-Süd")], encoding="latin-1"
    )
    error = refused(path)
    assert error.row == 3
    assert 'row 3, column B "name"' in error.message
    assert "0xFC" in error.message and "UTF-8" in error.message
    assert '"ü"' in error.message  # what the byte would be in Latin-1


def test_utf16_file(tmp_path: Path) -> None:
    error = refused(write(tmp_path, [row("1", 500)], encoding="utf-16"))
    assert error.row == 1
    assert "UTF-16" in error.message and "CSV UTF-8" in error.message


def test_tab_separated_file(tmp_path: Path) -> None:
    error = refused(write(tmp_path, [row("1", 500)], delimiter="\t"))
    assert error.row == 1
    assert "row 1, column A" in error.message
    assert "tabs" in error.message and "';'" in error.message


def test_header_that_fits_neither_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("Viertel Name Einwohner\n1 Hasenbergl 500\n", encoding="utf-8")
    error = refused(path)
    assert "row 1, column A" in error.message
    assert "does not split into columns" in error.message


def test_negative_number_and_fractional_population(tmp_path: Path) -> None:
    path = write(tmp_path, [row("1", "412.5"), row("2", 500, {V3: -2})])
    error = refused(path)
    # Both problems at once, each with row and column.
    assert [(p.row, p.field) for p in error.problems] == [(2, "population"), (3, V3)]
    assert 'row 2, column D "population": "412.5" is not a whole number' in error.message
    assert 'row 3, column G "alg2_15_25": -2 is negative' in error.message


def test_missing_id_name_or_population_names_the_row(tmp_path: Path) -> None:
    rows = [row("1", 500), row("", 500), row("3", 500, name=" "), row("4", "")]
    error = refused(write(tmp_path, rows))
    assert [(p.row, p.field) for p in error.problems] == [(3, "id"), (4, "name"), (5, "population")]
    assert 'row 5, column D "population": the number of inhabitants is missing' in error.message


def test_row_with_too_few_cells(tmp_path: Path) -> None:
    path = write(tmp_path, [row("1", 500), row("2", 500)[:10]])
    error = refused(path)
    assert error.row == 3
    assert "row 3, column K" in error.message and "only 10 cells" in error.message


def test_two_headers_for_the_same_column(tmp_path: Path) -> None:
    header = [*HEADER, "Einwohner"]
    error = refused(write(tmp_path, [[*row("1", 500), "500"]], header=header))
    assert error.row == 1
    assert 'column R "Einwohner"' in error.message and 'D "population"' in error.message


def test_unreadable_path(tmp_path: Path) -> None:
    with pytest.raises(ScreenFileError, match="cannot read") as info:
        screen_file(tmp_path / "nope.csv")
    assert info.value.field == "file"


def test_file_errors_are_invalid_input_errors(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"")
    with pytest.raises(InvalidInputError) as info:
        read_quarters(path)
    assert info.value.code == "invalid_input"


# --------------------------------------------------------------------------
# The sample file and the renderers
# --------------------------------------------------------------------------

# As documented in docs/screening.md.
SAMPLE_EXPECTED = [
    # id, name, count, present, status
    ("24.11", "Hasenbergl-Nord", 10, 13, "qualifies"),
    ("16.42", "Neuperlach-Süd", 8, 13, "qualifies"),
    ("10.31", "Moosach-Bahnhof", 7, 13, "qualifies"),
    ("11.23", "Am Rübezahlweg", 8, 13, "too_small"),
    ("12.42", "Freimann-Nord", 6, 11, "incomplete"),
    ("19.31", "Fürstenried-West", 5, 13, "no"),
    ("2.14", "Schlachthofviertel-Süd", 2, 13, "no"),
    ("21.12", "Pasing-Mühlenviertel", 1, 13, "no"),
    ("13.21", "Parkstadt Bogenhausen", 0, 13, "no"),
    ("17.22", "Obergiesing-Am Hohen Weg", 0, 13, "no"),
]


def test_sample_file_gives_the_documented_result() -> None:
    result = screen_file(SAMPLE)
    got = [(q.id, q.name, q.count, q.present, q.status) for q in result.quarters]
    assert got == SAMPLE_EXPECTED
    small = by_id(result)["11.23"]
    assert small.population < 400
    assert by_id(result)["12.42"].missing == (V3, "uvg_under12")


def test_sample_weighted_and_floor_variants_as_documented() -> None:
    weighted = screen_file(SAMPLE, ScreenOptions(weighted_mean=True))
    moosach = by_id(weighted)["10.31"]
    assert (moosach.count, moosach.qualifies) == (6, False)
    assert "single_parents" not in moosach.counted
    assert [q.id for q in weighted.qualifying] == ["24.11", "16.42"]
    floor = screen_file(SAMPLE, ScreenOptions(floor_counts_for_mean=False))
    assert [(q.id, q.count, q.status) for q in floor.quarters] == [
        (e[0], e[2], e[4]) for e in SAMPLE_EXPECTED
    ]
    assert floor.means[V1].quarters == 9  # Am Rübezahlweg (350) left out


def test_documented_table_is_what_the_screen_prints() -> None:
    docs = (SAMPLE.parent.parent / "screening.md").read_text(encoding="utf-8")
    result = dataclasses.replace(screen_file(SAMPLE), source="docs/examples/monitoring-sample.csv")
    assert render_table(result) in docs


def oracle(rows: Sequence[Sequence[str]], weighted: bool = False) -> dict[str, tuple[int, bool]]:
    """An independent implementation of the rule in exact fractions: id -> (count, qualifies)."""
    counts = {r[0]: 0 for r in rows}
    for i in range(13):
        have = [(Fraction(r[4 + i]), int(r[3])) for r in rows if r[4 + i] != ""]
        if weighted:
            mean = sum(v * p for v, p in have) / sum(p for _, p in have)
        else:
            mean = sum(v for v, _ in have) / len(have)
        for r in rows:
            if r[4 + i] != "" and mean > 0 and Fraction(r[4 + i]) >= mean * Fraction(13, 10):
                counts[r[0]] += 1
    return {r[0]: (counts[r[0]], counts[r[0]] >= 7 and int(r[3]) >= 400) for r in rows}


def test_sample_file_agrees_with_an_independent_computation() -> None:
    with SAMPLE.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))[1:]
    result = screen_file(SAMPLE)
    assert {q.id: (q.count, q.qualifies) for q in result.quarters} == oracle(rows)


@pytest.mark.parametrize("weighted", [False, True])
def test_city_sized_file_of_475_quarters(tmp_path: Path, weighted: bool) -> None:
    rnd = random.Random(475)
    rows = []
    for i in range(475):
        # Values skewed like social data: most near the mean, a few far above; some missing.
        values = [
            "" if rnd.random() < 0.01 else f"{rnd.lognormvariate(2, 0.45):.2f}" for _ in range(13)
        ]
        rows.append(row(f"{i // 20 + 1}.{i % 20 + 1}", rnd.randint(150, 12000), values))
    path = write(tmp_path, rows, delimiter=";")
    result = screen_file(path, ScreenOptions(weighted_mean=weighted))
    assert len(result.quarters) == 475
    expected = oracle(rows, weighted)
    assert {q.id: (q.count, q.qualifies) for q in result.quarters} == expected
    assert 0 < len(result.qualifying) < 475
    # Sorted: all qualifying first, counts descending within each group.
    flags = [q.qualifies for q in result.quarters]
    assert flags == sorted(flags, reverse=True)
    counts = [q.count for q in result.qualifying]
    assert counts == sorted(counts, reverse=True)


def test_table_fits_80_columns_and_names_what_counts() -> None:
    text = render_table(screen_file(SAMPLE))
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "3 qualify" in lines[0]
    body = "\n".join(lines)
    # Strongest first: the qualifying quarters precede the one that is too small.
    assert (
        body.index("Hasenbergl-Nord") < body.index("Moosach-Bahnhof") < body.index("Am Rübezahlweg")
    )
    assert "too small" in body and "incomplete" in body
    hasenbergl = lines[next(i for i, line in enumerate(lines) if "Hasenbergl-Nord" in line) + 1]
    assert "counts: unemployed_sgb3, alg2_recipients" in hasenbergl
    # The long district name is cut, not wrapping the table.
    assert "Thalkirchen-Obersendling-Forstenried-Fürstenried-Solln" not in body
    assert "unweighted" in body and "over all quarters" in body


def test_json_is_serialisable_and_ordered() -> None:
    data = result_to_json(screen_file(SAMPLE, ScreenOptions(weighted_mean=True)))
    text = json.dumps(data, ensure_ascii=False)
    back = json.loads(text)
    assert back["options"]["weighted_mean"] is True
    assert back["quarters_total"] == 10
    assert [q["rank"] for q in back["quarters"]] == list(range(1, 11))
    assert set(back["means"]) == set(INDICATOR_IDS)
    first = back["quarters"][0]
    assert first["qualifies"] is True and first["counted"] and first["status"] == "qualifies"
    assert isinstance(back["means"][V1]["mean"], float)


def test_csv_output_round_trips_with_either_delimiter() -> None:
    result = screen_file(SAMPLE)
    for delimiter in (",", ";"):
        rows = list(
            csv.DictReader(
                io.StringIO(render_csv(result, delimiter=delimiter)), delimiter=delimiter
            )
        )
        assert [r["id"] for r in rows] == [e[0] for e in SAMPLE_EXPECTED]
        assert [r["qualifies"] for r in rows[:4]] == ["yes", "yes", "yes", "no"]
        freimann = rows[4]
        assert freimann["name"] == "Freimann-Nord"
        assert freimann["missing"] == "alg2_15_25 uvg_under12"
        assert freimann["alg2_15_25"] == ""  # missing, not 0
        assert freimann["basic_income_65plus"] == "1"
        assert freimann["unemployed_sgb3"] == "0"
        assert freimann["counted"].split() == list(by_id(result)["12.42"].counted)


def test_parse_quarters_accepts_text() -> None:
    text = (
        "\ufeff" + ";".join(HEADER) + "\n" + ";".join(row("1", 500, [2.5])).replace(".", ",") + "\n"
    )
    [q] = parse_quarters(text, source="stdin")
    assert q.values[V1] == Decimal("2.5")
