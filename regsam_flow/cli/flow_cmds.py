"""advance, transition, why, as-of."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from regsam_flow.i18n import _
from regsam_flow.views import fire_result_json, next_json

from .app import cli
from .area_cmds import print_next
from .common import json_option, parse_when_arg
from .context import Ctx, pass_ctx
from .kg_view import print_kg_state
from .output import day, echo, echo_json, kv

if TYPE_CHECKING:
    from regsam_flow.model import FireResult

__all__ = ["advance", "as_of", "transition", "why"]


def _result(obj: Ctx, r: FireResult) -> None:
    if obj.json:
        echo_json(fire_result_json(r))
    elif r.fired:
        echo(
            _("{area}: {source} -> {dest} ({trigger}, as {role}).").format(
                area=r.area, source=r.from_state, dest=r.to_state, trigger=r.trigger, role=r.role
            )
        )
    else:
        echo(
            _(
                "{area}: your approval of '{trigger}' is recorded ({role}); "
                "still missing: {missing}."
            ).format(area=r.area, trigger=r.trigger, role=r.role, missing=", ".join(r.missing))
        )


@cli.command()
@click.argument("area_id", metavar="AREA")
@click.option("--reason", default="", help="Why (recorded in the audit log).")
@json_option
@pass_ctx
def advance(obj: Ctx, area_id: str, reason: str) -> None:
    """Fire the forward transition of the area's current phase.

    A transition that needs several approvals (close) records yours and
    says who is still missing.

    \b
    Example:
      regsam-flow --as mia advance hasenbergl-nord
    """
    _result(obj, obj.engine.advance(area_id, actor=obj.user, reason=reason))


@cli.command()
@click.argument("area_id", metavar="AREA")
@click.argument("trigger")
@click.option("--reason", default="", help="Why; required by resume and cancel.")
@json_option
@pass_ctx
def transition(obj: Ctx, area_id: str, trigger: str, reason: str) -> None:
    """Fire a named transition: resume, cancel, close, ...

    A transition that needs several approvals records this one and says who
    is still missing.

    \b
    Example:
      regsam-flow --as mia transition hasenbergl-nord cancel \\
          --reason "Gebiet wird Sanierungsgebiet"
    """
    _result(obj, obj.engine.fire(area_id, trigger, actor=obj.user, reason=reason))


@cli.command()
@click.argument("area_id", metavar="AREA")
@json_option
@pass_ctx
def why(obj: Ctx, area_id: str) -> None:
    """Every next step for you, allowed or not, with all blockers, and the
    KG's state their KG blockers come from (catalogue_not_adopted,
    goals_not_rated, documentation_missing).  `--json`: the steps only.

    \b
    Example:
      regsam-flow --as mia why hasenbergl-nord
    """
    steps = obj.engine.why(area_id, actor=obj.user)
    if obj.json:
        echo_json(next_json(steps))
        return
    print_next(steps)
    print_kg_state(obj.engine.kg_state(area_id, actor=obj.user))


@cli.command("as-of")
@click.argument("area_id", metavar="AREA")
@click.argument("when")
@json_option
@pass_ctx
def as_of(obj: Ctx, area_id: str, when: str) -> None:
    """The area as it was at WHEN, rebuilt from the audit log.

    WHEN is a date (end of that day, Berlin time) or a date and time:
    2027-03-01, 01.03.2027, "01.03.2027 14:30", 2027-03-01T14:30.

    \b
    Example:
      regsam-flow --as audrey as-of hasenbergl-nord 01.03.2027
    """
    moment = parse_when_arg(when, "WHEN", end_of_day=" " not in when and "T" not in when)
    snap = obj.engine.as_of(area_id, moment, actor=obj.user)
    if obj.json:
        echo_json(snap.to_dict())
        return
    if not snap.exists:
        echo(_("{area} did not exist yet at {when}.").format(area=area_id, when=when))
        return
    ag = snap.agreement
    kv(
        [
            (_("area"), f"{snap.area} ({snap.name})"),
            (_("as of"), when),
            (_("phase"), snap.state),
            (_("people"), "; ".join(f"{r}: {', '.join(p)}" for r, p in snap.roles.items())),
            (
                _("agreement"),
                _("version {version}").format(version=snap.agreement_version) if ag else _("none"),
            ),
            (_("topic"), ag.get("topic") if ag else None),
            (_("review"), day(ag.get("review")) if ag else None),
            (_("signed by"), ", ".join(snap.signed_by)),
            (_("tasks done"), ", ".join(snap.tasks_done)),
            (_("log entry"), snap.last_seq),
        ]
    )
