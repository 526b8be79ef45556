"""A team deployment on PostgreSQL: one login per person, bound to it.

The owner login runs the migrations; people log in as themselves through a
group role that may read and write the tables but not UPDATE, DELETE or
TRUNCATE the audit log (the README's "Running for a team" setup).  With
bind_login the engine acts only as the person whose id is the login; without
it the database itself (migration 0009's trigger) refuses an audit entry a
person login writes for anyone but its own person, while logins in
``regsam_service`` (the service, schedulers) may write any actor.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from click.testing import CliRunner

from regsam_flow import Engine, NotAllowedError
from regsam_flow.cli import cli
from regsam_flow.persistence.revision import HEAD_REVISION

from .conftest import AREA
from .databases import pg_connect

pytestmark = pytest.mark.postgresql_only("database logins, privileges and PostgreSQL's trigger")

APP_ROLE_SQL = """
CREATE ROLE {group} NOLOGIN;
GRANT CONNECT ON DATABASE {db} TO {group};
GRANT USAGE ON SCHEMA public TO {group};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {group};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {group};
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM {group};
REVOKE DELETE, TRUNCATE ON audit_head FROM {group};
CREATE ROLE {login} LOGIN PASSWORD '{password}' IN ROLE {group}{roles};
"""

PERSON, SERVICE = "regsam_person", "regsam_service"  # made by migration 0009
PREVIOUS = "0008"  # the revision before 0009 (sign-in)


@contextmanager
def app_login(url: str, name: str, roles: tuple[str, ...] = (PERSON,)) -> Iterator[tuple[str, str]]:
    """A login of its own for ``name`` (made unique) in the README's app
    group role on the database of ``url``, and in ``roles`` (the cluster's
    regsam_person or regsam_service, which stay): yields (login, its URL);
    drops the login and the app group afterwards."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    tag = uuid.uuid4().hex[:8]
    login, group, password = f"{name}_{tag}", f"regsam_app_{tag}", f"geheim-{name}"
    admin = pg_connect(url)
    extra = "".join(f", {r}" for r in roles)
    admin.execute(
        APP_ROLE_SQL.format(group=group, db=u.database, login=login, password=password, roles=extra)
    )
    try:
        yield login, u.set(username=login, password=password).render_as_string(hide_password=False)
    finally:
        admin.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {group}")
        admin.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {group}")
        admin.execute(f"REVOKE ALL ON SCHEMA public FROM {group}")
        admin.execute(f"REVOKE ALL ON DATABASE {u.database} FROM {group}")
        admin.execute(f"DROP ROLE {login}")
        admin.execute(f"DROP ROLE {group}")
        admin.close()


@pytest.fixture
def team(engine: Engine, area: str) -> Iterator[dict[str, Any]]:
    with app_login(engine.url, "lena") as (login, url):
        engine.add_person(login, actor="root", name="Lena Login", email="lena@example.org")
        engine.assign(area, "steering", login, actor="mia")
        yield {"url": url, "login": login}


def test_bound_login_acts_only_as_itself(team: dict[str, Any]) -> None:
    e = Engine(team["url"], bind_login=True)
    assert e.login == team["login"]
    assert e.status(AREA, actor=team["login"]).area.id == AREA
    done = e.report_task(AREA, "einklinken_steuerung", actor=team["login"], note="Thema Ältere")
    assert done.done_by == team["login"]
    with pytest.raises(NotAllowedError, match="cannot act as 'mia'"):
        e.advance(AREA, actor="mia")
    with pytest.raises(NotAllowedError):
        e.set_agreement(AREA, actor="mia", topic="x")
    e.close()


def test_cli_defaults_to_the_login_and_refuses_another(team: dict[str, Any], tmp_path: Any) -> None:
    env = {
        "REGSAM_FLOW_DB": team["url"],
        "REGSAM_FLOW_BIND_LOGIN": "1",
        "REGSAM_FLOW_HOME": str(tmp_path),
        "REGSAM_FLOW_USER": None,
    }
    r = CliRunner().invoke(cli, ["--json", "area", "list"], env=env)
    assert r.exit_code == 0, r.output
    assert AREA in r.stdout
    r = CliRunner().invoke(cli, ["--as", "mia", "advance", AREA], env=env)
    assert r.exit_code == 3
    assert "cannot act as 'mia'" in r.stderr


def test_application_logins_cannot_change_the_audit_log(team: dict[str, Any]) -> None:
    import psycopg

    with pg_connect(team["url"]) as conn:
        for sql in (
            "UPDATE audit_log SET reason = 'x' WHERE seq = 1",
            "DELETE FROM audit_log WHERE seq = 1",
            "TRUNCATE audit_log",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql)
    # the engine still writes as that login (INSERT on the log is granted)
    e = Engine(team["url"], bind_login=True)
    e.report_task(AREA, "einklinken_steuerung", actor=team["login"])
    assert e.history(actor=team["login"], area=AREA)[-1].actor == team["login"]
    e.close()


def test_the_owner_is_refused_by_the_append_only_trigger(engine: Engine, area: str) -> None:
    import psycopg

    with pg_connect(engine.url) as conn:
        for sql in (
            "UPDATE audit_log SET reason = 'x' WHERE seq = 1",
            "DELETE FROM audit_log WHERE seq = 1",
            "TRUNCATE audit_log",
        ):
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                conn.execute(sql)
    assert engine.verify().ok


# --- the database binds person logins to their person (migration 0009) ------

INSERT_ENTRY = """
INSERT INTO audit_log (seq, at, actor, role, area, action, "trigger", from_state,
                       to_state, reason, details, hash)
VALUES ((SELECT coalesce(max(seq), 0) + 1 FROM audit_log), '2027-01-01T00:00:00.000000Z',
        %s, 'admin', 'hasenbergl-nord', 'promote', '', '', '', '', '{}', repeat('0', 64))
"""


def unbound_env(url: str, home: Any) -> dict[str, str | None]:
    """The environment of a person who simply leaves REGSAM_FLOW_BIND_LOGIN out."""
    return {
        "REGSAM_FLOW_DB": url,
        "REGSAM_FLOW_BIND_LOGIN": None,
        "REGSAM_FLOW_HOME": str(home),
        "REGSAM_FLOW_USER": None,
    }


def test_without_the_binding_a_person_login_cannot_act_as_the_admin_cli(
    engine: Engine, team: dict[str, Any], tmp_path: Any
) -> None:
    """The issue's first paragraph: Lena leaves REGSAM_FLOW_BIND_LOGIN out and
    makes herself an admin "as root": the database refuses, nothing is written."""
    login, env = team["login"], unbound_env(team["url"], tmp_path)
    head = engine.head()
    r = CliRunner().invoke(cli, ["--as", "root", "user", "promote", login, "--admin"], env=env)
    assert r.exit_code == 3, r.output
    assert login in r.stderr and "root" in r.stderr
    r = CliRunner().invoke(
        cli,
        ["--as", "root", "user", "promote", login, "--admin"],
        env={**env, "REGSAM_FLOW_LANG": "de"},
    )
    assert r.exit_code == 3, r.output
    assert " ".join(r.stderr.split()).startswith(
        f"Fehler: die Datenbank hat die Änderung abgelehnt: {login} ist der Datenbank-Login "
        f"einer Person und handelt nur als {login}, nicht als root; es wurde nichts geschrieben"
    )
    add = ["user", "add", "eve", "--name", "Eve", "--email", "eve@example.org", "--admin"]
    r = CliRunner().invoke(cli, ["--json", "--as", "root", *add], env=env)
    assert r.exit_code == 3, r.output
    assert '"not_allowed"' in r.stdout + r.stderr
    assert engine.head() == head
    assert not engine.get_person(login, actor="root").admin
    assert "eve" not in {p.id for p in engine.list_people(actor="root")}
    # as herself she works as before
    r = CliRunner().invoke(
        cli, ["--as", login, "task", "done", AREA, "einklinken_steuerung"], env=env
    )
    assert r.exit_code == 0, r.output
    assert engine.history(actor="root", area=AREA)[-1].actor == login
    assert engine.verify().ok


def test_without_the_binding_a_person_login_cannot_act_as_another_engine(
    engine: Engine, team: dict[str, Any]
) -> None:
    login = team["login"]
    head = engine.head()
    e = Engine(team["url"])  # no bind_login
    with pytest.raises(NotAllowedError, match=f"{login}.*root") as exc:
        e.promote(login, actor="root", admin=True)
    assert exc.value.code == "not_allowed"
    with pytest.raises(NotAllowedError, match=f"{login}.*mia"):
        e.report_task(AREA, "schwerpunktziel", actor="mia")
    assert engine.head() == head
    assert not engine.get_person(login, actor="root").admin
    done = e.report_task(AREA, "einklinken_steuerung", actor=login)
    assert done.done_by == login
    e.close()
    assert engine.history(actor="root", area=AREA)[-1].actor == login
    assert engine.verify().ok


def test_a_raw_insert_for_another_actor_is_refused_by_the_database(
    engine: Engine, team: dict[str, Any]
) -> None:
    import psycopg

    head = engine.head()
    with pg_connect(team["url"], autocommit=False) as conn:
        with pytest.raises(psycopg.errors.DatabaseError, match="audit entry refused") as exc:
            conn.execute(INSERT_ENTRY, ("root",))
        assert exc.value.sqlstate == "RF001"
        assert team["login"] in str(exc.value) and "'root'" in str(exc.value)
        conn.rollback()
        # the refusal is about the actor: as herself the database lets it in
        conn.execute(INSERT_ENTRY, (team["login"],))
        conn.rollback()
    assert engine.head() == head


def test_a_person_login_without_a_person_writes_nothing(engine: Engine) -> None:
    import psycopg

    with app_login(engine.url, "ghost") as (login, url), pg_connect(url, False) as conn:
        with pytest.raises(psycopg.errors.DatabaseError, match="audit entry refused") as exc:
            conn.execute(INSERT_ENTRY, (login,))
        detail = json.loads(exc.value.diag.message_detail or "")
        assert detail == {"login": login, "actor": login, "person": False}
        conn.rollback()
    # what the store makes of it: a NotAllowedError saying what is missing
    from sqlalchemy.exc import DBAPIError

    from regsam_flow.persistence.logins import actor_refused

    refused = actor_refused(DBAPIError("INSERT", None, exc.value))
    assert isinstance(refused, NotAllowedError)
    assert f"there is no person {login}" in refused.message


def test_a_login_in_no_group_is_held_like_a_person_login(engine: Engine, area: str) -> None:
    """A login set up before 0009 (only the app group) or forgotten in
    regsam_service is a person login: it too cannot write as anyone else."""
    with app_login(engine.url, "legacy", roles=()) as (login, url):
        engine.add_person(login, actor="root", name="Alt Login", email="alt@example.org")
        e = Engine(url)
        with pytest.raises(NotAllowedError, match=login):
            e.promote(login, actor="root", admin=True)
        e.close()
    assert not engine.get_person(login, actor="root").admin


def test_a_service_login_may_write_any_actor(engine: Engine, area: str) -> None:
    """The service and the schedulers act for many people: their logins are
    in regsam_service, and the database lets them name any actor."""
    with app_login(engine.url, "dienst", roles=(SERVICE,)) as (_login, url):
        e = Engine(url)
        e.report_task(AREA, "schwerpunktziel", actor="mia")
        e.promote("audrey", actor="root", admin=True)
        e.close()
    log = engine.history(actor="root")
    assert [x.actor for x in log[-2:]] == ["mia", "root"]
    assert engine.verify().ok
    # a login in both groups is a person's: regsam_person wins
    with app_login(engine.url, "beides", roles=(SERVICE, PERSON)) as (login, url):
        engine.add_person(login, actor="root", name="Beide", email="b@example.org")
        e = Engine(url)
        with pytest.raises(NotAllowedError):
            e.promote(login, actor="root", admin=True)
        e.close()


def test_upgrading_a_0008_database_binds_its_logins_and_downgrade_unbinds(
    db_url: str,
) -> None:
    import psycopg
    from alembic import command
    from alembic.config import Config

    from regsam_flow.persistence import SqlStore
    from regsam_flow.persistence.migrations import MIGRATIONS

    store = SqlStore(db_url)
    store.upgrade(PREVIOUS)
    with app_login(db_url, "lena") as (login, url):
        with pg_connect(url, autocommit=False) as conn:
            conn.execute(INSERT_ENTRY, ("root",))  # before 0009 the database lets it in
            conn.rollback()
        e = Engine(db_url)
        e.init("root", name="Rita Root", email="rita@example.org")  # upgrades
        assert e.schema_status() == (HEAD_REVISION, HEAD_REVISION)
        e.add_person(login, actor="root", name="Lena Login", email="lena@example.org")
        with pg_connect(url, autocommit=False) as conn:
            with pytest.raises(psycopg.errors.DatabaseError, match="audit entry refused"):
                conn.execute(INSERT_ENTRY, ("root",))
            conn.rollback()
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with store.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, PREVIOUS)
        assert store.schema_status()[0] == PREVIOUS
        with pg_connect(url, autocommit=False) as conn:
            conn.execute(INSERT_ENTRY, ("root",))  # the trigger is gone
            conn.rollback()
        e.close()
    store.close()


def test_an_upgrade_that_may_not_create_the_roles_says_what_to_run(db_url: str) -> None:
    """The owner of a team's database usually has no CREATEROLE: if the
    superuser has not made the groups, init stops with the SQL to run and
    changes nothing.  (The groups belong to the whole test cluster: this
    drops one only inside a transaction that is rolled back.)"""
    from alembic import command
    from alembic.config import Config

    from regsam_flow import SchemaError
    from regsam_flow.persistence import SqlStore
    from regsam_flow.persistence.migrations import MIGRATIONS

    store = SqlStore(db_url)
    store.upgrade(PREVIOUS)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with app_login(db_url, "eigner", roles=()) as (login, _url):
        with store.engine.connect() as conn:
            tx = conn.begin()
            conn.exec_driver_sql(f"DROP ROLE {PERSON}")
            conn.exec_driver_sql(f"GRANT {login} TO CURRENT_USER")
            conn.exec_driver_sql(f"SET LOCAL ROLE {login}")  # no CREATEROLE
            cfg.attributes["connection"] = conn
            with pytest.raises(SchemaError) as exc:
                command.upgrade(cfg, "0009")
            tx.rollback()
        assert f"CREATE ROLE {PERSON} NOLOGIN;" in exc.value.message
        assert SERVICE not in exc.value.message  # it exists
        assert login in exc.value.message and "CREATEROLE" in exc.value.message
    with pg_connect(db_url) as admin:
        assert admin.execute(
            "SELECT count(*) FROM pg_roles WHERE rolname = %s", (PERSON,)
        ).fetchone() == (1,)
    assert store.schema_status()[0] == PREVIOUS
    store.close()
