"""A demo: a fresh database, people in all five roles, and one focus area
walked through every phase, each step printed.

Run it with ``regsam-flow demo`` (or ``python -m regsam_flow.demo``).
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from .bootstrap import Engine, open_engine, read_mail
from .dates import BERLIN, format_date_de
from .errors import BlockedError

__all__ = ["run_demo"]

AREA = "hasenbergl-nord"
PEOPLE = [
    # id, name, email, org, role in the area
    ("mia", "Mia Moderatorin", "mia@regsam.example", "REGSAM", "moderation"),
    ("sven", "Sven Sozialplanung", "sven@muenchen.example", "Sozialreferat", "social_planning"),
    ("stella", "Stella Steuerung", "stella@muenchen.example", "Sozialreferat", "steering"),
    ("tom", "Tom Träger", "tom@traeger.example", "Jugendtreff Nord e.V.", "provider"),
    ("sabine", "Sabine Schuster", "sabine@muenchen.example", "SBH Nord", "sbh"),
]
TASKS = {
    "vorlauf": [
        ("schwerpunktziel", "mia"),
        ("partner_traeger", "mia"),
        ("partner_verwaltung", "sven"),
        ("datenmaterial", "sven"),
        ("kommunikation", "mia"),
        ("einklinken_steuerung", "stella"),
    ],
    "diagnose": [
        ("kg_arbeitsweise", "mia"),
        ("bedarfsanalyse", "mia"),
        ("ziel_handlungskatalog", "mia"),
        ("teilnahme_traeger", "tom"),
        ("teilnahme_sbh", "sabine"),
    ],
    "umsetzung": [
        ("umsetzung_koordiniert", "mia"),
        ("handlungsauftraege", "sven"),
        ("umsetzung_traeger", "tom"),
    ],
    "auswertung": [("gemeinsame_auswertung", "mia"), ("abschlussdokumentation", "mia")],
}


def run_demo(folder: Path | None = None, out: Callable[[str], None] = print) -> Engine:
    """Build the demo in ``folder`` (a new temporary folder if None); return the engine."""
    folder = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="regsam-flow-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "demo.db"
    if db.exists():
        from .errors import InvalidInputError

        raise InvalidInputError(
            f"{db} exists already: give an empty folder (or remove the old demo)", field="dir"
        )
    url = f"sqlite:///{db}"
    maildir = folder / "maildir"
    engine = open_engine(url, maildir=maildir, bind_login=False)
    engine.init("admin", name="Demo Admin", email="admin@regsam.example")
    out(f"Demo database: {db}")
    for pid, name, email, org, _role in PEOPLE:
        engine.add_person(pid, actor="admin", name=name, email=email, org=org)
    engine.add_person(
        "audrey",
        actor="admin",
        name="Audrey Auditorin",
        email="audrey@regsam.example",
        auditor=True,
    )
    out("People: " + ", ".join(f"{p[0]} ({p[4]})" for p in PEOPLE) + ", audrey (auditor)")

    engine.create_area(
        AREA, actor="admin", name="Hasenbergl-Nord", district="24 Feldmoching-Hasenbergl"
    )
    for pid, *_rest, role in PEOPLE:
        actor = "admin" if role in ("moderation", "social_planning") else "mia"
        engine.assign(AREA, role, pid, actor=actor)
    out(f"Area {AREA} created in phase Vorlauf; roles assigned")

    try:
        engine.advance(AREA, actor="mia")
    except BlockedError as exc:
        out(f"mia tries to advance: refused, {len(exc.blockers)} blockers, e.g.")
        for b in exc.blockers[:3]:
            out(f"    {b.code}: {b.message}")

    ag = engine.set_agreement(
        AREA,
        actor="mia",
        topic="Nachbarschaftskonflikte; ältere Menschen",
        scope="Hasenbergl-Nord zwischen Dülferstraße und Stanigplatz",
        reasons="Monitoring: 9 von 13 Werten mindestens 30 % über dem Mittel",
        partners="Baureferat, Schulreferat, Sportverein, Elternbeirat",
        terms="Das Kooperationsgremium tagt monatlich.",
        duration="2 Jahre",
        start=date(2027, 1, 15),
        review=date(2027, 7, 15),
    )
    out(
        f"Agreement version {ag.version} written: start {format_date_de(ag.start)}, "
        f"review (Überprüfung) {format_date_de(ag.review)}"
    )
    engine.sign_agreement(AREA, actor="mia")
    engine.sign_agreement(AREA, actor="sven")
    out("Agreement signed by moderation (mia) and social_planning (sven)")

    planned = engine.reminders(actor="admin", area=AREA, status="pending")
    out(
        f"{len(planned)} reminders planned for the review: "
        + ", ".join(f"{r.due_at.astimezone(BERLIN):%d.%m.%Y %H:%M}" for r in planned)
    )
    at = datetime(2027, 6, 17, 8, 0, tzinfo=BERLIN)
    report = engine.send_due(at)
    out(f"The scheduler at {at:%d.%m.%Y %H:%M} sends {len(report.sent)} reminder into {maildir}:")
    for msg in read_mail(maildir):
        out(f"    To: {msg['To']}")
        out(f"    Subject: {msg['Subject']}")

    for phase, title in (
        ("vorlauf", "Diagnose"),
        ("diagnose", "Umsetzung"),
        ("umsetzung", "Auswertung"),
        ("auswertung", ""),
    ):
        for task, who in TASKS[phase]:
            engine.report_task(AREA, task, actor=who)
        out(f"  {len(TASKS[phase])} tasks of phase {phase} reported")
        if title:
            r = engine.advance(AREA, actor="mia")
            out(f"mia advances: {r.from_state} -> {r.to_state}")

    r = engine.advance(AREA, actor="mia")
    out(f"mia approves closing; still missing: {', '.join(r.missing)}")
    r = engine.fire(AREA, "close", actor="sven")
    out(f"sven approves closing: {r.from_state} -> {r.to_state}")

    result = engine.verify()
    out(
        f"Audit log: {result.entries} entries, chain {'intact' if result.ok else 'BROKEN'}, "
        f"head {engine.head()}"
    )
    rems = engine.reminders(actor="admin", area=AREA)
    out(
        "Reminders: "
        + ", ".join(f"#{r.id} {r.status}" for r in rems)
        + " (closing the area cancelled the pending ones)"
    )
    out(f"Try: regsam-flow --db {url} --as audrey log {AREA}")
    out(f"     regsam-flow --db {url} --as audrey reminders list")
    return engine


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    run_demo(folder).close()


if __name__ == "__main__":
    main()
