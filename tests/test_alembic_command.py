"""Operators run the migrations with the ``alembic`` command of the installed
package (from any folder), or print them as SQL to review: ``alembic
upgrade head --sql`` and ``regsam-flow init --sql`` change nothing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from regsam_flow import Engine
from regsam_flow.persistence import SqlStore
from regsam_flow.persistence.revision import HEAD_REVISION, revision_number

from .cli_helpers import Cli
from .databases import pg_connect

BIN = Path(sys.executable).parent


def alembic_ini(cwd: Path) -> str:
    """The shipped alembic.ini, found the way the README says."""
    out = subprocess.run(
        [sys.executable, "-m", "regsam_flow.persistence.migrations"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def alembic(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "REGSAM_FLOW_DB"}
    environ.update(env or {})
    return subprocess.run(
        [str(BIN / "alembic"), "-c", alembic_ini(cwd), *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
    )


def verified(url: str, home: Path) -> str:
    """``init`` (the first admin) and ``audit verify`` pass on ``url``; its head."""
    c = Cli(url, home)
    c.ok("init", "--admin", "root", "--name", "Root Admin")
    result = c.json("audit", "verify")
    assert result["ok"], result
    return str(result["head"])


def test_the_shipped_ini_is_in_the_installed_package(tmp_path: Path) -> None:
    ini = Path(alembic_ini(tmp_path))
    assert ini.name == "alembic.ini" and ini.is_file()
    assert (ini.parent / "env.py").is_file()


def test_alembic_upgrade_head_and_current_from_another_folder(db_url: str, tmp_path: Path) -> None:
    work = tmp_path / "elsewhere"
    work.mkdir()
    up = alembic(work, "-x", f"url={db_url}", "upgrade", "head")
    assert up.returncode == 0, up.stderr
    assert f"-> {HEAD_REVISION}" in up.stderr  # alembic's log of what ran
    current = alembic(work, "current", env={"REGSAM_FLOW_DB": db_url})  # the CLI's variable
    assert current.returncode == 0, current.stderr
    assert f"{HEAD_REVISION} (head)" in current.stdout
    assert Engine(db_url).schema_status() == (HEAD_REVISION, HEAD_REVISION)
    verified(db_url, tmp_path / "home")  # the shipped definitions' entries chain up
    again = alembic(work, "-x", f"url={db_url}", "upgrade", "head")
    assert again.returncode == 0, again.stderr
    assert "Running upgrade" not in again.stderr


def test_alembic_without_a_url_uses_the_cli_default_database(tmp_path: Path) -> None:
    home = tmp_path / "data"
    result = alembic(tmp_path, "upgrade", "head", env={"REGSAM_FLOW_HOME": str(home)})
    assert result.returncode == 0, result.stderr
    assert (home / "regsam-flow.db").is_file()
    current = alembic(tmp_path, "current", env={"REGSAM_FLOW_HOME": str(home)})
    assert f"{HEAD_REVISION} (head)" in current.stdout


def test_alembic_offline_prints_sql_and_touches_nothing(tmp_path: Path) -> None:
    db = tmp_path / "review.db"
    result = alembic(tmp_path, "-x", f"url=sqlite:///{db}", "upgrade", "head", "--sql")
    assert result.returncode == 0, result.stderr
    assert not db.exists()
    sql = result.stdout
    assert "CREATE TABLE audit_log" in sql
    assert "INSERT INTO workflow_definitions" in sql
    assert f"UPDATE alembic_version SET version_num='{HEAD_REVISION}'" in sql
    con = sqlite3.connect(db, isolation_level=None)
    con.executescript(sql)
    con.close()
    verified(f"sqlite:///{db}", tmp_path / "home")


def test_alembic_offline_from_before_the_audit_entries_names_init_sql(tmp_path: Path) -> None:
    result = alembic(tmp_path, "-x", "url=sqlite:///x.db", "upgrade", "0002:head", "--sql")
    assert result.returncode != 0
    assert "needs its head" in result.stderr and "regsam-flow init --sql" in result.stderr
    assert "Traceback" not in result.stderr


def test_init_sql_on_sqlite_creates_no_file(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    c = Cli(f"sqlite:///{db}", tmp_path / "home")
    sql = c.ok("init", "--sql").stdout
    assert not db.exists()
    assert sql.startswith("BEGIN;") and sql.rstrip().endswith("COMMIT;")
    assert "CREATE TABLE audit_log" in sql and "CREATE TRIGGER audit_log_no_update" in sql
    con = sqlite3.connect(db, isolation_level=None)
    con.executescript(sql)
    con.close()
    verified(f"sqlite:///{db}", tmp_path / "home")
    done = c.ok("init", "--sql").stdout
    assert done.startswith("-- ") and "is up to date" in done


def test_init_sql_upgrades_an_older_database_from_its_revision(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    store = SqlStore(f"sqlite:///{db}")
    store.upgrade("0003")  # before the shipped definitions' audit entries
    store.close()
    sql = Cli(f"sqlite:///{db}", tmp_path / "home").ok("init", "--sql").stdout
    assert "CREATE TABLE audit_log " not in sql and "CREATE TABLE workflow_definitions" in sql
    assert Engine(f"sqlite:///{db}").schema_status()[0] == "0003"  # changed nothing
    con = sqlite3.connect(db, isolation_level=None)
    con.executescript(sql)
    con.close()
    verified(f"sqlite:///{db}", tmp_path / "home")


def test_init_sql_refuses_admin(tmp_path: Path) -> None:
    r = Cli(f"sqlite:///{tmp_path / 'x.db'}", tmp_path / "home").run(
        "init", "--sql", "--admin", "anna"
    )
    assert r.exit_code == 7 and "--admin" in r.output
    assert not (tmp_path / "x.db").exists()


@pytest.mark.postgresql_only
def test_init_sql_for_postgresql_applies_to_an_empty_database(db_url: str, tmp_path: Path) -> None:
    c = Cli(db_url, tmp_path / "home")
    sql = c.ok("init", "--sql").stdout
    assert "CREATE FUNCTION audit_log_append_only()" in sql
    assert f"UPDATE alembic_version SET version_num='{HEAD_REVISION}'" in sql
    assert Engine(db_url).schema_status()[0] is None  # printing changed nothing
    with pg_connect(db_url) as con:
        con.execute(sql)
    assert c.json("info")["schema"] == HEAD_REVISION
    verified(db_url, tmp_path / "home")


def test_revisions_compare_as_numbers() -> None:
    assert [revision_number(r) for r in ("0009", "r0010", "9999", "10000")] == [
        9,
        10,
        9999,
        10000,
    ]
    assert revision_number("abc") is None
