"""One focus area walked from Vorlauf to abgeschlossen through the Python API."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from regsam_flow import BlockedError, ChangeEvent, Engine

from .conftest import report, sign_agreement


def test_area_walks_through_all_phases(engine: Engine, area: str) -> None:
    events: list[ChangeEvent] = []
    engine.on("*", events.append)

    assert engine.get_area(area, actor="mia").state == "vorlauf"
    sign_agreement(engine, area)
    report(engine, area, "vorlauf")
    # tasks of providers, SBH and steering are tracked but never required
    engine.report_task(area, "einklinken_steuerung", actor="stella", note="Thema Ältere")

    r = engine.advance(area, actor="mia")
    assert (r.fired, r.from_state, r.to_state, r.role) == (
        True,
        "vorlauf",
        "diagnose",
        "moderation",
    )
    report(engine, area, "diagnose")
    assert engine.advance(area, actor="mia").to_state == "umsetzung"
    report(engine, area, "umsetzung")
    assert engine.advance(area, actor="mia").to_state == "auswertung"
    report(engine, area, "auswertung")

    # close needs the approval of both moderation and social planning
    first = engine.advance(area, actor="mia")
    assert first.fired is False
    assert first.missing == ("social_planning",)
    assert engine.get_area(area, actor="mia").state == "auswertung"
    second = engine.fire(area, "close", actor="sven")
    assert second.fired is True
    assert second.to_state == "abgeschlossen"

    status = engine.status(area, actor="audrey")
    assert status.final is True
    assert status.next == []
    with pytest.raises(BlockedError) as exc:
        engine.advance(area, actor="mia")
    assert [b.code for b in exc.value.blockers] == ["no_forward_transition"]

    log = engine.history(actor="audrey", area=area)
    transitions = [(e.from_state, e.to_state) for e in log if e.action == "transition"]
    assert transitions == [
        ("vorlauf", "diagnose"),
        ("diagnose", "umsetzung"),
        ("umsetzung", "auswertung"),
        ("auswertung", "abgeschlossen"),
    ]
    approvals = [e for e in log if e.action == "approval"]
    assert [(e.actor, e.role, e.trigger) for e in approvals] == [("mia", "moderation", "close")]
    assert engine.verify(deep=True).ok

    kinds = [ev.kind for ev in events]
    assert kinds.count("transition") == 4
    assert kinds.count("approval") == 1
    assert "agreement" in kinds and "task" in kinds


def test_resume_goes_back_to_umsetzung_with_its_tasks_open(engine: Engine, area: str) -> None:
    sign_agreement(engine, area)
    for phase in ("vorlauf", "diagnose", "umsetzung"):
        report(engine, area, phase)
        engine.advance(area, actor="mia")
    r = engine.fire(area, "resume", actor="mia", reason="KG beschließt weitere Handlungsschritte")
    assert (r.from_state, r.to_state) == ("auswertung", "umsetzung")
    tasks = {t.id: t for t in engine.tasks(area, actor="mia", phase="umsetzung")}
    assert tasks["umsetzung_koordiniert"].done is False  # a new round starts open
    entry = engine.history(actor="mia", area=area)[-1]
    assert entry.reason == "KG beschließt weitere Handlungsschritte"
    assert "umsetzung_koordiniert" in entry.to_dict()["details"]["reopened_tasks"]


def test_cancel_with_reason_ends_the_process(engine: Engine, area: str) -> None:
    r = engine.fire(area, "cancel", actor="sven", reason="Gebiet wird Sanierungsgebiet")
    assert r.to_state == "abgebrochen"
    status = engine.status(area, actor="mia")
    assert status.final and status.next == []
    with pytest.raises(BlockedError) as exc:
        engine.report_task(area, "schwerpunktziel", actor="mia")
    assert exc.value.blockers[0].code == "area_final"


def test_as_of_reconstructs_phase_people_and_agreement(engine: Engine, area: str) -> None:
    sign_agreement(engine, area)
    report(engine, area, "vorlauf")
    before_advance = datetime.now(timezone.utc)
    engine.advance(area, actor="mia")
    engine.set_agreement(area, actor="mia", terms="KG tagt zweimonatlich")
    engine.unassign(area, "provider", "tom", actor="mia")

    then = engine.as_of(area, before_advance, actor="audrey")
    assert then.state == "vorlauf"
    assert then.roles["provider"] == ["tom"]
    assert then.agreement["terms"] == "KG tagt monatlich"
    assert sorted(then.signed_by) == ["moderation", "social_planning"]

    now = engine.as_of(area, datetime.now(timezone.utc), actor="audrey")
    assert now.state == "diagnose"
    assert "provider" not in now.roles
    assert now.agreement["terms"] == "KG tagt zweimonatlich"
    assert now.signed_by == []  # the change voided the signatures
    assert now.agreement_version == 2

    long_ago = engine.as_of(area, datetime(2000, 1, 1, tzinfo=timezone.utc), actor="audrey")
    assert long_ago.exists is False
