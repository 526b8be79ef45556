"""workflow list, show, validate, deploy, diagram."""

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
    """Workflow definitions: list, show, check a file, deploy it, draw.

    Areas run on the definitions deployed in the database.  Files (built
    in, or in --workflows folders) only propose definitions; an admin
    deploys one with `workflow deploy FILE`.
    """


@workflow.command("list")
@json_option
@pass_ctx
def workflow_list(obj: Ctx) -> None:
    """Every workflow and version: deployed in the database, or proposed by a
    file (built in, or from --workflows) and not deployed.

    \b
    Example:
      regsam-flow --workflows ./my-workflows workflow list
    """
    rows = _overview(obj)
    if obj.json:
        echo_json(rows)
        return
    table(
        ["name", "version", "title", "states", "status"],
        [[r["name"], r["version"], r["title"], r["states"], r["status"]] for r in rows],
    )


def _overview(obj: Ctx) -> list[dict[str, Any]]:
    import hashlib
    from pathlib import Path

    engine = obj.engine
    deployed = engine.workflows
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    for w in deployed.all():
        stored = deployed.stored(w.name, w.version)
        assert stored is not None
        rows[w.key] = {
            "name": w.name,
            "version": w.version,
            "title": w.definition.title,
            "states": len(w.definition.states),
            "deployed": True,
            "status": "deployed",
            "source": stored.source,
            "hash": stored.hash,
            "deployed_by": stored.deployed_by,
            "file": None,
        }
    for w in engine.local_workflows.all():
        row = rows.get(w.key)
        if row is None:
            rows[w.key] = {
                "name": w.name,
                "version": w.version,
                "title": w.definition.title,
                "states": len(w.definition.states),
                "deployed": False,
                "status": "proposed: not deployed",
                "source": w.source,
                "hash": None,
                "deployed_by": None,
                "file": w.source,
            }
            continue
        row["file"] = w.source
        try:
            same = hashlib.sha256(Path(w.source).read_bytes()).hexdigest() == row["hash"]
        except OSError:
            same = True
        if not same:
            row["status"] = f"deployed; {w.source} differs (not used)"
    return [rows[k] for k in sorted(rows)]


def _find(obj: Ctx, name: str, version: int | None) -> tuple[Any, bool]:
    """The deployed workflow, else a file's proposal: (workflow, deployed?)."""
    from regsam_flow.errors import NotFoundError

    try:
        return obj.engine.workflows.get(name, version), True
    except NotFoundError:
        try:
            return obj.engine.local_workflows.get(name, version), False
        except NotFoundError:
            pass
        raise


@workflow.command("show")
@click.argument("name")
@click.option("--version", "version", type=click.IntRange(min=1), help="Default: the newest.")
@json_option
@pass_ctx
def workflow_show(obj: Ctx, name: str, version: int | None) -> None:
    """States, tasks and transitions of a workflow (as deployed; a file's
    proposal if it is not deployed).

    \b
    Example:
      regsam-flow workflow show schwerpunktgebiet
    """
    wf, deployed = _find(obj, name, version)
    d = wf.definition
    if obj.json:
        echo_json({**_definition(wf), "deployed": deployed})
        return
    status = "deployed" if deployed else "NOT deployed: a proposal"
    echo(f"{d.title} ({d.name} v{d.version}), {status}, from {wf.source}")
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


@workflow.command("deploy")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
@json_option
@pass_ctx
def workflow_deploy(obj: Ctx, path: str) -> None:
    """Deploy a workflow file into the database (admins only; audited).

    New areas then run on the newest deployed version; running areas keep
    theirs.  A deployed name and version never changes: other content under
    them is refused (exit 7), give it a new version.

    \b
    Example:
      regsam-flow --as anna workflow deploy my-workflows/schwerpunktgebiet-v2.yaml
    """
    import hashlib
    from pathlib import Path

    wf, new = obj.engine.deploy_workflow(path, actor=obj.user)
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    if obj.json:
        echo_json({"name": wf.name, "version": wf.version, "hash": digest, "deployed": new})
    elif new:
        echo(f"Deployed {wf.name} version {wf.version} (sha256 {digest[:12]}).")
    else:
        echo(f"{wf.name} version {wf.version} is deployed already with this content.")


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
    wf = _find(obj, name, version)[0]
    echo((to_dot if fmt == "dot" else to_mermaid)(wf, current), nl=False)
