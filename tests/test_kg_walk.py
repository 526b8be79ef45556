"""One focus area on the shipped version 2 walked from its first KG meeting
to its close, on every store, with the mails going over a real SMTP server
on loopback: two meetings, a catalogue adopted, changed and adopted again,
orders to a provider (reported by the provider), to the social planning and
to an outside party, an overdue order reminded exactly once, a missing
resource, every goal rated, the final documentation recorded and checked
(and a changed file found); close allowed only then.  Each refusal on the
way names its blocker code and changes nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone

import pytest

from regsam_flow import Engine
from regsam_flow.errors import BlockedError, InvalidInputError, NotAllowedError
from regsam_flow.kg import Responsible
from regsam_flow.notifications import MailNotifier, SmtpTransport
from regsam_flow.persistence.memory import MemoryStore
from regsam_flow.ports import FixedClock

from .conftest import AGREEMENT, PEOPLE
from .test_mail_support import Server, smtp_server, text_of

AREA = "hasenbergl-nord"
START = datetime(2027, 2, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def server() -> Iterator[Server]:
    with smtp_server() as s:
        yield s


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def engine(
    db_backend: str, request: pytest.FixtureRequest, clock: FixedClock, server: Server
) -> Iterator[Engine]:
    notifier = MailNotifier(
        SmtpTransport(f"smtp://{server.host}:{server.port}"),
        sender="REGSAM <buero@regsam.example>",
        clock=clock,
    )
    if db_backend == "memory":
        e = Engine(store=MemoryStore(), clock=clock, notifier=notifier)
    else:
        e = Engine(request.getfixturevalue("db_url"), clock=clock, notifier=notifier)
    e.init("root", name="Root Admin", email="root@regsam.example")
    e.add_person(
        "audrey", actor="root", name="Audrey Auditorin", email="audrey@regsam.example", auditor=True
    )
    for pid, (name, email, _role) in PEOPLE.items():
        e.add_person(pid, actor="root", name=name, email=email)
    e.add_person("otto", actor="root", name="Otto Außen", email="otto@x.example")
    e.create_area(AREA, actor="root", name="Hasenbergl-Nord", district="24")
    for pid, (_n, _e, role) in PEOPLE.items():
        e.assign(AREA, role, pid, actor="root")
    yield e
    e.close()


def _tick(engine: Engine) -> None:
    """Report every required task of the current phase, each by someone of its roles."""
    holder = {role: pid for pid, (_n, _e, role) in PEOPLE.items()}
    state = engine.get_area(AREA, actor="mia").state
    for t in engine.tasks(AREA, actor="mia", phase=state):
        if t.required and not t.done:
            engine.report_task(AREA, t.id, actor=holder[t.roles[0]])


def _refused(engine: Engine, trigger: str, actor: str = "mia") -> list[str]:
    before = engine.head().entries
    with pytest.raises(BlockedError) as err:
        engine.fire(AREA, trigger, actor=actor)
    assert engine.head().entries == before  # a refusal writes nothing
    return [b.code for b in err.value.blockers]


def _send(engine: Engine, clock: FixedClock, at: datetime) -> list[int]:
    clock.set(at)
    return list(engine.send_due(at, worker="walk").messages.sent)


def test_a_focus_area_walks_through_the_kgs_work_to_its_close(
    engine: Engine, clock: FixedClock, server: Server
) -> None:
    assert engine.get_area(AREA, actor="mia").workflow_version == 2
    engine.set_agreement(AREA, actor="mia", **AGREEMENT)
    engine.sign_agreement(AREA, actor="mia")
    engine.sign_agreement(AREA, actor="sven")
    _tick(engine)
    engine.advance(AREA, actor="mia")

    # ---- diagnose: the first meeting fixes the working method
    _tick(engine)
    assert _refused(engine, "start_umsetzung") == ["catalogue_not_adopted"]
    first = engine.record_meeting(
        AREA,
        actor="mia",
        held_on=date(2027, 1, 28),
        place="ASZ Hasenbergl",
        attendees=["mia", "sven", "tom"],
        guests=["Frau Huber (Bezirksausschuss)"],
        decisions=[
            "Arbeitsweise: Das KG tagt monatlich; die Teilnahme ist verbindlich.",
            "Bedarf: Treffpunkte für Ältere fehlen.",
        ],
        minutes="Erste Sitzung des Kooperationsgremiums.",
    )
    with pytest.raises(InvalidInputError) as future:
        engine.record_meeting(
            AREA, actor="mia", held_on=date(2027, 3, 1), place="ASZ", decisions=["zu früh"]
        )
    assert future.value.field == "date"
    seniors = engine.add_goal(AREA, actor="mia", title="Treffpunkte für Ältere")
    youth = engine.add_goal(AREA, actor="mia", title="Angebote für Jugendliche")
    engine.add_measure(
        AREA,
        seniors.number,
        actor="mia",
        title="Seniorencafé im ASZ",
        responsible=Responsible("person", "tom"),
    )
    v1 = engine.adopt_catalogue(AREA, actor="mia", meeting=first.id)
    # changed after adoption: must be adopted again
    engine.add_measure(
        AREA,
        youth.number,
        actor="mia",
        title="Streetwork am Stanigplatz",
        responsible=Responsible("role", "social_planning"),
    )
    assert _refused(engine, "start_umsetzung") == ["catalogue_not_adopted"]
    clock.set(START + timedelta(days=10))
    second = engine.record_meeting(
        AREA,
        actor="sven",
        held_on=date(2027, 2, 10),
        place="Kulturzentrum 2411",
        attendees=["mia", "sven"],
        decisions=["Der geänderte Katalog wird beschlossen."],
    )
    v2 = engine.adopt_catalogue(AREA, actor="mia", meeting=second.id)
    assert (v1.version, v2.version) == (1, 2)
    kept = engine.catalogue_versions(AREA, actor="tom")
    assert [(v.version, v.meeting) for v in kept] == [(1, first.id), (2, second.id)]
    engine.advance(AREA, actor="mia")
    assert engine.get_area(AREA, actor="mia").state == "umsetzung"

    # each meeting's decisions went to the area's people, once
    sent = _send(engine, clock, START + timedelta(days=10, minutes=1))
    assert len(sent) == 2
    assert _send(engine, clock, START + timedelta(days=10, minutes=2)) == []
    decisions = [m for m in server.received if "Beschl" in str(m.message["Subject"])]
    assert len(decisions) == 2
    everyone = sorted(email for _n, email, _r in PEOPLE.values())
    assert all(sorted(m.rcpt_tos) == everyone for m in decisions)
    assert any("die Teilnahme ist verbindlich" in text_of(m.message, "plain") for m in decisions)

    # ---- umsetzung: orders to a provider, the social planning, an outside party
    with pytest.raises(InvalidInputError) as nobody:
        engine.issue_order(
            AREA,
            actor="mia",
            meeting=second.id,
            title="Räume suchen",
            addressee=Responsible("person", "otto"),
            due=date(2027, 5, 1),
        )
    assert nobody.value.field == "addressee"
    to_tom = engine.issue_order(
        AREA,
        actor="mia",
        meeting=second.id,
        title="Räume für das Seniorencafé suchen",
        addressee=Responsible("person", "tom"),
        due=date(2027, 5, 1),
        goal=seniors.number,
    )
    to_sven = engine.issue_order(
        AREA,
        actor="mia",
        meeting=second.id,
        title="Mittel für Streetwork beantragen",
        addressee=Responsible("role", "social_planning"),
        due=date(2027, 6, 1),
        kind="recommendation",
    )
    to_gewofag = engine.issue_order(
        AREA,
        actor="mia",
        meeting=second.id,
        title="Bänke am Stanigplatz aufstellen",
        addressee=Responsible("outside", "GEWOFAG"),
        due=date(2027, 6, 1),
    )
    with pytest.raises(NotAllowedError):
        engine.report_order(AREA, to_sven.id, actor="tom", status="done")
    engine.report_order(AREA, to_tom.id, actor="tom", status="in_progress")
    engine.report_order(AREA, to_sven.id, actor="sven", status="done")
    engine.report_order(
        AREA, to_gewofag.id, actor="mia", status="declined", note="Keine Fläche frei"
    )
    engine.add_missing_resource(
        AREA, actor="mia", text="Eine halbe Stelle Streetwork", estimate="0,5 Stellen"
    )

    # tom's order is overdue: one mail, however many passes run
    overdue = datetime(2027, 5, 2, 6, 0, tzinfo=timezone.utc)  # 08:00 in Berlin
    before = len(server.received)
    first_pass = _send(engine, clock, overdue + timedelta(minutes=5))
    second_pass = _send(engine, clock, overdue + timedelta(minutes=6))
    reminded = server.received[before:]
    overdue_mails = [m for m in reminded if "Überfällig" in str(m.message["Subject"])]
    assert len(overdue_mails) == 1 and second_pass == [] and first_pass
    assert "tom@traeger.example" in overdue_mails[0].rcpt_tos
    assert "Räume für das Seniorencafé suchen" in text_of(overdue_mails[0].message, "plain")
    overdue_ids = [o.id for o in engine.work_orders(AREA, actor="mia", overdue=True)]
    assert overdue_ids == [to_tom.id]
    engine.report_order(AREA, to_tom.id, actor="tom", status="done", note="Raum im ASZ")

    _tick(engine)
    engine.advance(AREA, actor="mia")

    # ---- auswertung: ratings and the final documentation before the close
    _tick(engine)
    assert _refused(engine, "close")[:2] == ["goals_not_rated", "documentation_missing"]
    engine.rate_goal(AREA, seniors.number, actor="mia", rating="achieved", note="Café läuft")
    assert _refused(engine, "close")[:2] == ["goals_not_rated", "documentation_missing"]
    engine.rate_goal(AREA, youth.number, actor="sven", rating="partly", note="Stelle fehlt")
    assert _refused(engine, "close")[:1] == ["documentation_missing"]
    rendered = engine.record_final_document(AREA, format="html", actor="mia")
    content = rendered.content
    for fact in (
        b"Treffpunkte f\xc3\xbcr \xc3\x84ltere",
        b"GEWOFAG",
        b"Keine Fl\xc3\xa4che frei",
        b"Eine halbe Stelle Streetwork",
        b"Stelle fehlt",
    ):
        assert fact in content
    check = engine.check_final_document(AREA, content, actor="audrey")
    assert check.matches and check.sha256 == hashlib.sha256(content).hexdigest()
    changed = content.replace(b"Stelle fehlt", b"alles erreicht")
    assert not engine.check_final_document(AREA, changed, actor="audrey").matches

    assert not engine.fire(AREA, "close", actor="mia").fired  # the first approval
    assert engine.fire(AREA, "close", actor="sven").fired
    assert engine.get_area(AREA, actor="mia").state == "abgeschlossen"
    assert engine.check_final_document(AREA, content, actor="tom").matches
    assert engine.verify().ok
