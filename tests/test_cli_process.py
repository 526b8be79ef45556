"""The installed console script, run as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent / "regsam-flow"


def run(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    r = subprocess.run([str(BIN), *args], capture_output=True, text=True, env=env, timeout=120)
    if check:
        assert r.returncode == 0, f"{args}: {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("REGSAM_FLOW_")}
    e.update(
        REGSAM_FLOW_HOME=str(tmp_path / "home"),
        REGSAM_FLOW_USER="anna",
        REGSAM_FLOW_LANG="en",  # the texts below are the English ones
        PYTHONIOENCODING="utf-8",
    )
    return e


def test_console_script_is_installed() -> None:
    assert BIN.exists(), f"{BIN} missing: install the package (pip install -e .)"


def test_default_database_in_the_data_folder(env: dict[str, str], tmp_path: Path) -> None:
    r = run("area", "list", env=env, check=False)
    assert r.returncode == 13 and "run `regsam-flow init`" in r.stderr
    assert not (tmp_path / "home" / "regsam-flow.db").exists()  # nothing created silently
    run("init", "--name", "Anna Admin", "--email", "anna@regsam.example", env=env)
    assert (tmp_path / "home" / "regsam-flow.db").exists()
    run("area", "create", "moosach", "--name", "Moosach-Bahnhof", env=env)
    listed = json.loads(run("--json", "area", "list", env=env).stdout)
    assert [a["area"] for a in listed] == ["moosach"]
    r = run("--as", "nobody", "area", "show", "moosach", env=env, check=False)
    assert r.returncode == 3 and "Traceback" not in r.stderr


def test_demo_runs_and_reads_well(env: dict[str, str], tmp_path: Path) -> None:
    r = run("demo", "--dir", str(tmp_path / "demo"), env=env)
    out = r.stdout
    assert "vorlauf -> diagnose" in out and "auswertung -> abgeschlossen" in out
    assert "chain intact" in out and "Überprüfung" in out
    assert r.stderr == ""
    # on version 2, with the KG's work
    assert "mia tries to advance: refused, catalogue_not_adopted" in out
    assert "KG meeting 2 adopts the catalogue: version 1" in out
    assert "tom reports order #1: done" in out and "Goals rated" in out
    final = tmp_path / "demo" / "abschlussdokumentation.html"
    assert "Final documentation recorded (SHA-256 " in out and str(final) in out
    assert "Ziele- und Maßnahmenkatalog beschlossen" in final.read_text(encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'demo' / 'demo.db'}"
    check = run(
        "--db", db, "--as", "audrey", "dossier", "check", "hasenbergl-nord", str(final), env=env
    )
    assert check.returncode == 0
    show = json.loads(
        run(
            "--db", db, "--as", "audrey", "--json", "area", "show", "hasenbergl-nord", env=env
        ).stdout
    )
    assert show["workflow_version"] == 2
    log = json.loads(run("--db", db, "--as", "audrey", "--json", "log", env=env).stdout)
    assert log[-1]["to_state"] == "abgeschlossen"
    verify = run("--db", db, "--as", "audrey", "audit", "verify", env=env)
    assert verify.stdout.startswith("OK:")
    # the demo sends a reminder into its Maildir, and reminders list shows it
    assert "Subject: Erinnerung: Überprüfung Schwerpunktgebiet Hasenbergl-Nord am 15.07.2027" in out
    assert len(list((tmp_path / "demo" / "maildir" / "new").iterdir())) == 1
    rems = json.loads(
        run("--db", db, "--as", "audrey", "--json", "reminders", "list", env=env).stdout
    )
    assert [r["status"] for r in rems] == ["sent", "cancelled", "cancelled", "cancelled"]
    # it ends with how to look at it in the browser
    folder = tmp_path / "demo"
    serve_line = next(line for line in out.splitlines() if line.endswith(" serve"))
    assert serve_line.strip().startswith(f"REGSAM_FLOW_HOME={folder} ")
    assert f"--db {db} serve" in serve_line
    assert "http://127.0.0.1:8080/sign-in" in out and "mia@regsam.example" in out
    assert str(folder / "maildir") in out
    again = run("demo", "--dir", str(tmp_path / "demo"), env=env, check=False)
    assert again.returncode == 7 and "exists already" in again.stderr


def _modules_after(args: list[str], env: dict[str, str]) -> set[str]:
    code = (
        "import sys\n"
        "from regsam_flow.cli import main\n"
        f"sys.argv = ['regsam-flow', *{args!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('\\nMODULES', ' '.join(sorted(sys.modules)))\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    line = r.stdout.rsplit("MODULES", 1)[1]
    return set(line.split())


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["area", "show", "--help"]])
def test_help_and_version_import_neither_sqlalchemy_nor_alembic(
    args: list[str], env: dict[str, str]
) -> None:
    mods = _modules_after(args, env)
    assert "click" in mods
    assert not {m for m in mods if m.split(".")[0] in ("sqlalchemy", "alembic")}


def test_only_init_imports_alembic(env: dict[str, str], tmp_path: Path) -> None:
    mods = _modules_after(["init"], env)
    assert "alembic" in mods
    mods = _modules_after(["area", "list"], env)
    assert "sqlalchemy" in mods and "alembic" not in mods
