#!/usr/bin/env python
"""Core benchmarks of regsam-flow, printed as one readable report.

    .venv/bin/python benchmarks/bench_core.py            # full run (< 2 min)
    .venv/bin/python benchmarks/bench_core.py --quick    # small N: does it run?
    .venv/bin/python benchmarks/bench_core.py --profile  # plus cProfile of each part
    .venv/bin/python benchmarks/bench_core.py --pg URL   # plus the transition on PostgreSQL

1. A transition through :class:`regsam_flow.Engine` (role check, guards,
   audit entry, commit) next to its floor: the very statements the engine
   sent for it (captured on a copy of the database), replayed through the
   stdlib ``sqlite3`` module in one transaction on another copy; and next to
   the same reads and writes written by hand in SQLAlchemy Core.  Run
   interleaved, compared by median wall and CPU time.  With ``--pg`` (or
   ``REGSAM_FLOW_BENCH_PG_URL``) the same on PostgreSQL against psycopg.
2. ``Engine.status`` and ``Engine.why`` for an area whose phase has 50 tasks.
3. ``Engine.verify`` over 100 000 audit entries next to stdlib ``sqlite3``
   reading the same rows (the floor), its time split into reading, building
   the canonical texts, hashing and the rest; ``verify --from`` a head 1 %
   before the end; peak memory.

Targets are printed next to the results as PASS / MISS (``--summary FILE``
appends them as JSON lines, see ``benchmarks/targets.py``).  A miss is a
finding, not a failure: the script always exits 0 unless it crashes.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import platform
import pstats
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy import Engine as SAEngine
from sqlalchemy import and_, event, insert, select, update

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.targets import Target, write_summary
from regsam_flow import Engine
from regsam_flow import audit as audit_mod
from regsam_flow.model import AuditEntry
from regsam_flow.persistence import schema as s
from regsam_flow.persistence.audit_batches import VERIFY_BATCH
from regsam_flow.persistence.database import WRITE_OPTION, create_db_engine

TARGET_FIRE_WALL = 1.3
TARGET_FIRE_CPU = 2.0
TARGET_VERIFY_PER_S = 200_000

# --------------------------------------------------------------------------
# workflows used only here

PINGPONG_YAML = """\
name: bench_pingpong
version: 1
title: Benchmark ping/pong
roles: [moderation, social_planning, steering]
initial: ping
states:
  - id: ping
    title: Ping
    tasks:
      - {id: ping_note, title: Ping noted, roles: [moderation]}
  - id: pong
    title: Pong
    tasks:
      - {id: pong_note, title: Pong noted, roles: [moderation]}
transitions:
  - {trigger: pong, source: ping, dest: pong, roles: [moderation], guards: [required_tasks_done]}
  - {trigger: ping, source: pong, dest: ping, roles: [moderation], guards: [required_tasks_done]}
"""

# what the baseline needs to know of that workflow:
# trigger -> (source, dest, roles, required tasks of source, tasks of dest)
PINGPONG = {
    "pong": ("ping", "pong", {"moderation"}, (), ("pong_note",)),
    "ping": ("pong", "ping", {"moderation"}, (), ("ping_note",)),
}

N_TASKS = 50
REQUIRED_EVERY = 3  # t03, t06, ... are required (16 of 50)
DONE_TASKS = ("t01", "t04", "t06", "t09", "t12")  # a few done, three of them required
TASK_ROLES = ("moderation", "social_planning", "steering", "provider")


def fifty_yaml() -> str:
    lines = [
        "name: bench_fifty",
        "version: 1",
        "title: Benchmark 50 tasks",
        "roles: [moderation, social_planning, steering, provider, sbh]",
        "initial: sammeln",
        "states:",
        "  - id: sammeln",
        "    title: Sammeln",
        "    tasks:",
    ]
    for i in range(1, N_TASKS + 1):
        role = TASK_ROLES[i % len(TASK_ROLES)]
        req = "true" if i % REQUIRED_EVERY == 0 else "false"
        lines.append(
            f"      - {{id: t{i:02d}, title: Aufgabe Nummer {i} erledigt, "
            f"roles: [{role}], required: {req}}}"
        )
    lines += [
        "  - id: pruefen",
        "    title: Pruefen",
        "    tasks:",
        "      - {id: p01, title: Geprueft, roles: [moderation], required: true}",
        "  - id: fertig",
        "    title: Fertig",
        "    final: true",
        "  - id: abgebrochen",
        "    title: Abgebrochen",
        "    final: true",
        "transitions:",
        "  - {trigger: weiter, source: sammeln, dest: pruefen, roles: [moderation],",
        "     guards: [required_tasks_done, agreement_signed], advance: true}",
        "  - {trigger: freigabe, source: sammeln, dest: pruefen,",
        "     roles: [moderation, social_planning], approvals: [moderation, social_planning],",
        "     guards: [required_tasks_done]}",
        "  - {trigger: abbrechen, source: [sammeln, pruefen], dest: abgebrochen,",
        "     roles: [moderation], reason_required: true}",
        "  - {trigger: abschliessen, source: pruefen, dest: fertig, roles: [moderation],",
        "     guards: [required_tasks_done], advance: true}",
    ]
    return "\n".join(lines) + "\n"


AGREEMENT: dict[str, Any] = {
    "topic": "Nachbarschaftskonflikte, aeltere Menschen",
    "scope": "Hasenbergl-Nord zwischen Duelferstrasse und Stanigplatz",
    "reasons": "Monitoring: 9 von 13 Werten 30 % ueber dem Mittel",
    "partners": "Baureferat, Schulreferat, Sportverein",
    "terms": "KG tagt monatlich",
    "duration": "2 Jahre",
    "start": date(2027, 1, 15),
    "review": date(2027, 7, 15),
}

PEOPLE = {
    "mia": ("Mia Moderatorin", "moderation"),
    "sven": ("Sven Sozialplanung", "social_planning"),
    "stella": ("Stella Steuerung", "steering"),
}

# --------------------------------------------------------------------------
# small helpers


def median_us(ns: list[int]) -> float:
    return statistics.median(ns) / 1000.0


def pct_us(ns: list[int], q: float) -> float:
    xs = sorted(ns)
    return xs[min(len(xs) - 1, int(q * len(xs)))] / 1000.0


def mark(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def norm_sql(stmt: str) -> str:
    return " ".join(stmt.split())


def short_sql(stmt: str, width: int = 92) -> str:
    text = norm_sql(stmt)
    text = re.sub(r"SELECT (.{40}).*? FROM", r"SELECT \1... FROM", text)
    return text if len(text) <= width else text[: width - 3] + "..."


@contextmanager
def capture_sql(*engines: SAEngine) -> Iterator[list[str]]:
    """Every statement sent to the cursor (BEGIN included; COMMIT is a DBAPI
    call, not a statement, and is counted separately)."""
    out: list[str] = []

    def on_exec(_c: Any, _cur: Any, stmt: str, *_a: Any) -> None:
        out.append(stmt)

    def on_commit(_c: Any) -> None:
        out.append("COMMIT")

    for e in engines:
        event.listen(e, "before_cursor_execute", on_exec)
        event.listen(e, "commit", on_commit)
    try:
        yield out
    finally:
        for e in engines:
            event.remove(e, "before_cursor_execute", on_exec)
            event.remove(e, "commit", on_commit)


def sa_of(eng: Engine) -> SAEngine:
    """The SQLAlchemy engine under an :class:`Engine` on the SQL store."""
    sa: SAEngine = getattr(eng.store, "engine")  # noqa: B009  (Store port has no .engine)
    return sa


def repeat_op(fn: Callable[[], Any], times: int) -> Callable[[], None]:
    def run() -> None:
        for _ in range(times):
            fn()

    return run


def fs_type(path: Path) -> str:
    try:
        out = subprocess.run(
            ["df", "-T", str(path)], capture_output=True, text=True, check=False, timeout=5
        ).stdout.splitlines()
        parts = out[-1].split()
        return f"{parts[1]} ({parts[0]})"
    except Exception:
        return "unknown"


def _short_paths(text: str) -> str:
    for prefix in sorted({p for p in sys.path if p and len(p) > 1}, key=len, reverse=True):
        text = text.replace(prefix.rstrip("/") + "/", "")
    return text.replace(str(Path(__file__).resolve().parent.parent) + "/", "")


def profile_block(title: str, fn: Callable[[], Any], top: int = 22) -> None:
    """cProfile tables: hottest functions overall, and the project's own
    functions (engine, store, audit, machine) by cumulative time."""
    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    for key, restrict, label in (
        ("tottime", (top,), "all functions, by own time"),
        ("cumulative", (r"regsam_flow|persistence|machine", top + 8), "project code, cumulative"),
    ):
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats(key).print_stats(*restrict)
        text = buf.getvalue()
        start = text.find("   ncalls")
        print(f"\n  --- cProfile: {title}: {label} ---")
        print(_short_paths(text[start:] if start >= 0 else text).rstrip())


# --------------------------------------------------------------------------
# setup


def write_workflows(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bench_pingpong.yaml").write_text(PINGPONG_YAML, encoding="utf-8")
    (folder / "bench_fifty.yaml").write_text(fifty_yaml(), encoding="utf-8")


def new_engine(url: str, wf_dir: Path) -> Engine:
    e = Engine(url, workflow_dirs=[wf_dir])
    e.init("root", name="Root Admin", email="root@regsam.example")
    for path in sorted(wf_dir.glob("*.yaml")):  # areas run on deployed definitions
        e.deploy_workflow(path, actor="root")
    for pid, (name, _role) in PEOPLE.items():
        e.add_person(pid, actor="root", name=name, email=f"{pid}@regsam.example")
    return e


def prepare_pingpong(url: str, wf_dir: Path) -> Engine:
    """Area 'pp' in ping: three people assigned, a signed agreement, a task
    row for both tasks (both open), a few transitions in the log already."""
    e = new_engine(url, wf_dir)
    e.create_area("pp", actor="root", name="Ping Pong", workflow="bench_pingpong")
    for pid, (_n, role) in PEOPLE.items():
        e.assign("pp", role, pid, actor="root")
    e.set_agreement("pp", actor="mia", **AGREEMENT)
    e.sign_agreement("pp", actor="mia")
    e.sign_agreement("pp", actor="sven")
    e.report_task("pp", "ping_note", actor="mia")
    e.fire("pp", "pong", actor="mia")
    e.report_task("pp", "pong_note", actor="mia")
    e.fire("pp", "ping", actor="mia")  # reopens ping_note
    e.fire("pp", "pong", actor="mia")  # reopens pong_note
    e.fire("pp", "ping", actor="mia")
    return e


def prepare_fifty(db: Path, wf_dir: Path) -> Engine:
    e = new_engine(f"sqlite:///{db}", wf_dir)
    e.create_area("f1", actor="root", name="Fuenfzig Aufgaben", workflow="bench_fifty")
    for pid, (_n, role) in PEOPLE.items():
        e.assign("f1", role, pid, actor="root")
    e.set_agreement("f1", actor="mia", **AGREEMENT)
    e.sign_agreement("f1", actor="mia")  # social planning has not signed: a blocker
    wf = e.workflows.get("bench_fifty")
    by_role = {"moderation": "mia", "social_planning": "sven", "steering": "stella"}
    for task_id in DONE_TASKS:
        _phase, task = wf.task(task_id)
        who = next(by_role[r] for r in task.roles if r in by_role)
        e.report_task("f1", task_id, actor=who, note=f"erledigt: {task_id}")
    return e


# --------------------------------------------------------------------------
# 1. transition: engine vs the stdlib driver sending the same statements

#: One statement as the driver got it (SQL in the driver's parameter style and
#: its parameters); ("COMMIT", None) stands for the DBAPI commit.
Sent = tuple[str, Any]


@contextmanager
def record_sql(sa: SAEngine) -> Iterator[list[Sent]]:
    """Every statement ``sa`` hands its driver, with its parameters."""
    out: list[Sent] = []

    def on_exec(_c: Any, _cur: Any, stmt: str, params: Any, *_a: Any) -> None:
        out.append((stmt, params))

    def on_commit(_c: Any) -> None:
        out.append(("COMMIT", None))

    event.listen(sa, "before_cursor_execute", on_exec)
    event.listen(sa, "commit", on_commit)
    try:
        yield out
    finally:
        event.remove(sa, "before_cursor_execute", on_exec)
        event.remove(sa, "commit", on_commit)


class EngineSide:
    name = "engine"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.state = engine.get_area("pp", actor="mia").state
        self.wall: list[int] = []
        self.cpu: list[int] = []

    def op(self) -> None:
        trigger = "pong" if self.state == "ping" else "ping"
        self.state = self.engine.fire("pp", trigger, actor="mia").to_state

    def step(self) -> None:
        c0 = time.process_time_ns()
        w0 = time.perf_counter_ns()
        self.op()
        w1 = time.perf_counter_ns()
        c1 = time.process_time_ns()
        self.wall.append(w1 - w0)
        self.cpu.append(c1 - c0)


def record_transitions(eng: Engine, count: int) -> list[list[Sent]]:
    """What the engine sends for each of ``count`` transitions (on its own
    database: the sides measured run without a listener)."""
    side = EngineSide(eng)
    sa = sa_of(eng)
    ops = []
    for _ in range(count):
        with record_sql(sa) as sent:
            side.op()
        ops.append(sent)
    return ops


class FloorSide(EngineSide):
    """The floor: the statements the engine sent for the same transition,
    replayed through the stdlib driver alone in one transaction (rows
    fetched, as the engine fetches them), on an identically prepared
    database, so that its rows change exactly as the engine's do."""

    def __init__(self, name: str, con: Any, ops: list[list[Sent]], sqlite: bool) -> None:
        self.name = name
        self.con = con
        self.ops = iter(ops)
        self.sqlite = sqlite
        self.wall = []
        self.cpu = []

    def op(self) -> None:
        cur = self.con.cursor()
        for stmt, params in next(self.ops):
            if stmt == "COMMIT":
                if self.sqlite:
                    cur.execute("COMMIT")  # the connection is in autocommit: BEGIN was sent
                else:
                    self.con.commit()
                continue
            cur.execute(stmt, params if params is not None else ())
            if cur.description is not None:
                cur.fetchall()
        cur.close()


def sqlite_floor(db: Path, ops: list[list[Sent]]) -> FloorSide:
    """A stdlib ``sqlite3`` connection set up as ``create_db_engine`` sets up
    its own (WAL, synchronous=FULL, foreign keys, BEGIN sent by hand)."""
    con = sqlite3.connect(db, timeout=30.0, isolation_level=None, check_same_thread=False)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
        con.execute(f"PRAGMA {pragma}").fetchall()
    return FloorSide("sqlite3", con, ops, sqlite=True)


class BaselineSide(EngineSide):
    """The same reads and writes as Engine.fire, written by hand with
    SQLAlchemy Core constructs (one read per table, as the engine once did)."""

    name = "raw Core"

    def __init__(self, db: Path) -> None:
        self.db = create_db_engine(f"sqlite:///{db}")
        with self.db.connect() as conn:
            self.state = conn.execute(select(s.areas.c.state).where(s.areas.c.id == "pp")).scalar()
            conn.rollback()
        self.wall = []
        self.cpu = []

    def op(self) -> None:
        trigger = "pong" if self.state == "ping" else "ping"
        self.state = self.fire("pp", trigger, "mia")

    def fire(self, area_id: str, trigger: str, actor: str) -> str:
        p, ar, a, ap, g, sg, t = (
            s.people,
            s.areas,
            s.assignments,
            s.approvals,
            s.agreements,
            s.signatures,
            s.tasks,
        )
        src, dest, t_roles, required, dest_tasks = PINGPONG[trigger]
        with self.db.connect() as c0:
            conn = c0.execution_options(**{WRITE_OPTION: True})
            with conn.begin():  # BEGIN IMMEDIATE via create_db_engine's hook
                if conn.execute(select(p).where(p.c.id == actor)).first() is None:
                    raise RuntimeError("unknown person")
                area = conn.execute(select(ar).where(ar.c.id == area_id)).first()
                assert area is not None
                assigned = conn.execute(
                    select(a.c.role, a.c.person_id)
                    .where(a.c.area_id == area_id)
                    .order_by(a.c.role, a.c.person_id)
                ).all()
                roles = {r for r, who in assigned if who == actor}
                if area.state != src or not roles & t_roles:
                    raise RuntimeError("not allowed")
                conn.execute(
                    select(ap.c.trigger, ap.c.role, ap.c.person_id).where(
                        and_(ap.c.area_id == area_id, ap.c.round == area.round)
                    )
                ).all()
                ag = conn.execute(
                    select(g).where(g.c.area_id == area_id).order_by(g.c.version.desc()).limit(1)
                ).first()
                if ag is not None:
                    conn.execute(
                        select(sg.c.role, sg.c.person_id).where(
                            and_(sg.c.area_id == area_id, sg.c.version == ag.version)
                        )
                    ).all()
                task_rows = {
                    r.task_id: r for r in conn.execute(select(t).where(t.c.area_id == area_id))
                }
                for task_id in required:
                    row = task_rows.get(task_id)
                    if row is None or not row.done:
                        raise RuntimeError("blocked")
                now = audit_mod.format_ts(datetime.now(timezone.utc))
                for task_id in dest_tasks:
                    row = task_rows.get(task_id)
                    if row is not None and row.done:
                        conn.execute(
                            update(t)
                            .where(and_(t.c.area_id == area_id, t.c.task_id == task_id))
                            .values(done=False, done_by=None, done_at=None, note="")
                        )
                res = conn.execute(
                    update(ar)
                    .where(and_(ar.c.id == area_id, ar.c.version == area.version))
                    .values(
                        state=dest, round=area.round + 1, version=area.version + 1, updated_at=now
                    )
                )
                if res.rowcount != 1:
                    raise RuntimeError("conflict")
                h = s.audit_head
                seq, prev = conn.execute(
                    select(h.c.seq, h.c.hash).where(h.c.id == 1).with_for_update()
                ).one()
                details = json.dumps(
                    {"round": area.round + 1}, sort_keys=True, separators=(",", ":")
                )
                seq += 1
                digest = audit_mod.entry_hash(
                    prev, seq, now, actor, "moderation", area_id, "transition", trigger,
                    src, dest, "", details,
                )  # fmt: skip
                conn.execute(
                    insert(s.audit_log).values(
                        seq=seq,
                        at=now,
                        actor=actor,
                        role="moderation",
                        area=area_id,
                        action="transition",
                        trigger=trigger,
                        from_state=src,
                        to_state=dest,
                        reason="",
                        details=details,
                        hash=digest,
                    )
                )
                conn.execute(update(h).where(h.c.id == 1).values(seq=seq, hash=digest))
        return dest


def interleave(sides: tuple[EngineSide, ...], n: int) -> float:
    """``n`` rounds, each side once per round in rotating order; seconds taken."""
    k = len(sides)
    orders = [sides[i:] + sides[:i] for i in range(k)]
    orders += [tuple(reversed(o)) for o in orders]
    for side in sides:
        side.wall.clear()
        side.cpu.clear()
    gc.collect()
    t0 = time.perf_counter()
    for i in range(n):
        for side in orders[i % len(orders)]:
            side.step()
    return time.perf_counter() - t0


def print_sides(sides: tuple[EngineSide, ...], n: int, elapsed: float) -> None:
    print(f"\n  {n} transitions per side, interleaved in rotating order ({elapsed:.1f} s)")
    print(f"  {'':16}{'median':>9}{'p10':>9}{'p90':>9}{'CPU median':>12}{'wall-CPU':>10}")
    for side in sides:
        m, cp = median_us(side.wall), median_us(side.cpu)
        print(
            f"  {side.name:16}{m:>7.0f}us{pct_us(side.wall, 0.1):>7.0f}us"
            f"{pct_us(side.wall, 0.9):>7.0f}us{cp:>10.0f}us{max(m - cp, 0):>8.0f}us"
        )


def compare(a: EngineSide, b: EngineSide) -> tuple[float, float]:
    """Print and return a / b: median wall, median CPU (and the paired ratio)."""
    wall = median_us(a.wall) / median_us(b.wall)
    cpu = median_us(a.cpu) / median_us(b.cpu)
    paired = statistics.median(x / y for x, y in zip(a.wall, b.wall, strict=True))
    print(
        f"  {a.name} / {b.name}: wall {wall:.2f}x, CPU {cpu:.2f}x "
        f"(median of the per-round ratios {paired:.2f}x; "
        f"+{median_us(a.cpu) - median_us(b.cpu):.0f} us CPU per transition)"
    )
    return wall, cpu


def print_statements(ops: list[list[Sent]]) -> None:
    first = ops[0]
    same = all([s for s, _p in op] == [s for s, _p in first] for op in ops)
    print(
        f"  the engine sends {len(first)} statements per transition (BEGIN and COMMIT included"
        f" where sent){'' if same else '; NOT the same ones every time'}:"
    )
    for stmt, _params in first:
        print(f"    {short_sql(stmt)}")


def fire_targets(
    where: str, key: str, engine: EngineSide, floor: EngineSide, wall: float, cpu: float
) -> list[Target]:
    detail = (
        f"{median_us(engine.wall):.0f} us vs {median_us(floor.wall):.0f} us wall, "
        f"{median_us(engine.cpu):.0f} us vs {median_us(floor.cpu):.0f} us CPU"
    )
    title = f"transition on {where}: Engine.fire / {floor.name} sending the same statements"
    return [
        Target(f"transition_wall_{key}", title + ", wall", wall, TARGET_FIRE_WALL,
               detail=detail),
        Target(f"transition_cpu_{key}", title + ", CPU", cpu, TARGET_FIRE_CPU,
               detail=detail),
    ]  # fmt: skip


def check_chains(urls: dict[str, str], wf_dir: Path, same: tuple[str, str]) -> None:
    """Verify each side's audit chain; the floor must end on the head of the
    engine whose statements it replayed (it did exactly what the engine did)."""
    heads = {}
    for name, url in urls.items():
        check = Engine(url, workflow_dirs=[wf_dir])
        res = check.verify()
        heads[name] = check.head()
        check.close()
        if not res.ok:
            print(f"  WARNING: {name}: the audit chain does not verify: {res.problem}")
    a, b = same
    if heads[a] != heads[b]:
        print(f"  WARNING: {b} ended on another audit head than the engine it replayed")
    else:
        print(f"  audit chains verify; {b} ended on the head of the recorded engine: like for like")


def bench_fire(tmp: Path, wf_dir: Path, n: int, warmup: int, profile: bool) -> list[Target]:
    print("\n1. Transition on SQLite: Engine.fire vs stdlib sqlite3 sending the same statements")
    print("-" * 78)
    base = tmp / "fire_base.db"
    prepare_pingpong(f"sqlite:///{base}", wf_dir).close()  # closing checkpoints the WAL
    files = {k: tmp / f"fire_{k}.db" for k in ("engine", "recorded", "sqlite3", "core")}
    for path in files.values():
        shutil.copyfile(base, path)
    rec = Engine(f"sqlite:///{files['recorded']}", workflow_dirs=[wf_dir])
    ops = record_transitions(rec, warmup + n)
    rec.close()
    print_statements(ops)

    a = EngineSide(Engine(f"sqlite:///{files['engine']}", workflow_dirs=[wf_dir]))
    f = sqlite_floor(files["sqlite3"], ops)
    b = BaselineSide(files["core"])
    for _ in range(warmup):
        for side in (a, f, b):
            side.op()
    sides: tuple[EngineSide, ...] = (a, f, b)
    print_sides(sides, n, interleave(sides, n))
    wall, cpu = compare(a, f)
    print(
        f"  targets: wall <= {TARGET_FIRE_WALL}x {mark(wall <= TARGET_FIRE_WALL)}, "
        f"CPU <= {TARGET_FIRE_CPU}x {mark(cpu <= TARGET_FIRE_CPU)}"
    )
    compare(a, b)
    compare(b, f)
    print("  wall-CPU: time not on the CPU, mostly waiting for the fsync of COMMIT (WAL, FULL)")
    f.con.close()
    check_chains(
        {k: f"sqlite:///{p}" for k, p in files.items()}, wf_dir, same=("recorded", "sqlite3")
    )
    if profile:
        profile_block("200 x Engine.fire", repeat_op(a.op, 200))
        profile_block("200 x raw Core transition", repeat_op(b.op, 200), top=12)
    a.engine.close()
    b.db.dispose()
    return fire_targets("SQLite", "sqlite", a, f, wall, cpu)


def bench_fire_pg(url: str, wf_dir: Path, n: int, warmup: int) -> list[Target]:
    """The same on PostgreSQL: Engine.fire vs psycopg sending the same
    statements, each on its own copy (CREATE DATABASE ... TEMPLATE) of one
    prepared database; the copies are dropped at the end."""
    import psycopg
    from sqlalchemy.engine import make_url

    print("\n1b. Transition on PostgreSQL: Engine.fire vs psycopg sending the same statements")
    print("-" * 78)
    server = make_url(url)
    print(f"  server {server.render_as_string(hide_password=True)}")

    def url_of(name: str) -> str:
        return server.set(database=name).render_as_string(hide_password=False)

    def conninfo(name: str) -> str:
        plain = server.set(drivername="postgresql", database=name)
        return plain.render_as_string(hide_password=False)

    prefix = f"regsam_bench_{os.getpid()}_"
    names = {k: prefix + k for k in ("base", "engine", "recorded", "psycopg")}
    admin = psycopg.connect(conninfo(server.database or "postgres"), autocommit=True)
    engines: list[Engine] = []
    con = None
    try:
        admin.execute(f'CREATE DATABASE "{names["base"]}"')
        prepare_pingpong(url_of(names["base"]), wf_dir).close()
        for k in ("engine", "recorded", "psycopg"):
            admin.execute(f'CREATE DATABASE "{names[k]}" TEMPLATE "{names["base"]}"')
        rec = Engine(url_of(names["recorded"]), workflow_dirs=[wf_dir])
        engines.append(rec)
        ops = record_transitions(rec, warmup + n)
        print_statements(ops)
        eng = Engine(url_of(names["engine"]), workflow_dirs=[wf_dir])
        engines.append(eng)
        a = EngineSide(eng)
        con = psycopg.connect(conninfo(names["psycopg"]))
        f = FloorSide("psycopg", con, ops, sqlite=False)
        for _ in range(warmup):
            a.op()
            f.op()
        sides: tuple[EngineSide, ...] = (a, f)
        print_sides(sides, n, interleave(sides, n))
        wall, cpu = compare(a, f)
        print(
            f"  targets: wall <= {TARGET_FIRE_WALL}x {mark(wall <= TARGET_FIRE_WALL)}, "
            f"CPU <= {TARGET_FIRE_CPU}x {mark(cpu <= TARGET_FIRE_CPU)}"
        )
        print("  CPU: this process only (the server's work is in the wall time of both)")
        con.close()
        con = None
        for e in engines:
            e.close()
        engines = []
        check_chains(
            {k: url_of(names[k]) for k in ("engine", "recorded", "psycopg")},
            wf_dir,
            same=("recorded", "psycopg"),
        )
        return fire_targets("PostgreSQL", "pg", a, f, wall, cpu)
    finally:
        if con is not None:
            con.close()
        for e in engines:
            e.close()
        for name in names.values():
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


# --------------------------------------------------------------------------
# 2. status / why with 50 tasks


def bench_status(tmp: Path, wf_dir: Path, n: int, profile: bool) -> None:
    print(f"\n2. Engine.status / Engine.why for an area with {N_TASKS} tasks in its phase")
    print("-" * 78)
    eng = prepare_fifty(tmp / "status.db", wf_dir)
    st = eng.status("f1", actor="mia")
    in_phase = [r for r in st.tasks if r.phase == st.area.state]
    blockers = sum(len(x.blockers) for x in st.next)
    print(
        f"  phase '{st.area.state}': {len(in_phase)} tasks, "
        f"{sum(r.required for r in in_phase)} required, "
        f"{sum(r.done for r in in_phase)} done; {len(st.next)} next steps with "
        f"{blockers} blockers in all"
    )
    for _ in range(10):
        eng.status("f1", actor="mia")
        eng.why("f1", actor="mia")
    sa = sa_of(eng)
    for label, call in (
        ("status", lambda: eng.status("f1", actor="mia")),
        ("why", lambda: eng.why("f1", actor="mia")),
    ):
        with capture_sql(sa) as sql:
            call()
        c = Counter(map(norm_sql, sql))
        dup = {k: v for k, v in c.items() if v > 1}
        print(f"  {label}: {len(sql)} statements (BEGIN ... COMMIT included)")
        for stmt, k in dup.items():
            print(f"    issued {k}x: {short_sql(stmt)}")

    times: dict[str, list[int]] = {"status": [], "why": []}
    gc.collect()
    for i in range(n):
        order = ("status", "why") if i % 2 == 0 else ("why", "status")
        for which in order:
            w0 = time.perf_counter_ns()
            if which == "status":
                eng.status("f1", actor="mia")
            else:
                eng.why("f1", actor="mia")
            times[which].append(time.perf_counter_ns() - w0)
    for which in ("status", "why"):
        ns = times[which]
        print(
            f"  Engine.{which + '(...)':12} median {median_us(ns) / 1000:6.3f} ms"
            f"   p90 {pct_us(ns, 0.9) / 1000:6.3f} ms   ({n} calls; no target set)"
        )
    if profile:
        profile_block("200 x Engine.status", repeat_op(lambda: eng.status("f1", actor="mia"), 200))
    eng.close()


# --------------------------------------------------------------------------
# 3. audit verification


_TEMPLATES: list[dict[str, Any]] = [
    {"action": "transition", "role": "moderation", "trigger": "weiter",
     "from_state": "vorlauf", "to_state": "diagnose", "details": {"round": 3}},
    {"action": "task_reported", "role": "social_planning",
     "details": {"task": "datenmaterial", "note": "Monitoringdaten 2026 eingestellt"}},
    {"action": "assigned", "role": "admin", "details": {"role": "provider", "person": "tom"}},
    {"action": "approval", "role": "moderation", "trigger": "abschluss",
     "from_state": "auswertung",
     "details": {"missing": ["social_planning"], "given": ["moderation"]}},
    {"action": "agreement_signed", "role": "social_planning", "details": {"version": 2}},
    {"action": "task_reopened", "role": "moderation", "reason": "Protokoll fehlt noch",
     "details": {"task": "bedarfsanalyse"}},
    {"action": "agreement_changed", "role": "moderation",
     "details": {"version": 3, "changed": ["terms"], "fields": {"topic": "Nachbarschaft",
                 "terms": "KG tagt monatlich", "duration": "2 Jahre"}, "voided_signatures": []}},
]  # fmt: skip


def build_log(eng: Engine, total: int) -> float:
    """Append entries with correctly chained hashes until the log holds
    ``total``; returns seconds taken."""
    t0 = time.perf_counter()
    sa = sa_of(eng)
    with sa.connect() as c0:
        conn = c0.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            h = s.audit_head
            seq, prev = conn.execute(select(h.c.seq, h.c.hash).where(h.c.id == 1)).one()
            base = datetime(2027, 1, 1, 6, 0, tzinfo=timezone.utc)
            actors = ("mia", "sven", "stella", "root")
            batch: list[dict[str, Any]] = []
            while seq < total:
                i = seq
                tpl = _TEMPLATES[i % len(_TEMPLATES)]
                e = audit_mod.make_entry(
                    seq,
                    prev,
                    at=base + timedelta(seconds=37 * i, microseconds=i % 1000),
                    actor=actors[i % len(actors)],
                    area=f"gebiet-{i % 40:02d}",
                    **tpl,
                )
                batch.append({c: getattr(e, c) for c in AuditEntry.__dataclass_fields__})
                seq, prev = e.seq, e.hash
                if len(batch) >= 10_000:
                    conn.execute(insert(s.audit_log), batch)
                    batch = []
            if batch:
                conn.execute(insert(s.audit_log), batch)
            conn.execute(update(h).where(h.c.id == 1).values(seq=seq, hash=prev))
    return time.perf_counter() - t0


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Fastest of ``repeat`` runs (other load only ever adds time), and the result."""
    times, result = [], None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


_AUDIT_COLS = ", ".join(AuditEntry.__dataclass_fields__)
#: stdlib sqlite3 reading every row of the log, all twelve columns (the floor).
_READ_ALL = f"SELECT {_AUDIT_COLS} FROM audit_log ORDER BY seq"
#: the database stepping through the batches verify reads, touching every
#: column of every row but building nothing (verify's "read" part).
_READ_BATCH = (
    f"SELECT count(*), max(seq), {', '.join(f'max({c})' for c in AuditEntry.__dataclass_fields__)}"
    " FROM audit_log WHERE seq > ? AND seq <= ?"
)


def _peak_mib(fn: Callable[[], Any]) -> float:
    """Peak Python memory (tracemalloc) while ``fn`` runs, in MiB."""
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def bench_verify(
    tmp: Path,
    wf_dir: Path,
    total: int,
    repeat: int,
    profile: bool,
    summary: Path | None = None,
) -> dict[str, Any]:
    """``Engine.verify`` against stdlib sqlite3 reading the same rows (the
    floor), its time split into parts that add up, incremental verification
    of the last 1 %, and the peak memory.  Returns the rate and the target."""
    try:
        from benchmarks.targets import Target, write_summary
    except ImportError:  # run as a script: benchmarks/ is on sys.path
        from targets import Target, write_summary  # type: ignore[no-redef]

    print(f"\n3. Audit verification over {total:,} entries".replace(",", " "))
    print("-" * 78)
    db = tmp / "verify.db"
    eng = Engine(f"sqlite:///{db}", workflow_dirs=[wf_dir])
    eng.init("root", name="Root Admin", email="root@regsam.example")
    built = build_log(eng, total)
    size = sum(f.stat().st_size for f in tmp.glob("verify.db*")) / 1e6
    print(f"  built in {built:.1f} s (make_entry + bulk insert); database + WAL {size:.0f} MB")

    con = sqlite3.connect(db)  # stdlib sqlite3, kept open: a warm page cache, like verify's

    def sqlite3_read() -> int:
        n = 0
        cur = con.execute(_READ_ALL)
        while rows := cur.fetchmany(5000):
            n += len(rows)
        return n

    def batch_read() -> int:
        n, after = 0, 0
        while True:
            count, last, *_cols = con.execute(_READ_BATCH, (after, after + VERIFY_BATCH)).fetchone()
            if not count:
                return n
            n, after = n + count, last

    def batches() -> list[Any]:
        with eng.store.read() as uow:
            return list(uow.iter_audit_batches())

    def walk() -> Any:
        with eng.store.read() as uow:
            return audit_mod.check_chain(uow.iter_audit_rows())[0]

    fetched = batches()
    last_pct = max(1, total // 100)
    trusted_seq = total - last_pct
    with eng.store.read() as uow:
        trusted = f"{trusted_seq}:{next(iter(uow.iter_audit_rows(after=trusted_seq - 1)))[11]}"

    # round-robin, fastest run of each: load from other processes only adds time
    parts: dict[str, Callable[[], Any]] = {
        "verify": eng.verify,
        "sqlite3": sqlite3_read,
        "read": batch_read,
        "batches": lambda: sum(b.count for b in batches()),
        "hash": lambda: audit_mod.check_batches(fetched),
        "since": lambda: eng.verify(since=trusted),
        "walk": walk,
    }
    runs: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    results: dict[str, Any] = {}
    for _ in range(repeat):
        for key, fn in parts.items():
            gc.collect()
            c0, w0 = time.process_time(), time.perf_counter()
            results[key] = fn()
            runs.setdefault(key, []).append(time.perf_counter() - w0)
            cpu.setdefault(key, []).append(time.process_time() - c0)
    t = {k: min(v) for k, v in runs.items()}
    c = {k: min(v) for k, v in cpu.items()}
    res, inc = results["verify"], results["since"]
    ok = (
        res.ok
        and res.entries == total
        and inc.ok
        and results["sqlite3"] == total
        and results["hash"] == (total, res.head)
        and results["walk"].ok
    )
    if not ok:
        print(f"  WARNING: verify says ok={res.ok} entries={res.entries}: {res.problem}")

    def num(x: float) -> str:
        return f"{x:,.0f}".replace(",", " ")

    def line(label: str, key: str, n: int = total) -> None:
        print(f"  {label:46}{t[key] * 1000:7.0f} ms{c[key] * 1000:7.0f} ms{num(n / t[key]):>11}/s")

    def part(label: str, secs: float) -> None:
        print(f"  {label:53}{secs * 1000:7.0f} ms{secs / c['verify'] * 100:>6.0f}%")

    head = f"(best of {repeat} runs each)"
    print(f"  {head:46}{'wall':>10}{'CPU':>10}{'entries/s':>13}")
    line("Engine.verify()", "verify")
    line("floor: stdlib sqlite3 reads the same rows", "sqlite3")
    line("row by row (check_chain; the path on damage)", "walk")
    line(f"verify --from the head at {num(trusted_seq)} (last 1 %)", "since", last_pct)
    # CPU time adds up even where verify overlaps reading and hashing (two threads)
    build = max(c["batches"] - c["read"], 0.0)
    rest = c["verify"] - c["read"] - build - c["hash"]
    print("  where verify's CPU time goes (the parts add up to 100 %):")
    part("  read: the database steps through every row", c["read"])
    part("  canonical texts built by the database", build)
    part("  hash and compare (check_batches)", c["hash"])
    part("  rest (thread hand-over, transaction, head, engine)", rest)
    ratio = t["sqlite3"] / t["verify"]
    cpu_ratio = min(cpu["sqlite3"]) / min(cpu["verify"])
    peak = _peak_mib(eng.verify)
    print(
        f"  peak Python memory during verify: {peak:.1f} MiB "
        f"(tracemalloc; batches of {VERIFY_BATCH})"
    )
    print(
        f"  verify --from: {t['since'] / t['verify'] * 100:.1f} % of a full verify "
        f"({num(total)} entries, {last_pct} new)"
    )
    target = Target(
        key="verify_rate_vs_sqlite3",
        title="audit verify rate / stdlib sqlite3 reading the same rows",
        ratio=ratio,
        limit=0.8,
        higher_is_better=True,
        detail=f"{num(total / t['verify'])}/s vs {num(total / t['sqlite3'])}/s over "
        f"{num(total)} entries (CPU time ratio {cpu_ratio:.2f}); peak {peak:.1f} MiB",
    )
    print(f"  {target.line()}" + ("" if ok else "   (INVALID: chain did not verify)"))
    print(f"  (CPU time ratio {cpu_ratio:.2f}x)")
    if profile:
        profile_block("Engine.verify()", eng.verify, top=16)
    con.close()
    eng.close()
    write_summary(summary, [target])
    return {"rate": total / t["verify"], "targets": [target]}


# --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small N: check that it runs (~10 s)")
    ap.add_argument("-n", type=int, default=None, help="transitions per side (default 300)")
    ap.add_argument("--entries", type=int, default=None, help="audit entries (default 100000)")
    ap.add_argument("--profile", action="store_true", help="print cProfile tables too")
    ap.add_argument("--dir", type=Path, default=None, help="folder for the temp databases")
    ap.add_argument("--keep", action="store_true", help="keep the temp databases")
    ap.add_argument(
        "--pg",
        metavar="URL",
        default=os.environ.get("REGSAM_FLOW_BENCH_PG_URL"),
        help="also time the transition on this PostgreSQL server (it makes and drops "
        "databases there; default: $REGSAM_FLOW_BENCH_PG_URL)",
    )
    ap.add_argument(
        "--summary", metavar="FILE", type=Path, default=None, help="append the targets to FILE"
    )
    args = ap.parse_args(argv)

    n_fire = args.n or (30 if args.quick else 300)
    n_status = 20 if args.quick else 200
    entries = args.entries or (10_000 if args.quick else 100_000)
    repeat = 1 if args.quick else 5
    warmup = 5 if args.quick else 30

    tmp = Path(tempfile.mkdtemp(prefix="regsam-bench-", dir=args.dir))
    wf_dir = tmp / "workflows"
    write_workflows(wf_dir)
    started = time.perf_counter()
    print(
        "regsam-flow core benchmarks"
        + ("  (--quick: small N, numbers are rough)" if args.quick else "")
    )
    print("=" * 78)
    print(
        f"  Python {platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}, "
        f"SQLite {sqlite3.sqlite_version}, {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs"
    )
    print(f"  databases in {tmp} on {fs_type(tmp)}; WAL, synchronous=FULL")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    print(
        f"  load average {load:.2f}"
        + ("  (other work is running: expect noisy numbers)" if load > 0.5 else "")
    )
    targets: list[Target] = []
    try:
        targets += bench_fire(tmp, wf_dir, n_fire, warmup, args.profile)
        if args.pg:
            targets += bench_fire_pg(args.pg, wf_dir, n_fire, warmup)
        bench_status(tmp, wf_dir, n_status, args.profile)
        ver = bench_verify(
            tmp, wf_dir, entries, repeat, args.profile, getattr(args, "summary", None)
        )
    finally:
        if args.keep:
            print(f"\n  kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    print("\nSummary")
    print("-" * 78)
    for target in targets:
        print(f"  {target.line()}")
    print(
        f"  audit verify                {ver['rate']:,.0f}/s".replace(",", " ")
        + f"   target >= {TARGET_VERIFY_PER_S:,}/s".replace(",", " ")
        + f"   {mark(ver['rate'] >= TARGET_VERIFY_PER_S)}"
    )
    print(f"  total run time {time.perf_counter() - started:.0f} s (misses never fail this script)")
    write_summary(args.summary, targets)
    return 0


if __name__ == "__main__":
    sys.exit(main())
