"""``regsam-flow backup FILE``: a SQLite copy kept only when it proves itself
against the audit head, restorable as a database of its own."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from regsam_flow.persistence import SqlStore

from .cli_helpers import Cli, setup_area


def source(tmp_path: Path) -> Cli:
    c = Cli(f"sqlite:///{tmp_path / 'regsam.db'}", tmp_path / "home")
    setup_area(c)
    return c


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_backup_restored_and_verified(tmp_path: Path) -> None:
    c = source(tmp_path)
    head = c.ok("audit", "head").stdout.strip()
    target = tmp_path / "backups" / "regsam-copy.db"
    target.parent.mkdir()
    out = c.json("backup", str(target))
    assert out["head"] == head and out["entries"] == int(head.split(":")[0])
    assert leftovers(target.parent) == []  # no temporary file left beside it
    restored = Cli(f"sqlite:///{target}", tmp_path / "home")
    assert "hasenbergl-nord" in restored.ok("area", "list").stdout
    assert restored.ok("audit", "verify", "--expect-head", head).exit_code == 0
    assert restored.ok("audit", "head").stdout.strip() == head
    # the restored copy works on: a change there leaves the source alone
    restored.ok("user", "add", "neu", "--name", "Neu", "--email", "neu@regsam.example")
    assert c.ok("audit", "head").stdout.strip() == head


def test_backup_prints_the_head_in_german(tmp_path: Path) -> None:
    c = source(tmp_path)
    head = c.ok("audit", "head").stdout.strip()
    out = c.ok("--lang", "de", "backup", str(tmp_path / "b.db")).stdout
    assert f"Kopf {head}" in out and "Kette intakt" in out


def test_existing_file_refused_without_force(tmp_path: Path) -> None:
    c = source(tmp_path)
    target = tmp_path / "b.db"
    target.write_bytes(b"an older backup")
    r = c.run("backup", str(target))
    assert r.exit_code == 7 and "--force" in r.output
    assert target.read_bytes() == b"an older backup"
    itself = c.run("backup", "--force", str(tmp_path / "regsam.db"))
    assert itself.exit_code == 7 and "the database itself" in itself.output
    c.ok("backup", "--force", str(target))
    assert Cli(f"sqlite:///{target}", tmp_path / "home").json("audit", "verify")["ok"]


def test_only_admins_back_up(tmp_path: Path) -> None:
    c = source(tmp_path)
    r = c.run("backup", str(tmp_path / "b.db"), user="audrey")
    assert r.exit_code == 3 and "only admins" in r.output
    assert not (tmp_path / "b.db").exists()


def test_broken_log_is_caught_and_nothing_is_written(tmp_path: Path) -> None:
    c = source(tmp_path)
    con = sqlite3.connect(tmp_path / "regsam.db")
    con.execute("DROP TRIGGER audit_log_no_update")  # tampering behind the engine's back
    con.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
    con.commit()
    con.close()
    target = tmp_path / "out" / "b.db"
    target.parent.mkdir()
    r = c.run("backup", str(target))
    assert r.exit_code == 8, r.output
    assert "no backup was written" in r.output and "entry 3" in r.output
    assert not target.exists() and leftovers(target.parent) == []


def test_postgresql_is_pointed_at_pg_dump(tmp_path: Path) -> None:
    c = Cli("postgresql+psycopg://regsam@127.0.0.1:1/regsam", tmp_path / "home")
    r = c.run("backup", str(tmp_path / "b.db"))
    assert r.exit_code == 7
    assert "pg_dump" in r.output and "Sicherung" in r.output
    assert not (tmp_path / "b.db").exists()


def test_an_older_database_is_backed_up_before_its_upgrade(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    store = SqlStore(f"sqlite:///{db}")
    store.upgrade("0006")  # the shipped definitions' entries are in its log
    store.close()
    c = Cli(f"sqlite:///{db}", tmp_path / "home")
    assert "back it up first" in c.run("area", "list").output
    out = c.json("backup", str(tmp_path / "b.db"))
    assert out["entries"] > 0
    restored = Cli(f"sqlite:///{tmp_path / 'b.db'}", tmp_path / "home")
    restored.ok("init", "--admin", "root")  # the copy upgrades as the original would
    assert restored.json("audit", "verify", "--expect-head", out["head"])["ok"]


def test_an_uninitialised_database_is_not_backed_up(tmp_path: Path) -> None:
    c = Cli(f"sqlite:///{tmp_path / 'none.db'}", tmp_path / "home")
    r = c.run("backup", str(tmp_path / "b.db"))
    assert r.exit_code != 0 and "not initialised" in r.output
    assert not (tmp_path / "b.db").exists() and not (tmp_path / "none.db").exists()


def test_backups_taken_while_another_process_writes_each_verify(tmp_path: Path) -> None:
    c = source(tmp_path)
    script = "\n".join(
        f"regsam-flow user add w{i} --name 'W {i}' --email w{i}@regsam.example" for i in range(15)
    )
    env = {**os.environ, "REGSAM_FLOW_DB": c.db, "REGSAM_FLOW_USER": "root"}
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    writer = subprocess.Popen(["bash", "-e", "-c", script], env=env)
    heads = []
    try:
        for n in range(3):
            out = c.json("backup", str(tmp_path / f"during-{n}.db"))
            heads.append(out["head"])
            copy = Cli(f"sqlite:///{tmp_path / f'during-{n}.db'}", tmp_path / "home")
            assert copy.ok("audit", "head").stdout.strip() == out["head"]
    finally:
        assert writer.wait() == 0
    final = int(c.ok("audit", "head").stdout.strip().split(":")[0])
    assert all(int(h.split(":")[0]) <= final for h in heads)
