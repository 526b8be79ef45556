"""The cache of checked workflow definitions (``workflows/cache.py``).

A definition file that has not changed is answered from the cache, without
YAML or pydantic; a changed file is checked again; a broken file is refused
exactly as without a cache; and the cache can never make loading fail.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from regsam_flow.errors import InvalidWorkflowError
from regsam_flow.guards import BUILTIN_GUARDS
from regsam_flow.workflows import (
    BUILTIN_DIR,
    ReminderPolicy,
    StateDef,
    TaskDef,
    TransitionDef,
    WorkflowDef,
    WorkflowRegistry,
    load_workflow,
    parse_workflow,
)
from regsam_flow.workflows import cache as cache_mod
from regsam_flow.workflows.cache import RACY_NS, load_cached
from regsam_flow.workflows.schema import validate_definition
from regsam_flow.workflows.spec import workflow_def_from_dict, workflow_def_to_dict

MINI = """\
name: mini
version: 1
title: Mini
roles: [moderation, social_planning]
initial: start
states:
  - id: start
    title: Start
    tasks:
      - {id: plan, title: Plan, roles: [moderation], required: true}
  - id: done
    title: Fertig
    final: true
transitions:
  - trigger: finish
    source: start
    dest: done
    roles: [moderation]
    guards: [required_tasks_done]
    advance: true
reminders: {recipients: [moderation]}
"""

AN_HOUR_AGO = 3600


def write(path: Path, text: str, age_s: int = AN_HOUR_AGO) -> Path:
    """Write a definition file dated ``age_s`` seconds back (a file changed
    moments ago is not cached yet: see ``RACY_NS``)."""
    path.write_text(text, encoding="utf-8")
    when = path.stat().st_mtime - age_s
    os.utime(path, (when, when))
    return path


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any parse fail: what loads now must come from the cache."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("parsed although the cache should have answered")

    monkeypatch.setattr(cache_mod, "load_workflow", refuse)


# ------------------------------------------------------------------- hits


def test_a_cache_hit_gives_an_equal_workflow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "mini.yaml", MINI)
    folder = tmp_path / "cache"
    parsed = load_workflow(path, BUILTIN_GUARDS)
    first = load_cached(path, BUILTIN_GUARDS, folder)
    assert first == parsed
    assert len(entries(folder)) == 1
    no_parsing(monkeypatch)
    hit = load_cached(path, BUILTIN_GUARDS, folder)
    assert hit == parsed
    assert hit.definition == parsed.definition
    assert hit.source == str(path)
    assert hit.advance_from("start") == parsed.advance_from("start")
    assert hit.task("plan") == ("start", TaskDef("plan", "Plan", ("moderation",), True))
    assert hit.definition.reminders == ReminderPolicy(recipients=("moderation",))


BUILTIN_FILES = sorted(BUILTIN_DIR.glob("*.yaml"))


@pytest.mark.parametrize("path", BUILTIN_FILES, ids=lambda p: p.stem)
def test_the_shipped_workflows_round_trip_through_json(path: Path) -> None:
    wf = load_workflow(path, BUILTIN_GUARDS)
    data = json.loads(json.dumps(workflow_def_to_dict(wf.definition)))
    assert workflow_def_from_dict(data) == wf.definition


def test_the_registry_uses_the_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGSAM_FLOW_HOME", str(tmp_path / "home"))
    first = WorkflowRegistry(known_guards=BUILTIN_GUARDS).get("schwerpunktgebiet")
    assert len(entries(tmp_path / "home" / "cache")) == len(BUILTIN_FILES)
    no_parsing(monkeypatch)
    again = WorkflowRegistry(known_guards=BUILTIN_GUARDS).get("schwerpunktgebiet")
    assert again == first


def test_use_cache_false_parses_and_stores_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGSAM_FLOW_HOME", str(tmp_path / "home"))
    WorkflowRegistry(known_guards=BUILTIN_GUARDS, use_cache=False)
    assert not (tmp_path / "home" / "cache").exists()


# ------------------------------------------------------------ invalidation


def test_editing_the_file_invalidates_its_entry(tmp_path: Path) -> None:
    path = write(tmp_path / "mini.yaml", MINI)
    folder = tmp_path / "cache"
    assert load_cached(path, BUILTIN_GUARDS, folder).definition.title == "Mini"
    write(path, MINI.replace("title: Mini", "title: Mini, neu"), age_s=60)
    assert load_cached(path, BUILTIN_GUARDS, folder).definition.title == "Mini, neu"
    assert len(entries(folder)) == 1  # the entry was replaced


def test_same_size_but_a_new_time_is_checked_again(tmp_path: Path) -> None:
    path = write(tmp_path / "mini.yaml", MINI)
    folder = tmp_path / "cache"
    load_cached(path, BUILTIN_GUARDS, folder)
    write(path, MINI.replace("title: Mini", "title: Maxi"), age_s=60)  # same length
    assert load_cached(path, BUILTIN_GUARDS, folder).definition.title == "Maxi"


def test_a_file_broken_after_caching_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "mini.yaml", MINI)
    folder = tmp_path / "cache"
    load_cached(path, BUILTIN_GUARDS, folder)
    write(path, MINI.replace("dest: done", "dest: dnoe"), age_s=60)
    with pytest.raises(InvalidWorkflowError) as info:
        load_cached(path, BUILTIN_GUARDS, folder)
    assert str(info.value) == (f"{path}: transitions[0] (finish).dest: unknown state 'dnoe'")


def test_a_file_changed_moments_ago_is_not_cached_yet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "mini.yaml", MINI, age_s=0)
    folder = tmp_path / "cache"
    load_cached(path, BUILTIN_GUARDS, folder)
    assert entries(folder) == []  # its time stamp could repeat after another edit
    os.utime(path, (path.stat().st_mtime - 10, path.stat().st_mtime - 10))
    load_cached(path, BUILTIN_GUARDS, folder)
    assert len(entries(folder)) == 1


def test_the_known_guards_are_checked_on_every_hit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "mini.yaml", MINI)
    folder = tmp_path / "cache"
    load_cached(path, BUILTIN_GUARDS, folder)
    with pytest.raises(InvalidWorkflowError) as info:
        load_cached(path, ["agreement_signed"], folder)
    assert str(info.value) == str(refusal(path, ["agreement_signed"]))
    assert "unknown guard 'required_tasks_done'" in str(info.value)
    # callers with other guards, or none checked, share the one entry
    no_parsing(monkeypatch)
    assert load_cached(path, [*BUILTIN_GUARDS, "mine"], folder).name == "mini"
    assert load_cached(path, None, folder).name == "mini"
    assert len(entries(folder)) == 1


def refusal(path: Path, guards: list[str]) -> InvalidWorkflowError:
    with pytest.raises(InvalidWorkflowError) as info:
        load_workflow(path, guards)
    return info.value


def test_broken_files_are_never_cached_and_refused_as_without_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGSAM_FLOW_HOME", str(tmp_path / "home"))
    folder = tmp_path / "workflows"
    folder.mkdir()
    path = write(folder / "mini.yaml", MINI.replace("initial: start", "initial: begin"))
    with pytest.raises(InvalidWorkflowError) as uncached:
        load_workflow(path, BUILTIN_GUARDS)
    for _ in range(2):
        with pytest.raises(InvalidWorkflowError) as cached:
            WorkflowRegistry([folder], known_guards=BUILTIN_GUARDS)
        assert str(cached.value) == str(uncached.value)
        assert (cached.value.source, cached.value.element) == (str(path), "initial")
    cache_dir = tmp_path / "home" / "cache"
    assert len(entries(cache_dir)) == len(BUILTIN_FILES)  # the built-in workflows only


# ------------------------------------------------- a cache that fails is ignored


def test_a_corrupt_entry_is_ignored_and_rewritten(tmp_path: Path) -> None:
    path = write(tmp_path / "mini.yaml", MINI)
    folder = tmp_path / "cache"
    load_cached(path, BUILTIN_GUARDS, folder)
    (entry,) = entries(folder)
    for garbage in ("{not json", "[]", '{"key": 1}', ""):
        entry.write_text(garbage, encoding="utf-8")
        assert load_cached(path, BUILTIN_GUARDS, folder) == load_workflow(path, BUILTIN_GUARDS)
        assert json.loads(entry.read_text(encoding="utf-8"))["definition"]["name"] == "mini"


def test_an_entry_of_the_right_key_but_wrong_shape_is_ignored(tmp_path: Path) -> None:
    path = write(tmp_path / "mini.yaml", MINI)
    folder = tmp_path / "cache"
    load_cached(path, BUILTIN_GUARDS, folder)
    (entry,) = entries(folder)
    data = json.loads(entry.read_text(encoding="utf-8"))
    del data["definition"]["states"][0]["tasks"][0]["required"]
    entry.write_text(json.dumps(data), encoding="utf-8")
    assert load_cached(path, BUILTIN_GUARDS, folder) == load_workflow(path, BUILTIN_GUARDS)


def test_a_cache_folder_that_cannot_be_created_is_ignored(tmp_path: Path) -> None:
    path = write(tmp_path / "mini.yaml", MINI)
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    folder = blocker / "cache"  # mkdir fails: NotADirectoryError
    assert load_cached(path, BUILTIN_GUARDS, folder) == load_workflow(path, BUILTIN_GUARDS)
    assert load_cached(path, BUILTIN_GUARDS, folder) == load_workflow(path, BUILTIN_GUARDS)


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may write anywhere"
)
def test_a_read_only_cache_folder_is_ignored(tmp_path: Path) -> None:
    path = write(tmp_path / "mini.yaml", MINI)
    folder = tmp_path / "cache"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        assert load_cached(path, BUILTIN_GUARDS, folder) == load_workflow(path, BUILTIN_GUARDS)
        assert entries(folder) == []
    finally:
        folder.chmod(0o700)


def test_a_read_only_entry_is_still_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "mini.yaml", MINI)
    folder = tmp_path / "cache"
    load_cached(path, BUILTIN_GUARDS, folder)
    for entry in entries(folder):
        entry.chmod(0o400)
    folder.chmod(0o500)
    try:
        no_parsing(monkeypatch)
        assert load_cached(path, BUILTIN_GUARDS, folder).name == "mini"
    finally:
        folder.chmod(0o700)


def test_no_data_folder_at_all_still_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_folder() -> Path:
        raise RuntimeError("could not determine the home directory")

    monkeypatch.setattr(cache_mod, "cache_dir", no_folder)
    path = write(tmp_path / "mini.yaml", MINI)
    assert load_cached(path, BUILTIN_GUARDS) == load_workflow(path, BUILTIN_GUARDS)


def test_a_missing_file_is_refused_as_without_cache(tmp_path: Path) -> None:
    with pytest.raises(InvalidWorkflowError, match="no such file") as info:
        load_cached(tmp_path / "nowhere.yaml", BUILTIN_GUARDS, tmp_path / "cache")
    assert info.value.element == "(file)"


# ------------------------------------------------------- no parser on a hit


def test_a_cache_hit_imports_neither_yaml_nor_pydantic(tmp_path: Path) -> None:
    newest = max(p.stat().st_mtime for p in BUILTIN_FILES)
    age = time.time() - newest  # a fresh checkout may be seconds old
    if age < RACY_NS / 1e9 + 0.5:
        time.sleep(RACY_NS / 1e9 + 0.5 - age)
    env = dict(os.environ, REGSAM_FLOW_HOME=str(tmp_path / "home"))
    folder = tmp_path / "workflows"
    folder.mkdir()
    write(folder / "mini.yaml", MINI)
    code = (
        "import sys\n"
        "from regsam_flow.guards import BUILTIN_GUARDS\n"
        "from regsam_flow.workflows import WorkflowRegistry\n"
        f"reg = WorkflowRegistry([{str(folder)!r}], known_guards=BUILTIN_GUARDS)\n"
        "assert reg.names() == ['gebietsauswahl', 'mini', 'schwerpunktgebiet'], reg.names()\n"
        "print(' '.join(m for m in ('yaml', 'pydantic') if m in sys.modules))\n"
    )

    def run() -> str:
        proc = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.strip()

    assert run() == "yaml pydantic"  # the first run checks the files
    assert run() == ""  # the second finds them in the cache


# ------------------------------------------------- one set of records


def test_pydantic_checks_straight_into_the_records_with_their_defaults() -> None:
    checked = validate_definition(
        {
            "name": "w",
            "version": 1,
            "title": "W",
            "roles": ["moderation"],
            "initial": "a",
            "states": [
                {"id": "a", "title": "A", "tasks": [{"id": "t", "title": "T", "roles": ["x"]}]},
                {"id": "b", "title": "B", "final": True},
            ],
            "transitions": [{"trigger": "go", "source": "a", "dest": "b", "roles": ["x"]}],
            "reminders": {},
        }
    )
    assert checked == WorkflowDef(
        name="w",
        version=1,
        title="W",
        roles=("moderation",),
        initial="a",
        states=(
            StateDef(id="a", title="A", tasks=(TaskDef(id="t", title="T", roles=("x",)),)),
            StateDef(id="b", title="B", final=True),
        ),
        transitions=(TransitionDef(trigger="go", source=("a",), dest="b", roles=("x",)),),
        reminders=ReminderPolicy(),
    )
    policy = ReminderPolicy()
    assert policy.recipients == ("moderation", "social_planning")
    assert policy.days_before == (28, 7)
    assert (policy.on_day, policy.repeat_every_days, policy.send_hour) == (True, 7, 8)
    assert (policy.timezone, policy.max_attempts, policy.language) == ("Europe/Berlin", 5, "de")


def test_mappings_in_the_file_become_pairs_in_the_order_written() -> None:
    text = (BUILTIN_DIR / "gebietsauswahl-v2.yaml").read_text(encoding="utf-8")
    wf = parse_workflow(text, "v2", BUILTIN_GUARDS)
    vote = next(s.vote for s in wf.definition.states if s.vote is not None)
    assert vote.seats == (("regsam_member", 2), ("social_planning_member", 2))
    sel = wf.selection
    assert sel is not None
    assert sel.decision("leitung", "select") == "leitung_auswaehlen"
