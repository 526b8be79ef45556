"""The configuration file (issue 16): defaults for the options, below the
command line and the environment; a bad file stops every command with exit
7 naming the file and the key or line; its secrets are never shown."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from regsam_flow.cli import cli

SMTP = "smtp://moderation%40stadt:s3cr3t-pw@mail.example.org:587"


class Setup:
    """A home, a config folder (``XDG_CONFIG_HOME``) and three databases."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self.xdg = tmp_path / "xdg"
        self.file = self.xdg / "regsam-flow" / "config.toml"
        self.dbs = {n: f"sqlite:///{tmp_path / (n + '.db')}" for n in ("file", "env", "option")}

    def write(self, text: str, file: Path | None = None) -> Path:
        path = file or self.file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def run(self, *args: str, **env: str | None) -> Result:
        base: dict[str, str | None] = {
            "XDG_CONFIG_HOME": str(self.xdg),
            "REGSAM_FLOW_HOME": str(self.tmp / "home"),
            "REGSAM_FLOW_USER": "root",
            "REGSAM_FLOW_LANG": "en",
            "REGSAM_FLOW_DB": None,
            "REGSAM_FLOW_CONFIG": None,
            "REGSAM_FLOW_SMTP_URL": None,
            "COLUMNS": "1000",  # paths on one line
        }
        base.update(env)
        return CliRunner().invoke(cli, list(args), env=base, catch_exceptions=False)

    def info(self, *args: str, **env: str | None) -> dict[str, object]:
        r = self.run(*args, "--json", "info", **env)
        assert r.exit_code == 0, r.output
        data: dict[str, object] = json.loads(r.stdout)
        return data


@pytest.fixture
def s(tmp_path: Path) -> Setup:
    setup = Setup(tmp_path)
    for url in setup.dbs.values():
        r = setup.run("--db", url, "init", "--admin", "root")
        assert r.exit_code == 0, r.output
    return setup


def test_the_database_option_beats_the_environment_beats_the_file(s: Setup) -> None:
    s.write(f'db = "{s.dbs["file"]}"\n')
    assert s.info()["database"] == s.dbs["file"]
    assert s.info(REGSAM_FLOW_DB=s.dbs["env"])["database"] == s.dbs["env"]
    got = s.info("--db", s.dbs["option"], REGSAM_FLOW_DB=s.dbs["env"])["database"]
    assert got == s.dbs["option"]


def test_info_shows_the_file_and_whether_it_was_read(s: Setup) -> None:
    assert s.info("--db", s.dbs["env"])["config"] == {"path": str(s.file), "read": False}
    r = s.run("--db", s.dbs["env"], "info")
    assert f"configuration: {s.file} (not there)" in r.stdout
    s.write(f'db = "{s.dbs["file"]}"\n')
    assert s.info()["config"] == {"path": str(s.file), "read": True}
    assert f"configuration: {s.file} (read)" in s.run("info").stdout


def test_another_file_by_option_or_environment(s: Setup) -> None:
    s.write(f'db = "{s.dbs["file"]}"\n')
    other = s.write(f'db = "{s.dbs["env"]}"\n', s.tmp / "elsewhere.toml")
    data = s.info(REGSAM_FLOW_CONFIG=str(other))
    assert data["database"] == s.dbs["env"] and data["config"] == {
        "path": str(other),
        "read": True,
    }
    assert s.info("--config", str(other))["database"] == s.dbs["env"]


def test_language_option_beats_environment_beats_file(s: Setup) -> None:
    s.write(f'db = "{s.dbs["file"]}"\nlang = "de"\n')
    assert "Datenbank" in s.run("info", REGSAM_FLOW_LANG=None, LANG="en_GB.UTF-8").stdout
    assert "database" in s.run("info", REGSAM_FLOW_LANG="en").stdout
    assert "database" in s.run("--lang", "en", "info", REGSAM_FLOW_LANG="de").stdout


def test_mail_from_the_file_is_used_and_its_password_never_shown(s: Setup) -> None:
    s.write(f'db = "{s.dbs["file"]}"\n[mail]\nsmtp_url = "{SMTP}"\n')
    r = s.run("info")
    assert "SMTP mail.example.org:587" in r.stdout
    assert "s3cr3t" not in r.output and "moderation" not in r.output
    assert "REGSAM_FLOW_SMTP_URL" not in os.environ  # set for the run only
    r = s.run("info", REGSAM_FLOW_SMTP_URL="smtp://relay.example.org:25")
    assert "SMTP relay.example.org:25" in r.stdout  # the environment wins


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ('db = "sqlite:///x.db\n', ["not valid TOML", "line 1"]),
        ("dbase = 1\n", ["unknown key 'dbase'", "known: db, lang, mail, scheduler, serve"]),
        ("[serve]\nport = 70000\n", ["'serve.port'", "65535"]),
        ("[serve]\nbogus = 1\n", ["unknown key 'serve.bogus'", "serve.host"]),
        ('[scheduler]\nlog_level = "chatty"\n', ["'scheduler.log_level'", "chatty"]),
        ('lang = "fr"\n', ["'lang'"]),
        ("[mail]\nsmtp_url = 5\n", ["'mail.smtp_url' must be a text"]),
        ('[mail]\npassword = "s3cr3t-pw"\n', ["unknown key 'mail.password'"]),
        ('scheduler = "often"\n', ["'scheduler' must be a table"]),
    ],
)
def test_a_bad_file_stops_every_command_naming_file_and_key(
    s: Setup, text: str, names: list[str]
) -> None:
    s.write(text)
    new_db = s.tmp / "new.db"
    r = s.run("--db", f"sqlite:///{new_db}", "init", "--admin", "root")
    assert r.exit_code == 7, r.output
    assert f"configuration file {s.file}" in r.stderr
    for name in names:
        assert name in r.stderr, r.stderr
    assert "s3cr3t" not in r.output and "Traceback" not in r.output
    assert not new_db.exists()  # nothing done


def test_a_named_file_must_exist(s: Setup) -> None:
    r = s.run("--config", str(s.tmp / "missing.toml"), "info")
    assert r.exit_code == 7 and "missing.toml" in r.stderr
    r = s.run("--json", "info", REGSAM_FLOW_CONFIG=str(s.tmp / "missing.toml"))
    assert r.exit_code == 7
    assert json.loads(r.stdout)["error"] == "invalid_input"


def test_a_bad_file_in_german(s: Setup) -> None:
    s.write("dbase = 1\n")
    r = s.run("info", REGSAM_FLOW_LANG="de")
    assert r.exit_code == 7
    assert f"Fehler: Konfigurationsdatei {s.file}: unbekannter Schlüssel 'dbase'" in r.stderr


def test_true_is_no_number(s: Setup) -> None:
    s.write("[scheduler]\npoll = true\n")
    r = s.run("info")
    assert r.exit_code == 7
    assert f"configuration file {s.file}: 'scheduler.poll' takes no true or false" in r.stderr


def test_a_bad_file_speaks_the_language_given_after_it(s: Setup) -> None:
    s.write("dbase = 1\n")
    r = s.run("--config", str(s.file), "--lang", "en", "info", REGSAM_FLOW_LANG="de")
    assert r.exit_code == 7
    assert f"error: configuration file {s.file}: unknown key 'dbase'" in r.stderr
    r = s.run("--config", str(s.file), "--lang", "de", "--json", "info")
    assert r.exit_code == 7
    assert "unbekannter Schlüssel 'dbase'" in json.loads(r.stdout)["message"]


def test_the_readme_example_is_a_valid_file(s: Setup) -> None:
    import re

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    [example] = re.findall(r"```toml\n(# /etc/regsam-flow/config.toml.*?)```", readme, re.S)
    s.write(example)
    data = s.info("--db", s.dbs["option"], REGSAM_FLOW_TEMPLATES="")
    assert data["config"] == {"path": str(s.file), "read": True}
    assert data["mail"] == "SMTP mail.example.org:587" and "PASSWORD" not in json.dumps(data)
