"""The audit log's times never go back, even when writers' clocks differ;
``audit verify`` names an entry dated before its predecessor."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from regsam_flow import Engine
from regsam_flow.ports import Clock

from .databases import raw_connection
from .test_audit_tamper import drop_triggers, rehash_from, set_fields

NOON = datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)


class Fixed(Clock):
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


@pytest.mark.sql("a second engine or raw SQL on the same database")
def test_a_writer_whose_clock_is_behind_does_not_date_entries_back(
    engine: Engine, area: str
) -> None:
    for pid in ("paul", "petra"):
        engine.add_person(pid, actor="root", name=pid.title(), email=f"{pid}@example.org")
    ahead = Engine(engine.url, clock=Fixed(NOON))
    behind = Engine(engine.url, clock=Fixed(NOON - timedelta(hours=2)))
    try:
        ahead.assign(area, "provider", "paul", actor="mia")
        behind.assign(area, "provider", "petra", actor="mia")
    finally:
        ahead.close()
        behind.close()
    entries = engine.history(actor="audrey")
    times = [e.at for e in entries]
    assert times == sorted(times)
    last = entries[-1]
    assert last.at == entries[-2].at  # the later of the two clocks
    assert json.loads(last.details)["writer_clock"] == "2030-01-01T10:00:00.000000Z"
    assert "writer_clock" not in json.loads(entries[-2].details)
    # the past as the log tells it: at 11:00 neither was a provider yet
    at_eleven = engine.as_of(area, NOON - timedelta(hours=1), actor="audrey")
    assert at_eleven.roles["provider"] == ["tom"]
    at_noon = engine.as_of(area, NOON, actor="audrey")
    assert at_noon.roles["provider"] == ["paul", "petra", "tom"]
    assert engine.verify().ok


@pytest.mark.sql("a second engine or raw SQL on the same database")
def test_verify_names_a_time_that_goes_back(engine: Engine, area: str) -> None:
    """A rewrite with valid hashes but an entry dated before its predecessor
    (written by an older regsam-flow, or edited)."""
    n = engine.head().entries
    with raw_connection(engine.url) as con:
        drop_triggers(con)
        set_fields(con, n - 1, at="2031-05-05T10:00:00.000000Z")
        set_fields(con, n, at="2031-05-05T08:00:00.000000Z")
        rehash_from(con, n - 1)
    result = engine.verify()
    assert not result.ok
    assert result.first_bad_seq == n
    assert "before" in (result.problem or "") and f"entry {n - 1}" in (result.problem or "")
