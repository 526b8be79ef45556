"""backup: a copy of the SQLite database that proves itself."""

from __future__ import annotations

import click

from regsam_flow.i18n import _

from .app import cli
from .common import json_option
from .context import Ctx, pass_ctx
from .output import echo, echo_json

__all__ = ["backup"]


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@json_option
@pass_ctx
def backup(obj: Ctx, file: str, force: bool) -> None:
    """Back up the SQLite database to FILE, checked before it is kept.

    SQLite's online backup copies the database while others keep working;
    the copy is kept only if its audit chain verifies and ends at the head
    the database had when the copy was taken (exit 8 otherwise, and FILE is
    not written).  Prints that head: keep it to compare after a restore.
    Admins only.  PostgreSQL: pg_dump, see the README's section "Sicherung".

    \b
    Example:
      regsam-flow backup /var/backups/regsam-flow/regsam-2027-07-15.db
    """
    result = obj.engine.backup(file, actor=obj.user, force=force)
    if obj.json:
        echo_json(result.to_dict())
        return
    echo(
        _("Backed up to {path}: {n} audit entries, chain intact; head {head}").format(
            path=result.path, n=result.head.entries, head=result.head
        )
    )
