"""init, info, demo: setting up and looking at the installation."""

from __future__ import annotations

from typing import Any

import click

from regsam_flow import __version__ as VERSION
from regsam_flow.i18n import _

from .app import cli
from .common import delivery_target, json_option
from .config import config_info, config_line
from .context import Ctx, pass_ctx
from .output import echo, echo_json, kv

__all__ = ["demo", "info", "init"]


@cli.command()
@click.option(
    "--admin",
    metavar="USER",
    help="Make USER an admin: the first admin of a new database, later only "
    "by an admin (--as).  Default: --as, your login, if the database has no admin yet.",
)
@click.option("--name", default="", help="The admin's full name, if they are new.")
@click.option("--email", default="", help="The admin's email, if they are new.")
@click.option(
    "--sql",
    is_flag=True,
    help="Print the SQL that would create or upgrade the schema, in the database's "
    "dialect, for review; change nothing.",
)
@json_option
@pass_ctx
def init(obj: Ctx, admin: str | None, name: str, email: str, sql: bool) -> None:
    """Create the database, or upgrade it to this version's schema.

    Also deploys the shipped workflow definitions the database lacks; all of
    it in one transaction (a failure leaves the database as it was).  Safe to
    run twice.  On a new database USER becomes its first admin
    (created if new).  Once the database has an admin, init only upgrades
    the schema; making someone an admin is an admin's act (exit 3 otherwise).

    With --sql nothing is changed (no SQLite file is created): the SQL of
    the migrations from the database's schema (none: an empty database) to
    this version's is printed for a database administrator to review and
    run; it also deploys the shipped workflow definitions, but makes no
    admin (run init --admin afterwards).

    \b
    Examples:
      regsam-flow --db sqlite:///regsam.db init --admin anna --name "Anna Admin"
      regsam-flow init --sql > schema.sql
    """
    from regsam_flow.persistence.database import redact_url

    engine = obj.engine
    if sql:
        _print_sql(obj, admin)
        return
    before, _needed = engine.schema_status()
    user = admin or obj.user
    created = engine.init(user, name=name, email=email, actor=obj.user, only_first=admin is None)
    found, _now_needed = engine.schema_status()
    if obj.json:
        echo_json(
            {
                "database": redact_url(engine.url),
                "schema_before": before,
                "schema": found,
                "admin": user if (created or admin) else None,
                "admin_created": created,
            }
        )
        return
    if before == found:
        echo(
            _("Database {url} is up to date (schema {schema}).").format(
                url=redact_url(engine.url), schema=found
            )
        )
    elif before is None:
        echo(
            _("Created database {url} (schema {schema}).").format(
                url=redact_url(engine.url), schema=found
            )
        )
    else:
        echo(
            _("Upgraded database {url} from schema {before} to {schema}.").format(
                url=redact_url(engine.url), before=before, schema=found
            )
        )
    if created or admin:
        echo(
            (_("{user} is now an admin.") if created else _("{user} is already an admin.")).format(
                user=user
            )
        )
    else:
        echo(_("The database has its admin; no admin was made."))


def _print_sql(obj: Ctx, admin: str | None) -> None:
    """``init --sql``: the migrations' SQL, or a comment that there is none."""
    from regsam_flow.errors import InvalidInputError
    from regsam_flow.persistence.database import redact_url

    if admin:
        raise InvalidInputError(
            _("init --sql changes nothing and makes no admin: leave out --admin"), field="admin"
        )
    engine = obj.engine
    found, needed = engine.schema_status()
    text = engine.schema_sql()
    if obj.json:
        echo_json(
            {"database": redact_url(engine.url), "schema": found, "schema_to": needed, "sql": text}
        )
    elif text.strip():
        echo(text.rstrip("\n"))
    else:
        echo(
            "-- "
            + _("Database {url} is up to date (schema {schema}).").format(
                url=redact_url(engine.url), schema=found
            )
        )


@cli.command()
@json_option
@pass_ctx
def info(obj: Ctx) -> None:
    """Version, database, schema, workflows and where mail goes.

    Shows the version, the database URL (password hidden), its schema
    version, the workflows loaded, the mail delivery target (SMTP
    host:port or the Maildir folder; never a user name or password) and
    the configuration file's path, and whether it was read.

    \b
    Example:
      regsam-flow info
    """
    data = info_data(obj)
    if obj.json:
        echo_json(data)
        return
    found, needed = data["schema"], data["schema_needed"]
    if found == needed:
        schema = _("{schema} (current)").format(schema=found)
    elif found is None:
        schema = _("not initialised: run `regsam-flow init`")
    else:
        schema = _("{schema}, this version needs {needed}: run `regsam-flow init`").format(
            schema=found, needed=needed
        )
    kv(
        [
            ("regsam-flow", data["version"]),
            (_("database"), data["database"]),
            (_("schema"), schema),
            (_("workflows"), ", ".join(f"{w['name']} v{w['version']}" for w in data["workflows"])),
            (_("mail"), data["mail"]),
            (_("configuration"), config_line(obj.config)),
        ]
    )


def info_data(obj: Ctx) -> dict[str, Any]:
    """What ``info`` shows, under stable English keys: ``info --json``
    prints it as it is, the text is made from it."""
    from regsam_flow.persistence.database import redact_url

    engine = obj.engine
    found, needed = engine.schema_status()
    return {
        "version": VERSION,
        "database": redact_url(engine.url),
        "schema": found,
        "schema_needed": needed,
        "workflows": [
            {
                "name": wf.name,
                "version": wf.version,
                "title": wf.definition.title,
                "source": wf.source,
            }
            for wf in engine.workflows.all()
        ],
        "mail": delivery_target(engine),
        "config": config_info(obj.config),
    }


@cli.command()
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False),
    help="Folder for the demo database (default: a new temporary folder).",
)
def demo(folder: str | None) -> None:
    """Walk a demo area through all phases.

    A fresh demo database: people for all five roles and one area walked
    through all phases, each step printed.

    \b
    Example:
      regsam-flow demo --dir /tmp/regsam-demo
    """
    from pathlib import Path

    from regsam_flow.demo import run_demo

    run_demo(Path(folder) if folder else None, out=echo, program=program_name()).close()


def program_name() -> str:
    """How to call regsam-flow again, as this run was called: ``regsam-flow``
    where that is on PATH, else the path typed (``.venv/bin/regsam-flow``,
    as the README's one-liner does)."""
    import os
    import shutil
    import sys

    typed = sys.argv[0] if sys.argv else ""
    if os.path.basename(typed) != "regsam-flow" or os.sep not in typed:
        return "regsam-flow"
    found = shutil.which("regsam-flow")
    if found and os.path.exists(typed) and os.path.samefile(found, typed):
        return "regsam-flow"
    return typed
