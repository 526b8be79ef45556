"""The stores the tests run on: memory, a SQLite file, PostgreSQL.

Which test runs where (each run is a parameter, ``[memory]``, ``[sqlite]``,
``[postgresql]``):

- The engine's behaviour tests (they take ``engine`` or ``area``, never
  ``db_url``, and carry none of the marks below) run on the stores that
  ``pytest --stores=LIST`` names, a comma-separated list of ``memory``,
  ``sqlite`` and ``postgresql``.  The default is ``memory`` alone (a
  :class:`~regsam_flow.persistence.memory.MemoryStore`, the fastest); on CI
  (``CI=true`` or ``REGSAM_FLOW_TEST_REQUIRE_PG=1``) it is all three; a
  ``--stores`` given wins over both.  What they check is the engine's, and
  the store contract suite holds the stores to the same answers.
- The tests about the database run on SQLite and PostgreSQL in every run,
  whatever ``--stores`` says: every test that takes ``db_url``, and every
  test marked ``@pytest.mark.sql("why")``: it takes ``engine`` but reaches
  past it (``engine.url`` handed to the CLI, another engine or process, raw
  SQL), or its point is what the database does (processes and threads
  racing, load).
- ``@pytest.mark.sqlite_only("why")``: tests about SQLite itself (raw
  ``sqlite3`` access, WAL, file handling), on SQLite alone;
  ``@pytest.mark.postgresql_only("why")`` likewise on PostgreSQL alone.
- ``@pytest.mark.every_store("why")``: on all three stores in every run; the
  store contract suite (``test_store_contract.py``) carries it.

A ``[postgresql]`` run needs the server named by ``REGSAM_FLOW_TEST_PG_URL``
(``bash .ci/postgres`` starts one and prints the URL).  Without that
variable the PostgreSQL runs are skipped, with :data:`NOT_CONFIGURED` as the
reason, except on CI, where they fail: CI never skips them.

``pytest -k "not sqlite and not postgresql"`` is the fast lane: every test
that needs no database, and the engine tests on memory.  ``pytest
--stores=memory,sqlite,postgresql`` (with the server's URL) runs what CI
runs.

PostgreSQL databases are cheap copies: once per session a template database
is created and migrated to the head; a test that uses ``engine`` gets
``CREATE DATABASE ... TEMPLATE`` of it (``Engine.init`` then finds the schema
up to date), any other test gets an empty database (copied from
``template0``), as a new SQLite file is empty.  Each is dropped after its
test (``WITH (FORCE)``: a connection left open cannot keep it).  For SQL past
the engine on either backend use :func:`raw_connection`.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

PG_URL_ENV = "REGSAM_FLOW_TEST_PG_URL"
REQUIRE_PG_ENV = "REGSAM_FLOW_TEST_REQUIRE_PG"
NOT_CONFIGURED = (
    "PostgreSQL not configured: set REGSAM_FLOW_TEST_PG_URL (bash .ci/postgres starts one)"
)
BACKENDS = ("sqlite", "postgresql")
STORES = ("memory", *BACKENDS)


def engine_stores(option: str | None) -> tuple[str, ...]:
    """The stores the engine's behaviour tests run on: those ``--stores``
    names (``option``), else memory, and on CI all of them."""
    if option is None:
        return STORES if pg_required() else ("memory",)
    names = {name.strip() for name in option.split(",")} - {""}
    unknown = sorted(names - set(STORES))
    if unknown or not names:
        what = f"unknown store {', '.join(unknown)}; " if unknown else ""
        raise ValueError(f"{what}name one or more of {', '.join(STORES)}, comma-separated")
    return tuple(store for store in STORES if store in names)


def pg_url_from_env() -> str | None:
    return os.environ.get(PG_URL_ENV) or None


def pg_required() -> bool:
    """On CI the PostgreSQL tests must run: a missing server is a failure."""
    return os.environ.get("CI", "").lower() == "true" or os.environ.get(REQUIRE_PG_ENV) == "1"


def backend_of(url: str) -> str:
    return make_url(url).get_backend_name()


class PgServer:
    """Creates and drops the per-test databases on one PostgreSQL server."""

    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError:
            raise RuntimeError(
                f"{PG_URL_ENV} is set, but the PostgreSQL driver is missing: "
                "pip install -e '.[test,postgres]'"
            ) from None

        self.url = make_url(url)
        if self.url.get_backend_name() != "postgresql":
            raise ValueError(f"{PG_URL_ENV} is not a postgresql URL: {self._safe(self.url)}")
        self._prefix = f"rft_{os.getpid()}_"
        self._count = itertools.count(1)
        self._admin = psycopg.connect(
            host=self.url.host or "127.0.0.1",
            port=self.url.port or 5432,
            user=self.url.username,
            password=self.url.password,
            dbname=self.url.database or "postgres",
            autocommit=True,
            connect_timeout=10,
        )
        self._drop_stale()
        self.template = self._prefix + "tpl"
        self._create(self.template, "template0")
        self._migrate(self.template)

    @staticmethod
    def _safe(url: URL) -> str:
        return url.render_as_string(hide_password=True)

    def url_of(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def _create(self, name: str, template: str) -> None:
        self._admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')

    def drop(self, name: str) -> None:
        self._admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _migrate(self, name: str) -> None:
        from regsam_flow.persistence.store import SqlStore

        store = SqlStore(self.url_of(name))
        try:
            store.upgrade()
        finally:
            store.close()

    def _drop_stale(self) -> None:
        """Databases left by test runs that were killed (their process is gone)."""
        rows = self._admin.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'rft\\_%'"
        ).fetchall()
        for (name,) in rows:
            pid = name.split("_")[1]
            if not pid.isdigit() or int(pid) == os.getpid():
                continue
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                self.drop(name)
            except PermissionError:  # alive, someone else's
                pass

    def new_database(self, *, migrated: bool) -> str:
        """A fresh database: migrated to the head (a copy of the template) or empty."""
        name = f"{self._prefix}{next(self._count)}"
        self._create(name, self.template if migrated else "template0")
        return name

    def close(self) -> None:
        try:
            self.drop(self.template)
        finally:
            self._admin.close()


# -------------------------------------------------------- raw SQL in tests
class Raw:
    """A plain autocommit connection to a test database, past the engine.

    ``execute`` takes SQL with ``?`` placeholders (as sqlite3 does) on either
    backend; rows come back as SQLAlchemy rows (``row[0]``, ``row._mapping``).
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect.name

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        parts = sql.split("?")
        named = parts[0] + "".join(f":p{i}{part}" for i, part in enumerate(parts[1:]))
        return self.conn.execute(text(named), {f"p{i}": v for i, v in enumerate(params)})

    def drop_append_only_triggers(self) -> None:
        """What an attacker with write access to the database does first."""
        if self.dialect == "sqlite":
            self.execute("DROP TRIGGER audit_log_no_update")
            self.execute("DROP TRIGGER audit_log_no_delete")
        else:
            for op in ("update", "delete", "truncate"):
                self.execute(f"DROP TRIGGER audit_log_no_{op} ON audit_log")

    def append_only_triggers(self) -> set[str]:
        if self.dialect == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        else:
            sql = (
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
                " AND tgrelid = 'audit_log'::regclass"
            )
        return {r[0] for r in self.execute(sql)}

    def tables(self) -> set[str]:
        if self.dialect == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
        else:
            sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        return {r[0] for r in self.execute(sql)}


@contextmanager
def raw_connection(url: str) -> Iterator[Raw]:
    """A :class:`Raw` connection on ``url`` (closed, and its engine disposed, after)."""
    kwargs: dict[str, Any] = {"poolclass": NullPool, "isolation_level": "AUTOCOMMIT"}
    if backend_of(url) == "sqlite":
        kwargs["connect_args"] = {"timeout": 10}
    eng = create_engine(url, **kwargs)
    try:
        with eng.connect() as conn:
            yield Raw(conn)
    finally:
        eng.dispose()


def pg_connect(url: str, autocommit: bool = True) -> Any:
    """A plain psycopg connection for ``url`` (an SQLAlchemy postgresql URL), for
    tests that need the driver's own errors or server functions."""
    import psycopg

    u = make_url(url)
    return psycopg.connect(
        host=u.host or "127.0.0.1",
        port=u.port or 5432,
        user=u.username,
        password=u.password,
        dbname=u.database,
        autocommit=autocommit,
        connect_timeout=10,
    )
