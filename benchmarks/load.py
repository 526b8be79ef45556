"""Load test: many processes working on the same areas at once.

8 processes x 200 mixed operations (advances, task reports, agreement
changes and signatures, close approvals) on 20 areas, against one database.
Each process reads an area, picks an operation that fits what it saw, and
tries it with the version it read (as a person at the CLI would), so they
collide.  Every operation must end as one of: done, conflict (someone was
faster), blocked (a guard refused) -- nothing else, no "database is
locked".  Afterwards the audit chain must verify and the counts add up: each
done operation wrote exactly one audit entry and raised its area's version
by exactly one.

Run: ``.venv/bin/python benchmarks/load.py`` (SQLite in a temp folder, and
PostgreSQL when REGSAM_FLOW_TEST_PG_URL names a server, as `bash
.ci/postgres` prints).  tests/test_load.py runs the same on both in CI.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

__all__ = ["LoadReport", "prepare", "run_load"]

MODERATORS = [f"mod{i}" for i in range(4)]
PLANNERS = [f"sp{i}" for i in range(4)]
AGREEMENT = {
    "topic": "Ältere Menschen",
    "scope": "Viertel",
    "reasons": "Monitoring",
    "duration": "2 Jahre",
    "start": date(2027, 1, 15),
    "review": date(2027, 7, 15),
}


@dataclass
class LoadReport:
    outcomes: Counter[str] = field(default_factory=Counter)
    done_per_area: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    seconds: float = 0.0
    ops: int = 0

    @property
    def throughput(self) -> float:
        return self.ops / self.seconds if self.seconds else 0.0


def area_ids(n: int) -> list[str]:
    return [f"viertel-{i:02d}" for i in range(n)]


def prepare(url: str, areas: int = 20) -> dict[str, int]:
    """A fresh database with people and areas; returns each area's version."""
    from regsam_flow import Engine

    e = Engine(url)
    e.init("root", name="Root", email="root@example.org")
    for pid in MODERATORS + PLANNERS:
        e.add_person(pid, actor="root", name=pid.upper(), email=f"{pid}@example.org")
    for i, aid in enumerate(area_ids(areas)):
        e.create_area(aid, actor="root", name=f"Viertel {i}")
        e.assign(aid, "moderation", MODERATORS[i % 4], actor="root")
        e.assign(aid, "social_planning", PLANNERS[i % 4], actor="root")
    versions = {a.id: a.version for a in e.list_areas(actor="root")}
    e.close()
    return versions


def _one_op(e: Any, rng: random.Random, aid: str, i: int) -> str:
    from regsam_flow import BlockedError, ConflictError

    idx = int(aid.rsplit("-", 1)[1])
    mod, sp = MODERATORS[idx % 4], PLANNERS[idx % 4]
    st = e.status(aid, actor=mod)
    version = st.area.version
    ag = st.agreement
    open_tasks = [t for t in st.tasks if t.phase == st.area.state and t.required and not t.done]
    done_tasks = [t for t in st.tasks if t.phase == st.area.state and t.done]
    choice = rng.random()
    try:
        if st.final:  # refused by the area_final guard
            e.set_agreement(aid, actor=mod, expected_version=version, terms=f"spät {i}")
        elif ag is None or ag.missing_fields():
            e.set_agreement(aid, actor=mod, expected_version=version, **AGREEMENT)
        elif choice < 0.15:
            e.set_agreement(
                aid,
                actor=rng.choice([mod, sp]),
                expected_version=version,
                terms=f"Absprache {os.getpid()}-{i}",
            )
        elif st.area.state == "vorlauf" and len(ag.signatures) < 2 and choice < 0.55:
            e.sign_agreement(aid, actor=rng.choice([mod, sp]), expected_version=version)
        elif open_tasks and choice < 0.75:
            task = rng.choice(open_tasks)
            who = mod if "moderation" in task.roles else sp
            e.report_task(aid, task.id, actor=who, expected_version=version)
        elif done_tasks and choice < 0.85:
            task = rng.choice(done_tasks)
            e.reopen_task(aid, task.id, actor=mod, reason="nachbessern", expected_version=version)
        elif st.area.state == "auswertung" and choice < 0.95:
            e.fire(aid, "resume", actor=mod, reason="weitere Schritte", expected_version=version)
        elif st.area.state == "auswertung":
            e.fire(aid, "close", actor=rng.choice([mod, sp]), expected_version=version)
        else:
            e.advance(aid, actor=mod, expected_version=version)
    except ConflictError:
        return "conflict"
    except BlockedError:
        return "blocked"
    return "done"


def _worker(url: str, seed: int, ops: int, areas: int, barrier: Any, out: Any) -> None:
    from regsam_flow import Engine

    rng = random.Random(seed)
    e = Engine(url)
    ids = area_ids(areas)
    outcomes: Counter[str] = Counter()
    done: Counter[str] = Counter()
    unexpected: list[str] = []
    barrier.wait(timeout=60)
    for i in range(ops):
        aid = rng.choice(ids)
        try:
            result = _one_op(e, rng, aid, i)
        except Exception as exc:  # anything but done/conflict/blocked is a failure
            result = "unexpected"
            unexpected.append(f"{type(exc).__name__}: {exc}")
        outcomes[result] += 1
        if result == "done":
            done[aid] += 1
    e.close()
    out.put((dict(outcomes), dict(done), unexpected))


def run_load(
    url: str, processes: int = 8, ops: int = 200, areas: int = 20, seed: int = 1
) -> LoadReport:
    """Run the workers against a prepared database (see :func:`prepare`)."""
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(processes)
    out = ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(url, seed * 1000 + n, ops, areas, barrier, out))
        for n in range(processes)
    ]
    for p in procs:
        p.start()
    report = LoadReport(ops=processes * ops)
    results = []
    deadline = time.monotonic() + 600  # bounded: a hung worker fails the run
    for _ in procs:
        results.append(out.get(timeout=max(deadline - time.monotonic(), 1)))
    for p in procs:
        p.join(timeout=60)
    for outcomes, done, unexpected in results:
        report.outcomes.update(outcomes)
        report.done_per_area.update(done)
        report.unexpected.extend(unexpected)
    return report


def _timed(url: str, processes: int, ops: int, areas: int) -> tuple[LoadReport, dict[str, int]]:
    before = prepare(url, areas)
    t = time.perf_counter()
    report = run_load(url, processes, ops, areas)
    report.seconds = time.perf_counter() - t
    return report, before


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="regsam-flow load test")
    ap.add_argument("-p", "--processes", type=int, default=8)
    ap.add_argument("-n", "--ops", type=int, default=200, help="operations per process")
    ap.add_argument("--areas", type=int, default=20)
    args = ap.parse_args(argv)
    targets = []
    folder = tempfile.mkdtemp(prefix="regsam-load-")
    targets.append(("SQLite", f"sqlite:///{folder}/load.db"))
    pg = os.environ.get("REGSAM_FLOW_TEST_PG_URL")
    if pg:
        targets.append(("PostgreSQL", _fresh_pg_database(pg)))
    else:
        print("PostgreSQL: skipped (set REGSAM_FLOW_TEST_PG_URL; bash .ci/postgres starts one)")
    for label, url in targets:
        try:
            report, _before = _timed(url, args.processes, args.ops, args.areas)
        finally:
            if label == "PostgreSQL":
                _drop_pg_database(url)
        o = report.outcomes
        print(
            f"{label:10} {report.ops} ops in {report.seconds:5.1f} s = "
            f"{report.throughput:6.1f} ops/s   done {o['done']}, conflict {o['conflict']}, "
            f"blocked {o['blocked']}, unexpected {o['unexpected']}"
        )
        for line in report.unexpected[:5]:
            print("   unexpected:", line)
    return 0


def _drop_pg_database(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    eng = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    eng.dispose()


def _fresh_pg_database(url: str) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"regsam_load_{os.getpid()}"
    eng = create_engine(base, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    eng.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.exit(main())
