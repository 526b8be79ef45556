"""``regsam-flow screen``: the monitoring screen on the command line.

The rule itself is tested in tests/test_screen.py; here: the command's
options, its three output formats, standard input, errors and exit codes,
and that it needs no database.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from regsam_flow.cli import cli
from regsam_flow.screen import INDICATOR_IDS

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "docs" / "examples" / "monitoring-sample.csv"
EXCEL_SAMPLE = REPO / "docs" / "examples" / "monitoring-sample-excel.csv"
DOCS = REPO / "docs" / "screening.md"
HEADER = ["id", "name", "district", "population", *INDICATOR_IDS]

# As documented in docs/screening.md: id, count, present, status.
EXPECTED = [
    ("24.11", 10, 13, "qualifies"),
    ("16.42", 8, 13, "qualifies"),
    ("10.31", 7, 13, "qualifies"),
    ("11.23", 8, 13, "too_small"),
    ("12.42", 6, 11, "incomplete"),
    ("19.31", 5, 13, "no"),
    ("2.14", 2, 13, "no"),
    ("21.12", 1, 13, "no"),
    ("13.21", 0, 13, "no"),
    ("17.22", 0, 13, "no"),
]
QUALIFYING = ["24.11", "16.42", "10.31"]
UMLAUT_NAMES = ("Neuperlach-Süd", "Am Rübezahlweg", "Fürstenried-West", "Pasing-Mühlenviertel")


def run(*args: str, input: bytes | str | None = None, env: dict[str, str] | None = None) -> Result:
    """Invoke the CLI; no database configured, and none may be needed."""
    base = {"REGSAM_FLOW_DB": None, "REGSAM_FLOW_JSON": None, "REGSAM_FLOW_USER": "anna"}
    return CliRunner().invoke(cli, list(args), input=input, env={**base, **(env or {})})


def ok(*args: str, input: bytes | str | None = None, env: dict[str, str] | None = None) -> Result:
    r = run(*args, input=input, env=env)
    assert r.exit_code == 0, f"{args}: exit {r.exit_code}\n{r.output}\n{r.exception!r}"
    return r


def as_json(*args: str, input: bytes | str | None = None) -> Any:
    return json.loads(ok("--json", "screen", *args, input=input).stdout)


def summary(data: dict[str, Any]) -> list[tuple[str, int, int, str]]:
    return [(q["id"], q["count"], q["present"], q["status"]) for q in data["quarters"]]


def by_id(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {q["id"]: q for q in data["quarters"]}


def write(path: Path, rows: Sequence[Sequence[str]], delimiter: str = ",") -> Path:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerows([HEADER, *rows])
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def sample_rows() -> list[list[str]]:
    with SAMPLE.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))[1:]


# --------------------------------------------------------------------------
# The sample file in the three formats
# --------------------------------------------------------------------------


def test_table_is_the_documented_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    r = ok("screen", "docs/examples/monitoring-sample.csv")
    assert r.stdout.startswith("Monitoring screen: 10 quarters, 3 qualify.\n")
    # The whole table, byte for byte, as docs/screening.md shows it.
    assert r.stdout in DOCS.read_text(encoding="utf-8")
    assert r.stderr == ""


@pytest.mark.parametrize("where", ["global", "after the command"])
def test_json_gives_the_documented_result(where: str) -> None:
    args = ["--json", "screen", str(SAMPLE)]
    if where != "global":
        args = ["screen", str(SAMPLE), "--json"]
    data = json.loads(ok(*args).stdout)
    assert summary(data) == EXPECTED
    assert data["source"] == str(SAMPLE)
    assert (data["quarters_total"], data["quarters_qualifying"]) == (10, 3)
    assert data["only_qualifying"] is False
    assert data["options"] == {
        "threshold": 0.3,
        "min_count": 7,
        "min_population": 400,
        "weighted_mean": False,
        "floor_counts_for_mean": True,
    }
    assert [q["rank"] for q in data["quarters"]] == list(range(1, 11))
    assert by_id(data)["12.42"]["missing"] == ["alg2_15_25", "uvg_under12"]
    assert data["means"]["single_parents"]["cutoff"] == pytest.approx(32.474)


def test_json_from_the_environment_variable() -> None:
    r = ok("screen", str(SAMPLE), env={"REGSAM_FLOW_JSON": "1"})
    assert summary(json.loads(r.stdout)) == EXPECTED


@pytest.mark.parametrize(
    ("args", "delimiter"),
    [(["--csv"], ","), (["--csv", "--csv-delimiter", ";"], ";"), (["--csv-delimiter", ";"], ";")],
)
def test_csv_gives_the_documented_result(args: list[str], delimiter: str) -> None:
    r = ok("screen", str(SAMPLE), *args)
    assert r.stdout.splitlines()[0].split(delimiter)[:3] == ['"rank"', '"id"', '"name"']
    rows = list(csv.DictReader(io.StringIO(r.stdout), delimiter=delimiter))
    assert [(q["id"], int(q["count"]), int(q["present"]), q["status"]) for q in rows] == EXPECTED
    assert [q["qualifies"] for q in rows] == ["yes"] * 3 + ["no"] * 7
    freimann = rows[4]
    assert freimann["missing"] == "alg2_15_25 uvg_under12"
    assert (freimann["alg2_15_25"], freimann["basic_income_65plus"]) == ("", "1")


def test_csv_takes_precedence_over_json() -> None:
    r = ok("--json", "screen", str(SAMPLE), "--csv")
    assert r.stdout.startswith('"rank","id","name",')


def test_umlauts_are_intact_in_all_three_formats() -> None:
    table = ok("screen", str(SAMPLE)).stdout
    raw_json = ok("--json", "screen", str(SAMPLE)).stdout
    csv_text = ok("screen", str(SAMPLE), "--csv").stdout
    for name in UMLAUT_NAMES:
        assert name in table
        assert name in raw_json  # written as UTF-8, not as \u00fc
        assert name in csv_text
    assert "\\u00fc" not in raw_json
    names = {q["name"] for q in json.loads(raw_json)["quarters"]}
    assert set(UMLAUT_NAMES) <= names
    # The long district with umlauts is cut in the table, whole in JSON and CSV.
    long_district = "Thalkirchen-Obersendling-Forstenried-Fürstenried-Solln"
    assert long_district not in table
    assert long_district in raw_json and long_district in csv_text


def test_table_lines_fit_80_columns(tmp_path: Path) -> None:
    deep = tmp_path / ("sehr-langer-ordnername-für-das-monitoring-" * 3)
    deep.mkdir()
    rows = sample_rows()
    rows[0][1] = "Hasenbergl-Nord zwischen Dülferstraße und Stanigplatz (Teilgebiet)"
    rows[1][1] = "Neuperlach-Süd\nam Karl-Marx-Ring"  # a line break inside a quoted cell
    path = write(deep / "monitoring-2027.csv", rows)
    for args in ([], ["--only-qualifying"], ["--weighted-mean", "--threshold", "100%"]):
        r = ok("screen", str(path), *args)
        lines = r.stdout.splitlines()
        assert max(len(line) for line in lines) <= 80, args
        # The line break inside the cell does not break the table's row.
        assert "16.42  Neuperlach-Süd am Karl-Marx" in r.stdout
        assert "".join(line.removeprefix("File: ") for line in lines[1:5]).find(path.name) >= 0


# --------------------------------------------------------------------------
# Options
# --------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["30", "30%", "30 %", "0.3", "0,3", ".3", "30.0"])
def test_threshold_spellings_mean_the_same(spelling: str) -> None:
    default = as_json(str(SAMPLE))
    given = as_json(str(SAMPLE), "--threshold", spelling)
    assert given == default
    assert given["options"]["threshold"] == 0.3


def test_threshold_changes_the_result() -> None:
    data = as_json(str(SAMPLE), "--threshold", "40")
    assert data["options"]["threshold"] == 0.4
    assert data["means"]["unemployed_sgb3"]["cutoff"] == pytest.approx(3.4 * 1.4)
    # Stricter: Moosach-Bahnhof (exactly at 7 with 30 %) falls below the minimum.
    assert by_id(data)["10.31"]["count"] < 7
    assert "10.31" not in [q["id"] for q in data["quarters"] if q["qualifies"]]
    lower = as_json(str(SAMPLE), "--threshold", "0.5%")
    assert lower["options"]["threshold"] == 0.005


def test_table_states_the_threshold_and_the_mean_used() -> None:
    text = ok("screen", str(SAMPLE), "--threshold", "0.25", "--weighted-mean").stdout
    assert "at least 25 % above the mean" in text
    assert "Mean: weighted by population" in text
    assert "cutoff = mean x 1.25" in text
    text = " ".join(ok("screen", str(SAMPLE), "--floor-excluded-from-mean").stdout.split())
    assert "over the quarters with at least 400 inhabitants" in text


def test_weighted_mean_drops_moosach_bahnhof_as_documented() -> None:
    unweighted = as_json(str(SAMPLE), "--unweighted-mean")
    assert unweighted == as_json(str(SAMPLE))
    weighted = as_json(str(SAMPLE), "--weighted-mean")
    assert weighted["options"]["weighted_mean"] is True
    moosach = by_id(weighted)["10.31"]
    assert (moosach["count"], moosach["qualifies"], moosach["status"]) == (6, False, "no")
    assert "single_parents" not in moosach["counted"]
    # single_parents' cutoff rises from 32.47 to 35.11, above Moosach-Bahnhof's 34.9
    assert unweighted["means"]["single_parents"]["cutoff"] == pytest.approx(32.474)
    assert weighted["means"]["single_parents"]["cutoff"] == pytest.approx(35.11, abs=0.005)
    assert [q["id"] for q in weighted["quarters"] if q["qualifies"]] == ["24.11", "16.42"]


def test_floor_excluded_from_mean_changes_the_means_not_the_result_here() -> None:
    default = as_json(str(SAMPLE), "--floor-counts-for-mean")
    assert default == as_json(str(SAMPLE))
    excluded = as_json(str(SAMPLE), "--floor-excluded-from-mean")
    assert excluded["options"]["floor_counts_for_mean"] is False
    assert summary(excluded) == EXPECTED  # as documented: no quarter crosses a cutoff
    assert excluded["means"]["unemployed_sgb3"]["quarters"] == 9  # Am Rübezahlweg left out
    assert default["means"]["unemployed_sgb3"]["quarters"] == 10
    assert excluded["means"] != default["means"]


def test_min_count_and_min_population() -> None:
    stricter = as_json(str(SAMPLE), "--min-count", "8")
    assert [q["id"] for q in stricter["quarters"] if q["qualifies"]] == ["24.11", "16.42"]
    assert by_id(stricter)["10.31"]["status"] == "no"
    smaller = as_json(str(SAMPLE), "--min-population", "350")
    assert by_id(smaller)["11.23"]["status"] == "qualifies"
    assert smaller["quarters_qualifying"] == 4


def test_only_qualifying_in_all_three_formats() -> None:
    table = ok("screen", str(SAMPLE), "--only-qualifying").stdout
    assert "10 quarters, 3 qualify" in table
    assert "Only the qualifying quarters are listed." in table
    assert all(qid in table for qid in QUALIFYING)
    assert "Am Rübezahlweg" not in table and "Freimann-Nord" not in table
    data = as_json(str(SAMPLE), "--only-qualifying")
    assert [q["id"] for q in data["quarters"]] == QUALIFYING
    assert [q["rank"] for q in data["quarters"]] == [1, 2, 3]
    assert (data["quarters_total"], data["only_qualifying"]) == (10, True)
    csv_text = ok("screen", str(SAMPLE), "--only-qualifying", "--csv").stdout
    assert [r["id"] for r in csv.DictReader(io.StringIO(csv_text))] == QUALIFYING


def test_only_qualifying_when_none_qualifies() -> None:
    r = ok("screen", str(SAMPLE), "--only-qualifying", "--min-count", "13")
    assert "10 quarters, 0 qualify" in r.stdout and "(none)" in r.stdout
    data = as_json(str(SAMPLE), "--only-qualifying", "--min-count", "13")
    assert data["quarters"] == [] and data["quarters_qualifying"] == 0


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--threshold", "viel"], "--threshold 'viel' is not a number"),
        (["--threshold", "-30"], "--threshold -30 is negative"),
        (["--threshold", "1000%"], "too high"),
        (["--threshold", "nan"], "--threshold"),
        (["--min-count", "14"], "--min-count must be a whole number from 1 to 13"),
        (["--min-count", "0"], "--min-count"),
        (["--min-population", "-1"], "--min-population must be a whole number"),
    ],
)
def test_bad_options_exit_7(args: list[str], says: str) -> None:
    r = run("screen", str(SAMPLE), *args)
    assert r.exit_code == 7, r.output
    assert says in r.stderr and r.stdout == ""


def test_bad_option_in_json_mode() -> None:
    r = run("--json", "screen", str(SAMPLE), "--min-count", "14")
    assert r.exit_code == 7
    assert json.loads(r.stdout)["error"] == "invalid_input"


def test_csv_delimiter_must_be_comma_or_semicolon() -> None:
    r = run("screen", str(SAMPLE), "--csv-delimiter", "\t")
    assert r.exit_code == 2  # a usage error: click lists the choices
    assert "Invalid value for '--csv-delimiter'" in r.stderr


# --------------------------------------------------------------------------
# Standard input
# --------------------------------------------------------------------------


def test_standard_input() -> None:
    data = SAMPLE.read_bytes()
    r = ok("--json", "screen", "-", input=data)
    result = json.loads(r.stdout)
    assert summary(result) == EXPECTED and result["source"] == "<stdin>"
    table = ok("screen", "-", input=data).stdout
    assert "File: <stdin>" in table and "Am Rübezahlweg" in table
    assert ok("screen", "-", "--csv", input=data).stdout == (
        ok("screen", str(SAMPLE), "--csv").stdout
    )


def test_german_excel_sample_gives_the_same_result() -> None:
    # docs/examples/monitoring-sample-excel.csv: as German Excel saves "CSV UTF-8":
    # BOM, ';', CRLF, decimal comma, German headers with umlauts and "(%)".
    data = EXCEL_SAMPLE.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfViertel-Nr;") and b";4,6;" in data
    from_stdin = json.loads(ok("--json", "screen", "-", input=data).stdout)
    assert summary(from_stdin) == EXPECTED
    from_file = ok("screen", str(EXCEL_SAMPLE), "--csv").stdout
    assert from_file == ok("screen", str(SAMPLE), "--csv").stdout


def test_bad_standard_input_names_row_and_column() -> None:
    data = SAMPLE.read_bytes().replace(b"Pasing-M\xc3\xbchlenviertel", b"Pasing-M\xfchlenviertel")
    r = run("screen", "-", input=data)
    assert r.exit_code == 7
    assert 'error: <stdin>: row 8, column B "name": byte 0xFC is not UTF-8' in r.stderr
    assert '"ü"' in r.stderr


# --------------------------------------------------------------------------
# Bad files: exit 7, naming row and column
# --------------------------------------------------------------------------


def _replace_cell(rows: list[list[str]], row: int, column: str, value: str) -> list[list[str]]:
    rows[row - 2][HEADER.index(column)] = value
    return rows


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (
            lambda rows: _replace_cell(rows, 3, "unemployed_sgb3", "viel"),
            'row 3, column E "unemployed_sgb3": "viel" is not a number',
        ),
        (
            lambda rows: _replace_cell(rows, 5, "alg2_15_25", "-2"),
            'row 5, column G "alg2_15_25": -2 is negative',
        ),
        (
            lambda rows: _replace_cell(rows, 2, "population", "412.5"),
            'row 2, column D "population": "412.5" is not a whole number',
        ),
        (
            lambda rows: _replace_cell(rows, 4, "id", "24.11"),
            'row 4, column A "id": quarter id "24.11" already appears in row 2',
        ),
        (
            lambda rows: _replace_cell(rows, 6, "name", ""),
            'row 6, column B "name": the quarter name is missing',
        ),
        (
            lambda rows: _replace_cell(rows, 3, "single_parents", "12,5"),
            "a decimal comma is only read in files separated by ';'",
        ),
    ],
)
def test_bad_cell_exits_7_with_row_and_column(tmp_path: Path, change: Any, says: str) -> None:
    path = write(tmp_path / "monitoring.csv", change(sample_rows()))
    r = run("screen", str(path))
    assert r.exit_code == 7, r.output
    assert says in r.stderr
    assert r.stderr.startswith(f"error: {path}: ")
    assert r.stdout == ""
    j = run("--json", "screen", str(path))
    assert j.exit_code == 7
    err = json.loads(j.stdout)
    assert err["error"] == "invalid_input" and says in err["message"]


def test_every_bad_cell_is_listed(tmp_path: Path) -> None:
    rows = _replace_cell(sample_rows(), 3, "unemployed_sgb3", "viel")
    rows = _replace_cell(rows, 9, "bsa_households", "-1")
    r = run("screen", str(write(tmp_path / "m.csv", rows)))
    assert r.exit_code == 7
    assert "2 problems" in r.stderr
    assert 'row 3, column E "unemployed_sgb3"' in r.stderr
    assert 'row 9, column Q "bsa_households"' in r.stderr


def test_missing_column_and_latin1_file_exit_7(tmp_path: Path) -> None:
    text = SAMPLE.read_text(encoding="utf-8").replace("single_parents", "alleinstehend")
    missing = tmp_path / "missing.csv"
    missing.write_text(text, encoding="utf-8")
    r = run("screen", str(missing))
    assert r.exit_code == 7
    assert 'row 1: column "single_parents" is missing (German header: "Alleinerziehende")' in (
        r.stderr
    )
    assert "docs/screening.md" in r.stderr

    latin = tmp_path / "latin.csv"
    latin.write_bytes(SAMPLE.read_text(encoding="utf-8").encode("cp1252"))
    r = run("screen", str(latin))
    assert r.exit_code == 7
    assert 'row 3, column B "name": byte 0xFC is not UTF-8' in r.stderr


def test_file_that_does_not_exist_exits_7(tmp_path: Path) -> None:
    r = run("screen", str(tmp_path / "nope.csv"))
    assert r.exit_code == 7
    assert "cannot read the file" in r.stderr


def test_empty_file_exits_7(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    r = run("screen", str(empty))
    assert r.exit_code == 7 and "row 1: the file is empty" in r.stderr


# --------------------------------------------------------------------------
# Help, and no database
# --------------------------------------------------------------------------


def test_help_documents_columns_choices_and_an_example() -> None:
    text = ok("screen", "--help").stdout
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "Example" in text
    assert "  regsam-flow screen monitoring.csv\n" in text
    for column in ("id", "name", "district", "population", *INDICATOR_IDS):
        assert column in text
    assert "docs/screening.md" in text
    for option in (
        "--threshold",
        "--min-count",
        "--min-population",
        "--weighted-mean / --unweighted-mean",
        "--floor-counts-for-mean / --floor-excluded-from-mean",
        "--only-qualifying",
        "--csv",
        "--csv-delimiter",
        "--json",
    ):
        assert option in text
    assert "two choices open" in text
    assert "screen" in ok("--help").stdout


def test_works_without_a_database(tmp_path: Path) -> None:
    # A database URL that cannot be opened: the screen never touches it.
    url = f"sqlite:///{tmp_path / 'no' / 'such' / 'folder' / 'x.db'}"
    r = ok("--db", url, "screen", str(SAMPLE), "--only-qualifying")
    assert "3 qualify" in r.stdout
    assert not (tmp_path / "no").exists()


def test_screen_imports_neither_sqlalchemy_nor_the_engine(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGSAM_FLOW_")}
    env.update(
        REGSAM_FLOW_HOME=str(tmp_path / "home"), REGSAM_FLOW_LANG="en", PYTHONIOENCODING="utf-8"
    )
    code = (
        "import sys\n"
        "from regsam_flow.cli import main\n"
        f"sys.argv = ['regsam-flow', '--json', 'screen', {str(SAMPLE)!r}]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "print('\\nMODULES', ' '.join(sorted(sys.modules)))\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert r.returncode == 0, r.stderr
    out, modules = r.stdout.rsplit("MODULES", 1)
    assert summary(json.loads(out)) == EXPECTED
    loaded = set(modules.split())
    assert "regsam_flow.screen.rule" in loaded
    heavy = {m for m in loaded if m.split(".")[0] in ("sqlalchemy", "alembic", "pydantic")}
    assert not heavy
    assert "regsam_flow.engine" not in loaded
    assert not (tmp_path / "home" / "regsam-flow.db").exists()


def test_importing_the_cli_does_not_import_the_screen(tmp_path: Path) -> None:
    code = "import sys, regsam_flow.cli\nprint('regsam_flow.screen' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == "False", r.stderr
