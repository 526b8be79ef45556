"""The schema is managed by Alembic and never altered silently."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

from regsam_flow import Engine, SchemaError
from regsam_flow.persistence import schema
from regsam_flow.persistence.store import MIGRATIONS


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_head_revision_constant_matches_the_migrations() -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_current_head() == schema.HEAD_REVISION


def test_new_database_must_be_initialised_and_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    engine = Engine(f"sqlite:///{path}")
    with pytest.raises(SchemaError, match="not initialised: run `regsam-flow init`"):
        engine.list_areas(actor="root")
    assert "areas" not in tables(path)
    engine.init("root")
    assert {"areas", "audit_log", "alembic_version"} <= tables(path)
    assert engine.list_areas(actor="root") == []


def test_init_twice_is_safe(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    e = Engine(url)
    assert e.init("root") is True
    e.create_area("a1", actor="root", name="A")
    assert Engine(url).init("root") is False
    assert [a.id for a in Engine(url).list_areas(actor="root")] == ["a1"]


def test_older_database_is_refused_until_upgraded(tmp_path: Path) -> None:
    from regsam_flow.persistence import SqlStore

    path = tmp_path / "old.db"
    store = SqlStore(f"sqlite:///{path}")
    store.upgrade("0001")  # a database as the first release left it
    store.close()
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO people VALUES ('root', 'Root', 'r@example.org', '', 1, 0, "
            "'2026-01-01T00:00:00.000000Z')"
        )
    before = tables(path)
    assert "reminders" not in before
    engine = Engine(f"sqlite:///{path}")
    with pytest.raises(
        SchemaError,
        match=f"has schema 0001, this regsam-flow needs {schema.HEAD_REVISION}: "
        "run `regsam-flow init` to upgrade",
    ) as exc:
        engine.list_areas(actor="root")
    assert (exc.value.found, exc.value.expected) == ("0001", schema.HEAD_REVISION)
    assert tables(path) == before  # nothing altered silently
    engine.init("root")
    assert {"reminders", "reviews"} <= tables(path)
    assert [p.id for p in engine.list_people(actor="root")] == ["root"]  # data kept


def test_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    Engine(f"sqlite:///{path}").init("root")
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(SchemaError, match="newer than this regsam-flow knows"):
        Engine(f"sqlite:///{path}").list_areas(actor="root")


def test_bad_database_urls(tmp_path: Path) -> None:
    from regsam_flow import InvalidInputError

    with pytest.raises(InvalidInputError, match="not a database URL"):
        Engine("no-such-thing")
    with pytest.raises(InvalidInputError, match="does not exist"):
        Engine(f"sqlite:///{tmp_path / 'missing' / 'x.db'}")
