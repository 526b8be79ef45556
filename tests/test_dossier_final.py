"""``regsam-flow dossier AREA --final -o FILE`` records the file as the final
documentation (its SHA-256 in the audit log); ``regsam-flow dossier check
AREA FILE`` says whether a file is it (exit 0) or not (exit 8)."""

from __future__ import annotations

import ast
import hashlib
import json
from pathlib import Path

import pytest

from .cli_helpers import Cli, report, setup_area, sign


@pytest.fixture
def c(db_url: str, tmp_path: Path) -> Cli:
    return Cli(db_url, tmp_path / "home")


def test_final_documentation_recorded_and_checked(c: Cli, tmp_path: Path) -> None:
    area = setup_area(c)
    out = tmp_path / "abschluss.html"
    r = c.run("dossier", area, "--final", user="mia")
    assert r.exit_code == 7 and "--final needs -o FILE" in r.output
    r = c.run("dossier", "check", area, str(out), user="mia")
    assert r.exit_code == 7 and "cannot read" in r.output

    # not yet in auswertung: refused, and no file is left behind
    r = c.run("dossier", area, "--final", "-o", str(out), user="mia")
    assert r.exit_code == 4 and "not_in_evaluation" in r.output
    assert not out.exists()
    sign(c, area)
    for phase in ("vorlauf", "diagnose", "umsetzung"):
        report(c, area, phase)
        c.ok("advance", area, user="mia")
    r = c.run("dossier", area, "--final", "-o", str(out), user="sven")
    assert r.exit_code == 3 and "moderation" in r.output
    assert not out.exists()

    # a refused --final --force leaves an existing file as it was (the draft a
    # person kept under that name), and no temporary file beside it
    out.write_bytes(b"<p>Entwurf von Hand</p>")
    r = c.run("dossier", area, "--final", "--force", "-o", str(out), user="sven")
    assert r.exit_code == 3
    assert out.read_bytes() == b"<p>Entwurf von Hand</p>"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".abschluss.html")]
    out.unlink()

    # written, but not recorded: the check says none is recorded
    plain = tmp_path / "entwurf.html"
    c.ok("dossier", area, "-o", str(plain), user="sven")
    r = c.run("dossier", "check", area, str(plain), user="tom")
    assert r.exit_code == 8 and "no final documentation of hasenbergl-nord is recorded" in r.output

    r = c.ok("dossier", area, "--final", "-o", str(out), user="mia")
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    assert f"Recorded it as the final documentation (sha256 {digest})" in r.output
    log = json.loads(c.ok("--json", "log", area, user="audrey").stdout)
    last = log[-1]
    assert last["action"] == "final_documentation_recorded" and last["actor"] == "mia"
    assert last["details"] == {"format": "html", "size": out.stat().st_size, "sha256": digest}

    r = c.ok("dossier", "check", area, str(out), user="tom")
    assert r.output.startswith(f"OK: {out} is the final documentation of {area}")
    checked = c.json("dossier", "check", area, str(out), user="audrey")
    assert checked["matches"] is True and checked["sha256"] == digest
    assert checked["recorded"]["recorded_by"] == "mia"
    assert checked["recorded"]["format"] == "html"

    # a changed file is found
    out.write_bytes(out.read_bytes().replace(b"Hasenbergl", b"Hasenbergl (bearbeitet)"))
    r = c.run("dossier", "check", area, str(out), user="tom")
    assert r.exit_code == 8 and "DIFFERS" in r.output
    r = c.run("--json", "dossier", "check", area, str(out), user="tom")
    assert r.exit_code == 8 and json.loads(r.stdout)["matches"] is False

    # the data changes afterwards: the file is still the one recorded, but
    # no longer shows the area as it is
    out.write_bytes(out.read_bytes().replace(b"Hasenbergl (bearbeitet)", b"Hasenbergl"))
    c.ok("kg", "resource", "add", area, "--text", "Streetwork", user="mia")
    r = c.ok("dossier", "check", area, str(out), user="tom")
    assert r.output.startswith("OK: ")
    assert "the area's data changed since it was recorded (resource_added)" in r.output
    checked = c.json("dossier", "check", area, str(out), user="tom")
    assert checked["matches"] is True
    assert checked["recorded"]["stale"] is True
    assert checked["recorded"]["changes_since"] == ["resource_added"]
    shown = c.json("area", "show", area, user="mia")["kg"]["final_document"]
    assert shown["stale"] is True and shown["sha256"] == digest
    r = c.ok("area", "show", area, user="mia")
    said = " ".join(r.output.split())  # as wrapped to the terminal
    assert "STALE: the data changed since (resource_added), record it again" in said

    # Markdown, recorded with --json; it replaces the HTML record
    md = tmp_path / "abschluss.md"
    wrote = c.json("dossier", area, "--final", "--format", "md", "-o", str(md), user="mia")
    assert wrote["recorded"] is True
    assert wrote["sha256"] == hashlib.sha256(md.read_bytes()).hexdigest()
    fresh = c.ok("dossier", "check", area, str(md), user="sven")
    assert "changed since" not in fresh.output
    assert c.run("dossier", "check", area, str(plain), user="sven").exit_code == 8

    # outsiders learn nothing
    c.ok("user", "add", "otto", "--name", "Otto Außen", "--email", "otto@x.example")
    r = c.run("dossier", "check", area, str(md), user="otto")
    assert r.exit_code == 6


def _actions_written_by(path: Path) -> set[str]:
    """The audit actions a module of the engine writes: every string in an
    ``action=`` argument, and the module's constants named there."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    constants = {
        t.id: n.value.value
        for n in tree.body
        if isinstance(n, ast.Assign)
        and isinstance(n.value, ast.Constant)
        and isinstance(n.value.value, str)
        for t in n.targets
        if isinstance(t, ast.Name)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        for kw in node.keywords:
            if kw.arg != "action":
                continue
            for sub in ast.walk(kw.value):
                if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                    found.add(sub.value)
                elif isinstance(sub, ast.Name) and sub.id in constants:
                    found.add(constants[sub.id])
    return found


def test_every_action_the_engine_writes_is_known_to_change_the_documentation_or_not() -> None:
    """A new audit action must be sorted into DOSSIER_ACTIONS (a recorded
    final documentation goes stale after it) or OUTSIDE_DOSSIER, so that
    none is forgotten."""
    import regsam_flow.engine as engine_pkg
    from regsam_flow.engine.dossier import DOSSIER_ACTIONS, OUTSIDE_DOSSIER

    folder = Path(engine_pkg.__file__).parent
    written = set().union(*(_actions_written_by(p) for p in folder.glob("*.py")))
    assert {"goal_rated", "transition", "final_documentation_recorded"} <= written
    assert not DOSSIER_ACTIONS & OUTSIDE_DOSSIER
    assert written - DOSSIER_ACTIONS - OUTSIDE_DOSSIER == set()
