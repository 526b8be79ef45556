"""A team deployment on PostgreSQL: one login per person, bound to it.

The owner login runs the migrations; people log in as themselves through a
group role that may read and write the tables but not UPDATE, DELETE or
TRUNCATE the audit log (the README's "Running for a team" setup).  With
bind_login the engine acts only as the person whose id is the login.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from click.testing import CliRunner

from regsam_flow import Engine, NotAllowedError
from regsam_flow.cli import cli

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
CREATE ROLE {login} LOGIN PASSWORD '{password}' IN ROLE {group};
"""


@contextmanager
def app_login(url: str, name: str) -> Iterator[tuple[str, str]]:
    """A login of its own for ``name`` (made unique) in the README's app
    group role on the database of ``url``: yields (login, its URL); drops
    both roles afterwards."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    tag = uuid.uuid4().hex[:8]
    login, group, password = f"{name}_{tag}", f"regsam_app_{tag}", f"geheim-{name}"
    admin = pg_connect(url)
    admin.execute(APP_ROLE_SQL.format(group=group, db=u.database, login=login, password=password))
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
