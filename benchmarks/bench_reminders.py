#!/usr/bin/env python
"""The cost of a reminder send pass does not grow with the number of areas.

    .venv/bin/python benchmarks/bench_reminders.py             # about 5 s
    .venv/bin/python benchmarks/bench_reminders.py --rounds 200 # steadier medians

Target: a send-due pass over 10 000 areas of which 10 are due costs at most
1.2x the pass over 100 areas with 10 due -- the due reminders are found with
an indexed query (``ix_reminders_due``), not a scan.

Two SQLite files are initialised through the Engine; the areas, their
assignments (moderation and social planning), agreements and reminders are
bulk-inserted with SQLAlchemy Core.  Every area has its four pending
reminders (28 and 7 days before, on the day, first overdue) and two sent ones
of an earlier review; only 10 areas have a review date whose 28-day reminder
is due at NOW, all other pending reminders fall due years later.  The
notifier is a fake that counts, so this measures the pass (query, claims,
reading each area, recording each send with its audit entry), not SMTP.

Each pass consumes the 10 due reminders; they are re-armed (reset to
pending) outside the timed region before every pass.  The sides run
interleaved, alternating which goes first, and are compared by median.
The script prints the query plan of the due query and exits 0 whatever the
result (it fails only if it crashes).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from contextlib import closing
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, select

from regsam_flow import Engine
from regsam_flow.audit import format_ts
from regsam_flow.persistence import schema as s
from regsam_flow.persistence.database import WRITE_OPTION
from regsam_flow.ports import Notifier, ReminderNotice
from regsam_flow.schedule import planned_reminders

TARGET_RATIO = 1.2
UTC = timezone.utc
NOW = datetime(2027, 6, 17, 6, 0, tzinfo=UTC)  # 28 days before 15.07.2027, 08:00 Berlin
DUE_REVIEW = date(2027, 7, 15)
PAST_REVIEW = date(2026, 1, 15)
FAR_REVIEW = date(2031, 1, 15)  # + i days: due years after NOW
N_DUE = 10
SIZES = {"small": 100, "large": 10_000}


class CountingNotifier(Notifier):
    """Delivers nothing; counts."""

    def __init__(self) -> None:
        self.count = 0

    def notify(self, notice: ReminderNotice) -> None:
        self.count += 1


# ------------------------------------------------------------------ building
def build(folder: Path, n_areas: int) -> tuple[str, list[int]]:
    """An initialised database with ``n_areas`` areas, N_DUE of them due at NOW."""
    db = folder / f"reminders-{n_areas}.db"
    url = f"sqlite:///{db}"
    eng = Engine(url)
    eng.init("root", name="Rita Root", email="root@regsam.example")
    eng.add_person("mia", actor="root", name="Mia Moderatorin", email="mia@regsam.example")
    eng.add_person("sven", actor="root", name="Sven Sozialplanung", email="sven@muenchen.example")
    wf = eng.workflows.get("schwerpunktgebiet")
    policy = wf.definition.reminders
    assert policy is not None
    sa = eng.store.engine  # type: ignore[attr-defined]
    ts = format_ts(datetime(2026, 1, 1, 9, 0, tzinfo=UTC))
    areas: list[dict[str, Any]] = []
    assignments: list[dict[str, Any]] = []
    agreements: list[dict[str, Any]] = []
    reminders: list[dict[str, Any]] = []

    def reminder_row(r: Any, status: str) -> dict[str, Any]:
        due = format_ts(r.due_at)
        return {
            "area_id": r.area,
            "review_date": r.review_date.isoformat(),
            "kind": r.kind,
            "offset_days": r.offset_days,
            "due_at": due,
            "status": status,
            "attempts": 1 if status == "sent" else 0,
            "next_attempt_at": due,
            "sent_at": due if status == "sent" else None,
            "last_error": "",
            "created_at": ts,
        }

    for i in range(n_areas):
        area = f"gebiet-{i:05d}"
        review = DUE_REVIEW if i < N_DUE else FAR_REVIEW + timedelta(days=i % 700)
        areas.append(
            {
                "id": area,
                "name": f"Gebiet {i}",
                "district": f"{i % 25 + 1:02d}",
                "workflow": wf.name,
                "workflow_version": wf.version,
                "state": "umsetzung",
                "version": 5,
                "round": 2,
                "created_at": ts,
                "updated_at": ts,
            }
        )
        assignments += [
            {"area_id": area, "role": "moderation", "person_id": "mia"},
            {"area_id": area, "role": "social_planning", "person_id": "sven"},
        ]
        agreements.append(
            {
                "area_id": area,
                "version": 1,
                "topic": "Nachbarschaftskonflikte",
                "scope": f"Gebiet {i}",
                "reasons": "Monitoring",
                "partners": "Baureferat",
                "terms": "KG tagt monatlich",
                "duration": "2 Jahre",
                "start": "2026-01-15",
                "review": review.isoformat(),
                "created_at": ts,
                "created_by": "mia",
            }
        )
        past = planned_reminders(area, PAST_REVIEW, policy)
        reminders += [reminder_row(r, "sent") for r in past if r.offset_days in (28, 0)]
        reminders += [reminder_row(r, "pending") for r in planned_reminders(area, review, policy)]
    with sa.connect() as c0:
        conn = c0.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            conn.execute(insert(s.areas), areas)
            conn.execute(insert(s.assignments), assignments)
            conn.execute(insert(s.agreements), agreements)
            conn.execute(insert(s.reminders), reminders)
        r = s.reminders
        due = [
            row.id
            for row in conn.execute(
                select(r.c.id).where(r.c.status == "pending", r.c.next_attempt_at <= format_ts(NOW))
            )
        ]
    eng.close()
    assert len(due) == N_DUE, due
    return url, due


def rearm(db: str, ids: list[int]) -> None:
    """Make the consumed reminders due again (outside the timed region)."""
    marks = ",".join("?" * len(ids))
    with closing(sqlite3.connect(db, timeout=30)) as con, con:
        con.execute(
            "UPDATE reminders SET status = 'pending', attempts = 0, sent_at = NULL, "
            "claimed_by = NULL, claimed_until = NULL, last_error = '', "
            f"next_attempt_at = due_at WHERE id IN ({marks})",
            ids,
        )


# ----------------------------------------------------------------- measuring
class Statements:
    """The statements an Engine's store sends, while ``on``."""

    def __init__(self, eng: Engine) -> None:
        self.on = False
        self.seen: list[tuple[str, Any]] = []
        event.listen(eng.store.engine, "before_cursor_execute", self._hook)  # type: ignore[attr-defined]

    def _hook(self, conn: Any, cursor: Any, statement: str, params: Any, *rest: Any) -> None:
        if self.on:
            self.seen.append((statement, params))


def due_query(stmts: Statements) -> tuple[str, Any]:
    for sql, params in stmts.seen:
        flat = " ".join(sql.split())
        if "FROM reminders" in flat and "ORDER BY" in flat and "LIMIT" in flat:
            return sql, params
    raise SystemExit("did not see the due query")


def stats(ts: list[float]) -> str:
    qs = statistics.quantiles(ts, n=10)
    return (
        f"median {statistics.median(ts) * 1e3:7.2f} ms   "
        f"p10 {qs[0] * 1e3:7.2f}   p90 {qs[-1] * 1e3:7.2f}"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=60, help="timed passes per side (60)")
    ap.add_argument("--dir", type=Path, help="where the databases go (default: a temp folder)")
    ap.add_argument("--keep", action="store_true", help="keep the databases")
    args = ap.parse_args(argv)
    rounds = max(args.rounds, 4)

    base = args.dir or Path(tempfile.gettempdir())
    base.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="regsam-bench-reminders-", dir=base))
    os.environ["REGSAM_FLOW_HOME"] = str(folder / "home")  # workflow cache stays here
    t_start = time.perf_counter()
    print("regsam-flow: a reminder send pass, 100 vs 10 000 areas (10 due in each)")
    print(f"  python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.2f}, {folder}")
    try:
        built: dict[str, tuple[str, list[int]]] = {}
        for side, n in SIZES.items():
            t0 = time.perf_counter()
            built[side] = build(folder, n)
            size = sum(f.stat().st_size for f in folder.glob(f"reminders-{n}.db*")) / 1e6
            print(
                f"  built {side:5}: {n:6} areas, {n * 6:6} reminder rows "
                f"({n * 4} pending, {N_DUE} due) in {time.perf_counter() - t0:4.1f} s, "
                f"{size:.1f} MB"
            )
        counters = {side: CountingNotifier() for side in SIZES}
        engines = {side: Engine(built[side][0], notifier=counters[side]) for side in SIZES}
        paths = {side: built[side][0][len("sqlite:///") :] for side in SIZES}
        watch = {side: Statements(engines[side]) for side in SIZES}

        # one warm-up pass each, with the statements recorded
        counts: dict[str, Counter[str]] = {}
        for side in SIZES:
            watch[side].on = True
            rep = engines[side].send_due(NOW, worker="bench")
            watch[side].on = False
            assert sorted(rep.sent) == sorted(built[side][1]), rep
            counts[side] = Counter(" ".join(q.split()[:2]) for q, _ in watch[side].seen)
            rearm(paths[side], built[side][1])

        times: dict[str, list[float]] = {side: [] for side in SIZES}
        for i in range(rounds):
            order = list(SIZES) if i % 2 == 0 else list(reversed(SIZES))
            for side in order:
                t0 = time.perf_counter()
                rep = engines[side].send_due(NOW, worker="bench")
                times[side].append(time.perf_counter() - t0)
                assert len(rep.sent) == N_DUE and not rep.retrying, rep
                rearm(paths[side], built[side][1])

        # the due query alone, as the store sends it, through sqlite3
        sql, params = due_query(watch["large"])
        scan_sql = sql.replace("FROM reminders", "FROM reminders NOT INDEXED", 1)
        alone: dict[tuple[str, str], float] = {}
        plan: list[str] = []
        for side in SIZES:
            with closing(sqlite3.connect(paths[side])) as con:
                for how, q in (("index", sql), ("scan", scan_sql)):
                    q_times = []
                    for _ in range(100):
                        t0 = time.perf_counter()
                        rows = con.execute(q, params).fetchall()
                        q_times.append(time.perf_counter() - t0)
                    assert len(rows) == N_DUE
                    alone[side, how] = statistics.median(q_times)
                if side == "large":
                    plan = [r[-1] for r in con.execute("EXPLAIN QUERY PLAN " + sql, params)]
        for eng in engines.values():
            eng.close()

        print()
        print(f"  statements per pass (first words): {dict(sorted(counts['large'].items()))}")
        print(f"  same statements on both sides: {counts['small'] == counts['large']}")
        print()
        print("  the due query:")
        print("    " + " ".join(sql.split()))
        print("  EXPLAIN QUERY PLAN (10 000 areas):")
        for line in plan:
            print(f"    {line}")
        indexed = any("ix_reminders_due" in line for line in plan)
        print(f"  uses ix_reminders_due: {'yes' if indexed else 'NO (a scan)'}")
        for how, label in (("index", "as sent"), ("scan", "forced scan (NOT INDEXED)")):
            print(
                f"  the query alone, {label}: {alone['small', how] * 1e6:.0f} us (100 areas), "
                f"{alone['large', how] * 1e6:.0f} us (10 000 areas)"
            )
        print()
        print(f"  send_due(NOW) passes, {rounds} per side, interleaved; notifier: a counter")
        for side, n in SIZES.items():
            print(f"    {n:6} areas: {stats(times[side])}")
        small = statistics.median(times["small"])
        large = statistics.median(times["large"])
        ratio = large / small
        paired = statistics.median(
            b / a for a, b in zip(times["small"], times["large"], strict=True)
        )
        verdict = "PASS" if ratio <= TARGET_RATIO else "MISS"
        print(
            f"  ratio 10 000 / 100 areas: {ratio:.3f}x (paired median {paired:.3f}x), "
            f"target <= {TARGET_RATIO}x: {verdict}"
        )
        print(f"  per sent reminder: {large / N_DUE * 1e3:.2f} ms (10 000 areas)")
        print(f"  total {time.perf_counter() - t_start:.1f} s")
    finally:
        if args.keep:
            print(f"  kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
