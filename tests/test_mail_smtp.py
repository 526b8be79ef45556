"""SMTP delivery against a real server on loopback (aiosmtpd), and SMTP URLs."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from regsam_flow.errors import InvalidInputError
from regsam_flow.notifications import (
    MailDeliveryError,
    MaildirTransport,
    MailNotifier,
    SmtpTransport,
    parse_smtp_url,
    redact,
    transport_from_url,
)
from regsam_flow.notifications import transport as transport_module
from regsam_flow.ports import FixedClock

from .test_mail_support import (
    COMMANDS,
    NOW,
    RECIPIENTS,
    TOPIC,
    TestCA,
    calendar_of,
    free_port,
    login_authenticator,
    make_notice,
    make_test_ca,
    smtp_server,
    text_of,
    unfold,
)

pytest.importorskip("aiosmtpd", reason="aiosmtpd (the [test] extra) runs the SMTP server")

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

PASSWORD = "p@ss:w0rd/#?"
ENCODED = "p%40ss%3Aw0rd%2F%23%3F"
SENDER = "REGSAM Büro <buero@regsam.example>"


def notifier(
    url: str, ssl_context: ssl.SSLContext | None = None, timeout: float | None = None
) -> MailNotifier:
    transport = SmtpTransport(url, ssl_context=ssl_context, timeout=timeout)
    return MailNotifier(transport, sender=SENDER, clock=FixedClock(NOW))


@pytest.fixture(scope="module")
def test_ca(tmp_path_factory: pytest.TempPathFactory) -> TestCA:
    return make_test_ca(tmp_path_factory.mktemp("ca"))


# ------------------------------------------------------------ plain SMTP
def test_german_reminder_over_smtp() -> None:
    with smtp_server() as server:
        notifier(f"smtp://{server.host}:{server.port}").notify(make_notice())
    assert len(server.received) == 1
    got = server.received[0]
    assert got.mail_from == "buero@regsam.example"
    assert sorted(got.rcpt_tos) == sorted(r.email for r in RECIPIENTS)
    assert not got.tls
    assert all(b < 128 for b in got.raw), "the message travels 7-bit clean"

    msg = got.message
    assert msg["Subject"] == (
        "Erinnerung: Überprüfung Schwerpunktgebiet Hasenbergl-Nord am 15.07.2027"
    )
    assert [a.display_name for a in msg["To"].addresses] == [
        "Mia Moderatorin",
        "Tom Träger",
        "Jörg Größ-Übel",
    ]
    assert msg["From"].addresses[0].display_name == "REGSAM Büro"
    assert msg["Message-ID"] == make_notice().message_id
    assert msg["Date"] is not None and msg["Date"].datetime == NOW
    assert msg["X-Regsam-Reminder"] == "42"

    text = text_of(msg, "plain")
    assert "15.07.2027" in text and "Hasenbergl-Nord" in text
    assert "Umsetzung koordiniert" in text and "Handlungsaufträge berichtet" in text
    assert TOPIC in text
    for command in COMMANDS:
        assert f"    {command}\n" in text, "commands verbatim, each on its own line"

    html = text_of(msg, "html")
    assert "&lt;script&gt;" in html and "<script>" not in html and "&amp; Jugend" in html

    part, data = calendar_of(msg)
    assert part.get_content_type() == "text/calendar"
    filename = part.get_filename()
    assert filename is not None and filename.endswith(".ics")
    ics = data.decode("utf-8")
    assert "\n" not in ics.replace("\r\n", ""), "CRLF line endings only"
    assert all(len(line.encode()) <= 75 for line in ics.split("\r\n"))
    lines = unfold(ics)
    assert lines[0] == "BEGIN:VCALENDAR" and "END:VCALENDAR" in lines
    assert lines.index("BEGIN:VEVENT") < lines.index("END:VEVENT")
    assert "DTSTART;VALUE=DATE:20270715" in lines
    assert any("Nachbarschaftskonflikte\\, ältere" in line for line in lines)


def test_english_reminder_over_smtp() -> None:
    with smtp_server() as server:
        notice = make_notice(language="en", kind="overdue", days=-2, reminder_id=7)
        notifier(f"smtp://{server.host}:{server.port}").notify(notice)
    msg = server.received[0].message
    assert msg["Subject"] == "Overdue: review of focus area Hasenbergl-Nord since 15 July 2027"
    assert msg["X-Regsam-Reminder"] == "7"
    text = text_of(msg, "plain")
    assert "was due on 15 July 2027\n(2 days overdue)" in text
    assert "Open required tasks" in text and all(c in text for c in COMMANDS)
    lines = unfold(calendar_of(msg)[1].decode())
    assert "SUMMARY:Review of focus area Hasenbergl-Nord" in lines


def test_server_down_raises_promptly() -> None:
    port = free_port()  # nothing listens there
    with pytest.raises(MailDeliveryError) as caught:
        notifier(f"smtp://user:{ENCODED}@127.0.0.1:{port}", timeout=5).notify(make_notice())
    assert isinstance(caught.value.__cause__, ConnectionRefusedError)
    assert not caught.value.permanent
    assert PASSWORD not in str(caught.value) and ENCODED not in str(caught.value)
    assert "user:***@127.0.0.1" in str(caught.value)


# ----------------------------------------------------------------- AUTH
def test_auth_uses_decoded_credentials() -> None:
    auth = login_authenticator("regsam@example.org", PASSWORD)
    with smtp_server(authenticator=auth, auth_required=True, auth_require_tls=False) as server:
        url = f"smtp://regsam%40example.org:{ENCODED}@{server.host}:{server.port}"
        notifier(url).notify(make_notice())
    assert len(server.received) == 1
    assert server.received[0].authenticated is True
    assert server.received[0].login == "regsam@example.org"


def test_wrong_password_raises_without_revealing_it() -> None:
    auth = login_authenticator("regsam", PASSWORD)
    with smtp_server(authenticator=auth, auth_required=True, auth_require_tls=False) as server:
        url = f"smtp://regsam:wrong%21secret@{server.host}:{server.port}"
        with pytest.raises(MailDeliveryError) as caught:
            notifier(url).notify(make_notice())
    assert server.received == []
    assert caught.value.permanent
    assert "535" in str(caught.value)
    assert "wrong" not in str(caught.value) and "secret" not in str(caught.value)
    assert f"regsam:***@{server.host}" in str(caught.value)


def test_password_not_sent_in_clear_to_remote_host(monkeypatch: pytest.MonkeyPatch) -> None:
    # Pretend 127.0.0.1 is a remote host: without STARTTLS the login is refused.
    monkeypatch.setattr(transport_module, "is_loopback", lambda host: False)
    auth = login_authenticator("regsam", PASSWORD)
    with smtp_server(authenticator=auth, auth_require_tls=False) as server:
        with pytest.raises(MailDeliveryError, match="refusing to send the password") as caught:
            notifier(f"smtp://regsam:{ENCODED}@{server.host}:{server.port}").notify(make_notice())
        assert caught.value.permanent
        never = f"smtp://regsam:{ENCODED}@{server.host}:{server.port}?starttls=never"
        notifier(never).notify(make_notice())
    assert len(server.received) == 1


def test_starttls_required_but_not_offered() -> None:
    with smtp_server() as server:
        url = f"smtp://{server.host}:{server.port}?starttls=require"
        with pytest.raises(MailDeliveryError, match="does not offer STARTTLS"):
            notifier(url).notify(make_notice())
    assert server.received == []


# ------------------------------------------------------------------ TLS
def test_starttls_with_auth(test_ca: TestCA) -> None:
    auth = login_authenticator("regsam", PASSWORD)
    with smtp_server(
        tls_context=test_ca.server_context(), require_starttls=True, authenticator=auth,
        auth_required=True,
    ) as server:  # fmt: skip
        url = f"smtp://regsam:{ENCODED}@{server.host}:{server.port}?starttls=require"
        notifier(url, ssl_context=test_ca.client_context()).notify(make_notice())
    assert len(server.received) == 1
    assert server.received[0].tls and server.received[0].authenticated


def test_starttls_auto_is_used_when_offered(test_ca: TestCA) -> None:
    with smtp_server(tls_context=test_ca.server_context()) as server:
        url = f"smtp://{server.host}:{server.port}"
        notifier(url, ssl_context=test_ca.client_context()).notify(make_notice())
    assert server.received[0].tls


def test_starttls_rejects_untrusted_certificate(test_ca: TestCA) -> None:
    with (
        smtp_server(tls_context=test_ca.server_context(), require_starttls=True) as server,
        pytest.raises(MailDeliveryError) as caught,
    ):
        notifier(f"smtp://{server.host}:{server.port}").notify(make_notice())
    assert isinstance(caught.value.__cause__, ssl.SSLCertVerificationError)
    assert server.received == []


def test_smtps_implicit_tls(test_ca: TestCA) -> None:
    auth = login_authenticator("regsam", PASSWORD)
    # aiosmtpd counts only STARTTLS as TLS for auth_require_tls, not implicit TLS
    with smtp_server(
        ssl_context=test_ca.server_context(), authenticator=auth, auth_require_tls=False
    ) as server:
        url = f"smtps://regsam:{ENCODED}@{server.host}:{server.port}"
        notifier(url, ssl_context=test_ca.client_context()).notify(make_notice())
    assert len(server.received) == 1
    got = server.received[0]
    assert got.tls and got.authenticated
    assert got.message["Subject"].startswith("Erinnerung: Überprüfung")


# ------------------------------------------------------------------ URLs
@pytest.mark.parametrize(
    ("url", "host", "port", "tls", "user", "password"),
    [
        ("smtp://localhost:1025", "localhost", 1025, "auto", None, None),
        ("smtp://mail.example.org", "mail.example.org", 25, "auto", None, None),
        (f"smtp://u:{ENCODED}@host:587", "host", 587, "auto", "u", PASSWORD),
        ("smtp://u:pw@host:587?starttls=require", "host", 587, "require", "u", "pw"),
        ("SMTP://host:2525/?starttls=never", "host", 2525, "never", None, None),
        ("smtps://u%40x.org:pw@host", "host", 465, "implicit", "u@x.org", "pw"),
        ("smtps://[::1]:4650", "::1", 4650, "implicit", None, None),
    ],
)
def test_parse_smtp_url(
    url: str, host: str, port: int, tls: str, user: str | None, password: str | None
) -> None:
    s = parse_smtp_url(url)
    assert (s.host, s.port, s.tls, s.username, s.password) == (host, port, tls, user, password)
    assert s.timeout == 30.0
    if password:
        assert password not in repr(s) and password not in str(s)


def test_timeout_option() -> None:
    assert parse_smtp_url("smtp://h?timeout=5").timeout == 5.0


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://user:topsecret@host:25", "unknown scheme 'http'"),
        ("host:25", "unknown scheme"),
        ("smtp://user:topsecret@:25", "host is missing"),
        ("smtp://user:topsecret@host:abc", "bad port"),
        ("smtp://user:topsecret@host:99999", "bad port"),
        ("smtp://user:topsecret@host:0", "bad port"),
        ("smtp://user:topsecret@host:25?starttls=maybe", "starttls='maybe'"),
        ("smtps://user:topsecret@host?starttls=require", "does not apply"),
        ("smtp://user:topsecret@host?from=a@b.c", "percent-encode them"),  # ambiguous
        ("smtp://user:topsecret@host?from=abc", "unknown option 'from'"),
        ("smtp://user:topsecret@host?timeout=0", "timeout='0'"),
        ("smtp://user:top/secret@host:25", "percent-encode them"),
        ("smtp://user:top#secret@host:25", "percent-encode them"),
        ("smtp://user:top?secret@host:25", "percent-encode them"),
        ("smtp://user:topsecret", "bad port"),
        ("smtp://user:top%C3%A4secret@host:25", "must be ASCII"),
    ],
)
def test_bad_urls_are_named_and_redacted(url: str, problem: str) -> None:
    with pytest.raises(InvalidInputError, match="SMTP URL") as caught:
        transport_from_url(url, Path("unused"))
    message = str(caught.value)
    assert problem in message
    assert "secret" not in message and "top" not in message
    assert caught.value.field == "REGSAM_FLOW_SMTP_URL"


def test_transport_from_url_defaults_to_maildir(tmp_path: Path) -> None:
    for empty in (None, "", "   "):
        transport = transport_from_url(empty, tmp_path / "maildir")
        assert isinstance(transport, MaildirTransport)
        assert transport.path == tmp_path / "maildir"
    assert isinstance(transport_from_url("smtp://localhost:1025", tmp_path), SmtpTransport)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"smtp://user:{ENCODED}@host:587", "smtp://user:***@host:587"),
        ("smtps://user:pw@host:465?timeout=5", "smtps://user:***@host:465?timeout=5"),
        ("smtp://user@host:587", "smtp://user@host:587"),
        ("smtp://localhost:1025", "smtp://localhost:1025"),
        ("smtp://user:pa/ss@host", "smtp://***@host"),
        ("smtp://user:pa?ss@host", "smtp://***@host"),
        ("user:pass@host", "***"),
        ("user:pass", "***"),
        ("smtp://user:pass", "smtp://***"),
        ("smtp://[::1]", "smtp://[::1]"),
        ("host:25", "host:25"),
    ],
)
def test_redact(url: str, shown: str) -> None:
    assert redact(url) == shown


def test_transport_str_and_repr_hide_password() -> None:
    transport = SmtpTransport(f"smtp://regsam:{ENCODED}@mail.example.org:587")
    for shown in (str(transport), repr(transport), repr(transport.settings)):
        assert ENCODED not in shown and PASSWORD not in shown
    assert str(transport) == "smtp://regsam:***@mail.example.org:587"
    assert "regsam:***@" in repr(MailNotifier(transport))
