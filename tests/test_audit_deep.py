"""``audit verify --deep``: the live tables compared with the audit log's
replay; every disagreement named (someone wrote the tables behind the
engine's back)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from regsam_flow import Engine

from .cli_helpers import Cli
from .conftest import report, sign_agreement
from .databases import raw_connection


@pytest.fixture
def lived(engine: Engine, area: str) -> str:
    """An area through every phase, closed by both parties' approvals, and a
    second one with the agreement under way."""
    sign_agreement(engine, area)
    report(engine, area, "vorlauf")
    engine.reopen_task(area, "datenmaterial", actor="mia", reason="nachbessern")
    engine.report_task(area, "datenmaterial", actor="sven")
    engine.advance(area, actor="mia")
    for phase in ("diagnose", "umsetzung"):
        report(engine, area, phase)
        engine.advance(area, actor="mia")
    engine.fire(area, "resume", actor="mia", reason="weitere Schritte")
    report(engine, area, "umsetzung")
    engine.advance(area, actor="mia")
    report(engine, area, "auswertung")
    engine.fire(area, "close", actor="mia")
    engine.fire(area, "close", actor="sven")
    engine.add_person("eve", actor="root", name="Eve", email="eve@example.org")
    engine.create_area("zweites", actor="root", name="Zweites", workflow_version=1)
    engine.assign("zweites", "moderation", "mia", actor="root")
    engine.assign("zweites", "social_planning", "sven", actor="root")
    engine.assign("zweites", "provider", "tom", actor="mia")
    engine.unassign("zweites", "provider", "tom", actor="mia")
    engine.set_agreement("zweites", actor="mia", topic="Ältere Menschen")
    engine.set_agreement("zweites", actor="sven", scope="Rund um den Platz")
    return area


@pytest.mark.sql("changes tables behind the engine's back")
def test_untouched_tables_agree_with_the_log(engine: Engine, lived: str, tmp_path: Path) -> None:
    result = engine.verify(deep=True)
    assert result.ok, result.problems
    assert result.deep
    c = Cli(engine.url, tmp_path / "home")
    r = c.ok("audit", "verify", "--deep", user="audrey")
    assert "live tables agree" in r.stdout
    # without --deep the answer says what it did not look at
    r = c.ok("audit", "verify", user="audrey")
    assert "--deep" in r.stdout


TAMPERING = [
    (
        "INSERT INTO assignments (area_id, role, person_id) VALUES ('zweites', 'provider', 'eve')",
        ["zweites", "eve", "provider"],
    ),
    ("UPDATE areas SET state = 'auswertung' WHERE id = 'hasenbergl-nord'", ["phase", "auswertung"]),
    ("DELETE FROM assignments WHERE person_id = 'sabine'", ["sabine", "sbh"]),
    ("UPDATE people SET admin = TRUE WHERE id = 'tom'", ["tom", "admin"]),
    (
        "INSERT INTO people (id, name, email, org, admin, auditor, created_at) VALUES "
        "('erin', 'Erin', 'erin@example.org', '', FALSE, TRUE, '2027-01-01T00:00:00.000000Z')",
        ["erin"],
    ),
    ("UPDATE signatures SET person_id = 'tom' WHERE role = 'social_planning'", ["sign", "tom"]),
    ("DELETE FROM signatures WHERE role = 'moderation'", ["sign", "moderation"]),
    ("UPDATE agreements SET topic = 'anders' WHERE area_id = 'zweites' AND version = 1", ["topic"]),
    ("DELETE FROM agreements WHERE area_id = 'zweites' AND version = 2", ["version 2"]),
    ("UPDATE tasks SET done = FALSE WHERE task_id = 'datenmaterial'", ["datenmaterial"]),
    (
        "UPDATE tasks SET done_by = 'tom' WHERE task_id = 'bedarfsanalyse'",
        ["bedarfsanalyse", "tom"],
    ),
    ("DELETE FROM approvals WHERE role = 'social_planning'", ["approv", "close"]),
    (
        "UPDATE areas SET workflow_version = 2 WHERE id = 'zweites'",
        ["workflow version 2", "zweites", "the log 1"],
    ),
    (
        "INSERT INTO areas (id, name, district, workflow, workflow_version, state, version, round,"
        " created_at, updated_at) VALUES ('geist', 'Geist', '', 'schwerpunktgebiet', 1, 'vorlauf',"
        " 1, 0, '2027-01-01T00:00:00.000000Z', '2027-01-01T00:00:00.000000Z')",
        ["geist"],
    ),
]


@pytest.mark.sql("changes tables behind the engine's back")
@pytest.mark.parametrize(("sql", "words"), TAMPERING, ids=[w[0] for _, w in TAMPERING])
def test_tables_changed_behind_the_engines_back_are_named(
    engine: Engine, lived: str, tmp_path: Path, sql: str, words: list[str]
) -> None:
    with raw_connection(engine.url) as con:
        con.execute(sql)
    assert engine.verify().ok  # the chain itself is intact
    result = engine.verify(deep=True)
    assert not result.ok
    text = " | ".join(result.problems)
    for word in words:
        assert word in text, text
    c = Cli(engine.url, tmp_path / "home")
    r = c.run("audit", "verify", "--deep", user="audrey")
    assert r.exit_code == 8
    assert words[0] in r.stderr
    r = c.run("--json", "audit", "verify", "--deep", user="audrey")
    data = json.loads(r.stdout)
    assert r.exit_code == 8 and data["ok"] is False and data["deep"] is True
    assert any(words[0] in p for p in data["problems"])
