"""The schema is managed by Alembic and never altered silently."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

from regsam_flow import Engine, SchemaError
from regsam_flow.persistence import schema
from regsam_flow.persistence.migrations import MIGRATIONS

from .databases import raw_connection


def tables(url: str) -> set[str]:
    with raw_connection(url) as con:
        return con.tables()


def test_head_revision_constant_matches_the_migrations() -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_current_head() == schema.HEAD_REVISION


def test_new_database_must_be_initialised_and_is_left_alone(db_url: str) -> None:
    engine = Engine(db_url)
    with pytest.raises(SchemaError, match="not initialised: run `regsam-flow init`"):
        engine.list_areas(actor="root")
    assert "areas" not in tables(db_url)
    engine.init("root")
    assert {"areas", "audit_log", "alembic_version"} <= tables(db_url)
    assert engine.list_areas(actor="root") == []
    engine.close()


def test_init_twice_is_safe(db_url: str) -> None:
    url = db_url
    e = Engine(url)
    assert e.init("root") is True
    e.create_area("a1", actor="root", name="A")
    assert Engine(url).init("root") is False
    assert [a.id for a in Engine(url).list_areas(actor="root")] == ["a1"]


def test_older_database_is_refused_until_upgraded(db_url: str) -> None:
    from regsam_flow.persistence import SqlStore

    store = SqlStore(db_url)
    store.upgrade("0001")  # a database as the first release left it
    store.close()
    with raw_connection(db_url) as con:
        con.execute(
            "INSERT INTO people VALUES ('root', 'Root', 'r@example.org', '', ?, ?, "
            "'2026-01-01T00:00:00.000000Z')",
            (True, False),
        )
    before = tables(db_url)
    assert "reminders" not in before
    engine = Engine(db_url)
    with pytest.raises(
        SchemaError,
        match=f"has schema 0001, this regsam-flow needs {schema.HEAD_REVISION}: "
        "run `regsam-flow init` to upgrade",
    ) as exc:
        engine.list_areas(actor="root")
    assert (exc.value.found, exc.value.expected) == ("0001", schema.HEAD_REVISION)
    assert tables(db_url) == before  # nothing altered silently
    engine.init("root")
    assert {"reminders", "reviews"} <= tables(db_url)
    assert [p.id for p in engine.list_people(actor="root")] == ["root"]  # data kept
    engine.close()


def test_newer_database_is_refused(db_url: str) -> None:
    Engine(db_url).init("root")
    with raw_connection(db_url) as con:
        con.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(SchemaError, match="newer than this regsam-flow knows"):
        Engine(db_url).list_areas(actor="root")


def test_bad_database_urls(tmp_path: Path) -> None:
    from regsam_flow import InvalidInputError

    with pytest.raises(InvalidInputError, match="not a database URL"):
        Engine("no-such-thing")
    with pytest.raises(InvalidInputError, match="does not exist"):
        Engine(f"sqlite:///{tmp_path / 'missing' / 'x.db'}")
