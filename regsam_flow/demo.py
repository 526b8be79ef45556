"""A demo: a fresh database, people in all five roles, and one focus area
walked through every phase on the newest focus-area workflow (version 2),
each step printed: the agreement, a review reminder, the KG's work (its
meetings with decisions, the catalogue of goals and measures adopted, a work
order issued and reported, a missing resource, the goals rated) and the
final documentation written as an HTML file into the demo's folder.  It
ends with the command that serves the demo database to a browser and the
address to sign in at (the sign-in mail lands in the demo's Maildir).

Run it with ``regsam-flow demo`` (or ``python -m regsam_flow.demo``).
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from .bootstrap import Engine, maildir_notifier, open_engine, read_mail
from .dates import BERLIN
from .errors import BlockedError
from .i18n import _, format_date, format_datetime, ngettext
from .kg import Responsible
from .ports import FixedClock
from .reminder_labels import status_label

__all__ = ["run_demo"]

AREA = "hasenbergl-nord"
#: Where ``serve`` listens by default, and whom the demo's closing lines sign in.
SERVE_URL = "http://127.0.0.1:8080"
SIGN_IN_EMAIL = "mia@regsam.example"
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
        ("teilnahme_traeger", "tom"),
        ("teilnahme_sbh", "sabine"),
    ],
    "umsetzung": [
        ("umsetzung_koordiniert", "mia"),
        ("handlungsauftraege", "sven"),
        ("umsetzung_traeger", "tom"),
    ],
    "auswertung": [("gemeinsame_auswertung", "mia")],
}
#: The KG's catalogue: goals, each with its measures and who is responsible.
CATALOGUE = [
    (
        "Begegnung der Generationen im Quartier",
        [
            ("Offener Nachbarschaftstreff dienstags", Responsible("role", "provider")),
            ("Sitzbänke am Stanigplatz", Responsible("outside", "Baureferat")),
        ],
    ),
    (
        "Nachbarschaftskonflikte früh klären",
        [("Sprechstunde der Konfliktvermittlung", Responsible("role", "social_planning"))],
    ),
]
#: Where the demo's final documentation is written, in the demo's folder.
FINAL_FILE = "abschlussdokumentation.html"


def run_demo(
    folder: Path | None = None,
    out: Callable[[str], None] = print,
    program: str = "regsam-flow",
) -> Engine:
    """Build the demo in ``folder`` (a new temporary folder if None); return
    the engine.  ``program`` is how the closing "Try:" lines call
    regsam-flow (e.g. ``.venv/bin/regsam-flow`` when that is not on PATH)."""
    folder = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="regsam-flow-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "demo.db"
    if db.exists():
        from .errors import InvalidInputError

        raise InvalidInputError(
            _("{path} exists already: give an empty folder (or remove the old demo)").format(
                path=db
            ),
            field="dir",
        )
    url = f"sqlite:///{db}"
    maildir = folder / "maildir"
    engine = open_engine(url, maildir=maildir, bind_login=False)
    engine.init("admin", name="Demo Admin", email="admin@regsam.example")
    out(_("Demo database: {path}").format(path=db))
    for pid, name, email, org, _role in PEOPLE:
        engine.add_person(pid, actor="admin", name=name, email=email, org=org)
    engine.add_person(
        "audrey",
        actor="admin",
        name="Audrey Auditorin",
        email="audrey@regsam.example",
        auditor=True,
    )
    out(
        _("People: {people}, audrey (auditor)").format(
            people=", ".join(f"{p[0]} ({p[4]})" for p in PEOPLE)
        )
    )

    engine.create_area(
        AREA, actor="admin", name="Hasenbergl-Nord", district="24 Feldmoching-Hasenbergl"
    )
    for pid, *_rest, role in PEOPLE:
        actor = "admin" if role in ("moderation", "social_planning") else "mia"
        engine.assign(AREA, role, pid, actor=actor)
    out(_("Area {area} created in phase Vorlauf; roles assigned").format(area=AREA))

    try:
        engine.advance(AREA, actor="mia")
    except BlockedError as exc:
        n = len(exc.blockers)
        out(
            ngettext(
                "mia tries to advance: refused, {n} blocker, e.g.",
                "mia tries to advance: refused, {n} blockers, e.g.",
                n,
            ).format(n=n)
        )
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
        _(
            "Agreement version {version} written: start {start}, review (Überprüfung) {review}"
        ).format(version=ag.version, start=format_date(ag.start), review=format_date(ag.review))
    )
    engine.sign_agreement(AREA, actor="mia")
    engine.sign_agreement(AREA, actor="sven")
    out(_("Agreement signed by moderation (mia) and social_planning (sven)"))

    planned = engine.reminders(actor="admin", area=AREA, status="pending")
    out(
        ngettext(
            "{n} reminder planned for the review: {when}",
            "{n} reminders planned for the review: {when}",
            len(planned),
        ).format(n=len(planned), when=", ".join(format_datetime(r.due_at) for r in planned))
    )
    at = datetime(2027, 6, 17, 8, 0, tzinfo=BERLIN)
    # the mails carry the demo's moment in their Date header, not the real clock
    engine.notifier = maildir_notifier(maildir, clock=FixedClock(at))
    report = engine.send_due(at)
    out(
        ngettext(
            "The scheduler at {when} sends {n} reminder into {path}:",
            "The scheduler at {when} sends {n} reminders into {path}:",
            len(report.sent),
        ).format(when=format_datetime(at), n=len(report.sent), path=maildir)
    )
    for msg in read_mail(maildir):
        out(f"    To: {msg['To']}")
        out(f"    Subject: {msg['Subject']}")

    today = engine.clock.now().astimezone(BERLIN).date()
    _tasks(engine, "vorlauf", out)
    _advance(engine, out)
    _tasks(engine, "diagnose", out)
    meeting = _kg_diagnose(engine, today, out)
    _advance(engine, out)
    order = engine.issue_order(
        AREA,
        actor="mia",
        meeting=meeting,
        title="Nachbarschaftstreff im Jugendtreff öffnen",
        addressee=Responsible("person", "tom"),
        due=today + timedelta(days=28),
        goal=1,
    )
    out(
        _("KG work order #{id} to tom: {title}, due {due}").format(
            id=order.id, title=order.title, due=format_date(order.due)
        )
    )
    order = engine.report_order(
        AREA, order.id, actor="tom", status="done", note="Treff öffnet dienstags ab 15 Uhr"
    )
    out(
        _("tom reports order #{id}: {status} ({note})").format(
            id=order.id, status=order.status, note=order.note
        )
    )
    _tasks(engine, "umsetzung", out)
    _advance(engine, out)
    _tasks(engine, "auswertung", out)
    _kg_evaluation(engine, folder, out)

    r = engine.advance(AREA, actor="mia")
    out(_("mia approves closing; still missing: {missing}").format(missing=", ".join(r.missing)))
    r = engine.fire(AREA, "close", actor="sven")
    out(_("sven approves closing: {source} -> {dest}").format(source=r.from_state, dest=r.to_state))

    result = engine.verify()
    chain = (
        _("Audit log: {n} entries, chain intact, head {head}")
        if result.ok
        else _("Audit log: {n} entries, chain BROKEN, head {head}")
    )
    out(chain.format(n=result.entries, head=engine.head()))
    rems = engine.reminders(actor="admin", area=AREA)
    out(
        _("Reminders: {reminders} (closing the area cancelled the pending ones)").format(
            reminders=", ".join(f"#{r.id} {status_label(r.status)}" for r in rems)
        )
    )
    try_ = _("Try:")
    pad = " " * len(try_)
    out(f"{try_} {program} --db {url} --as audrey log {AREA}")
    out(f"{pad} {program} --db {url} --as audrey reminders list")
    out(f"{pad} {program} --db {url} --as audrey dossier check {AREA} {folder / FINAL_FILE}")
    out(_("In the browser: serve the demo database (Ctrl-C stops it):"))
    out(f"  REGSAM_FLOW_HOME={folder} {program} --db {url} serve")
    out(
        _(
            "Then open {url} and sign in with {email}; the link arrives in the Maildir "
            "{maildir} (the newest file in new/): open it in the same browser."
        ).format(url=SERVE_URL + "/sign-in", email=SIGN_IN_EMAIL, maildir=maildir)
    )
    return engine


def _tasks(engine: Engine, phase: str, out: Callable[[str], None]) -> None:
    for task, who in TASKS[phase]:
        engine.report_task(AREA, task, actor=who)
    n = len(TASKS[phase])
    out(
        "  "
        + ngettext(
            "{n} task of phase {phase} reported", "{n} tasks of phase {phase} reported", n
        ).format(n=n, phase=phase)
    )


def _advance(engine: Engine, out: Callable[[str], None]) -> None:
    r = engine.advance(AREA, actor="mia")
    out(_("mia advances: {source} -> {dest}").format(source=r.from_state, dest=r.to_state))


def _kg_diagnose(engine: Engine, today: date, out: Callable[[str], None]) -> int:
    """The KG's first meetings in diagnose: its working method, then the
    catalogue adopted (leaving diagnose needs it).  Returns the second
    meeting's id."""
    first = engine.record_meeting(
        AREA,
        actor="mia",
        held_on=today - timedelta(days=42),
        place="Alten- und Service-Zentrum Hasenbergl",
        attendees=["mia", "sven", "tom", "sabine"],
        guests=["Frau Weber (Wohnungsbaugesellschaft)"],
        decisions=[
            "Arbeitsweise: das KG tagt monatlich, Teilnahme verbindlich",
            "Bedarfsanalyse bis zur nächsten Sitzung",
        ],
    )
    out(
        _("KG meeting {number} on {date}: {decision}").format(
            number=first.number, date=format_date(first.held_on), decision=first.decisions[0]
        )
    )
    for title, measures in CATALOGUE:
        goal = engine.add_goal(AREA, actor="mia", title=title)
        for measure, responsible in measures:
            engine.add_measure(
                AREA, goal.number, actor="mia", title=measure, responsible=responsible
            )
    out(_("Catalogue drafted: {n} goals with measures").format(n=len(CATALOGUE)))
    try:
        engine.advance(AREA, actor="mia")
    except BlockedError as exc:
        out(
            _("mia tries to advance: refused, {codes}").format(
                codes=", ".join(b.code for b in exc.blockers)
            )
        )
    second = engine.record_meeting(
        AREA,
        actor="mia",
        held_on=today - timedelta(days=14),
        place="Jugendtreff Nord",
        attendees=["mia", "sven", "tom", "sabine"],
        decisions=["Ziele- und Maßnahmenkatalog beschlossen"],
    )
    adopted = engine.adopt_catalogue(AREA, actor="mia", meeting=second.id)
    out(
        _("KG meeting {number} adopts the catalogue: version {version} (SHA-256 {hash})").format(
            number=second.number, version=adopted.version, hash=adopted.sha256[:12]
        )
    )
    return second.id


def _kg_evaluation(engine: Engine, folder: Path, out: Callable[[str], None]) -> None:
    """The evaluation: a missing resource, every goal rated, the final
    documentation recorded and written to a file."""
    engine.add_missing_resource(
        AREA, actor="mia", text="Halbe Stelle Konfliktvermittlung", estimate="0,5 Stellen"
    )
    out(_("Missing resource documented: Halbe Stelle Konfliktvermittlung (0,5 Stellen)"))
    for goal, (rating, note) in enumerate(
        (("achieved", "Treff gut besucht"), ("partly", "Sprechstunde nur vierzehntäglich")),
        start=1,
    ):
        engine.rate_goal(AREA, goal, actor="mia", rating=rating, note=note)
    out(_("Goals rated: goal 1 achieved, goal 2 partly"))
    final = engine.record_final_document(AREA, format="html", actor="mia")
    path = folder / FINAL_FILE
    path.write_bytes(final.content)
    out(
        _("Final documentation recorded (SHA-256 {hash}): {path}").format(
            hash=final.document.sha256[:12], path=path
        )
    )


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    run_demo(folder).close()


if __name__ == "__main__":
    main()
