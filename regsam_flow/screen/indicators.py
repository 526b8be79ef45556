"""The 13 monitoring variables of the screen and the columns of its input.

Column ids (``unemployed_sgb3``, ...) in the paper's order, the four columns
describing a quarter, and the German headers accepted for each column
(:func:`column_for_header` matches them loosely).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

__all__ = [
    "BASE_COLUMNS",
    "COLUMN_ALIASES",
    "INDICATORS",
    "INDICATOR_IDS",
    "LABELS",
    "REQUIRED_COLUMNS",
    "column_for_header",
]

#: The 13 variables of the screen, in the paper's order: (column id, German label).
INDICATORS: tuple[tuple[str, str], ...] = (
    ("unemployed_sgb3", "Arbeitslose SGB III"),
    ("alg2_recipients", "ALG II Empfänger"),
    ("alg2_15_25", "ALG II 15-25"),
    ("sozialgeld_under15", "Sozialgeld unter 15"),
    ("basic_income_65plus", "Grundsicherung im Alter"),
    ("living_alone_80plus", "Alleinlebende 80+"),
    ("households_with_children", "Haushalte mit Kindern"),
    ("single_parents", "Alleinerziehende"),
    ("uvg_under12", "UVG unter 12"),
    ("youth_welfare_residential", "Erziehungshilfen stationär"),
    ("child_protection_cases", "Kinderschutzfälle"),
    ("migration_background", "Migrationshintergrund"),
    ("bsa_households", "BSA-Haushalte"),
)

#: The 13 column ids alone, in the paper's order.
INDICATOR_IDS: tuple[str, ...] = tuple(column for column, _ in INDICATORS)

#: The four columns describing a quarter: (column id, German label).
BASE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "Viertel-Nr"),
    ("name", "Name"),
    ("district", "Stadtbezirk"),
    ("population", "Einwohner"),
)

#: German headers accepted besides the column id, per column.  The first is
#: the label used in :data:`INDICATORS` / :data:`BASE_COLUMNS`.  Matching
#: ignores case, spaces, underscores, hyphens and other punctuation, reads
#: "ae"/"oe"/"ue" as "ä"/"ö"/"ü", and ignores a trailing "%", "(%)" or "in %".
COLUMN_ALIASES: Mapping[str, tuple[str, ...]] = {
    "id": ("Viertel-Nr", "Viertelnummer", "Nr", "Nummer", "Stadtbezirksviertel-Nr"),
    "name": ("Name", "Viertel", "Viertelname", "Stadtbezirksviertel", "Bezeichnung"),
    "district": ("Stadtbezirk", "Bezirk", "Stadtbezirksname"),
    "population": (
        "Einwohner",
        "Einwohnerinnen",
        "Einwohner*innen",
        "Einwohnerzahl",
        "Bevölkerung",
        "Bewohner",
        "Bewohnerinnen und Bewohner",
    ),
    "unemployed_sgb3": (
        "Arbeitslose SGB III",
        "Arbeitslose nach SGB III",
        "Arbeitslose SGB 3",
        "Anteil der Arbeitslosen nach SGB III an der erwerbsfähigen Bevölkerung",
    ),
    "alg2_recipients": (
        "ALG II Empfänger",
        "ALG II",
        "ALG 2",
        "ALG II Empfängerinnen",
        "Arbeitslosengeld II",
        "Anteil der EmpfängerInnen von Arbeitslosengeld II an der erwerbsfähigen Bev.",
    ),
    "alg2_15_25": (
        "ALG II 15-25",
        "ALG II 15 bis 25",
        "ALG II Empfänger 15-25",
        "ALG II 15-25 Jahre",
        "Anteil der EmpfängerInnen von Arbeitslosengeld II an der 15-25-jähr. Bevölkerung",
    ),
    "sozialgeld_under15": (
        "Sozialgeld unter 15",
        "Sozialgeld u15",
        "Sozialgeld",
        "Sozialgeld SGB II unter 15",
        "Anteil der EmpfängerInnen von Sozialgeld nach SGB II an der unter 15-jährigen Bevölkerung",
    ),
    "basic_income_65plus": (
        "Grundsicherung im Alter",
        "Grundsicherung 65+",
        "Grundsicherung ab 65",
        "Grundsicherung über 64",
        "Anteil der EmpfängerInnen von Grundsicherung im Alter an der über 64-jähr. Bev.",
    ),
    "living_alone_80plus": (
        "Alleinlebende 80+",
        "Alleinlebende ab 80",
        "Alleinlebende 80 und älter",
        "Alleinlebende 80 Jahre und älter",
        "Anteil der Alleinlebenden 80jährigen und älteren an allen Haushalten",
    ),
    "households_with_children": (
        "Haushalte mit Kindern",
        "HH mit Kindern",
        "Anteil der Haushalte mit Kindern an allen Haushalten",
    ),
    "single_parents": (
        "Alleinerziehende",
        "Alleinerziehende Haushalte",
        "Alleinerziehenden-Haushalte",
        "Anteil der Alleinerziehenden-Haushalte an allen Haushalten mit Kindern",
    ),
    "uvg_under12": (
        "UVG unter 12",
        "UVG",
        "UVG Empfänger",
        "UVG Empfänger unter 12",
        "Unterhaltsvorschuss",
        "Unterhaltsvorschuss unter 12",
        "Anteil der EmpfängerInnen von Leistungen nach UVG an allen unter 12jährigen",
    ),
    "youth_welfare_residential": (
        "Erziehungshilfen stationär",
        "stationäre Erziehungshilfen",
        "Erziehungshilfen stationär und teilstationär",
        "stationäre und teilstationäre Erziehungshilfen",
        "HzE stationär",
        "Anteil der EmpfängerInnen von stationären und teilstationären Erziehungshilfen "
        "an der minderjährigen Bevölkerung",
    ),
    "child_protection_cases": (
        "Kinderschutzfälle",
        "Kinderschutzfälle BSA",
        "Kinderschutz",
        "Anteil der Kinderschutzfälle der BSA an allen Haushalten mit Kindern",
    ),
    "migration_background": (
        "Migrationshintergrund",
        "Bevölkerung mit Migrationshintergrund",
        "Migration",
        "Anteil der Bevölkerung mit Migrationshintergrund an der Gesamtbevölkerung",
    ),
    "bsa_households": (
        "BSA-Haushalte",
        "BSA",
        "BSA betreute Haushalte",
        "von der BSA betreute Haushalte",
        "Anteil der von der BSA betreuten Haushalte an allen Haushalten",
    ),
}

#: Every column the file must have: the four of :data:`BASE_COLUMNS`, then the 13.
REQUIRED_COLUMNS: tuple[str, ...] = (*(c for c, _ in BASE_COLUMNS), *INDICATOR_IDS)

#: Column id -> its German label (the first of its :data:`COLUMN_ALIASES`).
LABELS: Mapping[str, str] = dict((*BASE_COLUMNS, *INDICATORS))

_PERCENT_SUFFIX = re.compile(r"\s*(?:\(\s*(?:in\s*)?%\s*\)|in\s*%|%)\s*$")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def _normalise_header(text: str) -> str:
    s = unicodedata.normalize("NFKC", text).casefold().strip()
    s = _PERCENT_SUFFIX.sub("", s)
    for umlaut, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue")):
        s = s.replace(umlaut, spelled)
    return _NOT_ALNUM.sub("", s)


def _build_alias_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for column in REQUIRED_COLUMNS:
        for alias in (column, *COLUMN_ALIASES[column]):
            key = _normalise_header(alias)
            if index.setdefault(key, column) != column:  # pragma: no cover - table bug
                raise RuntimeError(f"header alias {alias!r} is ambiguous")
    return index


_ALIAS_INDEX = _build_alias_index()


def column_for_header(header: str) -> str | None:
    """The column id a header cell names (id or German header), or None."""
    return _ALIAS_INDEX.get(_normalise_header(header))
