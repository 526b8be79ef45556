"""Running the Alembic migrations three ways: on the connection a store
hands over (``init``), from the ``alembic`` command on a URL, and as SQL
for a database administrator to review (``alembic upgrade head --sql``,
``regsam-flow init --sql``).

``migrations/env.py`` picks the database: the connection passed in, else
``-x url=...``, else ``REGSAM_FLOW_DB``, else ``sqlalchemy.url`` of the
configuration, else the SQLite file regsam-flow uses by default
(:func:`database_url`).  The migrations that read the database while they
run (the shipped definitions' audit entries need the log's head; the
PostgreSQL roles are made only where missing) ask :func:`offline` and
:func:`audit_head` instead, so that SQL can be written without a database.
"""

from __future__ import annotations

import io
import os
from typing import TYPE_CHECKING, Any

from regsam_flow.i18n import _

from .migrations import MIGRATIONS

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Connection

__all__ = [
    "GENESIS",
    "alembic_config",
    "audit_head",
    "database_url",
    "migration_sql",
    "offline",
    "upgrade_on",
]

#: The audit log's head of a new database (the first migration writes it).
GENESIS = (0, "0" * 64)  # audit.GENESIS: not imported, to keep alembic's start light
#: ``config.attributes`` key: the audit head to write offline SQL from.
AUDIT_HEAD = "audit_head"


def alembic_config(
    *,
    connection: Connection | None = None,
    url: str | None = None,
    output: io.StringIO | None = None,
    head: tuple[int, str] | None = None,
) -> Config:
    """A configuration for Alembic's commands on the shipped migrations."""
    from alembic.config import Config

    cfg = Config(output_buffer=output) if output is not None else Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    if url is not None:
        cfg.attributes["url"] = url
    if head is not None:
        cfg.attributes[AUDIT_HEAD] = head
    return cfg


def upgrade_on(conn: Connection, target: str = "head") -> None:
    """Run the migrations on ``conn``, inside its transaction."""
    from alembic import command

    command.upgrade(alembic_config(connection=conn), target)


def migration_sql(url: str, start: str | None = None, head: tuple[int, str] | None = None) -> str:
    """The SQL that brings a database at revision ``start`` (None: an empty
    one) to the head, in the dialect of ``url``; nothing is connected to.
    ``head`` is the database's audit head, needed when the shipped
    definitions' migration is among those to run on a database that has
    entries."""
    from alembic import command

    out = io.StringIO()
    cfg = alembic_config(url=url, output=out, head=head)
    command.upgrade(cfg, f"{start}:head" if start else "head", sql=True)
    return out.getvalue()


def database_url(config: Config) -> str:
    """The database the ``alembic`` command works on (see the module's text)."""
    from alembic import context

    given = config.attributes.get("url") or context.get_x_argument(as_dictionary=True).get("url")
    if given:
        return str(given)
    url = os.environ.get("REGSAM_FLOW_DB") or config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from regsam_flow.paths import default_db_url

    return default_db_url()


def offline() -> bool:
    """True while Alembic writes SQL instead of running it."""
    from alembic import context

    return bool(context.is_offline_mode())


def audit_head(bind: Any) -> tuple[int, str]:
    """The audit log's (seq, hash) for a migration that appends to it: read
    from the database, or offline the head handed over (``init --sql``),
    else the genesis when the SQL starts from an empty database."""
    import sqlalchemy as sa
    from alembic import context

    if not offline():
        seq, value = bind.execute(sa.text("SELECT seq, hash FROM audit_head WHERE id = 1")).one()
        return int(seq), str(value)
    given = context.config.attributes.get(AUDIT_HEAD)
    if given is not None:
        return int(given[0]), str(given[1])
    start = context.get_starting_revision_argument()
    if start in (None, "base"):
        return GENESIS
    from alembic.util import CommandError  # the alembic command prints it, no traceback

    raise CommandError(
        _(
            "SQL from schema {start} on appends to the audit log and needs its head: "
            "write it with `regsam-flow init --sql` on that database"
        ).format(start=start)
    )
