"""area create, assign, unassign, list, show."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from regsam_flow.i18n import _, ngettext
from regsam_flow.views import (
    agreement_json,
    area_created_json,
    assignment_json,
    next_json,
    status_json,
)

from .app import cli
from .common import json_option
from .context import Ctx, pass_ctx
from .kg_view import print_kg_state
from .output import Stream, date_de, day, echo, echo_json, json_array, kv, table, wrapped

if TYPE_CHECKING:
    from regsam_flow.engine import AreaOverview
    from regsam_flow.model import NextStep

__all__ = ["agreement_json", "area", "next_json", "print_next"]


@cli.group()
def area() -> None:
    """Focus areas: create them, assign people, look at them."""


@area.command("create")
@click.argument("area_id", metavar="AREA")
@click.option("--name", required=True, help="The area's name, e.g. Hasenbergl-Nord.")
@click.option("--district", default="", help="The city district (Stadtbezirk).")
@click.option(
    "--workflow",
    default="schwerpunktgebiet",
    show_default=True,
    help="Workflow to run (its newest version unless --workflow-version).",
)
@click.option(
    "--workflow-version",
    type=int,
    metavar="N",
    default=None,
    help="Run on this deployed version of the workflow, e.g. 1 (default: the newest).",
)
@json_option
@pass_ctx
def area_create(
    obj: Ctx, area_id: str, name: str, district: str, workflow: str, workflow_version: int | None
) -> None:
    """Create an area in its workflow's first phase (admins only).

    A version that is not deployed: exit code 7, naming the deployed ones.

    \b
    Example:
      regsam-flow area create hasenbergl-nord --name Hasenbergl-Nord \\
          --district "24 Feldmoching-Hasenbergl"
    """
    a = obj.engine.create_area(
        area_id,
        actor=obj.user,
        name=name,
        district=district,
        workflow=workflow,
        workflow_version=workflow_version,
    )
    if obj.json:
        echo_json(area_created_json(a))
    else:
        echo(
            _("Created {area} ({name}) on {workflow} v{version}, phase {state}.").format(
                area=a.id,
                name=a.name,
                workflow=a.workflow,
                version=a.workflow_version,
                state=a.state,
            )
        )


@area.command("assign")
@click.argument("area_id", metavar="AREA")
@click.argument("role")
@click.argument("user_id", metavar="USER")
@json_option
@pass_ctx
def area_assign(obj: Ctx, area_id: str, role: str, user_id: str) -> None:
    """Give USER a ROLE in AREA.

    Admins assign any role; an area's moderation assigns steering, provider
    and sbh.  Roles: moderation, social_planning, steering, provider, sbh.

    \b
    Example:
      regsam-flow area assign hasenbergl-nord moderation mia
    """
    _change_assignment(obj, area_id, role, user_id, add=True)


@area.command("unassign")
@click.argument("area_id", metavar="AREA")
@click.argument("role")
@click.argument("user_id", metavar="USER")
@json_option
@pass_ctx
def area_unassign(obj: Ctx, area_id: str, role: str, user_id: str) -> None:
    """Take ROLE in AREA away from USER (same rights as assign).

    \b
    Example:
      regsam-flow area unassign hasenbergl-nord provider tom
    """
    _change_assignment(obj, area_id, role, user_id, add=False)


def _change_assignment(obj: Ctx, area_id: str, role: str, user_id: str, add: bool) -> None:
    (obj.engine.assign if add else obj.engine.unassign)(area_id, role, user_id, actor=obj.user)
    if obj.json:
        echo_json(assignment_json(area_id, role, user_id, add))
    elif add:
        echo(_("{user} is now {role} in {area}.").format(user=user_id, role=role, area=area_id))
    else:
        echo(
            _("{user} is no longer {role} in {area}.").format(user=user_id, role=role, area=area_id)
        )


@area.command("list")
@click.option(
    "--state",
    metavar="STATE",
    help="Only areas in this phase, e.g. diagnose (an unknown one: exit 7, listing the known).",
)
@click.option(
    "--review-within",
    type=click.IntRange(min=0),
    metavar="DAYS",
    help="Only areas whose review date is at most DAYS away (or past), e.g. 30.",
)
@click.option("--owes", metavar="USER", help="Only areas whose next step USER owes.")
@json_option
@pass_ctx
def area_list(obj: Ctx, state: str | None, review_within: int | None, owes: str | None) -> None:
    """The areas you may see (admins and auditors: all) at a glance: the
    workflow (a selection's candidates run on gebietsauswahl, focus areas on
    schwerpunktgebiet), the phase, the next step and who owes it, the open
    required tasks, the review date and the days left till then.

    \b
    Example:
      regsam-flow area list --state umsetzung
      regsam-flow area list --review-within 30 --owes mia
    """
    rows = obj.engine.iter_area_overview(
        actor=obj.user, state=state, review_within=review_within, owes=owes
    )
    if obj.json:  # printed as the areas are read, however many
        with Stream(json=True) as out:
            for piece in json_array(r.to_dict() for r in rows):
                out.write(piece)
        return
    with Stream() as out:
        none = True
        for r in rows:
            if not none:
                out.write("\n")
            none = False
            out.write(f"{r.area}  {r.name}  ({r.workflow} v{r.workflow_version})\n")
            for line in _overview_lines(r):
                out.write(wrapped(line, 2) + "\n")
        if none:
            out.write(_("No areas.") + "\n")


def _overview_lines(r: AreaOverview) -> list[str]:
    """What `area list` says of one area below its id and name."""
    if r.final:
        return [_("phase {phase} (final)").format(phase=r.state)]
    people = ", ".join(r.owed_by) or "-"
    if r.next_step:
        lines = [
            _("phase {phase}; next step {step}, owed by {people}").format(
                phase=r.state, step=r.next_step, people=people
            )
        ]
    else:
        lines = [_("phase {phase}; owed by {people}").format(phase=r.state, people=people)]
    if r.open_tasks:
        n = len(r.open_tasks)
        lines.append(
            ngettext(
                "{n} required task open: {tasks}", "{n} required tasks open: {tasks}", n
            ).format(n=n, tasks=", ".join(r.open_tasks))
        )
    if r.review is not None and r.days_left is not None:
        d = r.days_left
        lines.append(
            (
                ngettext("review {date}, {n} day overdue", "review {date}, {n} days overdue", -d)
                if d < 0
                else _("review {date}, today")
                if d == 0
                else ngettext("review {date}, in {n} day", "review {date}, in {n} days", d)
            ).format(date=date_de(r.review), n=abs(d))
        )
    return lines


@area.command("show")
@click.argument("area_id", metavar="AREA")
@json_option
@pass_ctx
def area_show(obj: Ctx, area_id: str) -> None:
    """Phase, people by role, agreement, tasks, next review date, the KG's
    state (meetings, catalogue, goals, orders, missing resources, final
    documentation; `--json`: the key "kg") and the next steps with their
    blockers.

    \b
    Example:
      regsam-flow --as mia area show hasenbergl-nord
    """
    st = obj.engine.status(area_id, actor=obj.user)
    kg = obj.engine.kg_state(area_id, actor=obj.user)
    if obj.json:
        echo_json(status_json(st, kg))
        return
    a = st.area
    ag = st.agreement
    uses_agreement = ag is not None or not st.fields  # candidates of a selection have none
    phase = st.state_title if st.state_title == a.state else f"{st.state_title} ({a.state})"
    kv(
        [
            (_("area"), f"{a.id} ({a.name})"),
            (_("district"), a.district),
            (_("workflow"), f"{a.workflow} v{a.workflow_version}"),
            (_("phase"), phase + (_("  [final]") if st.final else "")),
            (_("version"), a.version),
        ]
        + (
            [(_("next review"), day(ag.review) if ag else "-")]
            if uses_agreement and not st.final
            else []
        )
    )
    echo("\n" + _("People"))
    role_w = max((len(r) for r in st.roles), default=0) + 1
    for role, people in st.roles.items():
        echo(f"  {role:{role_w}} {', '.join(people) if people else '-'}")
    if st.fields:
        echo("\n" + _("Fields"))
        for key, value in st.fields.items():
            shown = (_("yes") if value else _("no")) if isinstance(value, bool) else value
            echo(wrapped(f"{key}: {shown}", 2))
    if st.votes:
        echo("\n" + _("Votes"))
        for v in st.votes:
            echo(f"  {v.person} ({v.role}): {_('yes') if v.yes else _('no')}")
    if uses_agreement and ag is None:
        echo("\n" + _("Agreement"))
        echo("  " + _("none yet (regsam-flow agreement set ...)"))
    elif ag is not None:
        echo("\n" + _("Agreement"))
        missing = ag.missing_fields()
        signed = ", ".join(sorted(ag.signatures)) or _("nobody")
        echo(
            "  "
            + _("version {version}, topic: {topic}").format(
                version=ag.version, topic=ag.topic or "-"
            )
        )
        echo(
            "  "
            + _("start {start}, review {review}, duration {duration}").format(
                start=day(ag.start), review=day(ag.review), duration=ag.duration or "-"
            )
        )
        line = _("signed by: {people}").format(people=signed)
        if missing:
            line += _("; lacks: {fields}").format(fields=", ".join(missing))
        echo("  " + line)
    from .task_cmds import titled

    rows = [t for t in st.tasks if t.phase == a.state]
    if rows and not st.final:
        echo("\n" + _("Tasks of {state}").format(state=a.state))
        table(
            ["", _("task"), _("done by"), _("title")],
            [
                [
                    "x" if t.done else ("!" if t.required else " "),
                    t.id,
                    t.done_by or "",
                    titled(t),
                ]
                for t in rows
            ],
        )
        echo("  " + _("(x done, ! required and open)"))
    print_kg_state(kg)
    echo("\n" + _("Next steps"))
    print_next(st.next)


def print_next(steps: list[NextStep], ended: str | None = None) -> None:
    """The next steps and their blockers; ``ended`` says why there are none
    (default: the area is in a final phase)."""
    if not steps:
        echo("  " + (ended or _("none: the area is in a final phase")))
    for s in steps:
        flag = _("allowed") if s.allowed else _("blocked")
        extra = _(" (needs --reason)") if s.reason_required else ""
        echo(f"  {s.trigger} -> {s.dest}: {flag}{extra}")
        for b in s.blockers:
            echo(wrapped(f"{b.code}: {b.message}", 6))
