"""The KG's mails: a recorded meeting's decisions to the area's people (who
may opt out), due and overdue work orders to their addressees, sent by the
reminders' send pass under the same rules (lease, back-off, exactly once),
as the mails people get look (parsed from the Maildir)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from email.message import EmailMessage
from pathlib import Path

import pytest

from regsam_flow import Engine
from regsam_flow.errors import NotAllowedError, NotFoundError
from regsam_flow.kg import KgMessage, Responsible
from regsam_flow.notifications import MaildirTransport, MailNotifier, SmtpTransport, read_maildir
from regsam_flow.persistence.memory import MemoryStore
from regsam_flow.ports import DeliveryError, FixedClock, KgNotice, Notifier, ReminderNotice

from .cli_helpers import Cli, setup_area
from .conftest import PEOPLE
from .databases import raw_connection
from .test_mail_support import smtp_server, text_of

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=timezone.utc)  # 10:00 in Berlin
HELD = date(2027, 2, 20)
DUE = date(2027, 7, 15)
ON_DAY = datetime(2027, 7, 15, 6, 0, tzinfo=timezone.utc)  # 08:00 CEST
OVERDUE = datetime(2027, 7, 16, 6, 0, tzinfo=timezone.utc)
DECISIONS = ("Das Café öffnet dienstags im ASZ.", "Die Bänke am Stanigplatz werden beantragt.")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    return tmp_path / "maildir"


@pytest.fixture
def engine(
    db_backend: str, request: pytest.FixtureRequest, clock: FixedClock, maildir: Path
) -> Iterator[Engine]:
    """As conftest's engine, on a clock of our own, mailing into a Maildir."""
    notifier = MailNotifier(MaildirTransport(maildir), clock=clock)
    if db_backend == "memory":
        e = Engine(store=MemoryStore(), clock=clock, notifier=notifier)
    else:
        e = Engine(request.getfixturevalue("db_url"), clock=clock, notifier=notifier)
    e.init("root", name="Root Admin", email="root@regsam.example")
    e.add_person(
        "audrey", actor="root", name="Audrey Auditorin", email="audrey@regsam.example", auditor=True
    )
    yield e
    e.close()


def _messages(engine: Engine, area: str | None = None) -> list[KgMessage]:
    return engine.kg_mails(actor="root", area=area)


def _slots(engine: Engine, area: str) -> list[tuple[str, int, datetime, str]]:
    return [(m.kind, m.ref, m.due_at, m.status) for m in _messages(engine, area)]


def _meeting(engine: Engine, area: str, decisions: tuple[str, ...] = DECISIONS) -> int:
    return engine.record_meeting(
        area, actor="mia", held_on=HELD, place="ASZ Hasenbergl", decisions=decisions
    ).id


def _order(engine: Engine, area: str, to: Responsible, due: date = DUE) -> int:
    m = _meeting(engine, area, decisions=())
    return engine.issue_order(
        area, actor="mia", meeting=m, title="Räume für das Café suchen", addressee=to, due=due
    ).id


def _audit(engine: Engine, action: str) -> list[dict[str, object]]:
    return [e.to_dict() for e in engine.history(actor="audrey") if e.action == action]


def _to(msg: EmailMessage) -> list[str]:
    return sorted(a.addr_spec for a in msg["To"].addresses)


def _text(msg: EmailMessage) -> str:
    body = msg.get_body(preferencelist=("plain",))
    assert body is not None
    content = body.get_content()
    assert isinstance(content, str)
    return content


ALL = sorted(email for _name, email, _role in PEOPLE.values())


# ------------------------------------------------------------ meetings
def test_a_recorded_meetings_decisions_go_to_the_areas_people_once(
    engine: Engine, area: str, maildir: Path
) -> None:
    engine.record_meeting(area, actor="mia", held_on=date(2027, 4, 1), place="ASZ", planned=True)
    engine.record_meeting(area, actor="mia", held_on=HELD, place="ASZ")  # no decisions
    assert _messages(engine) == []
    meeting = _meeting(engine, area)
    assert _slots(engine, area) == [("meeting_decisions", meeting, T0, "pending")]

    first = engine.send_due()
    second = engine.send_due()
    [sent] = _messages(engine)
    assert first.messages.sent == [sent.id] and sent.status == "sent"
    assert second.messages.sent == [] and second.to_dict()["messages"]["sent"] == []
    [msg] = read_maildir(maildir)
    assert msg["Subject"] == "Beschlüsse des Kooperationsgremiums Hasenbergl-Nord vom 20.02.2027"
    assert _to(msg) == ALL
    assert msg["Message-ID"] == sent.message_id
    text = _text(msg)
    assert "1. Das Café öffnet dienstags im ASZ." in text
    assert "2. Die Bänke am Stanigplatz werden beantragt." in text
    assert f"regsam-flow kg meeting show {area} {meeting}" in text
    html = msg.get_body(preferencelist=("html",))
    assert html is not None and "<li>Das Café öffnet dienstags im ASZ.</li>" in html.get_content()
    [entry] = _audit(engine, "kg_mail_sent")
    assert (entry["actor"], entry["area"]) == ("regsam-flow", area)
    assert entry["details"] == {
        "message": sent.id,
        "kind": "meeting_decisions",
        "ref": meeting,
        "message_id": sent.message_id,
        "to": [PEOPLE[p][1] for p in ("mia", "tom", "sabine", "sven", "stella")],  # by role
    }


def test_a_person_who_opted_out_gets_no_decisions(engine: Engine, area: str, maildir: Path) -> None:
    tom = engine.set_decision_mails("tom", False, actor="tom")  # themself
    assert tom.decision_mails is False
    engine.set_decision_mails("sabine", False, actor="root")  # an admin
    with pytest.raises(NotAllowedError, match="only sven themself or an admin"):
        engine.set_decision_mails("sven", False, actor="mia")
    with pytest.raises(NotFoundError, match="no user 'nobody'"):
        engine.set_decision_mails("nobody", False, actor="root")
    assert engine.get_person("sven", actor="root").decision_mails is True
    changed = _audit(engine, "mail_preference_changed")
    assert [(e["actor"], e["details"]) for e in changed] == [
        ("tom", {"person": "tom", "decision_mails": False}),
        ("root", {"person": "sabine", "decision_mails": False}),
    ]
    _meeting(engine, area)
    engine.send_due()
    [msg] = read_maildir(maildir)
    assert "tom@traeger.example" not in _to(msg)
    assert "sabine@muenchen.example" not in _to(msg)
    assert len(_to(msg)) == 3


def test_decisions_nobody_takes_fail_with_the_reason_after_the_attempts(
    engine: Engine, area: str, clock: FixedClock
) -> None:
    for pid in PEOPLE:
        engine.set_decision_mails(pid, False, actor="root")
    _meeting(engine, area)
    now = T0
    for _attempt in range(5):  # the policy's max_attempts
        report = engine.send_due(now)
        now += timedelta(hours=7)  # past every back-off
    [m] = _messages(engine)
    assert (m.status, m.attempts) == ("failed", 5)
    assert report.messages.failed == [m.id]
    assert "nobody holding a role in area 'hasenbergl-nord' has an email" in m.last_error
    [entry] = _audit(engine, "kg_mail_failed")
    assert entry["details"]["attempts"] == 5  # type: ignore[index]


# ------------------------------------------------------------ orders
def test_issuing_plans_due_and_overdue_and_settling_cancels(engine: Engine, area: str) -> None:
    oid = _order(engine, area, Responsible("person", "tom"))
    assert _slots(engine, area) == [
        ("order_due", oid, ON_DAY, "pending"),
        ("order_overdue", oid, OVERDUE, "pending"),
    ]
    engine.report_order(area, oid, actor="tom", status="in_progress")
    assert [s[3] for s in _slots(engine, area)] == ["pending", "pending"]
    engine.report_order(area, oid, actor="tom", status="done")
    assert [s[3] for s in _slots(engine, area)] == ["cancelled", "cancelled"]
    assert engine.send_due(OVERDUE + timedelta(days=30)).messages.sent == []
    # open again (before its due date): reminded again as before
    engine.report_order(area, oid, actor="mia", status="open")
    assert _slots(engine, area) == [
        ("order_due", oid, ON_DAY, "pending"),
        ("order_overdue", oid, OVERDUE, "pending"),
    ]


def test_an_order_issued_late_is_overdue_at_once(engine: Engine, area: str) -> None:
    oid = _order(engine, area, Responsible("role", "social_planning"), due=date(2027, 2, 25))
    assert _slots(engine, area) == [("order_overdue", oid, T0, "pending")]


def test_due_then_overdue_weekly_until_done(engine: Engine, area: str, maildir: Path) -> None:
    oid = _order(engine, area, Responsible("person", "tom"))
    assert engine.send_due(ON_DAY - timedelta(minutes=1)).messages.sent == []
    engine.send_due(ON_DAY)
    engine.send_due(ON_DAY + timedelta(hours=1))
    [due] = read_maildir(maildir)
    assert due["Subject"] == (
        "Heute fällig: Arbeitsauftrag „Räume für das Café suchen“ (Hasenbergl-Nord) am 15.07.2027"
    )
    assert _to(due) == ["tom@traeger.example"]
    text = _text(due)
    assert "Fällig am:   15.07.2027" in text
    assert f"regsam-flow kg order report {area} {oid} --status done" in text

    # the overdue one also goes to the moderation; the next a week later
    engine.send_due(OVERDUE)
    engine.send_due(OVERDUE + timedelta(days=1))
    mails = read_maildir(maildir)
    assert len(mails) == 2
    assert mails[1]["Subject"].startswith("Überfällig: Arbeitsauftrag „Räume für das Café suchen“")
    assert _to(mails[1]) == ["mia@regsam.example", "tom@traeger.example"]
    assert "(1 Tag überfällig)" in _text(mails[1]).replace("\n", " ")
    week = OVERDUE + timedelta(days=7)
    assert [s for s in _slots(engine, area) if s[3] == "pending"] == [
        ("order_overdue", oid, week, "pending")
    ]
    # a pass after weeks without one folds the missed ones into one
    engine.send_due(week + timedelta(days=15))
    assert len(read_maildir(maildir)) == 3
    assert [s[2] for s in _slots(engine, area) if s[3] == "pending"] == [
        OVERDUE + timedelta(days=28)
    ]
    engine.report_order(area, oid, actor="tom", status="declined", note="kein Raum frei")
    assert engine.send_due(OVERDUE + timedelta(days=60)).messages.sent == []
    assert len(read_maildir(maildir)) == 3


@pytest.mark.parametrize(
    ("to", "due_to", "overdue_to"),
    [
        (Responsible("role", "social_planning"), ["sven"], ["mia", "sven"]),
        (Responsible("outside", "Baureferat"), ["mia"], ["mia"]),
        (Responsible("role", "moderation"), ["mia"], ["mia"]),
    ],
)
def test_recipients_by_addressee(
    engine: Engine,
    area: str,
    maildir: Path,
    to: Responsible,
    due_to: list[str],
    overdue_to: list[str],
) -> None:
    _order(engine, area, to)
    engine.send_due(ON_DAY)
    engine.send_due(OVERDUE)
    due, overdue = read_maildir(maildir)
    assert _to(due) == sorted(PEOPLE[p][1] for p in due_to)
    assert _to(overdue) == sorted(PEOPLE[p][1] for p in overdue_to)
    if to.kind == "outside":
        assert "Für:         Baureferat" in _text(due)


def test_an_order_to_a_role_nobody_holds_fails_with_the_reason(engine: Engine, area: str) -> None:
    oid = _order(engine, area, Responsible("role", "sbh"))
    engine.unassign(area, "sbh", "sabine", actor="mia")
    report = engine.send_due(ON_DAY)
    [m] = [x for x in _messages(engine) if x.kind == "order_due"]
    assert report.messages.retrying == [m.id]
    assert m.last_error == (
        f"InvalidInputError: nobody with an email gets order {oid} of area 'hasenbergl-nord' "
        "(addressed to role sbh)"
    )


# ------------------------------------------------------------ delivery rules
class _Failing(Notifier):
    def __init__(self, permanent: bool) -> None:
        self.permanent = permanent
        self.calls = 0

    def notify(self, notice: ReminderNotice) -> None:  # pragma: no cover - no reminders here
        raise AssertionError("no reminders in this test")

    def notify_kg(self, notice: KgNotice) -> None:
        self.calls += 1
        raise DeliveryError("mail server says no", permanent=self.permanent)


def test_a_temporary_failure_is_retried_with_backoff_then_sent(
    engine: Engine, area: str, maildir: Path
) -> None:
    real = engine.notifier
    engine.notifier = _Failing(permanent=False)
    _meeting(engine, area)
    report = engine.send_due(T0)
    [m] = _messages(engine)
    assert report.messages.retrying == [m.id]
    assert (m.status, m.attempts, m.next_attempt_at) == ("pending", 1, T0 + timedelta(minutes=1))
    assert m.last_error == "DeliveryError: mail server says no"
    assert engine.send_due(T0 + timedelta(seconds=30)).messages.retrying == []  # not yet
    engine.notifier = real
    assert engine.send_due(T0 + timedelta(minutes=1)).messages.sent == [m.id]
    assert len(read_maildir(maildir)) == 1


def test_a_permanent_failure_fails_at_once_and_the_overdue_series_goes_on(
    engine: Engine, area: str
) -> None:
    oid = _order(engine, area, Responsible("person", "tom"))
    failing = _Failing(permanent=True)
    engine.notifier = failing
    report = engine.send_due(OVERDUE)  # the due one and the overdue one
    assert len(report.messages.failed) == 2 and failing.calls == 2
    assert [s for s in _slots(engine, area) if s[3] == "pending"] == [
        ("order_overdue", oid, OVERDUE + timedelta(days=7), "pending")
    ]


def test_two_workers_at_once_send_each_mail_once(engine: Engine, area: str, maildir: Path) -> None:
    for _ in range(3):
        _meeting(engine, area)
    clock = engine.clock
    assert isinstance(clock, FixedClock)
    if isinstance(engine.store, MemoryStore):
        other = Engine(store=engine.store, clock=clock, notifier=engine.notifier)
    else:  # a second engine of its own on the same database
        other = Engine(engine.url, clock=clock, notifier=engine.notifier)
    start = threading.Barrier(2)
    reports = []

    def work(e: Engine, name: str) -> None:
        start.wait()
        reports.append(e.send_due(T0, worker=name))

    threads = [threading.Thread(target=work, args=x) for x in ((engine, "A"), (other, "B"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if other is not engine:
        other.close()
    sent = sorted(i for r in reports for i in r.messages.sent)
    assert sent == sorted(m.id for m in _messages(engine))
    assert len(read_maildir(maildir)) == 3
    assert len(_audit(engine, "kg_mail_sent")) == 3


def test_a_lease_another_worker_holds_is_left_alone(engine: Engine, area: str) -> None:
    _meeting(engine, area)
    [m] = _messages(engine)
    with engine.context.store.write() as uow:
        assert uow.claim_kg_message(m.id, "other", T0, T0 + timedelta(minutes=10))
    assert engine.send_due(T0).messages.sent == []
    assert engine.send_due(T0 + timedelta(minutes=11)).messages.sent == [m.id]


def test_closing_the_area_cancels_its_pending_mails(engine: Engine, area: str) -> None:
    _order(engine, area, Responsible("person", "tom"))
    with engine.context.store.write() as uow:  # as a transition to a final state does
        from regsam_flow.model import AreaChange

        a = uow.get_area(area)
        assert a is not None
        saved = uow.save_area(
            AreaChange(area, a.version, a.state, a.round, T0, cancel_reminders=True)
        )
    assert saved.kg_messages_cancelled == 2
    assert [s[3] for s in _slots(engine, area)] == ["cancelled", "cancelled"]


def test_a_dry_run_lists_the_mails_it_would_send(engine: Engine, area: str) -> None:
    meeting = _meeting(engine, area)
    report = engine.send_due(T0, actor="root", dry_run=True)
    [planned] = report.messages.would_send
    assert (planned.kind, planned.ref, planned.error) == ("meeting_decisions", meeting, None)
    assert sorted(planned.to) == ALL
    data = report.to_dict()["messages"]
    assert data["would_send"][0]["kind"] == "meeting_decisions"
    assert [m.status for m in _messages(engine)] == ["pending"]


# ------------------------------------------------------------ over SMTP
def test_an_overdue_order_is_reminded_once_over_a_real_smtp_server(
    engine: Engine, area: str
) -> None:
    oid = _order(engine, area, Responsible("person", "tom"))
    engine.report_order(area, oid, actor="tom", status="in_progress")
    with engine.context.store.write() as uow:  # no on-day mail: only the overdue one
        uow.cancel_kg_messages(area, ref=oid, kinds=("order_due",))
    with smtp_server() as server:
        engine.notifier = MailNotifier(
            SmtpTransport(f"smtp://{server.host}:{server.port}"),
            sender="REGSAM <buero@regsam.example>",
            clock=FixedClock(OVERDUE),
        )
        first = engine.send_due(OVERDUE + timedelta(minutes=5), worker="A")
        second = engine.send_due(OVERDUE + timedelta(minutes=6), worker="B")
    assert len(first.messages.sent) == 1 and second.messages.sent == []
    [got] = server.received
    assert sorted(got.rcpt_tos) == ["mia@regsam.example", "tom@traeger.example"]
    msg = got.message
    assert msg["Subject"] == (
        "Überfällig: Arbeitsauftrag „Räume für das Café suchen“ (Hasenbergl-Nord), "
        "fällig am 15.07.2027"
    )
    text = text_of(msg, "plain")
    assert "Titel:       Räume für das Café suchen" in text
    assert "Fällig am:   15.07.2027" in text
    assert "Stand:       in Arbeit" in text
    assert "Für:         Tom Träger" in text
    assert f"regsam-flow kg order report {area} {oid} --status done" in text
    assert msg["Message-ID"] == f"<kg-{first.messages.sent[0]}.order_overdue.{area}@regsam-flow>"
    assert len(_audit(engine, "kg_mail_sent")) == 1


# ------------------------------------------------------------ the CLI
@pytest.fixture
def c(db_url: str, tmp_path: Path) -> Cli:
    return Cli(db_url, tmp_path / "home")


def test_cli_opt_out_send_due_and_list(c: Cli) -> None:
    area = setup_area(c)
    assert c.json("user", "mail", "tom", "--no-decisions", user="tom")["decision_mails"] is False
    r = c.run("user", "mail", "sven", "--no-decisions", user="tom")
    assert r.exit_code == 3 and "only sven themself or an admin" in r.stderr
    r = c.run("user", "mail", "nobody", "--decisions")
    assert r.exit_code == 6 and "no user 'nobody'" in r.stderr
    r = c.run("user", "mail", "tom")
    assert r.exit_code == 2 and "--decisions or --no-decisions" in r.output
    assert (
        "tom gets the KG meetings' decisions by mail."
        in c.ok("user", "mail", "tom", "--decisions").stdout
    )
    c.ok("user", "mail", "tom", "--no-decisions")
    people = {p["id"]: p["decision_mails"] for p in c.json("user", "list")}
    assert (people["tom"], people["mia"]) == (False, True)
    assert "no mail" in c.ok("user", "list").stdout

    c.ok(
        "kg", "meeting", "add", area, "--date", "12.03.2026", "--place", "ASZ",
        "--decision", "Das Café öffnet dienstags.", user="mia",
    )  # fmt: skip
    c.ok(
        "kg", "order", "add", area, "--meeting", "1", "--title", "Räume suchen",
        "--outside", "Baureferat", "--due", "30.04.2026", user="mia",
    )  # fmt: skip
    dry = c.json("reminders", "send-due", "--dry-run")
    assert sorted(w["kind"] for w in dry["messages"]["would_send"]) == [
        "meeting_decisions",
        "order_overdue",
    ]
    out = c.ok("reminders", "send-due", user="nobody").stdout  # cron, under any login
    assert "KG mails: sent 2, retrying 0, failed 0, cancelled 0" in out
    mails = read_maildir(c.home / "maildir")
    decisions = next(m for m in mails if m["Subject"].startswith("Beschlüsse"))
    assert "tom@traeger.example" not in _to(decisions) and len(_to(decisions)) == 4
    order = next(m for m in mails if m["Subject"].startswith("Überfällig"))
    assert _to(order) == ["mia@regsam.example"]
    assert c.json("reminders", "send-due")["messages"]["sent"] == []
    listed = c.json("reminders", "mails", "--area", area)
    assert [(m["kind"], m["status"]) for m in listed] == [
        ("meeting_decisions", "sent"),
        ("order_overdue", "sent"),
        ("order_overdue", "pending"),  # a week later
    ]
    assert "decisions of meeting 1" in c.ok("reminders", "mails", user="mia").stdout
    r = c.run("reminders", "mails", "--area", area, user="nobody")
    assert r.exit_code == 3
    # the moderation sees the overdue order
    overdue = c.json("kg", "order", "list", area, "--overdue", user="mia")
    assert [o["title"] for o in overdue] == ["Räume suchen"]
    changed = [e for e in c.json("log", user="audrey") if e["action"] == "mail_preference_changed"]
    assert [e["details"]["decision_mails"] for e in changed] == [False, True, False]


def test_upgrading_from_0006_keeps_people_who_get_the_decisions(db_url: str) -> None:
    from regsam_flow.persistence import SqlStore

    store = SqlStore(db_url)
    store.upgrade("0006")
    store.close()
    with raw_connection(db_url) as con:
        con.execute(
            "INSERT INTO people VALUES ('root', 'Root', 'r@example.org', '', ?, ?, "
            "'2026-01-01T00:00:00.000000Z')",
            (True, False),
        )
        assert "kg_messages" not in con.tables()
    e = Engine(db_url)
    e.init("root")
    assert e.get_person("root", actor="root").decision_mails is True
    assert e.kg_mails(actor="root") == []
    e.close()


def test_the_english_mails_read_as_english() -> None:
    from regsam_flow.notifications.render import ReminderRenderer
    from regsam_flow.ports import Recipient

    base = {
        "message_id": 7,
        "mail_id": "<kg-7@regsam-flow>",
        "area": "hasenbergl-nord",
        "area_name": "Hasenbergl-Nord",
        "district": "24",
        "recipients": (Recipient("mia", "Mia Moderatorin", "mia@regsam.example", "moderation"),),
        "language": "en",
    }
    renderer = ReminderRenderer()
    order = renderer.render_kg(
        KgNotice(
            kind="order_overdue",
            order_id=3,
            order_title="Find rooms",
            order_kind="recommendation",
            order_due=DUE,
            order_status="open",
            addressee="Baureferat",
            days=-2,
            **base,  # type: ignore[arg-type]
        ),
        now=OVERDUE,
    )
    assert order["Subject"] == (
        'Overdue: recommendation "Find rooms" (Hasenbergl-Nord), due on 15 July 2027'
    )
    assert "(2 days overdue)" in _text(order).replace("\n", " ")
    assert order["Content-Language"] == "en"
    decisions = renderer.render_kg(
        KgNotice(
            kind="meeting_decisions",
            meeting_id=1,
            meeting_number=1,
            meeting_date=HELD,
            meeting_place="ASZ",
            decisions=("Open the café.",),
            **base,  # type: ignore[arg-type]
        ),
        now=T0,
    )
    assert decisions["Subject"] == "Decisions of the KG Hasenbergl-Nord of 20 February 2027"
    assert "1. Open the café." in _text(decisions)
