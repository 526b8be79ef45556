"""Workflow diagrams: a workflow definition as Mermaid or Graphviz DOT text.

:func:`to_mermaid` writes a Mermaid ``stateDiagram-v2`` (for Markdown, GitLab,
GitHub, the Mermaid live editor), :func:`to_dot` a Graphviz digraph (for
``dot -Tsvg``).  Both show every state with its title, the initial state,
the final states, and one edge per (source state, trigger) labelled by
:func:`transition_label`: the trigger, the roles that may fire it, the roles
whose approval it needs and whether it needs a reason, e.g.
``close (moderation, social_planning; approval: moderation + social_planning)``.
Given ``current``, that state is highlighted (an area's present phase).

The functions are pure: they read the definition by attribute access only
(``workflow.definition.states`` / ``.transitions``, ``workflow.initial``,
``workflow.name``, ``workflow.version``) and return text.  The output is
deterministic -- states in definition order, each state's transitions in
definition order -- and ends with a newline.

Escaping.  Mermaid's state-diagram lexer ends a transition label at ``:`` or
``;`` and a quoted state title at ``"``, and it reads some words anywhere on a
line (``direction LR``, ``[[fork]]``), so titles and labels are written with
Mermaid entity codes for those characters (``"`` -> ``#quot;``, ``:`` ->
``#58;``, ``;`` -> ``#59;``, ``#`` -> ``#35;`` ...); they render as the
original text.  Umlauts and other non-ASCII letters are kept as they are.
State ids that are not plain identifiers, or that Mermaid would read as a
keyword, are replaced by generated ones (``s_1``, ...).  In DOT every id and
label is a quoted string with ``\\`` and ``"`` escaped; the text is UTF-8.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from regsam_flow.workflows import TransitionDef, Workflow

__all__ = [
    "CURRENT_FILL",
    "CURRENT_STROKE",
    "to_dot",
    "to_mermaid",
    "transition_label",
]

CURRENT_FILL = "#ffd54f"
"""Fill colour of the current state, in both formats."""

CURRENT_STROKE = "#e65100"
"""Border colour of the current state in Mermaid."""

_INDENT = "    "


def transition_label(transition: TransitionDef) -> str:
    """The plain-text edge label of a transition (not yet escaped).

    ``trigger (role, role; approval: role + role; reason required)``; the
    approval and reason parts appear only when the transition has them.
    """
    parts = [", ".join(transition.roles)]
    if transition.approvals:
        parts.append(_("approval: {roles}").format(roles=" + ".join(transition.approvals)))
    if transition.reason_required:
        parts.append(_("reason required"))
    return f"{transition.trigger} ({'; '.join(parts)})"


def _(message: str) -> str:
    """``message`` in the current language (:mod:`regsam_flow.i18n`,
    imported here: the module itself needs only the standard library)."""
    from regsam_flow.i18n import _ as translate

    return translate(message)


def _caption(workflow: Workflow) -> str:
    return _("{name} version {version}").format(name=workflow.name, version=workflow.version)


def _one_line(text: str) -> str:
    """Collapse all whitespace (newlines included) to single spaces."""
    return " ".join(text.split())


def _edges(workflow: Workflow) -> Iterator[tuple[str, str, str, str]]:
    """(source, trigger, dest, label) per edge: states, then transitions, in order."""
    transitions = tuple(workflow.definition.transitions)
    for state in workflow.definition.states:
        for t in transitions:
            if state.id in tuple(t.source):
                yield state.id, t.trigger, t.dest, transition_label(t)


def _check_current(workflow: Workflow, current: str | None) -> None:
    if current is None:
        return
    ids = [s.id for s in workflow.definition.states]
    if current not in ids:
        raise ValueError(
            _(
                "current state {state} is not a state of workflow {workflow} (states: {states})"
            ).format(state=repr(current), workflow=repr(workflow.name), states=", ".join(ids))
        )


# --------------------------------------------------------------------------
# Mermaid

# Characters that end or confuse a Mermaid label, as Mermaid entity codes.
_MERMAID_ENTITIES = {
    "#": "#35;",  # first of all: it starts an entity code
    '"': "#quot;",
    ":": "#58;",
    ";": "#59;",
    "%": "#37;",
    "&": "#amp;",
    "<": "#lt;",
    ">": "#gt;",
    "[": "#91;",
    "]": "#93;",
    "`": "#96;",
}
_MERMAID_DIRECTION = re.compile(r"(direction) (?=tb|bt|rl|lr)", re.IGNORECASE)
_MERMAID_PLAIN_ID = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# Words the lexer of stateDiagram-v2 takes for keywords at the start of a token.
_MERMAID_KEYWORDS = frozenset(
    {
        "accdescr",
        "acctitle",
        "as",
        "class",
        "classdef",
        "click",
        "direction",
        "end",
        "hide",
        "note",
        "scale",
        "state",
        "statediagram",
        "style",
    }
)


def _mermaid_text(text: str) -> str:
    """Text for a Mermaid state title or transition label."""
    escaped = "".join(_MERMAID_ENTITIES.get(ch, ch) for ch in _one_line(text))
    return _MERMAID_DIRECTION.sub(r"\1#32;", escaped)


def _mermaid_id_ok(state_id: str) -> bool:
    lowered = state_id.lower()
    return (
        _MERMAID_PLAIN_ID.fullmatch(state_id) is not None
        and lowered not in _MERMAID_KEYWORDS
        and not lowered.startswith("default")
        and "direction" not in lowered
    )


def _mermaid_ids(state_ids: list[str]) -> dict[str, str]:
    """A safe, unique Mermaid id per state id (the id itself where possible)."""
    taken = {i for i in state_ids if _mermaid_id_ok(i)}
    out: dict[str, str] = {}
    n = 0
    for state_id in state_ids:
        if state_id in taken:
            out[state_id] = state_id
            continue
        while True:
            n += 1
            candidate = f"s_{n}"
            if candidate not in taken:
                break
        taken.add(candidate)
        out[state_id] = candidate
    return out


def to_mermaid(workflow: Workflow, current: str | None = None) -> str:
    """The workflow as a Mermaid ``stateDiagram-v2``.

    One ``state "Title" as id`` line per state, ``[*] --> initial``, one
    ``source --> dest : label`` line per (source, trigger), ``final --> [*]``
    per final state and, with ``current``, a ``current`` class on that state.
    Raises :class:`ValueError` if ``current`` is not a state of the workflow.
    """
    _check_current(workflow, current)
    states = list(workflow.definition.states)
    ids = _mermaid_ids([s.id for s in states])
    lines = [
        "stateDiagram-v2",
        f"{_INDENT}%% {_mermaid_text(_caption(workflow))}",
    ]
    for s in states:
        title = _mermaid_text(s.title) or _mermaid_text(s.id)
        lines.append(f'{_INDENT}state "{title}" as {ids[s.id]}')
    lines.append(f"{_INDENT}[*] --> {ids[workflow.initial]}")
    for source, _trigger, dest, label in _edges(workflow):
        lines.append(f"{_INDENT}{ids[source]} --> {ids[dest]} : {_mermaid_text(label)}")
    for s in states:
        if s.final:
            lines.append(f"{_INDENT}{ids[s.id]} --> [*]")
    if current is not None:
        lines.append(
            f"{_INDENT}classDef current fill:{CURRENT_FILL},stroke:{CURRENT_STROKE},"
            "stroke-width:3px"
        )
        lines.append(f"{_INDENT}class {ids[current]} current")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# Graphviz DOT


def _dot_quote(text: str) -> str:
    """A DOT double-quoted string (one line; backslash and quote escaped)."""
    escaped = _one_line(text).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def to_dot(workflow: Workflow, current: str | None = None) -> str:
    """The workflow as a Graphviz DOT digraph, laid out left to right.

    States are rounded boxes labelled with their titles, final states with a
    double border (``peripheries=2``); the initial state has an edge from a
    point node; one edge per (source, trigger).  With ``current`` that state
    is filled and drawn with a thick border.  Raises :class:`ValueError` if
    ``current`` is not a state of the workflow.
    """
    _check_current(workflow, current)
    states = list(workflow.definition.states)
    start = "__start__"
    while start in {s.id for s in states}:
        start = f"_{start}_"
    caption = _("{name} (version {version})").format(name=workflow.name, version=workflow.version)
    lines = [
        f"digraph {_dot_quote(workflow.name)} {{",
        f'{_INDENT}graph [rankdir=LR, charset="UTF-8", fontname="Helvetica", labelloc=t, '
        f"label={_dot_quote(caption)}];",
        f'{_INDENT}node [shape=box, style=rounded, fontname="Helvetica"];',
        f'{_INDENT}edge [fontname="Helvetica", fontsize=10];',
        f'{_INDENT}{_dot_quote(start)} [shape=point, width=0.15, label=""];',
    ]
    for s in states:
        attrs = [f"label={_dot_quote(_one_line(s.title) or s.id)}"]
        if s.final:
            attrs.append("peripheries=2")
        if s.id == current:
            attrs.append('style="rounded,filled"')
            attrs.append(f'fillcolor="{CURRENT_FILL}"')
            attrs.append("penwidth=3")
        lines.append(f"{_INDENT}{_dot_quote(s.id)} [{', '.join(attrs)}];")
    lines.append(f"{_INDENT}{_dot_quote(start)} -> {_dot_quote(workflow.initial)};")
    for source, _trigger, dest, label in _edges(workflow):
        lines.append(
            f"{_INDENT}{_dot_quote(source)} -> {_dot_quote(dest)} [label={_dot_quote(label)}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"
