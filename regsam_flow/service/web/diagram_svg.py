"""The process picture of an area: a workflow definition as SVG, made on
the server without Graphviz.

:mod:`regsam_flow.diagram` writes Mermaid and DOT text, which need a tool
to become a picture; this module draws the SVG itself, narrow enough for a
phone: the phases of the forward path (the chain of ``advance``
transitions from the initial phase) one below the other, forward arrows
between them labelled with the step's title, the paths back (and forward
jumps) as arcs on the left, and the paths into a final phase off the path
(cancel) as a bus on the right into that phase's box.  The current phase is
filled and carries the words "current phase" (colour is never the only
sign).  Every text is real SVG text; the picture has a ``<title>`` and a
``<desc>`` listing every step in words, each box and arrow its own
``<title>``.  Only presentation attributes, no ``style`` attribute and no
script: it passes the strict Content-Security-Policy inline or as a file.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING

from ...diagram import CURRENT_FILL
from ...i18n import _

if TYPE_CHECKING:
    from ...workflows import Workflow

__all__ = ["workflow_svg"]

WIDTH = 440
BOX_X = 130
BOX_W = 200
BOX_H = 48
ROW = 86
TOP = 40
BUS_X = 372
INK = "#1a1a1a"
MUTED = "#4a4a4a"
BACK = "#0b5394"
CANCEL = "#a61c00"


@dataclass(frozen=True)
class _Edge:
    source: str
    dest: str
    title: str


def _x(text: str) -> str:
    return escape(text, quote=True)


def _wrap(text: str, width: int) -> list[str]:
    """Words into lines of at most ``width`` characters (a long word stays whole)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        lines.append(line)
    return lines or [""]


def _main_path(workflow: Workflow) -> list[str]:
    """The forward path: from the initial phase along advance transitions,
    then every other phase that is not final, in definition order."""
    d = workflow.definition
    path = [d.initial]
    while True:
        nxt = [
            t.dest
            for t in workflow.outgoing.get(path[-1], ())
            if t.advance and t.dest not in path and t.dest in workflow.states
        ]
        if not nxt:
            break
        path.append(nxt[0])
    for s in d.states:
        if s.id not in path and not s.final:
            path.append(s.id)
    return path


def workflow_svg(workflow: Workflow, current: str | None = None, *, dom_id: str = "process") -> str:
    """The workflow as an SVG element (text); ``current`` marked."""
    d = workflow.definition
    titles = {s.id: s.title for s in d.states}
    main = _main_path(workflow)
    side = [s.id for s in d.states if s.id not in main]
    row = {sid: i for i, sid in enumerate(main)}

    edges: list[_Edge] = []
    for t in d.transitions:
        for src in t.source:
            edges.append(_Edge(src, t.dest, t.title or t.trigger))

    forward = [
        e for e in edges if e.source in row and e.dest in row and row[e.dest] == row[e.source] + 1
    ]
    arcs = [e for e in edges if e.source in row and e.dest in row and e not in forward]
    to_side = [e for e in edges if e.source in row and e.dest in side]

    def box_y(sid: str) -> int:
        return TOP + row[sid] * ROW

    side_y = {sid: TOP + (len(main) + i) * ROW for i, sid in enumerate(side)}
    height = TOP + (len(main) + len(side)) * ROW

    out: list[str] = []
    tid, did = f"{dom_id}-title", f"{dom_id}-desc"
    out.append(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-labelledby="{tid} {did}" '
        f'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" font-size="14">'
    )
    caption = _("Process of the workflow {title}").format(title=d.title)
    out.append(f'<title id="{tid}">{_x(caption)}</title>')
    desc: list[str] = [
        _("Phases: {phases}.").format(phases=", ".join(titles[s] for s in main + side))
    ]
    if current is not None and current in titles:
        desc.append(_("Current phase: {phase}.").format(phase=titles[current]))
    for e in edges:
        desc.append(
            _("{step}: from {source} to {dest}.").format(
                step=e.title, source=titles.get(e.source, e.source), dest=titles.get(e.dest, e.dest)
            )
        )
    out.append(f'<desc id="{did}">{_x(" ".join(desc))}</desc>')
    out.append(
        "<defs>"
        + "".join(
            f'<marker id="{dom_id}-arrow-{name}" viewBox="0 0 10 10" refX="9" refY="5" '
            f'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            f'<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
            for name, colour in (("fwd", INK), ("back", BACK), ("cancel", CANCEL))
        )
        + "</defs>"
    )

    # the start: a dot and an arrow into the initial phase
    first_y = box_y(main[0])
    cx = BOX_X + BOX_W // 2
    out.append(f'<circle cx="{cx}" cy="{first_y - 26}" r="6" fill="{INK}"/>')
    out.append(
        f'<line x1="{cx}" y1="{first_y - 20}" x2="{cx}" y2="{first_y - 2}" stroke="{INK}" '
        f'stroke-width="1.5" marker-end="url(#{dom_id}-arrow-fwd)"/>'
    )

    # forward arrows, labelled on the right
    for e in forward:
        y1 = box_y(e.source) + BOX_H
        y2 = box_y(e.dest)
        out.append(f"<g><title>{_x(e.title)}</title>")
        out.append(
            f'<line x1="{cx}" y1="{y1}" x2="{cx}" y2="{y2 - 1}" stroke="{INK}" stroke-width="1.5" '
            f'marker-end="url(#{dom_id}-arrow-fwd)"/>'
        )
        lines = _wrap(e.title, 22)
        if len(lines) > 2:
            lines = [lines[0], lines[1] + " …"]
        first = (y1 + y2) // 2 + 5 - (len(lines) - 1) * 7
        out.append(f'<text x="{cx + 8}" y="{first}" font-size="12" fill="{MUTED}">')
        for i, line in enumerate(lines):
            out.append(f'<tspan x="{cx + 8}" dy="{0 if i == 0 else 14}">{_x(line)}</tspan>')
        out.append("</text></g>")

    # paths back (and jumps) on the left
    for n, e in enumerate(arcs):
        ys = box_y(e.source) + BOX_H // 2 + 6
        yd = box_y(e.dest) + BOX_H // 2 - 6
        bulge = BOX_X - 28 - 8 * n
        out.append(f"<g><title>{_x(e.title)}</title>")
        out.append(
            f'<path d="M{BOX_X},{ys} C{bulge},{ys} {bulge},{yd} {BOX_X - 1},{yd}" fill="none" '
            f'stroke="{BACK}" stroke-width="1.5" stroke-dasharray="5 3" '
            f'marker-end="url(#{dom_id}-arrow-back)"/>'
        )
        lines = _wrap(e.title, 14)
        mid = (ys + yd) // 2 - (len(lines) - 1) * 6
        out.append(f'<text x="2" y="{mid}" font-size="11" fill="{BACK}">')
        for i, line in enumerate(lines):
            out.append(f'<tspan x="2" dy="{0 if i == 0 else 13}">{_x(line)}</tspan>')
        out.append("</text></g>")

    # paths into a final phase off the path (cancel): a bus on the right
    fed = [d for d in side if any(e.dest == d for e in to_side)]
    for n, dest in enumerate(fed):
        into = [e for e in to_side if e.dest == dest]
        bus = BUS_X - 8 * (len(fed) - 1 - n)
        top = min(box_y(e.source) for e in into) + BOX_H // 2
        dy = side_y[dest]
        label = " / ".join(dict.fromkeys(e.title for e in into))
        out.append(f"<g><title>{_x(label)}</title>")
        for e in into:
            y = box_y(e.source) + BOX_H // 2
            out.append(
                f'<line x1="{BOX_X + BOX_W}" y1="{y}" x2="{bus}" y2="{y}" stroke="{CANCEL}" '
                f'stroke-width="1.5" stroke-dasharray="2 3"/>'
            )
        out.append(
            f'<path d="M{bus},{top} L{bus},{dy + BOX_H // 2} '
            f'L{BOX_X + BOX_W + 1},{dy + BOX_H // 2}" '
            f'fill="none" stroke="{CANCEL}" stroke-width="1.5" stroke-dasharray="2 3" '
            f'marker-end="url(#{dom_id}-arrow-cancel)"/>'
        )
        if len(fed) == 1:  # else the labels would overlap: <title> and <desc> say it
            out.append(
                f'<text x="{bus + 6}" y="{top - 8}" font-size="12" fill="{CANCEL}" '
                f'text-anchor="middle">{_x(label)}</text>'
            )
        out.append("</g>")

    # the boxes last, over the lines
    for sid in main + side:
        y = box_y(sid) if sid in row else side_y[sid]
        state = workflow.states[sid]
        is_current = sid == current
        fill = CURRENT_FILL if is_current else "#ffffff"
        stroke_w = 3 if is_current else 1.5
        name = titles[sid]
        tip = name + (" — " + _("current phase") if is_current else "")
        out.append(f"<g><title>{_x(tip)}</title>")
        out.append(
            f'<rect x="{BOX_X}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="10" fill="{fill}" '
            f'stroke="{INK}" stroke-width="{stroke_w}"/>'
        )
        if state.final:
            out.append(
                f'<rect x="{BOX_X + 4}" y="{y + 4}" width="{BOX_W - 8}" height="{BOX_H - 8}" '
                f'rx="7" fill="none" stroke="{INK}" stroke-width="1"/>'
            )
        if is_current:
            out.append(
                f'<text x="{cx}" y="{y + 20}" text-anchor="middle" font-weight="bold" '
                f'fill="{INK}">{_x(name)}</text>'
            )
            out.append(
                f'<text x="{cx}" y="{y + 37}" text-anchor="middle" font-size="12" '
                f'fill="{INK}">{_x(_("current phase"))}</text>'
            )
        else:
            lines = _wrap(name.replace("/", "/ "), 22)
            first = y + BOX_H // 2 + 5 - (len(lines) - 1) * 8
            out.append(f'<text x="{cx}" y="{first}" text-anchor="middle" fill="{INK}">')
            for i, line in enumerate(lines):
                shown = _x(line.replace("/ ", "/"))
                out.append(f'<tspan x="{cx}" dy="{0 if i == 0 else 16}">{shown}</tspan>')
            out.append("</text>")
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)
