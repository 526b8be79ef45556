"""The KG's meetings: recorded with attendees, decisions, minutes and
attachments; read by everyone with a role in the area; refused with clear
errors (engine on every store of the run, the CLI on SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from regsam_flow.engine import Engine
from regsam_flow.engine.meetings import MAX_ATTACHMENT_BYTES
from regsam_flow.errors import InvalidInputError, NotAllowedError, NotFoundError
from regsam_flow.kg import AttachmentFile, Attendee

from .cli_helpers import Cli, setup_area

PAST = date(2026, 3, 12)
FUTURE = date.today() + timedelta(days=40)


def _kg_entries(engine: Engine, area: str) -> list[dict[str, object]]:
    return [
        e.to_dict()
        for e in engine.history(actor="root", area=area)
        if e.action.startswith(("meeting", "attachment"))
    ]


def test_a_meeting_is_recorded_with_everything_and_read_by_the_area(
    engine: Engine, area: str
) -> None:
    pdf = b"%PDF-1.4 Protokoll" * 100
    version = engine.get_area(area, actor="mia").version
    m = engine.record_meeting(
        area,
        actor="mia",
        held_on=PAST,
        place="Kulturzentrum 2411",
        attendees=["mia", "tom"],
        guests=["Frau Öz (GEWOFAG)"],
        decisions=["KG tagt monatlich", "Anwesenheit verbindlich"],
        minutes="Erste Sitzung.\nArbeitsweise beschlossen.",
        attachments=[AttachmentFile("/tmp/x/protokoll.pdf", pdf)],
    )
    assert (m.number, m.held_on, m.planned, m.recorded_by) == (1, PAST, False, "mia")
    assert m.attendees == (
        Attendee(person="mia"),
        Attendee(person="tom"),
        Attendee(guest="Frau Öz (GEWOFAG)"),
    )
    assert m.decisions == ("KG tagt monatlich", "Anwesenheit verbindlich")
    [att] = m.attachments
    assert (att.filename, att.media_type, att.size) == ("protokoll.pdf", "application/pdf", 1800)
    assert att.sha256 == hashlib.sha256(pdf).hexdigest()
    assert engine.get_area(area, actor="mia").version == version + 1
    # everyone with a role reads it, and so do the auditor and the admin
    for who in ("tom", "sabine", "audrey", "root"):
        assert engine.meetings(area, actor=who) == [m]
        assert engine.meeting(area, m.id, actor=who) == m
        assert engine.attachment_content(area, att.id, actor=who) == pdf
    [entry] = _kg_entries(engine, area)
    assert (entry["action"], entry["actor"], entry["role"]) == (
        "meeting_recorded",
        "mia",
        "moderation",
    )
    details = entry["details"]
    assert isinstance(details, dict)
    assert details["attachments"] == [
        {"attachment": att.id, "filename": "protokoll.pdf", "size": 1800, "sha256": att.sha256}
    ]


def test_social_planning_records_and_plans_meetings_numbered_by_date(
    engine: Engine, area: str
) -> None:
    later = engine.record_meeting(area, actor="sven", held_on=PAST, place="Rathaus")
    ahead = engine.record_meeting(
        area, actor="sven", held_on=FUTURE, place="Rathaus", attendees=["mia"], planned=True
    )
    first = engine.record_meeting(area, actor="mia", held_on=PAST - timedelta(days=30), place="ASZ")
    extra = engine.add_attachment(
        area, later.id, AttachmentFile("liste.csv", b"a;b\n"), actor="sven"
    )
    rows = engine.meetings(area, actor="tom")
    assert [(r.id, r.number, r.planned) for r in rows] == [
        (first.id, 1, False),
        (later.id, 2, False),
        (ahead.id, 3, True),
    ]
    assert rows[1].attachments == (extra,)
    assert [e["action"] for e in _kg_entries(engine, area)] == [
        "meeting_recorded",
        "meeting_planned",
        "meeting_recorded",
        "attachment_added",
    ]


def _nothing_written(engine: Engine, area: str, version: int) -> None:
    assert engine.meetings(area, actor="mia") == []
    assert engine.get_area(area, actor="mia").version == version
    assert _kg_entries(engine, area) == []


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"held_on": FUTURE}, "date", "only be recorded as planned"),
        ({"held_on": FUTURE, "planned": True, "decisions": ["x"]}, "decision", "planned"),
        ({"planned": True, "minutes": "Protokoll"}, "minutes", "planned"),
        ({"attendees": ["eve"]}, "attendee", "holds no role in area"),
        ({"attendees": ["mia", "mia"]}, "attendee", "named twice"),
        ({"place": "  "}, "place", "must not be empty"),
        ({"decisions": [""]}, "decision", "must not be empty"),
        (
            {"attachments": [AttachmentFile("gross.pdf", b"x" * (MAX_ATTACHMENT_BYTES + 1))]},
            "attachment",
            "larger than 5 MB",
        ),
        ({"attachments": [AttachmentFile("leer.txt", b"")]}, "attachment", "is empty"),
        ({"held_on": date(1850, 1, 1)}, "date", "outside the years"),
    ],
)
def test_bad_meetings_are_refused_naming_the_field_and_nothing_is_written(
    engine: Engine, area: str, changes: dict[str, object], field: str, words: str
) -> None:
    engine.add_person("eve", actor="root", name="Eve", email="eve@example.org")
    version = engine.get_area(area, actor="mia").version
    values: dict[str, object] = {"held_on": PAST, "place": "ASZ", **changes}
    with pytest.raises(InvalidInputError) as err:
        engine.record_meeting(area, actor="mia", **values)  # type: ignore[arg-type]
    assert err.value.field == field and words in err.value.message
    _nothing_written(engine, area, version)


def test_who_may_record_and_read(engine: Engine, area: str) -> None:
    engine.add_person("eve", actor="root", name="Eve", email="eve@example.org")
    version = engine.get_area(area, actor="mia").version
    for who in ("tom", "stella", "sabine", "audrey"):
        with pytest.raises(NotAllowedError):
            engine.record_meeting(area, actor=who, held_on=PAST, place="ASZ")
    with pytest.raises(NotFoundError, match=f"no area '{area}'"):
        engine.record_meeting(area, actor="eve", held_on=PAST, place="ASZ")
    _nothing_written(engine, area, version)
    m = engine.record_meeting(area, actor="mia", held_on=PAST, place="ASZ")
    for call in (
        lambda: engine.meetings(area, actor="eve"),
        lambda: engine.meeting(area, m.id, actor="eve"),
    ):
        with pytest.raises(NotFoundError, match=f"no area '{area}'"):
            call()
    with pytest.raises(NotFoundError, match="no meeting 999"):
        engine.meeting(area, 999, actor="mia")
    with pytest.raises(NotFoundError, match="no attachment"):
        engine.attachment_content(area, 1, actor="mia")


def test_a_too_large_attachment_to_a_meeting_writes_nothing(engine: Engine, area: str) -> None:
    m = engine.record_meeting(area, actor="mia", held_on=PAST, place="ASZ")
    version = engine.get_area(area, actor="mia").version
    big = AttachmentFile("scan.pdf", b"x" * (MAX_ATTACHMENT_BYTES + 1))
    with pytest.raises(InvalidInputError, match="larger than 5 MB"):
        engine.add_attachment(area, m.id, big, actor="mia")
    assert engine.meeting(area, m.id, actor="mia").attachments == ()
    assert engine.get_area(area, actor="mia").version == version
    at_limit = engine.add_attachment(
        area, m.id, AttachmentFile("scan.pdf", b"y" * MAX_ATTACHMENT_BYTES), actor="mia"
    )
    assert at_limit.size == MAX_ATTACHMENT_BYTES


# ------------------------------------------------------------------ the CLI
@pytest.fixture
def c(db_url: str, tmp_path: Path) -> Cli:
    return Cli(db_url, tmp_path / "home")


def test_cli_meeting_add_list_show_and_save(c: Cli, tmp_path: Path) -> None:
    area = setup_area(c)
    minutes = tmp_path / "protokoll.txt"
    minutes.write_text("Erste Sitzung.\nArbeitsweise beschlossen.", encoding="utf-8")
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%PDF scan")
    r = c.ok(
        "kg", "meeting", "add", area, "--date", "12.03.2026", "--place", "ASZ",
        "--attendee", "mia", "--attendee", "tom", "--guest", "Frau Öz",
        "--decision", "KG tagt monatlich", "--minutes-file", str(minutes),
        "--attach", str(scan), user="mia",
    )  # fmt: skip
    assert "Meeting 1 of hasenbergl-nord on 12.03.2026 recorded." in r.output
    [row] = c.json("kg", "meeting", "list", area, user="tom")
    assert row["date"] == "2026-03-12" and row["decisions"] == ["KG tagt monatlich"]
    assert row["attendees"] == [
        {"person": "mia", "guest": None},
        {"person": "tom", "guest": None},
        {"person": None, "guest": "Frau Öz"},
    ]
    assert row["attachments"][0]["sha256"] == hashlib.sha256(b"%PDF scan").hexdigest()
    out = tmp_path / "saved"
    shown = c.json("kg", "meeting", "show", area, "1", "--save-attachment", str(out), user="tom")
    assert shown["minutes"] == "Erste Sitzung.\nArbeitsweise beschlossen."
    assert (out / "scan.pdf").read_bytes() == b"%PDF scan"
    text = c.ok("kg", "meeting", "show", area, "1", user="sabine").output
    assert "1. KG tagt monatlich" in text and "Frau Öz (guest)" in text


def test_cli_refusals_have_their_exit_codes(c: Cli, tmp_path: Path) -> None:
    area = setup_area(c)
    c.ok("user", "add", "eve", "--name", "Eve", "--email", "eve@example.org")
    big = tmp_path / "big.pdf"
    big.write_bytes(b"x" * (MAX_ATTACHMENT_BYTES + 1))
    base = ("kg", "meeting", "add", area, "--date", "12.03.2026", "--place", "ASZ")
    future = (FUTURE.strftime("%d.%m.%Y"),)
    cases = [
        (base, "tom", 3, "needs the role moderation or social_planning"),
        (base, "eve", 6, f"no area '{area}'"),
        ((*base, "--attendee", "eve"), "mia", 7, "attendee 'eve' holds no role"),
        ((*base, "--attach", str(big)), "mia", 7, "larger than 5 MB"),
        ((*base, "--attach", str(tmp_path)), "mia", 2, "is a directory"),
        ((*base[:4], "--date", *future, "--place", "ASZ"), "mia", 7, "only be recorded as planned"),
        (
            (*base[:4], "--date", *future, "--place", "ASZ", "--planned", "--decision", "x"),
            "mia",
            7,
            "planned meeting has no decisions",
        ),
        ((*base[:4], "--date", "31.02.2026", "--place", "ASZ"), "mia", 7, "date"),
    ]
    for args, user, code, words in cases:
        r = c.run(*args, user=user)
        assert r.exit_code == code, (args, r.output)
        assert words in r.output, (args, r.output)
    assert c.json("kg", "meeting", "list", area, user="mia") == []
    r = c.run("kg", "meeting", "show", area, "7", user="mia")
    assert r.exit_code == 6 and "no meeting 7" in r.output
    log = json.loads(c.ok("--json", "log", area, user="audrey").stdout)
    assert not [e for e in log if e["action"].startswith("meeting")]
