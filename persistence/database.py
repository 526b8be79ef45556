"""Creating SQLAlchemy engines the way regsam-flow needs them.

SQLite: WAL journal, a 30 s busy timeout, foreign keys on, and writers start
with ``BEGIN IMMEDIATE`` so that two processes never both read-then-write
(pysqlite's own transaction handling would lose updates or fail with
"database is locked").  Readers start a plain deferred ``BEGIN``: in WAL mode
they never wait for writers.

A SQLite file that cannot be written (a read-only file system, no write
permission on it or its folder) is opened read-only (``mode=ro``; where not
even the WAL's shared-memory file can be made, ``immutable=1``), and nothing
that would write (the journal mode) is set on it: reading works, a change is
refused as read-only.  So is a database the URL opens with ``mode=ro``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import PoolResetState

from regsam_flow.errors import InvalidInputError
from regsam_flow.i18n import _

from .prepared import Prepared

__all__ = ["UNREADABLE", "WRITE_OPTION", "create_db_engine", "redact_url", "scrub"]

# SQLite transactions are begun by hand, on the driver's cursor (see ``prepared``)
_BEGIN_IMMEDIATE = Prepared(text("BEGIN IMMEDIATE"))
_BEGIN = Prepared(text("BEGIN"))

#: Execution option marking a connection that will write.
WRITE_OPTION = "regsam_flow_write"
BUSY_TIMEOUT_S = 30.0


#: Shown instead of a database URL that cannot be read: it may hold a password.
UNREADABLE = "(a database URL that cannot be read; not shown, as it may hold a password)"
#: Query parameters whose values are hidden too (``?password=...``).
_SECRET_KEYS = ("pass", "secret", "token")


def _parse(url: str) -> URL | None:
    """``url`` parsed, or None when it cannot be read unambiguously.

    An ``@`` left in the user name, host or database of a server URL means
    the password held an unencoded ``@`` (or ``:`` was mistyped): part of
    the password would end up in what is shown, so such a URL is unreadable.
    """
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError, TypeError):  # ValueError: a password read as port
        return None
    parts = (parsed.username, parsed.host, parsed.database)
    if parsed.get_backend_name() != "sqlite" and any("@" in (p or "") for p in parts):
        return None
    return parsed


def _secrets(parsed: URL) -> list[str]:
    found = [parsed.password] if isinstance(parsed.password, str) else []
    for key, value in parsed.query.items():
        if any(k in key.lower() for k in _SECRET_KEYS):
            found += [value] if isinstance(value, str) else list(value)
    return [v for v in found if v]


def redact_url(url: str) -> str:
    """The URL with any password hidden, for messages and logs; a URL that
    cannot be read is not shown at all (:data:`UNREADABLE`)."""
    parsed = _parse(url)
    if parsed is None:
        return UNREADABLE
    query = {
        k: ("***" if any(s in k.lower() for s in _SECRET_KEYS) else v)
        for k, v in parsed.query.items()
    }
    shown = parsed.set(query=query).render_as_string(hide_password=True)
    return shown.replace("%2A%2A%2A", "***")


def scrub(text: str, url: str) -> str:
    """``text`` with every password of ``url`` (as given and encoded) replaced by ``***``."""
    from urllib.parse import quote, quote_plus

    parsed = _parse(url)
    for secret in _secrets(parsed) if parsed is not None else []:
        for form in {secret, quote(secret, safe=""), quote_plus(secret)}:
            text = text.replace(form, "***")
    return text


def create_db_engine(url: str) -> Engine:
    parsed = _parse(url)
    if parsed is None:
        raise InvalidInputError(
            _(
                "not a database URL, or one that cannot be read (it is not shown: it may hold "
                "a password); "
                "write it as sqlite:///path/to/file.db or postgresql+psycopg://user@host/dbname, "
                "with '@', ':', '/' in user name or password percent-encoded (%40, %3A, %2F)"
            ),
            field="db",
        )
    if parsed.get_backend_name() != "sqlite":
        try:
            engine = create_engine(
                parsed, pool_reset_on_return=None
            )  # no pre-ping: see SqlStore._begin
            event.listen(engine, "reset", _reset_on_return)
            return engine
        except Exception as exc:  # missing driver and the like
            raise InvalidInputError(
                _("cannot use database {where}: {detail}").format(
                    where=redact_url(url), detail=scrub(str(exc), url)
                ),
                field="db",
            ) from None

    db = parsed.database or ""
    read_only = parsed.query.get("mode") == "ro"
    if db and db != ":memory:" and not db.startswith("file:"):
        folder = Path(db).expanduser().resolve().parent
        if not folder.is_dir():
            raise InvalidInputError(
                _("folder {folder} for the database does not exist").format(folder=folder),
                field="db",
            )
        query = _read_only_query(Path(db).expanduser().resolve())
        if query is not None:
            uri = quote(str(Path(db).expanduser().resolve()), safe="/")
            parsed = parsed.set(database=f"file:{uri}", query=query)
            read_only = True
    kwargs: dict[str, Any] = {"connect_args": {"timeout": BUSY_TIMEOUT_S}}
    if not db or db == ":memory:":
        from sqlalchemy.pool import StaticPool

        kwargs["poolclass"] = StaticPool
        kwargs["connect_args"]["check_same_thread"] = False
    engine = create_engine(parsed, pool_reset_on_return=None, **kwargs)
    event.listen(engine, "reset", _reset_on_return)
    memory = not db or db == ":memory:"

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_connection.cursor()
        if not memory and not read_only:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        (_BEGIN_IMMEDIATE if write else _BEGIN).run(conn)

    return engine


def _reset_on_return(dbapi_connection: Any, _record: Any, state: PoolResetState) -> None:
    """A connection going back to the pool is rolled back, unless its
    driver says no transaction is open (the unit committed or rolled back
    already): that rollback would be one more call per unit for nothing."""
    if state.transaction_was_reset or not _in_transaction(dbapi_connection):
        return
    dbapi_connection.rollback()


def _in_transaction(dbapi_connection: Any) -> bool:
    """Whether a transaction is open (or failed) on the driver's connection;
    True when the driver cannot tell."""
    found = getattr(dbapi_connection, "in_transaction", None)  # sqlite3
    if isinstance(found, bool):
        return found
    info = getattr(dbapi_connection, "info", None)  # psycopg
    status = getattr(info, "transaction_status", None)
    return (
        status is None or int(status) != 0
    )  # 0: IDLE (1: ACTIVE, 2: INTRANS, 3: INERROR, 4: UNKNOWN)


def _read_only_query(path: Path) -> dict[str, str] | None:
    """URI parameters that open an existing file read-only, if it cannot be
    written; None if it can (or does not exist yet)."""
    if not path.is_file():
        return None
    folder_writable = os.access(path.parent, os.W_OK)
    if os.access(path, os.W_OK) and folder_writable:
        return None
    query = {"mode": "ro", "uri": "true"}
    wal = [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]
    if not folder_writable and not all(p.exists() for p in wal):
        query["immutable"] = "1"  # no shared memory can be made: nobody writes here
    return query
