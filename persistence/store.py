"""The SQLAlchemy adapter of the :class:`~regsam_flow.ports.Store` port."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, RootTransaction, and_, insert, inspect, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from regsam_flow.audit import format_ts, parse_ts
from regsam_flow.errors import (
    AuditError,
    ConflictError,
    OutcomeUnknownError,
    RegsamFlowError,
    SchemaError,
    UnavailableError,
)
from regsam_flow.i18n import _
from regsam_flow.model import (
    AUDIT_FIELDS,
    Agreement,
    Approvals,
    Area,
    AreaAggregate,
    AuditBatch,
    AuditEntry,
    Person,
    StoredAuditRow,
    StoredWorkflow,
    TaskStatus,
)
from regsam_flow.ports import Store, UnitOfWork

from . import aggregate
from . import schema as s
from .area_batch import agreement_of, load_areas
from .audit_batches import VERIFY_BATCH, audit_batches, joins_batches
from .auth import SqlAuth
from .database import WRITE_OPTION, create_db_engine, redact_url, scrub
from .instance_data import SqlInstanceData
from .kg import SqlKg
from .kg_messages import SqlKgMessages
from .logins import actor_refused
from .prepared import Prepared, driver_errors
from .reminders import SqlReminders
from .revision import revision_number
from .storage import sqlite_path, storage_error

__all__ = ["SqlStore", "SqlUnitOfWork"]


def _ts(value: str | None) -> datetime | None:
    return parse_ts(value) if value else None


def _area(row: Any) -> Area:
    return Area(
        id=row.id,
        name=row.name,
        district=row.district,
        workflow=row.workflow,
        workflow_version=row.workflow_version,
        state=row.state,
        version=row.version,
        round=row.round,
        created_at=parse_ts(row.created_at),
        updated_at=parse_ts(row.updated_at),
    )


def _areas_query(cols: str, state: str | None, member: str | None) -> tuple[Any, dict[str, Any]]:
    """The statement and parameters reading ``cols`` of the areas (in
    ``state``; with ``member`` those they are assigned to), by id."""
    where = []
    if state is not None:
        where.append("state = :state")
    if member is not None:
        where.append("id IN (SELECT area_id FROM assignments WHERE person_id = :member)")
    sql = f"SELECT {cols} FROM areas"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return text(sql + " ORDER BY id"), {"state": state, "member": member}


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(*row)


def _person(row: Any) -> Person:
    """A person from a row of id, name, email, org, admin, auditor, decision_mails."""
    return Person(row[0], row[1], row[2], row[3], bool(row[4]), bool(row[5]), bool(row[6]))


# The reads behind every command (``area show`` runs each once) as plain SQL:
# a fresh process compiles each Core statement on first use (about 0.5 ms
# each, 2 ms for the first), a text() statement costs a tenth of that.  The
# column names are those of ``schema``; ``trigger`` is quoted as SQLAlchemy
# quotes it on SQLite.
_AREA_COLS = (
    "id, name, district, workflow, workflow_version, state, version, round, created_at, updated_at"
)
_PERSON_COLS = "id, name, email, org, admin, auditor, decision_mails"  # as _person reads them
_SQL_PERSON = Prepared(text(f"SELECT {_PERSON_COLS} FROM people WHERE id = :id"))
_SQL_PEOPLE = text(f"SELECT {_PERSON_COLS} FROM people ORDER BY id")
_SQL_ANY_ADMIN = text("SELECT id FROM people WHERE admin = :yes LIMIT 1")
_SQL_DEFINITIONS = text(
    "SELECT name, version, hash, text, source, deployed_by, deployed_at "
    "FROM workflow_definitions ORDER BY name, version"
)
_SQL_AREA = text(f"SELECT {_AREA_COLS} FROM areas WHERE id = :id")
_SQL_ASSIGNMENTS = text(
    "SELECT role, person_id FROM assignments WHERE area_id = :area ORDER BY role, person_id"
)
_SQL_TASKS = text("SELECT task_id, done, done_by, done_at, note FROM tasks WHERE area_id = :area")
# An agreement version with its signatures in one query: one row per
# signature (one row with role NULL when unsigned).
_AGREEMENT_WITH_SIGNATURES = (
    "SELECT a.version, a.topic, a.scope, a.reasons, a.partners, a.terms, a.duration, a.start, "
    "a.review, a.created_at, a.created_by, s.role, s.person_id FROM agreements a "
    "LEFT JOIN signatures s ON s.area_id = a.area_id AND s.version = a.version "
    "WHERE a.area_id = :area AND a.version = "
)
_SQL_AGREEMENT_NEWEST = text(
    _AGREEMENT_WITH_SIGNATURES + "(SELECT MAX(version) FROM agreements WHERE area_id = :area)"
)
_SQL_AGREEMENT = text(_AGREEMENT_WITH_SIGNATURES + ":version")
_SQL_APPROVALS = text(
    'SELECT "trigger", role, person_id FROM approvals WHERE area_id = :area AND round = :round'
)
_SQL_SCHEMA_VERSION = text("SELECT version_num FROM alembic_version")

# The writes of a transition, prebuilt once: building them with
# ``insert().values()`` and the like on every call cost more CPU than
# SQLite spends carrying them out.  Those every transition sends run on the
# driver's cursor (see ``prepared``).
_SQL_UPDATE_AREA = Prepared(
    text(
        "UPDATE areas SET state = :state, round = :round, version = :new, updated_at = :at "
        "WHERE id = :id AND version = :expected"
    )
)
_SQL_UPDATE_AREA_WORKFLOW = Prepared(
    text(
        "UPDATE areas SET state = :state, round = :round, version = :new, updated_at = :at, "
        "workflow_version = :workflow_version WHERE id = :id AND version = :expected"
    )
)
_SQL_UPDATE_TASK = text(
    "UPDATE tasks SET done = :done, done_by = :done_by, done_at = :done_at, note = :note "
    "WHERE area_id = :area AND task_id = :task"
)
_SQL_INSERT_TASK = text(
    "INSERT INTO tasks (area_id, task_id, done, done_by, done_at, note) "
    "VALUES (:area, :task, :done, :done_by, :done_at, :note)"
)
_SQL_INSERT_APPROVAL = text(
    'INSERT INTO approvals (area_id, round, "trigger", role, person_id, at) '
    "VALUES (:area, :round, :trigger, :role, :person, :at)"
)
_SQL_INSERT_AUDIT = Prepared(
    text(
        'INSERT INTO audit_log (seq, at, actor, role, area, action, "trigger", from_state, '
        "to_state, reason, details, hash) VALUES (:seq, :at, :actor, :role, :area, :action, "
        ":trigger, :from_state, :to_state, :reason, :details, :hash)"
    )
)
_SQL_UPDATE_HEAD = Prepared(text("UPDATE audit_head SET seq = :seq, hash = :hash WHERE id = 1"))
# The chain's head with the time of its entry (the next entry's time must not
# go back), in one read.  Writers lock it: PostgreSQL row-locks it (the unit
# does so first thing), SQLite's BEGIN IMMEDIATE already holds the database.
_HEAD = (
    "SELECT h.seq, h.hash, l.at FROM audit_head h LEFT JOIN audit_log l ON l.seq = h.seq "
    "WHERE h.id = 1"
)
_SQL_HEAD = Prepared(text(_HEAD))
_SQL_HEAD_LOCKED = Prepared(text(_HEAD + " FOR UPDATE OF h"))
_SQL_AUDIT_AT = text("SELECT at FROM audit_log WHERE seq = :seq")
#: The head as stored, for verify (a prepared statement: the first verify of a
#: process need not build the schema's table objects, ~12 ms).
_SQL_READ_HEAD = Prepared(text("SELECT seq, hash FROM audit_head WHERE id = 1"))


class SqlUnitOfWork(SqlReminders, SqlInstanceData, SqlKg, SqlKgMessages, SqlAuth, UnitOfWork):
    """One transaction on one SQLAlchemy connection."""

    def __init__(self, conn: Connection, head: Any = None) -> None:
        self.conn = conn
        self._sqlite = conn.dialect.name == "sqlite"
        # (seq, hash, at of that entry) of the chain's head once read (``head``:
        # as the write unit read it when it locked it), kept up to date by
        # append_audit: the unit holds the lock, nobody else moves the head
        self._head: Any = head

    # people
    def get_person(self, person_id: str) -> Person | None:
        row = _SQL_PERSON.run(self.conn, {"id": person_id}).fetchone()
        return _person(row) if row else None

    def list_people(self) -> list[Person]:
        return [_person(r) for r in self.conn.execute(_SQL_PEOPLE)]

    def add_person(self, person: Person, at: datetime) -> None:
        self.conn.execute(
            insert(s.people).values(
                id=person.id,
                name=person.name,
                email=person.email,
                org=person.org,
                admin=person.admin,
                auditor=person.auditor,
                decision_mails=person.decision_mails,
                created_at=format_ts(at),
            )
        )

    def has_admin(self) -> bool:
        row = self.conn.execute(_SQL_ANY_ADMIN, {"yes": True}).first()
        return row is not None

    def set_global_roles(self, person_id: str, *, admin: bool, auditor: bool) -> None:
        self.conn.execute(
            update(s.people).where(s.people.c.id == person_id).values(admin=admin, auditor=auditor)
        )

    # deployed workflow definitions
    def list_workflow_definitions(self) -> list[StoredWorkflow]:
        rows = self.conn.execute(_SQL_DEFINITIONS)
        return [
            StoredWorkflow(
                r.name, r.version, r.hash, r.text, r.source, r.deployed_by, parse_ts(r.deployed_at)
            )
            for r in rows
        ]

    def add_workflow_definition(self, definition: StoredWorkflow) -> None:
        d = definition
        self.conn.execute(
            insert(s.workflow_definitions).values(
                name=d.name,
                version=d.version,
                hash=d.hash,
                text=d.text,
                source=d.source,
                deployed_by=d.deployed_by,
                deployed_at=format_ts(d.deployed_at),
            )
        )

    # areas
    def get_area(self, area_id: str) -> Area | None:
        row = self.conn.execute(_SQL_AREA, {"id": area_id}).first()
        return _area(row) if row else None

    def list_areas(self, state: str | None = None, member: str | None = None) -> list[Area]:
        rows = self.conn.execute(*_areas_query(_AREA_COLS, state, member))
        return [_area(r) for r in rows]

    def area_ids(self, state: str | None = None, member: str | None = None) -> list[str]:
        return list(self.conn.execute(*_areas_query("id", state, member)).scalars())

    def load_areas(self, area_ids: Sequence[str]) -> dict[str, AreaAggregate]:
        return load_areas(self.conn, area_ids, _AREA_COLS, _area)

    def add_area(self, area: Area) -> None:
        self.conn.execute(
            insert(s.areas).values(
                id=area.id,
                name=area.name,
                district=area.district,
                workflow=area.workflow,
                workflow_version=area.workflow_version,
                state=area.state,
                version=area.version,
                round=area.round,
                created_at=format_ts(area.created_at),
                updated_at=format_ts(area.updated_at),
            )
        )

    def update_area(
        self,
        area_id: str,
        expected_version: int,
        *,
        state: str,
        round: int,
        at: datetime,
        workflow_version: int | None = None,
    ) -> int:
        params: dict[str, Any] = {
            "state": state,
            "round": round,
            "new": expected_version + 1,
            "at": format_ts(at),
            "id": area_id,
            "expected": expected_version,
        }
        if workflow_version is None:
            result = _SQL_UPDATE_AREA.run(self.conn, params)
        else:
            params["workflow_version"] = workflow_version
            result = _SQL_UPDATE_AREA_WORKFLOW.run(self.conn, params)
        if result.rowcount != 1:
            raise ConflictError(
                _(
                    "area '{area}' was changed by someone else meanwhile; nothing was written,"
                    " look at it again and retry"
                ).format(area=area_id),
                area=area_id,
            )
        return expected_version + 1

    # an area as one aggregate
    def load_area(self, area_id: str) -> AreaAggregate | None:
        """The aggregate in one statement (see :mod:`.aggregate`)."""
        return aggregate.decode(aggregate.LOAD_AREA.run(self.conn, {"area": area_id}).fetchall())

    # assignments
    def get_assignments(self, area_id: str) -> list[tuple[str, str]]:
        rows = self.conn.execute(_SQL_ASSIGNMENTS, {"area": area_id})
        return [(r.role, r.person_id) for r in rows]

    def add_assignment(self, area_id: str, role: str, person_id: str) -> None:
        self.conn.execute(
            insert(s.assignments).values(area_id=area_id, role=role, person_id=person_id)
        )

    def remove_assignment(self, area_id: str, role: str, person_id: str) -> None:
        a = s.assignments
        self.conn.execute(
            a.delete().where(
                and_(a.c.area_id == area_id, a.c.role == role, a.c.person_id == person_id)
            )
        )

    # tasks
    def get_tasks(self, area_id: str) -> dict[str, TaskStatus]:
        rows = self.conn.execute(_SQL_TASKS, {"area": area_id})
        return {
            r.task_id: TaskStatus(r.task_id, bool(r.done), r.done_by, _ts(r.done_at), r.note)
            for r in rows
        }

    def put_task(self, area_id: str, status: TaskStatus) -> None:
        params = {
            "area": area_id,
            "task": status.task_id,
            "done": status.done,
            "done_by": status.done_by,
            "done_at": format_ts(status.done_at) if status.done_at else None,
            "note": status.note,
        }
        if self.conn.execute(_SQL_UPDATE_TASK, params).rowcount == 0:
            self.conn.execute(_SQL_INSERT_TASK, params)

    # agreement
    def get_agreement(self, area_id: str, version: int | None = None) -> Agreement | None:
        if version is None:
            rows = self.conn.execute(_SQL_AGREEMENT_NEWEST, {"area": area_id}).all()
        else:
            rows = self.conn.execute(_SQL_AGREEMENT, {"area": area_id, "version": version}).all()
        return agreement_of(rows)

    def add_agreement(self, area_id: str, agreement: Agreement) -> None:
        assert agreement.created_at is not None and agreement.created_by is not None
        self.conn.execute(
            insert(s.agreements).values(
                area_id=area_id,
                version=agreement.version,
                topic=agreement.topic,
                scope=agreement.scope,
                reasons=agreement.reasons,
                partners=agreement.partners,
                terms=agreement.terms,
                duration=agreement.duration,
                start=agreement.start.isoformat() if agreement.start else None,
                review=agreement.review.isoformat() if agreement.review else None,
                created_at=format_ts(agreement.created_at),
                created_by=agreement.created_by,
            )
        )

    def add_signature(
        self, area_id: str, version: int, role: str, person_id: str, at: datetime
    ) -> None:
        self.conn.execute(
            insert(s.signatures).values(
                area_id=area_id, version=version, role=role, person_id=person_id, at=format_ts(at)
            )
        )

    # approvals
    def get_approvals(self, area_id: str, round: int) -> Approvals:
        rows = self.conn.execute(_SQL_APPROVALS, {"area": area_id, "round": round})
        out: Approvals = {}
        for r in rows:
            out.setdefault(r.trigger, {})[r.role] = r.person_id
        return out

    def add_approval(
        self, area_id: str, round: int, trigger: str, role: str, person_id: str, at: datetime
    ) -> None:
        params = {
            "area": area_id,
            "round": round,
            "trigger": trigger,
            "role": role,
            "person": person_id,
            "at": format_ts(at),
        }
        self.conn.execute(_SQL_INSERT_APPROVAL, params)

    # audit log
    def audit_head(self) -> tuple[int, str]:
        if self._head is None:
            sql = _SQL_HEAD if self._sqlite else _SQL_HEAD_LOCKED
            self._head = sql.run(self.conn).fetchone()
        row = self._head
        if row is None or row[0] is None or row[1] is None:
            self._head = None  # read it again next time: nothing was written
            raise AuditError(
                _(
                    "the audit log's head record is missing (deleted behind the engine's back): "
                    "nothing can be written; run `regsam-flow audit verify`"
                )
            )
        return int(row[0]), str(row[1])

    def read_audit_head(self) -> tuple[int, str] | None:
        try:
            row = _SQL_READ_HEAD.run(self.conn).fetchone()
            if row is None or row[1] is None:
                return None
            return int(row[0]), str(row[1])
        except (TypeError, ValueError, OperationalError):
            return None

    def audit_at(self, seq: int) -> str | None:
        head = self._head
        if head is not None and head[0] == seq:  # read with the head
            return head[2] if isinstance(head[2], str) else None
        value = self.conn.execute(_SQL_AUDIT_AT, {"seq": seq}).scalar()
        return value if isinstance(value, str) else None

    def append_audit(self, entry: AuditEntry) -> None:
        params = {name: getattr(entry, name) for name in AUDIT_FIELDS}
        _SQL_INSERT_AUDIT.run(self.conn, params)
        _SQL_UPDATE_HEAD.run(self.conn, {"seq": entry.seq, "hash": entry.hash})
        self._head = (entry.seq, entry.hash, entry.at)

    def stream_audit(
        self,
        area: str | None = None,
        since: str | None = None,
        until: str | None = None,
        actor: str | None = None,
        member: str | None = None,
        actions: Sequence[str] | None = None,
        after: int | None = None,
        batch: int = 2000,
    ) -> Iterator[AuditEntry]:
        where = []
        params: dict[str, Any] = {}
        for column, op, value in (
            ("area", "=", area),
            ("at", ">=", since),
            ("at", "<=", until),
            ("actor", "=", actor),
            ("seq", ">", after),
        ):
            if value is not None:
                key = f"p{len(params)}"
                where.append(f'"{column}" {op} :{key}')
                params[key] = value
        if member is not None:
            # the person's areas as a subquery: no parameter per area.  On
            # SQLite "+area" keeps the log read in sequence order (each entry
            # checked against the person's areas) instead of gathering the
            # entries area by area and sorting them all before the first
            where.append(
                ("+area" if self._sqlite else "area")
                + " IN (SELECT area_id FROM assignments WHERE person_id = :member)"
            )
            params["member"] = member
        if actions is not None:  # a handful of action names, never data-sized
            keys = [f"a{i}" for i in range(len(actions))]
            where.append(f"action IN ({', '.join(':' + k for k in keys)})" if keys else "1 = 0")
            params.update(zip(keys, actions, strict=True))
        sql = f"SELECT {_AUDIT_SELECT} FROM audit_log"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY seq"
        if self._sqlite:
            # SQLite's own cursor in this transaction: it reads as it goes,
            # and SQLAlchemy's rows would cost more than the reading
            cursor = self.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            try:
                with driver_errors(self.conn, sql, params):
                    cursor.execute(sql, params)
                    while rows := cursor.fetchmany(batch):
                        for row in rows:
                            yield AuditEntry(*row)
            finally:
                cursor.close()
            return
        # a server-side cursor (PostgreSQL) handing out ``batch`` rows at a time
        result = self.conn.execute(text(sql).execution_options(yield_per=batch), params)
        try:
            for rows in result.partitions():
                for row in rows:
                    yield AuditEntry(*row)
        finally:
            result.close()  # also when the reader stops early

    def iter_audit(self, batch: int = 5000) -> Iterator[AuditEntry]:
        result = self.conn.execute(
            select(*_audit_cols()).order_by(s.audit_log.c.seq).execution_options(yield_per=batch)
        )
        for row in result:
            yield _entry(row)

    def iter_audit_batches(self, after: int = 0, size: int = VERIFY_BATCH) -> Iterator[AuditBatch]:
        if not joins_batches(self.conn):
            return super().iter_audit_batches(after, size)
        return audit_batches(self.conn, after, size)

    def iter_audit_rows(self, batch: int = 5000, after: int = 0) -> Iterator[StoredAuditRow]:
        last = after or None
        try:
            for row in self._audit_rows_after(last, batch):
                last = row[0]
                yield row
        except OperationalError as exc:
            if not (self._sqlite and "decode" in str(exc.orig)):
                raise
        else:
            return
        # SQLite holds text that is not UTF-8 (edited behind the engine's back):
        # read on from there keeping the bad bytes as surrogate escapes
        dbapi: Any = self.conn.connection.driver_connection
        factory = dbapi.text_factory
        dbapi.text_factory = _lenient_text
        try:
            yield from self._audit_rows_after(last, batch)
        finally:
            dbapi.text_factory = factory

    def _audit_rows_after(self, seq: int | None, batch: int) -> Iterator[StoredAuditRow]:
        log = s.audit_log
        q = select(*_audit_cols()).order_by(log.c.seq)
        if seq is not None:
            q = q.where(log.c.seq > seq)
        result = self.conn.execute(q.execution_options(yield_per=batch))
        try:
            for row in result:
                yield cast(StoredAuditRow, tuple(row))
        finally:
            result.close()  # also when the reader stops early


def _lenient_text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


#: The audit log's columns in :class:`AuditEntry` order, for plain SQL.
_AUDIT_SELECT = ", ".join(f'"{name}"' for name in AUDIT_FIELDS)


def _audit_cols() -> list[Any]:
    """The audit log's columns in :class:`AuditEntry` order (the tables are
    defined on first use, see ``schema``)."""
    return [s.audit_log.c[name] for name in AUDIT_FIELDS]


def _is_disconnect(exc: DBAPIError) -> bool:
    msg = str(exc.orig).lower()
    return any(
        text in msg
        for text in (
            "terminating connection",
            "server closed the connection",
            "connection is closed",
            "connection already closed",
            "consuming input failed",
            "connection refused",
        )
    )


def _first_line(orig: object) -> str:
    return (str(orig).strip().splitlines() or ["no detail"])[0]


def _is_locked(exc: DBAPIError) -> bool:
    msg = str(exc.orig).lower()
    return "database is locked" in msg or "database is busy" in msg or "could not serialize" in msg


def _dropped(conn: Connection, exc: DBAPIError) -> bool:
    """Whether ``exc`` on ``conn`` means the connection is gone: the
    driver's message says so, or its connection is closed or broken."""
    if exc.connection_invalidated or _is_disconnect(exc):
        return True
    if conn.closed or conn.invalidated:
        return False
    driver = conn.connection.dbapi_connection
    return bool(getattr(driver, "closed", False) or getattr(driver, "broken", False))


def _close_quietly(conn: Connection, exc: DBAPIError) -> None:
    """Give back a connection on which ``exc`` happened; one the server
    dropped is discarded (no rollback is tried on it)."""
    if _dropped(conn, exc) and not conn.closed and not conn.invalidated:
        conn.invalidate()
    try:
        conn.close()
    except DBAPIError:  # the rollback failed: SQLAlchemy has discarded the connection
        if not conn.closed:
            conn.invalidate()
            conn.close()


def _older(found: str, expected: str) -> bool:
    """Whether revision ``found`` comes before ``expected``, compared as
    numbers (``0009`` before ``0010``); an id that is no number is not older."""
    number, needed = revision_number(found), revision_number(expected)
    return number is not None and needed is not None and number < needed


class SqlStore(Store):
    """A store on any SQLAlchemy URL; SQLite files are set up for many processes."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_db_engine(url)
        self._sqlite = self.engine.dialect.name == "sqlite"
        self._path = sqlite_path(self.engine.url.database) if self._sqlite else None

    @property
    def shown_url(self) -> str:
        return redact_url(self.url)

    def _connect(self, live: bool = True) -> Connection:
        """A connection, or one clear error when the database cannot be
        reached: a storage problem as :class:`StorageError`, anything else
        (server down, wrong password, unknown database) as
        :class:`UnavailableError` naming the database (without password) and
        the driver's first line.

        ``live``: on a server, the connection is first checked with a
        ``SELECT 1`` (what the pool's pre-ping did for every checkout); if
        the server dropped it (a restart), the pool's connections are all
        let go and a fresh one is made.  Write units check without that
        round trip (:meth:`_begin`)."""
        try:
            conn = self.engine.connect()
            if live and not self._sqlite:
                conn = self._alive(conn)
            return conn
        except DBAPIError as exc:
            err = storage_error(exc, redact_url(self.url), self._path)
            if err is not None:
                raise err from None
            raise UnavailableError(
                _("cannot connect to the database {where}: {detail}").format(
                    where=redact_url(self.url), detail=scrub(_first_line(exc.orig), self.url)
                )
            ) from None

    @contextmanager
    def _storage(self) -> Iterator[None]:
        """Storage problems (disk full, read-only) as :class:`StorageError`."""
        try:
            yield
        except DBAPIError as exc:
            err = storage_error(exc, redact_url(self.url), self._path)
            if err is not None:
                raise err from None
            raise

    def _begin(self, write: bool, migrate: bool) -> tuple[Connection, RootTransaction, Any]:
        """A connection with the unit's transaction begun, and the audit head
        a write unit on a server locked (its first statement).

        A write unit's connection is not checked first (that would cost a
        round trip per unit): a connection the server dropped (a restart)
        fails on the lock, before anything of the unit was carried out; then
        the pool's connections are all let go and the unit begins once more
        on a fresh one.  A read unit's connection is checked (:meth:`_connect`)."""
        for attempt in (1, 2):
            conn = self._connect(live=not write)
            try:
                if write:
                    conn = conn.execution_options(**{WRITE_OPTION: True})
                elif not self._sqlite:
                    # one snapshot for every read of the unit (as on SQLite,
                    # whose read transaction holds its first read's snapshot);
                    # writers need none: they take turns on the head lock
                    conn = conn.execution_options(isolation_level="REPEATABLE READ")
                trans = conn.begin()
                if migrate:
                    self._migrate(conn, "head")
                head = None
                if write and not self._sqlite:
                    # One writer at a time: lock the chain head first (and
                    # keep what it holds: the audit entry needs it).
                    head = _SQL_HEAD_LOCKED.run(conn).fetchone()
                return conn, trans, head
            except DBAPIError as exc:
                dropped = _dropped(conn, exc)
                _close_quietly(conn, exc)
                if attempt == 2 or not write or self._sqlite or not dropped:
                    raise
                self.engine.dispose()  # the server's other pooled connections are gone too
            except BaseException:
                conn.close()
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _alive(self, conn: Connection) -> Connection:
        """``conn``, or a fresh connection if the server dropped it."""
        try:
            self._ping(conn)
            return conn
        except DBAPIError as exc:
            dropped = _dropped(conn, exc)
            _close_quietly(conn, exc)
            if not dropped:
                raise
            self.engine.dispose()  # the server's other pooled connections are gone too
            return self.engine.connect()

    def _ping(self, conn: Connection) -> None:
        """``SELECT 1`` on the driver (unseen by statement listeners), a
        driver error raised as SQLAlchemy raises it."""
        dialect = conn.dialect
        dbapi_connection = conn.connection.dbapi_connection
        assert dbapi_connection is not None  # a connection just checked out
        with driver_errors(conn, "SELECT 1", None):
            dialect.do_ping(dbapi_connection)

    @contextmanager
    def _unit(self, write: bool, migrate: bool = False) -> Iterator[UnitOfWork]:
        committing = False
        try:
            conn, trans, head = self._begin(write, migrate)
            with conn, trans:
                yield SqlUnitOfWork(conn, head)
                committing = write  # leaving the block sends COMMIT
        except RegsamFlowError:
            raise
        except IntegrityError as exc:
            raise ConflictError(
                _(
                    "the change collides with another one made meanwhile ({detail}); "
                    "nothing was written, try again"
                ).format(detail=exc.orig)
            ) from None
        except DBAPIError as exc:
            refused = actor_refused(exc)
            if refused is not None:
                raise refused from None
            err = storage_error(exc, redact_url(self.url), self._path)
            if err is not None:
                raise err from None
            if isinstance(exc, OperationalError) and _is_locked(exc):
                raise ConflictError(
                    _("the database stayed busy with other writers; nothing was written, try again")
                ) from None
            if committing and (exc.connection_invalidated or _is_disconnect(exc)):
                # COMMIT may have reached the server and been carried out
                # before the connection broke: nobody can tell from here
                raise OutcomeUnknownError(
                    _(
                        "the connection to the database {where} was lost while "
                        "the change was being committed ({detail}): it may or may "
                        "not have been written. Look before trying again: `regsam-flow area show "
                        "AREA` and `regsam-flow log AREA` show whether it is there"
                    ).format(where=redact_url(self.url), detail=_first_line(exc.orig))
                ) from None
            if exc.connection_invalidated or _is_disconnect(exc):
                raise UnavailableError(
                    _(
                        "the connection to the database {where} was lost during "
                        "the change ({detail}); nothing was written, try again"
                    ).format(where=redact_url(self.url), detail=_first_line(exc.orig))
                ) from None
            raise

    def write(self) -> AbstractContextManager[UnitOfWork]:
        return self._unit(True)

    def read(self) -> AbstractContextManager[UnitOfWork]:
        return self._unit(False)

    def initialise(self) -> AbstractContextManager[UnitOfWork]:
        """A write unit of work that first upgrades the schema to the head, in
        the same transaction: the upgrade and what the unit writes are
        committed together, or nothing is (DDL is transactional on SQLite
        and PostgreSQL)."""
        return self._unit(True, migrate=True)

    def _missing_file(self) -> bool:
        """A SQLite file that does not exist yet (opening it would create it)."""
        db = self.engine.url.database or ""
        return (
            self._sqlite
            and db not in ("", ":memory:")
            and not db.startswith("file:")
            and (not Path(db).expanduser().exists())
        )

    def schema_status(self) -> tuple[str | None, str]:
        if self._missing_file():
            return None, s.HEAD_REVISION
        with self._storage(), self._connect() as conn:
            try:
                # one query; asking first (reflection: has_table) costs as much again
                row = conn.execute(_SQL_SCHEMA_VERSION).first()
            except DBAPIError:
                conn.rollback()
                if inspect(conn).has_table("alembic_version"):
                    raise  # the table is there: a real error
                return None, s.HEAD_REVISION
            conn.rollback()
        return (row[0] if row else None), s.HEAD_REVISION

    def check_schema(self) -> None:
        """Raise :class:`SchemaError` unless the schema is exactly the one this code needs."""
        found, expected = self.schema_status()
        where = redact_url(self.url)
        if found == expected:
            return
        if found is None:
            raise SchemaError(
                _("database {where} is not initialised: run `regsam-flow init` first").format(
                    where=where
                ),
                found=None,
                expected=expected,
            )
        if _older(found, expected):
            raise SchemaError(
                _(
                    "database {where} has schema {found}, this regsam-flow needs {expected}: "
                    "run `regsam-flow init` to upgrade it (back it up first)"
                ).format(where=where, found=found, expected=expected),
                found=found,
                expected=expected,
            )
        raise SchemaError(
            _(
                "database {where} has schema {found}, newer than this regsam-flow knows "
                "({expected}): upgrade regsam-flow"
            ).format(where=where, found=found, expected=expected),
            found=found,
            expected=expected,
        )

    def upgrade(self, target: str = "head") -> tuple[str | None, str]:
        """Run the migrations up to ``target`` (tests use older targets)."""
        before, _ = self.schema_status()
        with self._storage(), self._connect() as conn:
            conn = conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                self._migrate(conn, target)
        after, _ = self.schema_status()
        return before, after or s.HEAD_REVISION

    @staticmethod
    def _migrate(conn: Connection, target: str) -> None:
        """Run the migrations on ``conn``, inside its transaction."""
        from .migrating import upgrade_on

        upgrade_on(conn, target)

    def schema_sql(self) -> str:
        """The migrations from the database's revision (none: an empty
        database) to the head as SQL in its dialect, empty when it is at the
        head; a SQLite file that does not exist is not created."""
        from .migrating import migration_sql

        found, needed = self.schema_status()
        if found == needed:
            return ""  # nothing to run
        head = None
        if found is not None:
            with self._storage(), self._connect() as conn:
                row = _SQL_READ_HEAD.run(conn).fetchone()
                conn.rollback()
            head = (int(row[0]), str(row[1])) if row else None
        return migration_sql(self.url, found, head)

    def backup(
        self, target: str, *, overwrite: bool = False
    ) -> AbstractContextManager[tuple[tuple[int, str] | None, Store]]:
        """SQLite: the online backup API (see :mod:`.backup`).  PostgreSQL
        is refused: ``pg_dump`` backs it up (README, "Sicherung")."""
        from regsam_flow.errors import InvalidInputError

        from .backup import sqlite_backup

        if not self._sqlite:
            raise InvalidInputError(
                _(
                    "backup copies SQLite files; back up PostgreSQL with pg_dump and check the "
                    "audit head before and after (README, section 'Sicherung')"
                ),
                field="db",
            )
        if self._path is None:
            raise InvalidInputError(
                _("a database in memory cannot be backed up to a file"), field="db"
            )
        return sqlite_backup(self._path, Path(target), overwrite=overwrite)

    def login(self) -> str:
        if self._sqlite:
            from regsam_flow.errors import InvalidInputError

            raise InvalidInputError(
                _(
                    "binding people to their database login needs a database with logins "
                    "(PostgreSQL), not SQLite"
                ),
                field="bind_login",
            )
        with self._storage(), self._connect() as conn:
            return str(conn.execute(text("SELECT session_user")).scalar_one())

    def close(self) -> None:
        self.engine.dispose()
