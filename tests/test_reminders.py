"""Reminder scheduling, review decisions and the reminder commands."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from regsam_flow import BlockedError, Engine, InvalidInputError, NotAllowedError
from regsam_flow.model import Reminder
from regsam_flow.notifications import MaildirTransport, MailNotifier, read_maildir
from regsam_flow.schedule import backoff, next_overdue, planned_reminders, send_time
from regsam_flow.workflows import ReminderPolicy

from .cli_helpers import Cli, setup_area, sign
from .conftest import sign_agreement
from .databases import raw_connection

UTC = timezone.utc
POLICY = ReminderPolicy()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# ------------------------------------------------------------ the schedule
def test_default_schedule_for_a_summer_review() -> None:
    rems = planned_reminders("a", date(2027, 7, 15), POLICY)
    assert [(r.kind, r.offset_days, r.due_at) for r in rems] == [
        ("before", 28, utc(2027, 6, 17, 6)),  # 08:00 CEST
        ("before", 7, utc(2027, 7, 8, 6)),
        ("on_day", 0, utc(2027, 7, 15, 6)),
        ("overdue", -7, utc(2027, 7, 22, 6)),
    ]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2027, 3, 27), utc(2027, 3, 27, 7)),  # Saturday before: still CET
        (date(2027, 3, 28), utc(2027, 3, 28, 6)),  # last Sunday of March: CEST from 02:00
        (date(2027, 10, 30), utc(2027, 10, 30, 6)),  # Saturday before: still CEST
        (date(2027, 10, 31), utc(2027, 10, 31, 7)),  # last Sunday of October: CET from 03:00
    ],
)
def test_send_hour_is_8_berlin_across_dst(day: date, expected: datetime) -> None:
    assert send_time(day, POLICY) == expected


def test_policy_from_the_workflow_changes_offsets_hour_and_zone() -> None:
    policy = ReminderPolicy(
        days_before=(14,), on_day=False, repeat_every_days=0, send_hour=9, timezone="Europe/London"
    )
    rems = planned_reminders("a", date(2027, 1, 20), policy)
    assert [(r.kind, r.due_at) for r in rems] == [("before", utc(2027, 1, 6, 9))]


def test_missed_overdue_repeats_fold_into_one() -> None:
    sent = Reminder(1, "a", date(2027, 7, 15), "on_day", 0, utc(2027, 7, 15, 6))
    nxt = next_overdue(sent, POLICY, now=utc(2027, 8, 14, 12))  # 30 days later
    assert nxt is not None
    assert (nxt.offset_days, nxt.due_at) == (-35, utc(2027, 8, 19, 6))
    before = Reminder(1, "a", date(2027, 7, 15), "before", 7, utc(2027, 7, 8, 6))
    assert next_overdue(before, POLICY, now=utc(2027, 7, 8, 6)) is None


def test_backoff_grows_and_is_capped() -> None:
    assert [backoff(n) for n in (1, 2, 3)] == [timedelta(minutes=m) for m in (1, 2, 4)]
    assert backoff(30) == timedelta(hours=6)


# ------------------------------------------------------ engine scheduling
def pending(engine: Engine, area: str) -> list[tuple[str, str, int]]:
    return [
        (r.review_date.isoformat(), r.kind, r.offset_days)
        for r in engine.reminders(actor="root", area=area, status="pending")
    ]


def test_signing_the_agreement_plans_reminders_and_a_new_date_replans(
    engine: Engine, area: str
) -> None:
    assert pending(engine, area) == []
    sign_agreement(engine, area)
    assert pending(engine, area) == [
        ("2027-07-15", "before", 28),
        ("2027-07-15", "before", 7),
        ("2027-07-15", "on_day", 0),
        ("2027-07-15", "overdue", -7),
    ]
    engine.set_agreement(area, actor="mia", review="01.09.2027")
    assert {d for d, _k, _o in pending(engine, area)} == {"2027-09-01"}
    old = engine.reminders(actor="root", area=area, status="cancelled")
    assert len(old) == 4 and {r.review_date for r in old} == {date(2027, 7, 15)}
    entry = engine.history(actor="root", area=area)[-1].to_dict()
    assert entry["details"]["reminders_cancelled"] == 4
    assert entry["details"]["reminders_planned"] == 4
    # a change that leaves the date alone keeps the plan
    engine.set_agreement(area, actor="mia", terms="KG tagt zweimonatlich")
    assert len(pending(engine, area)) == 4


def test_cancel_drops_pending_reminders(engine: Engine, area: str) -> None:
    sign_agreement(engine, area)
    engine.fire(area, "cancel", actor="mia", reason="Gebiet wird Sanierungsgebiet")
    assert pending(engine, area) == []
    last = engine.history(actor="root", area=area)[-1].to_dict()
    assert last["details"]["reminders_cancelled"] == 4


def test_review_continue_sets_the_next_date(engine: Engine, area: str) -> None:
    sign_agreement(engine, area)
    engine.review(
        area, actor="sven", decision="continue", next_review="15.01.2028", reason="KG: weiter"
    )
    ag = engine.agreement(area, actor="mia")
    assert ag is not None and ag.review == date(2028, 1, 15) and ag.signatures == {}
    assert {d for d, _k, _o in pending(engine, area)} == {"2028-01-15"}
    actions = [e.action for e in engine.history(actor="root", area=area)[-2:]]
    assert actions == ["review_decided", "agreement_changed"]
    # the new date can be decided on in its turn
    engine.review(area, actor="mia", decision="end", reason="doch beenden")
    assert pending(engine, area) == []


def test_review_end_stops_reminders_and_cannot_be_repeated(engine: Engine, area: str) -> None:
    sign_agreement(engine, area)
    engine.review(area, actor="mia", decision="end", reason="Ziele erreicht")
    assert pending(engine, area) == []
    before = engine.head()
    with pytest.raises(BlockedError) as exc:
        engine.review(area, actor="mia", decision="end")
    assert [b.code for b in exc.value.blockers] == ["review_decided"]
    assert engine.head() == before
    # setting the same date again plans nothing: that date is decided
    engine.set_agreement(area, actor="mia", terms="Abschluss vorbereiten")
    assert pending(engine, area) == []


def test_review_refusals_write_nothing(engine: Engine, area: str) -> None:
    before = engine.head()
    with pytest.raises(BlockedError) as exc:
        engine.review(area, actor="mia", decision="end")
    assert [b.code for b in exc.value.blockers] == ["no_review_date"]
    sign_agreement(engine, area)
    before = engine.head()
    with pytest.raises(InvalidInputError, match="must lie after the current one"):
        engine.review(area, actor="mia", decision="continue", next_review="01.07.2027")
    with pytest.raises(InvalidInputError, match="needs the next review date"):
        engine.review(area, actor="mia", decision="continue")
    with pytest.raises(NotAllowedError):
        engine.review(area, actor="tom", decision="end")
    assert engine.head() == before


def test_send_due_supersedes_older_reminders_of_the_same_date(
    engine: Engine, area: str, tmp_path: Path
) -> None:
    engine.notifier = MailNotifier(MaildirTransport(tmp_path / "mail"))
    sign_agreement(engine, area)
    report = engine.send_due(utc(2027, 7, 15, 6))  # 28 d, 7 d and on-day are all due
    assert len(report.sent) == 1 and len(report.superseded) == 2
    msgs = read_maildir(tmp_path / "mail")
    assert len(msgs) == 1 and str(msgs[0]["Subject"]).startswith("Heute")
    assert engine.send_due(utc(2027, 7, 15, 6)).sent == []
    # the first overdue reminder follows a week later, then the next one
    assert engine.send_due(utc(2027, 7, 22, 6)).sent
    nxt = engine.reminders(actor="root", area=area, status="pending")
    assert [(r.offset_days, r.due_at) for r in nxt] == [(-14, utc(2027, 7, 29, 6))]


def test_no_recipient_is_a_failed_attempt(engine: Engine, area: str, tmp_path: Path) -> None:
    engine.notifier = MailNotifier(MaildirTransport(tmp_path / "mail"))
    sign_agreement(engine, area)
    engine.unassign(area, "social_planning", "sven", actor="root")
    engine.unassign(area, "moderation", "mia", actor="root")
    report = engine.send_due(utc(2027, 6, 17, 6))
    assert report.retrying and not report.sent
    rem = engine.reminders(actor="root", area=area, status="pending")[0]
    assert "nobody with an email is assigned" in rem.last_error


# ------------------------------------------------------------------- CLI
@pytest.fixture
def c(db_url: str, tmp_path: Path) -> Cli:
    return Cli(db_url, tmp_path / "home")


def test_cli_send_due_into_the_maildir_and_list(c: Cli) -> None:
    area = setup_area(c)
    # a review date 10 days away: its 28-day reminder is due now
    review = datetime.now(ZoneInfo("Europe/Berlin")).date() + timedelta(days=10)
    c.ok("agreement", "set", area, "--review", f"{review:%d.%m.%Y}", user="mia")
    report = c.json("reminders", "send-due", user="nobody")  # cron, under any login
    assert len(report["sent"]) == 1
    msgs = read_maildir(c.home / "maildir")
    assert len(msgs) == 1
    assert str(msgs[0]["Subject"]) == (
        f"Erinnerung: Überprüfung Schwerpunktgebiet Hasenbergl-Nord am {review:%d.%m.%Y}"
    )
    rows = c.json("reminders", "list", "--area", area, user="mia")
    keys = {
        "id",
        "area",
        "review_date",
        "kind",
        "offset_days",
        "due_at",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
        "message_id",
    }
    assert all(set(r) == keys for r in rows)
    assert [r["status"] for r in rows] == ["sent", "pending", "pending", "pending"]
    assert rows[0]["message_id"] == msgs[0]["Message-ID"]
    assert c.json("reminders", "list", "--status", "sent", user="audrey")[0]["id"] == rows[0]["id"]
    table = c.ok("reminders", "list", user="mia").stdout
    assert "28 d before" in table and all(len(x) <= 80 for x in table.splitlines())
    assert c.json("reminders", "list", user="tom")  # members see their areas' reminders
    r = c.run("reminders", "list", "--status", "lost")
    assert r.exit_code == 2


def test_cli_review(c: Cli) -> None:
    area = setup_area(c)
    r = c.run("review", area, "--end", user="mia")
    assert r.exit_code == 4 and "no_review_date" in r.stderr
    sign(c, area)
    assert c.run("review", area, user="mia").exit_code == 2
    assert c.run("review", area, "--continue", "--end", user="mia").exit_code == 2
    r = c.run("review", area, "--continue", user="mia")
    assert r.exit_code == 7 and "--next" in r.stderr
    r = c.run("review", area, "--continue", "--next", "31.02.2028", user="mia")
    assert r.exit_code == 7
    assert c.run("review", area, "--end", user="tom").exit_code == 3
    data = c.json(
        "review",
        area,
        "--continue",
        "--next",
        "15.01.2028",
        "--reason",
        "KG: weiter mit Schwerpunkt Ältere",
        user="mia",
    )
    assert data == {"area": area, "decision": "continue", "next_review": "2028-01-15"}
    log = c.json("log", area, user="audrey")
    decided = next(e for e in log if e["action"] == "review_decided")
    assert decided["reason"] == "KG: weiter mit Schwerpunkt Ältere"
    assert decided["details"]["review"] == "2027-07-15"
    r = c.ok("review", area, "--end", "--reason", "Förderung endet", user="sven")
    assert "is to end" in r.stdout


def test_cli_retry(c: Cli) -> None:
    area = setup_area(c)
    sign(c, area)
    rid = c.json("reminders", "list", user="mia")[0]["id"]
    r = c.run("reminders", "retry", str(rid), user="mia")
    assert r.exit_code == 4 and "not_failed" in r.stderr
    assert c.run("reminders", "retry", "999", user="mia").exit_code == 6
    assert c.run("reminders", "retry", "x", user="mia").exit_code == 2
    with raw_connection(c.db) as con:
        con.execute("UPDATE reminders SET status='failed', attempts=5 WHERE id=?", (rid,))
    assert c.run("reminders", "retry", str(rid), user="tom").exit_code == 3
    data = c.json("reminders", "retry", str(rid), user="mia")
    assert (data["status"], data["attempts"]) == ("pending", 0)
    assert c.json("log", area, user="audrey")[-1]["action"] == "reminder_requeued"


def test_cli_send_due_json_and_bad_now(c: Cli) -> None:
    setup_area(c)
    assert c.json("reminders", "send-due") == {
        "sent": [],
        "retrying": [],
        "failed": [],
        "superseded": [],
        "lost": [],
        "messages": {"sent": [], "retrying": [], "failed": [], "cancelled": [], "lost": []},
    }
    r = c.run("reminders", "send-due", "--now", "bald")
    assert r.exit_code == 7
    out = json.loads(c.run("--json", "reminders", "send-due", "--now", "bald").stdout)
    assert out["error"] == "invalid_input"
