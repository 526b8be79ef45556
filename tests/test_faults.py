"""Faults: a connection killed mid-transition, a scheduler killed mid-pass."""

from __future__ import annotations

import asyncio
import signal
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from regsam_flow import Engine, UnavailableError
from regsam_flow.persistence.store import SqlUnitOfWork

from .conftest import report, sign_agreement
from .databases import pg_connect
from .test_mail_support import Collector, smtp_server
from .test_reminders_delivery import _env, add_area, scheduler_process, wait_for

UTC = timezone.utc


@pytest.mark.postgresql_only("pg_terminate_backend is PostgreSQL's")
def test_connection_terminated_mid_transition(
    engine: Engine, area: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pg_terminate_backend between the state update and the audit entry:
    nothing is half-written, the user is told to try again, a retry works."""
    sign_agreement(engine, area)
    report(engine, area, "vorlauf")
    before = (engine.get_area(area, actor="root"), engine.head())
    original = SqlUnitOfWork.append_audit

    def killed_on_the_way(self: SqlUnitOfWork, entry: Any) -> None:
        pid = self.conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with pg_connect(engine.url) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        original(self, entry)

    monkeypatch.setattr(SqlUnitOfWork, "append_audit", killed_on_the_way)
    with pytest.raises(UnavailableError) as exc:
        engine.advance(area, actor="mia")
    assert "nothing was written, try again" in str(exc.value)
    monkeypatch.setattr(SqlUnitOfWork, "append_audit", original)
    after = (engine.get_area(area, actor="root"), engine.head())
    assert after == before  # the state update was rolled back with the rest
    r = engine.advance(area, actor="mia")  # the retry works on a fresh connection
    assert r.to_state == "diagnose"
    assert engine.verify().ok


def _drop_all_connections(engine: Engine) -> int:
    """What a server restart does to the engine's pooled connections."""
    with pg_connect(engine.url) as admin:
        row = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    return int(row[0]) if row else 0


@pytest.mark.postgresql_only("pg_terminate_backend is PostgreSQL's")
def test_connections_the_server_dropped_are_replaced(engine: Engine, area: str) -> None:
    """After the server dropped every connection the engine keeps (as a
    restart does), the next change and the next read work, and nothing is
    written twice."""
    sign_agreement(engine, area)
    report(engine, area, "vorlauf")
    head = engine.head()
    assert _drop_all_connections(engine) >= 1
    r = engine.advance(area, actor="mia")  # a write unit first
    assert r.to_state == "diagnose"
    assert engine.head().entries == head.entries + 1  # one entry: the transition, once
    assert _drop_all_connections(engine) >= 1
    assert engine.get_area(area, actor="root").state == "diagnose"  # a read unit first
    assert engine.verify().ok


class SlowCollector(Collector):
    """An SMTP sink that takes its time, so a pass is still running when killed."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(0.4)
        return await super().handle_DATA(server, session, envelope)


@pytest.mark.sql("a killed process and a second engine on the database")
def test_scheduler_killed_mid_pass_loses_no_reminder(engine: Engine, tmp_path: Path) -> None:
    for pid, name in (("mia", "Mia"), ("sven", "Sven")):
        engine.add_person(pid, actor="root", name=name, email=f"{pid}@example.org")
    soon = datetime.now(UTC).date() + timedelta(days=10)  # the 28-day reminder is due now
    areas = [f"viertel-{i}" for i in range(8)]
    for a in areas:
        add_area(engine, a, review=soon)
    log = tmp_path / "scheduler.log"
    import tests.test_mail_support as support

    original = support.Collector
    support.Collector = SlowCollector  # the server below uses the slow handler
    try:
        with smtp_server() as server:
            env = _env(tmp_path, server.port)
            with scheduler_process(engine.url, env, log) as proc:
                assert wait_for(lambda: len(server.received) >= 2, 30), log.read_text()
                proc.send_signal(signal.SIGKILL)  # in the middle of the pass
                assert proc.wait(timeout=10) == -signal.SIGKILL
            sent_before = {r.message["Message-ID"] for r in server.received}
            assert 2 <= len(sent_before) < len(areas)
            # the dead scheduler's leases run out; the next pass sends the rest
            later = datetime.now(UTC) + timedelta(minutes=11)
            engine.notifier = _smtp_notifier(server.port)
            engine.send_due(later)
            received = [r.message["Message-ID"] for r in server.received]
    finally:
        support.Collector = original
    due = [r for r in engine.reminders(actor="root") if r.offset_days == 28]
    assert len(due) == len(areas)
    assert {r.status for r in due} == {"sent"}  # none lost
    assert set(received) == {r.message_id for r in due}
    # at most the one in flight when it died went out twice (same Message-ID)
    assert len(received) - len(set(received)) <= 1
    assert engine.verify().ok


def _smtp_notifier(port: int) -> Any:
    from regsam_flow.notifications import MailNotifier, SmtpTransport

    return MailNotifier(SmtpTransport(f"smtp://127.0.0.1:{port}"))


@pytest.mark.postgresql_only("the acknowledgement of a PostgreSQL COMMIT is lost on the wire")
def test_lost_commit_acknowledgement_is_reported_as_unknown(
    engine: Engine, area: str, tmp_path: Path
) -> None:
    """COMMIT reached the server and was carried out, its answer never came
    back: the user must not be told that nothing was written."""
    from regsam_flow.errors import OutcomeUnknownError

    from .lost_ack import lost_ack_url

    sign_agreement(engine, area)
    report(engine, area, "vorlauf")
    head_before = engine.head()
    with lost_ack_url(engine.url) as (url, proxy):
        cut_off = Engine(url)
        try:
            with pytest.raises(OutcomeUnknownError) as exc:
                cut_off.advance(area, actor="mia")
        finally:
            cut_off.close()
        assert proxy.cut.is_set()
    message = str(exc.value)
    assert "nothing was written" not in message
    assert "area show" in message and "log" in message
    assert (exc.value.code, exc.value.exit_code) == ("outcome_unknown", 10)
    # and indeed the change is there
    assert engine.get_area(area, actor="root").state == "diagnose"
    assert engine.head().entries == head_before.entries + 1
    assert engine.verify(deep=True).ok


@pytest.mark.postgresql_only("the acknowledgement of a PostgreSQL COMMIT is lost on the wire")
def test_cli_says_the_outcome_is_unknown_with_exit_10(
    engine: Engine, area: str, tmp_path: Path
) -> None:
    import json

    from .cli_helpers import Cli
    from .lost_ack import lost_ack_url

    with lost_ack_url(engine.url) as (url, _proxy):
        c = Cli(url, tmp_path / "home")
        text = c.run("task", "done", area, "datenmaterial", user="sven")
    assert text.exit_code == 10, text.output
    assert "nothing was written" not in text.stderr
    assert "regsam-flow area show" in text.stderr and "regsam-flow log" in text.stderr
    with lost_ack_url(engine.url) as (url, _proxy):
        c = Cli(url, tmp_path / "home")
        as_json = c.run("--json", "task", "done", area, "schwerpunktziel", user="mia")
    assert as_json.exit_code == 10
    assert json.loads(as_json.stdout)["error"] == "outcome_unknown"
    done = {t.id for t in engine.tasks(area, actor="root", phase="vorlauf") if t.done}
    assert {"datenmaterial", "schwerpunktziel"} <= done  # both were written
