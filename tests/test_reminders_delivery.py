"""Review-date reminders delivered for real: a SQLite file, an aiosmtpd server
on 127.0.0.1, and the messages it received read back.

The send passes get explicit ``now`` moments instead of sleeping; only the
scheduler-process test runs against the wall clock, and every wait there is
bounded.  The workflow's policy: 28 and 7 days before the review date, on the
day, then every 7 days while overdue, at 08:00 Europe/Berlin, at most 5
attempts with a backoff of 1, 2, 4, ... minutes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from datetime import time as dtime
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from regsam_flow import Engine
from regsam_flow.audit import format_ts
from regsam_flow.errors import BlockedError
from regsam_flow.model import AuditEntry, Reminder
from regsam_flow.notifications import MailNotifier, SmtpTransport
from regsam_flow.ports import FixedClock, Notifier, ReminderNotice

from .cli_helpers import Cli
from .conftest import AGREEMENT, AREA, report, sign_agreement
from .databases import raw_connection
from .processes import CTX, run_children
from .test_mail_support import Collector, Server, calendar_of, free_port, smtp_server, text_of

pytest.importorskip("aiosmtpd")

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
REVIEW = date(2027, 7, 15)  # the review date of AGREEMENT, CEST: 08:00 Berlin = 06:00 UTC
AT_28 = datetime(2027, 6, 17, 6, 0, tzinfo=UTC)  # 28 days before, 08:00 Berlin
AT_7 = datetime(2027, 7, 8, 6, 0, tzinfo=UTC)
ON_DAY = datetime(2027, 7, 15, 6, 0, tzinfo=UTC)
SUBJECT_28 = "Erinnerung: Überprüfung Schwerpunktgebiet Hasenbergl-Nord am 15.07.2027"
MIA, SVEN = "mia@regsam.example", "sven@muenchen.example"
CHILD_TIMEOUT_S = 60.0
BIN = Path(sys.executable).parent / "regsam-flow"


# ------------------------------------------------------------------ helpers
def at_berlin(day: date, hour: int = 8, minute: int = 0) -> datetime:
    """``day`` at ``hour:minute`` Berlin time, as UTC."""
    return datetime.combine(day, dtime(hour, minute), tzinfo=BERLIN).astimezone(UTC)


def mailer(port: int) -> MailNotifier:
    return MailNotifier(SmtpTransport(f"smtp://127.0.0.1:{port}", timeout=10))


@contextmanager
def smtp_on(port: int) -> Iterator[Server]:
    """An aiosmtpd server on a given port (the helper in test_mail_support picks its own)."""
    from aiosmtpd.controller import Controller

    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield Server("127.0.0.1", port, collector)
    finally:
        controller.stop()


def messages(server: Server) -> list[EmailMessage]:
    return [r.message for r in server.received]


def by_kind(engine: Engine, area: str = AREA) -> dict[tuple[str, int], Reminder]:
    """The area's reminders keyed by (kind, offset_days) -- of its current review date
    and of earlier ones; later rows of the same slot win."""
    return {(r.kind, r.offset_days): r for r in engine.reminders(actor="root", area=area)}


def get(engine: Engine, reminder_id: int) -> Reminder:
    [rem] = [r for r in engine.reminders(actor="root") if r.id == reminder_id]
    return rem


def audit(engine: Engine, action: str, area: str | None = None) -> list[AuditEntry]:
    return [e for e in engine.history(actor="audrey", area=area) if e.action == action]


def details(entry: AuditEntry) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(entry.details)
    return out


def wait_for(predicate: Callable[[], bool], timeout: float, step: float = 0.1) -> bool:
    """Poll ``predicate`` until true or ``timeout`` seconds passed (bounded in count too)."""
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / step) + 2):
        if predicate():
            return True
        if time.monotonic() > deadline:
            break
        time.sleep(step)
    return predicate()


def add_area(engine: Engine, area: str, review: date | None = None) -> None:
    """An area with mia as moderation and sven as social planning (people must exist)."""
    engine.create_area(area, actor="root", name=area.title(), district="24 Feldmoching-Hasenbergl")
    engine.assign(area, "moderation", "mia", actor="root")
    engine.assign(area, "social_planning", "sven", actor="root")
    if review is not None:
        engine.set_agreement(area, actor="mia", review=review)


def add_mia_and_sven(engine: Engine) -> None:
    engine.add_person("mia", actor="root", name="Mia Moderatorin", email=MIA)
    engine.add_person("sven", actor="root", name="Sven Sozialplanung", email=SVEN)


# ------------------------------------------------------------ 1. end to end
@pytest.mark.sql("schedulers in other processes or engines on the database")
def test_end_to_end_one_mail_to_moderation_and_social_planning(
    engine: Engine, area: str, tmp_path: Path
) -> None:
    assert AGREEMENT["review"] == REVIEW
    sign_agreement(engine, area)
    r28 = by_kind(engine)[("before", 28)]
    assert r28.due_at == AT_28 == at_berlin(date(2027, 6, 17))
    with smtp_server() as server:
        sender = Engine(engine.url, notifier=mailer(server.port))
        try:
            assert sender.send_due(AT_28 - timedelta(seconds=1)).sent == []
            assert server.received == []
            rep = sender.send_due(AT_28)
            assert (rep.sent, rep.retrying, rep.failed, rep.superseded) == ([r28.id], [], [], [])
            assert len(server.received) == 1
            got = server.received[0]
            assert sorted(got.rcpt_tos) == sorted([MIA, SVEN])
            msg = got.message
            assert str(msg["Subject"]) == SUBJECT_28
            assert {a.addr_spec for a in msg["To"].addresses} == {MIA, SVEN}
            assert msg["Message-ID"] == r28.message_id
            assert msg["X-Regsam-Reminder"] == str(r28.id)
            assert "Hasenbergl-Nord" in text_of(msg, "html")
            assert "15.07.2027" in text_of(msg, "plain")
            part, ics = calendar_of(msg)
            assert (part.get_filename() or "").endswith(".ics")
            assert b"BEGIN:VCALENDAR" in ics and b"DTSTART;VALUE=DATE:20270715" in ics

            # the audit log and `reminders list` say so
            [entry] = audit(engine, "reminder_sent", area)
            assert entry.actor == "regsam-flow"
            d = details(entry)
            assert d["reminder"] == r28.id and d["message_id"] == r28.message_id
            assert sorted(d["to"]) == sorted([MIA, SVEN])
            listed = Cli(engine.url, tmp_path / "home").json(
                "reminders", "list", "--area", area, user="mia"
            )
            assert [(r["kind"], r["offset_days"], r["status"]) for r in listed] == [
                ("before", 28, "sent"),
                ("before", 7, "pending"),
                ("on_day", 0, "pending"),
                ("overdue", -7, "pending"),
            ]
            assert listed[0]["sent_at"] == "2027-06-17T06:00:00Z"

            # the same moment again: nothing more
            again = sender.send_due(AT_28)
            assert again.sent == [] and again.superseded == [] and again.retrying == []
            assert sender.send_due(AT_28 + timedelta(days=1)).sent == []
            assert len(server.received) == 1
        finally:
            sender.close()
    assert engine.verify(deep=True).ok


# ------------------------------------------------------ 2. server down, then up
def test_server_down_then_up_retries_with_backoff_and_delivers_once(
    engine: Engine, area: str
) -> None:
    sign_agreement(engine, area)
    r28 = by_kind(engine)[("before", 28)]
    port = free_port()  # nothing listens here yet
    engine.notifier = mailer(port)
    rep = engine.send_due(AT_28)
    assert (rep.sent, rep.retrying, rep.failed) == ([], [r28.id], [])
    rem = get(engine, r28.id)
    assert rem.status == "pending" and rem.attempts == 1
    assert rem.last_error and "127.0.0.1" in rem.last_error
    assert rem.next_attempt_at == AT_28 + timedelta(minutes=1)
    assert rem.claimed_by is None and rem.claimed_until is None
    assert engine.next_reminder_at() == AT_28 + timedelta(minutes=1)
    # before the backoff is over nothing is tried, with or without a server
    assert engine.send_due(AT_28 + timedelta(seconds=30)).retrying == []
    assert get(engine, r28.id).attempts == 1
    with smtp_on(port) as server:
        quiet = engine.send_due(AT_28 + timedelta(seconds=59))
        assert quiet.sent == [] and server.received == []
        done = engine.send_due(AT_28 + timedelta(minutes=1))
        assert done.sent == [r28.id]
        for k in range(2, 6):  # further passes: no duplicates
            assert engine.send_due(AT_28 + timedelta(minutes=k)).sent == []
        assert [m["Message-ID"] for m in messages(server)] == [r28.message_id]
    rem = get(engine, r28.id)
    assert rem.status == "sent" and rem.attempts == 2 and rem.last_error == ""
    assert rem.sent_at == AT_28 + timedelta(minutes=1)
    assert len(audit(engine, "reminder_sent", area)) == 1


@pytest.mark.sql("schedulers in other processes or engines on the database")
def test_failed_after_max_attempts_then_retry_delivers_once(
    engine: Engine, area: str, tmp_path: Path
) -> None:
    sign_agreement(engine, area)
    r28 = by_kind(engine)[("before", 28)]
    port = free_port()  # nothing listens here until the retry
    engine.notifier = mailer(port)
    now = AT_28
    for attempt in range(1, 6):
        rep = engine.send_due(now, worker="w")
        rem = get(engine, r28.id)
        assert rem.attempts == attempt
        if attempt < 5:
            assert rep.retrying == [r28.id] and rem.status == "pending"
            wait = timedelta(minutes=2 ** (attempt - 1))
            assert rem.next_attempt_at == now + wait
            assert engine.send_due(now + wait - timedelta(seconds=1)).retrying == []
            now += wait
        else:
            assert rep.failed == [r28.id] and rep.retrying == []
            assert rem.status == "failed" and "127.0.0.1" in rem.last_error
    assert now == AT_28 + timedelta(minutes=15)  # 1 + 2 + 4 + 8
    [failed] = audit(engine, "reminder_failed", area)
    assert details(failed)["reminder"] == r28.id and details(failed)["attempts"] == 5
    assert engine.send_due(now + timedelta(hours=1)).failed == []  # failed stays failed
    cli = Cli(engine.url, tmp_path / "home")
    listed = cli.json("reminders", "list", "--status", "failed", user="mia")
    assert [r["id"] for r in listed] == [r28.id] and listed[0]["attempts"] == 5
    with smtp_on(port) as server:
        assert engine.send_due(now + timedelta(hours=1)).sent == []
        assert server.received == []
        r = cli.ok("reminders", "retry", str(r28.id), user="mia")
        assert f"Reminder {r28.id}" in r.stdout
        rem = get(engine, r28.id)
        assert (rem.status, rem.attempts, rem.last_error) == ("pending", 0, "")
        assert len(audit(engine, "reminder_requeued", area)) == 1
        # retry queues it for the (system clock's) present: any pass after that sends it
        later = max(datetime.now(UTC), now) + timedelta(minutes=1)
        assert engine.send_due(later, worker="w").sent == [r28.id]
        for k in range(1, 4):
            assert engine.send_due(later + timedelta(minutes=k), worker="w").sent == []
        assert [m["Message-ID"] for m in messages(server)] == [r28.message_id]
    rem = get(engine, r28.id)
    assert (rem.status, rem.attempts) == ("sent", 1)
    with pytest.raises(BlockedError):
        engine.retry_reminder(r28.id, actor="mia")  # only failed ones
    assert engine.verify(deep=True).ok


# ----------------------------------------------- 3. several schedulers, one file
def _sender_child(
    db_url: str, n: int, port: int, now_iso: str, passes: int, barrier: Any, queue: Any
) -> None:
    """Run ``passes`` send passes (small batches) as worker ``w<n>``."""
    out: dict[str, Any] = {"sent": [], "lost": [], "retrying": [], "failed": [], "other": []}
    try:
        engine = Engine(db_url, notifier=mailer(port))
        engine.next_reminder_at()  # schema check and first connection before the race
        now = datetime.fromisoformat(now_iso)
        barrier.wait(CHILD_TIMEOUT_S)
        for _ in range(passes):
            try:
                rep = engine.send_due(now, worker=f"w{n}", limit=3)
            except Exception as exc:  # a busy database etc.: record, go on
                out["other"].append(f"{type(exc).__name__}: {exc}")
                continue
            for key in ("sent", "lost", "retrying", "failed"):
                out[key] += getattr(rep, key)
        engine.close()
    except Exception as exc:
        out["other"].append(f"setup {type(exc).__name__}: {exc}")
    queue.put((n, out))


class _CrashingNotifier(Notifier):
    """Dies in the middle of sending, as a killed scheduler would."""

    def notify(self, notice: ReminderNotice) -> None:
        os._exit(3)


def _crashing_child(db_url: str, now_iso: str) -> None:
    engine = Engine(db_url, notifier=_CrashingNotifier())
    engine.send_due(datetime.fromisoformat(now_iso), worker="doomed")


@pytest.mark.sql("schedulers in other processes or engines on the database")
def test_two_schedulers_on_one_file_send_each_reminder_once(engine: Engine) -> None:
    add_mia_and_sven(engine)
    areas = [f"gebiet-{i:02d}" for i in range(30)]
    for a in areas:
        add_area(engine, a, REVIEW)
    due = [r for r in engine.reminders(actor="root", status="pending") if r.due_at <= AT_28]
    assert len(due) == 30 and {r.kind for r in due} == {"before"}
    with smtp_server() as server:
        results = run_children(
            _sender_child,
            [(engine.url, n, server.port, AT_28.isoformat(), 15) for n in (1, 2)],
        )
        assert results[1]["other"] == [] and results[2]["other"] == []
        sent = results[1]["sent"] + results[2]["sent"]
        assert sorted(sent) == sorted(r.id for r in due)  # each once, by one of them
        for res in results.values():
            assert res["lost"] == [] and res["retrying"] == [] and res["failed"] == []
        ids = Counter(str(m["Message-ID"]) for m in messages(server))
    assert len(ids) == 30 and max(ids.values()) == 1, ids.most_common(3)
    assert set(ids) == {r.message_id for r in due}
    for r in engine.reminders(actor="root"):
        assert r.status == ("sent" if r.due_at <= AT_28 else "pending"), r
        assert r.claimed_by is None
    assert len(audit(engine, "reminder_sent")) == 30
    assert engine.verify(deep=True).ok


@pytest.mark.sql("schedulers in other processes or engines on the database")
def test_lease_of_a_dead_worker_is_taken_over_only_when_it_expired(
    engine: Engine, area: str
) -> None:
    sign_agreement(engine, area)
    r28 = by_kind(engine)[("before", 28)]
    # a scheduler claims the reminder and dies while sending (a real process)
    p = CTX.Process(target=_crashing_child, args=(engine.url, AT_28.isoformat()), daemon=True)
    p.start()
    p.join(timeout=CHILD_TIMEOUT_S)
    assert p.exitcode == 3
    rem = get(engine, r28.id)
    assert rem.status == "pending" and rem.attempts == 0
    assert rem.claimed_by == "doomed" and rem.claimed_until == AT_28 + timedelta(minutes=10)
    with smtp_server() as server:
        engine.notifier = mailer(server.port)
        for minutes in (0, 1, 5, 9):
            assert engine.send_due(AT_28 + timedelta(minutes=minutes), worker="alive").sent == []
        almost = AT_28 + timedelta(minutes=10) - timedelta(seconds=1)
        assert engine.send_due(almost, worker="alive").sent == []
        assert server.received == []
        after = AT_28 + timedelta(minutes=10, seconds=1)
        assert engine.send_due(after, worker="alive").sent == [r28.id]
        assert engine.send_due(after + timedelta(minutes=1), worker="alive").sent == []
        assert [m["Message-ID"] for m in messages(server)] == [r28.message_id]
    rem = get(engine, r28.id)
    assert (rem.status, rem.claimed_by, rem.sent_at) == ("sent", None, after)


@pytest.mark.sql("schedulers in other processes or engines on the database")
def test_lease_set_directly_in_the_database(engine: Engine, area: str) -> None:
    """The same with the lease written into the row by hand."""
    sign_agreement(engine, area)
    r28 = by_kind(engine)[("before", 28)]
    until = AT_28 + timedelta(minutes=3)
    with raw_connection(engine.url) as con:
        con.execute(
            "UPDATE reminders SET claimed_by = 'ghost', claimed_until = ? WHERE id = ?",
            (format_ts(until), r28.id),
        )
    with smtp_server() as server:
        engine.notifier = mailer(server.port)
        assert engine.send_due(until - timedelta(seconds=1), worker="b").sent == []
        assert engine.send_due(until + timedelta(seconds=1), worker="b").sent == [r28.id]
        assert len(server.received) == 1


# --------------------------------------------------- 4. restart after downtime
def test_restart_after_downtime_sends_only_the_newest(engine: Engine, area: str) -> None:
    sign_agreement(engine, area)
    rems = by_kind(engine)
    r28, r7, r0, o7 = (
        rems[("before", 28)],
        rems[("before", 7)],
        rems[("on_day", 0)],
        rems[("overdue", -7)],
    )
    later = at_berlin(REVIEW, 12)  # all three fell due while no scheduler ran
    with smtp_server() as server:
        engine.notifier = mailer(server.port)
        rep = engine.send_due(later)
        assert rep.sent == [r0.id] and sorted(rep.superseded) == sorted([r28.id, r7.id])
        assert engine.send_due(later).sent == []
        [msg] = messages(server)
        assert msg["Message-ID"] == r0.message_id
        assert str(msg["Subject"]).startswith("Heute: Überprüfung Schwerpunktgebiet")
        status = {r.id: r.status for r in engine.reminders(actor="root", area=area)}
        assert status == {
            r28.id: "superseded",
            r7.id: "superseded",
            r0.id: "sent",
            o7.id: "pending",
        }
        assert engine.next_reminder_at() == at_berlin(REVIEW + timedelta(days=7))

        # overdue repeats missed in a gap fold into one
        gap = at_berlin(REVIEW + timedelta(days=30))
        rep = engine.send_due(gap)
        assert rep.sent == [o7.id] and rep.superseded == []
        assert engine.send_due(gap).sent == []
        assert len(server.received) == 2
        assert str(messages(server)[1]["Subject"]).startswith("Überfällig: Überprüfung")
        [nxt] = engine.reminders(actor="root", area=area, status="pending")
        assert (nxt.kind, nxt.offset_days) == ("overdue", -35)
        assert nxt.due_at == at_berlin(REVIEW + timedelta(days=35)) > gap
        assert engine.send_due(nxt.due_at - timedelta(minutes=1)).sent == []
        assert engine.send_due(nxt.due_at).sent == [nxt.id]
        assert len(server.received) == 3
    assert len(audit(engine, "reminder_sent", area)) == 3


def test_catch_up_in_small_batches_still_sends_only_the_newest(engine: Engine, area: str) -> None:
    sign_agreement(engine, area)
    r0 = by_kind(engine)[("on_day", 0)]
    with smtp_server() as server:
        engine.notifier = mailer(server.port)
        sent: list[int] = []
        for _ in range(4):
            sent += engine.send_due(at_berlin(REVIEW, 12), limit=1).sent
        assert sent == [r0.id]
        assert len(server.received) == 1


def test_a_failed_overdue_reminder_does_not_end_the_weekly_series(
    engine: Engine, area: str
) -> None:
    sign_agreement(engine, area)
    with smtp_server() as server:
        engine.notifier = mailer(server.port)
        assert len(engine.send_due(ON_DAY).sent) == 1
    o7 = by_kind(engine)[("overdue", -7)]
    engine.notifier = mailer(free_port())  # the mail server is down for a while
    now = o7.due_at
    for _ in range(5):
        engine.send_due(now)
        now = get(engine, o7.id).next_attempt_at or now
    assert get(engine, o7.id).status == "failed"
    # the review is still undecided and overdue: the next weekly one must come
    [nxt] = engine.reminders(actor="root", area=area, status="pending")
    assert (nxt.kind, nxt.offset_days) == ("overdue", -14)
    assert nxt.due_at == at_berlin(REVIEW + timedelta(days=14))


class _SlowServer(Notifier):
    """Each message takes five minutes (on ``clock``); before the third one,
    ``meanwhile`` runs: another scheduler's pass at that moment."""

    def __init__(
        self, inner: MailNotifier, clock: FixedClock, meanwhile: Callable[[datetime], object]
    ) -> None:
        self.inner, self.clock, self.meanwhile = inner, clock, meanwhile
        self.count = 0

    def notify(self, notice: ReminderNotice) -> None:
        self.count += 1
        if self.count == 3:
            self.meanwhile(self.clock.now() + timedelta(seconds=1))
        self.inner.notify(notice)
        self.clock.set(self.clock.now() + timedelta(minutes=5))


def test_a_batch_slower_than_the_lease_sends_nothing_twice(db_url: str, engine: Engine) -> None:
    add_mia_and_sven(engine)
    for name in ("gebiet-a", "gebiet-b", "gebiet-c"):
        add_area(engine, name, REVIEW)
    clock = FixedClock(AT_28)
    with smtp_server() as server:
        a = Engine(db_url, clock=clock)
        b = Engine(db_url, notifier=mailer(server.port))
        try:
            # worker A sends three messages of five minutes each; when it starts
            # the third (10 minutes in, each message well inside a lease),
            # worker B runs a pass
            a.notifier = _SlowServer(
                mailer(server.port), clock, lambda at: b.send_due(at, worker="B")
            )
            a.send_due(worker="A")
        finally:
            a.close()
            b.close()
        ids = Counter(str(m["Message-ID"]) for m in messages(server))
    assert len(ids) == 3
    assert max(ids.values()) == 1, ids


# ------------------------------------------------- 5. decisions and changes
def _pending_dates(engine: Engine, area: str = AREA) -> set[date]:
    return {r.review_date for r in engine.reminders(actor="root", area=area, status="pending")}


def test_review_continue_cancels_and_plans_for_the_next_date(engine: Engine, area: str) -> None:
    sign_agreement(engine, area)
    assert _pending_dates(engine) == {REVIEW}
    engine.review(area, actor="mia", decision="continue", next_review=date(2028, 1, 15))
    rems = engine.reminders(actor="root", area=area)
    old = [r for r in rems if r.review_date == REVIEW]
    new = [r for r in rems if r.review_date == date(2028, 1, 15)]
    assert [r.status for r in old] == ["cancelled"] * 4
    assert [(r.kind, r.offset_days, r.status) for r in new] == [
        ("before", 28, "pending"),
        ("before", 7, "pending"),
        ("on_day", 0, "pending"),
        ("overdue", -7, "pending"),
    ]
    assert new[0].due_at == datetime(2027, 12, 18, 7, 0, tzinfo=UTC)  # CET
    [decided] = audit(engine, "review_decided", area)
    assert details(decided) == {
        "review": "2027-07-15",
        "decision": "continue",
        "next_review": "2028-01-15",
        "reminders_cancelled": 4,
    }
    changed = audit(engine, "agreement_changed", area)[-1]
    assert changed.seq > decided.seq
    d = details(changed)
    assert d["changed"] == ["review"] and d["fields"]["review"] == "2028-01-15"
    assert (d["reminders_cancelled"], d["reminders_planned"]) == (0, 4)
    with smtp_server() as server:
        engine.notifier = mailer(server.port)
        assert engine.send_due(ON_DAY + timedelta(days=30)).sent == []  # old date: silent
        assert server.received == []
    assert engine.verify(deep=True).ok


def test_review_end_cancels_and_plans_nothing(engine: Engine, area: str) -> None:
    sign_agreement(engine, area)
    with smtp_server() as server:
        engine.notifier = mailer(server.port)
        assert len(engine.send_due(AT_28).sent) == 1
        engine.review(area, actor="sven", decision="end", reason="Ziele erreicht")
        statuses = [r.status for r in engine.reminders(actor="root", area=area)]
        assert statuses == ["sent", "cancelled", "cancelled", "cancelled"]
        [decided] = audit(engine, "review_decided", area)
        assert details(decided)["decision"] == "end"
        assert details(decided)["reminders_cancelled"] == 3
        assert decided.reason == "Ziele erreicht"
        for day in (7, 0, -7, -30):
            assert engine.send_due(at_berlin(REVIEW - timedelta(days=day))).sent == []
        assert len(server.received) == 1
    with pytest.raises(BlockedError) as err:
        engine.review(area, actor="mia", decision="end")
    assert err.value.blockers[0].code == "review_decided"


def test_cancelling_the_area_drops_pending_reminders(engine: Engine, area: str) -> None:
    sign_agreement(engine, area)
    engine.fire(area, "cancel", actor="mia", reason="Träger zieht sich zurück")
    assert _pending_dates(engine) == set()
    assert [r.status for r in engine.reminders(actor="root", area=area)] == ["cancelled"] * 4
    [t] = [e for e in audit(engine, "transition", area) if e.trigger == "cancel"]
    assert details(t)["reminders_cancelled"] == 4
    assert engine.next_reminder_at() is None


def test_closing_the_area_drops_pending_reminders(engine: Engine, area: str) -> None:
    sign_agreement(engine, area)
    for phase in ("vorlauf", "diagnose", "umsetzung"):
        report(engine, area, phase)
        engine.advance(area, actor="mia")
    report(engine, area, "auswertung")
    engine.fire(area, "close", actor="mia")
    assert len(_pending_dates(engine)) == 1  # one approval is not the transition
    assert engine.fire(area, "close", actor="sven").to_state == "abgeschlossen"
    assert _pending_dates(engine) == set()
    [t] = [e for e in audit(engine, "transition", area) if e.trigger == "close"]
    assert details(t)["reminders_cancelled"] == 4
    assert engine.next_reminder_at() is None


def test_changing_the_review_date_reschedules(engine: Engine, area: str) -> None:
    sign_agreement(engine, area)
    with smtp_server() as server:
        engine.notifier = mailer(server.port)
        assert len(engine.send_due(AT_28).sent) == 1
        engine.set_agreement(area, actor="mia", review=date(2027, 9, 30))
        rems = engine.reminders(actor="root", area=area)
        old = [r.status for r in rems if r.review_date == REVIEW]
        assert old == ["sent", "cancelled", "cancelled", "cancelled"]
        new = [r for r in rems if r.review_date == date(2027, 9, 30)]
        assert [r.status for r in new] == ["pending"] * 4
        assert new[0].due_at == at_berlin(date(2027, 9, 2))
        d = details(audit(engine, "agreement_changed", area)[-1])
        assert (d["reminders_cancelled"], d["reminders_planned"]) == (3, 4)
        # the old 7-day moment is silent; the new 28-day one speaks
        assert engine.send_due(AT_7).sent == []
        assert engine.send_due(new[0].due_at).sent == [new[0].id]
        [_, second] = messages(server)
        assert "am 30.09.2027" in str(second["Subject"])
    # a change that leaves the date alone does not touch the reminders
    engine.set_agreement(area, actor="mia", terms="KG tagt zweimonatlich")
    d = details(audit(engine, "agreement_changed", area)[-1])
    assert "reminders_planned" not in d
    assert len(engine.reminders(actor="root", area=area, status="pending")) == 3
    assert engine.verify(deep=True).ok


# ---------------------------------------------------- 6. the scheduler process
def _env(tmp_path: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGSAM_FLOW_")}
    env.update(
        REGSAM_FLOW_HOME=str(tmp_path / "home"),
        REGSAM_FLOW_LANG="en",
        REGSAM_FLOW_SMTP_URL=f"smtp://127.0.0.1:{port}",
        PYTHONIOENCODING="utf-8",
        PYTHONUNBUFFERED="1",
    )
    return env


@contextmanager
def scheduler_process(
    db_url: str, env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    with open(log, "wb") as err:
        proc = subprocess.Popen(
            [str(BIN), "--db", db_url, "scheduler", "run", "--poll", "1"],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=env,
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def _started(log: Path) -> Callable[[], bool]:
    return lambda: "started" in log.read_text("utf-8", "replace")


@pytest.mark.sql("schedulers in other processes or engines on the database")
def test_scheduler_process_follows_cli_changes_and_stops_on_sigterm(
    engine: Engine, area: str, tmp_path: Path
) -> None:
    log = tmp_path / "scheduler.log"
    with smtp_server() as server:
        env = _env(tmp_path, server.port)
        with scheduler_process(engine.url, env, log) as proc:
            assert wait_for(_started(log), 20), log.read_text()
            assert proc.poll() is None
            # while it runs, another process sets a review date 10 days away:
            # the 28-day reminder is due already
            review = datetime.now(BERLIN).date() + timedelta(days=10)
            Cli(engine.url, tmp_path / "home").ok(
                "agreement", "set", area, "--review", f"{review:%d.%m.%Y}", user="mia"
            )
            assert wait_for(lambda: len(server.received) >= 1, 20), log.read_text()
            time.sleep(2.5)  # two more polls: still one message
            assert proc.poll() is None
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=10) == 0
        [msg] = messages(server)
    assert str(msg["Subject"]) == (
        f"Erinnerung: Überprüfung Schwerpunktgebiet Hasenbergl-Nord am {review:%d.%m.%Y}"
    )
    [r28] = [r for r in engine.reminders(actor="root", area=area) if r.offset_days == 28]
    assert r28.status == "sent" and msg["Message-ID"] == r28.message_id
    text = log.read_text("utf-8")
    assert "started" in text and "stopped" in text and "received signal" in text
    assert "Traceback" not in text


@pytest.mark.sql("schedulers in other processes or engines on the database")
def test_scheduler_process_stops_on_sigint(engine: Engine, tmp_path: Path) -> None:
    log = tmp_path / "scheduler.log"
    env = _env(tmp_path, free_port())
    with scheduler_process(engine.url, env, log) as proc:
        assert wait_for(_started(log), 20), log.read_text()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    text = log.read_text("utf-8")
    assert "stopped" in text and "Traceback" not in text


# ------------------------------------------------------------------- 7. DST
@pytest.mark.parametrize(
    ("review", "due"),
    [
        # 28 days before 25.04.2027 is 28.03.2027, the day summer time starts (CEST)
        (date(2027, 4, 25), datetime(2027, 3, 28, 6, 0, tzinfo=UTC)),
        # 28 days before 28.11.2027 is 31.10.2027, the day summer time ends (CET)
        (date(2027, 11, 28), datetime(2027, 10, 31, 7, 0, tzinfo=UTC)),
    ],
    ids=["spring-forward", "fall-back"],
)
def test_reminders_on_dst_days_go_out_at_8_berlin(
    engine: Engine, area: str, review: date, due: datetime
) -> None:
    changes: dict[str, Any] = {**AGREEMENT, "review": review}
    engine.set_agreement(area, actor="mia", **changes)
    r28 = by_kind(engine)[("before", 28)]
    assert r28.due_at == due
    local = r28.due_at.astimezone(BERLIN)
    assert (local.date(), local.hour, local.minute) == (review - timedelta(days=28), 8, 0)
    with smtp_server() as server:
        engine.notifier = mailer(server.port)
        assert engine.send_due(due - timedelta(minutes=1)).sent == []
        assert server.received == []
        assert engine.send_due(due).sent == [r28.id]
        [msg] = messages(server)
        assert msg["Message-ID"] == r28.message_id
        assert f"am {review:%d.%m.%Y}" in str(msg["Subject"])
