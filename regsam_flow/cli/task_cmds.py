"""task list, done, reopen."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from regsam_flow.i18n import _
from regsam_flow.views import task_reopened_json, task_reported_json

from .app import cli
from .common import json_option
from .context import Ctx, pass_ctx
from .output import day, echo, echo_json, table

if TYPE_CHECKING:
    from regsam_flow.model import TaskRow

__all__ = ["task"]


@cli.group()
def task() -> None:
    """The tasks of each phase: list, report, reopen."""


@task.command("list")
@click.argument("area_id", metavar="AREA")
@click.option("--phase", metavar="PHASE", help="Only the tasks of this phase.")
@json_option
@pass_ctx
def task_list(obj: Ctx, area_id: str, phase: str | None) -> None:
    """List the tasks of every phase (or one), with who reported them.

    \b
    Example:
      regsam-flow task list hasenbergl-nord --phase vorlauf
    """
    rows = obj.engine.tasks(area_id, actor=obj.user, phase=phase)
    if obj.json:
        echo_json([t.to_dict() for t in rows])
        return
    phases: dict[str, list[TaskRow]] = {}
    for t in rows:
        phases.setdefault(t.phase, []).append(t)
    for i, (ph, tasks) in enumerate(phases.items()):
        echo(("\n" if i else "") + f"{ph}:")
        table(
            [_("task"), _("req"), _("done"), _("by"), _("title")],
            [
                [
                    t.id,
                    _("yes") if t.required else "",
                    day(t.done_at) if t.done else "",
                    t.done_by or "",
                    titled(t, with_roles=True),
                ]
                for t in tasks
            ],
            keep=(0, 2),
        )


def titled(t: TaskRow, with_roles: bool = False) -> str:
    """A task's title (with the roles that report it), and its note once
    reported."""
    text = t.title + (f" ({', '.join(t.roles)})" if with_roles and t.roles else "")
    return text + (" " + _("(note: {note})").format(note=t.note) if t.note else "")


@task.command("done")
@click.argument("area_id", metavar="AREA")
@click.argument("task_id", metavar="TASK")
@click.option("--note", default="", help="A note, e.g. where the result is documented.")
@json_option
@pass_ctx
def task_done(obj: Ctx, area_id: str, task_id: str, note: str) -> None:
    """Report a task of the current phase done.

    \b
    Example:
      regsam-flow --as mia task done hasenbergl-nord bedarfsanalyse \\
          --note "Protokoll KG 03/2027"
    """
    st = obj.engine.report_task(area_id, task_id, actor=obj.user, note=note)
    if obj.json:
        echo_json(task_reported_json(area_id, task_id, st))
    else:
        echo(
            _("Task {task} of {area} reported done by {who}.").format(
                task=task_id, area=area_id, who=st.done_by
            )
        )


@task.command("reopen")
@click.argument("area_id", metavar="AREA")
@click.argument("task_id", metavar="TASK")
@click.option("--reason", required=True, help="Why the task is open again.")
@json_option
@pass_ctx
def task_reopen(obj: Ctx, area_id: str, task_id: str, reason: str) -> None:
    """Mark a reported task open again (its roles or the moderation).

    \b
    Example:
      regsam-flow task reopen hasenbergl-nord datenmaterial \\
          --reason "Zahlen von 2026 fehlen"
    """
    obj.engine.reopen_task(area_id, task_id, actor=obj.user, reason=reason)
    if obj.json:
        echo_json(task_reopened_json(area_id, task_id, reason))
    else:
        echo(_("Task {task} of {area} is open again.").format(task=task_id, area=area_id))
