"""The service load test's quick run on SQLite: 50 people with API tokens
on 20 areas through a real ``serve`` process, and the same through the Engine.

Only correctness is asserted, never speed: every answer is done, a
conflict, a guard's block or a refusal; no update is lost (each area's
version moved on by exactly the changes done on it); the audit chain holds;
and the people did collide.  benchmarks/service_load.py prints the figures.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.service_load import run_target


def test_fifty_people_through_the_api_on_sqlite(tmp_path: Path) -> None:
    http, eng = run_target(
        f"sqlite:///{tmp_path / 'http.db'}",
        f"sqlite:///{tmp_path / 'engine.db'}",
        1,
        tmp_path / "home",
        seconds=4.0,
        ops=None,
    )
    for side in (http, eng):
        assert side.unexpected == []
        assert side.lost == []
        assert side.verified
        assert set(side.outcomes) <= {"done", "conflict", "blocked", "refused"}
        assert side.outcomes["done"] > 0 and side.outcomes["conflict"] > 0  # they collided
        assert sum(side.outcomes.values()) == side.operations
