"""Reminders under hostile input and a wrong clock (issue 9, items 3, 10-13).

A pretended ``--now`` is an admin's tool and a moment later than the clock is
only ever a dry run; a bad row or bad date cannot stop the other areas'
reminders; a clock that ran ahead and came back loses nothing; a mail that
went out while a decision was recorded is recorded as sent; dates at the
year limits are a clear input error.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from regsam_flow import Engine, InvalidInputError
from regsam_flow.model import Reminder
from regsam_flow.notifications import MaildirTransport, MailNotifier, SmtpTransport, read_maildir
from regsam_flow.ports import DeliveryError, FixedClock, Notifier, ReminderNotice

from .cli_helpers import Cli, setup_area, sign
from .conftest import AREA, sign_agreement
from .databases import raw_connection
from .test_mail_support import smtp_server

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
REVIEW = date(2027, 7, 15)


def at_berlin(day: date, hour: int = 8) -> datetime:
    return datetime.combine(day, dtime(hour), tzinfo=BERLIN).astimezone(UTC)


def statuses(engine: Engine, area: str | None = None) -> dict[int, str]:
    return {r.id: r.status for r in engine.reminders(actor="root", area=area)}


def by_slot(engine: Engine, area: str = AREA) -> dict[tuple[str, int], Reminder]:
    return {(r.kind, r.offset_days): r for r in engine.reminders(actor="root", area=area)}


def sent_ids(maildir: Path) -> list[int]:
    return [int(m["X-Regsam-Reminder"]) for m in read_maildir(maildir)]


@pytest.fixture
def c(db_url: str, tmp_path: Path) -> Cli:
    return Cli(db_url, tmp_path / "home")


def _state(c: Cli) -> tuple[Any, Any]:
    return c.json("audit", "head"), c.json("reminders", "list")


# ------------------------------------------- 3. --now is an admin's tool
@pytest.mark.parametrize("user", ["audrey", "mia", "nobody"])
def test_pretended_now_is_refused_for_anyone_but_an_admin(c: Cli, user: str) -> None:
    area = setup_area(c)
    sign(c, area)
    before = _state(c)
    r = c.run("reminders", "send-due", "--now", "01.01.2030", user=user)
    assert r.exit_code == 3, r.output
    assert "admin" in r.stderr
    r = c.run("reminders", "send-due", "--now", "01.01.2020", user=user)
    assert r.exit_code == 3, r.output
    assert c.run("reminders", "send-due", "--dry-run", user=user).exit_code == 3
    assert _state(c) == before
    assert read_maildir(c.home / "maildir") == []
    # a plain pass (cron, under any login) keeps working
    assert c.json("reminders", "send-due", user=user)["sent"] == []


def test_a_pretended_time_after_the_clock_is_only_a_dry_run(c: Cli) -> None:
    area = setup_area(c)
    sign(c, area)
    before = _state(c)
    rems = {(r["kind"], r["offset_days"]): r["id"] for r in before[1]}
    out = c.json("reminders", "send-due", "--now", "01.01.2030 08:00")
    assert out["dry_run"] is True
    assert out["sent"] == [] and out["superseded"] == []
    [would] = out["would_send"]
    assert would["id"] == rems[("overdue", -7)] and would["area"] == area
    assert sorted(would["to"]) == ["mia@regsam.example", "sven@muenchen.example"]
    assert sorted(out["would_supersede"]) == sorted(
        rems[k] for k in (("before", 28), ("before", 7), ("on_day", 0))
    )
    text = c.ok("reminders", "send-due", "--now", "01.01.2030 08:00").stdout
    assert "dry run" in text.lower() and area in text
    assert _state(c) == before  # no status, no audit entry, no mail
    assert read_maildir(c.home / "maildir") == []


def test_a_pretended_time_before_the_clock_is_a_real_pass_for_an_admin(c: Cli) -> None:
    area = setup_area(c)
    review = datetime.now(BERLIN).date() + timedelta(days=10)  # 28-day reminder is due
    c.ok("agreement", "set", area, "--review", f"{review:%d.%m.%Y}", user="mia")
    yesterday = datetime.now(BERLIN).date() - timedelta(days=1)
    out = c.json("reminders", "send-due", "--now", f"{yesterday:%d.%m.%Y} 12:00")
    assert "dry_run" not in out and len(out["sent"]) == 1
    assert len(read_maildir(c.home / "maildir")) == 1


# ------------------------------------- 10. one bad row stops nothing else
@pytest.mark.parametrize("flag", ["--review", "--start"], ids=["review", "start"])
@pytest.mark.parametrize("value", ["13.05.0001", "0999-05-13", "01.01.2201", "31.12.1899"])
def test_dates_outside_1900_2200_are_refused(c: Cli, flag: str, value: str) -> None:
    area = setup_area(c)
    head = c.json("audit", "head")
    r = c.run("--json", "agreement", "set", area, flag, value, user="mia")
    assert r.exit_code == 7, r.output
    err = json.loads(r.stdout)
    assert err["error"] == "invalid_input" and flag[2:] in err["message"]
    assert "1900" in err["message"] and "2200" in err["message"]
    assert c.json("audit", "head") == head
    assert c.json("reminders", "list") == []


def test_review_next_outside_the_range_is_refused(c: Cli) -> None:
    area = setup_area(c)
    sign(c, area)
    head = c.json("audit", "head")
    r = c.run("review", area, "--continue", "--next", "13.05.2201", user="mia")
    assert r.exit_code == 7 and "next" in r.stderr
    assert c.json("audit", "head") == head


BAD_ROWS = {
    # what an older version stored for a review date in year 0001
    "year-1": {"review_date": "1-05-13", "due_at": "1-04-15T06:00:00.000000Z"},
    "padded-year-1": {"review_date": "0001-05-13", "due_at": "0001-04-15T06:00:00.000000Z"},
    "garbage": {"due_at": "kaputt"},
    "no-such-day": {"due_at": "2027-02-30T06:00:00.000000Z"},
    "review-garbage": {"review_date": "13.05.2027"},
}


def _two_areas(engine: Engine) -> None:
    for pid, mail in (("mia", "mia@regsam.example"), ("sven", "sven@muenchen.example")):
        engine.add_person(pid, actor="root", name=pid.title(), email=mail)
    for a in ("gebiet-a", "gebiet-b"):
        engine.create_area(a, actor="root", name=a.title(), district="24 Feldmoching")
        engine.assign(a, "moderation", "mia", actor="root")
        engine.assign(a, "social_planning", "sven", actor="root")
        engine.set_agreement(a, actor="mia", review=REVIEW)


@pytest.mark.sql("rows written or engines opened past the engine")
@pytest.mark.parametrize("bad", list(BAD_ROWS))
def test_a_bad_row_does_not_stop_the_other_areas(engine: Engine, bad: str, tmp_path: Path) -> None:
    _two_areas(engine)
    victim = by_slot(engine, "gebiet-a")[("before", 28)]
    good = by_slot(engine, "gebiet-b")[("before", 28)]
    values = dict(BAD_ROWS[bad])
    if "due_at" in values:
        values["next_attempt_at"] = values["due_at"]
    with raw_connection(engine.url) as con:
        sets = ", ".join(f"{k} = ?" for k in values)
        con.execute(f"UPDATE reminders SET {sets} WHERE id = ?", (*values.values(), victim.id))
    cli = Cli(engine.url, tmp_path / "home")
    assert cli.run("reminders", "list").exit_code == 0
    assert engine.next_reminder_at() == good.due_at
    with smtp_server() as server:
        engine.notifier = MailNotifier(SmtpTransport(f"smtp://127.0.0.1:{server.port}"))
        rep = engine.send_due(at_berlin(date(2027, 6, 17)))
        assert rep.sent == [good.id]
        assert victim.id in rep.failed
        [msg] = [r.message for r in server.received]
        assert msg["X-Regsam-Reminder"] == str(good.id)
    # the bad row is failed with its reason (in the row and the audit log)
    listed = cli.run("--json", "reminders", "list", "--status", "failed")
    assert listed.exit_code == 0, listed.output
    assert victim.id not in [r["id"] for r in json.loads(listed.stdout)]  # unreadable
    assert good.id in [r["id"] for r in json.loads(cli.run("--json", "reminders", "list").stdout)]
    failed = [e for e in engine.history(actor="root") if e.action == "reminder_failed"]
    [entry] = failed
    assert json.loads(entry.details)["reminder"] == victim.id
    assert "cannot be processed" in json.loads(entry.details)["error"]
    assert engine.next_reminder_at() is not None
    # and later passes go on for everyone else
    assert engine.send_due(at_berlin(date(2027, 6, 17))).failed == []


@pytest.mark.sql("rows written or engines opened past the engine")
def test_the_scheduler_survives_a_bad_row(engine: Engine, tmp_path: Path) -> None:
    from regsam_flow.notifications.scheduler import ReminderScheduler

    _two_areas(engine)
    victim = by_slot(engine, "gebiet-a")[("before", 28)]
    with raw_connection(engine.url) as con:
        con.execute(
            "UPDATE reminders SET due_at = ?, next_attempt_at = ? WHERE id = ?",
            ("1-04-15T06:00:00.000000Z", "1-04-15T06:00:00.000000Z", victim.id),
        )
    engine.notifier = MailNotifier(MaildirTransport(tmp_path / "mail"))
    reports: list[Any] = []
    sched = ReminderScheduler(engine, poll_seconds=60, on_pass=reports.append)
    sched.run_pass()  # the real clock: the bad row is due, nothing else is
    [rep] = reports
    assert rep.failed == [victim.id]


# --------------------------------------- 11. a clock that ran ahead
@pytest.mark.sql("rows written or engines opened past the engine")
def test_a_clock_that_jumped_ahead_and_back_loses_no_reminder(
    engine: Engine, area: str, tmp_path: Path
) -> None:
    clock = FixedClock(at_berlin(date(2027, 6, 1)))
    e = Engine(engine.url, clock=clock, notifier=MailNotifier(MaildirTransport(tmp_path / "m")))
    try:
        sign_agreement(e, area)
        slots = by_slot(e)
        clock.set(at_berlin(date(2027, 8, 14)))  # the clock jumps ahead ...
        e.send_due()
        early = sent_ids(tmp_path / "m")
        assert early == [slots[("overdue", -7)].id]
        clock.set(at_berlin(date(2027, 6, 1), 9))  # ... and comes back
        assert e.send_due().sent == []
        for day, slot in (
            (date(2027, 6, 17), ("before", 28)),
            (date(2027, 7, 8), ("before", 7)),
            (date(2027, 7, 15), ("on_day", 0)),
        ):
            clock.set(at_berlin(day) - timedelta(minutes=1))
            assert e.send_due().sent == []
            clock.set(at_berlin(day))
            assert e.send_due().sent == [slots[slot].id], slot
        # the weekly series goes on: the repeat after the one sent too early
        clock.set(at_berlin(date(2027, 7, 29)))
        assert e.send_due().sent == [by_slot(e)[("overdue", -14)].id]
        sent = {r.id: r for r in e.reminders(actor="root", area=area, status="sent")}
        assert {(sent[i].kind, sent[i].offset_days) for i in sent} == {
            ("before", 28),
            ("before", 7),
            ("on_day", 0),
            ("overdue", -7),
            ("overdue", -14),
        }
        restored = [
            x for x in e.history(actor="root", area=area) if x.action == "reminder_restored"
        ]
        assert len(restored) == 3
        assert e.verify().ok
    finally:
        e.close()


@pytest.mark.sql("rows written or engines opened past the engine")
def test_a_failure_at_a_time_ahead_is_retried_at_the_real_time(
    engine: Engine, area: str, tmp_path: Path
) -> None:
    class Down(Notifier):
        def notify(self, notice: ReminderNotice) -> None:
            # as a mail server that refuses every recipient
            raise DeliveryError("550 no such recipients", permanent=True)

    clock = FixedClock(at_berlin(date(2027, 6, 1)))
    e = Engine(engine.url, clock=clock, notifier=Down())
    try:
        sign_agreement(e, area)
        r28 = by_slot(e)[("before", 28)]
        clock.set(at_berlin(date(2027, 6, 20)))  # ahead: the 28-day one fails there
        assert e.send_due().failed == [r28.id]
        clock.set(at_berlin(date(2027, 6, 1)))  # back
        e.send_due()
        assert by_slot(e)[("before", 28)].status == "pending"
        e.notifier = MailNotifier(MaildirTransport(tmp_path / "m"))
        clock.set(at_berlin(date(2027, 6, 17)))
        assert e.send_due().sent == [r28.id]
    finally:
        e.close()


# ------------------------- 12. delivered while a decision is recorded
class _DecideWhileSending(Notifier):
    """Delivers over SMTP; while the message is on its way, the area's
    moderation records the review decision through another engine."""

    def __init__(self, inner: Notifier, other: Engine) -> None:
        self.inner, self.other = inner, other

    def notify(self, notice: ReminderNotice) -> None:
        self.other.review(notice.area, actor="mia", decision="end", reason="Ziele erreicht")
        self.inner.notify(notice)


@pytest.mark.sql("rows written or engines opened past the engine")
def test_a_mail_delivered_while_the_decision_is_recorded_is_recorded_as_sent(
    engine: Engine, area: str
) -> None:
    sign_agreement(engine, area)
    r28 = by_slot(engine)[("before", 28)]
    other = Engine(engine.url)
    try:
        with smtp_server() as server:
            inner = MailNotifier(SmtpTransport(f"smtp://127.0.0.1:{server.port}"))
            engine.notifier = _DecideWhileSending(inner, other)
            rep = engine.send_due(at_berlin(date(2027, 6, 17)))
            assert len(server.received) == 1
        assert rep.sent == [r28.id]
        rem = by_slot(engine)[("before", 28)]
        assert rem.status == "sent" and rem.sent_at == at_berlin(date(2027, 6, 17))
        sent = [e for e in engine.history(actor="root", area=area) if e.action == "reminder_sent"]
        assert [json.loads(e.details)["reminder"] for e in sent] == [r28.id]
        others = [r.status for r in engine.reminders(actor="root", area=area) if r.id != r28.id]
        assert others == ["cancelled"] * 3
        assert engine.send_due(at_berlin(REVIEW)).sent == []
        assert engine.verify().ok
    finally:
        other.close()


# ------------------------------------------------ 13. the year limits
@pytest.mark.parametrize(
    "args",
    [
        ("log", "--until", "31.12.9999"),
        ("log", "--until", "9999-12-31"),
        ("log", "--since", "01.01.0001"),
        ("log", "--since", "0001-01-01 00:00"),
        ("as-of", AREA, "31.12.9999"),
        ("as-of", AREA, "01.01.0001 00:00"),
        ("agreement", "set", AREA, "--review", "31.12.9999"),
        ("agreement", "set", AREA, "--start", "01.01.0001"),
        ("reminders", "send-due", "--now", "31.12.9999 23:59"),
    ],
    ids=lambda a: "-".join(a),
)
def test_dates_at_the_year_limits_are_invalid_input(c: Cli, args: tuple[str, ...]) -> None:
    setup_area(c)
    head = c.json("audit", "head")
    user = "mia" if args[0] == "agreement" else "root"
    r = c.run("--json", *args, user=user)
    assert r.exit_code == 7, r.output
    err = json.loads(r.stdout)
    assert err["error"] == "invalid_input" and "1900" in err["message"]
    assert c.json("audit", "head") == head


def test_the_engine_api_refuses_dates_outside_the_range(engine: Engine, area: str) -> None:
    head = engine.head()
    far, early = date(9999, 12, 31), date(1, 1, 1)
    for kwargs in ({"review": far}, {"start": early}, {"review": "31.12.9999"}):
        with pytest.raises(InvalidInputError) as exc:
            engine.set_agreement(area, actor="mia", **kwargs)
        assert exc.value.field in ("review", "start")
    end = datetime.max.replace(tzinfo=UTC)
    start = datetime.min.replace(tzinfo=UTC)
    with pytest.raises(InvalidInputError):
        engine.history(actor="root", until=end)
    with pytest.raises(InvalidInputError):
        engine.history(actor="root", since=start)
    with pytest.raises(InvalidInputError):
        engine.as_of(area, end, actor="root")
    with pytest.raises(InvalidInputError):
        engine.send_due(end)
    sign_agreement(engine, area)
    head = engine.head()
    with pytest.raises(InvalidInputError):
        engine.review(area, actor="mia", decision="continue", next_review=far)
    assert engine.head() == head
