"""The inbox (everything waiting for one person across all their areas,
most urgent first, each with its command) and the areas' overview with its
filters; "did you mean" for unknown ids."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from regsam_flow.engine import Engine
from regsam_flow.errors import InvalidInputError, NotFoundError
from regsam_flow.kg import Responsible
from regsam_flow.ports import FixedClock

from .conftest import AGREEMENT, sign_agreement

SECOND = "moosach-ost"
INBOX_KEYS = {
    "kind",
    "area",
    "area_name",
    "workflow",
    "ref",
    "role",
    "title",
    "due",
    "days_left",
    "urgency",
    "command",
}
URGENT = ("overdue", "due", "soon", "open", "optional")


def _two_areas(engine: Engine, area: str) -> None:
    """The conftest's area with a signed agreement (review 15.07.2027) and a
    second area on version 2 where mia moderates, sven plans and tom is a
    provider; its agreement signed by mia only; today is 10.07.2027."""
    engine.context.clock = FixedClock(datetime(2027, 7, 10, 8, 0, tzinfo=timezone.utc))
    sign_agreement(engine, area)
    engine.create_area(SECOND, actor="root", name="Moosach-Ost")
    for role, who in (("moderation", "mia"), ("social_planning", "sven"), ("provider", "tom")):
        engine.assign(SECOND, role, who, actor="root")
    engine.set_agreement(SECOND, actor="mia", **{**AGREEMENT, "review": date(2028, 1, 15)})
    engine.sign_agreement(SECOND, actor="mia")
    m = engine.record_meeting(SECOND, actor="mia", held_on=date(2027, 6, 1), place="ASZ").id
    engine.issue_order(
        SECOND,
        actor="mia",
        meeting=m,
        title="Räume suchen",
        addressee=Responsible("person", "tom"),
        due=date(2027, 7, 1),
    )
    engine.issue_order(
        SECOND,
        actor="mia",
        meeting=m,
        title="Angebote sammeln",
        addressee=Responsible("role", "provider"),
        due=date(2027, 9, 30),
    )


def _ranks(items: list[dict[str, object]]) -> list[int]:
    return [URGENT.index(str(i["urgency"])) for i in items]


def test_a_moderators_inbox_across_areas_by_urgency(engine: Engine, area: str) -> None:
    _two_areas(engine, area)
    items = [i.to_dict() for i in engine.inbox(actor="mia")]
    assert all(set(i) == INBOX_KEYS for i in items)
    assert _ranks(items) == sorted(_ranks(items))
    first = items[0]
    assert (first["kind"], first["area"], first["urgency"], first["days_left"]) == (
        "review",
        area,
        "due",
        5,
    )
    assert first["command"] == f"regsam-flow review {area} --continue --next DATE | --end"
    tasks = {(i["area"], i["ref"]) for i in items if i["kind"] == "task"}
    assert (area, "schwerpunktziel") in tasks and (SECOND, "schwerpunktziel") in tasks
    assert (area, "datenmaterial") not in tasks  # social planning's
    assert f"regsam-flow task done {area} partner_traeger" in [i["command"] for i in items]
    # mia signed the second area's agreement: nothing to sign for her
    assert not [i for i in items if i["kind"] == "signature"]


def test_a_social_planners_inbox_has_the_signature_they_owe(engine: Engine, area: str) -> None:
    _two_areas(engine, area)
    items = [i.to_dict() for i in engine.inbox(actor="sven")]
    assert _ranks(items) == sorted(_ranks(items))
    signs = [i for i in items if i["kind"] == "signature"]
    assert [(i["area"], i["role"], i["command"]) for i in signs] == [
        (SECOND, "social_planning", f"regsam-flow agreement sign {SECOND}")
    ]
    assert {(i["area"], i["ref"]) for i in items if i["kind"] == "task"} >= {
        (area, "datenmaterial"),
        (SECOND, "datenmaterial"),
    }
    assert items[0]["kind"] == "review"


def test_a_providers_inbox_has_their_work_orders_overdue_first(engine: Engine, area: str) -> None:
    _two_areas(engine, area)
    items = [i.to_dict() for i in engine.inbox(actor="tom")]
    assert all(set(i) == INBOX_KEYS for i in items)
    orders = [i for i in items if i["kind"] == "order"]
    assert [(o["ref"], o["urgency"], o["role"]) for o in orders] == [
        ("1", "overdue", ""),
        ("2", "open", "provider"),
    ]
    assert items[0] == orders[0]
    assert items[0]["command"] == f"regsam-flow kg order report {SECOND} 1 --status done"
    engine.report_order(SECOND, 1, actor="tom", status="done")
    assert [i.ref for i in engine.inbox(actor="tom") if i.kind == "order"] == ["2"]


def test_an_inbox_shows_approvals_waiting_and_a_phase_to_advance(engine: Engine, area: str) -> None:
    _two_areas(engine, area)
    for task in ("schwerpunktziel", "partner_traeger", "kommunikation"):
        engine.report_task(area, task, actor="mia")
    for task in ("partner_verwaltung", "datenmaterial"):
        engine.report_task(area, task, actor="sven")
    advance = [i for i in engine.inbox(actor="mia") if i.kind == "advance"]
    assert [(i.area, i.ref, i.command) for i in advance] == [
        (area, "start_diagnose", f"regsam-flow advance {area}")
    ]
    assert not [i for i in engine.inbox(actor="sven") if i.kind == "advance"]


def test_the_overview_next_step_who_owes_it_and_filters(engine: Engine, area: str) -> None:
    _two_areas(engine, area)
    rows = {r.area: r for r in engine.area_overview(actor="root")}
    first = rows[area]
    assert (first.kind, first.state, first.next_step, first.days_left) == (
        "area",
        "vorlauf",
        "start_diagnose",
        5,
    )
    assert "schwerpunktziel" in first.open_tasks and set(first.owed_by) == {"mia", "sven"}
    assert set(first.to_dict()) >= {"owed_by", "open_tasks", "review", "days_left", "kind"}
    within = [r.area for r in engine.area_overview(actor="root", review_within=30)]
    assert within == [area]
    for task in ("schwerpunktziel", "partner_traeger", "kommunikation"):
        engine.report_task(area, task, actor="mia")
    # only social planning's tasks are open now: sven owes the next step, mia not
    assert area in [r.area for r in engine.area_overview(actor="root", owes="sven")]
    assert area not in [r.area for r in engine.area_overview(actor="root", owes="mia")]
    engine.add_person("ute", actor="root", name="Ute", email="ute@regsam.example")
    engine.assign(SECOND, "sbh", "ute", actor="mia")
    assert [r.area for r in engine.area_overview(actor="ute")] == [SECOND]
    assert engine.area_overview(actor="root", state="diagnose") == []


def test_an_unknown_state_lists_the_known_ones(engine: Engine, area: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        engine.area_overview(actor="root", state="diagnosis")
    assert err.value.field == "state"
    assert "'diagnosis'" in err.value.message
    assert "diagnose" in err.value.message and "nominiert" in err.value.message


def test_unknown_ids_get_did_you_mean(engine: Engine, area: str) -> None:
    with pytest.raises(NotFoundError) as err:
        engine.status("hasenbergl-nrd", actor="mia")
    assert err.value.message == "no area 'hasenbergl-nrd'; did you mean 'hasenbergl-nord'?"
    with pytest.raises(NotFoundError) as err:
        engine.assign(area, "provider", "tomm", actor="mia")
    assert err.value.message == "no user 'tomm'; did you mean 'tom'?"
    with pytest.raises(NotFoundError) as err:
        engine.report_task(area, "schwerpunktzeil", actor="mia")
    assert "did you mean 'schwerpunktziel'?" in err.value.message
    with pytest.raises(InvalidInputError) as wrong:  # the area exists; the trigger given is wrong
        engine.fire(area, "cancell", actor="mia")
    assert "did you mean 'cancel'?" in wrong.value.message
    assert wrong.value.field == "trigger"
    with pytest.raises(NotFoundError) as err:
        engine.status("qqq", actor="mia")
    assert err.value.message == "no area 'qqq'"


def test_did_you_mean_suggests_no_area_the_caller_may_not_see(engine: Engine, area: str) -> None:
    engine.add_person("ute", actor="root", name="Ute", email="ute@regsam.example")
    with pytest.raises(NotFoundError) as err:
        engine.status("hasenbergl-nrd", actor="ute")
    assert err.value.message == "no area 'hasenbergl-nrd'"


def test_a_selection_panels_inbox_assessment_vote_decision(engine: Engine) -> None:
    from .test_selection import PANEL, assess, vote_all

    cand = "auswahl-2027-moosach"
    for pid in PANEL:
        engine.add_person(pid, actor="root", name=pid.title(), email=f"{pid}@example.org")
    engine.create_area(cand, actor="root", name="Moosach", workflow="gebietsauswahl")
    engine.assign(cand, "nominator", "root", actor="root")
    for pid, role in PANEL.items():
        engine.assign(cand, role, pid, actor="root")
    engine.set_fields(
        cand,
        {"runde": "2027", "quelle": "monitoring", "gebiet": "moosach", "viertel": "10.31",
         "umgriff": "Moosach", "gruende": "Monitoring"},
        actor="root",
    )  # fmt: skip
    assert [(i.kind, i.command) for i in engine.inbox(actor="rita")] == [
        ("assessment", f"regsam-flow selection assess {cand} ...")
    ]
    assert engine.inbox(actor="arne") == []
    assess(engine, cand)
    engine.fire(cand, "bewerten", actor="sara")
    assert [i.kind for i in engine.inbox(actor="rolf")] == ["vote"]
    engine.vote(cand, True, actor="rolf")
    assert engine.inbox(actor="rolf") == []
    assert [r.kind for r in engine.area_overview(actor="root")] == ["selection"]
    assert engine.area_overview(actor="root")[0].owed_by == ("rita", "sara", "stefan")
    vote_all(engine, cand, {"rita": True, "sara": False, "stefan": True})
    assert [(i.kind, i.command) for i in engine.inbox(actor="arne")] == [
        ("decision", f"regsam-flow selection decide {cand} select|reject")
    ]


def test_inbox_texts_and_did_you_mean_in_german(engine: Engine, area: str) -> None:
    from regsam_flow.i18n import use_language

    _two_areas(engine, area)
    with use_language("de"):
        items = engine.inbox(actor="tom")
        with pytest.raises(NotFoundError) as err:
            engine.status("hasenbergl-nrd", actor="mia")
    assert items[0].title == "Arbeitsauftrag 1: Räume suchen"
    assert items[0].kind == "order" and items[0].urgency == "overdue"
    assert err.value.message == "Kein Gebiet 'hasenbergl-nrd'; meinten Sie 'hasenbergl-nord'?"
    assert err.value.code == "not_found"
