"""The final documentation (Abschlussdokumentation): its data as the engine
reads it, the HTML and Markdown a reader sees, and ``regsam-flow dossier``."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from regsam_flow import Engine
from regsam_flow.audit import parse_ts
from regsam_flow.documents import render_dossier
from regsam_flow.documents.dossier import md_escape
from regsam_flow.errors import NotFoundError
from regsam_flow.kg import KgRecords

from .cli_helpers import Cli, setup_area, sign
from .cli_helpers import report as report_cli
from .conftest import report, sign_agreement
from .dossier_sample import SCRIPT, rich_dossier

HEADINGS = (
    "1. Kooperationsvereinbarung",
    "2. Beteiligte",
    "3. Phasen",
    "4. Sitzungen des Kooperationsgremiums",
    "5. Ziele- und Handlungskatalog",
    "6. Arbeitsaufträge und Empfehlungen",
    "7. Fehlende Ressourcen",
    "8. Entscheidungen zur Überprüfung",
)


class _Text(HTMLParser):
    """What a browser shows of an HTML page as text (scripts and styles
    left out), and the elements that are opened but not closed."""

    VOID = frozenset({"meta", "br", "link", "img", "hr", "input"})

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.stack: list[str] = []
        self.headings: list[str] = []
        self.scripts = 0
        self._skip = 0
        self._heading: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag == "script":
            self.scripts += 1
        if tag in ("script", "style"):
            self._skip += 1
        if tag in ("h1", "h2", "h3"):
            self._heading = []
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1
        if tag in ("h1", "h2", "h3") and self._heading is not None:
            self.headings.append("".join(self._heading).strip())
            self._heading = None
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)
            if self._heading is not None:
                self._heading.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())


def shown(html: str) -> _Text:
    page = _Text()
    page.feed(html)
    page.close()
    assert page.stack == [], f"elements left open: {page.stack}"
    return page


# ------------------------------------------------------------------ HTML
def test_html_shows_every_section_and_what_the_kg_did() -> None:
    html = render_dossier(rich_dossier(), "html")
    page = shown(html)
    assert page.headings[:2] == ["Hasenbergl-Nord", "Inhalt"]
    for h in HEADINGS:
        assert h in page.headings
    text = page.text
    assert "Abschlussdokumentation" in text
    assert "Maßgeblich ist die Fassung 2 vom 15.07.2027." in text
    assert "1. Sitzung am 03.02.2027" in page.headings
    assert "Das KG trifft sich alle sechs Wochen; die Teilnahme ist verbindlich." in text
    assert "Frau Huber (Bezirksausschuss 24) als Gast" in text
    assert "Verbindlich ist die Fassung 2, beschlossen in der 2. Sitzung am 17.03.2027." in text
    assert "Frühere Fassungen: Fassung 1 (1. Sitzung am 03.02.2027)." in text
    assert "Ziel 2: Barrierearme Wege zum Einkaufen" in page.headings
    assert "Bewertung: erreicht" in text and "Bewertung: teilweise erreicht (30.11.2028)" in text
    assert "Sitzbänke entlang der Wege – verantwortlich: Baureferat (extern)" in text
    assert "Seniorenfrühstück im Treff – verantwortlich: Tom Träger" in text
    # work orders by due date, with their outcome in German
    assert (
        text.index("Altersstruktur") < text.index("Besuchsdienst mit") < text.index("Sitzbänke an")
    )
    assert "abgelehnt Kein Budget im Haushalt 2027" in text
    assert "Empfehlung" in text and "in Bearbeitung" in text and "erledigt" in text
    assert "Koordination des Besuchsdienstes – Schätzung: 0,5 Stellen" in text
    assert "Fortsetzung, nächste Überprüfung am 15.07.2028" in text
    assert "Vorlauf 04.01.2027 29.01.2027" in text and "Abgeschlossen 15.12.2028 –" in text
    assert "andauernd" not in text  # a closed process has no phase still going on
    # 09:00 UTC in December is 10:00 in Munich
    assert "Stand der Daten 15.12.2028, 10:00 Uhr" in text
    assert "Teilnehmerliste.pdf (48.213 Bytes" in text


def test_html_escapes_what_users_typed() -> None:
    html = render_dossier(rich_dossier(), "html")
    page = shown(html)
    assert page.scripts == 0 and "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; *nicht fett*" in html
    assert SCRIPT in page.text  # shown as typed
    area = replace(rich_dossier().area, name='<b onmouseover="x">Nord</b>')
    html = render_dossier(replace(rich_dossier(), area=area), "html")
    assert "<b onmouseover" not in html and "&lt;b onmouseover=" in html


def test_html_is_for_paper_and_phones() -> None:
    html = render_dossier(rich_dossier(), "html")
    assert '<html lang="de">' in html and '<meta charset="utf-8">' in html
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html
    assert "@page { size: A4;" in html and "@media print" in html
    assert "@media (max-width: 40rem)" in html  # tables stack on a phone
    assert 'data-label="Fällig"' in html


def test_the_same_data_gives_the_same_bytes() -> None:
    for fmt in ("html", "md"):
        one = render_dossier(rich_dossier(), fmt).encode()
        two = render_dossier(rich_dossier(), fmt).encode()
        assert hashlib.sha256(one).hexdigest() == hashlib.sha256(two).hexdigest()
    changed = replace(rich_dossier(), as_of=None)
    assert render_dossier(changed) != render_dossier(rich_dossier())


def test_an_area_without_kg_records_says_so() -> None:
    bare = replace(rich_dossier(), kg=KgRecords(), reviews=(), agreement=None, agreement_history=())
    text = shown(render_dossier(bare, "html")).text
    for sentence in (
        "Es ist keine Kooperationsvereinbarung erfasst.",
        "Es sind keine Sitzungen erfasst.",
        "Es ist kein Ziele- und Handlungskatalog erfasst.",
        "Es sind keine Arbeitsaufträge oder Empfehlungen erfasst.",
        "Es sind keine fehlenden Ressourcen dokumentiert.",
        "Es sind keine Entscheidungen zur Überprüfung erfasst.",
    ):
        assert sentence in text
    md = render_dossier(bare, "md")
    assert "*Es sind keine Sitzungen erfasst.*" in md


def test_a_draft_catalogue_is_shown_as_a_draft() -> None:
    d = rich_dossier()
    draft = replace(d, kg=replace(d.kg, catalogue=None, catalogue_versions=()))
    text = shown(render_dossier(draft, "html")).text
    assert "Der Katalog ist noch nicht beschlossen; gezeigt wird der Entwurf." in text
    assert "Ziel 1: Ältere Menschen erreichen" in text


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown format 'pdf'"):
        render_dossier(rich_dossier(), "pdf")


# -------------------------------------------------------------- Markdown
def test_markdown_shows_the_same() -> None:
    md = render_dossier(rich_dossier(), "md")
    assert md.startswith("# Abschlussdokumentation: Hasenbergl-Nord\n")
    for h in HEADINGS:
        assert f"\n## {h}\n" in md
    assert "\n### 1. Sitzung am 03.02.2027\n" in md
    assert "\n1. Das KG trifft sich alle sechs Wochen; die Teilnahme ist verbindlich.\n" in md
    assert "\n**Bewertung:** teilweise erreicht (30.11.2028)\n" in md
    assert "| Empfehlung | Sitzbänke an der Dülferstraße aufstellen | Baureferat (extern) |" in md
    assert "| abgelehnt: Kein Budget im Haushalt 2027 |" in md
    assert "> Begrüßung und Vorstellungsrunde.  \n> Bedarfe aus Sicht der Träger gesammelt." in md
    assert "- **Stand der Daten:** 15.12.2028, 10:00 Uhr" in md
    assert "Schätzung: 12.000 EUR" in md
    assert "\n\n\n" not in md


def test_markdown_makes_user_text_inert() -> None:
    md = render_dossier(rich_dossier(), "md")
    assert "<script>" not in md
    assert r"\<script\>alert(\"x\")" not in md  # quotes need no escape
    assert r'\<script\>alert("x")\</script\> & \*nicht fett\*' in md
    assert md_escape("- kein Listenpunkt\n# keine Überschrift") == (
        "\\- kein Listenpunkt  \n\\# keine Überschrift"
    )
    assert md_escape("1. Punkt | [Link](x)") == "1\\. Punkt \\| \\[Link\\](x)"
    assert md_escape("&lt; bleibt sichtbar & 12.000 EUR") == "&amp;lt; bleibt sichtbar & 12.000 EUR"


# ---------------------------------------------------------------- engine
def test_the_engine_reads_an_areas_dossier(engine: Engine, area: str) -> None:
    sign_agreement(engine, area)
    report(engine, area, "vorlauf")
    engine.advance(area, actor="mia")
    engine.set_agreement(area, actor="mia", terms="KG tagt zweimonatlich")
    engine.review(
        area, actor="sven", decision="continue", next_review="15.01.2028", reason="KG: weiter"
    )
    d = engine.dossier(area, actor="tom")
    assert d.area.id == area and d.state_title == "Diagnose" and not d.final
    assert [(p.state, p.title) for p in d.phases] == [
        ("vorlauf", "Vorlauf"),
        ("diagnose", "Diagnose"),
    ]
    assert d.phases[0].left_at == d.phases[1].entered_at and d.phases[1].left_at is None
    assert not any(p.final for p in d.phases)
    assert "andauernd" in shown(render_dossier(d)).text  # diagnose goes on
    assert [a.version for a in d.agreement_history] == [1, 2, 3]
    assert d.agreement is not None and d.agreement.version == 3
    assert d.agreement.review == date(2028, 1, 15)
    assert [(r.review_date, r.decision, r.decided_by) for r in d.reviews] == [
        (date(2027, 7, 15), "continue", "sven")
    ]
    assert dict(d.roles)["provider"] == ("tom",)
    assert d.name_of("sven") == "Sven Sozialplanung"
    assert d.kg == KgRecords()
    assert d.as_of == parse_ts(engine.history(actor="root", area=area)[-1].at)
    text = shown(render_dossier(d)).text
    assert "Vorlauf" in text and "Entscheidungen zur Überprüfung" in text and "KG: weiter" in text
    assert render_dossier(engine.dossier(area, actor="audrey")) == render_dossier(d)


def test_a_stopped_process_has_no_phase_going_on(engine: Engine, area: str) -> None:
    engine.fire(area, "cancel", actor="mia", reason="Träger ziehen sich zurück")
    d = engine.dossier(area, actor="mia")
    assert [(p.state, p.final, p.left_at) for p in d.phases][-1] == ("abgebrochen", True, None)
    assert "andauernd" not in shown(render_dossier(d)).text


def test_outsiders_get_no_dossier(engine: Engine, area: str) -> None:
    engine.add_person("olga", actor="root", name="Olga Außen", email="olga@example.org")
    with pytest.raises(NotFoundError):
        engine.dossier(area, actor="olga")
    with pytest.raises(NotFoundError):
        engine.dossier("no-such-area", actor="root")


# ------------------------------------------------------------------- CLI
@pytest.fixture
def c(db_url: str, tmp_path: Path) -> Cli:
    return Cli(db_url, tmp_path / "home")


@pytest.mark.sql
def test_cli_writes_html_to_stdout_and_markdown_to_a_file(c: Cli, tmp_path: Path) -> None:
    area = setup_area(c)
    sign(c, area)
    report_cli(c, area, "vorlauf")
    c.ok("advance", area, user="mia")
    r = c.ok("dossier", area, user="tom")
    page = shown(r.stdout)
    assert page.headings[0] == "Hasenbergl-Nord"
    assert "Maßgeblich ist die Fassung 1 vom" in page.text
    assert "Diagnose" in page.text and "Sabine SBH" in page.text
    assert r.stdout == c.ok("dossier", area, "--format", "html", user="audrey").stdout

    out = tmp_path / "abschluss.md"
    r = c.ok("dossier", area, "--format", "md", "-o", str(out), user="mia")
    assert f"Wrote the final documentation of {area} to {out} (md," in r.stdout
    md = out.read_bytes()
    assert md.decode().startswith("# Abschlussdokumentation: Hasenbergl-Nord\n")
    assert md.decode() == c.ok("dossier", area, "--format", "md", user="mia").stdout

    # an existing file is kept unless --force
    r = c.run("dossier", area, "-o", str(out), user="mia")
    assert r.exit_code == 7 and "exists already: give --force" in r.stderr
    assert out.read_bytes() == md
    data = c.json("dossier", area, "-o", str(out), "--force", user="mia")
    html = out.read_bytes()
    assert data == {
        "area": area,
        "format": "html",
        "output": str(out),
        "size": len(html),
        "sha256": hashlib.sha256(html).hexdigest(),
        "recorded": False,
    }
    assert html.startswith(b"<!DOCTYPE html>")


@pytest.mark.sql
def test_cli_refusals(c: Cli, tmp_path: Path) -> None:
    area = setup_area(c)
    c.ok("user", "add", "olga", "--name", "Olga Außen", "--email", "olga@example.org")
    r = c.run("dossier", "no-such-area", user="mia")
    assert r.exit_code == 6 and "no area 'no-such-area'" in r.stderr
    r = c.run("dossier", area, user="olga")  # an outsider is told it does not exist
    assert r.exit_code == 6 and r.stdout == ""
    r = c.run("dossier", area, user="nobody")
    assert r.exit_code == 3
    r = c.run("dossier", area, "--format", "pdf", user="mia")
    assert r.exit_code == 2 and "'pdf' is not one of 'html', 'md'" in r.stderr
    folder = tmp_path / "folder"
    folder.mkdir()
    r = c.run("dossier", area, "-o", str(folder), user="mia")
    assert r.exit_code == 2 and "is a directory" in r.stderr
    missing = tmp_path / "nowhere" / "x.html"
    r = c.run("dossier", area, "-o", str(missing), user="mia")
    assert r.exit_code == 7 and "cannot write" in r.stderr and not missing.exists()
    r = c.run("--json", "dossier", "no-such-area", user="mia")
    assert r.exit_code == 6 and json.loads(r.stdout)["error"] == "not_found"
