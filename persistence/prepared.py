"""Statements of the write path, compiled once, run on the driver's cursor.

A transition sends six statements.  Through ``Connection.execute`` each
costs several times what the driver and the database spend on it (the
statement's cache key, parameters, a result object with its column
metadata), so a transition cost four times the CPU of the stdlib driver
sending the same statements.  A :class:`Prepared` statement is compiled
once per dialect (SQLAlchemy renders it in the driver's parameter style)
and then handed straight to the cursor of the unit of work's connection,
inside the transaction SQLAlchemy began:

* a driver error is raised as SQLAlchemy raises it (:class:`DBAPIError` and
  its subclasses, with ``orig``), so the store's error handling sees no
  difference;
* listeners of ``before_cursor_execute`` still see every statement with its
  parameters (the tests and benchmarks count and replay them).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import TextClause

__all__ = ["Prepared", "driver_errors"]


class Prepared:
    """A ``text()`` statement compiled once per dialect, run on the driver cursor."""

    __slots__ = ("_compiled", "statement")

    def __init__(self, statement: TextClause) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[str, tuple[str, ...] | None]] = {}

    def _for(self, dialect: Dialect) -> tuple[str, tuple[str, ...] | None]:
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            names = tuple(compiled.positiontup or ()) if dialect.positional else None
            found = (compiled.string, names)
            self._compiled[dialect.name] = found
        return found

    def run(self, conn: Connection, params: Mapping[str, Any] | None = None) -> Any:
        """Execute on ``conn``'s driver cursor; return the cursor (fetch from
        it, read ``rowcount``)."""
        sql, names = self._for(conn.dialect)
        given = params or {}
        args: Any = tuple(given[n] for n in names) if names is not None else dict(given)
        cursor = conn.connection.cursor()
        dispatch = conn.dispatch
        if dispatch.before_cursor_execute:
            dispatch.before_cursor_execute(conn, cursor, sql, args, None, False)
        with driver_errors(conn, sql, args):
            cursor.execute(sql, args)
        return cursor


@contextmanager
def driver_errors(conn: Connection, sql: str, args: Any) -> Iterator[None]:
    """Raise a driver error inside as SQLAlchemy raises it (:class:`DBAPIError`
    and its subclasses, with ``orig``), for code that works on the driver's
    own cursor: the store's error handling then sees no difference."""
    dbapi = conn.dialect.loaded_dbapi
    try:
        yield
    except dbapi.Error as exc:
        raise DBAPIError.instance(sql, args, exc, dbapi.Error, dialect=conn.dialect) from exc
