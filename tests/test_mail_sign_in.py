"""The sign-in mail: rendered from the German and English templates,
delivered into a real Maildir and over a real SMTP server on loopback; the
link read from the mail signs in."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from email.message import EmailMessage
from pathlib import Path

import pytest

from regsam_flow import Engine
from regsam_flow.i18n import use_language
from regsam_flow.notifications import MaildirTransport, MailNotifier, SmtpTransport
from regsam_flow.notifications.maildir import read_maildir
from regsam_flow.persistence.memory import MemoryStore
from regsam_flow.ports import FixedClock

from .test_mail_support import smtp_server, text_of

# 12:20 UTC is 14:20 in Berlin (summer time): the link is valid until 14:35
NOW = datetime(2027, 7, 1, 12, 20, tzinfo=timezone.utc)
BASE = "https://flow.example/sign-in?token="
BROWSER = "the-asking-browser"


def engine_with(notifier: MailNotifier) -> Engine:
    engine = Engine(store=MemoryStore(), clock=FixedClock(NOW), notifier=notifier)
    engine.init("root", name="Root Admin", email="root@regsam.example")
    engine.add_person("pia", actor="root", name="Pia Prüß", email="pia@traeger.example")
    return engine


def flat(text: str) -> str:
    return " ".join(text.split())


def link_in(msg: EmailMessage) -> str:
    found = re.findall(re.escape(BASE) + r"(rf_l_[A-Za-z0-9_-]+)", text_of(msg, "plain"))
    assert len(found) == 1
    return str(found[0])


def test_the_german_mail_lands_in_the_maildir_and_its_link_signs_in(tmp_path: Path) -> None:
    box = tmp_path / "maildir"
    engine = engine_with(MailNotifier(MaildirTransport(box), clock=FixedClock(NOW)))
    with use_language("de"):
        engine.request_sign_in("pia@traeger.example", browser=BROWSER, client="c", link_base=BASE)
    (msg,) = read_maildir(box)
    assert msg["Subject"] == "Ihr Anmeldelink für regsam-flow"
    assert [a.addr_spec for a in msg["To"].addresses] == ["pia@traeger.example"]
    assert msg["Content-Language"] == "de"
    text = flat(text_of(msg, "plain"))
    assert "Guten Tag Pia Prüß," in text
    assert "gültig bis 14:35 Uhr" in text
    assert "nur einmal verwendbar, nur in dem Browser, in dem Sie ihn angefordert haben" in text
    assert "Falls Sie keinen Link angefordert haben, können Sie diese Mail ignorieren." in text
    token = link_in(msg)
    html = text_of(msg, "html")
    assert f'href="{BASE}{token}"' in html and "gültig bis 14:35 Uhr" in flat(html)
    assert token not in str(msg["Message-ID"])
    grant = engine.redeem_sign_in(token, browser=BROWSER)
    assert grant.person == "pia"


def test_the_english_mail(tmp_path: Path) -> None:
    box = tmp_path / "maildir"
    engine = engine_with(MailNotifier(MaildirTransport(box), clock=FixedClock(NOW)))
    with use_language("en"):
        engine.request_sign_in("pia@traeger.example", browser=BROWSER, client="c", link_base=BASE)
    (msg,) = read_maildir(box)
    assert msg["Subject"] == "Your sign-in link for regsam-flow"
    text = flat(text_of(msg, "plain"))
    assert "valid until 14:35" in text and "Europe/Berlin" in text
    assert "only once, and only in the browser in which you requested it" in text
    assert "If you did not request a link, you can ignore this mail." in text
    link_in(msg)


def test_no_mail_for_an_unknown_address(tmp_path: Path) -> None:
    box = tmp_path / "maildir"
    engine = engine_with(MailNotifier(MaildirTransport(box), clock=FixedClock(NOW)))
    engine.request_sign_in("nobody@traeger.example", browser=BROWSER, client="c", link_base=BASE)
    assert read_maildir(box) == []


def test_the_mail_over_smtp_on_loopback() -> None:
    pytest.importorskip("aiosmtpd", reason="aiosmtpd (the [test] extra) runs the SMTP server")
    with smtp_server() as server:
        transport = SmtpTransport(f"smtp://{server.host}:{server.port}")
        engine = engine_with(MailNotifier(transport, clock=FixedClock(NOW)))
        with use_language("de"):
            engine.request_sign_in(
                "pia@traeger.example", browser=BROWSER, client="c", link_base=BASE
            )
    (got,) = server.received
    assert got.rcpt_tos == ["pia@traeger.example"]
    assert all(b < 128 for b in got.raw), "the message travels 7-bit clean"
    msg = got.message
    assert msg["Subject"] == "Ihr Anmeldelink für regsam-flow"
    assert "gültig bis 14:35 Uhr" in flat(text_of(msg, "plain"))
    assert engine.redeem_sign_in(link_in(msg), browser=BROWSER).person == "pia"
