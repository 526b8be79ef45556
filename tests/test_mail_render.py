"""Rendering reminders into mail, the calendar attachment, templates, Maildir."""

from __future__ import annotations

from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from regsam_flow.errors import InvalidInputError
from regsam_flow.notifications import (
    DEFAULT_SENDER,
    MaildirTransport,
    MailNotifier,
    ReminderRenderer,
    SmtpTransport,
    notifier_from_env,
    read_maildir,
    render_reminder,
)
from regsam_flow.notifications.ics import escape_text, event_uid, fold_line
from regsam_flow.ports import FixedClock, Recipient

from .test_mail_support import (
    COMMANDS,
    NOW,
    RECIPIENTS,
    TOPIC,
    calendar_of,
    make_notice,
    parse,
    text_of,
    unfold,
)


def rendered(**changes: object) -> EmailMessage:
    """Render, serialise and parse back, as a receiver sees it."""
    msg = render_reminder(make_notice(**changes), now=NOW)
    return parse(msg.as_bytes())


# ---------------------------------------------------------------- subjects
@pytest.mark.parametrize(
    ("kind", "days", "subject"),
    [
        ("before", 14, "Erinnerung: Überprüfung Schwerpunktgebiet Hasenbergl-Nord am 15.07.2027"),
        ("on_day", 0, "Heute: Überprüfung Schwerpunktgebiet Hasenbergl-Nord am 15.07.2027"),
        (
            "overdue",
            -3,
            "Überfällig: Überprüfung Schwerpunktgebiet Hasenbergl-Nord seit 15.07.2027",
        ),
    ],
)
def test_german_subjects(kind: str, days: int, subject: str) -> None:
    msg = rendered(kind=kind, days=days)
    assert msg["Subject"] == subject
    raw = render_reminder(make_notice(kind=kind, days=days), now=NOW).as_bytes()
    assert "Überprüfung".encode() not in raw, "umlauts must be MIME-encoded in headers"


@pytest.mark.parametrize(
    ("kind", "days", "subject"),
    [
        ("before", 14, "Reminder: review of focus area Hasenbergl-Nord on 15 July 2027"),
        ("on_day", 0, "Today: review of focus area Hasenbergl-Nord on 15 July 2027"),
        ("overdue", -3, "Overdue: review of focus area Hasenbergl-Nord since 15 July 2027"),
    ],
)
def test_english_subjects(kind: str, days: int, subject: str) -> None:
    assert rendered(kind=kind, days=days, language="en")["Subject"] == subject


@pytest.mark.parametrize(("language", "word"), [("en-GB", "Reminder"), ("fr", "Erinnerung")])
def test_language_variants_and_fallback(language: str, word: str) -> None:
    assert rendered(language=language)["Subject"].startswith(word + ":")


# ----------------------------------------------------------------- headers
def test_headers() -> None:
    msg = rendered()
    assert msg["From"] == DEFAULT_SENDER
    to = msg["To"]
    names = [a.display_name for a in to.addresses]
    assert names == ["Mia Moderatorin", "Tom Träger", "Jörg Größ-Übel"]
    assert [a.addr_spec for a in to.addresses] == [r.email for r in RECIPIENTS]
    assert msg["Message-ID"] == "<reminder-42.hasenbergl-nord@regsam-flow>"
    assert msg["Date"].datetime == NOW
    assert msg["X-Regsam-Reminder"] == "42"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg.get_content_type() == "multipart/mixed"
    alternative = next(msg.iter_parts())
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "text/html"]


def test_message_id_is_stable_and_bracketed() -> None:
    first = rendered(message_id="reminder-7@regsam-flow")
    later = NOW + timedelta(hours=5)
    again = parse(
        render_reminder(make_notice(message_id="reminder-7@regsam-flow"), now=later).as_bytes()
    )
    assert first["Message-ID"] == again["Message-ID"] == "<reminder-7@regsam-flow>"


def test_custom_sender_with_umlaut() -> None:
    msg = parse(
        render_reminder(
            make_notice(), now=NOW, sender="REGSAM Büro <buero@regsam.example>"
        ).as_bytes()
    )
    assert msg["From"].addresses[0].display_name == "REGSAM Büro"
    assert msg["From"].addresses[0].addr_spec == "buero@regsam.example"


def test_duplicate_recipients_once_and_none_refused() -> None:
    twice = (*RECIPIENTS, Recipient("mia2", "Mia M.", "MIA@regsam.example", "sbh"))
    assert len(rendered(recipients=twice)["To"].addresses) == 3
    with pytest.raises(InvalidInputError, match="no recipients"):
        render_reminder(make_notice(recipients=()), now=NOW)
    with pytest.raises(InvalidInputError, match="not an email address"):
        render_reminder(make_notice(recipients=(Recipient("x", "X", "nobody", "sbh"),)), now=NOW)


# -------------------------------------------------------------------- body
def test_german_text_body() -> None:
    text = text_of(rendered(), "plain")
    for expected in (
        "am 15.07.2027 (in 14 Tagen)",
        "Hasenbergl-Nord",
        "Feldmoching-Hasenbergl",
        "Umsetzung",
        TOPIC,  # intact, not escaped
        "zwischen Dülferstraße und Stanigplatz; ohne Gewerbegebiet",
        "2 Jahre",
        "Start am:                 15.01.2027",
        "Überprüfung am:           15.07.2027",
        "REGSAM-Moderation: Mia Moderatorin",
        "Jörg Größ-Übel",
        "Umsetzung koordiniert (umsetzung_koordiniert)",
        "Handlungsaufträge berichtet (handlungsauftraege)",
        "ob der Prozess fortgesetzt wird",
        "neuen Überprüfungstermin",
        "geänderten Kooperationsvereinbarung",
        "beenden",
    ):
        assert expected in text, expected
    for command in COMMANDS:
        assert f"    {command}\n" in text, command
    assert "2027-07-15" not in text


def test_overdue_and_on_day_bodies() -> None:
    overdue = text_of(rendered(kind="overdue", days=-3), "plain")
    assert "war am 15.07.2027 fällig" in overdue and "3 Tage überfällig" in overdue
    today = text_of(rendered(kind="on_day", days=0), "plain")
    assert "heute, am 15.07.2027" in today


def test_no_open_tasks() -> None:
    assert "Offene Pflichtaufgaben\n  keine\n" in text_of(rendered(open_tasks=()), "plain")


def test_html_is_escaped_text_is_not() -> None:
    msg = rendered()
    html = text_of(msg, "html")
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "&amp; Jugend" in html
    assert "Hasenbergl-Nord" in html and "15.07.2027" in html
    assert "Handlungsaufträge berichtet" in html
    assert "regsam-flow review continue hasenbergl-nord --review 15.01.2028 --as mia" in html
    text = text_of(msg, "plain")
    assert "<script>alert('x')</script> & Jugend" in text


def test_english_body() -> None:
    msg = rendered(language="en")
    text = text_of(msg, "plain")
    assert "is due on 15 July 2027 (in 14 days)" in text
    assert "Start:                    15 January 2027" in text
    assert "Open required tasks" in text and "whether the process continues" in text
    assert all(c in text for c in COMMANDS)
    assert text_of(msg, "html").startswith('<!DOCTYPE html>\n<html lang="en">')
    assert msg["Content-Language"] == "en"


# ---------------------------------------------------------------- calendar
def test_ics_attachment() -> None:
    part, data = calendar_of(rendered())
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "PUBLISH"
    filename = part.get_filename()
    assert filename is not None and filename.endswith(".ics")
    assert part.get_content_disposition() == "attachment"
    text = data.decode("utf-8")
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    lines = unfold(text)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR" and lines[-1] == ""
    assert "BEGIN:VEVENT" in lines and "END:VEVENT" in lines
    assert "METHOD:PUBLISH" in lines
    assert "DTSTART;VALUE=DATE:20270715" in lines
    assert "DTEND;VALUE=DATE:20270716" in lines
    assert "DTSTAMP:20270701T060000Z" in lines
    assert "SUMMARY:Überprüfung Schwerpunktgebiet Hasenbergl-Nord" in lines
    assert "UID:review-hasenbergl-nord-20270715@regsam-flow" in lines
    description = next(line for line in lines if line.startswith("DESCRIPTION:"))
    assert "Nachbarschaftskonflikte\\, ältere Menschen" in description
    assert "\\n" in description
    assert max(len(line.encode()) for line in text.split("\r\n")) > 70, "expected folding"


def test_ics_uid_is_stable_per_area_and_review() -> None:
    def uid(**changes: object) -> str:
        _, data = calendar_of(rendered(**changes))
        return next(x for x in unfold(data.decode()) if x.startswith("UID:"))

    assert uid() == uid(kind="overdue", days=-2, reminder_id=99, message_id="<x@y>")
    assert uid() != uid(review_date=date(2028, 1, 15))
    assert uid() != uid(area="milbertshofen")


def test_fold_line_counts_octets_and_keeps_characters() -> None:
    line = "DESCRIPTION:" + "Überprüfung äöü ß " * 20
    folded = fold_line(line)
    pieces = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in pieces)
    assert all(p.startswith(" ") for p in pieces[1:])
    assert folded.replace("\r\n ", "") == line
    assert fold_line("SHORT:x") == "SHORT:x"


def test_escape_text() -> None:
    assert escape_text("a,b;c\\d\ne\r\nf") == "a\\,b\\;c\\\\d\\ne\\nf"
    assert event_uid("ä b", date(2027, 7, 15)) == "review-%C3%A4%20b-20270715@regsam-flow"


# --------------------------------------------------------------- templates
def test_template_override_changes_subject(tmp_path: Path) -> None:
    (tmp_path / "subject.de.txt.j2").write_text(
        "[REGSAM] {{ area_name }}: Stichtag {{ review_date|date }}\n", encoding="utf-8"
    )
    msg = parse(ReminderRenderer(tmp_path).render(make_notice(), now=NOW).as_bytes())
    assert msg["Subject"] == "[REGSAM] Hasenbergl-Nord: Stichtag 15.07.2027"
    assert "ob der Prozess fortgesetzt wird" in text_of(msg, "plain")  # package template
    english = ReminderRenderer(tmp_path).subject(make_notice(language="en"))
    assert english.startswith("Reminder:")


def test_broken_or_missing_template_folder(tmp_path: Path) -> None:
    (tmp_path / "reminder.de.txt.j2").write_text("{% if %}\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"reminder\.de\.txt\.j2, line 1"):
        ReminderRenderer(tmp_path)
    with pytest.raises(InvalidInputError, match="does not exist"):
        ReminderRenderer(tmp_path / "nope")


# ----------------------------------------------------------------- maildir
def test_maildir_delivery(tmp_path: Path) -> None:
    box = tmp_path / "data" / "maildir"
    clock = FixedClock(NOW)
    notifier = MailNotifier(MaildirTransport(box), clock=clock)
    notifier.notify(make_notice())
    clock.set(NOW + timedelta(days=14))
    notifier.notify(
        make_notice(reminder_id=43, message_id="<reminder-43@regsam-flow>", kind="on_day", days=0)
    )
    assert len(list((box / "new").iterdir())) == 2
    assert list((box / "tmp").iterdir()) == []
    messages = read_maildir(box)
    assert [m["Message-ID"] for m in messages] == [
        "<reminder-42.hasenbergl-nord@regsam-flow>",
        "<reminder-43@regsam-flow>",
    ]
    first, second = messages
    assert first["Subject"].startswith("Erinnerung: Überprüfung")
    assert second["Subject"].startswith("Heute: Überprüfung")
    assert first["To"].addresses[1].display_name == "Tom Träger"
    assert "Handlungsaufträge berichtet" in text_of(first, "plain")
    _, data = calendar_of(first)
    assert "\r\nDTSTART;VALUE=DATE:20270715\r\n" in data.decode()


def test_read_maildir_of_nothing(tmp_path: Path) -> None:
    assert read_maildir(tmp_path / "missing") == []


def test_notifier_from_env(tmp_path: Path) -> None:
    plain = notifier_from_env(tmp_path, {})
    assert isinstance(plain.transport, MaildirTransport)
    assert plain.transport.path == tmp_path / "maildir"
    assert str(plain.sender) == DEFAULT_SENDER

    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "subject.de.txt.j2").write_text("Eigener Betreff", encoding="utf-8")
    env = {
        "REGSAM_FLOW_SMTP_URL": "smtp://regsam:geheim%21@mail.example.org:587",
        "REGSAM_FLOW_MAIL_FROM": "REGSAM Moderation <moderation@regsam.example>",
        "REGSAM_FLOW_TEMPLATES": str(tmp_path / "tpl"),
    }
    configured = notifier_from_env(tmp_path, env)
    assert isinstance(configured.transport, SmtpTransport)
    assert configured.transport.settings.password == "geheim!"
    assert "geheim" not in repr(configured)
    assert configured.sender.addr_spec == "moderation@regsam.example"
    assert configured.renderer.subject(make_notice()) == "Eigener Betreff"

    with pytest.raises(InvalidInputError, match="not an email address"):
        notifier_from_env(tmp_path, {"REGSAM_FLOW_MAIL_FROM": "nobody"})
    with pytest.raises(InvalidInputError, match="unknown scheme"):
        notifier_from_env(tmp_path, {"REGSAM_FLOW_SMTP_URL": "http://x:geheim@host"})
