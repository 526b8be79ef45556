"""The audit log against tampering: what the database refuses, and what
:meth:`Engine.verify` finds when someone edits the database behind the
engine's back (an attacker who first drops the append-only triggers), on
SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from regsam_flow import Engine, audit
from regsam_flow.persistence.audit_batches import VERIFY_BATCH

from .conftest import report, sign_agreement
from .databases import Raw, raw_connection

#: Hashed columns, in the order audit.entry_hash takes them.
FIELDS = (
    "at",
    "actor",
    "role",
    "area",
    "action",
    "trigger",
    "from_state",
    "to_state",
    "reason",
    "details",
)
COLUMNS = ("seq", *FIELDS, "hash")

UMLAUT_REASON = "Größere Maßnahmen für Ältere – Übergabe ans Sozialbürgerhaus, Straße »ÄÖÜ äöü ß« €"
UMLAUT_NOTE = "Daten vom Sozialreferat: Bevölkerungsprognose für Hasenbergl-Süd ✓"
ADVANCE_REASON = "Vorlauf abgeschlossen, Kooperationsvereinbarung unterschrieben"


# ----------------------------------------------------------------- helpers
@contextmanager
def raw(engine: Engine) -> Iterator[Raw]:
    """A plain connection on the engine's database, past the engine, in autocommit mode."""
    with raw_connection(engine.url) as con:
        yield con


def rows(con: Raw) -> list[dict[str, Any]]:
    cols = ", ".join(f'"{c}"' for c in COLUMNS)
    return [dict(r._mapping) for r in con.execute(f"SELECT {cols} FROM audit_log ORDER BY seq")]


def row(con: Raw, seq: int) -> dict[str, Any]:
    found = [r for r in rows(con) if r["seq"] == seq]
    assert len(found) == 1, seq
    return found[0]


def stored_head(con: Raw) -> tuple[int, str]:
    r = con.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
    return int(r[0]), str(r[1])


def drop_triggers(con: Raw) -> None:
    """What an attacker with write access to the database does first."""
    con.drop_append_only_triggers()


def hash_of(prev: str, r: dict[str, Any]) -> str:
    return audit.entry_hash(prev, r["seq"], *(r[f] for f in FIELDS))


def prev_hash(con: Raw, seq: int) -> str:
    if seq == 1:
        return audit.GENESIS
    return str(row(con, seq - 1)["hash"])


def set_fields(con: Raw, seq: int, **values: Any) -> None:
    sets = ", ".join(f'"{k}" = ?' for k in values)
    con.execute(f"UPDATE audit_log SET {sets} WHERE seq = ?", (*values.values(), seq))


def rehash_from(con: Raw, seq: int, *, fix_head: bool = True) -> str:
    """Recompute the hashes of ``seq`` and every later entry (a consistent rewrite)."""
    prev = prev_hash(con, seq)
    for r in rows(con):
        if r["seq"] < seq:
            continue
        prev = hash_of(prev, r)
        set_fields(con, r["seq"], hash=prev)
    if fix_head:
        last = rows(con)[-1]
        con.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", (last["seq"], prev))
    return prev


def shift_seqs(con: Raw, from_seq: int, by: int) -> None:
    """Renumber entries ``from_seq``.. by ``by`` (in two steps: seq is the key)."""
    con.execute("UPDATE audit_log SET seq = -(seq + ?) WHERE seq >= ?", (by, from_seq))
    con.execute("UPDATE audit_log SET seq = -seq WHERE seq < 0")


def first_seq(engine: Engine, action: str) -> int:
    return next(e.seq for e in engine.history(actor="audrey") if e.action == action)


# ----------------------------------------------------------------- fixture
@pytest.fixture
def log(engine: Engine, area: str) -> int:
    """A log of a little under 30 entries; returns their count."""
    sign_agreement(engine, area)
    report(engine, area, "vorlauf")
    engine.reopen_task(area, "datenmaterial", actor="mia", reason=UMLAUT_REASON)
    engine.report_task(area, "datenmaterial", actor="sven", note=UMLAUT_NOTE)
    engine.advance(area, actor="mia", reason=ADVANCE_REASON)
    report(engine, area, "diagnose")
    engine.advance(area, actor="mia")
    n = len(engine.history(actor="audrey"))
    assert n >= 20
    return n


# ------------------------------------------------------------ untouched log
@pytest.mark.sql("tampers with the database behind the engine's back")
def test_untouched_log_verifies(engine: Engine, log: int) -> None:
    result = engine.verify()
    head = engine.head()
    assert result.ok, result.problem
    assert (result.entries, result.first_bad_seq, result.problem) == (log, None, None)
    assert result.head == head.hash
    assert head.entries == log
    m = re.fullmatch(r"(\d+):([0-9a-f]{64})", str(head))
    assert m is not None, str(head)
    assert (int(m.group(1)), m.group(2)) == (log, head.hash)
    with raw(engine) as con:
        entries = rows(con)
        assert len(entries) == log == con.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0]
        assert stored_head(con) == (log, head.hash)
    # an independent recomputation of every hash agrees with the stored ones
    prev = audit.GENESIS
    for r in entries:
        assert hash_of(prev, r) == r["hash"], r["seq"]
        prev = r["hash"]
    assert prev == head.hash


def test_expected_head_forms_on_untouched_log(engine: Engine, log: int) -> None:
    head = engine.head()
    assert engine.verify(expect_head=str(head)).ok
    assert engine.verify(expect_head=f"  {head}\n").ok  # as pasted
    assert engine.verify(expect_head=f"{head.entries}:{head.hash.upper()}").ok
    assert engine.verify(expect_head=head.hash).ok  # a bare hash
    # an older head is still part of the chain
    older = engine.history(actor="audrey")[log // 2]
    assert engine.verify(expect_head=f"{older.seq}:{older.hash}").ok
    # a head from the future is not
    r = engine.verify(expect_head=f"{log + 5}:{head.hash}")
    assert not r.ok and r.first_bad_seq == log + 1 and "cut" in (r.problem or "")


# ------------------------------------------------------------ the database
def _refusal(dialect: str) -> type[Exception]:
    """What the append-only triggers raise: SQLite's RAISE(ABORT) is a
    constraint violation; PostgreSQL's RAISE EXCEPTION (SQLSTATE P0001,
    raise_exception) a programming error to psycopg."""
    from sqlalchemy.exc import IntegrityError, ProgrammingError

    return IntegrityError if dialect == "sqlite" else ProgrammingError


@pytest.mark.sql("tampers with the database behind the engine's back")
def test_database_refuses_update_and_delete(engine: Engine, log: int) -> None:
    from sqlalchemy.exc import DBAPIError

    with raw(engine) as con:
        expected = {"audit_log_no_update", "audit_log_no_delete"}
        statements = [
            "UPDATE audit_log SET reason = 'harmlos' WHERE seq = 5",
            "UPDATE audit_log SET seq = seq + 100",
            "UPDATE audit_log SET hash = '0'",
            "DELETE FROM audit_log WHERE seq = 5",
            f"DELETE FROM audit_log WHERE seq > {log - 3}",
            "DELETE FROM audit_log",
        ]
        if con.dialect == "postgresql":
            expected.add("audit_log_no_truncate")
            statements.append("TRUNCATE audit_log")
        assert expected <= con.append_only_triggers()
        before = rows(con)
        head_before = stored_head(con)
        for sql in statements:
            with pytest.raises(DBAPIError, match="append-only") as exc:
                con.execute(sql)
            assert isinstance(exc.value, _refusal(con.dialect)), sql
        # and inside an explicit transaction the same
        con.execute("BEGIN")
        with pytest.raises(_refusal(con.dialect), match="append-only"):
            con.execute("DELETE FROM audit_log WHERE seq = 1")
        con.execute("ROLLBACK")
        assert rows(con) == before
        assert stored_head(con) == head_before
    assert engine.verify().ok


@pytest.mark.sql("tampers with the database behind the engine's back")
def test_engine_connection_is_refused_too(engine: Engine, log: int) -> None:
    """The triggers also stop code that goes through the engine's own SQLAlchemy pool."""
    from sqlalchemy import text

    sa_engine = engine.store.engine  # type: ignore[attr-defined]
    refused = _refusal(sa_engine.dialect.name)
    with sa_engine.connect() as conn:
        with pytest.raises(refused, match="append-only"):
            conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3"))
        conn.rollback()
        with pytest.raises(refused, match="append-only"):
            conn.execute(text("DELETE FROM audit_log WHERE seq = 3"))
        conn.rollback()
    assert engine.verify().ok
    assert engine.history(actor="audrey")[2].actor != "mallory"


# ---------------------------------------------------------------- editing
def _other_value(column: str, old: str) -> str:
    """A plausible different value for one column."""
    if column == "at":
        new = audit.format_ts(audit.parse_ts(old).replace(year=2020))
    elif column == "details":
        d = json.loads(old) if old else {}
        d["round"] = 99
        new = audit.canonical_details(d)
    else:
        new = {
            "actor": "sven",
            "role": "social_planning",
            "area": "milbertshofen",
            "action": "task_reopened",
            "trigger": "cancel",
            "from_state": "umsetzung",
            "to_state": "abgebrochen",
            "reason": "Vorlauf abgeschlossen (nachträglich)",
        }[column]
    return new if new != old else new + "x"


@pytest.mark.sql("tampers with the database behind the engine's back")
@pytest.mark.parametrize("column", FIELDS)
def test_every_field_is_covered_by_the_hash(engine: Engine, log: int, column: str) -> None:
    k = first_seq(engine, "transition")  # an entry where every field is set
    assert 1 < k < log
    with raw(engine) as con:
        original = row(con, k)
        assert all(original[f] for f in FIELDS), original
        drop_triggers(con)
        set_fields(con, k, **{column: _other_value(column, original[column])})
        assert row(con, k)[column] != original[column]
    r = engine.verify()
    assert not r.ok
    assert r.first_bad_seq == k
    assert r.entries == k - 1
    assert "edited" in (r.problem or "") and str(k) in (r.problem or "")


@pytest.mark.sql("tampers with the database behind the engine's back")
def test_editing_the_stored_hash_is_detected(engine: Engine, log: int) -> None:
    k = log // 2
    with raw(engine) as con:
        drop_triggers(con)
        set_fields(con, k, hash="f" * 64)
    r = engine.verify()
    assert (r.ok, r.first_bad_seq) == (False, k)
    assert "edited" in (r.problem or "")


@pytest.mark.sql("tampers with the database behind the engine's back")
@pytest.mark.parametrize("where", ["first", "middle", "last"])
@pytest.mark.parametrize("column", ["reason", "actor"])
def test_edited_entry_is_named(engine: Engine, log: int, where: str, column: str) -> None:
    k = {"first": 1, "middle": log // 2, "last": log}[where]
    with raw(engine) as con:
        drop_triggers(con)
        value = "mallory" if column == "actor" else "alles in Ordnung"
        set_fields(con, k, **{column: value})
    r = engine.verify()
    assert not r.ok
    assert r.first_bad_seq == k
    assert f"entry {k} does not match its hash" in (r.problem or "")
    assert "edited" in (r.problem or "")


@pytest.mark.sql("tampers with the database behind the engine's back")
def test_edit_with_recomputed_hash_breaks_the_next_link(engine: Engine, log: int) -> None:
    k = first_seq(engine, "task_reopened")
    assert k < log
    with raw(engine) as con:
        drop_triggers(con)
        set_fields(con, k, reason="versehentlich gemeldet")
        set_fields(con, k, hash=hash_of(prev_hash(con, k), row(con, k)))
    r = engine.verify()
    assert not r.ok
    assert r.first_bad_seq == k + 1  # entry k fits its hash now; the chain breaks after it
    assert r.entries == k
    assert f"entry {k + 1} does not match" in (r.problem or "")
    assert "entry before it" in (r.problem or "")


# --------------------------------------------------------------- deleting
@pytest.mark.sql("tampers with the database behind the engine's back")
def test_deleted_middle_entry_is_named(engine: Engine, log: int) -> None:
    k = log // 2
    with raw(engine) as con:
        drop_triggers(con)
        con.execute("DELETE FROM audit_log WHERE seq = ?", (k,))
    r = engine.verify()
    assert not r.ok
    assert r.first_bad_seq == k
    assert r.entries == k - 1
    assert f"entry {k} is missing" in (r.problem or "")
    assert "deleted" in (r.problem or "")


@pytest.mark.sql("tampers with the database behind the engine's back")
def test_deleted_range_is_named(engine: Engine, log: int) -> None:
    k = log // 2
    with raw(engine) as con:
        drop_triggers(con)
        con.execute("DELETE FROM audit_log WHERE seq BETWEEN ? AND ?", (k, k + 2))
    r = engine.verify()
    assert (r.ok, r.first_bad_seq) == (False, k)
    assert f"entries {k} to {k + 2} are missing" in (r.problem or "")


@pytest.mark.sql("tampers with the database behind the engine's back")
def test_gap_wider_than_a_verify_batch_is_named(engine: Engine, log: int) -> None:
    """The entries after a gap longer than one batch of the fast path (a
    range of numbers with no entry at all) are read, and the gap named."""
    k = log // 2
    by = 2 * VERIFY_BATCH + 7
    with raw(engine) as con:
        drop_triggers(con)
        shift_seqs(con, k, by)
    r = engine.verify()
    assert (r.ok, r.first_bad_seq, r.entries) == (False, k, k - 1)
    assert f"entries {k} to {k + by - 1} are missing" in (r.problem or "")


@pytest.mark.sql("tampers with the database behind the engine's back")
def test_deleted_first_entry_is_named(engine: Engine, log: int) -> None:
    with raw(engine) as con:
        drop_triggers(con)
        con.execute("DELETE FROM audit_log WHERE seq = 1")
    r = engine.verify()
    assert (r.ok, r.first_bad_seq, r.entries) == (False, 1, 0)
    assert "entry 1 is missing" in (r.problem or "")


@pytest.mark.sql("tampers with the database behind the engine's back")
def test_cut_end_is_detected_by_the_head_table(engine: Engine, log: int) -> None:
    old_head = str(engine.head())
    with raw(engine) as con:
        drop_triggers(con)
        con.execute("DELETE FROM audit_log WHERE seq > ?", (log - 3,))
        assert stored_head(con)[0] == log  # the head table still says more
    r = engine.verify()
    assert not r.ok
    assert r.first_bad_seq == log - 2
    assert r.entries == log - 3
    assert "cut" in (r.problem or "")
    r = engine.verify(expect_head=old_head)
    assert (r.ok, r.first_bad_seq) == (False, log - 2)


@pytest.mark.sql("tampers with the database behind the engine's back")
def test_cut_end_with_forged_head_needs_the_printed_head(engine: Engine, log: int) -> None:
    old_head = str(engine.head())
    with raw(engine) as con:
        drop_triggers(con)
        con.execute("DELETE FROM audit_log WHERE seq > ?", (log - 3,))
        last = rows(con)[-1]
        con.execute(
            "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", (last["seq"], last["hash"])
        )
    # the file alone is consistent again: that is what the printed head is for
    assert engine.verify().ok
    r = engine.verify(expect_head=old_head)
    assert not r.ok
    assert r.first_bad_seq == log - 2
    assert r.entries == log - 3
    assert "cut" in (r.problem or "")
    assert str(log) in (r.problem or "")


@pytest.mark.sql("tampers with the database behind the engine's back")
def test_cut_end_refilled_by_new_entries_needs_the_printed_head(
    engine: Engine, area: str, log: int
) -> None:
    """After the cut the engine goes on writing: the count catches up, the hash does not."""
    old_head = str(engine.head())
    with raw(engine) as con:
        drop_triggers(con)
        con.execute("DELETE FROM audit_log WHERE seq > ?", (log - 2,))
        last = rows(con)[-1]
        con.execute(
            "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", (last["seq"], last["hash"])
        )
    engine.report_task(area, "umsetzung_koordiniert", actor="mia")
    engine.report_task(area, "handlungsauftraege", actor="sven")
    assert engine.head().entries == log
    assert engine.verify().ok
    r = engine.verify(expect_head=old_head)
    assert (r.ok, r.first_bad_seq) == (False, log)
    assert "expected head" in (r.problem or "")


# -------------------------------------------------------------- inserting
@pytest.mark.sql("tampers with the database behind the engine's back")
def test_inserted_entry_is_named(engine: Engine, log: int) -> None:
    k = log // 2
    with raw(engine) as con:
        drop_triggers(con)
        template = row(con, k)
        shift_seqs(con, k, 1)
        forged = {**template, "seq": k, "actor": "mia", "reason": "nachgetragen"}
        cols = ", ".join(f'"{c}"' for c in COLUMNS)
        con.execute(
            f"INSERT INTO audit_log ({cols}) VALUES ({', '.join('?' * len(COLUMNS))})",
            tuple(forged[c] for c in COLUMNS),
        )
        con.execute("UPDATE audit_head SET seq = seq + 1 WHERE id = 1")
        assert [r["seq"] for r in rows(con)] == list(range(1, log + 2))
    r = engine.verify()
    assert not r.ok
    assert r.first_bad_seq == k
    assert "inserted" in (r.problem or "")


@pytest.mark.sql("tampers with the database behind the engine's back")
def test_inserted_entry_with_its_own_valid_hash_is_caught_at_the_next(
    engine: Engine, log: int
) -> None:
    """A cleverer forger hashes the forged entry right; the renumbered one after it fails."""
    k = log // 2
    with raw(engine) as con:
        drop_triggers(con)
        template = row(con, k)
        shift_seqs(con, k, 1)
        forged = {**template, "seq": k, "reason": "nachgetragen"}
        forged["hash"] = hash_of(prev_hash(con, k), forged)
        cols = ", ".join(f'"{c}"' for c in COLUMNS)
        con.execute(
            f"INSERT INTO audit_log ({cols}) VALUES ({', '.join('?' * len(COLUMNS))})",
            tuple(forged[c] for c in COLUMNS),
        )
        con.execute("UPDATE audit_head SET seq = seq + 1 WHERE id = 1")
    r = engine.verify()
    assert not r.ok
    assert r.first_bad_seq == k + 1
    assert r.entries == k
    assert "inserted" in (r.problem or "")


# ------------------------------------------------------------- reordering
@pytest.mark.sql("tampers with the database behind the engine's back")
@pytest.mark.parametrize("gap", [1, 5])
def test_swapped_entries_name_the_first(engine: Engine, log: int, gap: int) -> None:
    i, j = log // 3, log // 3 + gap
    with raw(engine) as con:
        drop_triggers(con)
        a, b = row(con, i), row(con, j)
        set_fields(con, i, **{c: b[c] for c in (*FIELDS, "hash")})
        set_fields(con, j, **{c: a[c] for c in (*FIELDS, "hash")})
        assert [r["seq"] for r in rows(con)] == list(range(1, log + 1))
    r = engine.verify()
    assert not r.ok
    assert r.first_bad_seq == i
    assert "moved" in (r.problem or "")


# ------------------------------------------------------ consistent rewrite
@pytest.mark.sql("tampers with the database behind the engine's back")
def test_consistent_rewrite_needs_the_printed_head(engine: Engine, log: int) -> None:
    head = engine.head()
    old_head = str(head)
    k = first_seq(engine, "task_reopened")
    history = engine.history(actor="audrey")
    before_k = history[k - 2]  # entry k - 1
    at_k = history[k - 1]
    with raw(engine) as con:
        drop_triggers(con)
        set_fields(con, k, reason="Routineprüfung", actor="sven", role="social_planning")
        new_head = rehash_from(con, k)
    # the file is consistent in itself ...
    plain = engine.verify()
    assert plain.ok, plain.problem
    assert plain.entries == log and plain.head == new_head != head.hash
    # ... but the head printed before does not fit any more
    r = engine.verify(expect_head=old_head)
    assert not r.ok
    assert r.first_bad_seq == log
    assert "expected head" in (r.problem or "")
    # a head printed before the rewritten entry still fits; one at it does not
    assert engine.verify(expect_head=f"{before_k.seq}:{before_k.hash}").ok
    r = engine.verify(expect_head=f"{at_k.seq}:{at_k.hash}")
    assert (r.ok, r.first_bad_seq) == (False, k)
    # a bare hash is searched for in the whole log
    r = engine.verify(expect_head=head.hash)
    assert not r.ok
    assert "not in the log" in (r.problem or "")


# ---------------------------------------------------------------- umlauts
@pytest.mark.sql("tampers with the database behind the engine's back")
def test_umlauts_survive_and_verify(engine: Engine, area: str, log: int) -> None:
    engine.fire(area, "cancel", actor="sven", reason="Abbruch: Trägerwechsel in der Dülferstraße")
    assert engine.verify().ok
    entries = engine.history(actor="audrey", area=area)
    reopened = next(e for e in entries if e.action == "task_reopened")
    assert reopened.reason == UMLAUT_REASON
    noted = next(
        e for e in entries if e.action == "task_reported" and UMLAUT_NOTE in (e.details or "")
    )
    assert json.loads(noted.details)["note"] == UMLAUT_NOTE
    assert "\\u" not in noted.details  # canonical JSON keeps UTF-8 as it is
    advanced = next(e for e in entries if e.action == "transition")
    assert advanced.reason == ADVANCE_REASON
    cancelled = entries[-1]
    assert (cancelled.trigger, cancelled.reason) == (
        "cancel",
        "Abbruch: Trägerwechsel in der Dülferstraße",
    )
    with raw(engine) as con:
        stored = row(con, reopened.seq)
        assert stored["reason"] == UMLAUT_REASON
        assert hash_of(prev_hash(con, reopened.seq), stored) == stored["hash"]
        # the bytes stored are UTF-8
        as_bytes = (
            "CAST(reason AS BLOB)" if con.dialect == "sqlite" else "convert_to(reason, 'UTF8')"
        )
        raw_bytes = con.execute(
            f"SELECT {as_bytes} FROM audit_log WHERE seq = ?", (reopened.seq,)
        ).fetchone()[0]
        assert bytes(raw_bytes) == UMLAUT_REASON.encode("utf-8")


@pytest.mark.sql("tampers with the database behind the engine's back")
@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("ß", "ss"),  # a "harmless" transliteration
        ("Ä", "A\u0308"),  # looks the same (decomposed), is not the same
        ("ü", "u"),
    ],
)
def test_changing_one_umlaut_is_detected(engine: Engine, log: int, old: str, new: str) -> None:
    k = first_seq(engine, "task_reopened")
    with raw(engine) as con:
        drop_triggers(con)
        set_fields(con, k, reason=UMLAUT_REASON.replace(old, new, 1))
        assert row(con, k)["reason"] != UMLAUT_REASON
    r = engine.verify()
    assert (r.ok, r.first_bad_seq) == (False, k)
    assert "edited" in (r.problem or "")


# ------------------------------------------- the head table against the log
def _append_forged_entry(con: Raw) -> int:
    """Append an entry with a correct hash, but leave audit_head alone."""
    last = rows(con)[-1]
    forged = {**last, "seq": last["seq"] + 1, "reason": "nachgeschoben"}
    forged["hash"] = hash_of(last["hash"], forged)
    cols = ", ".join(f'"{c}"' for c in COLUMNS)
    con.execute(
        f"INSERT INTO audit_log ({cols}) VALUES ({', '.join('?' * len(COLUMNS))})",
        tuple(forged[c] for c in COLUMNS),
    )
    return int(forged["seq"])


def _rehash_without_head(con: Raw) -> int:
    """Edit a middle entry and recompute every later hash, but not audit_head."""
    k = len(rows(con)) // 2
    drop_triggers(con)
    set_fields(con, k, reason="umgeschrieben")
    rehash_from(con, k, fix_head=False)
    return len(rows(con))  # the newest entry no longer matches the head table


HEAD_MISMATCH = {"appended": _append_forged_entry, "rehashed": _rehash_without_head}


@pytest.mark.sql("tampers with the database behind the engine's back")
@pytest.mark.parametrize("scenario", sorted(HEAD_MISMATCH))
def test_log_and_head_table_disagreeing_is_detected(
    engine: Engine, log: int, scenario: str
) -> None:
    with raw(engine) as con:
        bad = HEAD_MISMATCH[scenario](con)
    r = engine.verify()
    assert not r.ok
    assert r.first_bad_seq is not None and r.first_bad_seq <= bad + 1


@pytest.mark.sql("tampers with the database behind the engine's back")
@pytest.mark.parametrize("scenario", sorted(HEAD_MISMATCH))
def test_log_and_head_table_disagreeing_is_described_right(
    engine: Engine, log: int, scenario: str
) -> None:
    with raw(engine) as con:
        bad = HEAD_MISMATCH[scenario](con)
    r = engine.verify()
    assert not r.ok
    assert r.first_bad_seq == bad
    assert "cut" not in (r.problem or "")


def test_head_of_an_empty_log_is_accepted(db_url: str) -> None:
    e = Engine(db_url)
    try:
        empty = f"0:{audit.GENESIS}"  # what `audit head` prints before anything is logged
        e.init()  # the schema and the shipped workflow definitions (audited)
        assert e.verify().ok
        assert e.verify(expect_head=str(empty)).ok
        e.init("root", name="Root Admin", email="root@regsam.example")
        assert e.verify(expect_head=str(empty)).ok  # still a prefix of the chain
    finally:
        e.close()


# ------------------------------------------- damage verify must survive (item 7)
def _verify_cli(engine: Engine, tmp_path: Any) -> tuple[int, str, dict[str, Any]]:
    """``audit verify`` in text and in JSON: (exit code, text, JSON)."""
    from .cli_helpers import Cli

    c = Cli(engine.url, tmp_path / "home")
    text = c.run("audit", "verify", user="audrey")
    as_json = c.run("--json", "audit", "verify", user="audrey")
    assert text.exit_code == as_json.exit_code
    assert "Traceback" not in text.output + as_json.output
    assert "sqlalchemy" not in (text.output + as_json.output).lower()
    return text.exit_code, text.output, json.loads(as_json.stdout)


@pytest.mark.sqlite_only("PostgreSQL cannot store invalid UTF-8 in text")
@pytest.mark.parametrize("column", ["details", "reason", "actor"])
def test_invalid_utf8_in_an_entry_is_a_finding(
    engine: Engine, log: int, column: str, tmp_path: Any
) -> None:
    with raw(engine) as con:
        drop_triggers(con)
        con.execute(
            f"UPDATE audit_log SET \"{column}\" = CAST(X'4b61C328ff' AS TEXT) WHERE seq = 7"
        )
    code, text, data = _verify_cli(engine, tmp_path)
    assert code == 8
    assert "entry 7" in text and column in text and "UTF-8" in text
    assert data["ok"] is False and data["first_bad_seq"] == 7
    assert "UTF-8" in data["problem"]


@pytest.mark.sql("tampers with the database behind the engine's back")
def test_deleted_head_row_is_a_finding(engine: Engine, log: int, tmp_path: Any) -> None:
    with raw(engine) as con:
        drop_triggers(con)
        con.execute("DELETE FROM audit_head")
    code, text, data = _verify_cli(engine, tmp_path)
    assert code == 8 and "head" in text
    assert data["ok"] is False and data["first_bad_seq"] == log + 1
    assert "head" in data["problem"] and "missing" in data["problem"]


@pytest.mark.sql("tampers with the database behind the engine's back")
def test_unreadable_time_of_a_rewritten_entry_is_a_finding(
    engine: Engine, log: int, tmp_path: Any
) -> None:
    with raw(engine) as con:
        drop_triggers(con)
        set_fields(con, 6, at="gestern")
        rehash_from(con, 6)
    code, text, data = _verify_cli(engine, tmp_path)
    assert code == 8 and "entry 6" in text
    assert data["ok"] is False and data["first_bad_seq"] == 6
    assert "gestern" in data["problem"]
