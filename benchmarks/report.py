#!/usr/bin/env python
"""The one benchmark command: every target with its ratio, the load, the scaling table.

    .venv/bin/python benchmarks/report.py                  # full: several minutes
    .venv/bin/python benchmarks/report.py --quick          # small sizes, under a minute
    .venv/bin/python benchmarks/report.py --dir /var/tmp/rf-bench --pg postgresql://...

Runs ``bench_core.py``, ``bench_cli.py`` and ``scaling.py`` one after the
other as child processes (with ``--quick`` when given, and ``--summary FILE``
where the script takes it, so it appends its targets to FILE as JSON lines,
see ``benchmarks/targets.py``), shows their output as it comes, then prints
the load average before and after, every target with its measured ratio and
PASS or MISS, and every expected target that did not report as "not
measured".  A MISS is a finding, not a failure: the exit status is 0 unless
a child crashed (then 1, naming it).

``--from-summary FILE`` prints the targets of a summary file written earlier
and runs nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # run as a script: `benchmarks` importable
    sys.path.insert(0, str(HERE.parent))

from benchmarks.targets import Target, read_summary  # noqa: E402

#: The targets a full report shows: key -> (what it compares,
#: the script that measures it).
EXPECTED: dict[str, tuple[str, str]] = {
    "transition_wall_sqlite": (
        "transition on SQLite, wall time / stdlib sqlite3 (target <= 1.3x)", "bench_core.py"),
    "transition_cpu_sqlite": (
        "transition on SQLite, CPU time / stdlib sqlite3 (target <= 2x)", "bench_core.py"),
    "transition_wall_pg": (
        "transition on PostgreSQL, wall time / psycopg (target <= 1.3x)", "bench_core.py"),
    "transition_cpu_pg": (
        "transition on PostgreSQL, CPU time / psycopg (target <= 2x)", "bench_core.py"),
    "verify_rate_vs_sqlite3": (
        "audit verify rate / stdlib sqlite3 reading the rows (target >= 0.8x)", "bench_core.py"),
    "log_first_line_vs_startup": (
        "log: first line / a data command's start-up (target <= 1.2x)", "bench_cli.py"),
    "log_memory_mib_1m": (
        "log: peak memory at 1 M entries (target under 100 MiB)", "bench_cli.py"),
    "log_csv_vs_sqlite3": (
        "log as CSV, 1 M entries / sqlite3 dumping them (target <= 2x)", "bench_cli.py"),
    "person_vs_admin_*": (
        "a person in 100 000 areas / the admin: log, area list, inbox (target <= 1.2x)",
        "bench_cli.py"),
}  # fmt: skip
PG_KEYS = ("transition_wall_pg", "transition_cpu_pg")
#: Where a script reads the PostgreSQL URL when not given --pg.
PG_ENV = "REGSAM_FLOW_BENCH_PG_URL"

SCRIPTS = ("bench_core.py", "bench_cli.py", "scaling.py")


def target_lines(targets: Sequence[Target], *, pg: bool) -> Iterator[str]:
    """Every target reported, then every expected one that was not.

    A key ending in ``*`` is a family (``person_vs_admin_*``): any key with
    that prefix reports it.  The PostgreSQL targets are expected only with a
    PostgreSQL URL; without one they say so."""
    for t in targets:
        yield f"  {t.line()}"
        yield f"        [{t.key}] {t.detail}".rstrip()
    keys = [t.key for t in targets]
    absent = [key for key in EXPECTED if not reported(key, keys)]
    for key in absent:
        title, script = EXPECTED[key]
        why = "; needs --pg URL" if key in PG_KEYS and not pg else ""
        yield f"  not measured  {title}"
        yield f"        [{key}] from {script}{why}"
    passed = sum(t.passed for t in targets)
    yield f"  {passed} PASS, {len(targets) - passed} MISS, {len(absent)} not measured"


def reported(key: str, keys: Sequence[str]) -> bool:
    if key.endswith("*"):
        return any(k.startswith(key[:-1]) for k in keys)
    return key in keys


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min) on {os.cpu_count()} CPUs"


def options(script: Path) -> str:
    """The script's source: which options it takes (``--summary``, ``--quick``,
    ``--pg``) is read from there, as the scripts gain them one by one."""
    return script.read_text(encoding="utf-8")


def child_command(
    name: str, args: argparse.Namespace, summary: Path
) -> tuple[list[str] | None, list[str]]:
    """The command line for one script (None: skip it) and notes about it."""
    script = HERE / name
    src = options(script)
    cmd = [sys.executable, "-u", str(script)]
    notes = []
    if args.quick:
        if '"--quick"' not in src:
            return None, [f"{name} has no --quick yet: skipped in the quick report"]
        cmd.append("--quick")
    if '"--summary"' in src:
        cmd += ["--summary", str(summary)]
    elif name != "scaling.py":
        notes.append(f"{name} takes no --summary yet: its targets are not measured here")
    if args.dir is not None:
        sub = args.dir.resolve() / name.removesuffix(".py")
        sub.mkdir(parents=True, exist_ok=True)
        cmd += ["--dir", str(sub)]
    if args.pg and '"--pg"' in src and PG_ENV not in src:
        cmd += ["--pg", args.pg]  # a script that does not read PG_ENV
    return cmd, notes


def shown(cmd: Sequence[str]) -> str:
    """The command line as printed: a password in a URL shows as ***."""
    return " ".join(re.sub(r"(://[^:/@\s]+):[^@\s]*@", r"\1:***@", a) for a in cmd)


def run_child(cmd: list[str], pg: str | None) -> int:
    """Run one script, its output shown as it comes, indented.  The
    PostgreSQL URL goes in its environment (PG_ENV), not on its command line,
    where any process could read its password."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    if pg:
        env[PG_ENV] = pg
    with subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            print("  " + line.rstrip("\n"), flush=True)
    return proc.returncode


def print_targets(path: Path, *, pg: bool) -> int:
    try:
        targets = read_summary(path)
    except (ValueError, TypeError) as exc:
        print(f"the summary file {path} cannot be read: {exc}", file=sys.stderr)
        return 1
    print("\nTargets: measured / floor, side by side in the same run")
    print("-" * 78)
    for line in target_lines(targets, pg=pg):
        print(line)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="small sizes: under a minute (CI)")
    ap.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="where the scripts build and keep their databases (a folder each); "
        "default: the system temp folder",
    )
    ap.add_argument(
        "--pg",
        metavar="URL",
        default=os.environ.get(PG_ENV) or os.environ.get("REGSAM_FLOW_TEST_PG_URL") or None,
        help=f"PostgreSQL URL for the PostgreSQL targets (the scripts make and drop databases "
        f"there) [env {PG_ENV}, else REGSAM_FLOW_TEST_PG_URL]",
    )
    ap.add_argument(
        "--summary",
        type=Path,
        default=None,
        help="keep the targets' JSON lines in this file (default: a temporary one)",
    )
    ap.add_argument(
        "--from-summary",
        type=Path,
        metavar="FILE",
        default=None,
        help="only print the targets of a summary file written earlier; run nothing",
    )
    args = ap.parse_args(argv)
    if args.from_summary is not None:
        if not args.from_summary.is_file():
            print(f"no such summary file: {args.from_summary}", file=sys.stderr)
            return 2
        return print_targets(args.from_summary, pg=args.pg is not None)

    with tempfile.TemporaryDirectory(prefix="regsam-flow-report-") as tmp:
        summary = args.summary or Path(tmp) / "summary.jsonl"
        summary.parent.mkdir(parents=True, exist_ok=True)
        summary.write_text("", encoding="utf-8")
        return report(args, summary)


def report(args: argparse.Namespace, summary: Path) -> int:
    started = time.perf_counter()
    before = load()
    print("regsam-flow benchmark report" + ("  (--quick: small sizes)" if args.quick else ""))
    print("=" * 78)
    print(f"  load average before: {before}")
    crashed, notes = [], []
    for name in SCRIPTS:
        cmd, why = child_command(name, args, summary)
        notes += why
        print(f"\n>>> {name}" + (" " + shown(cmd[3:]) if cmd else ": skipped"), flush=True)
        if cmd is None:
            continue
        t0 = time.perf_counter()
        code = run_child(cmd, args.pg)
        print(f"<<< {name}: exit {code}, {time.perf_counter() - t0:.0f} s", flush=True)
        if code != 0:
            crashed.append(f"{name} (exit {code})")
    print("\n" + "=" * 78)
    print(f"  load average before: {before}")
    print(f"  load average after:  {load()}")
    for note in notes:
        print(f"  {note}")
    status = print_targets(summary, pg=args.pg is not None)
    print(f"\n  total {time.perf_counter() - started:.0f} s; a MISS is a finding, not a failure")
    if crashed:
        print(f"  crashed: {', '.join(crashed)}", file=sys.stderr)
        return 1
    return status


if __name__ == "__main__":
    sys.exit(main())
