"""The KG's guards (``catalogue_adopted``, ``goals_rated``,
``final_documentation_recorded``) and version 2 of the focus-area workflow
that names them (workflows/schwerpunktgebiet-v2.yaml, shipped): an area on
it leaves diagnose only with an adopted catalogue and closes only with
every goal rated and the final documentation recorded."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timezone
from types import SimpleNamespace
from typing import cast

import pytest

from regsam_flow import Engine
from regsam_flow.documents import render_dossier
from regsam_flow.engine import Engine as CoreEngine
from regsam_flow.errors import BlockedError, InvalidInputError, NotAllowedError
from regsam_flow.guards import (
    BUILTIN_GUARDS,
    KG_GUARDS,
    GuardContext,
    catalogue_adopted,
    final_documentation_recorded,
    goals_rated,
)
from regsam_flow.kg import FinalDocument, Goal, KgFacts, Measure, Responsible
from regsam_flow.persistence.memory import MemoryStore

from .conftest import PEOPLE, report, sign_agreement

KG_AREA = "milbertshofen"
PAST = date(2026, 3, 12)
NOW = datetime(2026, 11, 30, 12, tzinfo=timezone.utc)


# ------------------------------------------------------------ each guard alone
def _ctx(kg: KgFacts) -> GuardContext:
    """A guard context holding only the KG's facts (all these guards read)."""
    return cast(GuardContext, SimpleNamespace(kg=kg))


def _goal(number: int, measures: int = 1, rating: str | None = None) -> Goal:
    return Goal(
        id=number,
        area=KG_AREA,
        number=number,
        title=f"Ziel {number}",
        description="",
        measures=tuple(
            Measure(i, number, f"M{i}", Responsible("role", "provider")) for i in range(measures)
        ),
        rating=rating,
    )


def _codes(blockers: object) -> list[str]:
    assert isinstance(blockers, list)
    return [b.code for b in blockers]


def test_the_kg_guards_are_builtin_and_known_as_kg_guards() -> None:
    names = {"catalogue_adopted", "goals_rated", "final_documentation_recorded"}
    assert set(BUILTIN_GUARDS) >= names
    assert set(KG_GUARDS) == names


def test_catalogue_adopted_needs_an_unchanged_adopted_catalogue_with_a_measure() -> None:
    none = catalogue_adopted(_ctx(KgFacts(goals=(_goal(1),))))
    assert _codes(none) == ["catalogue_not_adopted"]
    assert "not adopted" in none[0].message
    changed = catalogue_adopted(
        _ctx(KgFacts(adopted_version=2, changed_since_adoption=True, goals=(_goal(1),)))
    )
    assert _codes(changed) == ["catalogue_not_adopted"]
    assert "since version 2" in changed[0].message
    empty = catalogue_adopted(_ctx(KgFacts(adopted_version=1, goals=(_goal(1, measures=0),))))
    assert _codes(empty) == ["catalogue_not_adopted"]
    assert "no goal with at least one measure" in empty[0].message
    ok = KgFacts(adopted_version=1, goals=(_goal(1, measures=0), _goal(2)))
    assert catalogue_adopted(_ctx(ok)) == []


def test_goals_rated_names_the_goals_not_rated() -> None:
    facts = KgFacts(goals=(_goal(1, rating="achieved"), _goal(2), _goal(3)))
    blockers = goals_rated(_ctx(facts))
    assert _codes(blockers) == ["goals_not_rated"]
    assert "2 (Ziel 2), 3 (Ziel 3)" in blockers[0].message
    assert "Ziel 1" not in blockers[0].message
    rated = KgFacts(goals=(_goal(1, rating="achieved"), _goal(2, rating="not_achieved")))
    assert goals_rated(_ctx(rated)) == []


def test_final_documentation_recorded_needs_a_record_of_the_data_as_it_is() -> None:
    assert _codes(final_documentation_recorded(_ctx(KgFacts()))) == ["documentation_missing"]
    doc = FinalDocument(KG_AREA, "html", 10, "0" * 64, "mia", NOW)
    assert final_documentation_recorded(_ctx(KgFacts(final_document=doc))) == []
    old = FinalDocument(
        KG_AREA, "html", 10, "0" * 64, "mia", NOW, changes_since=("goal_rated", "goal_rated")
    )
    blockers = final_documentation_recorded(_ctx(KgFacts(final_document=old)))
    assert _codes(blockers) == ["documentation_stale"]
    assert "2026-11-30 13:00 (goal_rated): record it again" in blockers[0].message


# ------------------------------------------------- an area on version 2 walks
@pytest.fixture
def v2_area(engine: Engine, area: str) -> str:
    """Beside ``area`` (pinned to version 1) a second area on the newest
    version, the shipped version 2, the same people in the same roles."""
    assert engine.workflows.versions("schwerpunktgebiet") == [1, 2]
    engine.create_area(KG_AREA, actor="root", name="Milbertshofen")
    for pid, (_n, _e, role) in PEOPLE.items():
        engine.assign(KG_AREA, role, pid, actor="root")
    assert engine.get_area(KG_AREA, actor="root").workflow_version == 2
    assert engine.get_area(area, actor="root").workflow_version == 1
    return KG_AREA


def _blocked(engine: Engine, area: str, trigger: str, actor: str = "mia") -> list[str]:
    with pytest.raises(BlockedError) as err:
        engine.fire(area, trigger, actor=actor)
    return [b.code for b in err.value.blockers]


def _why(engine: Engine, area: str, trigger: str) -> list[str]:
    step = {s.trigger: s for s in engine.why(area, actor="mia")}[trigger]
    return [b.code for b in step.blockers]


def test_version_2_drops_the_checkbox_tasks_the_data_replaces(engine: Engine, v2_area: str) -> None:
    ids = {
        t.id
        for phase in ("diagnose", "auswertung")
        for t in engine.tasks(v2_area, actor="mia", phase=phase)
    }
    assert "ziel_handlungskatalog" not in ids and "abschlussdokumentation" not in ids
    assert {"kg_arbeitsweise", "bedarfsanalyse", "gemeinsame_auswertung"} <= ids


def test_a_v2_area_walks_through_the_kg_to_close(engine: Engine, v2_area: str) -> None:
    a = v2_area
    sign_agreement(engine, a)
    report(engine, a, "vorlauf")
    engine.advance(a, actor="mia")
    for task in ("kg_arbeitsweise", "bedarfsanalyse"):
        engine.report_task(a, task, actor="mia")

    # diagnose: no catalogue adopted
    assert _why(engine, a, "start_umsetzung") == ["catalogue_not_adopted"]
    before = engine.head().entries
    assert _blocked(engine, a, "start_umsetzung") == ["catalogue_not_adopted"]
    assert engine.head().entries == before  # a refusal writes nothing
    first = engine.record_meeting(
        a, actor="mia", held_on=PAST, place="ASZ", decisions=["Arbeitsweise: monatlich"]
    )
    engine.add_goal(a, actor="mia", title="Treffpunkte für Ältere")
    engine.adopt_catalogue(a, actor="mia", meeting=first.id)
    # adopted, but no goal has a measure
    assert _why(engine, a, "start_umsetzung") == ["catalogue_not_adopted"]
    engine.add_measure(
        a, 1, actor="mia", title="Seniorencafé", responsible=Responsible("role", "provider")
    )
    # a measure added: changed since version 1
    blockers = {s.trigger: s for s in engine.why(a, actor="mia")}["start_umsetzung"].blockers
    assert [b.code for b in blockers] == ["catalogue_not_adopted"]
    assert "adopt it again" in blockers[0].message
    engine.adopt_catalogue(a, actor="mia", meeting=first.id)
    assert _why(engine, a, "start_umsetzung") == []
    engine.advance(a, actor="mia")

    report(engine, a, "umsetzung")
    engine.advance(a, actor="mia")
    assert engine.get_area(a, actor="mia").state == "auswertung"

    # auswertung: goals not rated, no final documentation
    engine.report_task(a, "gemeinsame_auswertung", actor="mia")
    assert _why(engine, a, "close") == [
        "goals_not_rated",
        "documentation_missing",
        "approval_missing",
        "approval_missing",
    ]
    assert _blocked(engine, a, "close") == [
        "goals_not_rated",
        "documentation_missing",
        "approval_missing",
        "approval_missing",
    ]
    engine.rate_goal(a, 1, actor="sven", rating="partly", note="Café ja")
    assert _why(engine, a, "close")[:1] == ["documentation_missing"]
    rendered = engine.record_final_document(a, format="html", actor="mia")
    doc = rendered.document
    assert doc.sha256 == hashlib.sha256(rendered.content).hexdigest()
    assert "Café ja".encode() in rendered.content  # the rating's note, as the data says
    assert _why(engine, a, "close") == ["approval_missing", "approval_missing"]
    assert engine.kg_facts(a, actor="tom").final_document == doc

    # the data changes after the record: it no longer shows the area as it is
    engine.rate_goal(a, 1, actor="sven", rating="achieved", note="Café läuft")
    engine.add_missing_resource(a, actor="mia", text="Eine halbe Stelle Streetwork")
    stale = engine.kg_facts(a, actor="tom").final_document
    assert stale is not None and stale.stale
    assert stale.changes_since == ("goal_rated", "resource_added")
    checked = engine.check_final_document(a, rendered.content, actor="tom")
    assert checked.matches and checked.recorded is not None and checked.recorded.stale
    assert _blocked(engine, a, "close") == [
        "documentation_stale",
        "approval_missing",
        "approval_missing",
    ]
    again = engine.record_final_document(a, format="html", actor="mia")
    assert b"Eine halbe Stelle Streetwork" in again.content
    assert not again.document.stale and again.document.seq > doc.seq
    # what changes no data of the documentation leaves it as it is
    engine.reopen_task(a, "gemeinsame_auswertung", actor="mia", reason="noch einmal")
    engine.report_task(a, "gemeinsame_auswertung", actor="mia")
    assert _why(engine, a, "close") == ["approval_missing", "approval_missing"]

    assert not engine.fire(a, "close", actor="mia").fired
    assert engine.fire(a, "close", actor="sven").fired
    assert engine.get_area(a, actor="mia").state == "abgeschlossen"
    # closing is no change to what it documents: the record still stands
    closed = engine.check_final_document(a, again.content, actor="audrey")
    assert closed.matches and closed.recorded is not None and not closed.recorded.stale
    assert engine.kg_facts(a, actor="tom").final_document == closed.recorded


def test_an_engine_without_a_renderer_records_no_final_documentation() -> None:
    """The core engine renders through its port; one made without a
    renderer says so and records nothing (regsam_flow.Engine plugs one in)."""
    core = CoreEngine(store=MemoryStore())
    core.init("root", name="Root", email="root@regsam.example")
    before = core.head().entries
    with pytest.raises(InvalidInputError) as err:
        core.record_final_document("nowhere", format="md", actor="root")
    assert err.value.field == "renderer"
    assert core.head().entries == before


def test_a_v1_area_knows_no_kg_guard(engine: Engine, area: str) -> None:
    sign_agreement(engine, area)
    report(engine, area, "vorlauf")
    engine.advance(area, actor="mia")
    report(engine, area, "diagnose")
    assert _why(engine, area, "start_umsetzung") == []


# ------------------------------------------------ the final documentation kept
def _to_auswertung(engine: Engine, area: str) -> None:
    sign_agreement(engine, area)
    for phase in ("vorlauf", "diagnose", "umsetzung"):
        report(engine, area, phase)
        engine.advance(area, actor="mia")


def test_the_final_documentation_is_recorded_in_the_audit_log(engine: Engine, area: str) -> None:
    with pytest.raises(BlockedError) as err:
        engine.record_final_document(area, format="md", actor="mia")
    assert [b.code for b in err.value.blockers] == ["not_in_evaluation"]
    _to_auswertung(engine, area)
    before = engine.head().entries
    with pytest.raises(NotAllowedError):
        engine.record_final_document(area, format="md", actor="sven")
    with pytest.raises(InvalidInputError) as bad:
        engine.record_final_document(area, format="pdf", actor="mia")
    assert bad.value.field == "format"
    assert engine.head().entries == before
    # the engine renders what it records: the data of the unit of work
    expected = render_dossier(engine.dossier(area, actor="mia"), "md").encode()
    assert engine.check_final_document(area, expected, actor="tom").recorded is None

    rendered = engine.record_final_document(area, format="md", actor="mia")
    content, doc = rendered.content, rendered.document
    assert content == expected
    last = engine.history(actor="audrey", area=area)[-1]
    assert (last.action, last.actor, last.role) == (
        "final_documentation_recorded",
        "mia",
        "moderation",
    )
    assert last.to_dict()["details"] == {
        "format": "md",
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
    }
    assert (doc.format, doc.size, doc.recorded_by) == ("md", len(content), "mia")

    same = engine.check_final_document(area, content, actor="tom")
    assert same.matches and same.recorded == doc
    other = engine.check_final_document(area, content + b" ", actor="audrey")
    assert not other.matches and other.sha256 != doc.sha256

    # a newer record replaces it; the older one stays in the log
    newer = engine.record_final_document(area, format="html", actor="mia").content
    assert engine.kg_facts(area, actor="mia").final_document.format == "html"  # type: ignore[union-attr]
    assert not engine.check_final_document(area, content, actor="mia").matches
    assert engine.check_final_document(area, newer, actor="mia").matches


# ------------------------------------------- v1 areas moved to version 2
def test_a_v1_area_in_diagnose_moved_to_v2_is_blocked_by_the_catalogue(
    engine: Engine, area: str
) -> None:
    sign_agreement(engine, area)
    report(engine, area, "vorlauf")
    engine.advance(area, actor="mia")
    report(engine, area, "diagnose")
    plan = engine.migrate_area(area, 2, actor="mia", dry_run=True)
    assert plan.can_move and plan.next_trigger == "start_umsetzung"
    assert [b.code for b in plan.blocked_by] == ["catalogue_not_adopted"]
    assert plan.tasks_dropped == ("abschlussdokumentation", "ziel_handlungskatalog")
    engine.migrate_area(area, 2, actor="mia")
    assert _blocked(engine, area, "start_umsetzung") == ["catalogue_not_adopted"]


def test_a_v1_area_in_umsetzung_moved_to_v2_closes_only_with_the_kg_records(
    engine: Engine, area: str
) -> None:
    sign_agreement(engine, area)
    for phase in ("vorlauf", "diagnose"):
        report(engine, area, phase)
        engine.advance(area, actor="mia")
    engine.record_meeting(area, actor="mia", held_on=PAST, place="ASZ", decisions=["Arbeitsweise"])
    engine.add_goal(area, actor="mia", title="Treffpunkte")
    plan = engine.migrate_area(area, 2, actor="root")
    assert plan.next_trigger == "start_auswertung"
    assert {b.code for b in plan.blocked_by} == {"task_open"}  # no KG guard before close
    report(engine, area, "umsetzung")
    engine.advance(area, actor="mia")
    engine.report_task(area, "gemeinsame_auswertung", actor="mia")
    assert _blocked(engine, area, "close")[:2] == ["goals_not_rated", "documentation_missing"]
    engine.rate_goal(area, 1, actor="mia", rating="not_achieved", note="kein Raum")
    engine.record_final_document(area, format="md", actor="mia")
    assert not engine.fire(area, "close", actor="mia").fired
    assert engine.fire(area, "close", actor="sven").fired
