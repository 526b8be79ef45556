"""kg order, resource: the KG's work orders and recommendations, and the
missing resources it documents."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from regsam_flow.i18n import _
from regsam_flow.kg_views import order_json, resource_json

from .common import date_arg, json_option
from .context import Ctx, pass_ctx
from .kg_cmds import ORDER_KINDS, ORDER_STATUSES, label, order, resource, who
from .output import date_de, echo, echo_json, table

if TYPE_CHECKING:
    pass

__all__ = ["order_json", "resource_json"]


@order.command("add")
@click.argument("area_id", metavar="AREA")
@click.option("--meeting", "meeting_id", required=True, type=int, help="The issuing meeting's id.")
@click.option("--title", required=True, help="What is to be done.")
@click.option("--person", metavar="ID", help="To a person holding a role in the area.")
@click.option("--role", metavar="ROLE", help="To a role of the area (whoever holds it).")
@click.option("--outside", metavar="NAME", help="To a named outside party.")
@click.option("--due", required=True, metavar="DATE", help="Due date (2027-06-30 or 30.06.2027).")
@click.option(
    "--kind",
    type=click.Choice(["order", "recommendation"]),
    default="order",
    show_default=True,
    help="A binding work order or a recommendation.",
)
@click.option("--goal", "goal_number", type=int, metavar="N", help="For goal number N.")
@click.option("--measure", "measure_id", type=int, metavar="ID", help="For this measure.")
@json_option
@pass_ctx
def order_add(
    obj: Ctx,
    area_id: str,
    meeting_id: int,
    title: str,
    person: str | None,
    role: str | None,
    outside: str | None,
    due: str,
    kind: str,
    goal_number: int | None,
    measure_id: int | None,
) -> None:
    """Issue a work order or recommendation at a meeting that took place
    (moderation), to a person or role of the area or a named outside party.

    \b
    Example:
      regsam-flow --as mia kg order add hasenbergl-nord --meeting 1 \\
          --title "Räume für das Seniorencafé suchen" --person tom --due 30.06.2027
    """
    from regsam_flow.kg import Responsible

    given = [(k, v) for k, v in (("person", person), ("role", role), ("outside", outside)) if v]
    if len(given) != 1:
        raise click.UsageError(_("give exactly one of --person, --role or --outside"))
    kind_, name = given[0]
    o = obj.engine.issue_order(
        area_id,
        actor=obj.user,
        meeting=meeting_id,
        title=title,
        addressee=Responsible(kind_, name),
        due=date_arg(due, "due"),
        kind=kind,
        goal=goal_number,
        measure=measure_id,
    )
    if obj.json:
        echo_json(order_json(o))
    else:
        text = (
            _("Order {id} of {area} to {who}, due {due}.")
            if o.kind == "order"
            else _("Recommendation {id} of {area} to {who}, due {due}.")
        )
        echo(text.format(id=o.id, area=area_id, who=who(o.addressee), due=date_de(o.due)))


@order.command("report")
@click.argument("area_id", metavar="AREA")
@click.argument("order_id", metavar="ORDER", type=int)
@click.option(
    "--status",
    required=True,
    type=click.Choice(["open", "in_progress", "done", "declined"]),
    help="Where the order stands.",
)
@click.option("--note", default="", help="A note (required with declined).")
@json_option
@pass_ctx
def order_report(obj: Ctx, area_id: str, order_id: int, status: str, note: str) -> None:
    """Report where an order stands: its addressee (the person, or anyone
    holding the addressed role) or the moderation (for outside parties).

    \b
    Example:
      regsam-flow --as tom kg order report hasenbergl-nord 1 --status done \\
          --note "Raum im ASZ gefunden"
    """
    o = obj.engine.report_order(area_id, order_id, actor=obj.user, status=status, note=note)
    if obj.json:
        echo_json(order_json(o))
    else:
        echo(
            _("Order {id} of {area}: {status}.").format(
                id=o.id, area=area_id, status=label(ORDER_STATUSES, o.status)
            )
        )


@order.command("list")
@click.argument("area_id", metavar="AREA")
@click.option(
    "--status",
    type=click.Choice(["open", "in_progress", "done", "declined"]),
    help="Only orders in this status.",
)
@click.option(
    "--overdue", is_flag=True, help="Only those past their due date, not done or declined."
)
@click.option("--mine", is_flag=True, help="Only those addressed to you or a role you hold.")
@json_option
@pass_ctx
def order_list(obj: Ctx, area_id: str, status: str | None, overdue: bool, mine: bool) -> None:
    """List the area's work orders and recommendations.

    \b
    Example:
      regsam-flow --as mia kg order list hasenbergl-nord --overdue
    """
    rows = obj.engine.work_orders(
        area_id, actor=obj.user, status=status, overdue=overdue, mine=mine
    )
    if obj.json:
        echo_json([order_json(o) for o in rows])
        return
    if not rows:
        echo(_("No work orders found."))
        return
    table(
        [_("id"), _("due"), _("status"), _("kind"), _("to"), _("title")],
        [
            [
                str(o.id),
                date_de(o.due),
                label(ORDER_STATUSES, o.status),
                label(ORDER_KINDS, o.kind),
                who(o.addressee),
                o.title,
            ]
            for o in rows
        ],
        keep=(0, 1),
    )


@resource.command("add")
@click.argument("area_id", metavar="AREA")
@click.option("--text", required=True, help="What is lacking.")
@click.option("--estimate", default="", help='An estimate, free text ("0,5 Stellen").')
@json_option
@pass_ctx
def resource_add(obj: Ctx, area_id: str, text: str, estimate: str) -> None:
    """Document a missing resource (moderation).

    \b
    Example:
      regsam-flow --as mia kg resource add hasenbergl-nord \\
          --text "Streetwork für Jugendliche" --estimate "0,5 Stellen"
    """
    r = obj.engine.add_missing_resource(area_id, actor=obj.user, text=text, estimate=estimate)
    if obj.json:
        echo_json(resource_json(r))
    else:
        echo(_("Missing resource {id} of {area} recorded.").format(id=r.id, area=area_id))


@resource.command("list")
@click.argument("area_id", metavar="AREA")
@json_option
@pass_ctx
def resource_list(obj: Ctx, area_id: str) -> None:
    """List the missing resources the KG documented.

    \b
    Example:
      regsam-flow kg resource list hasenbergl-nord
    """
    rows = obj.engine.missing_resources(area_id, actor=obj.user)
    if obj.json:
        echo_json([resource_json(r) for r in rows])
        return
    if not rows:
        echo(_("No missing resources documented."))
    for r in rows:
        echo(f"{r.id}. {r.text}" + (f" ({r.estimate})" if r.estimate else ""))
