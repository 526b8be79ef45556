"""kg: the Kooperationsgremium's meetings, its catalogue of goals and measures,
its work orders and recommendations, the missing resources it documents."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .app import cli
from .common import date_arg, json_option
from .context import Ctx, pass_ctx
from .output import date_de, echo, echo_json, kv, table, time_de

if TYPE_CHECKING:
    from regsam_flow.kg import (
        CatalogueVersion,
        Goal,
        Meeting,
        MissingResource,
        Responsible,
        WorkOrder,
    )

__all__ = ["goal_json", "kg", "meeting_json", "order_json", "resource_json", "version_json"]


@cli.group()
def kg() -> None:
    """The Kooperationsgremium (KG): meetings, goals and measures, the
    catalogue adopted, ratings at evaluation, work orders and
    recommendations, missing resources."""


@kg.group()
def meeting() -> None:
    """The KG's meetings: record, list, show."""


@kg.group()
def goal() -> None:
    """The goals of the catalogue: add, list."""


@kg.group()
def measure() -> None:
    """The measures of a goal: add."""


@kg.group()
def order() -> None:
    """Work orders and recommendations: add, report, list."""


@kg.group()
def resource() -> None:
    """Missing resources the KG documents: add, list."""


def _responsible_json(r: Responsible) -> dict[str, str]:
    return {"kind": r.kind, "name": r.name}


def meeting_json(m: Meeting) -> dict[str, Any]:
    """A meeting as JSON (stable English keys)."""
    return {
        "id": m.id,
        "area": m.area,
        "number": m.number,
        "date": m.held_on.isoformat(),
        "place": m.place,
        "planned": m.planned,
        "attendees": [{"person": a.person, "guest": a.guest} for a in m.attendees],
        "decisions": list(m.decisions),
        "minutes": m.minutes,
        "attachments": [
            {
                "id": a.id,
                "filename": a.filename,
                "media_type": a.media_type,
                "size": a.size,
                "sha256": a.sha256,
            }
            for a in m.attachments
        ],
        "recorded_by": m.recorded_by,
        "recorded_at": m.recorded_at.isoformat(),
    }


def goal_json(g: Goal) -> dict[str, Any]:
    """A goal with its measures as JSON."""
    return {
        "number": g.number,
        "title": g.title,
        "description": g.description,
        "measures": [
            {"id": m.id, "title": m.title, "responsible": _responsible_json(m.responsible)}
            for m in g.measures
        ],
        "rating": g.rating,
        "rating_note": g.rating_note,
        "rated_by": g.rated_by,
        "rated_at": g.rated_at.isoformat() if g.rated_at else None,
    }


def version_json(v: CatalogueVersion) -> dict[str, Any]:
    """An adopted catalogue version as JSON (its goals as frozen)."""
    return {
        "area": v.area,
        "version": v.version,
        "meeting": v.meeting,
        "adopted_by": v.adopted_by,
        "adopted_at": v.adopted_at.isoformat(),
        "sha256": v.sha256,
        "goals": [
            {k: value for k, value in goal_json(g).items() if not k.startswith("rat")}
            for g in v.goals
        ],
    }


def _who(r: Responsible) -> str:
    return f"{r.kind} {r.name}"


def _read_attachment(path: Path) -> Any:
    from regsam_flow.engine.meetings import MAX_ATTACHMENT_BYTES
    from regsam_flow.kg import AttachmentFile

    with path.open("rb") as f:  # read no more than the engine could take, plus one byte
        return AttachmentFile(path.name, f.read(MAX_ATTACHMENT_BYTES + 1))


def _print_meeting(m: Meeting) -> None:
    kv(
        [
            ("meeting", f"{m.id} (no. {m.number}{', planned' if m.planned else ''})"),
            ("date", date_de(m.held_on)),
            ("place", m.place),
            (
                "attendees",
                ", ".join(a.person or f"{a.guest} (guest)" for a in m.attendees) or "-",
            ),
            ("recorded", f"{m.recorded_by}, {time_de(m.recorded_at)}"),
        ]
    )
    if m.decisions:
        echo("decisions:")
        for i, d in enumerate(m.decisions, start=1):
            echo(f"  {i}. {d}")
    if m.minutes:
        echo("minutes:")
        for line in m.minutes.splitlines():
            echo(f"  {line}")
    for a in m.attachments:
        echo(f"attachment {a.id}: {a.filename} ({a.media_type}, {a.size} bytes, sha256 {a.sha256})")


@meeting.command("add")
@click.argument("area_id", metavar="AREA")
@click.option("--date", "held_on", required=True, metavar="DATE", help="When it met (or meets).")
@click.option("--place", required=True, help="Where.")
@click.option("--attendee", multiple=True, metavar="ID", help="A person of the area (repeat).")
@click.option("--guest", multiple=True, metavar="NAME", help="A named guest (repeat).")
@click.option("--decision", multiple=True, metavar="TEXT", help="A decision taken (repeat).")
@click.option("--minutes", default=None, metavar="TEXT", help="The minutes as text.")
@click.option(
    "--minutes-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The minutes from a UTF-8 text file.",
)
@click.option(
    "--attach",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file to store with the minutes, at most 5 MB (repeat).",
)
@click.option("--planned", is_flag=True, help="A meeting ahead: no decisions, no minutes yet.")
@json_option
@pass_ctx
def meeting_add(
    obj: Ctx,
    area_id: str,
    held_on: str,
    place: str,
    attendee: tuple[str, ...],
    guest: tuple[str, ...],
    decision: tuple[str, ...],
    minutes: str | None,
    minutes_file: Path | None,
    attach: tuple[Path, ...],
    planned: bool,
) -> None:
    """Record a KG meeting (moderation or social planning).

    Attendees are people holding a role in the area (by id) and named
    guests.  A date in the future is accepted only with --planned.

    \b
    Example:
      regsam-flow --as mia kg meeting add hasenbergl-nord --date 12.03.2027 \\
          --place "Kulturzentrum 2411" --attendee mia --attendee tom \\
          --guest "Frau Öz (GEWOFAG)" --decision "KG tagt monatlich" \\
          --minutes-file protokoll.txt --attach protokoll.pdf
    """
    if minutes is not None and minutes_file is not None:
        raise click.UsageError("give --minutes or --minutes-file, not both")
    if minutes_file is not None:
        try:
            minutes = minutes_file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise click.BadParameter("is not UTF-8 text", param_hint="--minutes-file") from None
    m = obj.engine.record_meeting(
        area_id,
        actor=obj.user,
        held_on=date_arg(held_on, "date"),
        place=place,
        attendees=attendee,
        guests=guest,
        decisions=decision,
        minutes=minutes or "",
        attachments=[_read_attachment(p) for p in attach],
        planned=planned,
    )
    if obj.json:
        echo_json(meeting_json(m))
    else:
        what = "planned" if m.planned else "recorded"
        echo(f"Meeting {m.id} of {area_id} on {date_de(m.held_on)} {what}.")
        for a in m.attachments:
            echo(f"  attachment {a.id}: {a.filename}, {a.size} bytes, sha256 {a.sha256}")


@meeting.command("list")
@click.argument("area_id", metavar="AREA")
@json_option
@pass_ctx
def meeting_list(obj: Ctx, area_id: str) -> None:
    """List the area's KG meetings by date.

    \b
    Example:
      regsam-flow kg meeting list hasenbergl-nord
    """
    rows = obj.engine.meetings(area_id, actor=obj.user)
    if obj.json:
        echo_json([meeting_json(m) for m in rows])
        return
    table(
        ["id", "no", "date", "place", "planned", "decisions", "files"],
        [
            [
                str(m.id),
                str(m.number),
                date_de(m.held_on),
                m.place,
                "yes" if m.planned else "",
                str(len(m.decisions)),
                str(len(m.attachments)),
            ]
            for m in rows
        ],
        keep=(0, 2),
    )


@meeting.command("show")
@click.argument("area_id", metavar="AREA")
@click.argument("meeting_id", metavar="ID", type=int)
@click.option(
    "--save-attachment",
    "save_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the meeting's attachments into this directory (made if missing).",
)
@json_option
@pass_ctx
def meeting_show(obj: Ctx, area_id: str, meeting_id: int, save_dir: Path | None) -> None:
    """Show a meeting: attendees, decisions, minutes, attachments.

    \b
    Example:
      regsam-flow kg meeting show hasenbergl-nord 1 --save-attachment ./kg-1
    """
    m = obj.engine.meeting(area_id, meeting_id, actor=obj.user)
    saved: list[str] = []
    if save_dir is not None:
        save_dir.mkdir(parents=True, exist_ok=True)
        for a in m.attachments:
            content = obj.engine.attachment_content(area_id, a.id, actor=obj.user)
            target = save_dir / a.filename
            try:
                with target.open("xb") as f:
                    f.write(content)
            except FileExistsError:
                raise click.ClickException(
                    f"{target} exists already; nothing overwritten"
                ) from None
            saved.append(str(target))
    if obj.json:
        echo_json({**meeting_json(m), "saved": saved})
        return
    _print_meeting(m)
    for path in saved:
        echo(f"saved: {path}")


@goal.command("add")
@click.argument("area_id", metavar="AREA")
@click.option("--title", required=True, help="The goal.")
@click.option("--description", default="", help="What it means, how it is measured.")
@json_option
@pass_ctx
def goal_add(obj: Ctx, area_id: str, title: str, description: str) -> None:
    """Add a goal to the catalogue (moderation).

    \b
    Example:
      regsam-flow --as mia kg goal add hasenbergl-nord \\
          --title "Treffpunkte für Ältere im Quartier"
    """
    g = obj.engine.add_goal(area_id, actor=obj.user, title=title, description=description)
    if obj.json:
        echo_json(goal_json(g))
    else:
        echo(f"Goal {g.number} of {area_id} added: {g.title}")


@goal.command("list")
@click.argument("area_id", metavar="AREA")
@json_option
@pass_ctx
def goal_list(obj: Ctx, area_id: str) -> None:
    """List the catalogue as it stands: goals, measures, ratings.

    \b
    Example:
      regsam-flow kg goal list hasenbergl-nord
    """
    goals = obj.engine.goals(area_id, actor=obj.user)
    if obj.json:
        echo_json([goal_json(g) for g in goals])
        return
    _print_goals(goals)


def _print_goals(goals: list[Goal]) -> None:
    if not goals:
        echo("No goals yet (kg goal add).")
    for g in goals:
        rated = f" [{g.rating}: {g.rating_note}]" if g.rating else ""
        echo(f"{g.number}. {g.title}{rated}")
        if g.description:
            echo(f"   {g.description}")
        for m in g.measures:
            echo(f"   - {m.title} ({_who(m.responsible)})")


@measure.command("add")
@click.argument("area_id", metavar="AREA")
@click.argument("goal_number", metavar="GOAL", type=int)
@click.option("--title", required=True, help="The measure.")
@click.option("--role", metavar="ROLE", help="Responsible: a role of the area.")
@click.option("--person", metavar="ID", help="Responsible: a person holding a role in the area.")
@click.option("--outside", metavar="NAME", help="Responsible: a named outside party.")
@json_option
@pass_ctx
def measure_add(
    obj: Ctx,
    area_id: str,
    goal_number: int,
    title: str,
    role: str | None,
    person: str | None,
    outside: str | None,
) -> None:
    """Add a measure to goal GOAL (its number), naming who is responsible.

    \b
    Example:
      regsam-flow --as mia kg measure add hasenbergl-nord 1 \\
          --title "Seniorencafé im ASZ" --role provider
    """
    from regsam_flow.kg import Responsible

    given = [(k, v) for k, v in (("role", role), ("person", person), ("outside", outside)) if v]
    if len(given) != 1:
        raise click.UsageError("give exactly one of --role, --person or --outside")
    kind, name = given[0]
    m = obj.engine.add_measure(
        area_id, goal_number, actor=obj.user, title=title, responsible=Responsible(kind, name)
    )
    if obj.json:
        echo_json(
            {
                "goal": goal_number,
                "id": m.id,
                "title": m.title,
                "responsible": _responsible_json(m.responsible),
            }
        )
    else:
        echo(f"Measure {m.id} added to goal {goal_number} of {area_id} ({_who(m.responsible)}).")


@kg.command("adopt")
@click.argument("area_id", metavar="AREA")
@click.option("--meeting", "meeting_id", required=True, type=int, help="The meeting's id.")
@json_option
@pass_ctx
def adopt(obj: Ctx, area_id: str, meeting_id: int) -> None:
    """Adopt the catalogue at a meeting that took place (moderation): it is
    frozen as the next numbered version, its SHA-256 in the audit log.

    \b
    Example:
      regsam-flow --as mia kg adopt hasenbergl-nord --meeting 1
    """
    v = obj.engine.adopt_catalogue(area_id, actor=obj.user, meeting=meeting_id)
    if obj.json:
        echo_json(version_json(v))
    else:
        echo(
            f"Catalogue version {v.version} of {area_id} adopted at meeting {v.meeting} "
            f"({len(v.goals)} goals, sha256 {v.sha256})."
        )


@kg.command("catalogue")
@click.argument("area_id", metavar="AREA")
@click.option("--version", "number", type=int, help="This adopted version (default: the newest).")
@json_option
@pass_ctx
def catalogue(obj: Ctx, area_id: str, number: int | None) -> None:
    """Show an adopted version of the catalogue, the versions kept, and
    whether the catalogue changed since its last adoption.

    \b
    Example:
      regsam-flow kg catalogue hasenbergl-nord --version 1
    """
    from regsam_flow.errors import NotFoundError

    versions = obj.engine.catalogue_versions(area_id, actor=obj.user)
    facts = obj.engine.kg_facts(area_id, actor=obj.user)
    chosen = [v for v in versions if number is None or v.version == number][-1:]
    if number is not None and not chosen:
        raise NotFoundError(
            f"no catalogue version {number} in area '{area_id}'",
            kind="catalogue_version",
            key=str(number),
        )
    if obj.json:
        echo_json(
            {
                "area": area_id,
                "adopted_version": facts.adopted_version,
                "changed_since_adoption": facts.changed_since_adoption,
                "versions": [
                    {
                        "version": v.version,
                        "meeting": v.meeting,
                        "adopted_by": v.adopted_by,
                        "adopted_at": v.adopted_at.isoformat(),
                        "sha256": v.sha256,
                    }
                    for v in versions
                ],
                "catalogue": version_json(chosen[0]) if chosen else None,
            }
        )
        return
    if not chosen:
        echo(f"No catalogue adopted in {area_id} yet (kg adopt).")
        return
    v = chosen[0]
    echo(
        f"Catalogue version {v.version} of {area_id}, adopted at meeting {v.meeting} "
        f"by {v.adopted_by}, {time_de(v.adopted_at)}; sha256 {v.sha256}"
    )
    _print_goals(list(v.goals))
    echo(f"versions kept: {', '.join(str(x.version) for x in versions)}")
    if facts.changed_since_adoption:
        echo(f"The catalogue changed since version {facts.adopted_version}: adopt it again.")


@kg.command("rate")
@click.argument("area_id", metavar="AREA")
@click.argument("goal_number", metavar="GOAL", type=int)
@click.option("--rating", required=True, type=click.Choice(["achieved", "partly", "not_achieved"]))
@click.option("--note", required=True, help="Why this rating.")
@json_option
@pass_ctx
def rate(obj: Ctx, area_id: str, goal_number: int, rating: str, note: str) -> None:
    """Rate a goal at evaluation (moderation or social planning; phase auswertung).

    \b
    Example:
      regsam-flow --as mia kg rate hasenbergl-nord 1 --rating partly \\
          --note "Café läuft, Besuchsdienst fehlt"
    """
    g = obj.engine.rate_goal(area_id, goal_number, actor=obj.user, rating=rating, note=note)
    if obj.json:
        echo_json(goal_json(g))
    else:
        echo(f"Goal {g.number} of {area_id} rated {g.rating}.")


def order_json(o: WorkOrder) -> dict[str, Any]:
    """A work order or recommendation as JSON."""
    return {
        "id": o.id,
        "area": o.area,
        "kind": o.kind,
        "title": o.title,
        "addressee": _responsible_json(o.addressee),
        "meeting": o.meeting,
        "due": o.due.isoformat(),
        "status": o.status,
        "note": o.note,
        "goal": o.goal,
        "measure": o.measure,
        "created_by": o.created_by,
        "created_at": o.created_at.isoformat(),
        "updated_by": o.updated_by,
        "updated_at": o.updated_at.isoformat(),
    }


def resource_json(r: MissingResource) -> dict[str, Any]:
    """A missing resource as JSON."""
    return {
        "id": r.id,
        "area": r.area,
        "text": r.text,
        "estimate": r.estimate,
        "recorded_by": r.recorded_by,
        "recorded_at": r.recorded_at.isoformat(),
    }


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
        raise click.UsageError("give exactly one of --person, --role or --outside")
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
        what = "Order" if o.kind == "order" else "Recommendation"
        echo(f"{what} {o.id} of {area_id} to {_who(o.addressee)}, due {date_de(o.due)}.")


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
        echo(f"Order {o.id} of {area_id}: {o.status}.")


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
        echo("No work orders found.")
        return
    table(
        ["id", "due", "status", "kind", "to", "title"],
        [[str(o.id), date_de(o.due), o.status, o.kind, _who(o.addressee), o.title] for o in rows],
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
        echo(f"Missing resource {r.id} of {area_id} recorded.")


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
        echo("No missing resources documented.")
    for r in rows:
        echo(f"{r.id}. {r.text}" + (f" ({r.estimate})" if r.estimate else ""))
