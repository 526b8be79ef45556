"""Moving running areas to another deployed version of their workflow
(``Engine.migrate_area``, ``regsam-flow workflow migrate``).

Version 3 of the focus-area workflow (written here; 2 is the shipped one)
replaces the diagnose task ``ziel_handlungskatalog`` of version 1 by a
required ``katalog_beschlossen``; version 4 renames the phase ``umsetzung``.
Areas not migrated keep their version; a move is one audit entry the log
replays.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from regsam_flow import Engine
from regsam_flow.errors import BlockedError, InvalidInputError, NotAllowedError, NotFoundError
from regsam_flow.ports import FixedClock

from .cli_helpers import Cli, setup_area, sign
from .cli_helpers import report as cli_report
from .conftest import REQUIRED_TASKS, report, sign_agreement
from .test_workflow_versions import builtin_data, write_yaml

KATALOG = {
    "id": "katalog_beschlossen",
    "title": "Ziele- und Maßnahmenkatalog in einer Sitzung beschlossen",
    "roles": ["moderation"],
    "required": True,
}


def version_3() -> dict[str, Any]:
    data = builtin_data()
    data["version"] = 3
    diagnose = data["states"][1]
    assert diagnose["id"] == "diagnose"
    diagnose["tasks"] = [t for t in diagnose["tasks"] if t["id"] != "ziel_handlungskatalog"]
    diagnose["tasks"].append(KATALOG)
    return data


def version_4() -> dict[str, Any]:
    """Version 3 with the phase umsetzung renamed durchfuehrung."""
    text = json.dumps(version_3()).replace('"umsetzung"', '"durchfuehrung"')
    data: dict[str, Any] = json.loads(text)
    data["version"] = 4
    return data


@pytest.fixture
def deployed(engine: Engine, area: str, tmp_path: Path) -> Engine:
    """Versions 3 and 4 deployed beside the shipped versions 1 and 2, after the
    area was created (on version 1)."""
    for n, data in ((3, version_3()), (4, version_4())):
        path = write_yaml(tmp_path / "wf", f"schwerpunktgebiet-v{n}.yaml", data)
        engine.deploy_workflow(path, actor="root")
    return engine


def to_diagnose(engine: Engine, area: str) -> None:
    sign_agreement(engine, area)
    report(engine, area, "vorlauf")
    engine.advance(area, actor="mia")


def to_umsetzung(engine: Engine, area: str) -> None:
    to_diagnose(engine, area)
    report(engine, area, "diagnose")
    engine.advance(area, actor="mia")


def codes(blockers: Any) -> list[str]:
    return [b.code for b in blockers]


def head(engine: Engine) -> tuple[int, str]:
    h = engine.head()
    return h.entries, h.hash


# ------------------------------------------------------------------ the move
def test_an_area_in_diagnose_moves_to_version_3(deployed: Engine, area: str) -> None:
    e = deployed
    to_diagnose(e, area)
    e.report_task(area, "kg_arbeitsweise", actor="mia")
    e.report_task(area, "ziel_handlungskatalog", actor="mia")
    before = e.get_area(area, actor="mia")
    events: list[Any] = []
    e.on("workflow", events.append)

    plan = e.migrate_area(area, 3, actor="mia", reason="Katalog als eigene Aufgabe")

    assert (plan.moved, plan.can_move, plan.problems) == (True, True, ())
    assert (plan.workflow, plan.from_version, plan.to_version, plan.phase) == (
        "schwerpunktgebiet",
        1,
        3,
        "diagnose",
    )
    assert plan.tasks_dropped == ("ziel_handlungskatalog",)
    assert plan.tasks_new == ("katalog_beschlossen",)
    assert plan.next_trigger == "start_umsetzung"
    assert codes(plan.blocked_by) == ["task_open", "task_open"]
    assert "bedarfsanalyse" in plan.blocked_by[0].message
    assert "katalog_beschlossen" in plan.blocked_by[1].message
    after = e.get_area(area, actor="mia")
    assert (after.workflow_version, after.state, after.round) == (3, "diagnose", before.round)
    assert after.version == before.version + 1 == plan.version
    entry = e.history(actor="root", area=area)[-1].to_dict()
    assert (entry["seq"], entry["action"], entry["actor"], entry["role"]) == (
        plan.seq,
        "workflow_migrated",
        "mia",
        "moderation",
    )
    assert entry["reason"] == "Katalog als eigene Aufgabe"
    assert [(ev.area, ev.entry.action) for ev in events] == [(area, "workflow_migrated")]
    d = entry["details"]
    assert (d["workflow"], d["from_version"], d["to_version"]) == ("schwerpunktgebiet", 1, 3)
    assert d["tasks_dropped"] == ["ziel_handlungskatalog"]
    assert d["tasks_new"] == ["katalog_beschlossen"]
    assert [b["code"] for b in d["blocked_by"]] == ["task_open", "task_open"]
    # the area now runs on version 2's rules: its tasks, its blockers
    assert {t.id for t in e.tasks(area, actor="mia", phase="diagnose")} >= {"katalog_beschlossen"}
    assert "ziel_handlungskatalog" not in {t.id for t in e.status(area, actor="mia").tasks}
    why = e.why(area, actor="mia")
    assert [b.message for b in why[0].blockers] == [b.message for b in plan.blocked_by]
    e.report_task(area, "bedarfsanalyse", actor="mia")
    e.report_task(area, "katalog_beschlossen", actor="mia")
    assert e.advance(area, actor="mia").to_state == "umsetzung"
    assert e.verify(deep=True).ok


def test_an_area_in_umsetzung_moves_and_others_keep_their_version(
    deployed: Engine, area: str
) -> None:
    e = deployed
    to_umsetzung(e, area)
    e.create_area("nachbar", actor="root", name="Nachbargebiet")  # on the newest, 3
    plan = e.migrate_area(area, 3, actor="root")
    assert plan.moved and plan.phase == "umsetzung"
    assert plan.next_trigger == "start_auswertung"
    assert codes(plan.blocked_by) == ["task_open", "task_open"]
    assert e.get_area(area, actor="root").workflow_version == 3
    assert e.get_area("nachbar", actor="root").workflow_version == 4
    entry = e.history(actor="root", area=area)[-1]
    assert (entry.action, entry.role) == ("workflow_migrated", "admin")
    report(e, area, "umsetzung")
    assert e.advance(area, actor="mia").to_state == "auswertung"
    assert e.verify(deep=True).ok


def test_a_dry_run_shows_the_plan_and_writes_nothing(deployed: Engine, area: str) -> None:
    e = deployed
    to_diagnose(e, area)
    before, area_before = head(e), e.get_area(area, actor="mia")
    plan = e.migrate_area(area, 3, actor="mia", dry_run=True)
    assert (plan.dry_run, plan.can_move, plan.moved, plan.seq) == (True, True, False, 0)
    assert plan.tasks_new == ("katalog_beschlossen",)
    assert codes(plan.blocked_by) == ["task_open"] * 3
    assert head(e) == before
    assert e.get_area(area, actor="mia") == area_before
    refused = e.migrate_area(area, 1, actor="mia", dry_run=True)
    assert not refused.can_move and codes(refused.problems) == ["same_version"]
    assert head(e) == before


def test_moving_back_to_a_lower_version_finds_the_kept_task_rows(
    deployed: Engine, area: str
) -> None:
    e = deployed
    to_diagnose(e, area)
    e.report_task(area, "ziel_handlungskatalog", actor="mia")
    e.migrate_area(area, 3, actor="mia")
    back = e.migrate_area(area, 1, actor="mia", reason="zurück")
    assert (back.from_version, back.to_version, back.tasks_dropped) == (
        3,
        1,
        ("katalog_beschlossen",),
    )
    done = {t.id for t in e.tasks(area, actor="mia", phase="diagnose") if t.done}
    assert done == {"ziel_handlungskatalog"}
    assert e.verify(deep=True).ok


def test_as_of_replays_the_move(deployed: Engine, area: str) -> None:
    e = deployed
    clock = FixedClock(datetime(2030, 1, 1, 9, tzinfo=timezone.utc))
    e.context.clock = clock
    to_diagnose(e, area)
    clock.set(datetime(2030, 1, 1, 10, tzinfo=timezone.utc))
    e.migrate_area(area, 3, actor="mia")
    before = e.as_of(area, datetime(2030, 1, 1, 9, 30, tzinfo=timezone.utc), actor="mia")
    after = e.as_of(area, datetime(2030, 1, 1, 10, tzinfo=timezone.utc), actor="mia")
    assert (before.workflow_version, before.state) == (1, "diagnose")
    assert (after.workflow_version, after.state) == (3, "diagnose")
    assert after.last_seq == e.history(actor="root", area=area)[-1].seq == before.last_seq + 1


# ---------------------------------------------------------------- refusals
def test_a_phase_missing_in_the_target_is_refused(deployed: Engine, area: str) -> None:
    e = deployed
    to_umsetzung(e, area)
    before = head(e)
    with pytest.raises(BlockedError) as info:
        e.migrate_area(area, 4, actor="mia")
    assert codes(info.value.blockers) == ["state_missing"]
    assert "'umsetzung' does not exist in schwerpunktgebiet version 4" in str(info.value)
    assert head(e) == before
    assert e.get_area(area, actor="mia").workflow_version == 1
    plan = e.migrate_area(area, 4, actor="mia", dry_run=True)
    assert codes(plan.problems) == ["state_missing"] and plan.blocked_by == ()


@pytest.mark.parametrize("who", ["tom", "sven", "stella", "audrey"])
def test_only_an_admin_or_the_moderation_may_move_an_area(
    deployed: Engine, area: str, who: str
) -> None:
    before = head(deployed)
    for dry_run in (False, True):
        with pytest.raises(NotAllowedError, match="admin or the area's moderation"):
            deployed.migrate_area(area, 3, actor=who, dry_run=dry_run)
    assert head(deployed) == before
    assert deployed.get_area(area, actor="root").workflow_version == 1


def test_an_outsider_is_told_there_is_no_such_area(deployed: Engine, area: str) -> None:
    deployed.add_person("otto", actor="root", name="Otto", email="otto@example.org")
    with pytest.raises(NotFoundError, match=f"no area '{area}'"):
        deployed.migrate_area(area, 3, actor="otto")
    with pytest.raises(NotFoundError, match="no area 'nirgends'"):
        deployed.migrate_area("nirgends", 3, actor="root")


def test_an_unknown_version_another_workflow_and_a_final_area_are_refused(
    deployed: Engine, area: str
) -> None:
    e = deployed
    before = head(e)
    with pytest.raises(BlockedError) as info:
        e.migrate_area(area, 9, actor="mia")
    assert codes(info.value.blockers) == ["version_not_deployed"]
    assert "deployed: 1, 2, 3, 4" in info.value.blockers[0].message
    with pytest.raises(BlockedError) as info:
        e.migrate_area(area, 3, actor="mia", workflow="gebietsauswahl")
    assert codes(info.value.blockers) == ["workflow_differs"]
    with pytest.raises(BlockedError) as info:
        e.migrate_area(area, 1, actor="mia")
    assert codes(info.value.blockers) == ["same_version"]
    with pytest.raises(InvalidInputError) as bad:
        e.migrate_area(area, 3, actor="mia", reason="x" * 2001)
    assert bad.value.field == "reason"
    for version in (0, -1, "2", True):
        with pytest.raises(InvalidInputError) as bad:
            e.migrate_area(area, version, actor="mia")  # type: ignore[arg-type]
        assert bad.value.field == "to_version"
    assert head(e) == before
    e.fire(area, "cancel", actor="mia", reason="Träger zieht sich zurück")
    with pytest.raises(BlockedError) as info:
        e.migrate_area(area, 3, actor="root")
    assert codes(info.value.blockers) == ["area_final"]


def test_a_role_the_target_does_not_know_is_refused(
    deployed: Engine, area: str, tmp_path: Path
) -> None:
    data = version_3()
    data["version"] = 5
    data["roles"] = [r for r in data["roles"] if r != "sbh"]
    for state in data["states"]:
        state["tasks"] = [t for t in state.get("tasks", []) if "sbh" not in t["roles"]]
    deployed.deploy_workflow(write_yaml(tmp_path / "wf", "v5.yaml", data), actor="root")
    with pytest.raises(BlockedError) as info:
        deployed.migrate_area(area, 5, actor="mia")
    assert codes(info.value.blockers) == ["role_not_in_target"]
    assert "sabine is sbh" in info.value.blockers[0].message
    deployed.unassign(area, "sbh", "sabine", actor="mia")
    plan = deployed.migrate_area(area, 5, actor="mia")
    assert plan.moved and "teilnahme_sbh" in plan.tasks_dropped
    assert deployed.verify(deep=True).ok


# --------------------------------------------------------------------- CLI
def test_the_cli_plans_moves_and_refuses(db_url: str, tmp_path: Path) -> None:
    c = Cli(db_url, tmp_path / "home")
    area = setup_area(c)
    sign(c, area)
    cli_report(c, area, "vorlauf")
    c.ok("advance", area, user="mia")
    for n, data in ((3, version_3()), (4, version_4())):
        c.ok("workflow", "deploy", str(write_yaml(tmp_path / "wf", f"v{n}.yaml", data)))
    c.ok("task", "done", area, "ziel_handlungskatalog", user="mia")
    head_before = c.json("audit", "head", user="audrey")

    dry = c.ok("workflow", "migrate", area, "--to", "3", "--dry-run", user="mia").stdout
    assert "Dry run: hasenbergl-nord (diagnose) can move from schwerpunktgebiet v1 -> v3" in dry
    assert "tasks only in the old version (rows kept, not shown): ziel_handlungskatalog" in dry
    assert "tasks only in the new version (open): katalog_beschlossen" in dry
    assert "start_umsetzung is then blocked by:" in dry and "katalog_beschlossen" in dry
    plan = c.json("workflow", "migrate", area, "--to", "schwerpunktgebiet:3", "--dry-run")
    assert (plan["dry_run"], plan["can_move"], plan["moved"]) == (True, True, False)
    assert [b["code"] for b in plan["blocked_by"]] == ["task_open", "task_open", "task_open"]
    assert c.json("audit", "head", user="audrey") == head_before
    assert c.json("area", "show", area)["workflow_version"] == 1

    # refusals: their exit codes, nothing written
    r = c.run("workflow", "migrate", area, "--to", "3", user="tom")
    assert r.exit_code == 3 and "admin or the area's moderation" in r.stderr
    r = c.run("workflow", "migrate", "nirgends", "--to", "3")
    assert r.exit_code == 6 and "no area 'nirgends'" in r.stderr
    for bad in ("zwei", "0", "-1", ":2", ""):
        r = c.run("workflow", "migrate", area, "--to", bad, user="mia")
        assert r.exit_code == 7 and "--to" in r.stderr, (bad, r.output)
    r = c.run("workflow", "migrate", area, "--to", "9", user="mia")
    assert r.exit_code == 4 and "version_not_deployed" in r.stderr
    r = c.run("--json", "workflow", "migrate", area, "--to", "gebietsauswahl:2", user="mia")
    assert r.exit_code == 4
    assert [b["code"] for b in json.loads(r.stdout)["blockers"]] == ["workflow_differs"]
    r = c.run("workflow", "migrate", area, "--to", "9", "--dry-run", user="mia")
    assert r.exit_code == 4 and "- version_not_deployed:" in r.stdout
    assert c.json("audit", "head", user="audrey") == head_before

    moved = c.ok("workflow", "migrate", area, "--to", "3", "--reason", "neu", user="mia").stdout
    assert "Moved hasenbergl-nord (diagnose) from schwerpunktgebiet v1 -> v3" in moved
    assert "start_umsetzung is now blocked by:" in moved
    assert c.json("area", "show", area)["workflow_version"] == 3
    log = c.json("log", area)
    assert log[-1]["action"] == "workflow_migrated" and log[-1]["reason"] == "neu"
    assert "workflow_migrated  schwerpunktgebiet v1 -> v3" in c.ok("log", area).stdout
    assert c.ok("audit", "verify", "--deep", user="audrey")
    c.ok("task", "done", area, "katalog_beschlossen", user="mia")
    report_rest = [t for t, _ in REQUIRED_TASKS["diagnose"] if t != "ziel_handlungskatalog"]
    for task in report_rest:
        c.ok("task", "done", area, task, user="mia")
    c.ok("advance", area, user="mia")
    r = c.run("workflow", "migrate", area, "--to", "4", user="mia")
    assert r.exit_code == 4 and "state_missing" in r.stderr


def test_a_field_value_the_target_refuses_and_fields_only_in_one_version(
    engine: Engine, tmp_path: Path
) -> None:
    """A selection candidate (workflow gebietsauswahl, fields): version 3
    adds a field notiz and no longer accepts 'rags' as a source."""
    import yaml

    from regsam_flow.workflows import BUILTIN_DIR

    data = yaml.safe_load((BUILTIN_DIR / "gebietsauswahl-v2.yaml").read_text(encoding="utf-8"))
    assert data["version"] == 2
    engine.create_area(
        "kandidat",
        actor="root",
        name="Kandidat",
        workflow="gebietsauswahl",
        fields={"quelle": "rags"},
    )
    data["version"] = 3
    data["fields"].append({"id": "notiz", "title": "Notiz", "roles": ["nominator"]})
    quelle = next(f for f in data["fields"] if f["id"] == "quelle")
    quelle["choices"] = [c for c in quelle["choices"] if c != "rags"]
    engine.deploy_workflow(write_yaml(tmp_path / "wf", "ga3.yaml", data), actor="root")
    before = head(engine)
    plan = engine.migrate_area("kandidat", 3, actor="root", dry_run=True)
    assert codes(plan.problems) == ["field_value_invalid"]
    assert "field 'quelle' holds 'rags'" in plan.problems[0].message
    assert plan.fields_new == ("notiz",) and plan.fields_dropped == ()
    with pytest.raises(BlockedError):
        engine.migrate_area("kandidat", 3, actor="root")
    assert head(engine) == before
    engine.add_person("nina", actor="root", name="Nina", email="nina@example.org")
    engine.assign("kandidat", "nominator", "nina", actor="root")
    engine.set_fields("kandidat", {"quelle": "monitoring"}, actor="nina")
    assert engine.migrate_area("kandidat", 3, actor="root").moved
    assert engine.get_area("kandidat", actor="root").workflow_version == 3
    back = engine.migrate_area("kandidat", 2, actor="root", dry_run=True)
    assert back.can_move and back.fields_dropped == ("notiz",)
    assert engine.verify(deep=True).ok
