"""The rules an area runs on come from the database, not from local files.

A workflow definition is deployed into the database (content and hash, by
name and version) by an admin, audited; areas are pinned to it.  Files in
``--workflows`` folders only propose definitions; a file with the name and
version of a deployed definition but other content is refused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from regsam_flow import Engine, InvalidWorkflowError, NotAllowedError, NotFoundError
from regsam_flow.cli import cli
from regsam_flow.workflows import BUILTIN_DIR

from .cli_helpers import Cli
from .conftest import AREA
from .databases import raw_connection
from .test_pg_identity import app_login

BUILTIN_FILE = BUILTIN_DIR / "schwerpunktgebiet.yaml"


def evil_copy(folder: Path, version: int = 1) -> Path:
    """schwerpunktgebiet with ``provider`` allowed to cancel."""
    data = yaml.safe_load(BUILTIN_FILE.read_text(encoding="utf-8"))
    data["version"] = version
    cancel = next(t for t in data["transitions"] if t["trigger"] == "cancel")
    cancel["roles"].append("provider")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "schwerpunktgebiet.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def stored(url: str) -> dict[tuple[str, int], str]:
    with raw_connection(url) as con:
        rows = con.execute("SELECT name, version, hash FROM workflow_definitions")
        return {(r[0], r[1]): r[2] for r in rows}


def state_of(url: str, area: str) -> tuple[str, int]:
    with raw_connection(url) as con:
        row = con.execute("SELECT state, version FROM areas WHERE id = ?", (area,)).one()
        return row[0], row[1]


@pytest.fixture
def c(engine: Engine, tmp_path: Path) -> Cli:
    return Cli(engine.url, tmp_path / "home")


# ------------------------------------------------------------------ the attack
@pytest.mark.sql("the CLI, raw SQL or a second engine on the database")
def test_a_providers_evil_copy_cannot_cancel_the_area(
    engine: Engine, area: str, c: Cli, tmp_path: Path
) -> None:
    evil = evil_copy(tmp_path / "evil").parent
    before, head = state_of(engine.url, area), engine.head()
    r = c.run("--workflows", str(evil), "transition", area, "cancel", "--reason", "weg", user="tom")
    assert r.exit_code == 7, r.output
    assert "deployed" in r.stderr and "other content" in r.stderr
    assert "schwerpunktgebiet" in r.stderr and str(evil) in r.stderr
    assert state_of(engine.url, area) == before
    assert engine.head() == head
    # through the API as well
    e = Engine(engine.url, workflow_dirs=[evil])
    try:
        with pytest.raises(InvalidWorkflowError, match="other content"):
            e.fire(area, "cancel", actor="tom", reason="weg")
    finally:
        e.close()
    assert state_of(engine.url, area) == before


@pytest.mark.sql("the CLI, raw SQL or a second engine on the database")
def test_a_new_version_in_a_folder_does_not_change_running_areas(
    engine: Engine, area: str, c: Cli, tmp_path: Path
) -> None:
    evil = evil_copy(tmp_path / "evil", version=3).parent
    before = state_of(engine.url, area)
    r = c.run("--workflows", str(evil), "transition", area, "cancel", "--reason", "weg", user="tom")
    assert r.exit_code == 3, r.output
    assert state_of(engine.url, area) == before
    # nor do new areas get it: it is not deployed (the newest deployed is the shipped 2)
    c.ok("--workflows", str(evil), "area", "create", "neu", "--name", "Neu")
    assert c.json("area", "show", "neu")["workflow_version"] == 2


@pytest.mark.postgresql_only("database logins bound to people")
def test_a_bound_provider_login_with_an_evil_copy_is_refused(
    engine: Engine, area: str, tmp_path: Path
) -> None:
    with app_login(engine.url, "tina") as (login, url):
        engine.add_person(login, actor="root", name="Tina Träger", email="tina@traeger.example")
        engine.assign(area, "provider", login, actor="mia")
        evil = evil_copy(tmp_path / "evil").parent
        before = state_of(engine.url, area)
        env = {
            "REGSAM_FLOW_DB": url,
            "REGSAM_FLOW_BIND_LOGIN": "1",
            "REGSAM_FLOW_HOME": str(tmp_path / "home"),
            "REGSAM_FLOW_USER": None,
        }
        r = CliRunner().invoke(
            cli, ["--workflows", str(evil), "transition", area, "cancel", "--reason", "x"], env=env
        )
        assert r.exit_code == 7, r.output
        assert "other content" in r.stderr
        assert state_of(engine.url, area) == before
        r = CliRunner().invoke(cli, ["workflow", "deploy", str(evil / "x.yaml")], env=env)
        assert r.exit_code != 0


# ------------------------------------------------------------------ deploying
@pytest.mark.sql("the CLI, raw SQL or a second engine on the database")
def test_init_stores_the_shipped_definitions(engine: Engine) -> None:
    defs = stored(engine.url)
    for name in ("schwerpunktgebiet", "gebietsauswahl"):
        text = (BUILTIN_DIR / f"{name}.yaml").read_bytes()
        assert defs[(name, 1)] == hashlib.sha256(text).hexdigest()


@pytest.mark.sql("the CLI, raw SQL or a second engine on the database")
def test_deploy_is_an_admins_audited_act(engine: Engine, area: str, c: Cli, tmp_path: Path) -> None:
    new = evil_copy(tmp_path / "proposal", version=3)
    digest = hashlib.sha256(new.read_bytes()).hexdigest()
    head = engine.head()
    r = c.run("workflow", "deploy", str(new), user="mia")
    assert r.exit_code == 3, r.output
    assert ("schwerpunktgebiet", 3) not in stored(engine.url) and engine.head() == head

    listed = c.json("--workflows", str(new.parent), "workflow", "list")
    row = next(w for w in listed if (w["name"], w["version"]) == ("schwerpunktgebiet", 3))
    assert row["deployed"] is False
    assert all(w["deployed"] for w in listed if w["version"] in (1, 2))

    r = c.ok("workflow", "deploy", str(new))
    assert "Deployed schwerpunktgebiet version 3" in r.stdout
    assert stored(engine.url)[("schwerpunktgebiet", 3)] == digest
    last = engine.history(actor="root")[-1].to_dict()
    assert (last["action"], last["actor"]) == ("workflow_deployed", "root")
    assert last["details"]["hash"] == digest and last["details"]["version"] == 3
    # again: nothing new
    head = engine.head()
    assert c.json("workflow", "deploy", str(new))["deployed"] is False
    assert engine.head() == head
    # now new areas get it, the running one stays on version 1
    c.ok("area", "create", "neu", "--name", "Neu")
    assert c.json("area", "show", "neu")["workflow_version"] == 3
    assert c.json("area", "show", area)["workflow_version"] == 1
    listed = c.json("workflow", "list")
    assert ("schwerpunktgebiet", 3) in {(w["name"], w["version"]) for w in listed if w["deployed"]}


@pytest.mark.sql("the CLI, raw SQL or a second engine on the database")
def test_deploying_other_content_under_a_deployed_version_is_refused(
    engine: Engine, c: Cli, tmp_path: Path
) -> None:
    evil = evil_copy(tmp_path / "evil")
    head = engine.head()
    r = c.run("workflow", "deploy", str(evil))
    assert r.exit_code == 7, r.output
    assert "schwerpunktgebiet version 1 is deployed already with other content" in r.stderr
    assert engine.head() == head
    with pytest.raises(InvalidWorkflowError):
        engine.deploy_workflow(evil, actor="root")


@pytest.mark.sql("the CLI, raw SQL or a second engine on the database")
def test_area_create_needs_a_deployed_definition(engine: Engine, c: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "proposal"
    data: dict[str, Any] = {
        "name": "stadtteilprojekt",
        "version": 1,
        "title": "Stadtteilprojekt",
        "roles": ["moderation"],
        "initial": "planung",
        "states": [
            {"id": "planung", "title": "Planung"},
            {"id": "erledigt", "title": "Erledigt", "final": True},
        ],
        "transitions": [
            {"trigger": "fertig", "source": "planung", "dest": "erledigt", "roles": ["moderation"]}
        ],
    }
    folder.mkdir()
    (folder / "stadtteilprojekt.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    r = c.run(
        "--workflows", str(folder), "area", "create", "p", "--name", "P",
        "--workflow", "stadtteilprojekt",
    )  # fmt: skip
    assert r.exit_code == 6, r.output
    assert "not deployed" in r.stderr and "workflow deploy" in r.stderr
    with pytest.raises(NotFoundError):
        engine.create_area("p", actor="root", name="P", workflow="stadtteilprojekt")
    engine.deploy_workflow(folder / "stadtteilprojekt.yaml", actor="root")
    assert engine.create_area("p", actor="root", name="P", workflow="stadtteilprojekt").state == (
        "planung"
    )


@pytest.mark.sql("the CLI, raw SQL or a second engine on the database")
def test_stored_definitions_are_append_only(engine: Engine) -> None:
    with raw_connection(engine.url) as con, pytest.raises(Exception, match="append-only"):
        con.execute("UPDATE workflow_definitions SET text = 'x'")


def test_the_engine_refuses_a_deploy_by_a_non_admin(engine: Engine, tmp_path: Path) -> None:
    engine.add_person("mia", actor="root", name="Mia", email="mia@regsam.example")
    with pytest.raises(NotAllowedError):
        engine.deploy_workflow(evil_copy(tmp_path / "p", version=3), actor="mia")


# ------------------------------------------------------------ the migration
@pytest.fixture
def old_database(db_url: str) -> Iterator[str]:
    """A database as schema 0003 left it, with an area on schwerpunktgebiet v1."""
    from regsam_flow.persistence import SqlStore

    store = SqlStore(db_url)
    store.upgrade("0003")
    store.close()
    with raw_connection(db_url) as con:
        con.execute(
            "INSERT INTO people VALUES ('root', 'Root', 'r@example.org', '', ?, ?, "
            "'2026-01-01T00:00:00.000000Z')",
            (True, False),
        )
        con.execute(
            "INSERT INTO areas VALUES (?, 'Alt', '', 'schwerpunktgebiet', 1, 'vorlauf', 1, 0, "
            "'2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')",
            (AREA,),
        )
    yield db_url


def test_the_migration_stores_the_definitions_of_existing_databases(old_database: str) -> None:
    e = Engine(old_database)
    try:
        e.init()
        defs = stored(old_database)
        assert ("schwerpunktgebiet", 1) in defs and ("gebietsauswahl", 1) in defs
        assert e.status(AREA, actor="root").area.workflow_version == 1
        assert e.verify().ok
        actions = [x.action for x in e.history(actor="root")]
        assert actions.count("workflow_deployed") == len(defs)
    finally:
        e.close()


@pytest.mark.sql("the CLI, raw SQL or a second engine on the database")
def test_an_evil_copy_of_the_selection_workflow_is_refused_too(
    engine: Engine, c: Cli, tmp_path: Path
) -> None:
    data = yaml.safe_load((BUILTIN_DIR / "gebietsauswahl.yaml").read_text(encoding="utf-8"))
    select = next(t for t in data["transitions"] if t["trigger"] == "auswaehlen")
    select["roles"].append("nominator")
    evil = tmp_path / "evil"
    evil.mkdir()
    (evil / "gebietsauswahl.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    args = ["--round", "2027", "--name", "Ramersdorf", "--source", "rags"]
    r = c.run("--workflows", str(evil), "selection", "nominate", "2027-ramersdorf", *args)
    assert r.exit_code == 7, r.output
    assert "gebietsauswahl version 1 is deployed with other content" in r.stderr
    with raw_connection(engine.url) as con:
        assert con.execute("SELECT count(*) FROM areas").scalar() == 0
    # without it the candidate runs on the deployed definition
    c.ok("selection", "nominate", "2027-ramersdorf", *args)
    assert c.json("area", "show", "2027-ramersdorf")["workflow"] == "gebietsauswahl"


# ------------------------------------------- a version shipped later
def _init_before_and_after_v2(make: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """A database made by a regsam-flow that shipped no version 2 of the
    focus-area workflow (the shipped folder without it), with an area on
    version 1; then ``init`` of this one on it."""
    import shutil

    import regsam_flow.engine.definitions as definitions
    import regsam_flow.workflows as workflows

    before = tmp_path / "shipped-before"
    before.mkdir()
    for path in BUILTIN_DIR.glob("*.yaml"):
        if path.name != "schwerpunktgebiet-v2.yaml":
            shutil.copy(path, before / path.name)
    with monkeypatch.context() as mp:
        mp.setattr(workflows, "BUILTIN_DIR", before)
        mp.setattr(definitions, "BUILTIN_DIR", before)
        old = make()
        old.init("root", name="Root Admin", email="root@regsam.example")
        assert old.workflows.versions("schwerpunktgebiet") == [1]
        assert old.create_area("alt", actor="root", name="Alt").workflow_version == 1
        old.close()
    e: Engine = make()
    assert e.init("root", actor="root", only_first=True) is False
    return e


def _check_v2_deployed_by_init(e: Engine) -> None:
    try:
        assert e.workflows.versions("schwerpunktgebiet") == [1, 2]
        last = e.history(actor="root")[-1].to_dict()
        assert (last["action"], last["actor"]) == ("workflow_deployed", "regsam-flow")
        assert (last["details"]["version"], last["details"]["source"]) == (
            2,
            "schwerpunktgebiet-v2.yaml",
        )
        # the running area keeps version 1, a new one takes version 2
        assert e.get_area("alt", actor="root").workflow_version == 1
        assert e.create_area("neu", actor="root", name="Neu").workflow_version == 2
        # init again: nothing new
        head = e.head()
        e.init("root", actor="root", only_first=True)
        assert e.head() == head
        assert e.verify(deep=True).ok
    finally:
        e.close()


def test_init_on_an_existing_database_deploys_the_newly_shipped_version_2(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _check_v2_deployed_by_init(
        _init_before_and_after_v2(lambda: Engine(db_url), tmp_path, monkeypatch)
    )


def test_init_on_an_existing_memory_store_deploys_the_newly_shipped_version_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from regsam_flow.persistence.memory import MemoryStore

    store = MemoryStore()
    _check_v2_deployed_by_init(
        _init_before_and_after_v2(lambda: Engine(store=store), tmp_path, monkeypatch)
    )
