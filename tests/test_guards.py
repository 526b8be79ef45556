"""Each guard refuses with the right blocker codes, and a refusal writes nothing."""

from __future__ import annotations

from datetime import date

import pytest

from regsam_flow import BlockedError, Engine, InvalidInputError, NotAllowedError

from .conftest import AGREEMENT, report, sign_agreement


def snapshot(engine: Engine, area: str) -> tuple[int, str, int, int]:
    a = engine.get_area(area, actor="root")
    return (
        a.version,
        a.state,
        engine.head().entries,
        len(engine.agreement_history(area, actor="root")),
    )


def codes(exc: pytest.ExceptionInfo[BlockedError]) -> list[str]:
    return [b.code for b in exc.value.blockers]


def test_leaving_vorlauf_lists_every_blocker_at_once(engine: Engine, area: str) -> None:
    before = snapshot(engine, area)
    with pytest.raises(BlockedError) as exc:
        engine.advance(area, actor="mia")
    assert codes(exc) == ["agreement_missing"] + ["task_open"] * 5
    assert snapshot(engine, area) == before
    # why-not shows the same blockers without trying
    why = {s.trigger: s for s in engine.why(area, actor="mia")}
    assert [b.code for b in why["start_diagnose"].blockers] == codes(exc)
    assert why["start_diagnose"].allowed is False
    assert why["cancel"].allowed is True and why["cancel"].reason_required is True


def test_unsigned_agreement_blocks_and_names_who_has_not_signed(engine: Engine, area: str) -> None:
    report(engine, area, "vorlauf")
    engine.set_agreement(area, actor="mia", **AGREEMENT)
    engine.sign_agreement(area, actor="mia")
    before = snapshot(engine, area)
    with pytest.raises(BlockedError) as exc:
        engine.advance(area, actor="mia")
    assert codes(exc) == ["agreement_unsigned"]
    assert exc.value.blockers[0].message == "agreement not yet signed by social_planning"
    assert snapshot(engine, area) == before


def test_incomplete_agreement_blocks(engine: Engine, area: str) -> None:
    report(engine, area, "vorlauf")
    engine.set_agreement(area, actor="mia", topic="Ältere Menschen", scope="Nord")
    with pytest.raises(BlockedError) as exc:
        engine.sign_agreement(area, actor="mia")
    assert codes(exc) == ["agreement_incomplete"]
    assert "reasons, duration, start, review" in exc.value.blockers[0].message
    with pytest.raises(BlockedError) as exc2:
        engine.advance(area, actor="mia")
    assert codes(exc2) == ["agreement_incomplete", "agreement_unsigned", "agreement_unsigned"]


def test_change_after_signing_voids_the_signatures(engine: Engine, area: str) -> None:
    sign_agreement(engine, area)
    report(engine, area, "vorlauf")
    engine.set_agreement(area, actor="sven", review=date(2027, 9, 1))
    ag = engine.agreement(area, actor="mia")
    assert ag is not None and ag.signatures == {} and ag.version == 2
    with pytest.raises(BlockedError) as exc:
        engine.advance(area, actor="mia")
    assert codes(exc) == ["agreement_unsigned", "agreement_unsigned"]
    # the former version is kept, signatures and all
    v1 = engine.agreement(area, actor="mia", version=1)
    assert v1 is not None and sorted(v1.signatures) == ["moderation", "social_planning"]
    assert v1.review == date(2027, 7, 15)


def test_open_required_tasks_block_each_advance(engine: Engine, area: str) -> None:
    sign_agreement(engine, area)
    report(engine, area, "vorlauf")
    engine.advance(area, actor="mia")
    engine.report_task(area, "bedarfsanalyse", actor="mia")
    before = snapshot(engine, area)
    with pytest.raises(BlockedError) as exc:
        engine.advance(area, actor="mia")
    assert codes(exc) == ["task_open", "task_open"]
    assert "kg_arbeitsweise" in exc.value.blockers[0].message
    assert "ziel_handlungskatalog" in exc.value.blockers[1].message
    assert snapshot(engine, area) == before


def test_optional_tasks_of_providers_sbh_steering_never_block(engine: Engine, area: str) -> None:
    sign_agreement(engine, area)
    report(engine, area, "vorlauf")
    engine.advance(area, actor="mia")
    report(engine, area, "diagnose")
    # teilnahme_traeger, teilnahme_sbh, ressourcen_steuerung stay open
    assert engine.advance(area, actor="mia").to_state == "umsetzung"


def test_close_needs_both_approvals(engine: Engine, area: str) -> None:
    sign_agreement(engine, area)
    for phase in ("vorlauf", "diagnose", "umsetzung"):
        report(engine, area, phase)
        engine.advance(area, actor="mia")
    report(engine, area, "auswertung")
    why = {s.trigger: s for s in engine.why(area, actor="sven")}
    assert [b.code for b in why["close"].blockers] == ["approval_missing", "approval_missing"]
    engine.fire(area, "close", actor="sven")
    before = snapshot(engine, area)
    # approving twice is refused and writes nothing
    with pytest.raises(BlockedError) as exc:
        engine.fire(area, "close", actor="sven")
    assert codes(exc) == ["approval_missing"]
    assert "moderation" in exc.value.blockers[0].message
    assert snapshot(engine, area) == before
    assert engine.fire(area, "close", actor="mia").to_state == "abgeschlossen"


def test_close_blocked_by_open_tasks_records_no_approval(engine: Engine, area: str) -> None:
    sign_agreement(engine, area)
    for phase in ("vorlauf", "diagnose", "umsetzung"):
        report(engine, area, phase)
        engine.advance(area, actor="mia")
    before = snapshot(engine, area)
    with pytest.raises(BlockedError) as exc:
        engine.fire(area, "close", actor="mia")
    assert codes(exc) == ["task_open", "task_open", "approval_missing", "approval_missing"]
    assert snapshot(engine, area) == before


@pytest.mark.parametrize("trigger", ["cancel", "resume"])
def test_reason_required(engine: Engine, area: str, trigger: str) -> None:
    if trigger == "resume":
        sign_agreement(engine, area)
        for phase in ("vorlauf", "diagnose", "umsetzung"):
            report(engine, area, phase)
            engine.advance(area, actor="mia")
    before = snapshot(engine, area)
    with pytest.raises(BlockedError) as exc:
        engine.fire(area, trigger, actor="mia", reason="   ")
    assert codes(exc) == ["reason_required"]
    assert snapshot(engine, area) == before


def test_trigger_from_wrong_phase_and_unknown_trigger(engine: Engine, area: str) -> None:
    before = snapshot(engine, area)
    with pytest.raises(BlockedError) as exc:
        engine.fire(area, "close", actor="mia")
    assert codes(exc) == ["wrong_state"]
    from regsam_flow import InvalidInputError

    with pytest.raises(InvalidInputError, match="no transition 'fly'") as unknown:
        engine.fire(area, "fly", actor="mia")
    assert unknown.value.field == "trigger"
    assert snapshot(engine, area) == before


def test_role_guard(engine: Engine, area: str) -> None:
    sign_agreement(engine, area)
    report(engine, area, "vorlauf")
    before = snapshot(engine, area)
    # social planning may not start the diagnosis; a provider may not either
    for who in ("sven", "tom"):
        with pytest.raises(NotAllowedError) as exc:
            engine.advance(area, actor=who)
        assert [b.code for b in exc.value.blockers] == ["role_missing"]
    why = {s.trigger: s for s in engine.why(area, actor="tom")}
    assert why["start_diagnose"].allowed is False
    assert [b.code for b in why["start_diagnose"].blockers] == ["role_missing"]
    assert snapshot(engine, area) == before


def test_review_before_start_is_refused(engine: Engine, area: str) -> None:
    before = snapshot(engine, area)
    with pytest.raises(InvalidInputError, match="before the start date"):
        engine.set_agreement(area, actor="mia", start="15.07.2027", review="2027-01-15")
    with pytest.raises(InvalidInputError, match="not a date"):
        engine.set_agreement(area, actor="mia", start="15/07/2027")
    with pytest.raises(InvalidInputError, match="no field 'colour'"):
        engine.set_agreement(area, actor="mia", colour="blau")
    assert snapshot(engine, area) == before
