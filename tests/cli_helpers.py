"""Running the CLI in tests: click's CliRunner on a real database (SQLite or PostgreSQL)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from regsam_flow.cli import cli

from .conftest import AGREEMENT, PEOPLE, REQUIRED_TASKS


@dataclass
class Cli:
    """``run("area", "show", X, user="mia")`` -> click Result."""

    db: str
    home: Path

    def run(self, *args: str, user: str = "root", input: str | None = None) -> Result:
        runner = CliRunner()
        env = {
            "REGSAM_FLOW_DB": self.db,
            "REGSAM_FLOW_USER": user,
            "REGSAM_FLOW_HOME": str(self.home),
            "REGSAM_FLOW_SMTP_URL": None,
        }
        return runner.invoke(cli, list(args), env=env, input=input, catch_exceptions=False)

    def ok(self, *args: str, user: str = "root") -> Result:
        r = self.run(*args, user=user)
        assert r.exit_code == 0, f"{args}: exit {r.exit_code}\n{r.output}"
        return r

    def json(self, *args: str, user: str = "root") -> Any:
        r = self.ok("--json", *args, user=user)
        return json.loads(r.stdout)


def setup_area(c: Cli, area: str = "hasenbergl-nord") -> str:
    """People in all five roles and one area in vorlauf (on version 1 of the
    focus-area workflow, as the conftest's area), through the CLI."""
    c.ok("init", "--admin", "root", "--name", "Root Admin", "--email", "root@regsam.example")
    c.ok(
        "user",
        "add",
        "audrey",
        "--name",
        "Audrey Auditorin",
        "--email",
        "audrey@regsam.example",
        "--auditor",
    )
    for pid, (name, email, _role) in PEOPLE.items():
        c.ok("user", "add", pid, "--name", name, "--email", email)
    c.ok(
        "area",
        "create",
        area,
        "--name",
        "Hasenbergl-Nord",
        "--district",
        "24 Feldmoching-Hasenbergl",
        "--workflow-version",
        "1",
    )
    for pid, (_n, _e, role) in PEOPLE.items():
        who = "root" if role in ("moderation", "social_planning") else "mia"
        c.ok("area", "assign", area, role, pid, user=who)
    return area


def sign(c: Cli, area: str) -> None:
    args = []
    for key, value in AGREEMENT.items():
        args += [f"--{key}", value.strftime("%d.%m.%Y") if hasattr(value, "strftime") else value]
    c.ok("agreement", "set", area, *args, user="mia")
    c.ok("agreement", "sign", area, user="mia")
    c.ok("agreement", "sign", area, user="sven")


def report(c: Cli, area: str, phase: str) -> None:
    for task, who in REQUIRED_TASKS[phase]:
        c.ok("task", "done", area, task, user=who)
