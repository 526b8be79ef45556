"""Workflow diagrams: Mermaid and Graphviz DOT text of a workflow definition."""

from __future__ import annotations

import ast
import html
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from regsam_flow import diagram
from regsam_flow.diagram import to_dot, to_mermaid, transition_label
from regsam_flow.workflows import Workflow, WorkflowRegistry, parse_workflow

from . import tools

OPEN_PHASES = ("vorlauf", "diagnose", "umsetzung", "auswertung")

# --- Mermaid line shapes ------------------------------------------------------
MM_ID = r"[A-Za-z][A-Za-z0-9_]*"
# escaped text: no raw quote, colon, semicolon or '#' outside an entity code
MM_TEXT = r'(?:[^"\n:;#]|#\w+;)+'
MM_SHAPES = {
    "comment": re.compile(r"    %% [^\n]+"),
    "state": re.compile(rf'    state "(?P<title>{MM_TEXT})" as (?P<id>{MM_ID})'),
    "initial": re.compile(rf"    \[\*\] --> (?P<id>{MM_ID})"),
    "transition": re.compile(
        rf"    (?P<src>{MM_ID}) --> (?P<dest>{MM_ID}) : "
        rf"(?P<label>(?P<trigger>[a-z][a-z0-9_]*) \({MM_TEXT}\))"
    ),
    "final": re.compile(rf"    (?P<id>{MM_ID}) --> \[\*\]"),
    "classdef": re.compile(r"    classDef current fill:#ffd54f,stroke:#e65100,stroke-width:3px"),
    "class": re.compile(rf"    class (?P<id>{MM_ID}) current"),
}

# --- DOT statement shapes -----------------------------------------------------
DOT_STR = r'"(?:[^"\\\n]|\\.)*"'
DOT_NODE = re.compile(rf"    (?P<id>{DOT_STR}) \[(?P<attrs>.*)\];")
DOT_EDGE = re.compile(
    rf"    (?P<src>{DOT_STR}) -> (?P<dest>{DOT_STR})(?: \[label=(?P<label>{DOT_STR})\])?;"
)
DOT_DEFAULTS = re.compile(r"    (graph|node|edge) \[.*\];")


@pytest.fixture(scope="module")
def shipped() -> Workflow:
    return WorkflowRegistry().get("schwerpunktgebiet")


def mermaid_lines(text: str) -> list[tuple[str, re.Match[str]]]:
    """Each line after the header with the name of the shape it matches; fails on others."""
    assert text.endswith("\n") and not text.endswith("\n\n")
    lines = text.splitlines()
    assert lines[0] == "stateDiagram-v2"
    out = []
    for line in lines[1:]:
        for name, shape in MM_SHAPES.items():
            m = shape.fullmatch(line)
            if m:
                out.append((name, m))
                break
        else:
            pytest.fail(f"Mermaid line of unexpected shape: {line!r}")
    return out


def dot_unquote(quoted: str) -> str:
    assert quoted[0] == quoted[-1] == '"'
    return re.sub(r"\\(.)", r"\1", quoted[1:-1])


def dot_statements(text: str) -> tuple[dict[str, str], list[tuple[str, str, str | None]]]:
    """(node id -> attribute text, [(source, dest, label)]); fails on unknown lines."""
    assert text.endswith("}\n")
    lines = text.splitlines()
    assert re.fullmatch(rf"digraph {DOT_STR} \{{", lines[0])
    assert lines[-1] == "}"
    nodes: dict[str, str] = {}
    edges: list[tuple[str, str, str | None]] = []
    for line in lines[1:-1]:
        if DOT_DEFAULTS.fullmatch(line):
            continue
        if m := DOT_EDGE.fullmatch(line):
            label = m["label"]
            edges.append(
                (dot_unquote(m["src"]), dot_unquote(m["dest"]), label and dot_unquote(label))
            )
        elif m := DOT_NODE.fullmatch(line):
            node = dot_unquote(m["id"])
            assert node not in nodes, f"node {node} declared twice"
            nodes[node] = m["attrs"]
        else:
            pytest.fail(f"DOT line of unexpected shape: {line!r}")
    return nodes, edges


def mermaid_decode(text: str) -> str:
    """Mermaid's entity codes back to text (as the rendered diagram shows it)."""
    text = re.sub(r"#(\d+);", lambda m: chr(int(m[1])), text)
    return re.sub(r"#(\w+);", lambda m: html.unescape(f"&{m[1]};"), text)


def expected_edges(wf: Workflow) -> Counter[tuple[str, str, str]]:
    return Counter((src, t.trigger, t.dest) for t in wf.definition.transitions for src in t.source)


def braces_balanced(dot: str) -> bool:
    """Braces outside quoted strings nest properly and close."""
    depth = 0
    for token in re.findall(rf"{DOT_STR}|[{{}}]", dot):
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


# --- the shipped workflow -----------------------------------------------------


def test_shipped_edges_are_the_process(shipped: Workflow) -> None:
    edges = set(expected_edges(shipped))
    assert edges == {
        ("vorlauf", "start_diagnose", "diagnose"),
        ("diagnose", "start_umsetzung", "umsetzung"),
        ("umsetzung", "start_auswertung", "auswertung"),
        ("auswertung", "close", "abgeschlossen"),
        ("auswertung", "resume", "umsetzung"),
        *{(phase, "cancel", "abgebrochen") for phase in OPEN_PHASES},
    }


@pytest.mark.parametrize("current", [None, "diagnose"])
def test_mermaid_every_state_and_edge_once(shipped: Workflow, current: str | None) -> None:
    lines = mermaid_lines(to_mermaid(shipped, current=current))
    states = Counter(m["id"] for kind, m in lines if kind == "state")
    assert states == Counter(s.id for s in shipped.definition.states)
    titles = {m["id"]: m["title"] for kind, m in lines if kind == "state"}
    assert titles == {s.id: s.title for s in shipped.definition.states}
    assert titles["auswertung"] == "Auswertung/Dokumentation"
    edges = Counter((m["src"], m["trigger"], m["dest"]) for k, m in lines if k == "transition")
    assert edges == expected_edges(shipped)
    assert set(edges.values()) == {1}
    assert [m["id"] for kind, m in lines if kind == "initial"] == ["vorlauf"]


@pytest.mark.parametrize("current", [None, "diagnose"])
def test_dot_every_state_and_edge_once(shipped: Workflow, current: str | None) -> None:
    nodes, edges = dot_statements(to_dot(shipped, current=current))
    state_ids = [s.id for s in shipped.definition.states]
    (start,) = set(nodes) - set(state_ids)
    assert "shape=point" in nodes[start]
    for s in shipped.definition.states:
        assert f"label={_dot_q(s.title)}" in nodes[s.id]
    labelled = Counter(
        (src, label.split(" ", 1)[0], dest) for src, dest, label in edges if label is not None
    )
    assert labelled == expected_edges(shipped)
    assert set(labelled.values()) == {1}
    assert [(src, dest) for src, dest, label in edges if label is None] == [(start, "vorlauf")]


def _dot_q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def test_cancel_from_all_four_open_phases(shipped: Workflow) -> None:
    mermaid = to_mermaid(shipped)
    dot = to_dot(shipped)
    label = "cancel (moderation, social_planning; reason required)"
    for phase in OPEN_PHASES:
        assert mermaid.count(f"    {phase} --> abgebrochen : cancel (") == 1
        assert dot.count(f'    "{phase}" -> "abgebrochen" [label="{label}"];') == 1
    assert mermaid.count(" : cancel (") == 4
    assert dot.count('[label="cancel (') == 4


def test_labels_name_roles_approvals_and_reason(shipped: Workflow) -> None:
    labels = {
        (src, t.trigger): transition_label(t)
        for t in shipped.definition.transitions
        for src in t.source
    }
    assert labels["vorlauf", "start_diagnose"] == "start_diagnose (moderation)"
    assert labels["auswertung", "close"] == (
        "close (moderation, social_planning; approval: moderation + social_planning)"
    )
    assert labels["auswertung", "resume"] == "resume (moderation; reason required)"
    mermaid = to_mermaid(shipped)
    assert "    vorlauf --> diagnose : start_diagnose (moderation)\n" in mermaid
    # Mermaid ends a transition label at ':' and ';': they are entity codes
    assert (
        "    auswertung --> abgeschlossen : close (moderation, social_planning#59; "
        "approval#58; moderation + social_planning)\n"
    ) in mermaid
    for kind, m in mermaid_lines(mermaid):
        if kind == "transition":
            assert mermaid_decode(m["label"]) == labels[m["src"], m["trigger"]]
    dot = to_dot(shipped)
    assert (
        '"auswertung" -> "abgeschlossen" [label="close (moderation, social_planning; '
        'approval: moderation + social_planning)"];'
    ) in dot


def test_final_states_marked(shipped: Workflow) -> None:
    finals = {s.id for s in shipped.definition.states if s.final}
    assert finals == {"abgeschlossen", "abgebrochen"}
    lines = mermaid_lines(to_mermaid(shipped))
    assert Counter(m["id"] for kind, m in lines if kind == "final") == Counter(finals)
    nodes, _ = dot_statements(to_dot(shipped))
    for s in shipped.definition.states:
        assert ("peripheries=2" in nodes[s.id]) == s.final, s.id


@pytest.mark.parametrize(
    "current", ["vorlauf", "diagnose", "umsetzung", "auswertung", "abgeschlossen", "abgebrochen"]
)
def test_current_state_highlighted_only(shipped: Workflow, current: str) -> None:
    lines = mermaid_lines(to_mermaid(shipped, current=current))
    assert [kind for kind, _ in lines].count("classdef") == 1
    assert [m["id"] for kind, m in lines if kind == "class"] == [current]
    nodes, _ = dot_statements(to_dot(shipped, current=current))
    for node, attrs in nodes.items():
        highlighted = 'fillcolor="#ffd54f"' in attrs
        assert highlighted == (node == current), node
        assert ("penwidth=3" in attrs) == (node == current), node
        assert ("filled" in attrs) == (node == current), node


def test_no_highlight_without_current(shipped: Workflow) -> None:
    mermaid = to_mermaid(shipped)
    assert "classDef" not in mermaid and "class " not in mermaid
    assert "current" not in mermaid
    dot = to_dot(shipped)
    assert "fillcolor" not in dot and "penwidth" not in dot and "filled" not in dot


def test_unknown_current_state_is_refused(shipped: Workflow) -> None:
    with pytest.raises(ValueError, match="'nirgendwo' is not a state"):
        to_mermaid(shipped, current="nirgendwo")
    with pytest.raises(ValueError, match="'nirgendwo' is not a state"):
        to_dot(shipped, current="nirgendwo")


def test_output_is_deterministic(shipped: Workflow) -> None:
    again = WorkflowRegistry().get("schwerpunktgebiet")  # a fresh, equal definition
    for render in (to_mermaid, to_dot):
        first = render(shipped, "diagnose")
        assert first == render(shipped, "diagnose") == render(again, "diagnose")
        assert first.endswith("\n")
        assert render(shipped) == render(again)


def test_dot_braces_balanced(shipped: Workflow) -> None:
    for current in (None, "diagnose"):
        dot = to_dot(shipped, current)
        assert braces_balanced(dot)
        assert dot.startswith('digraph "schwerpunktgebiet" {\n')
        assert "rankdir=LR" in dot
    assert not braces_balanced("digraph x { a -> b; }}")
    assert braces_balanced('digraph x { a [label="}{"]; }')


# --- escaping -----------------------------------------------------------------

AWKWARD_TITLE = 'Prüfung "Größe": Straße; #1 <b> 50% & [[fork]] direction LR C:\\temp\\'

AWKWARD = f"""
name: awkward
version: 2
title: Escaping
roles: [moderation]
initial: state
states:
  - id: state
    title: {json.dumps(AWKWARD_TITLE)}
    tasks:
      - id: t1
        title: "Aufgabe: \\"eins\\""
        roles: [moderation]
  - id: default_phase
    title: "Übergang\\nmit Zeilenumbruch"
  - id: note
    title: Ende
    final: true
transitions:
  - trigger: weiter
    title: Weiter
    source: [state]
    dest: default_phase
    roles: [moderation]
  - trigger: fertig
    source: default_phase
    dest: note
    roles: [moderation]
    approvals: [moderation]
    reason_required: true
"""


@pytest.fixture(scope="module")
def awkward() -> Workflow:
    wf = parse_workflow(AWKWARD, source="awkward.yaml")
    assert wf.definition.states[0].title == AWKWARD_TITLE
    return wf


def test_mermaid_escapes_titles(awkward: Workflow) -> None:
    text = to_mermaid(awkward, current="state")
    lines = mermaid_lines(text)  # every line has a known shape: no quote leaked
    states = [m for kind, m in lines if kind == "state"]
    titles = {mermaid_decode(m["title"]) for m in states}
    assert titles == {AWKWARD_TITLE, "Übergang mit Zeilenumbruch", "Ende"}
    raw = states[0]["title"]
    assert "#quot;Größe#quot;#58; Straße#59; #35;1" in raw  # umlauts and ß kept as they are
    assert "[[fork]]" not in raw and not re.search("direction LR", raw, re.IGNORECASE)
    # state ids that Mermaid reads as keywords are replaced, consistently
    ids = [m["id"] for m in states]
    assert len(set(ids)) == 3
    assert not {"state", "default_phase", "note"} & set(ids)
    initial = next(m["id"] for kind, m in lines if kind == "initial")
    assert initial == ids[0]
    assert [m["id"] for kind, m in lines if kind == "class"] == [ids[0]]
    edges = {(m["src"], m["dest"]) for kind, m in lines if kind == "transition"}
    assert edges == {(ids[0], ids[1]), (ids[1], ids[2])}
    assert [m["id"] for kind, m in lines if kind == "final"] == [ids[2]]
    assert (
        mermaid_decode(next(m["label"] for k, m in lines if k == "transition" and "fertig" in m[0]))
        == "fertig (moderation; approval: moderation; reason required)"
    )


def test_dot_escapes_titles(awkward: Workflow) -> None:
    text = to_dot(awkward, current="state")
    assert braces_balanced(text)
    nodes, edges = dot_statements(text)
    assert {"state", "default_phase", "note"} <= set(nodes)  # DOT ids are quoted as they are
    label = re.match(rf"label=({DOT_STR})", nodes["state"])
    assert label is not None
    assert dot_unquote(label[1]) == AWKWARD_TITLE
    assert '\\"Größe\\": Straße;' in label[1]  # quote escaped, UTF-8 umlauts kept
    assert label[1].endswith('C:\\\\temp\\\\"')  # a trailing backslash cannot eat the quote
    assert 'label="Übergang mit Zeilenumbruch"' in nodes["default_phase"]
    assert (
        "default_phase",
        "note",
        "fertig (moderation; approval: moderation; reason required)",
    ) in edges


# --- rendering with Graphviz ----------------------------------------------------

DOT_BINARY = tools.find("dot")


@pytest.fixture
def dot_binary() -> str:
    """Graphviz's ``dot``, to render-check the DOT output."""
    return tools.require(DOT_BINARY, "Graphviz 'dot'", "graphviz")


needs_dot = pytest.mark.usefixtures("dot_binary")


def render_svg(dot: str) -> str:
    assert DOT_BINARY is not None
    done = subprocess.run(
        [DOT_BINARY, "-Tsvg"],
        input=dot.encode("utf-8"),
        capture_output=True,
        timeout=60,
        check=False,
    )
    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 0, stderr
    assert "error" not in stderr.lower() and "warning" not in stderr.lower(), stderr
    return done.stdout.decode("utf-8")


@needs_dot
@pytest.mark.parametrize("current", [None, "diagnose", "abgebrochen"])
def test_dot_renders_with_graphviz(shipped: Workflow, current: str | None) -> None:
    svg = render_svg(to_dot(shipped, current))
    assert "Auswertung/Dokumentation" in svg
    assert ("#ffd54f" in svg) == (current is not None)


@needs_dot
def test_awkward_dot_renders_with_graphviz(awkward: Workflow) -> None:
    svg = render_svg(to_dot(awkward, "default_phase"))
    assert "Prüfung &quot;Größe&quot;: Straße;" in svg
    assert "C:\\temp\\" in svg


# --- the module itself ------------------------------------------------------------


def test_module_imports_only_the_standard_library() -> None:
    tree = ast.parse(Path(diagram.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in tree.body:  # module level only; the TYPE_CHECKING block is an `if`
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.module is not None and node.level == 0
            imported.add(node.module.split(".")[0])
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported
    assert sorted(diagram.__all__) == diagram.__all__
    assert {"to_mermaid", "to_dot", "transition_label"} <= set(diagram.__all__)
