#!/usr/bin/env python
"""Start-up cost of the command line, and the CLI on large databases,
measured the way a user feels it.

    .venv/bin/python benchmarks/bench_cli.py              # 15 runs per side
    .venv/bin/python benchmarks/bench_cli.py -n 30 --dir /var/tmp/rf-bench
    .venv/bin/python benchmarks/bench_cli.py --profile    # plus what the command imports
    .venv/bin/python benchmarks/bench_cli.py --quick      # small databases: does it run?
    .venv/bin/python benchmarks/bench_cli.py --summary targets.jsonl  # see targets.py

Target (the CLI issue): a data command, ``regsam-flow area show AREA`` on a
database of 1 000 areas and 100 000 audit entries, costs at most 1.3x
``python -c "import sqlalchemy"`` measured side by side; ``--help`` and
``--version`` import neither SQLAlchemy nor Alembic; only ``init`` imports
Alembic.

Then (``benchmarks/cli_streams.py``) ``log`` on 1 000 000 audit entries
(``--log-entries``): its first line (table, CSV, JSON lines) against
``area list`` on an empty database (target <= 1.2x), the peak memory of
each format (target under 100 MiB, printed as MiB/100), and ``log --format
csv`` against stdlib ``sqlite3`` writing the same rows as CSV (target <=
2x); and a person against an admin, both in 100 000 areas
(``--many-areas``), for ``log``, ``area list --json`` and ``inbox --json``
(target <= 1.2x each).

The databases are built once and kept (``--dir``, default a folder in the
system temp folder); ``--rebuild`` builds it again.  The sides run as fresh
processes, interleaved in rotating order, and are compared by median wall
time.  A miss is printed, never an exit status: the script exits 0 unless it
crashes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks import cli_streams
from benchmarks.sample import sign_sample_agreement
from benchmarks.targets import Target, write_summary

TARGET_RATIO = 1.3
AREA = "hasenbergl-nord"
USER = "mia"
HEAVY = ("sqlalchemy", "alembic", "pydantic", "yaml", "transitions", "platformdirs", "jinja2")
REPO = Path(__file__).resolve().parent.parent
BUILD_FORMAT = 1

PEOPLE = {
    # id: (name, email, role in the shown area)
    "mia": ("Mia Moderatorin", "mia@regsam.example", "moderation"),
    "sven": ("Sven Sozialplanung", "sven@muenchen.example", "social_planning"),
    "stella": ("Stella Steuerung", "stella@muenchen.example", "steering"),
    "tom": ("Tom Träger", "tom@traeger.example", "provider"),
    "sabine": ("Sabine SBH", "sabine@muenchen.example", "sbh"),
}

# filler entries for the audit log, spread over all areas
_TEMPLATES: list[dict[str, Any]] = [
    {"action": "task_reported", "role": "social_planning",
     "details": {"task": "datenmaterial", "note": "Monitoringdaten 2026 eingestellt"}},
    {"action": "assigned", "role": "moderation", "details": {"role": "provider", "person": "tom"}},
    {"action": "agreement_signed", "role": "social_planning", "details": {"version": 2}},
    {"action": "task_reopened", "role": "moderation", "reason": "Protokoll fehlt noch",
     "details": {"task": "bedarfsanalyse"}},
    {"action": "approval", "role": "moderation", "trigger": "close", "from_state": "auswertung",
     "details": {"missing": ["social_planning"], "given": ["moderation"]}},
]  # fmt: skip


# --------------------------------------------------------------------------
# the database


def build(folder: Path, n_areas: int, n_entries: int, twin: bool = False) -> None:
    """An initialised database: the shown area made through the Engine (people
    in every role, a signed agreement, tasks reported), the other areas and
    the rest of the audit log bulk-inserted with correctly chained hashes.
    With ``twin``, ``ada``, an admin, holds moderation beside mia in every
    area (a person and an admin with the same roles in the same areas)."""
    from sqlalchemy import insert, select, update

    from regsam_flow import Engine
    from regsam_flow import audit as audit_mod
    from regsam_flow.model import AuditEntry
    from regsam_flow.persistence import schema as s
    from regsam_flow.persistence.database import WRITE_OPTION

    t0 = time.perf_counter()
    db = folder / "cli.db"
    for f in folder.glob("cli.db*"):
        f.unlink()
    eng = Engine(f"sqlite:///{db}")
    eng.init("root", name="Rita Root", email="root@regsam.example")
    for pid, (name, email, _role) in PEOPLE.items():
        eng.add_person(pid, actor="root", name=name, email=email)
    eng.add_person(
        "audrey", actor="root", name="Audrey Auditorin", email="audrey@regsam.example", auditor=True
    )
    eng.create_area(AREA, actor="root", name="Hasenbergl-Nord", district="24 Feldmoching")
    for pid, (_n, _e, role) in PEOPLE.items():
        actor = "root" if role in ("moderation", "social_planning") else "mia"
        eng.assign(AREA, role, pid, actor=actor)
    holders = [("moderation", "mia"), ("social_planning", "sven")]
    if twin:  # an admin holding what mia holds, everywhere she holds it
        eng.add_person(
            "ada", actor="root", name="Ada Admin", email="ada@regsam.example", admin=True
        )
        eng.assign(AREA, "moderation", "ada", actor="root")
        holders.append(("moderation", "ada"))
    sign_sample_agreement(eng, AREA)
    eng.report_task(AREA, "datenmaterial", actor="sven")

    sa = eng.store.engine  # type: ignore[attr-defined]
    wf = eng.workflows.get("schwerpunktgebiet")
    base = datetime(2027, 1, 1, 6, 0, tzinfo=timezone.utc)
    ts = audit_mod.format_ts(base)
    others = [f"gebiet-{i:04d}" for i in range(1, n_areas)]
    with sa.connect() as c0:
        conn = c0.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            h = s.audit_head
            seq, prev = conn.execute(select(h.c.seq, h.c.hash).where(h.c.id == 1)).one()
            areas, assignments, entries = [], [], []

            def add(i: int, **fields: Any) -> None:
                nonlocal seq, prev
                e = audit_mod.make_entry(
                    seq, prev, at=base + timedelta(seconds=37 * i, microseconds=i % 1000), **fields
                )
                entries.append({c: getattr(e, c) for c in AuditEntry.__dataclass_fields__})
                seq, prev = e.seq, e.hash

            for i, area_id in enumerate(others):
                areas.append(
                    {
                        "id": area_id,
                        "name": f"Gebiet {i + 1}",
                        "district": f"{i % 25 + 1:02d}",
                        "workflow": wf.name,
                        "workflow_version": wf.version,
                        "state": wf.initial,
                        "version": 3,
                        "round": 0,
                        "created_at": ts,
                        "updated_at": ts,
                    }
                )
                details = {"name": f"Gebiet {i + 1}", "district": f"{i % 25 + 1:02d}",
                           "workflow": wf.name, "workflow_version": wf.version}  # fmt: skip
                add(i, actor="root", action="area_created", area=area_id, to_state=wf.initial,
                    details=details)  # fmt: skip
                for role, person in holders:
                    assignments.append({"area_id": area_id, "role": role, "person_id": person})
                    add(i, actor="root", role="admin", action="assigned", area=area_id,
                        details={"role": role, "person": person})  # fmt: skip
            conn.execute(insert(s.areas), areas)
            conn.execute(insert(s.assignments), assignments)
            everywhere = [AREA, *others]
            i = seq
            while seq < n_entries:
                tpl = _TEMPLATES[i % len(_TEMPLATES)]
                add(i, actor=("mia", "sven")[i % 2], area=everywhere[i % len(everywhere)], **tpl)
                i += 1
                if len(entries) >= 10_000:
                    conn.execute(insert(s.audit_log), entries)
                    entries = []
            if entries:
                conn.execute(insert(s.audit_log), entries)
            conn.execute(update(h).where(h.c.id == 1).values(seq=seq, hash=prev))
    result = eng.verify()
    eng.close()
    if not result.ok:  # pragma: no cover - a bug in this script
        raise SystemExit(f"the built audit log does not verify: {result.problem}")
    (folder / "build.json").write_text(json.dumps(build_marker(n_areas, n_entries, twin)), "utf-8")
    size = sum(f.stat().st_size for f in folder.glob("cli.db*")) / 1e6
    print(
        f"  built {n_areas} areas and {result.entries} audit entries in "
        f"{time.perf_counter() - t0:.1f} s ({size:.0f} MB); the chain verifies"
    )


def build_marker(n_areas: int, n_entries: int, twin: bool = False) -> dict[str, Any]:
    """What ``build.json`` records of a built database; :func:`ensure_db`
    reuses the database only if it records the same (a database of an older
    schema is built again)."""
    from regsam_flow.persistence.revision import HEAD_REVISION

    return {
        "format": BUILD_FORMAT,
        "areas": n_areas,
        "entries": n_entries,
        "twin": twin,
        "schema": HEAD_REVISION,
    }


def ensure_db(folder: Path, n_areas: int, n_entries: int, rebuild: bool, twin: bool = False) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / "build.json"
    want = build_marker(n_areas, n_entries, twin)
    try:
        have = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        have = None
    if rebuild or have != want or not (folder / "cli.db").exists():
        # in a child process: this one stays small, so that the children it
        # starts later (whose peak memory counts what they inherit at fork)
        # are measured fairly
        code = (
            f"import sys; sys.path.insert(0, {str(REPO)!r}); from benchmarks import bench_cli; "
            f"bench_cli.build(__import__('pathlib').Path({str(folder)!r}), "
            f"{n_areas}, {n_entries}, {twin!r})"
        )
        subprocess.run([sys.executable, "-c", code], check=True)
    else:
        print(f"  reusing the database in {folder} (--rebuild builds it again)")
    return f"sqlite:///{folder / 'cli.db'}"


# --------------------------------------------------------------------------
# running commands


def child_env(folder: Path) -> tuple[dict[str, str], list[str]]:
    """The environment of the measured processes, and notes about it."""
    env = dict(os.environ)
    notes = []
    env["REGSAM_FLOW_HOME"] = str(folder / "home")  # the workflow cache, kept out of ~
    notes.append(f"REGSAM_FLOW_HOME={folder / 'home'} (holds the workflow cache)")
    if env.pop("PYTHONDONTWRITEBYTECODE", None):
        # Without bytecode every module is compiled on every start: that is not
        # how an installed tool runs.  Keep the bytecode out of the sources.
        env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
        notes.append(
            "PYTHONDONTWRITEBYTECODE was set: dropped for the measured processes, "
            f"bytecode goes to {folder / 'pycache'}"
        )
    for var in ("REGSAM_FLOW_DB", "REGSAM_FLOW_USER", "REGSAM_FLOW_WORKFLOWS"):
        env.pop(var, None)
    return env, notes


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - t0, proc


PROBE = """\
import sys
sys.argv = ["regsam-flow", *{args!r}]
try:
    from regsam_flow.cli import main
    main()
except SystemExit:
    pass
finally:
    heavy = [m for m in {heavy!r} if m in sys.modules]
    print("\\n@@modules " + " ".join(heavy), file=sys.stderr)
"""


def loaded(args: list[str], env: dict[str, str]) -> list[str] | None:
    """The heavy libraries a CLI call imports (None if it could not tell)."""
    code = PROBE.format(args=args, heavy=HEAVY)
    _, proc = run([sys.executable, "-c", code], env)
    m = re.search(r"@@modules ?(.*)$", proc.stderr, re.M)
    return m.group(1).split() if m else None


def stats(ts: list[float]) -> str:
    q = statistics.quantiles(ts, n=10) if len(ts) >= 2 else [ts[0]] * 9
    med = 1e3 * statistics.median(ts)
    return f"median {med:6.1f} ms   p10 {1e3 * q[0]:6.1f}   p90 {1e3 * q[8]:6.1f}"


def measure(sides: dict[str, list[str]], env: dict[str, str], n: int) -> dict[str, list[float]]:
    names = list(sides)
    times: dict[str, list[float]] = {k: [] for k in names}
    for name in names:  # warm-up: bytecode, workflow cache, page cache
        for _ in range(2):
            _, proc = run(sides[name], env)
            if proc.returncode != 0:
                raise SystemExit(
                    f"{name} failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
                )
    for r in range(n):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            dt, _ = run(sides[name], env)
            times[name].append(dt)
    return times


def importtime_extra(cmd: list[str], env: dict[str, str], top: int = 25) -> None:
    """Print what ``cmd`` imports beyond ``import sqlalchemy``, by self time."""
    _, base = run([sys.executable, "-X", "importtime", "-c", "import sqlalchemy"], env)
    _, proc = run([sys.executable, "-X", "importtime", *cmd[1:]], env)

    def parse(text: str) -> list[tuple[str, int, int, int]]:
        out = []
        for line in text.splitlines():
            m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
            if m:
                out.append((m.group(4), int(m.group(1)), int(m.group(2)), len(m.group(3))))
        return out

    seen = {name for name, *_ in parse(base.stderr)}
    rows = [r for r in parse(proc.stderr) if r[0] not in seen]
    total_self = sum(r[1] for r in rows)
    print(
        f"\n  modules imported beyond `import sqlalchemy`: {len(rows)}, "
        f"{total_self / 1e3:.1f} ms self time (-X importtime inflates all numbers)"
    )
    for name, self_us, cum_us, _depth in sorted(rows, key=lambda r: -r[1])[:top]:
        print(f"    {self_us / 1e3:5.1f} ms self  {cum_us / 1e3:6.1f} ms cum  {name}")


# --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=15, help="runs per side (default 15)")
    ap.add_argument("--areas", type=int, default=1000, help="areas in the database (1000)")
    ap.add_argument("--entries", type=int, default=100_000, help="audit entries (100000)")
    ap.add_argument(
        "--dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "regsam-flow-bench-cli",
        help="where the database is built and kept (default: in the system temp folder)",
    )
    ap.add_argument("--rebuild", action="store_true", help="build the database again")
    ap.add_argument("--profile", action="store_true", help="list what the command imports")
    ap.add_argument(
        "--log-entries",
        type=int,
        default=1_000_000,
        help="audit entries of the database `log` streams from (1000000)",
    )
    ap.add_argument(
        "--many-areas",
        type=int,
        default=100_000,
        help="areas a person and an admin are both in, for person vs admin (100000)",
    )
    ap.add_argument("--rounds", type=int, default=3, help="runs per side on the large databases")
    ap.add_argument(
        "--quick", action="store_true", help="small databases and few runs: does it still run?"
    )
    ap.add_argument("--summary", type=Path, help="append the targets to FILE as JSON lines")
    args = ap.parse_args(argv)
    if args.quick:
        args.n, args.areas, args.entries = 3, 100, 2_000
        args.log_entries, args.many_areas, args.rounds = 5_000, 1_000, 1

    print("regsam-flow CLI start-up benchmark")
    print("=" * 78)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    print(
        f"  Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs, load average {load:.2f}"
        + ("  (other work is running: expect noisy numbers)" if load > 0.5 else "")
    )
    folder = args.dir.resolve()
    url = ensure_db(folder, args.areas, args.entries, args.rebuild)
    env, notes = child_env(folder)
    for note in notes:
        print(f"  {note}")

    py = sys.executable
    have_cli = (REPO / "regsam_flow" / "cli" / "__main__.py").exists()
    script = (
        f"from regsam_flow import Engine; e = Engine({url!r}); "
        f"s = e.status({AREA!r}, actor={USER!r}); print(s.area.state)"
    )
    sides = {"import sqlalchemy": [py, "-c", "import sqlalchemy"]}
    if have_cli:
        data_cmd = [py, "-m", "regsam_flow.cli", "--db", url, "--as", USER, "area", "show", AREA]
        sides["area show (CLI)"] = data_cmd
    else:
        data_cmd = [py, "-c", script]
    sides["Engine.status script"] = [py, "-c", script]
    if have_cli:
        sides["--help"] = [py, "-m", "regsam_flow.cli", "--help"]
    data_name = "area show (CLI)" if have_cli else "Engine.status script"

    print(f"\n1. Side by side: {args.n} runs each, interleaved (after 2 warm-up runs each)")
    print("-" * 78)
    if not have_cli:
        print("  regsam_flow/cli/__main__.py does not exist yet: the data command is the script")
    print(f"  data command: {' '.join(data_cmd[1:]) if have_cli else script}")
    times = measure(sides, env, args.n)
    width = max(len(k) for k in times)
    for name, ts in times.items():
        print(f"  {name:<{width}}  {stats(ts)}")
    base = statistics.median(times["import sqlalchemy"])
    data = statistics.median(times[data_name])
    ratio = data / base
    paired = statistics.median(
        d / b for d, b in zip(times[data_name], times["import sqlalchemy"], strict=True)
    )
    verdict = "PASS" if ratio <= TARGET_RATIO else "MISS"
    print(
        f"\n  {data_name} / import sqlalchemy = {ratio:.2f}x (paired median {paired:.2f}x), "
        f"target <= {TARGET_RATIO}x: {verdict}"
    )
    print(
        f"  budget left: {1e3 * (TARGET_RATIO * base - data):+.1f} ms "
        f"(the command may take {1e3 * (TARGET_RATIO - 1) * base:.0f} ms beyond the import)"
    )
    if have_cli:
        help_ms = 1e3 * statistics.median(times["--help"])
        print(
            f"  --help: median {help_ms:.1f} ms ({help_ms / (1e3 * base):.2f}x import sqlalchemy)"
        )

    print("\n2. What each call imports")
    print("-" * 78)
    if have_cli:
        calls = {
            "--help": ["--help"],
            "--version": ["--version"],
            "area show": ["--db", url, "--as", USER, "area", "show", AREA],
        }
        must_not = {
            "--help": ("sqlalchemy", "alembic"),
            "--version": ("sqlalchemy", "alembic"),
            "area show": ("alembic",),
        }
        for name, cli_args in calls.items():
            mods = loaded(cli_args, env)
            if mods is None:
                print(f"  {name:<10} (could not tell)")
                continue
            bad = [m for m in must_not[name] if m in mods]
            print(
                f"  {name:<10} imports: {', '.join(mods) or 'none of ' + ', '.join(HEAVY)}"
                f"  -> {'MISS: ' + ', '.join(bad) if bad else 'PASS'}"
            )
    else:
        print("  (no CLI yet)")
    code = (
        "import sys; "
        + script.replace("print(s.area.state)", "s")
        + f"; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    _, proc = run([py, "-c", code], env)
    print(f"  Engine.status script imports: {proc.stdout.strip() or '-'}")

    targets = [
        Target(
            "cli_data_command_vs_import",
            f"{data_name} vs python -c 'import sqlalchemy' (start-up)",
            ratio,
            TARGET_RATIO,
        )
    ]
    print(f"\n3. log streams ({args.log_entries} audit entries)")
    print("-" * 78)
    log_dir = folder / f"log-{args.log_entries}"
    log_url = ensure_db(log_dir, 100, args.log_entries, args.rebuild)
    targets += cli_streams.log_streaming(
        folder, log_url, log_dir / "cli.db", args.log_entries, env, args.rounds
    )
    print(f"\n4. Any number of areas ({args.many_areas})")
    print("-" * 78)
    many_dir = folder / f"areas-{args.many_areas}"
    many_url = ensure_db(many_dir, args.many_areas, 0, args.rebuild, twin=True)
    targets += cli_streams.person_vs_admin(many_url, args.many_areas, env, args.rounds)

    print("\nTargets")
    print("-" * 78)
    for t in targets:
        print(f"  {t.line()}" + (f"  [{t.detail}]" if t.detail else ""))
    write_summary(args.summary, targets)

    if args.profile:
        print("\n5. The data command under -X importtime")
        print("-" * 78)
        importtime_extra(data_cmd, env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
