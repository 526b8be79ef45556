"""The audit log streams: the engine hands out entries as it reads them
(who may see what decided before the first and in the query), the CLI
prints the first line while it still reads, and a person in more areas
than SQLite takes bound parameters still gets their log."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import insert

from regsam_flow import Engine
from regsam_flow.errors import NotFoundError
from regsam_flow.model import AUDIT_FIELDS
from regsam_flow.persistence import schema as s
from regsam_flow.persistence.database import WRITE_OPTION

from .cli_helpers import Cli, setup_area


def test_history_is_an_iterator_checked_before_the_first_entry(engine: Engine, area: str) -> None:
    entries = engine.iter_history(actor="mia", area=area)
    assert isinstance(entries, Iterator) and not isinstance(entries, list)
    first = next(entries)
    rest = list(entries)
    assert [first, *rest] == engine.history(actor="mia", area=area)
    assert all(e.area == area for e in rest)
    # not hers: told when asked, before any entry is handed out
    engine.add_person("olga", actor="root", name="Olga Other", email="olga@example.org")
    with pytest.raises(NotFoundError):
        engine.iter_history(actor="olga", area=area)


def test_a_person_streams_only_their_areas(engine: Engine, area: str) -> None:
    engine.create_area("milbertshofen", actor="root", name="Milbertshofen", district="11")
    mine = list(engine.iter_history(actor="tom"))
    assert {e.area for e in mine} == {area}
    everything = list(engine.iter_history(actor="audrey"))
    assert "milbertshofen" in {e.area for e in everything}
    assert len(everything) > len(mine)


def test_a_stream_closed_early_leaves_the_engine_usable(engine: Engine, area: str) -> None:
    entries = engine.iter_history(actor="root")
    next(entries)
    entries.close()  # type: ignore[attr-defined]
    engine.report_task(area, "schwerpunktziel", actor="mia")
    assert engine.history(actor="root")[-1].action == "task_reported"


def _bulk_areas(engine: Engine, person: str, n: int) -> None:
    """``n`` areas in their first phase with ``person`` as moderation,
    written straight into the tables (no audit entries: the chain stays)."""
    wf = engine.workflows.get("schwerpunktgebiet")
    ts = "2027-01-01T06:00:00.000000Z"
    areas = [
        {"id": f"bulk-{i:05d}", "name": f"Gebiet {i}", "district": "01", "workflow": wf.name,
         "workflow_version": wf.version, "state": wf.initial, "version": 1, "round": 0,
         "created_at": ts, "updated_at": ts}
        for i in range(n)
    ]  # fmt: skip
    sa = engine.store.engine  # type: ignore[attr-defined]
    with sa.connect() as c0:
        conn = c0.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            conn.execute(insert(s.areas), areas)
            conn.execute(
                insert(s.assignments),
                [{"area_id": a["id"], "role": "moderation", "person_id": person} for a in areas],
            )


@pytest.mark.sql
def test_a_person_in_more_areas_than_sqlite_binds_gets_log_area_list_and_inbox(
    engine: Engine, area: str
) -> None:
    _bulk_areas(engine, "tom", 40_000)  # over SQLite's 32 766 bound parameters
    engine.create_area("milbertshofen", actor="root", name="Milbertshofen", district="11")
    log = engine.history(actor="tom")
    assert log and {e.area for e in log} == {area}
    assert engine.area_overview(actor="tom", state="umsetzung") == []
    overview = engine.iter_area_overview(actor="tom")
    assert [next(overview).area for _ in range(2)] == ["bulk-00000", "bulk-00001"]
    assert sum(1 for _ in overview) == 40_000 - 2 + 1  # and hasenbergl-nord
    inbox = engine.inbox(actor="tom")
    assert {i.area for i in inbox} >= {"bulk-00000", "bulk-39999"}
    assert engine.verify().ok


@pytest.mark.sqlite_only
def test_cli_prints_the_first_line_while_it_still_reads(db_url: str, tmp_path: Path) -> None:
    c = Cli(db_url, tmp_path / "home")
    area = setup_area(c)
    eng = Engine(db_url)
    with eng.store.engine.connect() as conn:  # type: ignore[attr-defined]
        head = conn.execute(s.audit_head.select()).one()
    from regsam_flow import audit as audit_mod

    seq, prev = head.seq, head.hash
    rows = []
    for i in range(20_000):  # a long log (megabytes of output), correctly chained
        e = audit_mod.make_entry(
            seq, prev, at=audit_mod.parse_ts(head_at(eng)), actor="mia", area=area,
            action="task_reported", role="moderation", details={"task": "datenmaterial", "n": i},
        )  # fmt: skip
        rows.append({f: getattr(e, f) for f in AUDIT_FIELDS})
        seq, prev = e.seq, e.hash
    with eng.store.engine.connect() as c0:  # type: ignore[attr-defined]
        conn = c0.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            conn.execute(insert(s.audit_log), rows)
            conn.execute(s.audit_head.update().values(seq=seq, hash=prev))
    eng.close()
    env = dict(os.environ, REGSAM_FLOW_HOME=str(tmp_path / "home"), REGSAM_FLOW_DB=db_url)
    for fmt in ("csv", "jsonl", "table"):
        proc = subprocess.Popen(
            [sys.executable, "-m", "regsam_flow.cli", "--as", "audrey", "log", "--format", fmt],
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        assert proc.stdout is not None
        first = proc.stdout.readline()
        running = proc.poll() is None  # the rest is still to come
        rest = proc.stdout.read()
        assert proc.wait(timeout=300) == 0
        assert running, fmt
        if fmt == "csv":
            got = list(csv.DictReader(io.StringIO(first + rest)))
            assert len(got) == seq and got[-1]["seq"] == str(seq)
            assert json.loads(got[-1]["details"]) == {"n": 19_999, "task": "datenmaterial"}
        elif fmt == "jsonl":
            lines = (first + rest).splitlines()
            assert len(lines) == seq and json.loads(lines[-1])["seq"] == seq
        else:
            assert first.split()[0] in ("Nr.", "seq") and str(seq) in rest


def head_at(eng: Engine) -> str:
    """The newest entry's time (the bulk entries follow it)."""
    return eng.history(actor="root")[-1].at


def test_area_overview_streams_checked_before_the_first_row(engine: Engine, area: str) -> None:
    from regsam_flow.errors import InvalidInputError

    rows = engine.iter_area_overview(actor="tom")
    assert isinstance(rows, Iterator) and not isinstance(rows, list)
    assert [r.area for r in rows] == [area]
    assert list(engine.iter_area_overview(actor="root")) == engine.area_overview(actor="root")
    with pytest.raises(InvalidInputError):
        engine.iter_area_overview(actor="root", state="keine-phase")
