"""``regsam-flow dossier AREA --final -o FILE`` records the file as the final
documentation (its SHA-256 in the audit log); ``regsam-flow dossier check
AREA FILE`` says whether a file is it (exit 0) or not (exit 8)."""

from __future__ import annotations

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

    # Markdown, recorded with --json; it replaces the HTML record
    md = tmp_path / "abschluss.md"
    wrote = c.json("dossier", area, "--final", "--format", "md", "-o", str(md), user="mia")
    assert wrote["recorded"] is True
    assert wrote["sha256"] == hashlib.sha256(md.read_bytes()).hexdigest()
    c.ok("dossier", "check", area, str(md), user="sven")
    assert c.run("dossier", "check", area, str(plain), user="sven").exit_code == 8

    # outsiders learn nothing
    c.ok("user", "add", "otto", "--name", "Otto Außen", "--email", "otto@x.example")
    r = c.run("dossier", "check", area, str(md), user="otto")
    assert r.exit_code == 6
