#!/usr/bin/env python
"""How the everyday commands scale with the number of areas and audit entries.

    .venv/bin/python benchmarks/scaling.py            # 3 sizes up to 100 000 areas, 1 M entries
    .venv/bin/python benchmarks/scaling.py --quick    # 2 small sizes: does it still run?

For each size (areas / audit entries: 100 / 10 000, 10 000 / 100 000,
100 000 / 1 000 000; ``--quick``: 100 / 1 000 and 1 000 / 10 000) a SQLite
database is built once, kept under ``--dir`` (keyed by the sizes and the
schema revision) and reused by later runs.  Measured on each, every command
in its own process, so the peak memory (``ru_maxrss``) is that command's:

* fire     ``Engine.fire``: one transition (the time of the call inside its
           process, after one warm-up fire; the memory of that process)
* status   ``regsam-flow area show AREA`` as a person of the area
* list     ``regsam-flow area list`` as the person who is in every area
* log      ``regsam-flow log AREA`` (a tenth of all entries are that area's)
* as-of    ``regsam-flow as-of AREA DATE`` (replays that area's entries)
* verify   ``regsam-flow audit verify`` (the whole chain)

The commands run as whole processes and their wall time is what a user
waits for, start-up included.  Each runs ``--rounds`` times (3; ``--quick``
1) in rotating order (one that takes over 30 s, or fails, runs once); the
table shows the median time and the largest peak memory.  A command that
fails shows FAILED and, under the table, its exit status (the table is a
finding, never a failure: the script exits 0 unless it crashes).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.sample import sign_sample_agreement

BUILD_FORMAT = 1
FULL_SIZES = ((100, 10_000), (10_000, 100_000), (100_000, 1_000_000))
QUICK_SIZES = ((100, 1_000), (1_000, 10_000))
AREA = "hasenbergl-nord"  # the area made through the Engine; status, log, as-of read it
PINGPONG = "pp"  # the area whose transition is fired
PERSON = "mia"  # moderation in every area
ADMIN = "root"
PAIR = (("moderation", PERSON), ("social_planning", "sven"))  # assigned in every area
SHARE = 10  # every SHARE-th filler entry belongs to AREA
TIMEOUT_S = 600  # a command killed after this long shows "timeout"
ONCE_S = 30  # a command slower than this in its first round runs only once

PINGPONG_YAML = """\
name: bench_pingpong
version: 1
title: Benchmark ping/pong
roles: [moderation, social_planning]
initial: ping
states:
  - {id: ping, title: Ping}
  - {id: pong, title: Pong}
transitions:
  - {trigger: pong, source: ping, dest: pong, roles: [moderation]}
  - {trigger: ping, source: pong, dest: ping, roles: [moderation]}
"""

PEOPLE = {
    # id: (name, email, role in AREA)
    "mia": ("Mia Moderatorin", "mia@regsam.example", "moderation"),
    "sven": ("Sven Sozialplanung", "sven@muenchen.example", "social_planning"),
    "stella": ("Stella Steuerung", "stella@muenchen.example", "steering"),
}

# the filler entries of the log: (actor, role, action, trigger, from, to, reason, details)
_FILLER: list[dict[str, Any]] = [
    {"actor": "sven", "role": "social_planning", "action": "task_reported",
     "details": {"task": "datenmaterial", "note": "Monitoringdaten 2026 eingestellt"}},
    {"actor": "mia", "role": "moderation", "action": "task_reopened",
     "reason": "Protokoll fehlt noch", "details": {"task": "datenmaterial"}},
    {"actor": "mia", "role": "moderation", "action": "agreement_signed", "details": {"version": 1}},
    {"actor": "sven", "role": "social_planning", "action": "approval", "trigger": "close",
     "from_state": "auswertung",
     "details": {"missing": ["moderation"], "given": ["social_planning"]}},
]  # fmt: skip

# Engine.fire in a child: one warm-up fire, then FIRES timed fires.
FIRES = 3
FIRE_CHILD = """\
import json, sys, time
from regsam_flow import Engine
eng = Engine(sys.argv[1])
state = eng.get_area({area!r}, actor={person!r}).state
times = []
for i in range({fires} + 1):
    trigger = "pong" if state == "ping" else "ping"
    t0 = time.perf_counter()
    state = eng.fire({area!r}, trigger, actor={person!r}).to_state
    times.append(time.perf_counter() - t0)
eng.close()
print(json.dumps(sorted(times[1:])[len(times[1:]) // 2]))
"""


# --------------------------------------------------------------------------
# the databases


def child_env(folder: Path) -> dict[str, str]:
    """The measured processes' environment: the workflow cache in ``folder``,
    no database, person or workflow folder from the caller's environment."""
    env = dict(os.environ)
    env["REGSAM_FLOW_HOME"] = str(folder / "home")
    for var in ("REGSAM_FLOW_DB", "REGSAM_FLOW_USER", "REGSAM_FLOW_WORKFLOWS", "REGSAM_FLOW_JSON"):
        env.pop(var, None)
    if env.pop("PYTHONDONTWRITEBYTECODE", None):  # an installed tool has its bytecode
        env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    return env


def cli(url: str, user: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "regsam_flow.cli", "--db", url, "--as", user, *args]


def build_template(root: Path) -> Path:
    """The part every size shares, made once per schema revision: a database
    made by ``regsam-flow init``, the people, AREA (every role assigned, a
    signed agreement, a task reported) and the ping/pong area, all made
    through the Engine.  Returns the database file (WAL checkpointed)."""
    from regsam_flow import Engine
    from regsam_flow.persistence.revision import HEAD_REVISION

    folder = root / f"template-{HEAD_REVISION}"
    db = folder / "scaling.db"
    marker = folder / "build.json"
    want = {"format": BUILD_FORMAT, "schema": HEAD_REVISION}
    if db.exists() and _read_json(marker) == want:
        return db
    folder.mkdir(parents=True, exist_ok=True)
    for f in folder.glob("scaling.db*"):
        f.unlink()
    url = f"sqlite:///{db}"
    subprocess.run(
        cli(url, ADMIN, "init", "--admin", ADMIN, "--name", "Rita Root"),
        env=child_env(root),
        check=True,
        capture_output=True,
    )
    wf_file = folder / "bench_pingpong.yaml"
    wf_file.write_text(PINGPONG_YAML, encoding="utf-8")
    eng = Engine(url, workflow_dirs=[folder])
    eng.deploy_workflow(wf_file, actor=ADMIN)
    for pid, (name, email, _role) in PEOPLE.items():
        eng.add_person(pid, actor=ADMIN, name=name, email=email)
    eng.create_area(AREA, actor=ADMIN, name="Hasenbergl-Nord", district="24 Feldmoching")
    for pid, (_n, _e, role) in PEOPLE.items():
        eng.assign(AREA, role, pid, actor=ADMIN)
    sign_sample_agreement(eng, AREA)
    eng.create_area(PINGPONG, actor=ADMIN, name="Ping Pong", workflow="bench_pingpong")
    eng.assign(PINGPONG, "moderation", PERSON, actor=ADMIN)
    eng.close()
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    marker.write_text(json.dumps(want), encoding="utf-8")
    return db


def build(root: Path, folder: Path, n_areas: int, n_entries: int) -> dict[str, Any]:
    """The template (:func:`build_template`) copied, then grown to
    ``n_areas`` areas in all (PERSON and sven assigned to each) and
    ``n_entries`` audit entries in all, correctly chained (``entry_hash``)
    and bulk-inserted with stdlib ``sqlite3`` in one transaction."""
    from regsam_flow import audit as audit_mod

    t0 = time.perf_counter()
    template = build_template(root)
    folder.mkdir(parents=True, exist_ok=True)
    for f in folder.glob("scaling.db*"):
        f.unlink()
    db = folder / "scaling.db"
    shutil.copyfile(template, db)
    con = sqlite3.connect(db, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        seq, prev = con.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
        (last_at,) = con.execute("SELECT max(at) FROM audit_log").fetchone()
        (wf_version,) = con.execute(
            "SELECT workflow_version FROM areas WHERE id = ?", (AREA,)
        ).fetchone()
        base = audit_mod.parse_ts(last_at) + timedelta(seconds=1)
        entries: list[tuple[Any, ...]] = []

        def flush() -> None:
            con.executemany(f"INSERT INTO audit_log VALUES ({', '.join('?' * 12)})", entries)
            entries.clear()

        def add(
            actor: str,
            action: str,
            area: str,
            role: str = "",
            trigger: str = "",
            from_state: str = "",
            to_state: str = "",
            reason: str = "",
            details: str = "",
        ) -> None:
            nonlocal seq, prev
            seq += 1
            at = audit_mod.format_ts(base + timedelta(microseconds=10 * seq))
            row = (at, actor, role, area, action, trigger, from_state, to_state, reason, details)
            prev = audit_mod.entry_hash(prev, seq, *row)
            entries.append((seq, *row, prev))
            if len(entries) >= 20_000:
                flush()

        ts = audit_mod.format_ts(base)
        wf, initial = "schwerpunktgebiet", "vorlauf"
        others = [f"gebiet-{i:06d}" for i in range(1, n_areas - 1)]  # AREA and PINGPONG exist
        con.executemany(
            f"INSERT INTO areas VALUES ({', '.join('?' * 10)})",
            [(a, f"Gebiet {i}", f"{i % 25 + 1:02d}", wf, wf_version, initial, 3, 0, ts, ts)
             for i, a in enumerate(others, 1)],
        )  # fmt: skip
        con.executemany(
            "INSERT INTO assignments (area_id, role, person_id) VALUES (?, ?, ?)",
            [(a, role, person) for a in others for role, person in PAIR],
        )  # fmt: skip
        canon = audit_mod.canonical_details
        for i, a in enumerate(others, 1):
            created = {"name": f"Gebiet {i}", "district": f"{i % 25 + 1:02d}",
                       "workflow": wf, "workflow_version": wf_version}  # fmt: skip
            add(ADMIN, "area_created", a, to_state=initial, details=canon(created))
            for role, person in PAIR:
                add(ADMIN, "assigned", a, "admin", details=canon({"role": role, "person": person}))
        filler = [{**t, "details": canon(t["details"])} for t in _FILLER]
        everywhere = others or [AREA]
        i = 0
        while seq < n_entries:
            area = AREA if i % SHARE == 0 else everywhere[i % len(everywhere)]
            add(area=area, **filler[i % len(filler)])
            i += 1
        flush()
        con.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", (seq, prev))
        con.execute("COMMIT")
    finally:
        con.close()
    when = (base + timedelta(microseconds=10 * seq, days=1)).date()
    return {
        "entries": seq,
        "as_of": when.strftime("%d.%m.%Y"),
        "build_s": round(time.perf_counter() - t0, 1),
    }


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def ensure_db(
    root: Path, n_areas: int, n_entries: int, rebuild: bool
) -> tuple[str, dict[str, Any]]:
    """The kept database of this size and schema revision, built if missing
    (in a child process, so that this one stays small: a child's peak memory
    counts its parent's at the time it was started)."""
    from regsam_flow.persistence.revision import HEAD_REVISION

    folder = root / f"areas{n_areas}-entries{n_entries}-{HEAD_REVISION}"
    marker = folder / "build.json"
    want = {"format": BUILD_FORMAT, "areas": n_areas, "entries": n_entries, "schema": HEAD_REVISION}
    have = _read_json(marker) or {}
    url = f"sqlite:///{folder / 'scaling.db'}"
    if rebuild or {k: have.get(k) for k in want} != want or not (folder / "scaling.db").exists():
        marker.unlink(missing_ok=True)
        args = [str(root), str(folder), str(n_areas), str(n_entries)]
        proc = subprocess.run(
            [sys.executable, __file__, "--build-into", *args],
            env=child_env(root),
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        )
        info = json.loads(proc.stdout.strip().splitlines()[-1])
        have = {**want, **info}
        marker.write_text(json.dumps(have), encoding="utf-8")
        size = sum(f.stat().st_size for f in folder.glob("scaling.db*")) / 1e6
        print(
            f"  built {n_areas:,} areas, {have['entries']:,} entries in {info['build_s']} s "
            f"({size:.0f} MB) in {folder}".replace(",", " "),
            flush=True,
        )
    else:
        print(f"  reusing {folder}", flush=True)
    return url, have


# --------------------------------------------------------------------------
# measuring


@dataclass
class Run:
    seconds: float
    peak_mib: float
    error: str = ""


def run_child(cmd: list[str], env: dict[str, str], out: Path) -> tuple[Run, str]:
    """Run ``cmd`` in its own process, stdout to ``out``: its wall time, its
    peak resident memory (``ru_maxrss`` from ``wait4``), and its stdout."""
    with out.open("wb") as f_out, out.with_suffix(".err").open("wb") as f_err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=f_out, stderr=f_err)
        timer = threading.Timer(TIMEOUT_S, lambda: os.kill(proc.pid, signal.SIGKILL))
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        dt = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    run = Run(dt, usage.ru_maxrss / 1024)  # KiB on Linux
    if proc.returncode != 0:
        err = out.with_suffix(".err").read_text("utf-8", "replace").strip().splitlines()
        why = "timeout" if proc.returncode == -signal.SIGKILL else f"exit {proc.returncode}"
        run.error = why + (f": {err[-1][:120]}" if err else "")
    return run, out.read_text("utf-8", "replace") if out.stat().st_size < 1_000_000 else ""


COLUMNS = ("fire", "status", "list", "log", "as-of", "verify")


def commands(url: str, info: dict[str, Any]) -> dict[str, list[str]]:
    fire = FIRE_CHILD.format(area=PINGPONG, person=PERSON, fires=FIRES)
    return {
        "fire": [sys.executable, "-c", fire, url],
        "status": cli(url, PERSON, "area", "show", AREA),
        "list": cli(url, PERSON, "area", "list"),
        "log": cli(url, PERSON, "log", AREA),
        "as-of": cli(url, PERSON, "as-of", AREA, info["as_of"]),
        "verify": cli(url, ADMIN, "audit", "verify"),
    }


def measure(
    url: str, info: dict[str, Any], folder: Path, rounds: int, warm_up: bool
) -> dict[str, Run]:
    env = child_env(folder)
    cmds = commands(url, info)
    runs: dict[str, list[Run]] = {k: [] for k in cmds}
    names = list(cmds)
    out = folder / "out.txt"
    if warm_up and rounds > 1:  # bytecode and the workflow cache, not measured
        run_child(cmds["status"], env, out)
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            if runs[name] and (runs[name][0].error or runs[name][0].seconds > ONCE_S):
                continue  # failed, or so slow that one run tells
            run, stdout = run_child(cmds[name], env, out)
            if name == "fire" and not run.error:
                run.seconds = float(stdout.strip().splitlines()[-1])
            runs[name].append(run)
    for f in (out, out.with_suffix(".err")):
        f.unlink(missing_ok=True)
    result = {}
    for name, rs in runs.items():
        bad = [r for r in rs if r.error]
        if bad:
            result[name] = bad[0]
        else:
            secs = statistics.median(r.seconds for r in rs)
            result[name] = Run(secs, max(r.peak_mib for r in rs))
    return result


def fmt_time(run: Run) -> str:
    if run.error:
        return "FAILED"
    return f"{run.seconds * 1e3:.0f} ms" if run.seconds < 10 else f"{run.seconds:.1f} s"


W = 10  # width of a column


def header() -> str:
    return f"  {'areas':>7} {'entries':>9}" + "".join(f"{c:>{W}}" for c in COLUMNS)


def row(n_areas: int, n_entries: int, res: dict[str, Run]) -> Iterator[str]:
    """Two lines for one size: the median wall time, then the peak memory."""
    sizes = f"{n_areas:>7,} {n_entries:>9,}".replace(",", " ")
    yield f"  {sizes}" + "".join(f"{fmt_time(res[c]):>{W}}" for c in COLUMNS)
    mem = ("" if res[c].error else f"{res[c].peak_mib:.0f} MiB" for c in COLUMNS)
    yield f"  {'':17}" + "".join(f"{m:>{W}}" for m in mem)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="two small sizes, one round (seconds)")
    ap.add_argument(
        "--dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "regsam-flow-bench-scaling",
        help="where the databases are built and kept (default: in the system temp folder)",
    )
    ap.add_argument("--rounds", type=int, default=None, help="runs of each command (3; --quick 1)")
    ap.add_argument("--rebuild", action="store_true", help="build the databases again")
    ap.add_argument("--build-into", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.build_into:  # the child that builds one database (see ensure_db)
        root, folder, n_areas, n_entries = args.build_into
        print(json.dumps(build(Path(root), Path(folder), int(n_areas), int(n_entries))))
        return 0
    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    rounds = args.rounds or (1 if args.quick else 3)
    root = args.dir.resolve()

    print("regsam-flow scaling" + ("  (--quick: small sizes)" if args.quick else ""))
    print("=" * 78)
    print(f"  load average {os.getloadavg()[0]:.2f}; {rounds} round(s); kept in {root}", flush=True)
    started = time.perf_counter()
    dbs = [ensure_db(root, n_areas, n_entries, args.rebuild) for n_areas, n_entries in sizes]
    print(
        "\n  median wall time (fire: one Engine.fire call; the rest: the whole command)"
        "\n  and peak memory of the process, per size:"
    )
    print(header(), flush=True)
    failed = []
    for i, ((n_areas, n_entries), (url, info)) in enumerate(zip(sizes, dbs, strict=True)):
        res = measure(url, info, root, rounds, warm_up=i == 0)
        for line in row(n_areas, n_entries, res):
            print(line, flush=True)
        failed += [f"  {c} at {n_areas} areas / {n_entries} entries: {r.error}"
                   for c, r in res.items() if r.error]  # fmt: skip
    for line in failed:
        print(line)
    print(f"\n  total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
