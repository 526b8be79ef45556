"""workflow list, show, validate, diagram."""

from __future__ import annotations

from typing import Any

import click

from .app import cli
from .common import json_option
from .context import Ctx, pass_ctx
from .output import echo, echo_json, table

__all__ = ["workflow"]


@cli.group()
def workflow() -> None:
    """Workflow definitions: list, show, check a file, draw."""


@workflow.command("list")
@json_option
@pass_ctx
def workflow_list(obj: Ctx) -> None:
    """Every workflow and version loaded (built in and from --workflows).

    \b
    Example:
      regsam-flow --workflows ./my-workflows workflow list
    """
    wfs = obj.registry().all()
    if obj.json:
        echo_json(
            [
                {
                    "name": w.name,
                    "version": w.version,
                    "title": w.definition.title,
                    "source": w.source,
                }
                for w in wfs
            ]
        )
        return
    table(
        ["name", "version", "title", "states"],
        [[w.name, w.version, w.definition.title, len(w.definition.states)] for w in wfs],
    )


@workflow.command("show")
@click.argument("name")
@click.option("--version", "version", type=click.IntRange(min=1), help="Default: the newest.")
@json_option
@pass_ctx
def workflow_show(obj: Ctx, name: str, version: int | None) -> None:
    """States, tasks and transitions of a workflow.

    \b
    Example:
      regsam-flow workflow show schwerpunktgebiet
    """
    wf = obj.registry().get(name, version)
    d = wf.definition
    if obj.json:
        echo_json(_definition(wf))
        return
    echo(f"{d.title} ({d.name} v{d.version}), from {wf.source}")
    echo(f"roles: {', '.join(d.roles)}; starts in {d.initial}")
    for s in d.states:
        echo(f"\n{s.id}: {s.title}" + ("  [final]" if s.final else ""))
        for t in s.tasks:
            req = "!" if t.required else " "
            echo(f"  {req} {t.id} ({', '.join(t.roles)}): {t.title}")
        for tr in wf.transitions_from(s.id):
            notes = []
            if tr.approvals:
                notes.append("approval: " + " + ".join(tr.approvals))
            if tr.guards:
                notes.append("guards: " + ", ".join(tr.guards))
            if tr.reason_required:
                notes.append("reason required")
            extra = f" [{'; '.join(notes)}]" if notes else ""
            echo(f"  -> {tr.dest} by {tr.trigger} ({', '.join(tr.roles)}){extra}")
    echo("\n(! = required task)")


def _definition(wf: Any) -> dict[str, Any]:
    from regsam_flow.workflows.spec import workflow_def_to_dict

    return {**workflow_def_to_dict(wf.definition), "source": wf.source}


@workflow.command("validate")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
@json_option
@pass_ctx
def workflow_validate(obj: Ctx, path: str) -> None:
    """Check a workflow file; exit 7 naming the element at fault.

    \b
    Example:
      regsam-flow workflow validate my-workflows/schwerpunktgebiet-v2.yaml
    """
    from regsam_flow.guards import BUILTIN_GUARDS
    from regsam_flow.workflows import load_workflow

    wf = load_workflow(path, BUILTIN_GUARDS)
    if obj.json:
        echo_json({"ok": True, "name": wf.name, "version": wf.version, "file": path})
    else:
        echo(
            f"OK: {path} defines {wf.name} version {wf.version} "
            f"({len(wf.definition.states)} states, "
            f"{len(wf.definition.transitions)} transitions)."
        )


@workflow.command("diagram")
@click.argument("name")
@click.option(
    "--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid", show_default=True
)
@click.option("--area", "area_id", metavar="AREA", help="Highlight this area's current phase.")
@click.option("--version", "version", type=click.IntRange(min=1), help="Default: the newest.")
@pass_ctx
def workflow_diagram(
    obj: Ctx, name: str, fmt: str, area_id: str | None, version: int | None
) -> None:
    """Draw a workflow as Mermaid or Graphviz DOT text.

    \b
    Examples:
      regsam-flow workflow diagram schwerpunktgebiet > flow.mmd
      regsam-flow workflow diagram schwerpunktgebiet --format dot \\
          --area hasenbergl-nord | dot -Tsvg > flow.svg
    """
    from regsam_flow.diagram import to_dot, to_mermaid

    current = None
    if area_id:
        a = obj.engine.get_area(area_id, actor=obj.user)
        if a.workflow != name:
            from regsam_flow.errors import InvalidInputError

            raise InvalidInputError(
                f"area {area_id} runs workflow {a.workflow}, not {name}", field="area"
            )
        current, version = a.state, a.workflow_version
    wf = obj.registry().get(name, version)
    echo((to_dot if fmt == "dot" else to_mermaid)(wf, current), nl=False)
