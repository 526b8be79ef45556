"""The architecture's rules that a test can hold: the core imports no
infrastructure, and the composition root is how engines are made."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import regsam_flow
from regsam_flow import bootstrap
from regsam_flow.engine import Engine as CoreEngine

from .import_rules import (
    PACKAGE,
    check,
    check_file,
    core_files,
    engines_made,
    front_end_files,
)


def test_the_core_imports_no_infrastructure() -> None:
    problems = check()
    assert not problems, "the core must not import infrastructure:\n" + "\n".join(
        str(v) for v in problems
    )


def test_the_rule_covers_the_engine_and_the_core_modules() -> None:
    files = {p.relative_to(PACKAGE).as_posix() for p in core_files()}
    assert {"engine/context.py", "engine/reminders.py", "ports.py", "model.py"} <= files
    assert all((PACKAGE / f).is_file() for f in files)


def test_the_checker_catches_a_planted_lazy_import(tmp_path: Path) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text(
        "import logging\n"
        "from ..model import Area\n"
        "\n"
        "def notifier():\n"
        "    from ..notifications import notifier_from_env\n"
        "    return notifier_from_env\n"
        "\n"
        "class Store:\n"
        "    def open(self):\n"
        "        import sqlalchemy.orm\n"
        "        from .. import persistence\n"
        "        import importlib\n"
        "        return importlib.import_module('smtplib')\n",
        encoding="utf-8",
    )
    found = check_file(planted, package="regsam_flow.engine")
    assert [(v.line, v.module) for v in found] == [
        (5, "regsam_flow.notifications"),
        (10, "sqlalchemy.orm"),
        (11, "regsam_flow.persistence"),
        (13, "smtplib"),
    ]  # logging and ..model are allowed
    shown = [str(v) for v in found]
    assert f"{planted}:5: imports regsam_flow.notifications" in shown
    assert any(s.startswith(f"{planted}:10: imports sqlalchemy") for s in shown)
    assert f"{planted}:11: imports regsam_flow.persistence" in shown
    assert f"{planted}:13: imports smtplib" in shown


# ----------------------------------------------------------- composition root
def test_the_public_engine_is_the_roots_on_the_core(tmp_path: Path) -> None:
    assert regsam_flow.Engine is bootstrap.Engine
    assert issubclass(regsam_flow.Engine, CoreEngine)
    e = regsam_flow.open_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        assert isinstance(e, regsam_flow.Engine)
        assert e.url == f"sqlite:///{tmp_path / 'x.db'}"
    finally:
        e.close()


def test_the_root_defaults_to_the_data_folder_and_the_mail_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from regsam_flow.notifications import MailNotifier

    monkeypatch.setenv("REGSAM_FLOW_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("REGSAM_FLOW_SMTP_URL", raising=False)
    e = regsam_flow.Engine()
    try:
        assert e.url == f"sqlite:///{tmp_path / 'home' / 'regsam-flow.db'}"
        assert isinstance(e.notifier, MailNotifier)  # a Maildir in the data folder
    finally:
        e.close()


@pytest.mark.parametrize(
    ("value", "bound"), [("yes", True), ("1", True), ("", False), ("0", False)]
)
def test_open_engine_reads_bind_login_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str, bound: bool
) -> None:
    monkeypatch.setenv("REGSAM_FLOW_BIND_LOGIN", value)
    e = bootstrap.open_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        assert e.bind_login is bound
    finally:
        e.close()


def test_the_command_line_opens_its_engine_through_the_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from regsam_flow.cli import cli

    opened: list[str | None] = []
    real = bootstrap.open_engine

    def spy(url: str | None = None, **options: object) -> regsam_flow.Engine:
        opened.append(url)
        return real(url, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(bootstrap, "open_engine", spy)
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {"REGSAM_FLOW_HOME": str(tmp_path), "REGSAM_FLOW_BIND_LOGIN": None}
    args = ["--db", db, "init", "--admin", "root", "--name", "Root", "--email", "r@x.example"]
    r = CliRunner().invoke(cli, args, env=env)
    assert r.exit_code == 0, r.output
    assert opened == [db]


def test_front_ends_make_no_engine_or_adapter_themselves() -> None:
    made = [v for path in front_end_files() for v in engines_made(path)]
    assert not made, "front ends open engines with bootstrap.open_engine:\n" + "\n".join(
        str(v) for v in made
    )
