"""Several workflow versions side by side, user folders, custom guards.

Running areas keep the version they started on; new areas get the newest
deployed one.  A user folder proposes definitions (an admin deploys them);
it cannot override a deployed one.  A workflow may use guards the embedding
application registers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from regsam_flow import Engine
from regsam_flow.errors import (
    BlockedError,
    Blocker,
    InvalidInputError,
    InvalidWorkflowError,
    NotFoundError,
)
from regsam_flow.guards import GuardContext
from regsam_flow.workflows import BUILTIN_DIR, WorkflowRegistry

from .conftest import PEOPLE, report, sign_agreement

BUILTIN_FILE = BUILTIN_DIR / "schwerpunktgebiet.yaml"


def builtin_data() -> dict[str, Any]:
    data = yaml.safe_load(BUILTIN_FILE.read_text(encoding="utf-8"))
    assert data["name"] == "schwerpunktgebiet" and data["version"] == 1
    return data


def write_yaml(folder: Path, filename: str, data: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / filename
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def schwerpunktgebiet_v(version: int) -> dict[str, Any]:
    """The built-in workflow as a new version with two more Vorlauf tasks:
    a required one and an optional one."""
    data = builtin_data()
    data["version"] = version
    vorlauf = data["states"][0]
    assert vorlauf["id"] == "vorlauf"
    vorlauf["tasks"] += [
        {
            "id": "begehung",
            "title": "Sozialraumbegehung durchgeführt",
            "roles": ["moderation", "social_planning"],
            "required": True,
        },
        {"id": "pressearbeit", "title": "Presse informiert", "roles": ["moderation"]},
    ]
    return data


def staff(engine: Engine, area: str) -> None:
    """Add the five people if needed and give each their role in ``area``."""
    known = {p.id for p in engine.list_people(actor="root")}
    for pid, (name, email, _role) in PEOPLE.items():
        if pid not in known:
            engine.add_person(pid, actor="root", name=name, email=email)
    for pid, (_n, _e, role) in PEOPLE.items():
        actor = "root" if role in ("moderation", "social_planning") else "mia"
        engine.assign(area, role, pid, actor=actor)


def task_ids(engine: Engine, area: str, phase: str = "vorlauf") -> set[str]:
    return {t.id for t in engine.tasks(area, actor="mia", phase=phase)}


def status_task_ids(engine: Engine, area: str) -> set[str]:
    return {t.id for t in engine.status(area, actor="mia").tasks}


# ------------------------------------------------------- versions side by side


@pytest.fixture
def versioned(engine: Engine, db_url: str, tmp_path: Path) -> Iterator[Engine]:
    """Area 'alt' created on version 1; then version 3 (version 1 with two
    more tasks; 2 is the shipped one) deployed and the database reopened
    with a folder holding it."""
    engine.create_area("alt", actor="root", name="Altes Gebiet", workflow_version=1)
    staff(engine, "alt")
    assert engine.get_area("alt", actor="root").workflow_version == 1
    v3 = write_yaml(tmp_path / "workflows", "schwerpunktgebiet-v3.yaml", schwerpunktgebiet_v(3))
    engine.deploy_workflow(v3, actor="root")
    engine.close()
    e = Engine(db_url, workflow_dirs=[tmp_path / "workflows"])
    yield e
    e.close()


def test_both_versions_are_loaded(versioned: Engine) -> None:
    assert versioned.workflows.versions("schwerpunktgebiet") == [1, 2, 3]
    assert versioned.workflows.get("schwerpunktgebiet").version == 3
    assert BUILTIN_FILE.name in versioned.workflows.get("schwerpunktgebiet", 1).source


def test_running_area_keeps_its_version(versioned: Engine) -> None:
    area = versioned.get_area("alt", actor="root")
    assert (area.workflow, area.workflow_version) == ("schwerpunktgebiet", 1)


def test_new_area_gets_the_newest_version(versioned: Engine) -> None:
    area = versioned.create_area("neu", actor="root", name="Neues Gebiet")
    assert (area.workflow, area.workflow_version) == ("schwerpunktgebiet", 3)
    assert versioned.get_area("neu", actor="root").workflow_version == 3
    created = versioned.history(actor="root", area="neu")[0].to_dict()
    assert created["action"] == "area_created"
    assert created["details"]["workflow_version"] == 3


def test_tasks_and_status_show_the_areas_own_version(versioned: Engine) -> None:
    versioned.create_area("neu", actor="root", name="Neues Gebiet")
    staff(versioned, "neu")
    new_tasks = {"begehung", "pressearbeit"}
    assert not new_tasks & task_ids(versioned, "alt")
    assert not new_tasks & status_task_ids(versioned, "alt")
    assert new_tasks <= task_ids(versioned, "neu")
    assert new_tasks <= status_task_ids(versioned, "neu")
    # apart from the two new tasks the versions agree
    assert task_ids(versioned, "neu") - new_tasks == task_ids(versioned, "alt")
    required = {t.id for t in versioned.tasks("neu", actor="mia") if t.required}
    assert "begehung" in required and "pressearbeit" not in required


def test_firing_works_on_both_versions(versioned: Engine) -> None:
    versioned.create_area("neu", actor="root", name="Neues Gebiet")
    staff(versioned, "neu")
    for area in ("alt", "neu"):
        sign_agreement(versioned, area)
        report(versioned, area, "vorlauf")

    # version 1 knows no 'begehung': the old area advances
    assert versioned.advance("alt", actor="mia").to_state == "diagnose"

    # version 3 requires it: the new area is blocked until it is reported
    with pytest.raises(BlockedError) as info:
        versioned.advance("neu", actor="mia")
    assert [b.code for b in info.value.blockers] == ["task_open"]
    assert "begehung" in info.value.blockers[0].message
    versioned.report_task("neu", "begehung", actor="sven")
    assert versioned.advance("neu", actor="mia").to_state == "diagnose"

    # and a transition with a reason works on both
    for area in ("alt", "neu"):
        result = versioned.fire(area, "cancel", actor="sven", reason="Mittel gestrichen")
        assert result.fired and result.to_state == "abgebrochen"
        assert versioned.status(area, actor="mia").final


def test_the_new_task_cannot_be_reported_on_the_old_version(versioned: Engine) -> None:
    with pytest.raises(NotFoundError) as info:
        versioned.report_task("alt", "begehung", actor="mia")
    assert "begehung" in str(info.value)


def test_area_on_a_vanished_version_is_reported(versioned: Engine, db_url: str) -> None:
    """An area on a version the database holds no definition of (e.g. one an
    older regsam-flow ran from a folder)."""
    from .databases import raw_connection

    versioned.create_area("neu", actor="root", name="Neues Gebiet")
    staff(versioned, "neu")
    with raw_connection(db_url) as con:
        con.execute("UPDATE areas SET workflow_version = 7 WHERE id = 'neu'")
    plain = Engine(db_url)
    try:
        assert plain.status("alt", actor="mia").area.workflow_version == 1
        with pytest.raises(NotFoundError) as info:
            plain.status("neu", actor="mia")
        assert "schwerpunktgebiet version 7, which is not deployed" in str(info.value)
        assert "workflow deploy" in str(info.value)
    finally:
        plain.close()


# ------------------------------------------------------ overriding and adding


def stadtteilprojekt() -> dict[str, Any]:
    return {
        "name": "stadtteilprojekt",
        "version": 1,
        "title": "Stadtteilprojekt",
        "roles": ["moderation", "social_planning"],
        "initial": "planung",
        "states": [
            {
                "id": "planung",
                "title": "Planung",
                "tasks": [
                    {
                        "id": "projektplan",
                        "title": "Projektplan erstellt",
                        "roles": ["moderation"],
                        "required": True,
                    }
                ],
            },
            {"id": "erledigt", "title": "Erledigt", "final": True},
        ],
        "transitions": [
            {
                "trigger": "abschliessen",
                "source": "planung",
                "dest": "erledigt",
                "roles": ["moderation"],
                "guards": ["required_tasks_done"],
                "advance": True,
            }
        ],
    }


def test_user_folder_proposes_but_cannot_override_a_deployed_workflow(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "workflows"
    custom = builtin_data()
    custom["states"][0]["title"] = "Vorlauf (München-Nord)"
    write_yaml(folder, "schwerpunktgebiet.yaml", custom)
    e = Engine(db_url, workflow_dirs=[folder])
    try:
        with pytest.raises(InvalidWorkflowError, match="deployed with other content") as info:
            e.create_area("alt", actor="root", name="Altes Gebiet")
        assert info.value.source == str(folder / "schwerpunktgebiet.yaml")
    finally:
        e.close()

    new = tmp_path / "new"
    write_yaml(new, "stadtteilprojekt.yml", stadtteilprojekt())
    e = Engine(db_url, workflow_dirs=[new])
    try:
        assert "stadtteilprojekt" in e.local_workflows.names()
        assert e.workflows.names() == ["gebietsauswahl", "schwerpunktgebiet"]
        with pytest.raises(NotFoundError, match="not deployed"):
            e.create_area("projekt", actor="root", name="Projekt", workflow="stadtteilprojekt")
        e.deploy_workflow(new / "stadtteilprojekt.yml", actor="root")
        assert e.workflows.names() == ["gebietsauswahl", "schwerpunktgebiet", "stadtteilprojekt"]
        area = e.create_area("projekt", actor="root", name="Projekt", workflow="stadtteilprojekt")
        assert (area.workflow, area.workflow_version, area.state) == (
            "stadtteilprojekt",
            1,
            "planung",
        )
        e.add_person("mia", actor="root", name="Mia", email="mia@regsam.example")
        e.assign("projekt", "moderation", "mia", actor="root")
        st = e.status("projekt", actor="mia")
        assert st.workflow_title == "Stadtteilprojekt"
        assert [t.id for t in st.tasks] == ["projektplan"]
        e.report_task("projekt", "projektplan", actor="mia")
        assert e.advance("projekt", actor="mia").to_state == "erledigt"
    finally:
        e.close()

    # without the folder, the deployed definition still runs the area
    plain = Engine(db_url)
    try:
        assert plain.status("projekt", actor="mia").workflow_title == "Stadtteilprojekt"
    finally:
        plain.close()


def test_later_folder_overrides_earlier(tmp_path: Path) -> None:
    for folder, title in (("first", "Erster"), ("second", "Zweiter")):
        data = builtin_data()
        data["title"] = title
        write_yaml(tmp_path / folder, "sg.yaml", data)
    reg = WorkflowRegistry([tmp_path / "first", tmp_path / "second"])
    assert reg.get("schwerpunktgebiet", 1).definition.title == "Zweiter"
    reg = WorkflowRegistry([tmp_path / "second", tmp_path / "first"])
    assert reg.get("schwerpunktgebiet", 1).definition.title == "Erster"


def test_same_name_and_version_twice_in_one_folder_is_refused(tmp_path: Path) -> None:
    for filename, title in (("a.yaml", "A"), ("b.yml", "B"), ("c.yaml", "C")):
        data = schwerpunktgebiet_v(2)
        data["title"] = title
        write_yaml(tmp_path, filename, data)
    with pytest.raises(InvalidWorkflowError) as info:
        WorkflowRegistry([tmp_path])
    assert "schwerpunktgebiet" in str(info.value) and "2" in str(info.value)


def test_get_returns_the_newest_version(tmp_path: Path) -> None:
    folder = tmp_path / "workflows"
    # file order differs from version order on purpose
    write_yaml(folder, "a-v3.yaml", schwerpunktgebiet_v(3))
    write_yaml(folder, "b-v2.yaml", schwerpunktgebiet_v(2))
    reg = WorkflowRegistry([folder])
    assert reg.versions("schwerpunktgebiet") == [1, 2, 3]
    assert reg.get("schwerpunktgebiet").version == 3
    assert reg.get("schwerpunktgebiet", 2).source == str(folder / "b-v2.yaml")
    assert reg.get("schwerpunktgebiet", 1).source == str(BUILTIN_FILE)


def test_builtin_only_registry() -> None:
    reg = WorkflowRegistry()
    assert reg.names() == ["gebietsauswahl", "schwerpunktgebiet"]
    assert reg.versions("schwerpunktgebiet") == [1, 2]


def test_unknown_workflow_name_lists_known_names(tmp_path: Path) -> None:
    write_yaml(tmp_path, "projekt.yaml", stadtteilprojekt())
    reg = WorkflowRegistry([tmp_path])
    with pytest.raises(NotFoundError) as info:
        reg.get("schwerpunkt")
    msg = str(info.value)
    assert "schwerpunkt'" in msg
    assert "schwerpunktgebiet" in msg and "stadtteilprojekt" in msg
    assert info.value.kind == "workflow" and info.value.key == "schwerpunkt"


def test_create_area_with_unknown_workflow(engine: Engine) -> None:
    with pytest.raises(NotFoundError) as info:
        engine.create_area("x", actor="root", name="X", workflow="schwerpunkt")
    assert "schwerpunktgebiet" in str(info.value)
    assert engine.list_areas(actor="root") == []


def test_new_areas_take_the_shipped_version_2_unless_pinned(engine: Engine) -> None:
    assert engine.workflows.versions("schwerpunktgebiet") == [1, 2]
    new = engine.create_area("neu", actor="root", name="Neu")
    pinned = engine.create_area("alt", actor="root", name="Alt", workflow_version=1)
    assert (new.workflow_version, pinned.workflow_version) == (2, 1)
    assert engine.get_area("alt", actor="root").workflow_version == 1
    created = engine.history(actor="root", area="alt")[0].to_dict()
    assert (created["action"], created["details"]["workflow_version"]) == ("area_created", 1)
    assert "ziel_handlungskatalog" in {t.id for t in engine.tasks("alt", actor="root")}
    assert "ziel_handlungskatalog" not in {t.id for t in engine.tasks("neu", actor="root")}


@pytest.mark.parametrize("version", [3, 0, -1])
def test_a_version_not_deployed_is_refused_naming_the_deployed_ones(
    engine: Engine, version: int
) -> None:
    head = engine.head()
    with pytest.raises(InvalidInputError) as info:
        engine.create_area("x", actor="root", name="X", workflow_version=version)
    assert info.value.field == "workflow_version"
    assert f"no version {version} deployed (deployed versions: 1, 2)" in str(info.value)
    assert engine.list_areas(actor="root") == [] and engine.head() == head


def test_the_cli_pins_an_area_to_a_version(db_url: str, tmp_path: Path) -> None:
    from .cli_helpers import Cli

    c = Cli(db_url, tmp_path / "home")
    c.ok("init", "--admin", "root", "--name", "Root Admin", "--email", "root@regsam.example")
    head = c.json("audit", "head")
    r = c.run("area", "create", "x", "--name", "X", "--workflow-version", "5")
    assert r.exit_code == 7, r.output
    assert "workflow_version" in r.stderr and "deployed versions: 1, 2" in r.stderr
    assert c.json("audit", "head") == head and c.json("area", "list") == []
    made = c.json("area", "create", "alt", "--name", "Alt", "--workflow-version", "1")
    assert made["workflow_version"] == 1
    assert "on schwerpunktgebiet v2" in c.ok("area", "create", "neu", "--name", "Neu").stdout
    assert "--workflow-version N" in c.ok("area", "create", "--help").stdout


def test_unknown_version_names_name_and_version() -> None:
    with pytest.raises(NotFoundError) as info:
        WorkflowRegistry().get("schwerpunktgebiet", 9)
    assert "schwerpunktgebiet" in str(info.value) and "9" in str(info.value)
    assert info.value.kind == "workflow"


def test_unknown_version_lists_known_versions(tmp_path: Path) -> None:
    write_yaml(tmp_path, "v2.yaml", schwerpunktgebiet_v(2))
    with pytest.raises(NotFoundError) as info:
        WorkflowRegistry([tmp_path]).get("schwerpunktgebiet", 9)
    assert "1, 2" in str(info.value)


def test_unknown_name_with_version_lists_known_names() -> None:
    with pytest.raises(NotFoundError) as info:
        WorkflowRegistry().get("schwerpunkt", 1)
    assert "no workflow named 'schwerpunkt'" in str(info.value)
    assert "schwerpunktgebiet" in str(info.value)


def test_nonexistent_folder(db_url: str, engine: Engine, tmp_path: Path) -> None:
    missing = tmp_path / "gibt-es-nicht"
    with pytest.raises(NotFoundError) as info:
        WorkflowRegistry([missing])
    assert str(missing) in str(info.value)
    assert info.value.kind == "folder"

    e = Engine(db_url, workflow_dirs=[missing])
    try:
        with pytest.raises(NotFoundError) as info:
            e.create_area("x", actor="root", name="X")
        assert str(missing) in str(info.value)
    finally:
        e.close()


def test_invalid_file_in_user_folder_is_refused(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    data = stadtteilprojekt()
    data["transitions"][0]["dest"] = "fertig"
    path = write_yaml(tmp_path, "projekt.yaml", data)
    e = Engine(db_url, workflow_dirs=[tmp_path])
    try:
        with pytest.raises(InvalidWorkflowError) as info:
            e.create_area("x", actor="root", name="X")
        assert info.value.source == str(path)
        assert info.value.element == "transitions[0] (abschliessen).dest"
    finally:
        e.close()


# -------------------------------------------------------------- custom guards


def foerderprojekt() -> dict[str, Any]:
    return {
        "name": "foerderprojekt",
        "version": 1,
        "title": "Förderprojekt",
        "roles": ["moderation", "social_planning"],
        "initial": "antrag",
        "states": [
            {
                "id": "antrag",
                "title": "Antrag",
                "tasks": [
                    {
                        "id": "antrag_gestellt",
                        "title": "Antrag gestellt",
                        "roles": ["moderation"],
                        "required": True,
                    }
                ],
            },
            {"id": "bewilligt", "title": "Bewilligt", "final": True},
            {"id": "abgelehnt", "title": "Abgelehnt", "final": True},
        ],
        "transitions": [
            {
                "trigger": "bewilligen",
                "source": "antrag",
                "dest": "bewilligt",
                "roles": ["moderation"],
                "guards": ["required_tasks_done", "budget_approved"],
                "advance": True,
            },
            {
                "trigger": "ablehnen",
                "source": "antrag",
                "dest": "abgelehnt",
                "roles": ["moderation"],
                "reason_required": True,
            },
        ],
    }


class BudgetGuard:
    """Blocks until ``approved``; remembers what it was asked about."""

    def __init__(self) -> None:
        self.approved = False
        self.seen: list[tuple[str, str, str]] = []

    def __call__(self, ctx: GuardContext) -> list[Blocker]:
        self.seen.append((ctx.area.id, ctx.transition.trigger, ctx.actor))
        if self.approved:
            return []
        return [Blocker("budget_missing", "Budget ist noch nicht bewilligt")]


@pytest.fixture
def guard_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "guarded"
    write_yaml(folder, "foerderprojekt.yaml", foerderprojekt())
    return folder


def _open_project(e: Engine) -> str:
    e.deploy_workflow(e.local_workflows.get("foerderprojekt").source, actor="root")
    e.create_area("foerder", actor="root", name="Förderung", workflow="foerderprojekt")
    e.add_person("mia", actor="root", name="Mia Moderatorin", email="mia@regsam.example")
    e.assign("foerder", "moderation", "mia", actor="root")
    e.report_task("foerder", "antrag_gestellt", actor="mia")
    return "foerder"


def _blocked_then_allowed(e: Engine, guard: BudgetGuard) -> None:
    area = _open_project(e)
    with pytest.raises(BlockedError) as info:
        e.fire(area, "bewilligen", actor="mia")
    assert [b.code for b in info.value.blockers] == ["budget_missing"]
    assert "Budget" in str(info.value)
    assert e.get_area(area, actor="mia").state == "antrag"
    assert (area, "bewilligen", "mia") in guard.seen

    step = next(s for s in e.why(area, actor="mia") if s.trigger == "bewilligen")
    assert not step.allowed and [b.code for b in step.blockers] == ["budget_missing"]

    guard.approved = True
    step = next(s for s in e.why(area, actor="mia") if s.trigger == "bewilligen")
    assert step.allowed and step.blockers == ()
    result = e.fire(area, "bewilligen", actor="mia")
    assert result.fired and result.to_state == "bewilligt"
    assert e.status(area, actor="mia").final


def test_custom_guard_unknown_without_guards(
    engine: Engine, db_url: str, guard_folder: Path
) -> None:
    e = Engine(db_url, workflow_dirs=[guard_folder])
    try:
        with pytest.raises(InvalidWorkflowError) as info:
            e.create_area("foerder", actor="root", name="Förderung", workflow="foerderprojekt")
        exc = info.value
        assert exc.source == str(guard_folder / "foerderprojekt.yaml")
        assert exc.element == "transitions[0] (bewilligen).guards"
        assert "unknown guard 'budget_approved'" in str(exc)
        # the built-in workflow is not usable either while a folder is broken
        with pytest.raises(InvalidWorkflowError):
            e.create_area("sg", actor="root", name="SG")
    finally:
        e.close()


def test_custom_guard_given_to_the_engine(engine: Engine, db_url: str, guard_folder: Path) -> None:
    guard = BudgetGuard()
    e = Engine(db_url, workflow_dirs=[guard_folder], guards={"budget_approved": guard})
    try:
        _blocked_then_allowed(e, guard)
    finally:
        e.close()


def test_custom_guard_registered_later(engine: Engine, db_url: str, guard_folder: Path) -> None:
    guard = BudgetGuard()
    e = Engine(db_url, workflow_dirs=[guard_folder])
    try:
        with pytest.raises(InvalidWorkflowError):
            _ = e.local_workflows
        e.register_guard("budget_approved", guard)
        assert e.local_workflows.get("foerderprojekt").version == 1
        _blocked_then_allowed(e, guard)
    finally:
        e.close()


def test_custom_guard_does_not_block_other_transitions(
    engine: Engine, db_url: str, guard_folder: Path
) -> None:
    guard = BudgetGuard()
    e = Engine(db_url, workflow_dirs=[guard_folder], guards={"budget_approved": guard})
    try:
        area = _open_project(e)
        result = e.fire(area, "ablehnen", actor="mia", reason="Haushaltssperre")
        assert result.to_state == "abgelehnt"
        assert all(trigger == "bewilligen" for _a, trigger, _p in guard.seen)
    finally:
        e.close()


def test_custom_guard_returning_none_passes(
    engine: Engine, db_url: str, guard_folder: Path
) -> None:
    def budget_approved(ctx: GuardContext) -> list[Blocker] | None:
        return None  # nothing blocks

    e = Engine(db_url, workflow_dirs=[guard_folder], guards={"budget_approved": budget_approved})
    try:
        area = _open_project(e)
        assert e.status(area, actor="mia").next[0].allowed
        assert e.fire(area, "bewilligen", actor="mia").to_state == "bewilligt"
    finally:
        e.close()


def test_a_deployed_guard_unknown_to_an_engine_is_named(
    engine: Engine, db_url: str, guard_folder: Path
) -> None:
    guard = BudgetGuard()
    e = Engine(db_url, workflow_dirs=[guard_folder], guards={"budget_approved": guard})
    try:
        area = _open_project(e)
    finally:
        e.close()
    with pytest.raises(InvalidWorkflowError, match="unknown guard 'budget_approved'"):
        engine.deploy_workflow(guard_folder / "foerderprojekt.yaml", actor="root")
    plain = Engine(db_url)
    try:
        with pytest.raises(InvalidWorkflowError, match="unknown guard 'budget_approved'"):
            plain.status(area, actor="mia")
    finally:
        plain.close()
