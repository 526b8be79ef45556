"""Someone without a role learns nothing about which areas exist: an area
they may not see and an area that does not exist get the same answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .cli_helpers import Cli, setup_area, sign
from .databases import raw_connection

GHOST = "gibt-es-nicht"


@pytest.fixture
def c(db_url: str, tmp_path: Path) -> Cli:
    cli = Cli(db_url, tmp_path / "home")
    area = setup_area(cli)
    sign(cli, area)
    cli.ok("user", "add", "olga", "--name", "Olga Other", "--email", "olga@example.org")
    return cli


def commands(area: str) -> list[tuple[str, ...]]:
    """Every read and write taking an area id."""
    return [
        ("area", "show", area),
        ("why", area),
        ("log", area),
        ("as-of", area, "01.01.2030"),
        ("task", "list", area),
        ("task", "done", area, "datenmaterial"),
        ("task", "reopen", area, "datenmaterial", "--reason", "x"),
        ("agreement", "show", area),
        ("agreement", "set", area, "--terms", "x"),
        ("agreement", "sign", area),
        ("advance", area),
        ("transition", area, "cancel", "--reason", "x"),
        ("review", area, "--end"),
        ("reminders", "list", "--area", area),
        ("area", "assign", area, "provider", "olga"),
        ("area", "unassign", area, "provider", "tom"),
        ("selection", "show", area),
        ("selection", "vote", area, "yes"),
        ("selection", "assess", area, "--fits", "yes"),
        ("selection", "decide", area, "select"),
    ]


def _answer(c: Cli, args: tuple[str, ...], as_json: bool) -> tuple[int, str]:
    r = c.run(*(("--json",) if as_json else ()), *args, user="olga")
    return r.exit_code, r.output


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_hidden_area_answers_like_a_missing_one(c: Cli, as_json: bool) -> None:
    area = "hasenbergl-nord"
    for hidden, ghost in zip(commands(area), commands(GHOST), strict=True):
        code, out = _answer(c, hidden, as_json)
        ghost_code, ghost_out = _answer(c, ghost, as_json)
        assert code == ghost_code == 6, (hidden, out, ghost_out)
        assert out.replace(area, GHOST) == ghost_out, hidden
        assert "may not" not in out and "no role" not in out
        if as_json:
            assert json.loads(out)["error"] == "not_found"


def test_retry_of_a_hidden_reminder_answers_like_a_missing_one(c: Cli) -> None:
    rid = c.json("reminders", "list", user="mia")[0]["id"]
    with raw_connection(c.db) as con:
        con.execute("UPDATE reminders SET status='failed', attempts=5 WHERE id=?", (rid,))
    hidden = c.run("reminders", "retry", str(rid), user="olga")
    missing = c.run("reminders", "retry", "999999", user="olga")
    assert hidden.exit_code == missing.exit_code == 6
    assert "hasenbergl" not in hidden.output
    assert hidden.output.replace(str(rid), "999999") == missing.output
    hidden = c.run("--json", "reminders", "retry", str(rid), user="olga")
    assert json.loads(hidden.stdout)["error"] == "not_found"
    # members of the area still get the real answer
    assert c.run("reminders", "retry", str(rid), user="tom").exit_code == 3
