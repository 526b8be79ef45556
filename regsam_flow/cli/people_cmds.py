"""user add, user promote, user mail, user list."""

from __future__ import annotations

import click

from regsam_flow.i18n import _
from regsam_flow.views import person_json

from .app import cli
from .common import json_option
from .context import Ctx, pass_ctx
from .output import echo, echo_json, table

__all__ = ["user"]


@cli.group()
def user() -> None:
    """People: add them, promote them, their mail choices, list them (admins
    add and promote)."""


@user.command("add")
@click.argument("user_id", metavar="USER")
@click.option("--name", required=True, help='Full name, e.g. "Jürgen Groß".')
@click.option("--email", required=True, help="Email address for reminders.")
@click.option("--org", default="", help="Organisation, e.g. Sozialreferat.")
@click.option("--admin", is_flag=True, help="Global role: manages people and areas.")
@click.option("--auditor", is_flag=True, help="Global role: reads everything, changes nothing.")
@json_option
@pass_ctx
def user_add(
    obj: Ctx, user_id: str, name: str, email: str, org: str, admin: bool, auditor: bool
) -> None:
    """Add a person (admins only).

    \b
    Example:
      regsam-flow user add mia --name "Mia Moderatorin" \\
          --email mia@regsam.example --org REGSAM
    """
    p = obj.engine.add_person(
        user_id, actor=obj.user, name=name, email=email, org=org, admin=admin, auditor=auditor
    )
    if obj.json:
        echo_json(person_json(p))
    else:
        echo(_("Added {user} ({name}).").format(user=p.id, name=p.name))


@user.command("promote")
@click.argument("user_id", metavar="USER")
@click.option("--admin", is_flag=True, help="Make USER an admin.")
@click.option("--auditor", is_flag=True, help="Make USER an auditor.")
@json_option
@pass_ctx
def user_promote(obj: Ctx, user_id: str, admin: bool, auditor: bool) -> None:
    """Give a person a global role (admins only; audited).

    \b
    Example:
      regsam-flow --as anna user promote mia --admin
    """
    if not (admin or auditor):
        raise click.UsageError(_("say which role: --admin and/or --auditor"))
    p = obj.engine.promote(user_id, actor=obj.user, admin=admin, auditor=auditor)
    if obj.json:
        echo_json(person_json(p))
    else:
        if p.admin and p.auditor:
            echo(_("{user} is admin and auditor.").format(user=p.id))
        elif p.admin:
            echo(_("{user} is admin.").format(user=p.id))
        else:
            echo(_("{user} is auditor.").format(user=p.id))


@user.command("mail")
@click.argument("user_id", metavar="USER")
@click.option(
    "--decisions/--no-decisions",
    default=None,
    help="Get the decisions of the KG's meetings by mail, or not (default: get them).",
)
@json_option
@pass_ctx
def user_mail(obj: Ctx, user_id: str, decisions: bool | None) -> None:
    """Choose whether USER gets the KG meetings' decisions by mail (USER
    themself or an admin; audited).  Reminders of work orders addressed to
    USER always go out.

    \b
    Examples:
      regsam-flow --as tom user mail tom --no-decisions
      regsam-flow --as root user mail tom --decisions
    """
    if decisions is None:
        raise click.UsageError(_("say which: --decisions or --no-decisions"))
    p = obj.engine.set_decision_mails(user_id, decisions, actor=obj.user)
    if obj.json:
        echo_json(person_json(p))
    elif p.decision_mails:
        echo(_("{user} gets the KG meetings' decisions by mail.").format(user=p.id))
    else:
        echo(_("{user} gets no more KG meeting decisions by mail.").format(user=p.id))


@user.command("list")
@json_option
@pass_ctx
def user_list(obj: Ctx) -> None:
    """List everybody (and whether they get the KG's decisions by mail).

    \b
    Example:
      regsam-flow user list --json
    """
    people = obj.engine.list_people(actor=obj.user)
    if obj.json:
        echo_json([person_json(p) for p in people])
        return
    table(
        [_("user"), _("name"), _("email"), _("org"), _("global"), _("decisions")],
        [
            [
                p.id,
                p.name,
                p.email,
                p.org,
                ",".join(r for r, on in (("admin", p.admin), ("auditor", p.auditor)) if on),
                _("mail") if p.decision_mails else _("no mail"),
            ]
            for p in people
        ],
    )
