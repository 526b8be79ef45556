"""The audit log read for the fast verifier: the database joins each batch
of entries into their canonical texts and hashes (see
:class:`~regsam_flow.model.AuditBatch`), so Python builds no row objects and
only hashes.  SQLite and PostgreSQL; other databases use the port's default.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from regsam_flow.audit import BATCH_SEP
from regsam_flow.model import AUDIT_FIELDS, AuditBatch

__all__ = ["VERIFY_BATCH", "audit_batches", "joins_batches"]

#: Entries per batch.  The database builds the next batch while Python
#: hashes this one, but nothing overlaps the hashing of the last batch: small
#: batches keep that tail short (a 10 000-entry log in batches of 5 000 spent
#: about a tenth of its time on it), and a batch's own cost (one statement,
#: one hand-over between the threads) is some microseconds against ~1 ms of work.
VERIFY_BATCH = 1000

_TEXTS = AUDIT_FIELDS[2:11]  # actor .. details, the fields written as <length>:<text>
#: Every time as the log writes it (audit.format_ts) has 27 characters, so
#: the database need not count them; check_batches turns down any other time.
_AT = "|27:%s"
#: The canonical text (audit.canonical_tail), the separator and the hash,
#: for SQLite's printf() and PostgreSQL's format().
_FORMAT = "|%d" + _AT + "|%d:%s" * len(_TEXTS) + BATCH_SEP + "%s"
_FORMAT_PG = _FORMAT.replace("%d", "%s")
_ARGS = ", ".join(["seq", "at", *(f"length({c}), {c}" for c in _TEXTS), "hash"])

# A range of sequence numbers rather than ORDER BY .. LIMIT: the database
# steps through the primary key without a subquery (a gap in the numbers
# makes a short batch, which check_batches turns down).
_SQLITE = (
    "SELECT count(*), min(seq), max(seq),"
    f" CAST(group_concat(printf(?, {_ARGS}), '') AS BLOB),"
    " group_concat(hash, ''), group_concat(at, ' ')"
    " FROM audit_log WHERE seq > ? AND seq <= ?"
)
_POSTGRESQL = (
    "SELECT count(*), min(seq), max(seq),"
    f" convert_to(string_agg(format(%s::text, {_ARGS}), '' ORDER BY seq), 'UTF8'),"
    " string_agg(hash, '' ORDER BY seq), string_agg(at, ' ' ORDER BY seq)"
    " FROM audit_log WHERE seq > %s AND seq <= %s"
)
#: The first entry after a range that held none (entries after a gap).
_NEXT = "SELECT min(seq) FROM audit_log WHERE seq > ?"
_QUERIES = {"sqlite": (_SQLITE, _FORMAT), "postgresql": (_POSTGRESQL, _FORMAT_PG)}
_MARK = {"sqlite": "?", "postgresql": "%s"}


def joins_batches(conn: Connection) -> bool:
    """Whether this database can join batches itself."""
    return conn.dialect.name in _QUERIES


def audit_batches(conn: Connection, after: int, size: int) -> Iterator[AuditBatch]:
    """The entries after ``after``, ``size`` at a time, joined by the database.

    The next batch is read in a thread of its own while the caller hashes
    this one (the database driver works without Python's global lock, so
    reading and hashing overlap); at most two batches wait, and the thread
    has ended before this generator returns, also when the caller stops early."""
    waiting: queue.Queue[AuditBatch | BaseException | None] = queue.Queue(maxsize=2)
    stop = threading.Event()

    def read() -> None:
        try:
            for batch in _read_batches(conn, after, size):
                while not stop.is_set():
                    try:
                        waiting.put(batch, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            waiting.put(None)
        except BaseException as exc:  # handed to the caller
            waiting.put(exc)

    reader = threading.Thread(target=read, name="regsam-audit-batches", daemon=True)
    reader.start()
    try:
        while True:
            item = waiting.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while reader.is_alive():  # let it finish its query before the connection is used again
            with contextlib.suppress(queue.Empty):
                waiting.get(timeout=0.1)
        reader.join()


def _read_batches(conn: Connection, after: int, size: int) -> Iterator[AuditBatch]:
    sql, fmt = _QUERIES[conn.dialect.name]
    while True:
        try:
            row = conn.exec_driver_sql(sql, (fmt, after, after + size)).first()
        except DBAPIError as exc:  # text that is not UTF-8: the slow path names it
            if "decode" not in str(exc.orig).lower():
                raise
            yield AuditBatch(0, 0, 0, b"", "", "", readable=False)
            return
        if row is None or not row[0]:
            nxt = conn.exec_driver_sql(_NEXT.replace("?", _MARK[conn.dialect.name]), (after,))
            later = nxt.scalar()
            if later is not None:  # entries after a gap: the slow path names it
                yield AuditBatch(1, int(later), int(later), b"", "", "", readable=False)
            return
        count, first, last, chained, hashes, times = row
        if isinstance(chained, memoryview):  # PostgreSQL's bytea
            chained = bytes(chained)
        if not (isinstance(chained, bytes) and isinstance(hashes, str) and isinstance(times, str)):
            yield AuditBatch(int(count), 0, 0, b"", "", "", readable=False)
            return
        yield AuditBatch(int(count), int(first), int(last), chained, hashes, times)
        after = int(last)
