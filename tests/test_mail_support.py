"""Shared helpers for the mail tests: a sample reminder, a loopback SMTP
server (aiosmtpd) that keeps what it receives, and a throw-away test CA.

No tests live here; the test_mail_* modules import these helpers.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from pathlib import Path
from typing import Any

import pytest

from regsam_flow.ports import Recipient, ReminderNotice

NOW = datetime(2027, 7, 1, 6, 0, tzinfo=timezone.utc)
REVIEW = date(2027, 7, 15)
TOPIC = "Nachbarschaftskonflikte, ältere Menschen <script>alert('x')</script> & Jugend"
COMMANDS = (
    "regsam-flow review continue hasenbergl-nord --review 15.01.2028 --as mia",
    "regsam-flow agreement amend hasenbergl-nord --duration '1 Jahr' --as mia",
    'regsam-flow fire hasenbergl-nord abschliessen --reason "Ziele erreicht" --as mia',
)
RECIPIENTS = (
    Recipient("mia", "Mia Moderatorin", "mia@regsam.example", "moderation"),
    Recipient("tom", "Tom Träger", "tom@traeger.example", "provider"),
    Recipient("joerg", "Jörg Größ-Übel", "joerg@muenchen.example", "social_planning"),
)


def make_notice(**changes: Any) -> ReminderNotice:
    """A reminder 14 days before the review of Hasenbergl-Nord."""
    notice = ReminderNotice(
        reminder_id=42,
        message_id="<reminder-42.hasenbergl-nord@regsam-flow>",
        kind="before",
        days=14,
        review_date=REVIEW,
        area="hasenbergl-nord",
        area_name="Hasenbergl-Nord",
        district="Feldmoching-Hasenbergl",
        phase="umsetzung",
        phase_title="Umsetzung",
        workflow_title="REGSAM-Schwerpunktgebiet",
        agreement={
            "topic": TOPIC,
            "scope": "zwischen Dülferstraße und Stanigplatz; ohne Gewerbegebiet",
            "reasons": "Monitoring: 9 von 13 Werten",
            "duration": "2 Jahre",
            "start": "2027-01-15",
            "review": "2027-07-15",
            "signatures": {"moderation": "Mia Moderatorin", "social_planning": "Jörg Größ-Übel"},
        },
        open_tasks=(
            ("umsetzung_koordiniert", "Umsetzung koordiniert"),
            ("handlungsauftraege", "Handlungsaufträge berichtet"),
        ),
        recipients=RECIPIENTS,
        commands=COMMANDS,
    )
    return replace(notice, **changes)


def parse(raw: bytes) -> EmailMessage:
    return BytesParser(_class=EmailMessage, policy=default).parsebytes(raw)


def text_of(msg: EmailMessage, subtype: str) -> str:
    body = msg.get_body(preferencelist=(subtype,))
    assert body is not None, f"no text/{subtype} part"
    assert body.get_content_type() == f"text/{subtype}"
    content = body.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")  # as received over SMTP: CRLF


def calendar_of(msg: EmailMessage) -> tuple[EmailMessage, bytes]:
    parts = [p for p in msg.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1, "expected one text/calendar attachment"
    part = parts[0]
    assert isinstance(part, EmailMessage)
    data = part.get_payload(decode=True)
    assert isinstance(data, bytes)
    return part, data


def unfold(ics: str) -> list[str]:
    """RFC 5545 unfolding: CRLF followed by one space joins lines."""
    return ics.replace("\r\n ", "").split("\r\n")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Received:
    """One message as the server got it."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    tls: bool
    authenticated: bool | None
    login: Any

    @property
    def message(self) -> EmailMessage:
        return parse(self.raw)


@dataclass
class Collector:
    """aiosmtpd handler that keeps every envelope."""

    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        raw = content if isinstance(content, bytes) else content.encode("utf-8")
        self.received.append(
            Received(
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                raw=raw,
                tls=session.ssl is not None  # STARTTLS
                or server.transport.get_extra_info("ssl_object") is not None,  # implicit
                authenticated=session.authenticated,
                login=session.auth_data,
            )
        )
        return "250 OK"


@dataclass
class Server:
    host: str
    port: int
    collector: Collector

    @property
    def received(self) -> list[Received]:
        return self.collector.received


@contextmanager
def smtp_server(**kwargs: Any) -> Iterator[Server]:
    """An aiosmtpd server on 127.0.0.1 and a free port; kwargs go to Controller."""
    aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")
    collector = Collector()
    port = free_port()
    controller = aiosmtpd_controller.Controller(
        collector, hostname="127.0.0.1", port=port, **kwargs
    )
    controller.start()
    try:
        yield Server("127.0.0.1", port, collector)
    finally:
        controller.stop()


def login_authenticator(user: str, password: str) -> Any:
    """An aiosmtpd authenticator accepting exactly this user and password."""
    from aiosmtpd.smtp import AuthResult, LoginPassword

    def authenticate(
        server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        )
        return AuthResult(success=ok, auth_data=user if ok else None, handled=False)

    return authenticate


@dataclass(frozen=True)
class TestCA:
    """A CA and a server certificate for 127.0.0.1/localhost signed by it."""

    __test__ = False

    ca_cert: Path
    server_cert: Path
    server_key: Path

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.server_cert, self.server_key)
        return ctx

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_cert))


def make_test_ca(folder: Path) -> TestCA:
    """Generate the CA with the ``openssl`` command (skip the test without it)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed: cannot make a test certificate")

    def run(*args: str) -> None:
        done = subprocess.run([openssl, *args], cwd=folder, capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"openssl {args[0]} failed, no test certificate: {done.stderr.strip()}")

    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    run(
        "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=regsam-flow test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    run("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    (folder / "server.ext").write_text(
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
        "subjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid\n"
    )
    run(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext",
    )  # fmt: skip
    return TestCA(folder / "ca.pem", folder / "server.pem", folder / "server.key")
