"""The CLI on large databases, for ``bench_cli.py``: ``log`` streaming (its
first line against a data command's start-up, its peak memory, its CSV
against stdlib ``sqlite3`` writing the same rows) and a person in very many
areas against an admin (``log``, ``area list``, ``inbox``).

Every child runs as a fresh process; its time to the first line of output,
its wall time and its peak memory (``ru_maxrss`` from ``wait4``) are taken.
The sides of a comparison run interleaved in rotating order and are
compared by their medians.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.targets import Target

#: The audit log's rows as ``log --format csv`` prints them, in plain SQL.
SQL = (
    'SELECT seq, at, area, actor, role, action, "trigger", from_state, to_state, reason, '
    "details, hash FROM audit_log ORDER BY seq"
)
#: stdlib ``sqlite3`` writing the rows of ``SQL`` (argv[2]) of a database
#: (argv[1]) as CSV, as ``log --format csv`` does: every cell quoted.
DUMP = """\
import csv, sqlite3, sys
cur = sqlite3.connect(sys.argv[1]).execute(sys.argv[2])
w = csv.writer(sys.stdout, lineterminator="\\n", quoting=csv.QUOTE_ALL)
w.writerow([d[0] for d in cur.description])
w.writerows(cur)
"""


@dataclass(frozen=True)
class Run:
    """One child process: seconds to its first line and to its end, peak MiB."""

    first: float
    total: float
    mib: float
    out_bytes: int


def run_child(cmd: list[str], env: dict[str, str], *, whole: bool = True) -> Run:
    """Run ``cmd``, reading its stdout; with ``whole=False`` stop it after
    the first line (only the time to the first line counts then).  The peak
    memory includes what the child inherits from this process at fork
    (Linux keeps the high-water mark across exec): this process imports
    neither SQLAlchemy nor the engine, so that is a few MiB (printed)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    first_line = proc.stdout.readline()
    t1 = time.perf_counter()
    size = len(first_line)
    if whole:
        while chunk := proc.stdout.read(1 << 16):
            size += len(chunk)
    else:
        proc.kill()
    err = proc.stderr.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    t2 = time.perf_counter()
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stdout.close()
    proc.stderr.close()
    if whole and proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[1:])} failed ({proc.returncode}):\n{err.decode()}")
    if not first_line:
        raise SystemExit(f"{' '.join(cmd[1:])} printed nothing:\n{err.decode()}")
    return Run(t1 - t0, t2 - t0, usage.ru_maxrss / 1024, size)


def interleaved(
    sides: dict[str, list[str]], env: dict[str, str], rounds: int, *, whole: bool = True
) -> dict[str, list[Run]]:
    """Each side ``rounds`` times, in rotating order (after one warm-up each)."""
    names = list(sides)
    for name in names:
        run_child(sides[name], env, whole=whole)
    out: dict[str, list[Run]] = {k: [] for k in names}
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            out[name].append(run_child(sides[name], env, whole=whole))
    return out


def med(runs: list[Run], attr: str) -> float:
    return statistics.median(getattr(r, attr) for r in runs)


def empty_db(folder: Path) -> str:
    """An initialised database without areas (for a data command's start-up)."""
    db = folder / "empty.db"
    url = f"sqlite:///{db}"
    if not db.exists():  # in a child: this process stays small (see run_child)
        code = (
            f"from regsam_flow import Engine; e = Engine({url!r}); "
            "e.init('root', name='Rita Root', email='root@regsam.example'); e.close()"
        )
        subprocess.run([sys.executable, "-c", code], check=True)
    return url


def log_streaming(
    folder: Path, url: str, db: Path, entries: int, env: dict[str, str], rounds: int
) -> list[Target]:
    """``log`` on the database of ``entries`` audit entries at ``url``."""
    py = sys.executable
    cli = [py, "-m", "regsam_flow.cli"]
    log = [*cli, "--db", url, "--as", "root", "log"]
    start_cmd = [*cli, "--db", empty_db(folder), "--as", "root", "area", "list"]
    targets = []

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  (this process: peak {own:.0f} MiB, inherited by each child's peak below)")
    print(f"  a) first line of `log` ({entries} entries) vs `area list` on an empty database")
    sides = {
        "area list (empty db)": start_cmd,
        "log (table)": log,
        "log --format csv": [*log, "--format", "csv"],
        "log --format jsonl": [*log, "--format", "jsonl"],
    }
    firsts = interleaved(sides, env, max(rounds, 5), whole=False)  # cheap: stopped early
    base = med(firsts["area list (empty db)"], "first")
    worst = 0.0
    for name, runs in firsts.items():
        t = med(runs, "first")
        worst = max(worst, t / base) if name != "area list (empty db)" else worst
        print(f"     {name:<22} first line after {1e3 * t:7.1f} ms  ({t / base:.2f}x)")
    targets.append(
        Target(
            "log_first_line_vs_startup",
            f"log's first line (slowest of table/CSV/JSONL, {entries} entries) "
            "vs area list's on an empty db",
            worst,
            1.2,
            detail=f"start-up {1e3 * base:.0f} ms",
        )
    )

    print(f"\n  b) the whole log ({entries} entries): peak memory, and CSV vs stdlib sqlite3")
    dump = [py, "-c", DUMP, str(db), SQL]
    sides = {"sqlite3 (stdlib) to CSV": dump, "log --format csv": [*log, "--format", "csv"]}
    whole = interleaved(sides, env, rounds)
    for fmt in ("table", "jsonl"):
        whole[f"log --format {fmt}"] = [run_child([*log, "--format", fmt], env)]
    for name, runs in whole.items():
        print(
            f"     {name:<24} {med(runs, 'total'):6.2f} s  peak {med(runs, 'mib'):6.1f} MiB  "
            f"{med(runs, 'out_bytes') / 1e6:6.1f} MB out"
        )
    if shutil.which("sqlite3"):
        t0 = time.perf_counter()
        subprocess.run(
            ["sqlite3", "-csv", str(db), SQL],
            stdout=subprocess.DEVNULL,
            check=True,
        )
        print(f"     (the sqlite3 CLI: {time.perf_counter() - t0:.2f} s, for comparison)")
    peak = max(med(runs, "mib") for name, runs in whole.items() if name.startswith("log"))
    csv_ratio = med(whole["log --format csv"], "total") / med(
        whole["sqlite3 (stdlib) to CSV"], "total"
    )
    targets.append(
        Target(
            "log_memory_mib_1m",
            f"log's peak memory at {entries} entries in units of 100 MiB "
            "(ratio = MiB/100, worst of table/CSV/JSONL)",
            peak / 100,
            1.0,
            detail=f"{peak:.0f} MiB",
        )
    )
    targets.append(
        Target(
            "log_csv_vs_sqlite3",
            f"log --format csv vs stdlib sqlite3 writing the same {entries} rows as CSV",
            csv_ratio,
            2.0,
        )
    )
    return targets


def person_vs_admin(url: str, areas: int, env: dict[str, str], rounds: int) -> list[Target]:
    """mia (moderation in every area, no global role) against ada (an admin
    holding moderation beside her in every area): the same areas and roles,
    the person's access decided in the query."""
    cli = [sys.executable, "-m", "regsam_flow.cli", "--db", url]
    commands = {
        "log": ["log", "--format", "csv"],
        "area_list": ["area", "list", "--json"],
        "inbox": ["inbox", "--json"],
    }
    targets = []
    print(f"  person (mia) vs admin (ada), both moderation in all {areas} areas")
    for key, args in commands.items():
        sides = {"person": [*cli, "--as", "mia", *args], "admin": [*cli, "--as", "ada", *args]}
        runs = interleaved(sides, env, rounds)
        p, a = med(runs["person"], "total"), med(runs["admin"], "total")
        print(
            f"     {' '.join(args):<22} person {p:6.2f} s ({med(runs['person'], 'mib'):5.0f} MiB)"
            f"  admin {a:6.2f} s ({med(runs['admin'], 'mib'):5.0f} MiB)  {p / a:.2f}x"
        )
        targets.append(
            Target(
                f"person_vs_admin_{key}",
                f"{' '.join(args)}: a person in {areas} areas vs an admin in the same",
                p / a,
                1.2,
                detail=f"person {p:.2f} s, admin {a:.2f} s",
            )
        )
    return targets
