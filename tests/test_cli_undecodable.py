"""Arguments that are not valid UTF-8, as a user's shell passes them: the
installed console script run as a real process with raw bytes in argv."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from regsam_flow import Engine
from regsam_flow.errors import InvalidInputError

BIN = Path(sys.executable).parent / "regsam-flow"


def run(*args: str | bytes, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    argv: list[str | bytes] = [str(BIN), *args]
    return subprocess.run(argv, capture_output=True, env=env, timeout=120)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("REGSAM_FLOW_")}
    e.update(
        REGSAM_FLOW_HOME=str(tmp_path / "home"),
        REGSAM_FLOW_DB=f"sqlite:///{tmp_path / 'regsam.db'}",
        REGSAM_FLOW_USER="anna",
        REGSAM_FLOW_LANG="en",  # the texts below are the English ones
        PYTHONIOENCODING="utf-8",
    )
    for args in (
        ("init", "--admin", "anna", "--name", "Anna Admin", "--email", "anna@regsam.example"),
        ("area", "create", "moosach", "--name", "Moosach"),
        ("area", "assign", "moosach", "moderation", "anna"),
        ("agreement", "set", "moosach", "--topic", "Ältere Menschen"),
    ):
        r = run(*args, env=e)
        assert r.returncode == 0, r.stderr.decode()
    return e


def _rows(tmp_path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(tmp_path / "regsam.db") as con:
        return list(con.execute(sql))


@pytest.mark.parametrize(
    ("args", "option"),
    [
        ((b"agreement", b"set", b"moosach", b"--topic", b"Caf\xe9"), "--topic"),
        ((b"--as", b"\xff", b"agreement", b"set", b"moosach", b"--topic", b"x"), "--as"),
        (
            (b"user", b"add", b"mia", b"--name", b"Mia", b"--email", b"mia\xff@regsam.example"),
            "--email",
        ),
        ((b"user", b"add", b"mi\xffa", b"--name", b"Mia", b"--email", b"m@x.example"), "USER"),
        ((b"area", b"create", b"neu", b"--name", b"M\xfcnchen-Nord"), "--name"),
        ((b"task", b"done", b"moosach", b"schwerpunktziel", b"--note", b"\xc3("), "--note"),
    ],
)
def test_undecodable_argument_is_refused_naming_the_option(
    env: dict[str, str], tmp_path: Path, args: tuple[bytes, ...], option: str
) -> None:
    before = _rows(tmp_path, "SELECT count(*) FROM audit_log")
    r = run(*args, env=env)
    err = r.stderr.decode("utf-8")  # what is printed is UTF-8 text
    assert r.returncode == 7, err
    assert "UnicodeEncodeError" not in err and "Traceback" not in err
    assert f"error: {option} is not valid UTF-8" in err
    assert _rows(tmp_path, "SELECT count(*) FROM audit_log") == before
    assert _rows(tmp_path, "SELECT topic FROM agreements ORDER BY version DESC LIMIT 1") == [
        ("Ältere Menschen",)
    ]
    assert _rows(tmp_path, "SELECT id FROM people ORDER BY id") == [("anna",)]


def test_undecodable_environment_variable_is_named(env: dict[str, str]) -> None:
    benv: dict[bytes, bytes] = {os.fsencode(k): os.fsencode(v) for k, v in env.items()}
    benv[b"REGSAM_FLOW_USER"] = b"\xffanna"
    r = subprocess.run(
        [str(BIN), "--json", "area", "list"], capture_output=True, env=benv, timeout=120
    )
    assert r.returncode == 7
    out = json.loads(r.stdout.decode("utf-8"))
    assert out["error"] == "invalid_input"
    assert "--as (REGSAM_FLOW_USER) is not valid UTF-8" in out["message"]


def test_engine_refuses_undecodable_text(engine: Engine) -> None:
    """The same check guards the engine's API: validation.py, one place."""
    for kwargs, field in (
        ({"name": "Caf\udce9", "email": "c@x.example"}, "name"),
        ({"name": "Cafe", "email": "c\udcff@x.example"}, "email"),
        ({"name": "Cafe", "email": "c@x.example", "org": "\udcff"}, "org"),
    ):
        with pytest.raises(InvalidInputError) as caught:
            engine.add_person("cafe", actor="root", **kwargs)
        assert caught.value.field == field
        assert "not valid UTF-8" in caught.value.message
    with pytest.raises(InvalidInputError, match="not valid UTF-8"):
        engine.add_person("caf\udce9", actor="root", name="Cafe", email="c@x.example")
    assert [p.id for p in engine.list_people(actor="root")] == ["audrey", "root"]
