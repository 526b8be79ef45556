"""Rough edges a newcomer hits (issue 12: 1, 10, 14b, 15), in German and English."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from regsam_flow import InvalidInputError
from regsam_flow.cli import cli
from regsam_flow.i18n import use_language
from regsam_flow.screen import INDICATOR_IDS, ScreenOptions, parse_quarters, render_table, screen
from regsam_flow.validation import check_id

from .cli_helpers import Cli, setup_area

SAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "monitoring-sample.csv"
PANEL = ["rita", "rolf", "sara", "stefan", "arne", "helga"]
ROLES = ["regsam_member"] * 2 + ["social_planning_member"] * 2 + ["arge", "head"]


@pytest.fixture
def c(db_url: str, tmp_path: Path) -> Cli:
    return Cli(db_url, tmp_path / "home")


# --- 10: area ids with umlauts -------------------------------------------------------------
@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("de", "verwenden Sie ASCII-Buchstaben (a-z, keine Umlaute oder ß)"),
        ("en", "use ASCII letters (a-z, no umlauts or ß)"),
    ],
)
def test_an_umlaut_id_is_refused_with_an_ascii_suggestion(lang: str, expected: str) -> None:
    with use_language(lang), pytest.raises(InvalidInputError) as exc:
        check_id("müllerstrasse", "area")
    assert expected in exc.value.message
    assert exc.value.message.endswith("'muellerstrasse'")
    assert exc.value.field == "area" and exc.value.exit_code == 7


def test_area_create_suggests_the_ascii_id_and_writes_nothing(c: Cli) -> None:
    c.ok("init", "--admin", "anna")
    r = c.run("area", "create", "Müller Straße", "--name", "Müllerstraße", user="anna")
    assert r.exit_code == 7
    assert "ASCII letters" in r.stderr and "'Mueller-Strasse'" in r.stderr
    assert c.json("area", "list", user="anna") == []
    r = c.run("--lang", "de", "area", "create", "großmarkt", "--name", "Großmarkt", user="anna")
    assert r.exit_code == 7 and "ASCII-Buchstaben" in r.stderr and "'grossmarkt'" in r.stderr


# --- 1: from-screen with a quarter whose area exists already --------------------------------
def _round(c: Cli) -> None:
    c.ok("init", "--admin", "anna")
    for pid in PANEL:
        c.ok("user", "add", pid, "--name", pid, "--email", f"{pid}@example.org", user="anna")
    c.ok("selection", "nominate", "2027-vorlage", "--round", "2027", "--name", "Vorlage",
         "--source", "rags", user="anna")  # fmt: skip
    for role, pid in zip(ROLES, PANEL, strict=True):
        c.ok("area", "assign", "2027-vorlage", role, pid, user="anna")
    c.ok("area", "create", "hasenbergl-nord", "--name", "Hasenbergl-Nord", user="anna")


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("de", "um Viertel 24.11 auszulassen, nennen Sie die anderen:"),
        ("en", "to leave quarter 24.11 out, name the others:"),
    ],
)
def test_from_screen_names_the_quarter_of_an_existing_area_and_how_to_skip_it(
    c: Cli, lang: str, expected: str
) -> None:
    _round(c)
    args = ["selection", "from-screen", str(SAMPLE), "--round", "2027", "--like", "2027-vorlage"]
    r = c.run("--lang", lang, *args, user="anna")
    assert r.exit_code == 7, r.output
    assert "(quarter 24.11" in r.stderr or "(Viertel 24.11" in r.stderr
    assert "'hasenbergl-nord'" in r.stderr and expected in r.stderr
    assert "--quarter 24.11" not in r.stderr
    others = r.stderr.split(expected, 1)[1].split()
    assert others[0] == "--quarter" and len(others) >= 2
    assert len(c.json("selection", "list", "--round", "2027", user="anna")) == 1  # nothing new
    c.ok(*args, *others, user="anna")  # the hint, followed, nominates the rest
    assert len(c.json("selection", "list", "--round", "2027", user="anna")) > 1


# --- 14b: a candidate's end is not "the area is in a final phase" ---------------------------
@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("de", "keine: Über den Kandidaten wurde entschieden oder er wurde zurückgezogen"),
        ("en", "none: the candidate was decided or withdrawn"),
    ],
)
def test_a_decided_candidate_says_so(c: Cli, lang: str, expected: str) -> None:
    _round(c)
    c.ok("selection", "nominate", "2027-nord", "--round", "2027", "--name", "Nord", "--source",
         "sbh", "--reasons", "Nennung SBH", "--like", "2027-vorlage", user="anna")  # fmt: skip
    c.ok("selection", "assess", "2027-nord", "--fits", "yes", "--hours", "10", "--duration",
         "2 Jahre", "--special-programme", "no", user="rita")  # fmt: skip
    for pid in PANEL[:4]:
        c.ok("selection", "vote", "2027-nord", "no", user=pid)
    out = c.ok("--lang", lang, "selection", "show", "2027-nord", user="anna").stdout
    assert expected in out
    assert "final phase" not in out and "Endphase" not in out
    assert c.json("selection", "show", "2027-nord", user="anna")["state"] == "abgelehnt"


# --- 15: reminders list and the screen's means ----------------------------------------------
def test_reminders_list_keeps_each_reminder_on_one_line(c: Cli) -> None:
    area = setup_area(c)
    review = datetime.now(ZoneInfo("Europe/Berlin")).date() + timedelta(days=100)
    c.ok("agreement", "set", area, "--review", f"{review:%d.%m.%Y}", user="mia")
    runner = CliRunner()
    env = {"REGSAM_FLOW_DB": c.db, "REGSAM_FLOW_USER": "mia", "REGSAM_FLOW_HOME": str(c.home)}
    for columns in ("60", "200"):  # narrow: ids stay whole, the note is cut, never wrapped
        r = runner.invoke(cli, ["reminders", "list"], env={**env, "COLUMNS": columns})
        assert r.exit_code == 0, r.output
        lines = [x for x in r.stdout.splitlines() if x.strip()]
        ids = [x["id"] for x in c.json("reminders", "list", user="mia")]
        assert len(ids) == 4
        assert len(lines) == 2 + len(ids)  # headers, rule, one line each
        if columns == "200":
            assert all(x.endswith(f"review {review:%Y-%m-%d}") for x in lines[2:])


def test_the_screens_means_have_two_decimals_and_a_comma_in_german() -> None:
    header = "id,name,district,population," + ",".join(INDICATOR_IDS) + "\n"
    rows = [
        f"q{i},Viertel {i},Bezirk,{1000 + i}," + ",".join(f"{(i + j) / 3:.5f}" for j in range(13))
        for i in range(1, 4)
    ]
    result = screen(parse_quarters(header + "\n".join(rows) + "\n"), ScreenOptions())
    with use_language("de"):
        german = render_table(result)
    with use_language("en"):
        english = render_table(result)
    first = INDICATOR_IDS[0]
    line_de = next(x for x in german.splitlines() if f" {first} " in x)
    line_en = next(x for x in english.splitlines() if f" {first} " in x)
    # means of 1/3, 2/3, 3/3 = 0.66667, cutoff x 1.3 = 0.86667
    assert line_de.split()[2:4] == ["0,67", "0,87"]
    assert line_en.split()[2:4] == ["0.67", "0.87"]
