"""The agreement is between REGSAM and the social department: one person may
not stand for both parties (hold moderation and social planning in one area,
sign for both, approve ``close`` for both)."""

from __future__ import annotations

from pathlib import Path

import pytest

from regsam_flow import BlockedError, Engine

from .cli_helpers import Cli, setup_area
from .conftest import AGREEMENT, report, sign_agreement
from .databases import raw_connection

CODE = "one_person_both_parties"


def codes(exc: BlockedError) -> set[str]:
    return {b.code for b in exc.blockers}


def test_assigning_the_other_party_to_the_same_person_is_refused(engine: Engine, area: str) -> None:
    before = engine.head()
    with pytest.raises(BlockedError) as info:
        engine.assign(area, "social_planning", "mia", actor="root")
    assert CODE in codes(info.value)
    with pytest.raises(BlockedError) as info:
        engine.assign(area, "moderation", "sven", actor="root")
    assert CODE in codes(info.value)
    assert engine.head() == before
    roles = engine.status(area, actor="root").roles
    assert roles["moderation"] == ["mia"] and roles["social_planning"] == ["sven"]


def test_creating_an_area_with_one_person_for_both_parties_is_refused(engine: Engine) -> None:
    engine.add_person("mia", actor="root", name="Mia", email="mia@example.org")
    before = engine.head()
    with pytest.raises(BlockedError) as info:
        engine.create_area(
            "x",
            actor="root",
            name="X",
            members=[("moderation", "mia"), ("social_planning", "mia")],
        )
    assert CODE in codes(info.value)
    assert engine.head() == before
    assert engine.list_areas(actor="root") == []


def test_cli_refuses_the_assignment_with_exit_4(db_url: str, tmp_path: Path) -> None:
    c = Cli(db_url, tmp_path / "home")
    area = setup_area(c)
    r = c.run("area", "assign", area, "social_planning", "mia")
    assert r.exit_code == 4 and CODE in r.stderr
    assert c.json("area", "show", area)["roles"]["social_planning"] == ["sven"]


def _swap_sides(engine: Engine, area: str) -> None:
    """mia changes sides: she becomes social planning, ralf moderation."""
    engine.add_person("ralf", actor="root", name="Ralf", email="ralf@example.org")
    engine.unassign(area, "social_planning", "sven", actor="root")
    engine.unassign(area, "moderation", "mia", actor="root")
    engine.assign(area, "moderation", "ralf", actor="root")
    engine.assign(area, "social_planning", "mia", actor="root")


def test_one_person_cannot_sign_for_both_parties(engine: Engine, area: str) -> None:
    engine.set_agreement(area, actor="mia", **AGREEMENT)
    engine.sign_agreement(area, actor="mia")
    _swap_sides(engine, area)
    with pytest.raises(BlockedError) as info:
        engine.sign_agreement(area, actor="mia")
    assert CODE in codes(info.value)
    ag = engine.agreement(area, actor="root")
    assert ag is not None and ag.signatures == {"moderation": "mia"}


def test_one_person_cannot_approve_close_for_both_parties(engine: Engine, area: str) -> None:
    sign_agreement(engine, area)
    for phase in ("vorlauf", "diagnose", "umsetzung"):
        report(engine, area, phase)
        engine.advance(area, actor="mia")
    report(engine, area, "auswertung")
    first = engine.fire(area, "close", actor="mia")
    assert not first.fired and first.missing == ("social_planning",)
    _swap_sides(engine, area)
    with pytest.raises(BlockedError) as info:
        engine.fire(area, "close", actor="mia")
    assert CODE in codes(info.value)
    assert engine.status(area, actor="root").area.state == "auswertung"
    # the other party's own person closes it
    engine.unassign(area, "social_planning", "mia", actor="root")
    engine.assign(area, "social_planning", "sven", actor="root")
    assert engine.fire(area, "close", actor="sven").fired


@pytest.mark.sql("an assignment written past the engine")
def test_an_area_that_already_has_one_person_for_both_shows_a_blocker(
    engine: Engine, area: str
) -> None:
    """Written before the rule (or behind the engine's back)."""
    sign_agreement(engine, area)
    report(engine, area, "vorlauf")
    with raw_connection(engine.url) as con:
        con.execute("DELETE FROM assignments WHERE person_id = 'sven'")
        con.execute(
            "INSERT INTO assignments (area_id, role, person_id) VALUES (?, ?, ?)",
            (area, "social_planning", "mia"),
        )
        con.execute("UPDATE signatures SET person_id = 'mia' WHERE person_id = 'sven'")
    steps = {s.trigger: s for s in engine.why(area, actor="mia")}
    assert CODE in {b.code for b in steps["start_diagnose"].blockers}
    assert not steps["start_diagnose"].allowed
    with pytest.raises(BlockedError) as info:
        engine.advance(area, actor="mia")
    assert CODE in codes(info.value)
    # the auditor sees it too
    steps = {s.trigger: s for s in engine.why(area, actor="audrey")}
    assert CODE in {b.code for b in steps["start_diagnose"].blockers}
