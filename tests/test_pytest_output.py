"""What ``pytest -q`` prints without PostgreSQL: one line per skip reason,
not one per skipped place (issue 12, rough edge 13)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_skips_are_summed_up_by_reason() -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CI", "REGSAM_FLOW_TEST_PG_URL", "REGSAM_FLOW_TEST_REQUIRE_PG")
    }
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "tests/test_pg_identity.py"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    skipped = [
        line for line in r.stdout.splitlines() if "skipped: PostgreSQL not configured" in line
    ]
    assert len(skipped) == 1, r.stdout
    assert skipped[0].split()[0].isdigit() and int(skipped[0].split()[0]) > 1
    assert "SKIPPED [" not in r.stdout
