"""agreement set, sign, show."""

from __future__ import annotations

import click

from regsam_flow.i18n import _
from regsam_flow.views import agreement_json

from .app import cli
from .common import date_arg, json_option
from .context import Ctx, pass_ctx
from .output import day, echo, echo_json, kv, moment

__all__ = ["agreement"]


@cli.group()
def agreement() -> None:
    """The cooperation agreement (Kooperationsvereinbarung)."""


@agreement.command("set")
@click.argument("area_id", metavar="AREA")
@click.option("--topic", help="Topic / provisional goal.")
@click.option("--scope", help="Scope of the area (Umgriff).")
@click.option("--reasons", help="Reasons for choosing the area.")
@click.option("--partners", help="Partners still to be won.")
@click.option("--terms", help="Further agreements.")
@click.option("--duration", help='Provisional duration, e.g. "2 Jahre".')
@click.option("--start", help="Start date (Start am): 2027-01-15 or 15.01.2027.")
@click.option("--review", help="Review date (Überprüfung am): 2027-07-15 or 15.07.2027.")
@json_option
@pass_ctx
def agreement_set(
    obj: Ctx,
    area_id: str,
    topic: str | None,
    scope: str | None,
    reasons: str | None,
    partners: str | None,
    terms: str | None,
    duration: str | None,
    start: str | None,
    review: str | None,
) -> None:
    """Change fields of the agreement (moderation or social planning).

    Every change makes a new version and voids the signatures.

    \b
    Example:
      regsam-flow agreement set hasenbergl-nord --topic "Ältere Menschen" \\
          --start 15.01.2027 --review 15.07.2027 --duration "2 Jahre"
    """
    changes = {
        "topic": topic,
        "scope": scope,
        "reasons": reasons,
        "partners": partners,
        "terms": terms,
        "duration": duration,
        "start": date_arg(start, "start"),
        "review": date_arg(review, "review"),
    }
    if all(v is None for v in changes.values()):
        raise click.UsageError(_("give at least one field to change, e.g. --topic or --review"))
    ag = obj.engine.set_agreement(area_id, actor=obj.user, **changes)
    if obj.json:
        echo_json(agreement_json(ag))
        return
    signing = (
        _("Agreement of {area} is now version {version}; it needs signing.")
        if ag.version == 1
        else _("Agreement of {area} is now version {version}; it needs signing again.")
    )
    echo(signing.format(area=area_id, version=ag.version))
    if ag.missing_fields():
        echo(
            _("Still missing before it can be signed: {fields}").format(
                fields=", ".join(ag.missing_fields())
            )
        )


@agreement.command("sign")
@click.argument("area_id", metavar="AREA")
@json_option
@pass_ctx
def agreement_sign(obj: Ctx, area_id: str) -> None:
    """Sign the current agreement for your role (moderation or social planning).

    \b
    Example:
      regsam-flow --as sven agreement sign hasenbergl-nord
    """
    ag = obj.engine.sign_agreement(area_id, actor=obj.user)
    if obj.json:
        echo_json(agreement_json(ag))
        return
    echo(
        _("Signed version {version} of the agreement of {area}; signed by: {people}.").format(
            version=ag.version, area=area_id, people=", ".join(sorted(ag.signatures))
        )
    )


@agreement.command("show")
@click.argument("area_id", metavar="AREA")
@click.option("--version", "version", type=click.IntRange(min=1), help="An earlier version.")
@json_option
@pass_ctx
def agreement_show(obj: Ctx, area_id: str, version: int | None) -> None:
    """Show the agreement (the newest version, or the one asked for).

    \b
    Example:
      regsam-flow agreement show hasenbergl-nord --version 1
    """
    ag = obj.engine.agreement(area_id, actor=obj.user, version=version)
    if obj.json:
        echo_json(agreement_json(ag))
        return
    if ag is None:
        echo(_("{area} has no agreement yet.").format(area=area_id))
        return
    sigs = ", ".join(f"{role} ({who})" for role, who in sorted(ag.signatures.items()))
    from regsam_flow.model import AGREEMENT_SIGNERS

    unsigned = [r for r in AGREEMENT_SIGNERS if r not in ag.signatures]
    kv(
        [
            (_("area"), area_id),
            (
                _("version"),
                _("{version} of {when} by {who}").format(
                    version=ag.version, when=moment(ag.created_at), who=ag.created_by
                ),
            ),
            (_("topic"), ag.topic),
            (_("scope"), ag.scope),
            (_("reasons"), ag.reasons),
            (_("partners"), ag.partners),
            (_("terms"), ag.terms),
            (_("duration"), ag.duration),
            (_("start"), day(ag.start)),
            (_("review"), day(ag.review)),
            (_("signed by"), sigs or _("nobody yet")),
            (_("signatures missing"), ", ".join(unsigned) or "-"),
            (_("fields missing"), ", ".join(ag.missing_fields()) or "-"),
        ]
    )
