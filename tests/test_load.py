"""Load: 8 processes x 200 mixed operations on 20 areas, on each database.

No lost update, every refused operation a conflict or a guard, no
"database is locked", the audit chain intact, and the counts add up: every
done operation wrote one audit entry and raised its area's version by one.
The throughput is reported in the terminal summary ("measured"; benchmarks/load.py
prints it too).
"""

from __future__ import annotations

from collections.abc import Callable

from benchmarks.load import prepare, run_load
from regsam_flow import Engine


def test_eight_processes_on_twenty_areas(db_url: str, measured: Callable[[str], None]) -> None:
    import time

    before = prepare(db_url, areas=20)
    e = Engine(db_url)
    head_before = e.head().entries
    t = time.perf_counter()
    report = run_load(db_url, processes=8, ops=200, areas=20)
    seconds = time.perf_counter() - t
    o = report.outcomes
    measured(
        f"load [{db_url.split(':')[0]}]: {report.ops} ops in {seconds:.1f} s = "
        f"{report.ops / seconds:.0f} ops/s; done {o['done']}, conflict {o['conflict']}, "
        f"blocked {o['blocked']}"
    )
    assert report.unexpected == []
    assert sum(o.values()) == 8 * 200
    assert set(o) <= {"done", "conflict", "blocked"}
    assert o["done"] > 0 and o["conflict"] > 0  # they did collide
    after = {a.id: a.version for a in e.list_areas(actor="root")}
    # no lost update: each area moved on by exactly the operations done on it
    assert {a: after[a] - before[a] for a in before} == {
        a: report.done_per_area.get(a, 0) for a in before
    }
    # the counts add up: one audit entry per done operation, one valid chain
    assert e.head().entries - head_before == o["done"]
    result = e.verify()
    assert result.ok, result.problem
    e.close()
