"""Rough edges 5, 6 and 12b of issue 12: where the mail went, a quiet
scheduler with --log-level, the demo's mails dated by the demo's clock."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from regsam_flow import Engine
from regsam_flow.cli import cli
from regsam_flow.dates import BERLIN
from regsam_flow.notifications import MaildirTransport, MailNotifier, SmtpTransport
from regsam_flow.persistence.memory import MemoryStore

SMTP = "smtp://moderation%40stadt:s3cr3t-pw@mail.example.org:587"


def run(tmp_path: Path, *args: str, smtp: str | None = None, lang: str = "en") -> Result:
    env = {
        "REGSAM_FLOW_DB": f"sqlite:///{tmp_path / 'regsam.db'}",
        "REGSAM_FLOW_USER": "root",
        "REGSAM_FLOW_HOME": str(tmp_path / "home"),
        "REGSAM_FLOW_SMTP_URL": smtp,
        "REGSAM_FLOW_LANG": lang,
    }
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    r = run(tmp_path, "init", "--admin", "root", "--name", "Root", "--email", "root@x.example")
    assert r.exit_code == 0, r.output
    return tmp_path


# ------------------------------------------------- 5. where the mail went
def test_send_due_says_which_maildir_it_delivered_into(home: Path) -> None:
    r = run(home, "reminders", "send-due")
    assert r.exit_code == 0, r.output
    assert f"Mail goes to: Maildir {home / 'home' / 'maildir'}" in r.stdout


def test_send_due_names_the_smtp_server_without_user_or_password(home: Path) -> None:
    r = run(home, "reminders", "send-due", smtp=SMTP)
    assert r.exit_code == 0, r.output
    assert "Mail goes to: SMTP mail.example.org:587" in r.stdout
    assert "s3cr3t" not in r.output and "moderation" not in r.output


def test_a_dry_run_says_where_the_mail_would_go(home: Path) -> None:
    r = run(home, "reminders", "send-due", "--now", "01.01.2099 08:00", smtp=SMTP)
    assert r.exit_code == 0, r.output
    assert "Mail would go to: SMTP mail.example.org:587" in r.stdout


def test_send_due_in_german(home: Path) -> None:
    r = run(home, "reminders", "send-due", smtp=SMTP, lang="de")
    assert r.exit_code == 0, r.output
    assert "E-Mails gehen an: SMTP mail.example.org:587" in r.stdout


def test_info_names_the_delivery_target_without_secrets(home: Path) -> None:
    text = run(home, "info", smtp=SMTP)
    assert text.exit_code == 0, text.output
    assert "SMTP mail.example.org:587" in text.stdout and "s3cr3t" not in text.stdout
    data = json.loads(run(home, "--json", "info").stdout)
    assert data["mail"] == f"Maildir {home / 'home' / 'maildir'}"
    assert "s3cr3t" not in run(home, "--json", "info", smtp=SMTP).stdout


def test_info_with_a_bad_smtp_url_says_so_and_still_shows_the_rest(home: Path) -> None:
    r = run(home, "info", smtp="ftp://mail.example.org")
    assert r.exit_code == 0, r.output
    assert "not usable: SMTP URL" in r.stdout and "schema" in r.stdout


def test_transports_name_their_target() -> None:
    assert SmtpTransport(SMTP).target() == "SMTP mail.example.org:587"
    assert SmtpTransport("smtps://[::1]").target() == "SMTP [::1]:465"
    assert MailNotifier(MaildirTransport("/srv/mail")).target() == "Maildir /srv/mail"


# ------------------------------------------- 5 and 6. the scheduler's log
@pytest.fixture
def log_levels() -> Iterator[None]:
    names = ("regsam_flow", "apscheduler")
    before = {n: logging.getLogger(n).level for n in names}
    yield
    for n, level in before.items():
        logging.getLogger(n).setLevel(level)


def test_the_scheduler_start_line_names_the_delivery_target(
    caplog: pytest.LogCaptureFixture, tmp_path: Path, log_levels: None
) -> None:
    from regsam_flow.notifications.scheduler import ReminderScheduler

    engine = Engine(store=MemoryStore(), notifier=MailNotifier(MaildirTransport(tmp_path / "m")))
    engine.init("root", name="Root", email="root@x.example")
    caplog.set_level(logging.INFO)
    sched = ReminderScheduler(engine, poll_seconds=3600)
    sched.start()
    sched.stop()
    ours = [r.getMessage() for r in caplog.records if r.name == "regsam_flow.scheduler"]
    started = [m for m in ours if "started" in m]
    assert started and started[0].endswith(f"mail to Maildir {tmp_path / 'm'}")


@pytest.mark.parametrize(
    ("args", "ours", "theirs"),
    [
        ((), logging.INFO, logging.WARNING),
        (("--log-level", "warning"), logging.WARNING, logging.WARNING),
        (("--log-level", "error"), logging.ERROR, logging.ERROR),
        (("--log-level", "debug"), logging.DEBUG, logging.DEBUG),
    ],
)
def test_scheduler_run_is_quiet_about_apscheduler_unless_debugging(
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    log_levels: None,
    args: tuple[str, ...],
    ours: int,
    theirs: int,
) -> None:
    from regsam_flow.notifications import scheduler as mod

    seen: dict[str, Any] = {}

    def fake_run(sched: Any, stop: Any = None) -> None:
        seen["ours"] = logging.getLogger("regsam_flow.scheduler").getEffectiveLevel()
        seen["theirs"] = logging.getLogger("apscheduler.scheduler").getEffectiveLevel()

    monkeypatch.setattr(mod, "run_until_signalled", fake_run)
    r = run(home, "scheduler", "run", *args)
    assert r.exit_code == 0, r.output
    assert (seen["ours"], seen["theirs"]) == (ours, theirs)


def test_scheduler_run_refuses_an_unknown_log_level(home: Path) -> None:
    r = run(home, "scheduler", "run", "--log-level", "chatty")
    assert r.exit_code == 2 and "--log-level" in r.output


# ------------------------------------------ 12b. the demo's mails, dated
def test_the_demo_mail_carries_the_demo_clock_in_its_date_header(tmp_path: Path) -> None:
    from regsam_flow.bootstrap import read_mail
    from regsam_flow.demo import run_demo

    run_demo(tmp_path / "demo", out=lambda _line: None).close()
    [msg] = read_mail(tmp_path / "demo" / "maildir")
    assert parsedate_to_datetime(msg["Date"]) == datetime(2027, 6, 17, 8, 0, tzinfo=BERLIN)
