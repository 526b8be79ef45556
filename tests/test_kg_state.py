"""The KG's state at a glance (``Engine.kg_state``): what ``area show``
(text and ``--json`` under ``kg``) and ``why`` show of the KG's records,
and the KG blockers of version 2 with their codes in ``why``."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from regsam_flow.engine import Engine
from regsam_flow.errors import NotFoundError
from regsam_flow.kg import KgState, Responsible
from regsam_flow.ports import FixedClock

from .cli_helpers import Cli, setup_area, sign
from .cli_helpers import report as cli_report
from .conftest import PEOPLE, report, sign_agreement

KG_AREA = "milbertshofen"
NOW = datetime(2026, 7, 1, 10, 0, tzinfo=timezone.utc)
GUARDS = ("catalogue_adopted", "final_documentation_recorded", "goals_rated")


@pytest.fixture
def v2_area(engine: Engine, area: str) -> str:
    """An area on the newest version (the shipped 2), in diagnose, the
    same people in the same roles as ``area``; the engine's clock fixed."""
    engine.context.clock = FixedClock(NOW)
    engine.create_area(KG_AREA, actor="root", name="Milbertshofen")
    for pid, (_n, _e, role) in PEOPLE.items():
        engine.assign(KG_AREA, role, pid, actor="root")
    sign_agreement(engine, KG_AREA)
    report(engine, KG_AREA, "vorlauf")
    engine.advance(KG_AREA, actor="mia")
    return KG_AREA


def _fill(engine: Engine, area: str) -> None:
    """Two meetings held, one planned; two goals (one with a measure), the
    catalogue adopted and then changed; four orders: one overdue, one due
    later, one done, one declined; a missing resource."""
    first = engine.record_meeting(area, actor="mia", held_on=date(2026, 3, 12), place="ASZ")
    second = engine.record_meeting(
        area, actor="mia", held_on=date(2026, 5, 7), place="Jugendtreff", decisions=["Katalog"]
    )
    engine.record_meeting(
        area, actor="mia", held_on=date(2026, 9, 3), place="Rathaus", planned=True
    )
    engine.add_goal(area, actor="mia", title="Treffpunkte")
    engine.add_goal(area, actor="mia", title="Konflikte klären")
    engine.add_measure(
        area, 1, actor="mia", title="Café", responsible=Responsible("role", "provider")
    )
    engine.adopt_catalogue(area, actor="mia", meeting=second.id)
    engine.add_measure(
        area, 2, actor="mia", title="Sprechstunde", responsible=Responsible("person", "sven")
    )

    def order(due: date, to: str) -> int:
        return engine.issue_order(
            area, actor="mia", meeting=first.id, title=f"bis {due}",
            addressee=Responsible("person", to), due=due,
        ).id  # fmt: skip

    order(date(2026, 6, 30), "tom")  # overdue
    order(date(2026, 7, 31), "tom")  # open, not due yet
    engine.report_order(area, order(date(2026, 6, 1), "tom"), actor="tom", status="done")
    engine.report_order(
        area, order(date(2026, 6, 1), "sven"), actor="sven", status="declined", note="nein"
    )
    engine.add_missing_resource(area, actor="mia", text="Streetwork", estimate="0,5 Stellen")


def test_an_area_without_records_on_version_2(engine: Engine, v2_area: str) -> None:
    st = engine.kg_state(v2_area, actor="mia")
    assert st == KgState(guards=GUARDS)
    assert not st.empty
    # version 1 names no KG guard: nothing to show there
    assert engine.kg_state("hasenbergl-nord", actor="mia").empty


def test_the_state_counts_the_kgs_records(engine: Engine, v2_area: str) -> None:
    _fill(engine, v2_area)
    st = engine.kg_state(v2_area, actor="mia")
    assert (st.meetings_held, st.meetings_planned) == (2, 1)
    assert st.last_meeting is not None and st.last_meeting.place == "Jugendtreff"
    assert st.next_meeting is not None and st.next_meeting.held_on == date(2026, 9, 3)
    assert (st.adopted_version, st.changed_since_adoption) == (1, True)
    assert (st.goals, st.goals_with_measures, st.goals_rated) == (2, 2, 0)
    assert (st.orders_open, st.orders_overdue, st.orders_done, st.orders_declined) == (2, 1, 1, 1)
    assert st.missing_resources == 1 and st.final_document is None
    assert st.guards == GUARDS
    # the overdue count follows the engine's clock
    engine.context.clock = FixedClock(datetime(2026, 8, 1, 10, 0, tzinfo=timezone.utc))
    assert engine.kg_state(v2_area, actor="mia").orders_overdue == 2


def test_the_final_documentation_and_ratings_show(engine: Engine, v2_area: str) -> None:
    _fill(engine, v2_area)
    engine.adopt_catalogue(v2_area, actor="mia", meeting=2)
    for task in ("kg_arbeitsweise", "bedarfsanalyse"):  # version 2's required tasks
        engine.report_task(v2_area, task, actor="mia")
    engine.advance(v2_area, actor="mia")  # diagnose -> umsetzung
    report(engine, v2_area, "umsetzung")
    engine.advance(v2_area, actor="mia")  # -> auswertung
    engine.rate_goal(v2_area, 1, actor="sven", rating="achieved", note="gut")
    rec = engine.record_final_document(v2_area, format="md", actor="mia").document
    st = engine.kg_state(v2_area, actor="mia")
    assert (st.adopted_version, st.changed_since_adoption, st.goals_rated) == (2, False, 1)
    assert st.final_document == rec


@pytest.mark.parametrize("who", ["mia", "tom", "sabine", "stella", "root", "audrey"])
def test_everyone_with_a_role_admins_and_auditors_read_it(
    engine: Engine, v2_area: str, who: str
) -> None:
    _fill(engine, v2_area)
    assert engine.kg_state(v2_area, actor=who).orders_done == 1


def test_an_outsider_is_told_there_is_no_such_area(engine: Engine, v2_area: str) -> None:
    engine.add_person("otto", actor="root", name="Otto Außen", email="otto@example.org")
    with pytest.raises(NotFoundError):
        engine.kg_state(v2_area, actor="otto")
    with pytest.raises(NotFoundError):
        engine.kg_state("nirgends", actor="root")


# ------------------------------------------------------------------ the CLI
@pytest.fixture
def c(db_url: str, tmp_path: Path) -> Cli:
    return Cli(db_url, tmp_path / "home")


def test_area_show_and_why_show_the_kg_and_its_blockers(c: Cli) -> None:
    setup_area(c)  # on version 1: no KG section while it has no record
    assert "\nKG" not in c.ok("area", "show", "hasenbergl-nord", user="mia").stdout
    c.ok(
        "kg",
        "meeting",
        "add",
        "hasenbergl-nord",
        "--date",
        "12.03.2026",
        "--place",
        "ASZ",
        user="mia",
    )
    v1 = c.ok("area", "show", "hasenbergl-nord", user="mia").stdout
    assert "\nKG (its records guard no step of this workflow version)\n" in v1
    assert "meetings:            1 held, 0 planned" in v1
    area = KG_AREA
    c.ok("area", "create", area, "--name", "Milbertshofen")
    for pid, (_n, _e, role) in PEOPLE.items():
        c.ok("area", "assign", area, role, pid)
    sign(c, area)
    cli_report(c, area, "vorlauf")  # version 2 keeps version 1's vorlauf
    c.ok("advance", area, user="mia")
    c.ok("kg", "meeting", "add", area, "--date", "12.03.2026", "--place", "ASZ", user="mia")
    c.ok("kg", "goal", "add", area, "--title", "Treffpunkte", user="mia")

    shown = c.ok("area", "show", area, user="tom").stdout
    assert "\nKG\n" in shown
    assert "meetings:            1 held, 0 planned; last 1 on 12.03.2026 (ASZ)" in shown
    assert "catalogue:           not adopted" in shown
    assert "goals:               1: 0 with measures, 0 of 1 rated" in shown
    assert "final documentation: not recorded" in shown
    assert shown.index("\nKG\n") < shown.index("Next steps")
    assert "catalogue_not_adopted: " in shown

    kg = c.json("area", "show", area, user="audrey")["kg"]
    assert kg["meetings"]["held"] == 1 and kg["meetings"]["last"]["place"] == "ASZ"
    assert kg["catalogue"] == {"adopted_version": None, "changed_since_adoption": False}
    assert kg["goals"] == {"total": 1, "with_measures": 0, "rated": 0}
    assert kg["orders"] == {"open": 0, "overdue": 0, "done": 0, "declined": 0}
    assert kg["final_document"] is None and kg["missing_resources"] == 0
    assert kg["guards"] == list(GUARDS)

    why = c.ok("why", area, user="mia").stdout
    assert "start_umsetzung -> umsetzung: blocked" in why
    assert "catalogue_not_adopted: " in why and "\nKG\n" in why
    steps = c.json("why", area, user="mia")
    codes = [b["code"] for s in steps for b in s["blockers"]]
    assert "catalogue_not_adopted" in codes

    c.ok("user", "add", "otto", "--name", "Otto", "--email", "otto@example.org")
    for cmd in (["area", "show", area], ["why", area]):
        r = c.run(*cmd, user="otto")
        assert r.exit_code == 6 and "KG" not in r.output
