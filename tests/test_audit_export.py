"""The exact export of the audit log, checked by the standalone verifier in
an interpreter that cannot import regsam-flow; and verification from a
trusted head (``audit verify --from``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from regsam_flow import Engine, audit

from .cli_helpers import Cli
from .conftest import report, sign_agreement

TRICKY = "Größere Maßnahmen | 12:30 Uhr – Übergabe »ÄÖÜ« ✓ 🏠\nzweite Zeile"


@pytest.fixture
def log(engine: Engine, area: str) -> int:
    """A log with umlauts, separators and a line break in its texts."""
    sign_agreement(engine, area)
    report(engine, area, "vorlauf")
    engine.reopen_task(area, "datenmaterial", actor="mia", reason=TRICKY)
    engine.report_task(area, "datenmaterial", actor="sven", note=TRICKY)
    engine.advance(area, actor="mia", reason=TRICKY)
    return engine.head().entries


def add_someone(engine: Engine) -> None:
    """One more audited change."""
    engine.add_person("neu", actor="root", name="Nora Neu", email="neu@regsam.example")


def base_python() -> str:
    """A Python without regsam-flow installed (the one this virtualenv was made from)."""
    return str(getattr(sys, "_base_executable", None) or sys.executable)


def run_isolated(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -I ARGS`` in ``folder``: no site-packages of ours, no PYTHONPATH."""
    return subprocess.run(
        [base_python(), "-I", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
    )


def exported(engine: Engine, path: Path) -> list[str]:
    lines: list[str] = []
    engine.export_audit(lines.append, actor="audrey")
    path.write_text("".join(lines), encoding="utf-8")
    return lines


# ------------------------------------------------------------------ export
@pytest.mark.sql("runs the CLI and a separate interpreter on the database's export")
def test_export_is_verified_by_the_standalone_checker_alone(
    engine: Engine, log: int, tmp_path: Path
) -> None:
    c = Cli(engine.url, tmp_path / "home")
    auditor = tmp_path / "auditor"
    auditor.mkdir()
    c.ok("audit", "export", "-o", str(auditor / "log.jsonl"), user="audrey")
    (auditor / "verify.py").write_text(c.ok("audit", "export", "--verifier").stdout, "utf-8")
    # the auditor's machine: a Python that has never seen regsam-flow
    assert run_isolated(auditor, "-c", "import regsam_flow").returncode != 0
    done = run_isolated(auditor, "verify.py", "log.jsonl")
    head = engine.head()
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"OK: {log} Einträge, Kette intakt; Kopf {head}"
    kept = run_isolated(auditor, "verify.py", "log.jsonl", "--expect-head", str(head))
    assert kept.returncode == 0, kept.stderr
    lines = (auditor / "log.jsonl").read_text("utf-8").splitlines()
    assert len(lines) == log + 1
    assert json.loads(lines[-1]) == {"head": {"count": head.entries, "hash": head.hash}}
    assert TRICKY.split("\n")[0] in (auditor / "log.jsonl").read_text("utf-8")  # not escaped


@pytest.mark.sql("runs a separate interpreter on the export")
@pytest.mark.parametrize("where", ["reason", "hash", "seq"])
def test_a_one_byte_change_is_found_and_its_entry_named(
    engine: Engine, log: int, tmp_path: Path, where: str
) -> None:
    path = tmp_path / "log.jsonl"
    lines = exported(engine, path)
    number = next(i for i, line in enumerate(lines) if TRICKY.split()[0] in line)
    entry = json.loads(lines[number])
    data = path.read_bytes()
    line_start = sum(len(x.encode("utf-8")) for x in lines[:number])
    needle = {
        "reason": "Maßnahmen".encode(),
        "hash": entry["hash"].encode(),
        "seq": f'"seq": {entry["seq"]},'.encode(),
    }[where]
    at = data.index(needle, line_start) + len(needle) - 2
    changed = data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :]
    assert len(changed) == len(data) and changed != data
    path.write_bytes(changed)
    verifier = tmp_path / "verify.py"
    verifier.write_text(Path(audit.__file__).with_name("verify.py").read_text("utf-8"), "utf-8")
    done = run_isolated(tmp_path, "verify.py", "log.jsonl", "--lang", "en")
    assert done.returncode == 1, done.stdout
    assert f"line {number + 1}" in done.stderr
    assert f"entry {entry['seq']}" in done.stderr or f"entry {entry['seq'] - 1}" in done.stderr


def test_module_runs_as_python_m_and_a_cut_file_is_found(
    engine: Engine, log: int, tmp_path: Path
) -> None:
    path = tmp_path / "log.jsonl"
    lines = exported(engine, path)
    ok = subprocess.run(
        [sys.executable, "-m", "regsam_flow.verify", str(path)], capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stderr
    path.write_text("".join(lines[:-3]), encoding="utf-8")  # the last entries and the head gone
    cut = subprocess.run(
        [sys.executable, "-m", "regsam_flow.verify", str(path)], capture_output=True, text=True
    )
    assert cut.returncode == 1
    assert "Kopfzeile fehlt" in cut.stderr


@pytest.mark.sql("runs the CLI on the database")
def test_only_auditors_and_admins_export_and_nothing_is_written_otherwise(
    engine: Engine, log: int, tmp_path: Path
) -> None:
    c = Cli(engine.url, tmp_path / "home")
    out = tmp_path / "log.jsonl"
    refused = c.run("audit", "export", "-o", str(out), user="mia")
    assert refused.exit_code == 3
    assert not out.exists() and list(tmp_path.glob(".log.jsonl*")) == []
    c.ok("audit", "export", "-o", str(out), user="root")
    again = c.run("audit", "export", "-o", str(out), user="root")
    assert again.exit_code == 7 and "--force" in again.output


# ------------------------------------------------------- from a trusted head
def test_verify_from_a_trusted_head_reads_only_what_was_added(engine: Engine, log: int) -> None:
    trusted = engine.head()
    add_someone(engine)
    result = engine.verify(since=str(trusted))
    assert result.ok, result.problem
    assert result.since == trusted.entries
    assert (result.entries, result.head) == (engine.head().entries, engine.head().hash)
    assert engine.verify(since=f"0:{audit.GENESIS}").ok
    assert engine.verify(since=str(engine.head())).ok  # nothing new


def test_a_wrong_trusted_head_is_refused(engine: Engine, log: int) -> None:
    head = engine.head()
    wrong = engine.verify(since=f"{head.entries - 3}:{'ab' * 32}")
    assert not wrong.ok
    assert wrong.first_bad_seq == head.entries - 3
    assert "trusted head" in (wrong.problem or "")
    beyond = engine.verify(since=f"{head.entries + 5}:{head.hash}")
    assert not beyond.ok and beyond.first_bad_seq == head.entries + 5


@pytest.mark.sql("runs the CLI on the database")
def test_cli_from_option_and_its_errors(engine: Engine, log: int, tmp_path: Path) -> None:
    c = Cli(engine.url, tmp_path / "home")
    head = str(engine.head())
    add_someone(engine)
    done = c.ok("audit", "verify", "--from", head, user="audrey")
    assert "1 new entry" in done.output
    data: dict[str, Any] = c.json("audit", "verify", "--from", head, user="audrey")
    assert data["ok"] and data["since"] == int(head.split(":")[0])
    count, h = head.split(":")
    wrong = f"{count}:{h[:-1]}{'0' if h[-1] != '0' else '1'}"
    bad = c.run("audit", "verify", "--from", wrong)
    assert bad.exit_code == 8 and "trusted head" in bad.output
    bare = c.run("audit", "verify", "--from", h)
    assert bare.exit_code == 7


# --------------------------------------------------- the database's fast path
def test_the_store_joins_entries_as_the_engine_hashes_them(engine: Engine, log: int) -> None:
    """Each store's batches (SQL: built by the database) re-hash to the chain."""
    head = engine.head()
    with engine.store.read() as uow:
        for size in (1, 7, 5000):
            assert audit.check_batches(uow.iter_audit_batches(size=size)) == (
                head.entries,
                head.hash,
            )
        start = audit.ChainStart(5, next(iter(uow.iter_audit_rows(after=4)))[11], "")
        assert audit.check_batches(uow.iter_audit_batches(after=5), start) == (
            head.entries,
            head.hash,
        )


@pytest.mark.sql("tampers with the database behind the engine's back")
def test_the_fast_path_stops_early_and_the_walk_names_the_entry(engine: Engine, log: int) -> None:
    """Damage in an early batch: the fast path gives up while the reader
    thread is still reading ahead; the same connection then walks the rows."""
    from .databases import raw_connection

    with raw_connection(engine.url) as con:
        con.drop_append_only_triggers()
        con.execute("UPDATE audit_log SET reason = ? WHERE seq = ?", ("nachträglich", 3))
    with engine.store.read() as uow:
        assert audit.check_batches(uow.iter_audit_batches(size=2)) is None
        rows = list(uow.iter_audit_rows())
        assert len(rows) == log
    result = engine.verify()
    assert not result.ok and result.first_bad_seq == 3
    assert result.problem and "entry 3" in result.problem
