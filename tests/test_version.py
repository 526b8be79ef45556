"""One version string: the package's ``__version__``; the installed
metadata, ``regsam-flow --version`` and ``info`` say the same."""

from __future__ import annotations

import configparser
import json
import re
from importlib.metadata import version
from pathlib import Path

from click.testing import CliRunner

import regsam_flow
from regsam_flow.cli import cli

REPO = Path(__file__).resolve().parent.parent


def test_the_version_is_written_down_once() -> None:
    literal = re.escape(regsam_flow.__version__)
    pattern = re.compile(rf"""["'\s=]{literal}["'\s]""")
    sources = [REPO / "setup.cfg", REPO / "pyproject.toml"]
    for folder in ("regsam_flow", "persistence", "notifications", "workflows"):
        sources += sorted((REPO / folder).rglob("*.py"))
    found = [str(p.relative_to(REPO)) for p in sources if pattern.search(p.read_text("utf-8"))]
    assert found == ["regsam_flow/__init__.py"]
    cfg = configparser.ConfigParser()
    cfg.read(REPO / "setup.cfg", encoding="utf-8")
    assert cfg["metadata"]["version"] == "attr: regsam_flow.__version__"


def test_metadata_cli_and_info_agree(tmp_path: Path) -> None:
    assert version("regsam-flow") == regsam_flow.__version__
    runner = CliRunner()
    r = runner.invoke(cli, ["--version"])
    assert r.exit_code == 0 and r.stdout == f"regsam-flow, version {regsam_flow.__version__}\n"
    env = {"REGSAM_FLOW_HOME": str(tmp_path), "REGSAM_FLOW_DB": None}
    init = ["init", "--admin", "root", "--name", "Root", "--email", "root@regsam.example"]
    assert runner.invoke(cli, init, env=env).exit_code == 0
    r = runner.invoke(cli, ["--json", "info"], env=env)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["version"] == regsam_flow.__version__
