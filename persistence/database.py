"""Creating SQLAlchemy engines the way regsam-flow needs them.

SQLite: WAL journal, a 30 s busy timeout, foreign keys on, and writers start
with ``BEGIN IMMEDIATE`` so that two processes never both read-then-write
(pysqlite's own transaction handling would lose updates or fail with
"database is locked").  Readers start a plain deferred ``BEGIN``: in WAL mode
they never wait for writers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from regsam_flow.errors import InvalidInputError

__all__ = ["WRITE_OPTION", "create_db_engine", "redact_url"]

#: Execution option marking a connection that will write.
WRITE_OPTION = "regsam_flow_write"
BUSY_TIMEOUT_S = 30.0


def redact_url(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def create_db_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InvalidInputError(
            f"not a database URL: {url!r} (try sqlite:///path/to/file.db or "
            "postgresql+psycopg://user@host/dbname)",
            field="db",
        ) from None
    if parsed.get_backend_name() != "sqlite":
        try:
            return create_engine(parsed, pool_pre_ping=True)
        except Exception as exc:  # missing driver and the like
            raise InvalidInputError(
                f"cannot use database {redact_url(url)}: {exc}", field="db"
            ) from None

    db = parsed.database or ""
    if db and db != ":memory:" and not db.startswith("file:"):
        folder = Path(db).expanduser().resolve().parent
        if not folder.is_dir():
            raise InvalidInputError(f"folder {folder} for the database does not exist", field="db")
    kwargs: dict[str, Any] = {"connect_args": {"timeout": BUSY_TIMEOUT_S}}
    if not db or db == ":memory:":
        from sqlalchemy.pool import StaticPool

        kwargs["poolclass"] = StaticPool
        kwargs["connect_args"]["check_same_thread"] = False
    engine = create_engine(parsed, **kwargs)
    memory = not db or db == ":memory:"

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_connection.cursor()
        if not memory:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine
