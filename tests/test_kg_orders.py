"""The KG's work orders and recommendations (issued at a recorded meeting,
reported on by their addressees or the moderation, overdue by the engine's
clock) and the missing resources it documents; refusals with their codes;
the final documentation shows them."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from regsam_flow.documents import render_dossier
from regsam_flow.engine import Engine
from regsam_flow.errors import BlockedError, InvalidInputError, NotAllowedError, NotFoundError
from regsam_flow.kg import Responsible
from regsam_flow.ports import FixedClock

from .cli_helpers import Cli, setup_area
from .conftest import report, sign_agreement

PAST = date(2026, 3, 12)


def _meeting(engine: Engine, area: str, held_on: date = PAST) -> int:
    return engine.record_meeting(area, actor="mia", held_on=held_on, place="ASZ").id


def _version(engine: Engine, area: str) -> int:
    return engine.get_area(area, actor="mia").version


def _blocked(call: object, code: str) -> None:
    assert callable(call)
    with pytest.raises(BlockedError) as err:
        call()
    assert [b.code for b in err.value.blockers] == [code]


def test_orders_to_a_provider_social_planning_and_an_outside_party(
    engine: Engine, area: str
) -> None:
    m = _meeting(engine, area)
    heard: list[str] = []
    engine.on("kg", lambda event: heard.append(event.entry.action))
    engine.add_goal(area, actor="mia", title="Treffpunkte")
    measure = engine.add_measure(
        area, 1, actor="mia", title="Café", responsible=Responsible("role", "provider")
    )
    before = _version(engine, area)
    to_tom = engine.issue_order(
        area,
        actor="mia",
        meeting=m,
        title="Räume für das Café suchen",
        addressee=Responsible("person", "tom"),
        due=date(2026, 6, 30),
        goal=1,
        measure=measure.id,
    )
    assert (to_tom.kind, to_tom.status, to_tom.note, to_tom.goal, to_tom.measure) == (
        "order",
        "open",
        "",
        1,
        measure.id,
    )
    assert _version(engine, area) == before + 1  # the area's version counts the change
    to_planning = engine.issue_order(
        area,
        actor="mia",
        meeting=m,
        title="Altersstruktur auswerten",
        addressee=Responsible("role", "social_planning"),
        due=date(2026, 5, 15),
    )
    outside = engine.issue_order(
        area,
        actor="mia",
        meeting=m,
        kind="recommendation",
        title="Bänke aufstellen",
        addressee=Responsible("outside", "Baureferat"),
        due=date(2026, 9, 1),
    )

    # the provider reports its own order; social planning the one to its role
    done = engine.report_order(area, to_tom.id, actor="tom", status="done", note="Raum im ASZ")
    assert (done.status, done.note, done.updated_by) == ("done", "Raum im ASZ", "tom")
    engine.report_order(area, to_planning.id, actor="sven", status="in_progress")
    # the moderation reports for the outside party
    declined = engine.report_order(
        area, outside.id, actor="mia", status="declined", note="kein Haushalt"
    )
    assert (declined.status, declined.updated_by) == ("declined", "mia")

    orders = engine.work_orders(area, actor="stella")
    assert [(o.id, o.status) for o in orders] == [
        (to_tom.id, "done"),
        (to_planning.id, "in_progress"),
        (outside.id, "declined"),
    ]
    assert [o.id for o in engine.work_orders(area, actor="sven", mine=True)] == [to_planning.id]
    assert [o.id for o in engine.work_orders(area, actor="tom", mine=True)] == [to_tom.id]
    assert [o.id for o in engine.work_orders(area, actor="mia", status="declined")] == [outside.id]

    entries = engine.history(actor="audrey", area=area)
    issued = [e.to_dict() for e in entries if e.action == "order_issued"]
    assert [(e["actor"], e["role"]) for e in issued] == [("mia", "moderation")] * 3
    assert issued[2]["details"] == {
        "order": outside.id,
        "kind": "recommendation",
        "title": "Bänke aufstellen",
        "addressee": {"kind": "outside", "name": "Baureferat"},
        "meeting": m,
        "due": "2026-09-01",
        "goal": None,
        "measure": None,
    }
    reported = [e.to_dict() for e in entries if e.action == "order_reported"]
    assert [(e["actor"], e["role"], e["details"]["status"]) for e in reported] == [
        ("tom", "provider", "done"),
        ("sven", "social_planning", "in_progress"),
        ("mia", "moderation", "declined"),
    ]
    assert reported[2]["reason"] == "kein Haushalt"
    assert heard[2:] == ["order_issued"] * 3 + ["order_reported"] * 3  # one kg event each


def test_overdue_orders_by_the_engines_clock(engine: Engine, area: str) -> None:
    engine.context.clock = FixedClock(datetime(2026, 7, 1, 10, 0, tzinfo=timezone.utc))
    m = _meeting(engine, area)

    def order(due: date, to: str = "tom") -> int:
        return engine.issue_order(
            area,
            actor="mia",
            meeting=m,
            title=f"bis {due}",
            addressee=Responsible("person", to),
            due=due,
        ).id

    late = order(date(2026, 6, 30))
    today = order(date(2026, 7, 1))
    done = order(date(2026, 6, 1))
    declined = order(date(2026, 6, 1), to="sven")
    engine.report_order(area, done, actor="tom", status="done")
    engine.report_order(area, declined, actor="sven", status="declined", note="nicht zuständig")
    assert [o.id for o in engine.work_orders(area, actor="mia", overdue=True)] == [late]
    engine.context.clock = FixedClock(datetime(2026, 7, 2, 10, 0, tzinfo=timezone.utc))
    assert [o.id for o in engine.work_orders(area, actor="mia", overdue=True)] == [late, today]
    engine.report_order(area, late, actor="tom", status="in_progress")
    assert [o.id for o in engine.work_orders(area, actor="tom", overdue=True, mine=True)] == [
        late,
        today,
    ]
    assert engine.work_orders(area, actor="sven", overdue=True, mine=True) == []


def test_refusals_write_nothing(engine: Engine, area: str) -> None:
    engine.add_person("eve", actor="root", name="Eve", email="eve@example.org")
    held = _meeting(engine, area)
    planned = engine.record_meeting(
        area, actor="mia", held_on=date.today() + timedelta(days=30), place="ASZ", planned=True
    ).id
    base = {
        "actor": "mia",
        "meeting": held,
        "title": "Auftrag",
        "addressee": Responsible("person", "tom"),
        "due": date(2026, 6, 30),
    }
    order = engine.issue_order(area, **base)  # type: ignore[arg-type]
    version = _version(engine, area)

    def refused(exc: type[Exception], field: str | None = None, **change: object) -> None:
        with pytest.raises(exc) as err:
            engine.issue_order(area, **{**base, **change})  # type: ignore[arg-type]
        if field is not None:
            assert getattr(err.value, "field", None) == field

    refused(InvalidInputError, "addressee", addressee=Responsible("person", "eve"))
    refused(InvalidInputError, "addressee", addressee=Responsible("role", "mayor"))
    refused(InvalidInputError, "addressee", addressee=Responsible("outside", " "))
    refused(InvalidInputError, "due", due=date(1850, 1, 1))
    refused(InvalidInputError, "due", due=PAST - timedelta(days=1))  # before the meeting
    refused(InvalidInputError, "kind", kind="wish")
    refused(InvalidInputError, "title", title="")
    refused(NotFoundError, meeting=999)
    refused(NotFoundError, goal=3)
    refused(NotFoundError, measure=77)
    refused(NotAllowedError, actor="tom")  # a provider issues no order
    refused(NotAllowedError, actor="sven")
    _blocked(lambda: engine.issue_order(area, **{**base, "meeting": planned}), "meeting_planned")  # type: ignore[arg-type]
    with pytest.raises(NotFoundError, match=f"no area '{area}'"):
        engine.issue_order(area, **{**base, "actor": "eve"})  # type: ignore[arg-type]

    # reports: only the addressee or the moderation; declined needs a note
    with pytest.raises(NotAllowedError, match="its addressee or the moderation"):
        engine.report_order(area, order.id, actor="sabine", status="done")
    with pytest.raises(InvalidInputError) as err:
        engine.report_order(area, order.id, actor="tom", status="declined")
    assert err.value.field == "note"
    with pytest.raises(InvalidInputError) as err:
        engine.report_order(area, order.id, actor="tom", status="finished")
    assert err.value.field == "status"
    with pytest.raises(NotFoundError, match="no order 99"):
        engine.report_order(area, 99, actor="mia", status="done")
    with pytest.raises(NotFoundError, match=f"no area '{area}'"):
        engine.work_orders(area, actor="eve")
    with pytest.raises(InvalidInputError):
        engine.add_missing_resource(area, actor="mia", text=" ")
    with pytest.raises(NotAllowedError):
        engine.add_missing_resource(area, actor="tom", text="Geld")

    assert _version(engine, area) == version
    assert [(o.id, o.status) for o in engine.work_orders(area, actor="mia")] == [(order.id, "open")]
    assert engine.missing_resources(area, actor="mia") == []


def test_missing_resources_and_a_final_area(engine: Engine, area: str) -> None:
    m = _meeting(engine, area)
    first = engine.add_missing_resource(
        area, actor="mia", text="Eine halbe Stelle Streetwork", estimate="0,5 Stellen"
    )
    engine.add_missing_resource(area, actor="mia", text="Räume für Jugendliche")
    got = engine.missing_resources(area, actor="tom")
    assert [(r.text, r.estimate, r.recorded_by) for r in got] == [
        ("Eine halbe Stelle Streetwork", "0,5 Stellen", "mia"),
        ("Räume für Jugendliche", "", "mia"),
    ]
    added = [e for e in engine.history(actor="audrey", area=area) if e.action == "resource_added"]
    assert json.loads(added[0].details)["resource"] == first.id
    order = engine.issue_order(
        area,
        actor="mia",
        meeting=m,
        title="Auftrag",
        addressee=Responsible("role", "provider"),
        due=date(2026, 6, 30),
    )
    engine.fire(area, "cancel", actor="mia", reason="Träger fehlt")
    for call in (
        lambda: engine.add_missing_resource(area, actor="mia", text="noch was"),
        lambda: engine.report_order(area, order.id, actor="tom", status="done"),
        lambda: engine.issue_order(
            area,
            actor="mia",
            meeting=m,
            title="x",
            addressee=Responsible("role", "provider"),
            due=date(2026, 6, 30),
        ),
    ):
        _blocked(call, "area_final")
    assert len(engine.missing_resources(area, actor="audrey")) == 2  # still read


def test_the_final_documentation_shows_orders_and_resources(engine: Engine, area: str) -> None:
    m = _meeting(engine, area)
    engine.add_goal(area, actor="mia", title="Treffpunkte für Ältere")
    engine.add_measure(
        area, 1, actor="mia", title="Seniorencafé", responsible=Responsible("role", "provider")
    )
    engine.adopt_catalogue(area, actor="mia", meeting=m)
    order = engine.issue_order(
        area,
        actor="mia",
        meeting=m,
        title="Räume suchen",
        addressee=Responsible("person", "tom"),
        due=date(2026, 6, 30),
        goal=1,
    )
    engine.report_order(area, order.id, actor="tom", status="done", note="Raum im ASZ")
    engine.add_missing_resource(area, actor="mia", text="Streetwork", estimate="0,5 Stellen")
    d = engine.dossier(area, actor="audrey")
    assert [o.title for o in d.kg.orders] == ["Räume suchen"]
    assert [r.text for r in d.kg.resources] == ["Streetwork"]
    assert [x.number for x in d.kg.meetings] == [1]
    assert d.kg.catalogue is not None and d.kg.catalogue.version == 1
    assert d.name_of("tom") == "Tom Träger"
    md = render_dossier(d, "md")
    assert "Räume suchen (zu Ziel 1)" in md
    assert "Raum im ASZ" in md and "Tom Träger" in md
    assert "Streetwork – Schätzung: 0,5 Stellen" in md
    assert "Treffpunkte für Ältere" in md and "Seniorencafé" in md
    html = render_dossier(d, "html")
    assert "Räume suchen" in html and "Streetwork" in html

    # the adopted (frozen) goals show the ratings the live goals got
    sign_agreement(engine, area)
    for phase in ("vorlauf", "diagnose", "umsetzung"):
        report(engine, area, phase)
        engine.advance(area, actor="mia")
    engine.rate_goal(area, 1, actor="mia", rating="partly", note="Café ja, Besuche nein")
    md = render_dossier(engine.dossier(area, actor="audrey"), "md")
    assert "**Bewertung:** teilweise erreicht" in md and "Café ja, Besuche nein" in md


# ------------------------------------------------------------------ the CLI
@pytest.fixture
def c(db_url: str, tmp_path: Path) -> Cli:
    return Cli(db_url, tmp_path / "home")


def test_cli_orders_and_resources(c: Cli) -> None:
    area = setup_area(c)
    c.ok("kg", "meeting", "add", area, "--date", "12.03.2026", "--place", "ASZ", user="mia")
    c.ok("kg", "goal", "add", area, "--title", "Treffpunkte", user="mia")
    c.ok("kg", "measure", "add", area, "1", "--title", "Café", "--role", "provider", user="mia")
    r = c.ok(
        "kg", "order", "add", area, "--meeting", "1", "--title", "Räume suchen",
        "--person", "tom", "--due", "30.04.2026", "--goal", "1", "--measure", "1", user="mia",
    )  # fmt: skip
    assert "Order 1 of hasenbergl-nord to person tom, due 30.04.2026." in r.output
    rec = c.json(
        "kg", "order", "add", area, "--meeting", "1", "--title", "Bänke aufstellen",
        "--outside", "Baureferat", "--due", "2099-01-31", "--kind", "recommendation",
        user="mia",
    )  # fmt: skip
    assert (rec["kind"], rec["addressee"], rec["due"], rec["status"]) == (
        "recommendation",
        {"kind": "outside", "name": "Baureferat"},
        "2099-01-31",
        "open",
    )
    c.ok("kg", "order", "add", area, "--meeting", "1", "--title", "Auswerten",
         "--role", "social_planning", "--due", "2026-05-15", user="mia")  # fmt: skip

    # refusals: exit codes and messages, nothing written
    for args, user, code, words in (
        (("--person", "eve", "--due", "30.04.2026"), "mia", 7, "holds no role"),
        (("--person", "tom", "--due", "31.02.2026"), "mia", 7, "due"),
        (("--person", "tom", "--due", "morgen"), "mia", 7, "due"),
        (("--person", "tom", "--due", "30.04.2026"), "tom", 3, "may not issue a work order"),
        (("--person", "tom", "--role", "sbh", "--due", "30.04.2026"), "mia", 2, "exactly one"),
    ):
        r = c.run("kg", "order", "add", area, "--meeting", "1", "--title", "T", *args, user=user)
        assert r.exit_code == code and words in r.output, (args, r.output)
    c.ok("kg", "meeting", "add", area, "--date", "01.01.2099", "--place", "ASZ", "--planned",
         user="mia")  # fmt: skip
    r = c.run("kg", "order", "add", area, "--meeting", "2", "--title", "T", "--person", "tom",
              "--due", "2099-02-01", user="mia")  # fmt: skip
    assert r.exit_code == 4 and "meeting_planned" in r.output

    r = c.run("kg", "order", "report", area, "1", "--status", "done", user="sabine")
    assert r.exit_code == 3 and "its addressee or the moderation" in r.output
    r = c.run("kg", "order", "report", area, "1", "--status", "declined", user="tom")
    assert r.exit_code == 7 and "note" in r.output
    r = c.ok("kg", "order", "report", area, "1", "--status", "done", "--note", "ASZ", user="tom")
    assert "Order 1 of hasenbergl-nord: done." in r.output
    c.ok("kg", "order", "report", area, "2", "--status", "in_progress", user="mia")

    rows = c.json("kg", "order", "list", area, user="stella")
    assert [(o["id"], o["status"]) for o in rows] == [(1, "done"), (2, "in_progress"), (3, "open")]
    assert rows[0]["note"] == "ASZ" and rows[0]["goal"] == 1 and rows[0]["measure"] == 1
    overdue = c.json("kg", "order", "list", area, "--overdue", user="mia")
    assert [o["id"] for o in overdue] == [3]  # due 2026-05-15, open; 1 is done, 2 lies ahead
    assert [o["id"] for o in c.json("kg", "order", "list", area, "--mine", user="sven")] == [3]
    assert [o["id"] for o in c.json("kg", "order", "list", area, "--status", "done")] == [1]
    text = c.ok("kg", "order", "list", area, user="tom").output
    assert "Räume suchen" in text and "outside Baurefer" in text
    r = c.run("kg", "order", "list", area, "--status", "finished")
    assert r.exit_code == 2

    r = c.ok("kg", "resource", "add", area, "--text", "Streetwork", "--estimate", "0,5 Stellen",
             user="mia")  # fmt: skip
    assert "Missing resource 1 of hasenbergl-nord recorded." in r.output
    r = c.run("kg", "resource", "add", area, "--text", "Geld", user="tom")
    assert r.exit_code == 3
    got = c.json("kg", "resource", "list", area, user="sabine")
    assert [(x["text"], x["estimate"]) for x in got] == [("Streetwork", "0,5 Stellen")]
    assert "Streetwork (0,5 Stellen)" in c.ok("kg", "resource", "list", area).output
    log = json.loads(c.ok("--json", "log", area, user="audrey").stdout)
    actions = [e["action"] for e in log]
    assert actions.count("order_issued") == 3 and actions.count("order_reported") == 2
    assert actions.count("resource_added") == 1
