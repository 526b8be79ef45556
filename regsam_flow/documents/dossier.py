"""The final documentation (Abschlussdokumentation) of an area, as HTML or
Markdown, from its :class:`~regsam_flow.kg.Dossier`.

German text; dates as 15.07.2027, times as Berlin wall time.  HTML is
autoescaped (texts come from users); Markdown escapes what Markdown would
read as markup.  The output depends on the dossier alone (no "generated
now"), so the same data always gives the same bytes and the same SHA-256.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..dates import BERLIN
from ..kg import Dossier, Goal, Responsible
from ..ports import DocumentRenderer

if TYPE_CHECKING:
    from jinja2 import Environment

__all__ = ["FORMATS", "DossierRenderer", "render_dossier"]

#: The formats the final documentation is written in.
FORMATS = ("html", "md")

TEMPLATES = Path(__file__).resolve().parent / "templates"

ROLES = {
    "moderation": "REGSAM-Moderation",
    "social_planning": "Sozialplanung im Sozialreferat",
    "steering": "Steuerungsbereiche",
    "provider": "Einrichtungsträger",
    "sbh": "Sozialbürgerhaus",
}
RATINGS = {
    "achieved": "erreicht",
    "partly": "teilweise erreicht",
    "not_achieved": "nicht erreicht",
}
ORDER_KINDS = {"order": "Arbeitsauftrag", "recommendation": "Empfehlung"}
ORDER_STATUSES = {
    "open": "offen",
    "in_progress": "in Bearbeitung",
    "done": "erledigt",
    "declined": "abgelehnt",
}
DECISIONS = {"continue": "Fortsetzung", "end": "Beendigung"}
AGREEMENT_LABELS = (
    ("topic", "Thema / vorläufiges Ziel"),
    ("scope", "Umgriff"),
    ("reasons", "Gründe für die Auswahl"),
    ("partners", "Noch zu gewinnende Beteiligte"),
    ("terms", "Weitere Vereinbarungen"),
    ("duration", "Vorläufige Dauer"),
    ("start", "Start am"),
    ("review", "Überprüfung am"),
)


def date_de(value: date | datetime | None) -> str:
    """15.07.2027 (a moment: its Berlin date); '–' for none."""
    if value is None:
        return "–"
    if isinstance(value, datetime):
        value = value.astimezone(BERLIN).date()
    return value.strftime("%d.%m.%Y")


def time_de(value: datetime | None) -> str:
    """A moment as Berlin wall time: 15.07.2027, 10:30 Uhr."""
    if value is None:
        return "–"
    return value.astimezone(BERLIN).strftime("%d.%m.%Y, %H:%M Uhr")


_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}<>|#~])")
_MD_LINE_START = re.compile(
    r"^(\s*)(?:([-+=])(?=[-+=]*(?:\s|$))|(\d+)([.)])(?=\s|$))", re.MULTILINE
)
_MD_ENTITY = re.compile(r"&(?=#?\w+;)")


def _plain_line_start(m: re.Match[str]) -> str:
    """``- x`` -> ``\\- x``, ``1. x`` -> ``1\\. x``: not a list, rule or heading."""
    indent, mark, number, dot = m.groups()
    return f"{indent}\\{mark}" if mark else f"{indent}{number}\\{dot}"


def md_escape(text: object) -> str:
    """User text made inert in Markdown: markup characters escaped, a line
    that would start a list or heading made plain, line breaks kept."""
    s = _MD_SPECIAL.sub(r"\\\1", str(text))
    s = _MD_ENTITY.sub("&amp;", s)
    s = _MD_LINE_START.sub(_plain_line_start, s)
    return "  \n".join(line.rstrip() for line in s.splitlines())


def _label(table: dict[str, str]) -> Callable[[str | None], str]:
    def label(code: str | None) -> str:
        return table.get(code or "", code or "–")

    return label


def _who(d: Dossier) -> Callable[[Responsible], str]:
    def who(r: Responsible) -> str:
        if r.kind == "role":
            return ROLES.get(r.name, r.name)
        if r.kind == "person":
            return d.name_of(r.name)
        return f"{r.name} (extern)"

    return who


@lru_cache(maxsize=1)
def _env() -> Environment:
    # Jinja2 is imported on the first document, not with the module: the
    # composition root plugs the renderer into every engine it makes.
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        date=date_de,
        time=time_de,
        md=md_escape,
        role=_label(ROLES),
        rating=_label(RATINGS),
        kind=_label(ORDER_KINDS),
        status=_label(ORDER_STATUSES),
        decision=_label(DECISIONS),
    )
    return env


def _changes(d: Dossier) -> list[tuple[Any, list[str]]]:
    """Each agreement version with the labels of the fields it changed."""
    out: list[tuple[Any, list[str]]] = []
    before = None
    for ag in d.agreement_history:
        changed = [
            label
            for key, label in AGREEMENT_LABELS
            if (getattr(ag, key) if before is None else getattr(ag, key) != getattr(before, key))
        ]
        out.append((ag, changed))
        before = ag
    return out


def _context(d: Dossier) -> dict[str, Any]:
    kg = d.kg
    # a frozen (adopted) goal is known by its number (its id is 0), as is
    # the goal an order names; measures by the ids of the live catalogue
    rated = {g.number: g for g in kg.goals}
    shown: tuple[Goal, ...] = kg.catalogue.goals if kg.catalogue else kg.goals
    goals = [(g, rated.get(g.number, g)) for g in sorted(shown, key=lambda g: g.number)]
    meetings = {m.id: m for m in kg.meetings}
    measures = {x.id: x for g in kg.goals for x in g.measures}
    return {
        "d": d,
        "area": d.area,
        "agreement": d.agreement,
        "history": _changes(d),
        "agreement_labels": AGREEMENT_LABELS,
        "phases": d.phases,
        "reviews": d.reviews,
        "meetings": sorted(kg.meetings, key=lambda m: (m.number, m.id)),
        "meeting_of": meetings,
        "catalogue": kg.catalogue,
        "versions": sorted(kg.catalogue_versions, key=lambda v: v.version),
        "goals": goals,
        "goal_of": {g.number: g for g in (*kg.goals, *shown)},
        "measure_of": measures,
        "orders": sorted(kg.orders, key=lambda o: (o.due, o.id)),
        "resources": sorted(kg.resources, key=lambda r: r.id),
        "name": d.name_of,
        "who": _who(d),
    }


def render_dossier(dossier: Dossier, fmt: str = "html") -> str:
    """The final documentation of ``dossier`` in ``fmt`` (``html`` or ``md``)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    template = _env().get_template(f"dossier.{fmt}.j2")
    return template.render(_context(dossier))


class DossierRenderer(DocumentRenderer):
    """The :class:`~regsam_flow.ports.DocumentRenderer` the composition root
    plugs in: :func:`render_dossier`, as UTF-8 bytes."""

    formats = FORMATS

    def render(self, dossier: Dossier, fmt: str) -> bytes:
        return render_dossier(dossier, fmt).encode("utf-8")
