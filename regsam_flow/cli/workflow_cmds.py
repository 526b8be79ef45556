"""workflow list, show, validate, deploy, migrate, diagram."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from regsam_flow.i18n import _, ngettext

from .app import cli
from .common import json_option
from .context import Ctx, pass_ctx
from .output import echo, echo_json, table, wrapped

if TYPE_CHECKING:
    from regsam_flow.model import MigrationPlan

__all__ = ["workflow"]


@cli.group()
def workflow() -> None:
    """Workflow definitions: list, show, check a file, deploy it, move an
    area to another version, draw.

    Areas run on the definitions deployed in the database.  Files (built
    in, or in --workflows folders) only propose definitions; an admin
    deploys one with `workflow deploy FILE`.  Running areas keep their
    version until moved with `workflow migrate`.
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
        [_("name"), _("version"), _("title"), _("states"), _("status")],
        [[r["name"], r["version"], r["title"], r["states"], _status_text(r)] for r in rows],
    )


def _status_text(row: dict[str, Any]) -> str:
    """A row's status for people (its JSON ``status`` stays English)."""
    if not row["deployed"]:
        return _("proposed: not deployed")
    if row["status"] != "deployed":
        return _("deployed; {file} differs (not used)").format(file=row["file"])
    return _("deployed")


def _overview(obj: Ctx) -> list[dict[str, Any]]:
    import hashlib
    from pathlib import Path

    from regsam_flow.views import deployed_workflow_json

    engine = obj.engine
    deployed = engine.workflows
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    for w in deployed.all():
        stored = deployed.stored(w.name, w.version)
        assert stored is not None
        rows[w.key] = deployed_workflow_json(w, stored)
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
    status = _("deployed") if deployed else _("NOT deployed: a proposal")
    echo(
        _("{title} ({name} v{version}), {status}, from {source}").format(
            title=d.title, name=d.name, version=d.version, status=status, source=wf.source
        )
    )
    echo(_("roles: {roles}; starts in {state}").format(roles=", ".join(d.roles), state=d.initial))
    for s in d.states:
        echo(f"\n{s.id}: {s.title}" + ("  " + _("[final]") if s.final else ""))
        for t in s.tasks:
            req = "!" if t.required else " "
            echo(f"  {req} {t.id} ({', '.join(t.roles)}): {t.title}")
        for tr in wf.transitions_from(s.id):
            notes = []
            if tr.approvals:
                notes.append(_("approval: {roles}").format(roles=" + ".join(tr.approvals)))
            if tr.guards:
                notes.append(_("guards: {guards}").format(guards=", ".join(tr.guards)))
            if tr.reason_required:
                notes.append(_("reason required"))
            extra = f" [{'; '.join(notes)}]" if notes else ""
            by = _("-> {state} by {trigger} ({roles})").format(
                state=tr.dest, trigger=tr.trigger, roles=", ".join(tr.roles)
            )
            echo(f"  {by}{extra}")
    echo("\n" + _("(! = required task)"))


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
        states = ngettext("{n} state", "{n} states", len(wf.definition.states)).format(
            n=len(wf.definition.states)
        )
        transitions = ngettext(
            "{n} transition", "{n} transitions", len(wf.definition.transitions)
        ).format(n=len(wf.definition.transitions))
        echo(
            _("OK: {path} defines {name} version {version} ({states}, {transitions}).").format(
                path=path,
                name=wf.name,
                version=wf.version,
                states=states,
                transitions=transitions,
            )
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
        echo(
            _("Deployed {name} version {version} (sha256 {sha256}).").format(
                name=wf.name, version=wf.version, sha256=digest[:12]
            )
        )
    else:
        echo(
            _("{name} version {version} is deployed already with this content.").format(
                name=wf.name, version=wf.version
            )
        )


@workflow.command("migrate")
@click.argument("area_id", metavar="AREA")
@click.option(
    "--to",
    "to",
    metavar="[NAME:]VERSION",
    required=True,
    help="The deployed version to move to (higher or lower); NAME, if given, must be "
    "the area's workflow.",
)
@click.option("--dry-run", is_flag=True, help="Only show the plan; write nothing.")
@click.option("--reason", default="", help="Why (recorded in the audit log).")
@json_option
@pass_ctx
def workflow_migrate(obj: Ctx, area_id: str, to: str, dry_run: bool, reason: str) -> None:
    """Move a running area to another deployed version of its workflow
    (admins or the area's moderation; audited).

    Checks that the area's phase exists in the target (and is not final),
    that the target knows every role held in the area and accepts its field
    values; shows what would then block the area's next step, and which
    tasks exist in only one version.  The area keeps its phase, round,
    agreement and reports; rows of tasks the target does not know are kept
    (a move back finds them).  All in one transaction: moved, or nothing.
    Exit 4 if it cannot move (a --dry-run prints the plan and exits 4 too),
    3 if you may not, 6 if there is no such area, 7 for a bad --to.

    \b
    Examples:
      regsam-flow --as mia workflow migrate hasenbergl-nord --to 2 --dry-run
      regsam-flow --as mia workflow migrate hasenbergl-nord --to 2 \\
          --reason "Katalog als Beschluss des KG"
    """
    name, version = _target(to)
    plan = obj.engine.migrate_area(
        area_id, version, actor=obj.user, dry_run=dry_run, reason=reason, workflow=name
    )
    if obj.json:
        echo_json(plan.to_dict())
    else:
        _print_plan(plan)
    if not plan.can_move:
        raise click.exceptions.Exit(4)


def _target(to: str) -> tuple[str | None, int]:
    """``--to``: VERSION or NAME:VERSION."""
    from regsam_flow.errors import InvalidInputError

    name, sep, number = to.strip().rpartition(":")
    try:
        version = int(number)
    except ValueError:
        version = 0
    if version < 1 or (sep and not name):
        raise InvalidInputError(
            _("--to: {value} is not a version number (1, 2, ...) or NAME:VERSION").format(
                value=repr(to)
            ),
            field="to",
        )
    return name or None, version


def _print_plan(plan: MigrationPlan) -> None:
    wf = f"{plan.workflow} v{plan.from_version} -> v{plan.to_version}"
    values = {"area": plan.area, "phase": plan.phase, "workflow": wf}
    if plan.moved:
        echo(
            _("Moved {area} ({phase}) from {workflow} (audit entry {seq}).").format(
                **values, seq=plan.seq
            )
        )
    elif plan.can_move:
        echo(
            _("Dry run: {area} ({phase}) can move from {workflow}; nothing written.").format(
                **values
            )
        )
    else:
        echo(_("{area} ({phase}) cannot move from {workflow}:").format(**values))
        for b in plan.problems:
            echo(wrapped(f"- {b.code}: {b.message}", 2))
        return
    lines = [
        (_("tasks only in the old version (rows kept, not shown)"), plan.tasks_dropped),
        (_("tasks only in the new version (open)"), plan.tasks_new),
        (_("fields only in the old version"), plan.fields_dropped),
        (_("fields only in the new version"), plan.fields_new),
    ]
    for title, items in lines:
        if items:
            echo(wrapped(f"{title}: {', '.join(items)}", 0))
    if plan.next_trigger is None:
        echo(_("next step: none from {phase}").format(phase=plan.phase))
    elif plan.blocked_by:
        text = (
            _("{trigger} is now blocked by:") if plan.moved else _("{trigger} is then blocked by:")
        )
        echo(text.format(trigger=plan.next_trigger))
        for b in plan.blocked_by:
            echo(wrapped(f"- {b.code}: {b.message}", 2))
    else:
        text = _("{trigger} is now allowed.") if plan.moved else _("{trigger} is then allowed.")
        echo(text.format(trigger=plan.next_trigger))


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
                _("area {area} runs workflow {workflow}, not {name}").format(
                    area=area_id, workflow=a.workflow, name=name
                ),
                field="area",
            )
        current, version = a.state, a.workflow_version
    wf = _find(obj, name, version)[0]
    echo((to_dot if fmt == "dot" else to_mermaid)(wf, current), nl=False)
