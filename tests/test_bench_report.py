"""benchmarks/report.py reads the targets the benchmark scripts report and
prints each with PASS or MISS, and every expected target that did not
report as "not measured" (run as a process on a summary file written with
benchmarks.targets, as the scripts write it).  Nothing here measures speed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from benchmarks.targets import Target, write_summary

REPORT = Path(__file__).resolve().parent.parent / "benchmarks" / "report.py"


def report(*args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin"}  # no REGSAM_FLOW_TEST_PG_URL from the test run
    return subprocess.run(
        [sys.executable, str(REPORT), *args], capture_output=True, text=True, env=env, check=False
    )


def test_summary_prints_pass_miss_and_what_was_not_measured(tmp_path: Path) -> None:
    summary = tmp_path / "summary.jsonl"
    write_summary(
        summary,
        [
            Target("transition_wall_sqlite", "transition, wall / sqlite3", 1.12, 1.3,
                   detail="3.10 ms vs 2.77 ms"),
            Target("verify_rate_vs_sqlite3", "verify rate / sqlite3 read rate", 0.41, 0.8,
                   higher_is_better=True),
            Target("person_vs_admin_log", "log as a person / the admin", 1.5, 1.2),
        ],
    )  # fmt: skip
    proc = report("--from-summary", str(summary))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "PASS  transition, wall / sqlite3: 1.12x (target <= 1.3x)" in out
    assert "[transition_wall_sqlite] 3.10 ms vs 2.77 ms" in out
    assert "MISS  verify rate / sqlite3 read rate: 0.41x (target >= 0.8x)" in out
    assert "MISS  log as a person / the admin: 1.50x (target <= 1.2x)" in out
    missing = [line for line in out.splitlines() if line.strip().startswith("[")]
    for key in ("transition_cpu_sqlite", "log_first_line_vs_startup", "log_memory_mib_1m",
                "log_csv_vs_sqlite3"):  # fmt: skip
        assert any(f"[{key}] from bench_" in m for m in missing), key
    # the person_vs_admin_* family reported, so it is not listed as missing
    assert "[person_vs_admin_*]" not in out
    # without a PostgreSQL URL the PostgreSQL targets say what they need
    assert "[transition_wall_pg] from bench_core.py; needs --pg URL" in out
    assert "1 PASS, 2 MISS, 6 not measured" in out


def test_an_empty_summary_shows_every_target_as_not_measured(tmp_path: Path) -> None:
    summary = tmp_path / "summary.jsonl"
    summary.write_text("", encoding="utf-8")
    proc = report("--from-summary", str(summary), "--pg", "postgresql://x@localhost/none")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("not measured  ") == 9
    assert "needs --pg URL" not in proc.stdout
    assert "[person_vs_admin_*] from bench_cli.py" in proc.stdout
    assert "0 PASS, 0 MISS, 9 not measured" in proc.stdout


def test_a_missing_or_broken_summary_file_is_named(tmp_path: Path) -> None:
    proc = report("--from-summary", str(tmp_path / "nothing.jsonl"))
    assert proc.returncode != 0
    assert "nothing.jsonl" in proc.stderr
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"key": "x"\n', encoding="utf-8")
    proc = report("--from-summary", str(broken))
    assert proc.returncode != 0
    assert "broken.jsonl" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_password_in_a_url_is_not_shown() -> None:
    from benchmarks.report import shown

    line = shown(["--quick", "--pg", "postgresql+psycopg://bench:s3cret@127.0.0.1:5432/db"])
    assert "s3cret" not in line
    assert "postgresql+psycopg://bench:***@127.0.0.1:5432/db" in line
    assert shown(["--dir", "/tmp/x"]) == "--dir /tmp/x"
