"""A rich final documentation's data, built from records directly: two
meetings, a catalogue adopted twice, rated goals, work orders of every kind
and status, a missing resource, a review decision; some user text that
HTML and Markdown must not take for markup.

    python -m tests.dossier_sample html > /tmp/dossier.html
"""

from __future__ import annotations

import sys
from datetime import date, datetime, timezone

from regsam_flow.kg import (
    Attachment,
    Attendee,
    CatalogueVersion,
    Dossier,
    Goal,
    KgRecords,
    Measure,
    Meeting,
    MissingResource,
    Phase,
    Responsible,
    WorkOrder,
)
from regsam_flow.model import Agreement, Area, Review

UTC = timezone.utc
#: User text with markup in it: shown as typed, never interpreted.
SCRIPT = '<script>alert("x")</script> & *nicht fett*'
#: A long word a narrow screen must break.
LINK = "https://www.muenchen.de/rathaus/Stadtverwaltung/Sozialreferat/Sozialplanung/Hasenbergl-Nord.pdf"


def at(y: int, m: int, d: int, h: int = 10, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=UTC)


def rich_dossier() -> Dossier:
    area = Area(
        id="hasenbergl-nord",
        name="Hasenbergl-Nord",
        district="Feldmoching-Hasenbergl",
        workflow="schwerpunktgebiet",
        workflow_version=2,
        state="abgeschlossen",
        version=42,
        round=1,
        created_at=at(2027, 1, 4, 8, 15),
        updated_at=at(2028, 12, 15, 9),
    )
    v1 = Agreement(
        version=1,
        topic="Ältere Menschen im Quartier",
        scope="Hasenbergl-Nord zwischen Dülferstraße und Stanigplatz",
        reasons="Hoher Anteil älterer Alleinlebender; wenig Angebote",
        duration="2 Jahre",
        start=date(2027, 1, 15),
        review=date(2027, 7, 15),
        created_at=at(2027, 1, 5),
        created_by="mia",
        signatures={"moderation": "mia", "social_planning": "sven"},
    )
    v2 = Agreement(
        version=2,
        topic=v1.topic,
        scope=v1.scope,
        reasons=v1.reasons,
        partners="Wohnungsbaugesellschaft GEWOFAG",
        terms="Treffen alle sechs Wochen; Protokoll durch die Moderation",
        duration=v1.duration,
        start=v1.start,
        review=date(2028, 7, 15),
        created_at=at(2027, 7, 15, 14),
        created_by="mia",
        signatures={"moderation": "mia", "social_planning": "sven"},
    )
    m1 = Meeting(
        id=11,
        area=area.id,
        number=1,
        held_on=date(2027, 2, 3),
        place="Nachbarschaftstreff Stanigplatz",
        planned=False,
        attendees=(
            Attendee(person="mia"),
            Attendee(person="sven"),
            Attendee(person="tom"),
            Attendee(guest="Frau Huber (Bezirksausschuss 24)"),
        ),
        decisions=(
            "Das KG trifft sich alle sechs Wochen; die Teilnahme ist verbindlich.",
            "Die Moderation schreibt das Protokoll und verschickt es binnen einer Woche.",
        ),
        minutes=(
            "Begrüßung und Vorstellungsrunde.\nBedarfe aus Sicht der Träger gesammelt.\n"
            f"Unterlagen: {LINK}"
        ),
        attachments=(
            Attachment(
                id=1,
                meeting=11,
                filename="Teilnehmerliste.pdf",
                media_type="application/pdf",
                size=48213,
                sha256="9f2b" * 16,
            ),
        ),
        recorded_by="mia",
        recorded_at=at(2027, 2, 4),
    )
    m2 = Meeting(
        id=12,
        area=area.id,
        number=2,
        held_on=date(2027, 3, 17),
        place="Sozialbürgerhaus Nord, Raum 2.14",
        planned=False,
        attendees=(Attendee(person="mia"), Attendee(person="sven")),
        decisions=(f"Der Katalog wird in Fassung 2 beschlossen. {SCRIPT}",),
        minutes="",
        attachments=(),
        recorded_by="mia",
        recorded_at=at(2027, 3, 18),
    )
    g1 = Goal(
        id=1,
        area=area.id,
        number=1,
        title="Ältere Menschen erreichen",
        description="Isolierte ältere Menschen sind bekannt und werden besucht.",
        measures=(
            Measure(1, 1, "Besuchsdienst aufbauen", Responsible("role", "provider")),
            Measure(2, 1, "Seniorenfrühstück im Treff", Responsible("person", "tom")),
        ),
    )
    g2 = Goal(
        id=2,
        area=area.id,
        number=2,
        title="Barrierearme Wege zum Einkaufen",
        description="",
        measures=(
            Measure(3, 2, "Sitzbänke entlang der Wege", Responsible("outside", "Baureferat")),
        ),
    )
    cat1 = CatalogueVersion(area.id, 1, 11, "mia", at(2027, 2, 4), (g1,), "a" * 64)
    cat2 = CatalogueVersion(area.id, 2, 12, "mia", at(2027, 3, 18), (g1, g2), "b" * 64)
    rated = (
        Goal(**{**g1.__dict__, "rating": "achieved", "rating_note": "40 Besuche im Monat"}),
        Goal(
            **{
                **g2.__dict__,
                "rating": "partly",
                "rating_note": f"Drei von fünf Bänken stehen. {SCRIPT}",
                "rated_by": "mia",
                "rated_at": at(2028, 11, 30),
            }
        ),
    )

    def order(
        id: int, kind: str, title: str, to: Responsible, due: date, status: str, note: str = ""
    ) -> WorkOrder:
        return WorkOrder(
            id=id,
            area=area.id,
            kind=kind,
            title=title,
            addressee=to,
            meeting=12,
            due=due,
            status=status,
            note=note,
            goal=1 if id == 1 else None,
            measure=1 if id == 1 else None,
            created_by="mia",
            created_at=at(2027, 3, 18),
            updated_by="mia",
            updated_at=at(2027, 9, 1),
        )

    orders = (
        order(
            1,
            "order",
            "Besuchsdienst mit Ehrenamtlichen starten",
            Responsible("person", "tom"),
            date(2027, 6, 30),
            "done",
            f"Seit Juni mit zwölf Ehrenamtlichen; Aushang: {LINK}",
        ),
        order(
            2,
            "order",
            "Altersstruktur nach Blöcken auswerten",
            Responsible("role", "social_planning"),
            date(2027, 5, 15),
            "in_progress",
        ),
        order(
            3,
            "recommendation",
            "Sitzbänke an der Dülferstraße aufstellen",
            Responsible("outside", "Baureferat"),
            date(2027, 9, 30),
            "declined",
            "Kein Budget im Haushalt 2027",
        ),
    )
    return Dossier(
        area=area,
        workflow_title="Schwerpunktgebiet",
        state_title="Abgeschlossen",
        final=True,
        roles=(("moderation", ("mia",)), ("provider", ("tom",)), ("social_planning", ("sven",))),
        names=(("mia", "Mia Moderation"), ("sven", "Sven Sozialplanung"), ("tom", "Tom Träger")),
        agreement=v2,
        agreement_history=(v1, v2),
        phases=(
            Phase("vorlauf", "Vorlauf", at(2027, 1, 4, 8, 15), at(2027, 1, 29)),
            Phase("diagnose", "Diagnose", at(2027, 1, 29), at(2027, 3, 20)),
            Phase("umsetzung", "Umsetzung", at(2027, 3, 20), at(2028, 10, 1)),
            Phase("auswertung", "Auswertung/Dokumentation", at(2028, 10, 1), at(2028, 12, 15, 9)),
            Phase("abgeschlossen", "Abgeschlossen", at(2028, 12, 15, 9), final=True),
        ),
        reviews=(
            Review(
                area.id,
                date(2027, 7, 15),
                "continue",
                date(2028, 7, 15),
                "Erste Erfolge; der Besuchsdienst braucht Zeit.",
                "sven",
                at(2027, 7, 15, 14),
            ),
        ),
        kg=KgRecords(
            meetings=(m1, m2),
            catalogue=cat2,
            catalogue_versions=(cat1, cat2),
            goals=rated,
            orders=orders,
            resources=(
                MissingResource(
                    1,
                    area.id,
                    "Koordination des Besuchsdienstes",
                    "0,5 Stellen",
                    "mia",
                    at(2028, 11, 30),
                ),
                MissingResource(
                    2, area.id, "Mittel für Sitzbänke", "12.000 EUR", "mia", at(2028, 11, 30)
                ),
            ),
        ),
        as_of=at(2028, 12, 15, 9),
    )


if __name__ == "__main__":
    from regsam_flow.documents import render_dossier

    sys.stdout.write(render_dossier(rich_dossier(), sys.argv[1] if len(sys.argv) > 1 else "html"))
