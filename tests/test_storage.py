"""Storage problems: a full disk, a read-only database.

The user is told plainly ("disk full", "read-only"; exit 9, error code
``storage``), nothing is half-written (``init`` included: schema, admin and
workflow definitions in one transaction), and a read-only database can still
be read.  The full disk is a small tmpfs filled up, the read-only file system
a read-only bind mount (both need root, as the test runs on CI have; without
it those tests are skipped), plus SQLite's own page limit and read-only mode,
which need nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from regsam_flow import Engine
from regsam_flow.errors import StorageError
from regsam_flow.persistence import schema

from .cli_helpers import Cli
from .conftest import AREA, PEOPLE
from .databases import pg_connect, raw_connection


def mount(*args: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a small or read-only file system needs root")
    proc = subprocess.run(["mount", *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount here: {proc.stderr.strip()}")


def umount(path: Path) -> None:
    subprocess.run(["umount", str(path)], check=False)


def fill(folder: Path) -> Path:
    """Fill the file system of ``folder`` up; return the filler file."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"x" * 65536)
    except OSError:
        pass
    try:
        while True:
            os.write(fd, b"x")
    except OSError:
        pass
    os.close(fd)
    return filler


def make_area(url: str) -> None:
    e = Engine(url)
    e.init("root", name="Root Admin", email="root@regsam.example")
    for pid, (name, email, _role) in PEOPLE.items():
        e.add_person(pid, actor="root", name=name, email=email)
    e.create_area(AREA, actor="root", name="Hasenbergl-Nord")
    e.assign(AREA, "moderation", "mia", actor="root")
    e.close()


def task_done(url: str, task: str) -> bool:
    with raw_connection(url) as con:
        row = con.execute(
            "SELECT done FROM tasks WHERE area_id = ? AND task_id = ?", (AREA, task)
        ).first()
    return bool(row and row[0])


def tables(url: str) -> set[str]:
    with raw_connection(url) as con:
        return con.tables()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    disk = tmp_path / "disk"
    disk.mkdir()
    mount("-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk))
    try:
        yield disk
    finally:
        umount(disk)


# ------------------------------------------------------------------ disk full
@pytest.mark.sqlite_only("a SQLite file on a small file system")
def test_a_full_disk_is_named_and_nothing_is_written(
    db_backend: str, small_disk: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{small_disk / 'regsam.db'}"
    make_area(url)
    filler = fill(small_disk)
    c = Cli(url, tmp_path / "home")
    r = c.run("task", "done", AREA, "schwerpunktziel", user="mia")
    assert r.exit_code == 9, r.output
    assert "disk" in r.stderr and "full" in r.stderr
    assert "nothing was written" in r.stderr
    assert "OperationalError" not in r.output and "--debug" not in r.output
    r = c.run("--json", "task", "done", AREA, "schwerpunktziel", user="mia")
    assert r.exit_code == 9
    assert json.loads(r.stdout)["error"] == "storage"
    filler.unlink()
    assert not task_done(url, "schwerpunktziel")
    c.ok("task", "done", AREA, "schwerpunktziel", user="mia")  # with space again it works
    assert task_done(url, "schwerpunktziel")


@pytest.mark.sqlite_only("a SQLite file on a small file system")
def test_init_on_a_full_disk_leaves_nothing_behind(
    db_backend: str, small_disk: Path, tmp_path: Path
) -> None:
    (small_disk / "keep").write_bytes(b"")  # the folder stays writable
    filler = fill(small_disk)
    os.truncate(filler, filler.stat().st_size - 40_000)  # room for a few pages only
    url = f"sqlite:///{small_disk / 'regsam.db'}"
    c = Cli(url, tmp_path / "home")
    r = c.run("init", "--admin", "anna", user="anna")
    assert r.exit_code == 9, r.output
    assert "disk" in r.stderr and "full" in r.stderr
    filler.unlink()
    assert not (tables(url) & {"alembic_version", "people", "areas"})
    c.ok("init", "--admin", "anna", user="anna")
    assert c.json("user", "list", user="anna")[0]["admin"] is True


@pytest.mark.sqlite_only("SQLite's page limit stands in for a full disk")
def test_init_is_all_or_nothing_at_every_size(db_backend: str, tmp_path: Path) -> None:
    outcomes = []
    for pages in range(4, 200, 3):
        path = tmp_path / f"limit-{pages}.db"
        e = Engine(f"sqlite:///{path}")

        @event.listens_for(e.store.engine, "connect")  # type: ignore[misc]
        def _limit(dbapi_connection: Any, _record: Any, pages: int = pages) -> None:
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

        try:
            e.init("root", name="Root Admin", email="root@regsam.example")
            outcomes.append("ok")
        except StorageError as exc:
            assert "disk" in str(exc) and "full" in str(exc)
            outcomes.append("full")
        finally:
            e.close()
        found = tables(f"sqlite:///{path}")
        if outcomes[-1] == "full":
            assert not found, f"{pages} pages: left {sorted(found)}"
        else:
            e = Engine(f"sqlite:///{path}")
            assert e.schema_status() == (schema.HEAD_REVISION, schema.HEAD_REVISION)
            assert e.get_person("root", actor="root").admin
            assert e.workflows.names() == ["gebietsauswahl", "schwerpunktgebiet"]
            e.close()
            break
    assert outcomes[0] == "full" and outcomes[-1] == "ok"


# ------------------------------------------------------------------ read-only
@pytest.mark.sqlite_only("a SQLite file on a read-only file system")
def test_a_read_only_file_system_can_be_read(db_backend: str, tmp_path: Path) -> None:
    data, ro = tmp_path / "data", tmp_path / "ro"
    data.mkdir()
    ro.mkdir()
    make_area(f"sqlite:///{data / 'regsam.db'}")
    mount("--bind", str(data), str(ro))
    try:
        mount("-o", "remount,bind,ro", str(ro))
        c = Cli(f"sqlite:///{ro / 'regsam.db'}", tmp_path / "home")
        shown = c.json("area", "show", AREA, user="mia")
        assert shown["state"] == "vorlauf"
        c.ok("log", AREA, user="root")
        assert c.json("audit", "verify", user="root")["ok"] is True
        r = c.run("task", "done", AREA, "schwerpunktziel", user="mia")
        assert r.exit_code == 9, r.output
        assert "read-only" in r.stderr and "nothing was written" in r.stderr
        assert "OperationalError" not in r.output
        assert sorted(p.name for p in ro.iterdir()) == ["regsam.db"]  # no -wal, -shm
    finally:
        umount(ro)
    assert not task_done(f"sqlite:///{data / 'regsam.db'}", "schwerpunktziel")


@pytest.mark.sqlite_only("SQLite's read-only mode")
def test_a_database_opened_read_only_can_be_read(db_backend: str, tmp_path: Path) -> None:
    path = tmp_path / "regsam.db"
    make_area(f"sqlite:///{path}")
    c = Cli(f"sqlite:///file:{path}?mode=ro&uri=true", tmp_path / "home")
    assert c.json("area", "show", AREA, user="mia")["state"] == "vorlauf"
    r = c.run("task", "done", AREA, "schwerpunktziel", user="mia")
    assert r.exit_code == 9, r.output
    assert "read-only" in r.stderr
    assert not task_done(f"sqlite:///{path}", "schwerpunktziel")


@pytest.mark.postgresql_only("a PostgreSQL database in read-only mode (as a standby is)")
def test_a_read_only_postgresql_database_can_be_read(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    from sqlalchemy.engine import make_url

    make_area_on(engine)
    engine.close()
    name = make_url(db_url).database
    with pg_connect(db_url) as admin:
        admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    c = Cli(db_url, tmp_path / "home")
    assert c.json("area", "show", AREA, user="mia")["state"] == "vorlauf"
    r = c.run("task", "done", AREA, "schwerpunktziel", user="mia")
    assert r.exit_code == 9, r.output
    assert "read-only" in r.stderr
    with pg_connect(db_url) as admin:
        admin.execute("SET default_transaction_read_only = off")
        admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = off')
    assert not task_done(db_url, "schwerpunktziel")


def make_area_on(e: Engine) -> None:
    for pid, (name, email, _role) in PEOPLE.items():
        e.add_person(pid, actor="root", name=name, email=email)
    e.create_area(AREA, actor="root", name="Hasenbergl-Nord")
    e.assign(AREA, "moderation", "mia", actor="root")
