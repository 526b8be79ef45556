"""Guards a deployment installs for the CLI (issue 12, rough edge 17): an
installed distribution registers a guard under the entry point group
``regsam_flow.guards``; a workflow names it; the CLI enforces it.  The guard
sees the area's people (``GuardContext.assignments``)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from regsam_flow.i18n import use_language

from .cli_helpers import Cli
from .test_readme import README, python_example

README_TEXT = README.read_text(encoding="utf-8")

#: The README's guard module and its entry point, as a deployment writes them.
GUARD_MODULE = python_example("guard-plugin")
ENTRY_POINT = re.search(
    r'\[project.entry-points."regsam_flow.guards"\]\n(\w+) = "([\w.:]+)"', README_TEXT
)


def install_plugin(folder: Path, monkeypatch: pytest.MonkeyPatch, target: str) -> None:
    """A distribution installed into ``folder`` (a module and its
    dist-info, as pip leaves them), ``folder`` first on sys.path."""
    folder.mkdir()
    (folder / "stadtteil_guards.py").write_text(GUARD_MODULE, encoding="utf-8")
    info = folder / "regsam_guard_demo-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: regsam-guard-demo\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        f"[regsam_flow.guards]\nprovider_assigned = {target}\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(folder))


def workflow() -> dict[str, Any]:
    return {
        "name": "traegerprojekt",
        "version": 1,
        "title": "Trägerprojekt",
        "roles": ["moderation", "provider"],
        "initial": "planung",
        "states": [
            {"id": "planung", "title": "Planung"},
            {"id": "laufend", "title": "Laufend", "final": True},
        ],
        "transitions": [
            {
                "trigger": "starten",
                "source": "planung",
                "dest": "laufend",
                "roles": ["moderation"],
                "guards": ["provider_assigned"],
                "advance": True,
            }
        ],
    }


@pytest.fixture
def c(db_url: str, tmp_path: Path) -> Cli:
    return Cli(db_url, tmp_path / "home")


def test_an_installed_guard_is_enforced_by_the_cli(
    c: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert ENTRY_POINT and ENTRY_POINT.group(1) == "provider_assigned"
    install_plugin(tmp_path / "site", monkeypatch, ENTRY_POINT.group(2))
    path = tmp_path / "traegerprojekt.yaml"
    path.write_text(yaml.safe_dump(workflow(), allow_unicode=True), encoding="utf-8")
    c.ok("init", "--admin", "root", "--name", "Root", "--email", "root@regsam.example")
    c.ok("workflow", "deploy", str(path))
    c.ok("area", "create", "cafe", "--name", "Café", "--workflow", "traegerprojekt")
    for pid in ("mia", "tom"):
        c.ok("user", "add", pid, "--name", pid.title(), "--email", f"{pid}@regsam.example")
    c.ok("area", "assign", "cafe", "moderation", "mia")

    blocked = c.run("--json", "advance", "cafe", user="mia")
    assert blocked.exit_code == 4, blocked.output
    blockers = json.loads(blocked.stdout)["blockers"]
    assert blockers == [{"code": "provider_missing", "message": "Noch kein Träger im Gebiet cafe"}]

    c.ok("area", "assign", "cafe", "provider", "tom", user="mia")  # the guard sees it
    moved = c.ok("advance", "cafe", user="mia")
    assert "planung -> laufend" in moved.output


def test_a_guard_that_cannot_be_loaded_is_named(
    c: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_plugin(tmp_path / "site", monkeypatch, "stadtteil_guards:no_such_guard")
    r = c.run("init", "--admin", "root", "--name", "Root", "--email", "root@regsam.example")
    assert r.exit_code == 7, r.output
    assert "guard 'provider_assigned' (stadtteil_guards:no_such_guard" in r.output
    assert "Traceback" not in r.output
    with use_language("en"):  # gives back the language --lang sets for this process
        german = c.run(
            "--lang", "de", "init", "--admin", "root", "--name", "R", "--email", "x@y.de"
        )
    assert german.exit_code == 7, german.output
    assert "Die Bedingung 'provider_assigned' (stadtteil_guards:no_such_guard" in german.output
