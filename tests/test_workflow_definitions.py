"""Workflow definition files: a broken file is refused with a useful message.

Every refusal must name the file (``source``), the element at fault
(``element``) and what is wrong, so that someone editing a YAML file can find
the spot without reading code.  The shipped definition is checked against the
concept paper.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from regsam_flow.errors import InvalidWorkflowError
from regsam_flow.guards import BUILTIN_GUARDS
from regsam_flow.workflows import BUILTIN_DIR, Workflow, load_workflow

# A small valid workflow: start -> work -> done, cancel from both open states.
BASE: dict[str, Any] = {
    "name": "mini",
    "version": 1,
    "title": "Mini",
    "roles": ["moderation", "social_planning"],
    "initial": "start",
    "states": [
        {
            "id": "start",
            "title": "Start",
            "tasks": [{"id": "plan", "title": "Plan", "roles": ["moderation"], "required": True}],
        },
        {
            "id": "work",
            "title": "Arbeit",
            "tasks": [{"id": "do_it", "title": "Erledigen", "roles": ["social_planning"]}],
        },
        {"id": "done", "title": "Fertig", "final": True},
        {"id": "stopped", "title": "Abgebrochen", "final": True},
    ],
    "transitions": [
        {
            "trigger": "begin",
            "source": "start",
            "dest": "work",
            "roles": ["moderation"],
            "guards": ["required_tasks_done"],
            "advance": True,
        },
        {
            "trigger": "finish",
            "source": "work",
            "dest": "done",
            "roles": ["moderation"],
            "approvals": ["moderation", "social_planning"],
            "advance": True,
        },
        {
            "trigger": "cancel",
            "source": ["start", "work"],
            "dest": "stopped",
            "roles": ["moderation", "social_planning"],
            "reason_required": True,
        },
    ],
    "reminders": {"recipients": ["moderation"], "timezone": "Europe/Berlin"},
}

Mutation = Callable[[dict[str, Any]], None]


def write(tmp_path: Path, data: dict[str, Any] | None = None, text: str | None = None) -> Path:
    """Write a definition file; ``text`` wins over ``data``."""
    path = tmp_path / "mini.yaml"
    if text is None:
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    return path


def variant(mutate: Mutation) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    mutate(data)
    return data


def refused(path: Path, **kwargs: Any) -> InvalidWorkflowError:
    """Load ``path``, expect a refusal naming the file; return the error."""
    with pytest.raises(InvalidWorkflowError) as info:
        load_workflow(path, **kwargs)
    exc = info.value
    assert exc.source == str(path)
    assert str(path) in str(exc)
    assert exc.element and exc.element in str(exc)
    return exc


# ----------------------------------------------------------------- the base


def test_base_definition_is_valid(tmp_path: Path) -> None:
    wf = load_workflow(write(tmp_path, BASE), known_guards=BUILTIN_GUARDS)
    assert wf.key == ("mini", 1)
    assert wf.source == str(tmp_path / "mini.yaml")
    assert wf.advance_from("start").trigger == "begin"  # type: ignore[union-attr]
    assert {t.trigger for t in wf.transitions_from("work")} == {"finish", "cancel"}


# ------------------------------------------------------------ file and syntax


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    text = (
        "name: mini\n"
        "version: 1\n"
        "states:\n"
        "  - id: start\n"
        "   title: Start\n"  # one space too few: a syntax error on line 5
    )
    exc = refused(write(tmp_path, text=text))
    assert exc.element.startswith("line 5")
    assert "YAML syntax error" in str(exc)


def test_tab_indentation_names_the_line(tmp_path: Path) -> None:
    exc = refused(write(tmp_path, text="name: mini\nversion: 1\n\ttitle: Mini\n"))
    assert exc.element.startswith("line 3")
    assert "YAML syntax error" in str(exc)


@pytest.mark.parametrize(
    "text",
    ["", "- name: mini\n- version: 1\n", "just a sentence\n", "42\n"],
    ids=["empty", "list", "string", "number"],
)
def test_not_a_mapping(tmp_path: Path, text: str) -> None:
    exc = refused(write(tmp_path, text=text))
    assert exc.element == "(top level)"
    assert "expected a mapping" in str(exc)


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(
        yaml.safe_dump(BASE, allow_unicode=True).replace("Arbeit", "Prüfung").encode("latin-1")
    )
    exc = refused(path)
    assert exc.element == "(file)"
    assert "UTF-8" in str(exc)


def test_missing_file(tmp_path: Path) -> None:
    exc = refused(tmp_path / "nowhere.yaml")
    assert exc.element == "(file)"
    assert "no such file" in str(exc)


def test_utf8_with_bom_loads(tmp_path: Path) -> None:
    """Editors on Windows save a BOM; the file must still load."""
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + yaml.safe_dump(BASE, allow_unicode=True).encode("utf-8"))
    assert load_workflow(path).name == "mini"


def test_duplicate_yaml_key_is_refused(tmp_path: Path) -> None:
    """PyYAML alone keeps the last of two equal keys: one of the two 'tasks:'
    blocks of a state would vanish without a word."""
    text = yaml.safe_dump(BASE, sort_keys=False, allow_unicode=True)
    marker = "  title: Start\n"
    assert text.count(marker) == 1
    text = text.replace(
        marker,
        marker + "  tasks:\n  - id: extra\n    title: Extra\n    roles: [moderation]\n",
    )
    exc = refused(write(tmp_path, text=text))
    assert exc.element.startswith("line 15")  # the second 'tasks:'
    assert "duplicate key 'tasks'" in str(exc)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("? [a, b]\n: 1\nname: mini\n", 1),
        ("name: mini\nstates:\n  - ? {id: x}\n    : 2\n", 3),
        ("name: mini\n[1, 2]: x\n", 2),
    ],
    ids=["list-key", "mapping-key", "flow-list-key"],
)
def test_list_or_mapping_as_key_is_refused(tmp_path: Path, text: str, line: int) -> None:
    exc = refused(write(tmp_path, text=text))
    assert exc.element.startswith(f"line {line}")
    assert "a key must be a plain value" in str(exc)


@pytest.mark.parametrize(
    "text",
    [
        "[" * 5000 + "]" * 5000 + "\n",
        "name: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n",
        "- " * 3000 + "1\n",
    ],
    ids=["brackets", "braces", "block-lists"],
)
def test_deep_nesting_is_refused(tmp_path: Path, text: str) -> None:
    exc = refused(write(tmp_path, text=text))
    assert exc.element.startswith("line 1")
    assert "nested too deeply" in str(exc)


@pytest.mark.parametrize(
    "text",
    ["? [a, b]\n: 1\n", "[" * 5000 + "]" * 5000 + "\n"],
    ids=["list-key", "deep"],
)
def test_cli_refuses_such_files_with_exit_7(tmp_path: Path, text: str) -> None:
    from click.testing import CliRunner

    from regsam_flow.cli import cli

    folder = tmp_path / "more"
    folder.mkdir()
    path = write(folder, text=text)
    runner = CliRunner()
    env = {"REGSAM_FLOW_HOME": str(tmp_path / "home")}
    assert runner.invoke(cli, ["--as", "root", "init"], env=env).exit_code == 0
    for args in (
        ["workflow", "validate", str(path)],
        ["--workflows", str(folder), "workflow", "list"],
    ):
        r = runner.invoke(cli, args, env=env)
        assert r.exit_code == 7, r.output
        assert f"error: {path}: line 1" in r.stderr
        assert "Error" not in r.stderr.replace("error:", "")


# --------------------------------------------------------------- references


def _set(path: tuple[Any, ...], value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        target: Any = data
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return mutate


@pytest.mark.parametrize(
    ("mutate", "element", "problem"),
    [
        (
            _set(("transitions", 2, "source"), ["start", "wrok"]),
            "transitions[2] (cancel).source",
            "unknown state 'wrok'",
        ),
        (
            _set(("transitions", 2, "dest"), "stoped"),
            "transitions[2] (cancel).dest",
            "unknown state 'stoped'",
        ),
    ],
    ids=["source", "dest"],
)
def test_unknown_state_in_transition(
    tmp_path: Path, mutate: Mutation, element: str, problem: str
) -> None:
    exc = refused(write(tmp_path, variant(mutate)))
    assert exc.element == element
    assert problem in str(exc)


@pytest.mark.parametrize(
    ("mutate", "element"),
    [
        (
            _set(("states", 0, "tasks", 0, "roles"), ["moderator"]),
            "states[0] (start).tasks[0] (plan).roles",
        ),
        (_set(("transitions", 0, "roles"), ["moderator"]), "transitions[0] (begin).roles"),
        (
            _set(("transitions", 1, "approvals"), ["moderation", "moderator"]),
            "transitions[1] (finish).approvals",
        ),
        (_set(("reminders", "recipients"), ["moderator"]), "reminders.recipients"),
    ],
    ids=["task", "transition-roles", "approvals", "reminder-recipients"],
)
def test_unknown_role(tmp_path: Path, mutate: Mutation, element: str) -> None:
    exc = refused(write(tmp_path, variant(mutate)))
    assert exc.element == element
    assert "unknown role 'moderator'" in str(exc)


def test_unknown_guard_when_guards_are_known(tmp_path: Path) -> None:
    path = write(tmp_path, variant(_set(("transitions", 0, "guards"), ["budget_approved"])))
    exc = refused(path, known_guards=BUILTIN_GUARDS)
    assert exc.element == "transitions[0] (begin).guards"
    assert "unknown guard 'budget_approved'" in str(exc)
    # the message tells which guards exist
    assert "agreement_signed" in str(exc) and "required_tasks_done" in str(exc)


def test_guards_are_not_checked_without_known_guards(tmp_path: Path) -> None:
    path = write(tmp_path, variant(_set(("transitions", 0, "guards"), ["budget_approved"])))
    assert load_workflow(path).transition("begin", "start").guards == (  # type: ignore[union-attr]
        "budget_approved",
    )


# ---------------------------------------------------------------- structure


def test_unreachable_final_state(tmp_path: Path) -> None:
    def mutate(d: dict[str, Any]) -> None:
        d["states"].append({"id": "archiv", "title": "Archiv", "final": True})

    exc = refused(write(tmp_path, variant(mutate)))
    assert exc.element == "states[4] (archiv)"
    assert "unreachable from the initial state 'start'" in str(exc)


def test_unreachable_state_with_outgoing_transitions(tmp_path: Path) -> None:
    def mutate(d: dict[str, Any]) -> None:
        d["states"].insert(2, {"id": "limbo", "title": "Limbo"})
        d["transitions"].append(
            {"trigger": "leave", "source": "limbo", "dest": "done", "roles": ["moderation"]}
        )

    exc = refused(write(tmp_path, variant(mutate)))
    assert exc.element == "states[2] (limbo)"
    assert "unreachable" in str(exc)


def test_initial_missing_entirely(tmp_path: Path) -> None:
    exc = refused(write(tmp_path, variant(lambda d: d.pop("initial"))))
    assert exc.element == "initial"
    assert "required" in str(exc).lower()


def test_initial_names_no_state(tmp_path: Path) -> None:
    exc = refused(write(tmp_path, variant(_set(("initial",), "anfang"))))
    assert exc.element == "initial"
    assert "no initial state" in str(exc) and "'anfang'" in str(exc)


def test_duplicate_state_id(tmp_path: Path) -> None:
    def mutate(d: dict[str, Any]) -> None:
        d["states"].append({"id": "work", "title": "Noch mal", "final": True})

    exc = refused(write(tmp_path, variant(mutate)))
    assert exc.element == "states[4]"
    assert "duplicate state id 'work'" in str(exc)


@pytest.mark.parametrize(
    ("state", "element"),
    [(0, "states[0] (start).tasks[1] (plan)"), (1, "states[1] (work).tasks[1] (plan)")],
    ids=["same-state", "other-state"],
)
def test_duplicate_task_id(tmp_path: Path, state: int, element: str) -> None:
    def mutate(d: dict[str, Any]) -> None:
        d["states"][state]["tasks"].append(
            {"id": "plan", "title": "Nochmal planen", "roles": ["moderation"]}
        )

    exc = refused(write(tmp_path, variant(mutate)))
    assert exc.element == element
    assert "duplicate task id 'plan'" in str(exc)


def test_duplicate_role(tmp_path: Path) -> None:
    mutate = _set(("roles",), ["moderation", "social_planning", "moderation"])
    exc = refused(write(tmp_path, variant(mutate)))
    assert exc.element == "roles"
    assert "duplicate role 'moderation'" in str(exc)


def test_duplicate_trigger_from_the_same_state(tmp_path: Path) -> None:
    def mutate(d: dict[str, Any]) -> None:
        d["transitions"].append(
            {"trigger": "cancel", "source": "work", "dest": "done", "roles": ["moderation"]}
        )

    exc = refused(write(tmp_path, variant(mutate)))
    assert exc.element == "transitions[3] (cancel)"
    assert "duplicate trigger 'cancel' from state 'work'" in str(exc)


def test_same_trigger_from_different_states_is_fine(tmp_path: Path) -> None:
    """One trigger name may leave several states by separate transitions."""

    def mutate(d: dict[str, Any]) -> None:
        d["transitions"][2]["source"] = "start"
        d["transitions"].append(
            {"trigger": "cancel", "source": "work", "dest": "stopped", "roles": ["moderation"]}
        )

    wf = load_workflow(write(tmp_path, variant(mutate)))
    assert wf.transition("cancel", "start").roles == ("moderation", "social_planning")  # type: ignore[union-attr]
    assert wf.transition("cancel", "work").roles == ("moderation",)  # type: ignore[union-attr]


def test_two_forward_transitions_from_one_state(tmp_path: Path) -> None:
    def mutate(d: dict[str, Any]) -> None:
        d["transitions"].append(
            {
                "trigger": "skip",
                "source": "start",
                "dest": "done",
                "roles": ["moderation"],
                "advance": True,
            }
        )

    exc = refused(write(tmp_path, variant(mutate)))
    assert exc.element == "transitions[3] (skip).advance"
    assert "state 'start' already has a forward transition 'begin'" in str(exc)


def test_final_state_with_outgoing_transition(tmp_path: Path) -> None:
    def mutate(d: dict[str, Any]) -> None:
        d["transitions"].append(
            {"trigger": "reopen", "source": "done", "dest": "work", "roles": ["moderation"]}
        )

    exc = refused(write(tmp_path, variant(mutate)))
    assert exc.element == "transitions[3] (reopen).source"
    assert "final state 'done' cannot have outgoing transitions" in str(exc)


def test_final_state_with_tasks(tmp_path: Path) -> None:
    mutate = _set(
        ("states", 2, "tasks"), [{"id": "archive", "title": "Archivieren", "roles": ["moderation"]}]
    )
    exc = refused(write(tmp_path, variant(mutate)))
    assert exc.element == "states[2] (done)"
    assert "a final state cannot have tasks" in str(exc)


def test_non_final_state_without_outgoing_transition(tmp_path: Path) -> None:
    exc = refused(write(tmp_path, variant(_set(("states", 3, "final"), False))))
    assert exc.element == "states[3] (stopped)"
    assert "no outgoing transition" in str(exc)


# ------------------------------------------------------------ field shapes


@pytest.mark.parametrize(
    ("mutate", "element"),
    [
        (_set(("descripton",), "Tippfehler"), "descripton"),
        (_set(("states", 0, "tasks", 0, "requried"), True), "states[0].tasks[0].requried"),
        (_set(("transitions", 2, "dest_state"), "stopped"), "transitions[2].dest_state"),
        (_set(("reminders", "days"), [7]), "reminders.days"),
    ],
    ids=["top-level", "task", "transition", "reminders"],
)
def test_unknown_field(tmp_path: Path, mutate: Mutation, element: str) -> None:
    exc = refused(write(tmp_path, variant(mutate)))
    assert exc.element == element
    assert re.search(r"unknown field|extra inputs are not permitted", str(exc), re.IGNORECASE)


def test_typo_for_a_required_field_names_the_typo(tmp_path: Path) -> None:
    def mutate(d: dict[str, Any]) -> None:
        d["transitions"][2]["dest_state"] = d["transitions"][2].pop("dest")

    exc = refused(write(tmp_path, variant(mutate)))
    # the misspelt key is named, and so is the key it should have been
    assert exc.element == "transitions[2].dest_state"
    assert "transitions[2].dest" in str(exc) and "required" in str(exc).lower()


@pytest.mark.parametrize(
    ("path", "value", "element"),
    [
        (("states", 0, "id"), "Start", "states[0].id"),
        (("states", 1, "id"), "arbeit phase", "states[1].id"),
        (("states", 0, "tasks", 0, "id"), "Plan", "states[0].tasks[0].id"),
        (("transitions", 0, "trigger"), "begin now", "transitions[0].trigger"),
        (("roles",), ["Moderation", "social_planning"], "roles[0]"),
        (("name",), "Mini", "name"),
        (("states", 0, "id"), "start\n", "states[0].id"),
    ],
    ids=["state-upper", "state-space", "task-upper", "trigger-space", "role", "name", "newline"],
)
def test_bad_id(tmp_path: Path, path: tuple[Any, ...], value: Any, element: str) -> None:
    exc = refused(write(tmp_path, variant(_set(path, value))))
    assert exc.element == element
    assert "pattern" in str(exc)


@pytest.mark.parametrize("tz", ["Europe/Munich", "europe/berlin", "MEZ", "../../etc/passwd"])
def test_bad_reminder_timezone(tmp_path: Path, tz: str) -> None:
    exc = refused(write(tmp_path, variant(_set(("reminders", "timezone"), tz))))
    assert exc.element == "reminders.timezone"
    assert f"unknown time zone '{tz}'" in str(exc)


@pytest.mark.parametrize(
    ("path", "value", "element"),
    [
        (("version",), 0, "version"),
        (("title",), "", "title"),
        (("states",), [], "states"),
        (("transitions", 2, "roles"), [], "transitions[2].roles"),
        (("reminders", "send_hour"), 24, "reminders.send_hour"),
        (("reminders", "language"), "fr", "reminders.language"),
    ],
    ids=["version-0", "empty-title", "no-states", "no-roles", "hour-24", "language"],
)
def test_bad_field_value(tmp_path: Path, path: tuple[Any, ...], value: Any, element: str) -> None:
    exc = refused(write(tmp_path, variant(_set(path, value))))
    assert exc.element == element


# ------------------------------------------------------ the shipped workflow

SHIPPED = BUILTIN_DIR / "schwerpunktgebiet.yaml"
OPEN_PHASES = ["vorlauf", "diagnose", "umsetzung", "auswertung"]


@pytest.fixture(scope="module")
def shipped() -> Workflow:
    return load_workflow(SHIPPED, known_guards=BUILTIN_GUARDS)


def test_shipped_workflow_loads(shipped: Workflow) -> None:
    assert shipped.key == ("schwerpunktgebiet", 1)
    assert shipped.initial == "vorlauf"
    assert [s.id for s in shipped.definition.states] == [
        *OPEN_PHASES,
        "abgeschlossen",
        "abgebrochen",
    ]
    assert [s.id for s in shipped.definition.states if s.final] == ["abgeschlossen", "abgebrochen"]
    assert set(shipped.definition.roles) == {
        "moderation",
        "social_planning",
        "steering",
        "provider",
        "sbh",
    }


def test_shipped_forward_path(shipped: Workflow) -> None:
    """'advance' walks the four phases in the order of the concept paper."""
    path, state = [], shipped.initial
    while (t := shipped.advance_from(state)) is not None:
        state = t.dest
        path.append(state)
    assert path == ["diagnose", "umsetzung", "auswertung", "abgeschlossen"]


def test_shipped_required_tasks_belong_to_process_roles(shipped: Workflow) -> None:
    """Concept paper section 5: steering, providers and SBH never block an advance."""
    process_roles = {"moderation", "social_planning"}
    required = [t for s in shipped.definition.states for t in s.tasks if t.required]
    assert required, "the shipped workflow has required tasks"
    for t in required:
        assert process_roles & set(t.roles), f"required task {t.id} has roles {t.roles}"
    only_partners = [
        t for s in shipped.definition.states for t in s.tasks if not process_roles & set(t.roles)
    ]
    assert only_partners, "the shipped workflow tracks tasks of steering/provider/sbh"
    assert not [t.id for t in only_partners if t.required]


def test_shipped_every_open_phase_has_required_tasks_and_a_guard(shipped: Workflow) -> None:
    for phase in OPEN_PHASES:
        assert any(t.required for t in shipped.tasks_of(phase)), phase
        assert "required_tasks_done" in shipped.advance_from(phase).guards, phase
    assert "agreement_signed" in shipped.advance_from("vorlauf").guards


def test_shipped_close_needs_both_approvals(shipped: Workflow) -> None:
    close = shipped.transition("close", "auswertung")
    assert close is not None and close.dest == "abgeschlossen"
    assert set(close.approvals) == {"moderation", "social_planning"}


@pytest.mark.parametrize("trigger", ["resume", "cancel"])
def test_shipped_resume_and_cancel_need_a_reason(shipped: Workflow, trigger: str) -> None:
    t = shipped.transition(trigger, "auswertung")
    assert t is not None and t.reason_required


def test_shipped_resume_goes_back_to_umsetzung(shipped: Workflow) -> None:
    t = shipped.transition("resume", "auswertung")
    assert t is not None and t.dest == "umsetzung" and not t.advance


def test_shipped_cancel_from_every_open_phase(shipped: Workflow) -> None:
    cancel = [t for t in shipped.definition.transitions if t.trigger == "cancel"]
    assert len(cancel) == 1
    assert set(cancel[0].source) == set(OPEN_PHASES)
    assert cancel[0].dest == "abgebrochen"
    for phase in OPEN_PHASES:
        assert shipped.transition("cancel", phase) is cancel[0]
