"""What the CLI prints is safe for a terminal: control characters in data or
in user input (ESC sequences, BEL, C1 controls, bidi overrides) are shown
escaped, never sent raw; absurd numbers are refused, not crashed on."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from regsam_flow.cli import cli

from .cli_helpers import Cli, setup_area
from .test_cli_screen import HEADER, sample_rows, write

#: Everything a terminal might act on; \n and \t are layout.
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
EVIL = "Evil\x1b]0;pwned\x07\x1b[2J\x9b31m\u202eX"


@pytest.fixture
def cli_db(db_url: str, tmp_path: Path) -> Cli:
    return Cli(db_url, tmp_path / "home")


def run(*args: str, input: str | None = None) -> Result:
    env = {"REGSAM_FLOW_DB": None, "REGSAM_FLOW_JSON": None, "REGSAM_FLOW_USER": "anna"}
    return CliRunner().invoke(cli, list(args), input=input, env=env)


def evil_file(tmp_path: Path) -> Path:
    rows = sample_rows()
    rows[0][HEADER.index("name")] = EVIL
    rows[1][HEADER.index("district")] = "Bezirk\x07\x0c\x1b[1A"
    return write(tmp_path / "evil.csv", rows)


@pytest.mark.parametrize("fmt", [[], ["--csv"], ["--json"]], ids=["table", "csv", "json"])
def test_screen_escapes_control_characters_in_names(tmp_path: Path, fmt: list[str]) -> None:
    r = run("screen", str(evil_file(tmp_path)), *fmt)
    assert r.exit_code == 0, r.output
    assert not RAW_CONTROL.search(r.stdout), repr(r.stdout)
    if fmt == ["--json"]:
        names = {q["name"] for q in json.loads(r.stdout)["quarters"]}
        assert EVIL in names  # JSON escapes are exact: a program gets the data back
    else:
        assert "Evil\\x1b]0;pwned\\x07" in r.stdout
    if fmt == ["--csv"]:
        rows = list(csv.reader(io.StringIO(r.stdout)))
        assert any(row[2].startswith("Evil\\x1b") for row in rows)


def test_screen_refuses_a_population_of_5000_digits(tmp_path: Path) -> None:
    rows = sample_rows()
    rows[0][HEADER.index("population")] = "9" * 5000
    r = run("screen", str(write(tmp_path / "big.csv", rows)))
    assert r.exit_code == 7, r.output
    assert 'row 2, column D "population"' in r.stderr
    assert "inhabitants" in r.stderr and "ValueError" not in r.stderr
    assert len(r.stderr) < 1000  # the cell is not echoed in full


@pytest.mark.parametrize("value", ["9" * 5000, "1e999", "1" + "0" * 400])
def test_screen_refuses_absurd_indicator_values(tmp_path: Path, value: str) -> None:
    rows = sample_rows()
    rows[0][HEADER.index("single_parents")] = value
    for fmt in ([], ["--json"]):
        r = run("screen", str(write(tmp_path / "big.csv", rows)), *fmt)
        assert r.exit_code == 7, r.output
        assert "single_parents" in r.output and len(r.output) < 1000


def test_error_messages_escape_what_they_quote(tmp_path: Path) -> None:
    rows = sample_rows()
    rows[0][HEADER.index("population")] = "12\x1b]0;x\x07"
    r = run("screen", str(write(tmp_path / "bad.csv", rows)))
    assert r.exit_code == 7
    assert "\\x1b]0;x\\x07" in r.stderr and not RAW_CONTROL.search(r.stderr)
    # click's own usage errors quote what was typed, too
    for args in (["screen", str(tmp_path / "bad.csv"), "extra\x1b]0;x\x07"], ["--x\x07y"]):
        r = run(*args)
        assert r.exit_code == 2
        assert not RAW_CONTROL.search(r.output), repr(r.output)


def test_database_errors_escape_what_they_quote(cli_db: Cli) -> None:
    area = setup_area(cli_db)
    for args in (
        ("area", "show", "x\x1b]0;x\x07"),
        ("task", "done", area, "no\x9bsuch\x07task"),
        ("agreement", "set", area, "--topic", "a\x1b[2Jb"),
    ):
        r = cli_db.run(*args, user="mia")
        assert r.exit_code in (6, 7), r.output
        assert not RAW_CONTROL.search(r.output), repr(r.output)
        r = cli_db.run("--json", *args, user="mia")
        assert not RAW_CONTROL.search(r.stdout), repr(r.stdout)
        assert json.loads(r.stdout)["error"] in ("not_found", "invalid_input")


def test_scheduler_log_lines_escape_control_characters() -> None:
    import logging

    from regsam_flow.cli.output import SafeFormatter

    record = logging.LogRecord(
        "regsam_flow", logging.WARNING, __file__, 1, "reminder %s: %s", (7, EVIL), None
    )
    line = SafeFormatter("%(levelname)s %(message)s").format(record)
    assert line.startswith("WARNING reminder 7: Evil\\x1b]0;pwned\\x07")
    assert not RAW_CONTROL.search(line)
