"""kg goal, measure, adopt, catalogue, rate: the KG's catalogue of goals and
measures, its adopted versions and the ratings at evaluation."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from regsam_flow.i18n import _, ngettext
from regsam_flow.kg_views import catalogue_view_json, goal_json, measure_json, version_json

from .common import json_option
from .context import Ctx, pass_ctx
from .kg_cmds import RATINGS, goal, kg, label, measure, who
from .output import echo, echo_json, time_de

if TYPE_CHECKING:
    from regsam_flow.kg import Goal

__all__ = ["goal_json", "version_json"]


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
        echo(
            _("Goal {number} of {area} added: {title}").format(
                number=g.number, area=area_id, title=g.title
            )
        )


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
        echo(_("No goals yet (kg goal add)."))
    for g in goals:
        rated = f" [{label(RATINGS, g.rating)}: {g.rating_note}]" if g.rating else ""
        echo(f"{g.number}. {g.title}{rated}")
        if g.description:
            echo(f"   {g.description}")
        for m in g.measures:
            echo(f"   - {m.title} ({who(m.responsible)})")


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
        raise click.UsageError(_("give exactly one of --role, --person or --outside"))
    kind, name = given[0]
    m = obj.engine.add_measure(
        area_id, goal_number, actor=obj.user, title=title, responsible=Responsible(kind, name)
    )
    if obj.json:
        echo_json(measure_json(goal_number, m))
    else:
        echo(
            _("Measure {id} added to goal {goal} of {area} ({who}).").format(
                id=m.id, goal=goal_number, area=area_id, who=who(m.responsible)
            )
        )


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
            ngettext(
                "Catalogue version {version} of {area} adopted at meeting {meeting} "
                "({n} goal, sha256 {sha256}).",
                "Catalogue version {version} of {area} adopted at meeting {meeting} "
                "({n} goals, sha256 {sha256}).",
                len(v.goals),
            ).format(
                version=v.version, area=area_id, meeting=v.meeting, n=len(v.goals), sha256=v.sha256
            )
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
            _("no catalogue version {number} in area '{area}'").format(number=number, area=area_id),
            kind="catalogue_version",
            key=str(number),
        )
    if obj.json:
        echo_json(catalogue_view_json(area_id, facts, versions, chosen[0] if chosen else None))
        return
    if not chosen:
        echo(_("No catalogue adopted in {area} yet (kg adopt).").format(area=area_id))
        return
    v = chosen[0]
    echo(
        _(
            "Catalogue version {version} of {area}, adopted at meeting {meeting} "
            "by {person}, {time}; sha256 {sha256}"
        ).format(
            version=v.version,
            area=area_id,
            meeting=v.meeting,
            person=v.adopted_by,
            time=time_de(v.adopted_at),
            sha256=v.sha256,
        )
    )
    _print_goals(list(v.goals))
    echo(
        _("versions kept: {versions}").format(versions=", ".join(str(x.version) for x in versions))
    )
    if facts.changed_since_adoption:
        echo(
            _("The catalogue changed since version {version}: adopt it again.").format(
                version=facts.adopted_version
            )
        )


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
        echo(
            _("Goal {number} of {area} rated {rating}.").format(
                number=g.number, area=area_id, rating=label(RATINGS, g.rating)
            )
        )
