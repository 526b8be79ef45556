"""No part of a password is ever printed, logged or stored in the audit log,
whatever shape the database or SMTP URL has; a URL that cannot be read is
refused without echoing it."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result

from regsam_flow import Engine
from regsam_flow.cli import cli
from regsam_flow.persistence.database import redact_url

from .conftest import AGREEMENT
from .test_mail_support import login_authenticator, smtp_server

BERLIN = ZoneInfo("Europe/Berlin")

pytest.importorskip("aiosmtpd", reason="aiosmtpd (the [test] extra) runs the SMTP server")
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

#: A password whose two halves (around a '#', '?' or '/') are each recognisable.
HEAD, TAIL = "Kx7Secret", "Qz9Tail"


def our_log(caplog: pytest.LogCaptureFixture) -> str:
    """What regsam-flow logged (not the test SMTP server's own log, "mail.log")."""
    return "\n".join(
        f"{r.name}: {r.getMessage()}" for r in caplog.records if not r.name.startswith("mail.")
    )


def leaks(text: str) -> list[str]:
    """The fragments of the password found in ``text``."""
    return [part for part in (HEAD, TAIL, HEAD[:6], TAIL[:5]) if part in text]


def sign_due_now(engine: Engine, area: str) -> str:
    """Sign an agreement whose 28-day reminder fell due 18 days ago; return
    yesterday as a German date: a pretended time before the real clock, so
    an admin's ``send-due --now`` on it is a real pass."""
    today = datetime.now(BERLIN).date()
    terms = {**AGREEMENT, "start": today - timedelta(days=60), "review": today + timedelta(days=10)}
    engine.set_agreement(area, actor="mia", **terms)
    engine.sign_agreement(area, actor="mia")
    engine.sign_agreement(area, actor="sven")
    return f"{today - timedelta(days=1):%d.%m.%Y}"


def invoke(*args: str, env: dict[str, str | None], tmp_path: Path) -> Result:
    base: dict[str, str | None] = {
        "REGSAM_FLOW_HOME": str(tmp_path / "home"),
        "REGSAM_FLOW_JSON": None,
        "REGSAM_FLOW_SMTP_URL": None,
    }
    return CliRunner().invoke(cli, list(args), env={**base, **env})


# --------------------------------------------------------------- database URLs
@pytest.mark.parametrize(
    "url",
    [
        f"postgresql+psycopg//mia:{HEAD}{TAIL}@127.0.0.1:1/db",  # "://" mistyped
        f"mia:{HEAD}{TAIL}@127.0.0.1/db",  # no scheme
        f"postgresql+psycopg://mia:{HEAD}{TAIL}/db",  # no host: the password read as port
        f"postgresql+psycopg://mia:{HEAD}@{TAIL}@127.0.0.1:1/db",  # '@' not encoded
        f"postgresql+psycopg://mia/{HEAD}@127.0.0.1:1/{TAIL}",  # '/' for ':'
    ],
)
def test_malformed_database_url_is_refused_without_echo(tmp_path: Path, url: str) -> None:
    for args in (["info"], ["--json", "info"], ["area", "list"]):
        r = invoke("--as", "mia", *args, env={"REGSAM_FLOW_DB": url}, tmp_path=tmp_path)
        assert r.exit_code == 7, r.output
        assert not leaks(r.output), r.output
        assert "database URL" in r.output
        r = invoke("--db", url, *args, env={}, tmp_path=tmp_path)
        assert r.exit_code == 7 and not leaks(r.output), r.output
    assert not leaks(redact_url(url))


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"postgresql+psycopg://mia:{HEAD}%23{TAIL}@db/regsam", "postgresql+psycopg://mia:***@db/regsam"),
        (f"postgresql+psycopg://mia:{HEAD}#{TAIL}@db/regsam", "postgresql+psycopg://mia:***@db/regsam"),
        (f"postgresql+psycopg://mia:{HEAD}?{TAIL}@db/regsam", "postgresql+psycopg://mia:***@db/regsam"),
        (f"postgresql+psycopg://mia@db/regsam?password={HEAD}", "postgresql+psycopg://mia@db/regsam?password=***"),
        ("sqlite:////srv/regsam@home/regsam.db", "sqlite:////srv/regsam%40home/regsam.db"),
    ],
)  # fmt: skip
def test_redact_url(url: str, shown: str) -> None:
    # an "@" in a SQLite path is no password: SQLAlchemy 2.1 prints it as
    # %40, 2.0 (the floor) as it is; either way it is shown, not redacted
    assert redact_url(url) in (shown, shown.replace("%40", "@"))


def test_unreachable_server_with_password_in_query(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://mia@127.0.0.1:1/db?password={HEAD}{TAIL}&connect_timeout=5"
    r = invoke("--db", url, "--as", "mia", "area", "list", env={}, tmp_path=tmp_path)
    assert r.exit_code != 0
    assert not leaks(r.output), r.output


# ------------------------------------------------------------------ SMTP URLs
@pytest.mark.sql("runs the CLI on the engine's database")
@pytest.mark.parametrize("sep", ["#", "?", "/", "%23"])
def test_smtp_password_never_shown_logged_or_audited(
    engine: Engine, area: str, tmp_path: Path, caplog: pytest.LogCaptureFixture, sep: str
) -> None:
    yesterday = sign_due_now(engine, area)
    auth = login_authenticator("mia", "the right one")
    outputs: list[str] = []
    with (
        smtp_server(authenticator=auth, auth_required=True, auth_require_tls=False) as server,
        caplog.at_level(logging.DEBUG),
    ):
        url = f"smtp://mia:{HEAD}{sep}{TAIL}@{server.host}:{server.port}"
        env: dict[str, str | None] = {"REGSAM_FLOW_DB": engine.url, "REGSAM_FLOW_SMTP_URL": url}
        codes: list[int] = []
        for hour in range(8, 16):  # past every retry
            now = f"{yesterday} {hour:02d}:00"
            for fmt in ([], ["--json"]):
                r = invoke(
                    *fmt, "--as", "root", "reminders", "send-due", "--now", now,
                    env=env, tmp_path=tmp_path,
                )  # fmt: skip
                codes.append(r.exit_code)
                outputs.append(r.output)
        assert server.received == []
        assert 14 in codes and set(codes) <= {0, 14, 15}  # failed for good (after retries)
        for args in (
            ["reminders", "list"],
            ["--json", "reminders", "list"],
            ["--json", "reminders", "list", "--status", "failed"],
            ["log"],
            ["--json", "log"],
            ["log", "--format", "csv"],
        ):
            r = invoke("--as", "audrey", *args, env=env, tmp_path=tmp_path)
            assert r.exit_code == 0, r.output
            outputs.append(r.output)
    failed = [r for r in engine.reminders(actor="root") if r.status == "failed"]
    assert failed and all(r.last_error for r in failed)
    stored = [
        json.dumps(e.to_dict(), ensure_ascii=False) for e in engine.history(actor="audrey")
    ] + [r.last_error for r in engine.reminders(actor="root")]
    assert any("reminder_failed" in s for s in stored)
    assert "not delivered" in our_log(caplog)
    for text in [*outputs, *stored, our_log(caplog)]:
        assert not leaks(text), text


@pytest.mark.sql("runs the CLI on the engine's database")
def test_server_reply_echoing_the_password_is_scrubbed(
    engine: Engine, area: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A server that quotes the credentials in its refusal: the delivery
    error, the log, the reminder and the audit log still hold none of it."""
    from aiosmtpd.smtp import AuthResult, LoginPassword

    def echoing(
        server: object, session: object, envelope: object, mechanism: str, data: object
    ) -> AuthResult:
        shown = data.password.decode() if isinstance(data, LoginPassword) else "?"
        return AuthResult(success=False, handled=False, message=f"535 5.7.8 no: {shown}")

    yesterday = sign_due_now(engine, area)
    with (
        smtp_server(authenticator=echoing, auth_required=True, auth_require_tls=False) as server,
        caplog.at_level(logging.DEBUG),
    ):
        url = f"smtp://mia:{HEAD}%2F{TAIL}@{server.host}:{server.port}"
        env: dict[str, str | None] = {"REGSAM_FLOW_DB": engine.url, "REGSAM_FLOW_SMTP_URL": url}
        r = invoke(
            "--as", "root", "reminders", "send-due", "--now", f"{yesterday} 08:00",
            env=env, tmp_path=tmp_path,
        )  # fmt: skip
        assert r.exit_code in (14, 15), r.output  # the delivery failed
        listed = invoke("--as", "audrey", "reminders", "list", env=env, tmp_path=tmp_path)
    [failed] = [x for x in engine.reminders(actor="root") if x.status == "failed"]
    assert "535" in failed.last_error and "no: ***" in failed.last_error
    audit = [json.dumps(e.to_dict()) for e in engine.history(actor="audrey")]
    for text in [r.output, listed.output, failed.last_error, *audit, our_log(caplog)]:
        assert not leaks(text), text
