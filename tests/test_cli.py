"""Every CLI command through click's CliRunner, every exit code, the JSON keys."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from .cli_helpers import Cli, report, setup_area, sign
from .databases import raw_connection

AREA = "hasenbergl-nord"


@pytest.fixture
def c(db_url: str, tmp_path: Path) -> Cli:
    return Cli(db_url, tmp_path / "home")


@pytest.fixture
def area(c: Cli) -> str:
    return setup_area(c)


# ------------------------------------------------------------------- setup
def test_init_creates_then_is_safe_to_repeat(c: Cli) -> None:
    r = c.ok("init", "--admin", "anna")
    assert "Created database" in r.stdout and "anna is now an admin" in r.stdout
    r = c.ok("init", "--admin", "anna")
    assert "up to date" in r.stdout and "anna is already an admin" in r.stdout
    data = c.json("init", "--admin", "anna")
    assert data["schema"] == data["schema_before"] and data["admin_created"] is False


def test_uninitialised_database_says_to_run_init(c: Cli) -> None:
    r = c.run("area", "list")
    assert r.exit_code == 13  # schema: not initialised
    assert "not initialised: run `regsam-flow init`" in r.stderr
    assert "Traceback" not in r.output


def test_info(c: Cli, area: str) -> None:
    data = c.json("info")
    assert data["schema"] == data["schema_needed"]
    names = {(w["name"], w["version"]) for w in data["workflows"]}
    assert {("schwerpunktgebiet", 1), ("gebietsauswahl", 1)} <= names
    r = c.ok("info")
    assert "schwerpunktgebiet v1" in r.stdout and "(current)" in r.stdout


def test_info_hides_the_password(tmp_path: Path) -> None:
    c = Cli("postgresql+psycopg://anna:geheim@localhost:1/none", tmp_path)
    r = c.run("info")
    assert "geheim" not in r.output


# ------------------------------------------------------------------- people
def test_user_add_and_list(c: Cli, area: str) -> None:
    people = c.json("user", "list")
    by_id = {p["id"]: p for p in people}
    assert by_id["tom"]["name"] == "Tom Träger"
    assert by_id["audrey"]["auditor"] is True
    r = c.ok("user", "list")
    assert "Tom Träger" in r.stdout
    assert all(len(line) <= 80 for line in r.stdout.splitlines())


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (["--name", "X", "--email", "nope"], 7, "not an email address"),
        (["--name", "", "--email", "x@example.org"], 7, "name must not be empty"),
        (["--email", "x@example.org"], 2, "Missing option '--name'"),
    ],
)
def test_user_add_bad_input(c: Cli, area: str, args: list[str], code: int, text: str) -> None:
    r = c.run("user", "add", "xaver", *args)
    assert r.exit_code == code
    assert text in r.output
    assert "xaver" not in [p["id"] for p in c.json("user", "list")]


def test_only_admins_add_people(c: Cli, area: str) -> None:
    r = c.run("user", "add", "x", "--name", "X", "--email", "x@example.org", user="mia")
    assert r.exit_code == 3
    assert "only an admin" in r.stderr


# -------------------------------------------------------------------- areas
def test_area_create_list_show(c: Cli, area: str) -> None:
    listed = c.json("area", "list")
    assert [a["area"] for a in listed] == [AREA]
    assert c.json("area", "list", "--state", "diagnose") == []
    assert c.json("area", "list", user="tom")[0]["state"] == "vorlauf"
    r = c.ok("area", "list")
    assert "Hasenbergl-Nord" in r.stdout


def test_area_show_json_contract(c: Cli, area: str) -> None:
    sign(c, area)
    c.ok("task", "done", area, "schwerpunktziel", "--note", "KG-Beschluss", user="mia")
    data = c.json("area", "show", area, user="mia")
    for key in (
        "area",
        "name",
        "workflow",
        "state",
        "version",
        "roles",
        "agreement",
        "tasks",
        "next",
    ):
        assert key in data
    assert data["area"] == AREA and data["state"] == "vorlauf"
    assert data["roles"]["moderation"] == ["mia"]
    ag = data["agreement"]
    assert ag["start"] == "2027-01-15" and ag["review"] == "2027-07-15"
    assert ag["signed_by"] == ["moderation", "social_planning"]
    assert ag["topic"] == "Nachbarschaftskonflikte, ältere Menschen"
    task = next(t for t in data["tasks"] if t["id"] == "schwerpunktziel")
    assert set(task) >= {
        "id",
        "phase",
        "title",
        "roles",
        "required",
        "done",
        "done_by",
        "done_at",
        "note",
    }
    assert (task["done"], task["done_by"], task["note"]) == (True, "mia", "KG-Beschluss")
    step = next(s for s in data["next"] if s["trigger"] == "start_diagnose")
    assert set(step) >= {"trigger", "dest", "allowed", "blockers"}
    assert step["allowed"] is False
    assert {b["code"] for b in step["blockers"]} == {"task_open"}
    assert all(set(b) == {"code", "message"} for b in step["blockers"])


def test_area_show_table_fits_80_columns(c: Cli, area: str) -> None:
    r = c.ok("area", "show", area, user="mia")
    assert "Vorlauf (vorlauf)" in r.stdout
    assert "agreement_missing" in r.stdout
    assert all(len(line) <= 80 for line in r.stdout.splitlines()), r.stdout


def test_assign_and_unassign(c: Cli, area: str) -> None:
    c.ok("user", "add", "paul", "--name", "Paul Partner", "--email", "paul@example.org")
    c.ok("area", "assign", area, "sbh", "paul", user="mia")
    assert "paul" in c.json("area", "show", area)["roles"]["sbh"]
    c.ok("area", "unassign", area, "sbh", "paul", user="mia")
    assert "paul" not in c.json("area", "show", area)["roles"]["sbh"]
    r = c.run("area", "assign", area, "social_planning", "paul", user="mia")
    assert r.exit_code == 3
    r = c.run("area", "assign", area, "mayor", "paul")
    assert r.exit_code == 7 and "no role of workflow" in r.stderr
    r = c.run("area", "assign", "atlantis", "sbh", "paul")
    assert r.exit_code == 6


def test_area_create_errors(c: Cli, area: str) -> None:
    r = c.run("area", "create", area, "--name", "Doppelt")
    assert r.exit_code == 7 and "exists already" in r.stderr
    r = c.run("area", "create", "neu", "--name", "Neu", "--workflow", "nope")
    assert r.exit_code == 6 and "no workflow named 'nope'" in r.stderr
    r = c.run("area", "create", "neu viertel", "--name", "Neu")
    assert r.exit_code == 7


# ---------------------------------------------------------------- agreement
def test_agreement_set_sign_show_versions(c: Cli, area: str) -> None:
    sign(c, area)
    c.ok("agreement", "set", area, "--review", "01.09.2027", user="sven")
    shown = c.json("agreement", "show", area, user="tom")
    assert shown["version"] == 2 and shown["review"] == "2027-09-01"
    assert shown["signed_by"] == []
    old = c.json("agreement", "show", area, "--version", "1", user="tom")
    assert old["review"] == "2027-07-15" and old["signed_by"] == ["moderation", "social_planning"]
    r = c.ok("agreement", "show", area, user="tom")
    assert "2027-09-01" in r.stdout and "nobody yet" in r.stdout
    r = c.run("agreement", "show", area, "--version", "9")
    assert r.exit_code == 6


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (["--start", "15.07.2027", "--review", "15.01.2027"], 7, "before the start date"),
        (["--review", "31.02.2027"], 7, "not a valid date"),
        (["--review", "2027/07/15"], 7, "use 2027-07-15 or 15.07.2027"),
        ([], 2, "give at least one field"),
    ],
)
def test_agreement_set_bad_input(c: Cli, area: str, args: list[str], code: int, text: str) -> None:
    r = c.run("agreement", "set", area, *args, user="mia")
    assert r.exit_code == code
    assert text in r.output
    assert c.json("agreement", "show", area) is None


def test_sign_incomplete_agreement_is_blocked(c: Cli, area: str) -> None:
    c.ok("agreement", "set", area, "--topic", "Ältere", user="mia")
    r = c.run("agreement", "sign", area, user="mia")
    assert r.exit_code == 4
    assert "agreement_incomplete" in r.stderr
    r = c.run("agreement", "sign", area, user="tom")
    assert r.exit_code == 3


# -------------------------------------------------------------------- tasks
def test_task_list_done_reopen(c: Cli, area: str) -> None:
    tasks = c.json("task", "list", area, "--phase", "vorlauf", user="tom")
    assert {t["phase"] for t in tasks} == {"vorlauf"}
    assert set(tasks[0]) >= {
        "id",
        "phase",
        "title",
        "roles",
        "required",
        "done",
        "done_by",
        "done_at",
        "note",
    }
    c.ok("task", "done", area, "datenmaterial", "--note", "Monitoring 2026", user="sven")
    t = next(t for t in c.json("task", "list", area) if t["id"] == "datenmaterial")
    assert (t["done"], t["done_by"], t["note"]) == (True, "sven", "Monitoring 2026")
    r = c.run("task", "done", area, "datenmaterial", user="sven")
    assert r.exit_code == 4 and "task_done" in r.stderr
    r = c.run("task", "reopen", area, "datenmaterial", user="mia")
    assert r.exit_code == 2  # --reason is required
    c.ok("task", "reopen", area, "datenmaterial", "--reason", "Zahlen veraltet", user="mia")
    t = next(t for t in c.json("task", "list", area) if t["id"] == "datenmaterial")
    assert t["done"] is False
    r = c.ok("task", "list", area)
    assert all(len(line) <= 80 for line in r.stdout.splitlines())


def test_task_errors(c: Cli, area: str) -> None:
    assert c.run("task", "done", area, "nope", user="mia").exit_code == 6
    assert c.run("task", "done", area, "datenmaterial", user="mia").exit_code == 3
    r = c.run("task", "done", area, "bedarfsanalyse", user="mia")
    assert r.exit_code == 4 and "task_not_in_phase" in r.stderr
    r = c.run("task", "list", area, "--phase", "mond")
    assert r.exit_code == 7


# --------------------------------------------------------------- transitions
def test_advance_blocked_lists_every_blocker_and_changes_nothing(c: Cli, area: str) -> None:
    before = c.json("area", "show", area)["version"]
    r = c.run("advance", area, user="mia")
    assert r.exit_code == 4
    assert r.stderr.count("task_open") == 5 and "agreement_missing" in r.stderr
    assert "Nothing was changed" in r.stderr
    data = json.loads(c.run("--json", "advance", area, user="mia").stdout)
    assert data["error"] == "blocked" and len(data["blockers"]) == 6
    assert c.json("area", "show", area)["version"] == before


def test_walk_through_all_phases(c: Cli, area: str) -> None:
    sign(c, area)
    for phase, nxt in (
        ("vorlauf", "diagnose"),
        ("diagnose", "umsetzung"),
        ("umsetzung", "auswertung"),
    ):
        report(c, area, phase)
        r = c.ok("advance", area, user="mia")
        assert f"{phase} -> {nxt}" in r.stdout
    report(c, area, "auswertung")
    r = c.ok("advance", area, user="mia")
    assert "still missing: social_planning" in r.stdout
    data = c.json("transition", area, "close", user="sven")
    assert data["fired"] is True and data["to_state"] == "abgeschlossen"
    assert c.json("why", area, user="mia") == []
    r = c.run("advance", area, user="mia")
    assert r.exit_code == 4


def test_transition_needs_reason_and_role(c: Cli, area: str) -> None:
    r = c.run("transition", area, "cancel", user="mia")
    assert r.exit_code == 4 and "reason_required" in r.stderr
    r = c.run("transition", area, "cancel", "--reason", "x", user="tom")
    assert r.exit_code == 3
    r = c.run("transition", area, "fly", user="mia")
    assert r.exit_code == 7 and "no transition 'fly'" in r.stderr
    c.ok("transition", area, "cancel", "--reason", "Förderung läuft aus", user="sven")
    assert c.json("area", "show", area)["state"] == "abgebrochen"


def test_why(c: Cli, area: str) -> None:
    steps = c.json("why", area, user="tom")
    assert {s["trigger"] for s in steps} == {"start_diagnose", "cancel"}
    assert all(not s["allowed"] for s in steps)
    assert all(s["blockers"][0]["code"] == "role_missing" for s in steps)
    r = c.ok("why", area, user="mia")
    assert "start_diagnose -> diagnose: blocked" in r.stdout
    assert "cancel -> abgebrochen: allowed (needs --reason)" in r.stdout


def test_as_of(c: Cli, area: str) -> None:
    sign(c, area)
    then = c.json("as-of", area, "2000-01-01", user="audrey")
    assert then["exists"] is False
    now = c.json("as-of", area, "31.12.2199", user="audrey")
    assert now["state"] == "vorlauf" and now["agreement"]["review"] == "2027-07-15"
    assert now["roles"]["moderation"] == ["mia"]
    r = c.run("as-of", area, "gestern", user="audrey")
    assert r.exit_code == 7


# -------------------------------------------------------------------- audit
def test_log_formats(c: Cli, area: str) -> None:
    c.ok("transition", area, "cancel", "--reason", "Straße gesperrt – Maßnahme endet", user="mia")
    entries = c.json("log", area, user="audrey")
    keys = {
        "seq",
        "at",
        "area",
        "actor",
        "role",
        "action",
        "trigger",
        "from_state",
        "to_state",
        "reason",
        "details",
        "hash",
    }
    assert all(set(e) == keys for e in entries)
    last = entries[-1]
    assert (last["action"], last["from_state"], last["to_state"]) == (
        "transition",
        "vorlauf",
        "abgebrochen",
    )
    assert last["at"].endswith("Z")
    same = json.loads(c.ok("log", area, "--format", "json", user="audrey").stdout)
    assert same == entries
    rows = list(
        csv.DictReader(io.StringIO(c.ok("log", area, "--format", "csv", user="audrey").stdout))
    )
    assert set(rows[0]) == keys
    assert rows[-1]["reason"] == "Straße gesperrt – Maßnahme endet"
    table = c.ok("log", area, user="audrey").stdout
    assert "vorlauf -> abgebrochen" in table
    assert all(len(line) <= 80 for line in table.splitlines())


def test_log_filters(c: Cli, area: str) -> None:
    by_mia = c.json("log", "--actor", "mia", user="audrey")
    assert by_mia and {e["actor"] for e in by_mia} == {"mia"}
    assert c.json("log", "--since", "01.01.2199", user="audrey") == []
    assert c.json("log", "--until", "2000-01-01", user="audrey") == []
    r = c.run("log", "--since", "2027-02-01", "--until", "2027-01-01", user="audrey")
    assert r.exit_code == 7
    r = c.run("log", area, user="olga")
    assert r.exit_code == 3


def test_audit_verify_and_head(c: Cli, area: str, tmp_path: Path) -> None:
    head = c.ok("audit", "head", user="audrey").stdout.strip()
    n, _, h = head.partition(":")
    assert int(n) > 10 and len(h) == 64
    data = c.json("audit", "verify", "--expect-head", head, user="audrey")
    assert data == {
        "ok": True,
        "entries": int(n),
        "head": h,
        "first_bad_seq": None,
        "problem": None,
        "problems": [],
        "deep": False,
        "since": None,
    }
    r = c.run("audit", "verify", "--expect-head", "nonsense", user="audrey")
    assert r.exit_code == 7
    with raw_connection(c.db) as con:
        con.drop_append_only_triggers()
        con.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
    r = c.run("--json", "audit", "verify", user="audrey")
    assert r.exit_code == 8
    data = json.loads(r.stdout)
    assert (data["ok"], data["first_bad_seq"]) == (False, 3)
    r = c.run("audit", "verify", user="audrey")
    assert r.exit_code == 8 and "FAILED at entry 3" in r.stderr


# ------------------------------------------------------------------ errors
def test_exit_codes_and_json_errors(c: Cli, area: str) -> None:
    r = c.run("--json", "area", "show", "atlantis", user="mia")
    assert r.exit_code == 6
    assert json.loads(r.stdout) == {"error": "not_found", "message": "no area 'atlantis'"}
    r = c.run("area", "show", area, user="nobody")
    assert r.exit_code == 3 and "unknown user 'nobody'" in r.stderr
    r = c.run("area", "show", area, "--json", user="nobody")
    assert json.loads(r.stdout)["error"] == "not_allowed"
    assert c.run("area", "frobnicate").exit_code == 2
    assert c.run("advance").exit_code == 2


def test_unexpected_errors_are_one_line_without_traceback(
    c: Cli, area: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from regsam_flow.engine import Engine

    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Engine, "status", boom)
    r = c.run("area", "show", area)
    assert r.exit_code == 1
    assert "error: RuntimeError: disk on fire" in r.stderr
    assert "Traceback" not in r.stderr
    r = c.run("--debug", "area", "show", area)
    assert r.exit_code == 1 and "Traceback" in r.stderr


def test_conflict_exit_code(c: Cli, area: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from regsam_flow.engine import Engine
    from regsam_flow.errors import ConflictError

    def busy(*_a: object, **_k: object) -> None:
        raise ConflictError("area 'hasenbergl-nord' was changed by someone else meanwhile")

    monkeypatch.setattr(Engine, "advance", busy)
    r = c.run("advance", area, user="mia")
    assert r.exit_code == 5
    assert "Look at the area again and retry" in r.stderr


# ----------------------------------------------------------------- workflow
def test_workflow_commands(c: Cli, area: str, tmp_path: Path) -> None:
    listed = c.json("workflow", "list")
    assert {w["name"] for w in listed} == {"gebietsauswahl", "schwerpunktgebiet"}
    shown = c.json("workflow", "show", "schwerpunktgebiet")
    assert [s["id"] for s in shown["states"]][:4] == [
        "vorlauf",
        "diagnose",
        "umsetzung",
        "auswertung",
    ]
    r = c.ok("workflow", "show", "schwerpunktgebiet")
    assert "-> abgeschlossen by close" in r.stdout
    assert c.run("workflow", "show", "nope").exit_code == 6
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: x\nversion: 1\ntitle: X\nroles: [a]\ninitial: s\nstates:\n  - {id: s, title: S}\n",
        encoding="utf-8",
    )
    r = c.run("workflow", "validate", str(bad))
    assert r.exit_code == 7
    assert "bad.yaml: states[0] (s): not final but has no outgoing transition" in r.stderr
    from regsam_flow.workflows import BUILTIN_DIR

    r = c.ok("workflow", "validate", str(BUILTIN_DIR / "schwerpunktgebiet.yaml"))
    assert "defines schwerpunktgebiet version 1" in r.stdout


def test_workflow_diagram(c: Cli, area: str) -> None:
    r = c.ok("workflow", "diagram", "schwerpunktgebiet")
    assert r.stdout.startswith("stateDiagram-v2")
    r = c.ok(
        "workflow", "diagram", "schwerpunktgebiet", "--format", "dot", "--area", area, user="mia"
    )
    assert r.stdout.startswith("digraph") and "vorlauf" in r.stdout
    assert (
        c.run("workflow", "diagram", "schwerpunktgebiet", "--area", area, user="nobody").exit_code
        == 3
    )


def test_workflows_folder_option(c: Cli, area: str, tmp_path: Path) -> None:
    from regsam_flow.workflows import BUILTIN_DIR

    folder = tmp_path / "wf"
    folder.mkdir()
    text = (BUILTIN_DIR / "schwerpunktgebiet.yaml").read_text(encoding="utf-8")
    (folder / "v3.yaml").write_text(text.replace("version: 1", "version: 3"), encoding="utf-8")
    listed = c.json("--workflows", str(folder), "workflow", "list")
    assert [
        (w["name"], w["version"], w["deployed"]) for w in listed if w["name"] == "schwerpunktgebiet"
    ] == [
        ("schwerpunktgebiet", 1, True),
        ("schwerpunktgebiet", 2, True),
        ("schwerpunktgebiet", 3, False),
    ]
    # a folder only proposes: new areas get the newest deployed version
    c.ok("--workflows", str(folder), "area", "create", "alt2", "--name", "Alt")
    assert c.json("area", "show", "alt2")["workflow_version"] == 2
    c.ok("workflow", "deploy", str(folder / "v3.yaml"))
    c.ok("--workflows", str(folder), "area", "create", "neu", "--name", "Neu")
    assert c.json("--workflows", str(folder), "area", "show", "neu")["workflow_version"] == 3
    assert c.json("--workflows", str(folder), "area", "show", area)["workflow_version"] == 1


# --------------------------------------------------------------------- help
@pytest.mark.parametrize(
    "command",
    [
        [],
        ["init"],
        ["info"],
        ["demo"],
        ["user", "add"],
        ["user", "list"],
        ["area", "create"],
        ["area", "assign"],
        ["area", "unassign"],
        ["area", "list"],
        ["area", "show"],
        ["agreement", "set"],
        ["agreement", "sign"],
        ["agreement", "show"],
        ["task", "list"],
        ["task", "done"],
        ["task", "reopen"],
        ["advance"],
        ["transition"],
        ["why"],
        ["log"],
        ["audit", "verify"],
        ["audit", "head"],
        ["backup"],
        ["as-of"],
        ["workflow", "list"],
        ["workflow", "show"],
        ["workflow", "validate"],
        ["workflow", "diagram"],
        ["review"],
        ["reminders", "list"],
        ["reminders", "retry"],
        ["reminders", "send-due"],
        ["scheduler", "run"],
    ],
)
def test_every_command_has_help_with_an_example(c: Cli, command: list[str]) -> None:
    r = c.ok(*command, "--help")
    assert "Example" in r.stdout
    assert all(len(line) <= 80 for line in r.stdout.splitlines()) or command == []


def test_json_from_the_environment(c: Cli, area: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from regsam_flow.cli import cli

    env = {
        "REGSAM_FLOW_DB": c.db,
        "REGSAM_FLOW_USER": "mia",
        "REGSAM_FLOW_JSON": "1",
        "REGSAM_FLOW_HOME": str(c.home),
    }
    r = CliRunner().invoke(cli, ["why", area], env=env)
    assert r.exit_code == 0
    assert {s["trigger"] for s in json.loads(r.stdout)} == {"start_diagnose", "cancel"}
