"""Logs for machines (issue 16): ``scheduler run`` and ``serve`` as real
processes with ``--log-format json`` write one JSON object per stderr line;
the configuration file sets the scheduler's options below the command line
and the environment."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from regsam_flow import Engine

BIN = Path(sys.executable).parent / "regsam-flow"
WAIT_S = 30.0


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGSAM_FLOW_")}
    env.update(
        REGSAM_FLOW_HOME=str(tmp_path / "home"),
        XDG_CONFIG_HOME=str(tmp_path / "xdg"),
        REGSAM_FLOW_LANG="en",
        PYTHONIOENCODING="utf-8",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def wait_for(predicate: Callable[[], bool], timeout: float = WAIT_S) -> bool:
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / 0.1) + 2):
        if predicate() or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    return predicate()


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every line of ``text`` as a JSON object (fails on any other line)."""
    lines = [json.loads(line) for line in text.splitlines()]
    for line in lines:
        assert {"time", "level", "logger", "message"} <= set(line), line
        assert line["time"].endswith("Z") and "T" in line["time"]
    return lines


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'regsam.db'}"
    Engine(url).init("root", name="Root", email="root@regsam.example")
    return url


def run_scheduler(db: str, env: dict[str, str], log: Path, *args: str) -> str:
    """Start ``scheduler run``, wait for its start line, stop it with
    SIGTERM; what it wrote to stderr."""
    with open(log, "wb") as err:
        proc = subprocess.Popen(
            [str(BIN), "--db", db, "scheduler", "run", *args],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=env,
        )
    try:
        assert wait_for(lambda: "started" in log.read_text("utf-8")), log.read_text("utf-8")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=WAIT_S) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    return log.read_text("utf-8")


def test_scheduler_logs_json_lines(db: str, tmp_path: Path) -> None:
    text = run_scheduler(db, env_for(tmp_path), tmp_path / "s.log", "--log-format", "json")
    lines = json_lines(text)
    ours = [line for line in lines if line["logger"] == "regsam_flow.scheduler"]
    assert [line["level"] for line in ours] == ["info"] * len(ours)
    messages = " ".join(line["message"] for line in ours)
    assert "started: polling every 30.0s" in messages and "stopped" in messages


def test_scheduler_settings_from_the_file_below_option_and_environment(
    db: str, tmp_path: Path
) -> None:
    config = tmp_path / "xdg" / "regsam-flow" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[scheduler]\npoll = 7\nlog_format = "json"\n', encoding="utf-8")
    # the file: json, every 7 s
    lines = json_lines(run_scheduler(db, env_for(tmp_path), tmp_path / "1.log"))
    assert any("polling every 7.0s" in line["message"] for line in lines)
    # the option beats the file
    lines = json_lines(run_scheduler(db, env_for(tmp_path), tmp_path / "2.log", "--poll", "3"))
    assert any("polling every 3.0s" in line["message"] for line in lines)
    # the environment beats the file: text lines
    env = env_for(tmp_path, REGSAM_FLOW_LOG_FORMAT="text")
    text = run_scheduler(db, env, tmp_path / "3.log")
    assert "INFO regsam_flow.scheduler: scheduler" in text and "polling every 7.0s" in text
    assert not text.lstrip().startswith("{")


def test_serve_logs_json_lines_with_requests_and_uvicorn(db: str, tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    env = env_for(tmp_path)
    with open(log, "wb") as err:
        proc = subprocess.Popen(
            [str(BIN), "--db", db, "serve", "--port", "0", "--log-format", "json"],
            stdout=subprocess.PIPE,
            stderr=err,
            env=env,
            text=True,
        )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # "regsam-flow serves on http://127.0.0.1:PORT ..."
        url = first.split(" serves on ")[1].split()[0]
        assert httpx.get(f"{url}/health", timeout=WAIT_S).status_code == 200
        assert wait_for(lambda: "/health" in log.read_text("utf-8"))
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=WAIT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    lines = json_lines(log.read_text("utf-8"))
    [access] = [line for line in lines if line["logger"] == "regsam_flow.service.access"]
    assert '"GET /health" 200' in access["message"] and access["level"] == "info"
    assert any(line["logger"].startswith("uvicorn") for line in lines)
