"""The views on the command line: `inbox` (alias `eingang`), `area list` as
an overview with its filters, "did you mean", shell completion of ids."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from regsam_flow.cli import cli

from .cli_helpers import Cli, setup_area, sign

AREA = "hasenbergl-nord"


@pytest.fixture
def c(db_url: str, tmp_path: Path) -> Cli:
    return Cli(db_url, tmp_path / "home")


@pytest.fixture
def area(c: Cli) -> str:
    setup_area(c)
    sign(c, AREA)
    return AREA


def test_inbox_text_and_json_and_the_german_alias(c: Cli, area: str) -> None:
    r = c.ok("inbox", user="mia")
    assert "things are waiting for you" in r.stdout
    assert f"-> regsam-flow task done {area} schwerpunktziel" in r.stdout
    items = c.json("inbox", user="mia")
    assert items == c.json("eingang", user="mia")
    assert {i["kind"] for i in items} == {"task"}
    assert set(items[0]) == {
        "kind", "area", "area_name", "workflow", "ref", "role", "title", "due",
        "days_left", "urgency", "command",
    }  # fmt: skip
    assert c.ok("inbox", user="audrey").stdout.strip() == "Nothing is waiting for you."
    assert c.json("inbox", user="audrey") == []


def test_inbox_in_german(c: Cli, area: str) -> None:
    r = c.ok("--lang", "de", "inbox", user="mia")
    assert "warten auf Sie" in r.stdout
    assert "Aufgabe" in r.stdout


def test_area_list_overview_and_filters(c: Cli, area: str) -> None:
    rows = c.json("area", "list")
    assert [(r["area"], r["workflow"], r["kind"], r["state"], r["next_step"]) for r in rows] == [
        (area, "schwerpunktgebiet", "area", "vorlauf", "start_diagnose")
    ]
    assert rows[0]["owed_by"] == ["mia", "sven"] and "schwerpunktziel" in rows[0]["open_tasks"]
    assert rows[0]["review"] == "2027-07-15" and isinstance(rows[0]["days_left"], int)
    text = c.ok("area", "list").stdout
    assert "Hasenbergl-Nord  (schwerpunktgebiet v1)" in text
    assert "phase vorlauf; next step start_diagnose, owed by mia, sven" in text
    assert "5 required tasks open: schwerpunktziel, partner_traeger" in text
    assert "review 15.07.2027, in " in text
    assert c.json("area", "list", "--owes", "tom") == []
    assert [r["area"] for r in c.json("area", "list", "--owes", "sven")] == [area]
    days = rows[0]["days_left"]  # by the real clock: the review date is 15.07.2027
    if days > 0:
        assert [r["area"] for r in c.json("area", "list", "--review-within", str(days))] == [area]
        assert c.json("area", "list", "--review-within", str(days - 1)) == []
    assert c.run("area", "list", "--review-within", "-1").exit_code == 2


def test_area_list_refuses_an_unknown_state(c: Cli, area: str) -> None:
    r = c.run("area", "list", "--state", "diagnosis")
    assert r.exit_code == 7
    assert "no workflow has a phase 'diagnosis'" in r.stderr
    assert "diagnose" in r.stderr and "umsetzung" in r.stderr
    assert c.json("area", "list", "--state", "diagnose") == []


def test_did_you_mean_on_the_command_line(c: Cli, area: str) -> None:
    r = c.run("area", "show", "hasenbergl-nrd", user="mia")
    assert r.exit_code == 6
    assert "no area 'hasenbergl-nrd'; did you mean 'hasenbergl-nord'?" in r.stderr


def _complete(c: Cli, words: str, user: str = "mia") -> list[str]:
    env = {
        "_REGSAM_FLOW_COMPLETE": "bash_complete",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
        "REGSAM_FLOW_DB": c.db,
        "REGSAM_FLOW_USER": user,
        "REGSAM_FLOW_HOME": str(c.home),
    }
    r = CliRunner().invoke(cli, [], prog_name="regsam-flow", env=env)
    assert r.exit_code == 0, r.output
    return [line.split(",", 1)[1] for line in r.stdout.splitlines() if line]


def test_completion_of_area_ids_tasks_users_roles_states_triggers(c: Cli, area: str) -> None:
    assert _complete(c, "regsam-flow area show hase") == [area]
    assert _complete(c, "regsam-flow area show x") == []
    assert _complete(c, f"regsam-flow task done {area} partner_") == [
        "partner_traeger",
        "partner_verwaltung",
    ]
    assert _complete(c, f"regsam-flow area assign {area} provider s") == [
        "sabine",
        "stella",
        "sven",
    ]
    assert "social_planning" in _complete(c, f"regsam-flow area assign {area} so")
    assert _complete(c, "regsam-flow area list --state umset") == ["umsetzung"]
    assert _complete(c, f"regsam-flow transition {area} ca") == ["cancel"]
    # someone who may not see the area gets no completion of its id
    c.ok("user", "add", "ute", "--name", "Ute", "--email", "ute@regsam.example")
    assert _complete(c, "regsam-flow area show hase", user="ute") == []
