"""Several processes on one database (a SQLite file, a PostgreSQL database):
optimistic locking, one writer at a time on the shared audit chain, and units
of work that are both-or-neither.

The children are real processes (``spawn``), each with its own
:class:`Engine` on the same file; they start together on a barrier so the
races actually happen.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import replace
from typing import Any

import pytest

from regsam_flow import BlockedError, ConflictError, Engine

from .conftest import AGREEMENT, report, sign_agreement
from .databases import raw_connection
from .processes import run_children

TIMEOUT_S = 60.0


# ------------------------------------------------------------ in children
def _classify(exc: ConflictError) -> str:
    """Which path raised the conflict (by its message)."""
    msg = str(exc)
    if "meanwhile" in msg and ("changed" in msg or "moved" in msg):
        return "conflict"  # the version check (engine or store)
    if "busy" in msg:
        return "busy"  # the store gave up waiting for the lock
    if "collides" in msg:
        return "collision"  # an IntegrityError turned into a conflict
    return "conflict_other"


def _agreement_writer(
    db_url: str, n: int, actor: str, area: str, iterations: int, barrier: Any, queue: Any
) -> None:
    """Read the version, then change the agreement expecting that version."""
    out: dict[str, Any] = {"ok": [], "kinds": Counter(), "other": []}
    try:
        engine = Engine(db_url)
        engine.get_area(area, actor=actor)  # schema check and first connection before the race
        barrier.wait(TIMEOUT_S)
        rng = random.Random(n)
        attempt = 0.002
        for i in range(iterations):
            terms = f"p{n}-{i}"
            # jitter between attempts, as between people, of the order of an
            # attempt's own time: without it the two loops can fall into
            # lockstep on a server database, one always reading just before
            # the other commits (and never winning); a fixed 2 ms was too
            # short once a write took longer than that on a loaded machine
            time.sleep(rng.uniform(0, 2 * attempt))
            began = time.monotonic()
            try:
                version = engine.get_area(area, actor=actor).version
                engine.set_agreement(area, actor=actor, expected_version=version, terms=terms)
            except ConflictError as exc:
                out["kinds"][_classify(exc)] += 1
            except Exception as exc:
                out["other"].append(f"{type(exc).__name__}: {exc}")
            else:
                out["ok"].append(terms)
            attempt = max(0.002, time.monotonic() - began)
        engine.close()
    except Exception as exc:  # setup failed
        out["other"].append(f"setup {type(exc).__name__}: {exc}")
    queue.put((n, out))


def _racer(db_url: str, n: int, areas: list[str], mode: str, barrier: Any, queue: Any) -> None:
    """Fire the forward transition of each area at the same moment as the other racer."""
    out: dict[str, Any] = {"results": {}, "other": []}
    try:
        engine = Engine(db_url)
        engine.head()  # schema check and first connection before the race
        for area in areas:
            barrier.wait(TIMEOUT_S)
            try:
                if mode == "advance":
                    engine.advance(area, actor="mia")
                elif mode == "fire":
                    engine.fire(area, "start_diagnose", actor="mia")
                else:  # fire_expected
                    version = engine.get_area(area, actor="mia").version
                    engine.fire(area, "start_diagnose", actor="mia", expected_version=version)
            except ConflictError as exc:
                out["results"][area] = _classify(exc)
            except BlockedError:
                out["results"][area] = "blocked"
            except Exception as exc:
                out["results"][area] = "other"
                out["other"].append(f"{area}: {type(exc).__name__}: {exc}")
            else:
                out["results"][area] = "ok"
        engine.close()
    except Exception as exc:
        out["other"].append(f"setup {type(exc).__name__}: {exc}")
    queue.put((n, out))


# ------------------------------------------------------------- in the parent


def _db_path(engine: Engine) -> str:
    return engine.url[len("sqlite:///") :]


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table the engine writes, read past the engine."""
    tables = (
        "people",
        "areas",
        "assignments",
        "tasks",
        "agreements",
        "signatures",
        "approvals",
        "audit_log",
        "audit_head",
    )
    with raw_connection(engine.url) as con:
        return {t: sorted(tuple(r) for r in con.execute(f"SELECT * FROM {t}")) for t in tables}


def add_ready_area(engine: Engine, area_id: str) -> None:
    """An area in vorlauf whose forward transition is ready to fire."""
    engine.create_area(area_id, actor="root", name=f"Gebiet {area_id}")
    engine.assign(area_id, "moderation", "mia", actor="root")
    engine.assign(area_id, "social_planning", "sven", actor="root")
    sign_agreement(engine, area_id)
    report(engine, area_id, "vorlauf")


# ------------------------------------------------------------------ tests
def test_two_processes_change_the_agreement_without_lost_updates(
    engine: Engine, area: str, db_url: str
) -> None:
    iterations = 150
    initial = engine.get_area(area, actor="root").version
    initial_agreements = len(engine.agreement_history(area, actor="root"))
    initial_entries = engine.head().entries

    started = time.monotonic()
    results = run_children(
        _agreement_writer,
        [(db_url, 0, "mia", area, iterations), (db_url, 1, "sven", area, iterations)],
    )
    elapsed = time.monotonic() - started

    for n, res in results.items():
        assert res["other"] == [], f"process {n}: {res['other'][:5]}"
        # conflicts come from the version check only: never a busy database
        # and never a collision in the tables (writers are serialised)
        assert set(res["kinds"]) <= {"conflict"}, f"process {n}: {dict(res['kinds'])}"
        assert len(res["ok"]) + res["kinds"]["conflict"] == iterations
        assert res["ok"], f"process {n} never got a write through"
    won = [t for res in results.values() for t in res["ok"]]
    total = len(won)
    conflicts = sum(res["kinds"]["conflict"] for res in results.values())
    assert total + conflicts == 2 * iterations
    print(f"\n{total} writes, {conflicts} conflicts in {elapsed:.1f} s")

    # no lost update: every success is one version of the area and of the agreement
    assert engine.get_area(area, actor="root").version == initial + total
    history = engine.agreement_history(area, actor="root")
    assert len(history) == initial_agreements + total
    assert [a.version for a in history] == list(range(1, len(history) + 1))
    assert Counter(a.terms for a in history[initial_agreements:]) == Counter(won)
    # and exactly one audit entry per success, nothing else
    entries = engine.history(actor="audrey", area=area)
    changed = [e for e in entries if e.action == "agreement_changed"]
    assert len(changed) == total
    assert engine.head().entries == initial_entries + total
    by_actor = Counter(e.actor for e in changed)
    assert by_actor == {"mia": len(results[0]["ok"]), "sven": len(results[1]["ok"])}
    result = engine.verify()
    assert result.ok, result.problem
    assert result.entries == initial_entries + total


def test_two_processes_on_different_areas_share_one_chain(engine: Engine, db_url: str) -> None:
    """No conflicts at all when the areas differ: the chain takes one writer at a time."""
    from .conftest import PEOPLE

    iterations = 100
    for pid in ("mia", "sven"):
        name, email, _ = PEOPLE[pid]
        engine.add_person(pid, actor="root", name=name, email=email)
    for area_id, who in (("nord", "mia"), ("sued", "sven")):
        engine.create_area(area_id, actor="root", name=area_id)
        engine.assign(
            area_id, "moderation" if who == "mia" else "social_planning", who, actor="root"
        )
    before = engine.head().entries

    results = run_children(
        _agreement_writer,
        [(db_url, 0, "mia", "nord", iterations), (db_url, 1, "sven", "sued", iterations)],
    )
    for n, res in results.items():
        assert res["other"] == [], f"process {n}: {res['other'][:5]}"
        assert sum(res["kinds"].values()) == 0, f"process {n}: {dict(res['kinds'])}"
        assert len(res["ok"]) == iterations
    for area_id in ("nord", "sued"):
        assert engine.get_area(area_id, actor="root").version == 1 + 1 + iterations
        assert len(engine.agreement_history(area_id, actor="root")) == iterations
    result = engine.verify()
    assert result.ok, result.problem
    assert result.entries == before + 2 * iterations
    seqs = [e.seq for e in engine.history(actor="audrey")]
    assert seqs == list(range(1, before + 2 * iterations + 1))


@pytest.mark.parametrize("mode", ["advance", "fire", "fire_expected"])
def test_the_same_transition_fires_once(engine: Engine, area: str, db_url: str, mode: str) -> None:
    areas = [area, "race-1", "race-2", "race-3"]
    sign_agreement(engine, area)
    report(engine, area, "vorlauf")
    for a in areas[1:]:
        add_ready_area(engine, a)
    versions = {a: engine.get_area(a, actor="root").version for a in areas}

    results = run_children(_racer, [(db_url, 0, areas, mode), (db_url, 1, areas, mode)])

    for n, res in results.items():
        assert res["other"] == [], f"process {n}: {res['other']}"
    print(f"\n{mode}: {[sorted(r['results'][a] for r in results.values()) for a in areas]}")
    for a in areas:
        outcomes = sorted(res["results"][a] for res in results.values())
        assert outcomes.count("ok") == 1, (a, outcomes)
        loser = next(o for o in outcomes if o != "ok")
        assert loser in ("conflict", "blocked"), (a, outcomes)
        got = engine.get_area(a, actor="root")
        assert got.state == "diagnose"
        assert got.version == versions[a] + 1
        assert got.round == 1
        transitions = [
            e for e in engine.history(actor="audrey", area=a) if e.action == "transition"
        ]
        assert [(e.from_state, e.to_state) for e in transitions] == [("vorlauf", "diagnose")]
    result = engine.verify()
    assert result.ok, result.problem


# ---------------------------------------------------- both or neither
def _failing_append(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make every audit append write its row and the head, then fail."""
    from regsam_flow.persistence.store import SqlUnitOfWork

    original = SqlUnitOfWork.append_audit
    calls: list[int] = []

    def append_then_fail(self: SqlUnitOfWork, entry: Any) -> None:
        original(self, entry)  # the area is updated and the entry written ...
        calls.append(entry.seq)
        raise RuntimeError("disk on fire")  # ... and then the unit of work fails

    monkeypatch.setattr(SqlUnitOfWork, "append_audit", append_then_fail)
    return calls


def _ops(engine: Engine, area: str) -> dict[str, Callable[[], Any]]:
    return {
        "set_agreement": lambda: engine.set_agreement(
            area,
            actor="mia",
            expected_version=engine.get_area(area, actor="mia").version,
            terms="KG tagt alle zwei Wochen",
        ),
        "sign_agreement": lambda: engine.sign_agreement(area, actor="sven"),
        "report_task": lambda: engine.report_task(area, "einklinken_steuerung", actor="stella"),
        "reopen_task": lambda: engine.reopen_task(
            area, "datenmaterial", actor="mia", reason="Zahlen veraltet"
        ),
        "assign": lambda: engine.assign(area, "provider", "sabine", actor="mia"),
        "advance": lambda: engine.advance(area, actor="mia", reason="bereit"),
    }


def _prepare(engine: Engine, area: str, op: str) -> None:
    engine.set_agreement(area, actor="mia", **AGREEMENT)
    engine.sign_agreement(area, actor="mia")
    if op != "sign_agreement":
        engine.sign_agreement(area, actor="sven")
    report(engine, area, "vorlauf")


@pytest.mark.sql("patches the SQL unit of work and dumps its tables")
@pytest.mark.parametrize(
    "op",
    ["set_agreement", "sign_agreement", "report_task", "reopen_task", "assign", "advance"],
)
def test_a_failing_write_leaves_nothing(
    engine: Engine, area: str, op: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _prepare(engine, area, op)
    before = dump(engine)
    area_before = engine.get_area(area, actor="root")
    head_before = engine.head()
    events: list[Any] = []
    engine.on("*", events.append)

    calls = _failing_append(monkeypatch)
    with pytest.raises(RuntimeError, match="disk on fire"):
        _ops(engine, area)[op]()
    assert calls == [head_before.entries + 1]  # it really got as far as the audit entry

    assert dump(engine) == before  # not one row changed in any table
    after = engine.get_area(area, actor="root")
    assert (after.version, after.state, after.round) == (
        area_before.version,
        area_before.state,
        area_before.round,
    )
    assert engine.head() == head_before
    assert engine.verify(deep=True).ok
    assert events == []  # no callback for a change that did not happen

    # the same change goes through once the store works again, right after the head
    monkeypatch.undo()
    _ops(engine, area)[op]()
    assert engine.head().entries == head_before.entries + 1
    assert engine.get_area(area, actor="root").version == area_before.version + 1
    assert [e.entry.seq for e in events] == [head_before.entries + 1]
    assert engine.verify().ok


@pytest.mark.sql("patches the SQL unit of work and dumps its tables")
def test_a_stale_version_inside_the_unit_of_work_rolls_back(
    engine: Engine, area: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store's own version check (UPDATE ... WHERE version = ?) undoes the
    rows written before it in the same unit of work."""
    from regsam_flow.persistence.store import SqlUnitOfWork

    engine.set_agreement(area, actor="mia", **AGREEMENT)
    before = dump(engine)
    original = SqlUnitOfWork.get_area

    def stale(self: SqlUnitOfWork, area_id: str) -> Any:
        found = original(self, area_id)
        return replace(found, version=found.version - 1) if found else None

    monkeypatch.setattr(SqlUnitOfWork, "get_area", stale)
    with pytest.raises(ConflictError, match="meanwhile"):
        engine.set_agreement(area, actor="sven", terms="KG tagt wöchentlich")
    monkeypatch.undo()
    assert dump(engine) == before
    assert engine.agreement(area, actor="mia").terms == AGREEMENT["terms"]  # type: ignore[union-attr]
    assert engine.verify().ok


def test_a_failing_callback_keeps_the_change(engine: Engine, area: str) -> None:
    """Callbacks run after the commit: their failure is logged, not rolled back."""

    def broken(_event: Any) -> None:
        raise RuntimeError("mail server down")

    engine.on("task", broken)
    version = engine.get_area(area, actor="mia").version
    engine.report_task(area, "schwerpunktziel", actor="mia")
    assert engine.get_area(area, actor="mia").version == version + 1
    assert engine.history(actor="audrey")[-1].action == "task_reported"
    assert engine.verify().ok


@contextmanager
def _write_lock_held(engine: Engine) -> Iterator[Callable[[], None]]:
    """Another connection taking what a writer takes first (SQLite: the
    file's write lock; PostgreSQL: the audit head row); yields its release."""
    if engine.url.startswith("sqlite:"):
        holder = sqlite3.connect(_db_path(engine), isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN IMMEDIATE")
        with closing(holder):
            yield lambda: holder.execute("ROLLBACK")
        return
    with raw_connection(engine.url) as con:
        con.execute("BEGIN")
        con.execute("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE")
        yield lambda: con.execute("ROLLBACK")


@pytest.mark.sql("another process holds the database's write lock")
def test_writer_waits_for_a_lock_instead_of_failing(engine: Engine, area: str) -> None:
    """Another process holding the write lock for a while: reads go on at once,
    the write waits (busy timeout, row lock) and then succeeds, with no
    'database is locked'."""
    released = threading.Event()
    with _write_lock_held(engine) as release_lock:

        def release() -> None:
            release_lock()
            released.set()

        timer = threading.Timer(1.0, release)
        timer.start()
        try:
            t0 = time.monotonic()
            version = engine.get_area(area, actor="mia").version  # readers do not wait
            assert not released.is_set()
            assert time.monotonic() - t0 < 0.9
            engine.report_task(area, "schwerpunktziel", actor="mia", expected_version=version)
            assert released.is_set()  # the write really waited for the lock
        finally:
            timer.join()
    assert engine.get_area(area, actor="mia").version == version + 1
    assert engine.verify().ok
