"""Who may make an admin: the first `init` on an empty database, then only admins.

Once a database has an admin, `init` only upgrades the schema; creating or
promoting an admin is an admin's act, written to the audit log.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from regsam_flow import Engine, NotAllowedError

from .cli_helpers import Cli
from .databases import pg_connect, raw_connection


@pytest.fixture
def c(engine: Engine, tmp_path: Path) -> Cli:
    """The CLI on a database that has an admin (root) already."""
    return Cli(engine.url, tmp_path / "home")


def people(url: str) -> dict[str, bool]:
    with raw_connection(url) as con:
        return {r[0]: bool(r[1]) for r in con.execute("SELECT id, admin FROM people")}


@pytest.mark.sql("runs the CLI on the engine's database")
def test_unknown_user_cannot_make_themself_admin_with_init(engine: Engine, c: Cli) -> None:
    head = engine.head()
    r = c.run("init", "--admin", "mallory", user="mallory")
    assert r.exit_code == 3, r.output
    assert "has an admin already" in r.stderr
    assert "mallory" not in people(engine.url)
    assert engine.head() == head  # nothing written, not even an audit entry
    # and so cannot assign themself anywhere
    engine.create_area("a1", actor="root", name="A")
    assert c.run("area", "assign", "a1", "moderation", "mallory", user="mallory").exit_code == 3


@pytest.mark.sql("runs the CLI on the engine's database")
def test_init_without_admin_by_someone_unknown_only_upgrades(engine: Engine, c: Cli) -> None:
    r = c.run("init", user="mallory")
    assert r.exit_code == 0, r.output
    assert "mallory" not in people(engine.url)
    assert "is now an admin" not in r.stdout
    assert c.json("init", user="mallory")["admin_created"] is False


@pytest.mark.sql("runs the CLI on the engine's database")
def test_a_known_non_admin_cannot_promote_themself_with_init(engine: Engine, c: Cli) -> None:
    engine.add_person("mia", actor="root", name="Mia", email="mia@regsam.example")
    r = c.run("init", "--admin", "mia", user="mia")
    assert r.exit_code == 3, r.output
    assert people(engine.url)["mia"] is False


@pytest.mark.sql("runs the CLI on the engine's database")
def test_the_engine_refuses_too(engine: Engine) -> None:
    with pytest.raises(NotAllowedError, match="has an admin already"):
        engine.init("mallory")
    with pytest.raises(NotAllowedError):
        engine.init("mallory", actor="mallory")
    assert "mallory" not in people(engine.url)
    assert engine.init("root") is False  # an admin already: nothing to do


@pytest.mark.sql("runs the CLI on the engine's database")
def test_an_admin_makes_an_admin_with_init_audited(engine: Engine, c: Cli) -> None:
    r = c.run("init", "--admin", "anna", "--email", "anna@regsam.example", user="root")
    assert r.exit_code == 0, r.output
    assert people(engine.url)["anna"] is True
    last = engine.history(actor="root")[-1]
    assert (last.action, last.actor, last.role) == ("person_added", "root", "admin")


@pytest.mark.sql("runs the CLI on the engine's database")
def test_promote_is_an_admins_audited_act(engine: Engine, c: Cli) -> None:
    engine.add_person("mia", actor="root", name="Mia", email="mia@regsam.example")
    engine.add_person("sven", actor="root", name="Sven", email="sven@regsam.example")
    head = engine.head()
    r = c.run("user", "promote", "sven", "--admin", user="mia")
    assert r.exit_code == 3, r.output
    assert people(engine.url)["sven"] is False and engine.head() == head
    c.ok("user", "promote", "mia", "--admin", user="root")
    assert people(engine.url)["mia"] is True
    last = engine.history(actor="root")[-1]
    assert (last.action, last.actor) == ("person_promoted", "root")
    assert last.to_dict()["details"] == {"person": "mia", "admin": True, "auditor": False}
    # the new admin may now promote others
    c.ok("user", "promote", "sven", "--auditor", user="mia")
    assert engine.get_person("sven", actor="root").auditor is True
    r = c.run("user", "promote", "nobody", "--admin", user="root")
    assert r.exit_code == 6


def test_first_init_still_makes_the_first_admin(db_url: str, tmp_path: Path) -> None:
    c = Cli(db_url, tmp_path / "home")
    r = c.ok("init", "--admin", "anna", user="whoever")
    assert "anna is now an admin" in r.stdout
    assert people(db_url) == {"anna": True}
    # the second one is refused
    assert c.run("init", "--admin", "bert", user="bert").exit_code == 3
    assert people(db_url) == {"anna": True}


@pytest.mark.postgresql_only("database logins")
def test_bound_login_without_a_person_cannot_become_admin(engine: Engine, tmp_path: Path) -> None:
    from sqlalchemy.engine import make_url

    u = make_url(engine.url)
    tag = uuid.uuid4().hex[:8]
    login, password = f"mallory_{tag}", "geheim-mallory"
    admin = pg_connect(engine.url)
    admin.execute(f"CREATE ROLE {login} LOGIN PASSWORD '{password}'")
    admin.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {login}")
    admin.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {login}")
    url = u.set(username=login, password=password).render_as_string(hide_password=False)
    try:
        c = Cli(url, tmp_path / "home")
        from click.testing import CliRunner

        from regsam_flow.cli import cli

        env = {
            "REGSAM_FLOW_DB": url,
            "REGSAM_FLOW_BIND_LOGIN": "1",
            "REGSAM_FLOW_HOME": str(c.home),
            "REGSAM_FLOW_USER": None,
        }
        for args in (["init"], ["init", "--admin", login]):
            r = CliRunner().invoke(cli, args, env=env)
            assert r.exit_code in (0, 3), r.output
            assert login not in people(engine.url)
        r = CliRunner().invoke(cli, ["init", "--admin", login], env=env)
        assert r.exit_code == 3
    finally:
        admin.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {login}")
        admin.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {login}")
        admin.execute(f"DROP ROLE {login}")
        admin.close()
