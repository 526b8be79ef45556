"""Failures cron and systemd can tell apart (issue 16): a database that
cannot be reached (12), a schema that does not fit (13), and a send pass
whose mail a real SMTP server on loopback refuses for good (14) or for now
(15)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from regsam_flow.cli import cli
from regsam_flow.cli.reminder_cmds import EXIT_FAILED, EXIT_RETRYING

from .cli_helpers import Cli, setup_area
from .databases import raw_connection
from .test_mail_support import free_port


def run(tmp_path: Path, db: str, *args: str, smtp: str | None = None) -> Result:
    env = {
        "REGSAM_FLOW_DB": db,
        "REGSAM_FLOW_USER": "root",
        "REGSAM_FLOW_HOME": str(tmp_path / "home"),
        "REGSAM_FLOW_SMTP_URL": smtp,
        "REGSAM_FLOW_LANG": "en",
    }
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


# ------------------------------------------------------------ 12 unavailable
def test_an_unreachable_database_exits_12(tmp_path: Path) -> None:
    pytest.importorskip("psycopg")
    db = "postgresql+psycopg://nobody:s3cret@127.0.0.1:1/regsam"
    r = run(tmp_path, db, "area", "list")
    assert r.exit_code == 12, r.output
    assert "cannot connect to the database" in r.stderr and "s3cret" not in r.output
    r = run(tmp_path, db, "--json", "area", "list")
    assert r.exit_code == 12
    assert json.loads(r.stdout)["error"] == "unavailable"


# ----------------------------------------------------------------- 13 schema
def test_a_database_of_an_older_schema_exits_13_and_is_left_alone(
    tmp_path: Path, db_url: str
) -> None:
    from regsam_flow.persistence import SqlStore

    store = SqlStore(db_url)
    store.upgrade("0001")  # a database as the first release left it
    store.close()
    r = run(tmp_path, db_url, "area", "list")
    assert r.exit_code == 13, r.output
    assert "has schema 0001" in r.stderr and "regsam-flow init" in r.stderr
    r = run(tmp_path, db_url, "--json", "reminders", "send-due")
    assert r.exit_code == 13
    assert json.loads(r.stdout)["error"] == "schema"
    with raw_connection(db_url) as con:
        [(version,)] = con.execute("SELECT version_num FROM alembic_version").fetchall()
    assert version == "0001"  # nothing upgraded behind the operator's back


def test_an_uninitialised_database_exits_13(tmp_path: Path, db_url: str) -> None:
    r = run(tmp_path, db_url, "area", "list")
    assert r.exit_code == 13 and "run `regsam-flow init`" in r.stderr


# --------------------------------------------------- 14 and 15: send-due
class Refusing:
    """aiosmtpd handler that refuses every recipient with ``reply``."""

    def __init__(self, reply: str) -> None:
        self.reply = reply

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        return self.reply


@contextmanager
def refusing_server(reply: str) -> Iterator[str]:
    """A real SMTP server on loopback refusing with ``reply``; its URL."""
    controller_mod = pytest.importorskip("aiosmtpd.controller")
    port = free_port()
    controller = controller_mod.Controller(Refusing(reply), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()


@pytest.fixture
def due(db_url: str, tmp_path: Path) -> Cli:
    """An area whose review date is 10 days away: the 28-day reminder is due."""
    from regsam_flow.dates import BERLIN

    c = Cli(db_url, tmp_path / "home")
    area = setup_area(c)
    review = datetime.now(BERLIN).date() + timedelta(days=10)
    c.ok("agreement", "set", area, "--review", f"{review:%d.%m.%Y}", user="mia")
    return c


def test_mail_refused_for_good_exits_14(due: Cli, tmp_path: Path) -> None:
    with refusing_server("550 5.1.1 no such mailbox") as smtp:
        r = run(tmp_path, due.db, "reminders", "send-due", smtp=smtp)
        assert r.exit_code == EXIT_FAILED == 14, r.output
        assert "failed 1" in r.stdout and "reminders list --status" in r.stderr
        rj = run(tmp_path, due.db, "--json", "reminders", "send-due", smtp=smtp)
    assert rj.exit_code == 0  # nothing left to send: the failed one stays failed
    assert json.loads(rj.stdout)["failed"] == []
    failed = due.json("reminders", "list", "--status", "failed")
    assert len(failed) == 1 and "all recipients refused" in failed[0]["last_error"]


def test_mail_refused_for_now_exits_15(due: Cli, tmp_path: Path) -> None:
    with refusing_server("451 4.3.0 try again later") as smtp:
        r = run(tmp_path, due.db, "--json", "reminders", "send-due", smtp=smtp)
    assert r.exit_code == EXIT_RETRYING == 15, r.output
    data = json.loads(r.stdout)
    assert len(data["retrying"]) == 1 and data["failed"] == [] and data["sent"] == []


def test_a_dry_run_and_a_pass_with_nothing_due_exit_0(due: Cli, tmp_path: Path) -> None:
    with refusing_server("550 5.1.1 no such mailbox") as smtp:
        r = run(tmp_path, due.db, "reminders", "send-due", "--dry-run", smtp=smtp)
        assert r.exit_code == 0, r.output
    r = run(tmp_path, due.db, "reminders", "send-due")  # Maildir: delivered
    assert r.exit_code == 0, r.output
    assert "sent 1, retrying 0, failed 0" in r.stdout
