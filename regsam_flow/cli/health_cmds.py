"""health: is the installation well, for monitoring to call."""

from __future__ import annotations

from typing import Any

import click

from regsam_flow.i18n import _

from .app import cli
from .common import json_option
from .context import Ctx, pass_ctx
from .output import echo, echo_json, kv, moment

__all__ = ["EXIT_NEEDS_ATTENTION", "health"]

#: health's exit status when something needs attention.
EXIT_NEEDS_ATTENTION = 20


@cli.command()
@click.option(
    "--max-age",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="How old the scheduler's last send pass may be "
    "[default: three of its poll intervals and a minute].",
)
@json_option
@pass_ctx
def health(obj: Ctx, max_age: float | None) -> None:
    """Check the installation, for monitoring.

    Reports the database (reachable? its URL without password), the schema
    (the database's and the one this version needs), where mail goes (no
    user name or password), the scheduler's last successful send pass
    (Berlin time; UTC with --json) and how many reminders failed.  Needs no
    --as and names no person or area.

    Exit 0 when all is well, 20 when something needs attention, each problem
    named: the database unreachable or not at this version's schema, the
    mail settings unusable, no scheduler pass ever or the last one too old
    (--max-age), failed reminders.

    \b
    Example:
      regsam-flow health --json
    """
    report = obj.engine.health(max_age)
    data = report.to_dict()
    if obj.json:
        echo_json(data)
    else:
        _print(data)
    if not report.ok:
        click.get_current_context().exit(EXIT_NEEDS_ATTENTION)


def _print(data: dict[str, Any]) -> None:
    """The report for people: one line per fact, then each problem."""
    db = data["database"]
    schema = data["schema"]
    sched = data["scheduler"]
    if not db["reachable"]:
        database = _("{url} (unreachable)").format(url=db["url"])
    else:
        database = _("{url} (reachable)").format(url=db["url"])
    if schema["current"]:
        schema_text = _("{schema} (current)").format(schema=schema["found"])
    elif schema["found"] is None:
        schema_text = _("not initialised") if db["reachable"] else "-"
    else:
        schema_text = _("{schema}, this version needs {needed}").format(
            schema=schema["found"], needed=schema["expected"]
        )
    if sched["last_pass"] is None:
        scheduler_text = _("no pass yet") if db["reachable"] and schema["current"] else "-"
    else:
        scheduler_text = _("last pass {at} (polls every {poll} s; may be {allowed} s old)").format(
            at=moment(sched["last_pass"]),
            poll=f"{sched['poll_seconds']:g}",
            allowed=f"{sched['max_age_seconds']:g}",
        )
    failed = data["reminders"]["failed"]
    kv(
        [
            (_("database"), database),
            (_("schema"), schema_text),
            (_("mail"), data["mail"]["target"] or "-"),
            (_("scheduler"), scheduler_text),
            (_("failed reminders"), "-" if failed is None else str(failed)),
        ]
    )
    problems = data["problems"]
    if not problems:
        echo(_("All is well."))
        return
    echo(_("Needs attention:"))
    for p in problems:
        echo(f"  - {p['message']}")
