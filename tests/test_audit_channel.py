"""A change made through the service names its channel (and the API
token's name) in its audit entry; the CLI's and an embedder's do not."""

from __future__ import annotations

import json
import threading

import pytest

from regsam_flow import Engine
from regsam_flow.engine.channel import via


def _last_details(engine: Engine) -> dict[str, str]:
    entry = engine.history(actor="root")[-1]
    return json.loads(entry.details) if entry.details else {}


def test_changes_inside_via_carry_the_channel_and_token_name(engine: Engine, area: str) -> None:
    with via("api", token_name="Auswertungsskript"):
        engine.report_task(area, "datenmaterial", actor="sven")
    assert _last_details(engine) == {
        "task": "datenmaterial",
        "channel": "api",
        "token": "Auswertungsskript",
    }
    with via("web"):
        engine.reopen_task(area, "datenmaterial", actor="sven", reason="falsch gemeldet")
    assert _last_details(engine)["channel"] == "web"
    assert "token" not in _last_details(engine)


def test_outside_via_no_channel_is_written(engine: Engine, area: str) -> None:
    engine.report_task(area, "datenmaterial", actor="sven")
    assert "channel" not in _last_details(engine)


def test_the_channel_belongs_to_its_thread(engine: Engine, area: str) -> None:
    """Another thread's service request does not mark a CLI change."""
    inside = threading.Event()
    leave = threading.Event()

    def service() -> None:
        with via("api", token_name="t"):
            inside.set()
            leave.wait(5)

    t = threading.Thread(target=service)
    t.start()
    inside.wait(5)
    try:
        engine.report_task(area, "datenmaterial", actor="sven")
    finally:
        leave.set()
        t.join()
    assert "channel" not in _last_details(engine)


def test_an_unknown_channel_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown channel"), via("ftp"):
        pass
