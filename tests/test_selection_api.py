"""Selecting focus areas through the Python API alone, and the selection's
rules held by the engine: checked against the candidate's own workflow
version, each step one transaction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from regsam_flow import Engine
from regsam_flow.workflows import BUILTIN_DIR

from .cli_helpers import Cli
from .databases import raw_connection

PANEL = {
    "rita": "regsam_member",
    "rolf": "regsam_member",
    "sara": "social_planning_member",
    "stefan": "social_planning_member",
    "arne": "arge",
    "helga": "head",
}


@pytest.fixture
def c(engine: Engine, tmp_path: Path) -> Cli:
    for pid in PANEL:
        engine.add_person(pid, actor="root", name=pid.title(), email=f"{pid}@example.org")
    return Cli(engine.url, tmp_path / "home")


def deploy_variant(engine: Engine, folder: Path, change: Any) -> int:
    """Deploy the newest shipped gebietsauswahl, changed by ``change(data)``,
    as the next version; its number."""
    newest = max(
        (p for p in BUILTIN_DIR.glob("gebietsauswahl*.yaml")),
        key=lambda p: yaml.safe_load(p.read_text(encoding="utf-8"))["version"],
    )
    data = yaml.safe_load(newest.read_text(encoding="utf-8"))
    data["version"] = max(engine.workflows.versions("gebietsauswahl")) + 1
    change(data)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "gebietsauswahl.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    engine.deploy_workflow(path, actor="root")
    return int(data["version"])


def nominate(c: Cli, cand: str, name: str) -> None:
    c.ok(
        "selection", "nominate", cand, "--round", "2027", "--name", name,
        "--source", "rags", "--reasons", "Nennung RAGS",
    )  # fmt: skip
    for pid, role in PANEL.items():
        c.ok("area", "assign", cand, role, pid)


def fields_of(url: str, cand: str) -> dict[str, str]:
    with raw_connection(url) as con:
        rows = con.execute("SELECT field_id, value FROM fields WHERE area_id = ?", (cand,))
        return {r[0]: r[1] for r in rows}


ASSESSMENT = ["--fits", "yes", "--hours", "10", "--duration", "2 Jahre"]


def test_assess_checks_the_fields_of_the_candidates_own_version(
    engine: Engine, c: Cli, tmp_path: Path
) -> None:
    nominate(c, "2027-alt", "Alt")  # on the version deployed now

    def more_required(data: dict[str, Any]) -> None:
        data["fields"].append(
            {"id": "kosten", "title": "Kosten", "roles": ["regsam_member"], "type": "int"}
        )
        bewerten = next(t for t in data["transitions"] if t["trigger"] == "bewerten")
        bewerten["requires"].append("kosten")

    newer = deploy_variant(engine, tmp_path / "v", more_required)
    assert engine.get_area("2027-alt", actor="root").workflow_version < newer
    r = c.ok(
        "selection", "assess", "2027-alt", *ASSESSMENT, "--special-programme", "no", user="rita"
    )
    assert "still missing" not in r.stdout
    assert c.json("selection", "show", "2027-alt")["state"] == "bewertet"


def test_assess_is_one_transaction(engine: Engine, c: Cli, tmp_path: Path) -> None:
    def blocked(data: dict[str, Any]) -> None:
        nominiert = next(s for s in data["states"] if s["id"] == "nominiert")
        nominiert["tasks"] = [
            {"id": "vorgespraech", "title": "Vorgespräch", "roles": ["nominator"], "required": True}
        ]
        bewerten = next(t for t in data["transitions"] if t["trigger"] == "bewerten")
        bewerten["guards"] = ["required_tasks_done"]

    deploy_variant(engine, tmp_path / "v", blocked)
    nominate(c, "2027-neu", "Neu")
    before, head = fields_of(engine.url, "2027-neu"), engine.head()
    r = c.run(
        "selection", "assess", "2027-neu", *ASSESSMENT, "--special-programme", "no", user="rita"
    )
    assert r.exit_code == 4, r.output
    assert "vorgespraech" in r.stderr or "Vorgespräch" in r.stderr
    # nothing written: neither the fields nor their audit entry
    assert fields_of(engine.url, "2027-neu") == before
    assert "passt_zu_regsam" not in before
    assert engine.head() == head
