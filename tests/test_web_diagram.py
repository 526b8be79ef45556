"""The process picture drawn on the server (service/web/diagram_svg.py):
well-formed SVG with a title and a description in words, the current
phase marked by more than colour, the way back and the cancelling shown,
text escaped, and nothing the strict CSP would block (no style attribute,
no script)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from regsam_flow.i18n import use_language
from regsam_flow.service.web.diagram_svg import workflow_svg
from regsam_flow.workflows import WorkflowRegistry

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def registry() -> WorkflowRegistry:
    return WorkflowRegistry()


def _texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def test_the_focus_area_process_in_german(registry: WorkflowRegistry) -> None:
    with use_language("de"):
        svg = workflow_svg(registry.get("schwerpunktgebiet", 1), "umsetzung")
    root = ET.fromstring(svg)
    assert root.get("role") == "img"
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None and "Schwerpunktgebiet" in (title.text or "")
    assert desc is not None and "Aktuelle Phase: Umsetzung." in (desc.text or "")
    assert "Weitere Handlungsschritte umsetzen: von Auswertung/Dokumentation nach Umsetzung." in (
        desc.text or ""
    )
    texts = _texts(root)
    # the current phase: its name in bold with the words "aktuelle Phase"
    assert "aktuelle Phase" in texts and texts.count("aktuelle Phase") == 1
    bold = [t for t in root.iter(f"{SVG}text") if t.get("font-weight") == "bold"]
    assert ["".join(t.itertext()) for t in bold] == ["Umsetzung"]
    # every phase, every forward step, the way back and the cancelling as text
    for word in ("Vorlauf", "abgeschlossen", "abgebrochen", "Diagnose beginnen", "Abbrechen"):
        assert any(word in t for t in texts), word
    assert "WeitereHandlungsschritteumsetzen" in texts  # three lines, one text
    assert "style=" not in svg and "<script" not in svg


def test_no_current_phase_and_escaped_titles(registry: WorkflowRegistry) -> None:
    wf = registry.get("schwerpunktgebiet", 1)
    svg = workflow_svg(wf, None)
    root = ET.fromstring(svg)
    assert not [t for t in root.iter(f"{SVG}text") if t.get("font-weight") == "bold"]
    from dataclasses import replace

    odd = replace(wf.definition, title='A <b>&"Titel"')
    svg = workflow_svg(replace(wf, definition=odd), "vorlauf")
    assert "<b>" not in svg
    assert ET.fromstring(svg).find(f"{SVG}title").text == 'Process of the workflow A <b>&"Titel"'  # type: ignore[union-attr]


def test_the_selection_process_draws_too(registry: WorkflowRegistry) -> None:
    wf = registry.get("gebietsauswahl")
    root = ET.fromstring(workflow_svg(wf, wf.definition.initial))
    names = {s.title for s in wf.definition.states}
    drawn = " ".join(_texts(root))
    assert all(all(word in drawn for word in name.split()) for name in names)
