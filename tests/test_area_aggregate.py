"""An area is loaded as one aggregate and written as one change set: a
decision on it (why, status, fire, an approval) reads the area once through
the store port (``load_area``), decides in memory, and writes what changes
with one ``save_area`` (plus its audit entry).  A spy on the port records
which port methods the engine calls."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest

from regsam_flow import Engine
from regsam_flow.persistence.memory import MemoryStore

from .conftest import AREA, PEOPLE, REQUIRED_TASKS, report, sign_agreement

#: The separate reads and writes the aggregate replaces.
PIECEMEAL = {
    "get_area",
    "get_assignments",
    "get_tasks",
    "get_approvals",
    "get_agreement",
    "get_fields",
    "update_area",
    "put_task",
    "add_approval",
    "cancel_reminders",
}


class _SpyUnit:
    def __init__(self, uow: Any, calls: list[str]) -> None:
        self._uow = uow
        self._calls = calls

    def __getattr__(self, name: str) -> Any:
        self._calls.append(name)
        return getattr(self._uow, name)


class SpyStore:
    """A memory store whose units of work note each port method called."""

    def __init__(self) -> None:
        self.inner = MemoryStore()
        self.url = self.inner.url
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    @contextmanager
    def _spied(self, unit: AbstractContextManager[Any]) -> Iterator[_SpyUnit]:
        with unit as uow:
            yield _SpyUnit(uow, self.calls)

    def write(self) -> AbstractContextManager[_SpyUnit]:
        return self._spied(self.inner.write())

    def read(self) -> AbstractContextManager[_SpyUnit]:
        return self._spied(self.inner.read())


@pytest.fixture
def spied() -> Iterator[tuple[Engine, SpyStore]]:
    store = SpyStore()
    e = Engine(store=store)  # type: ignore[arg-type]
    e.init("root", name="Root Admin", email="root@regsam.example")
    for pid, (name, email, _role) in PEOPLE.items():
        e.add_person(pid, actor="root", name=name, email=email)
    e.create_area(AREA, actor="root", name="Hasenbergl-Nord", district="24", workflow_version=1)
    for pid, (_n, _e, role) in PEOPLE.items():
        e.assign(
            AREA, role, pid, actor="root" if role in ("moderation", "social_planning") else "mia"
        )
    sign_agreement(e, AREA)
    report(e, AREA, "vorlauf")
    store.calls.clear()
    yield e, store
    e.close()


def _area_calls(calls: list[str]) -> list[str]:
    return [c for c in calls if c in PIECEMEAL or c in ("load_area", "save_area")]


def test_why_and_status_read_the_area_once(spied: tuple[Engine, SpyStore]) -> None:
    e, store = spied
    steps = e.why(AREA, actor="mia")
    assert [s.trigger for s in steps if s.allowed] == ["start_diagnose", "cancel"]
    assert _area_calls(store.calls) == ["load_area"]
    store.calls.clear()
    status = e.status(AREA, actor="mia")
    assert status.area.state == "vorlauf" and status.agreement is not None
    assert _area_calls(store.calls) == ["load_area"]


def test_a_transition_reads_once_and_writes_one_change_set(
    spied: tuple[Engine, SpyStore],
) -> None:
    e, store = spied
    result = e.fire(AREA, "start_diagnose", actor="mia")
    assert result.to_state == "diagnose"
    assert _area_calls(store.calls) == ["load_area", "save_area"]
    assert store.calls.count("append_audit") == 1


def test_an_approval_and_the_move_it_completes_are_each_one_change_set(
    spied: tuple[Engine, SpyStore],
) -> None:
    e, store = spied
    for phase, trigger in (
        ("diagnose", "start_diagnose"),
        ("umsetzung", "start_umsetzung"),
        ("auswertung", "start_auswertung"),
    ):
        e.fire(AREA, trigger, actor="mia")
        report(e, AREA, phase)
    assert REQUIRED_TASKS["auswertung"]
    store.calls.clear()
    first = e.fire(AREA, "close", actor="mia")
    assert not first.fired and first.missing == ("social_planning",)
    assert _area_calls(store.calls) == ["load_area", "save_area"]
    store.calls.clear()
    second = e.fire(AREA, "close", actor="sven")
    assert second.fired and second.to_state == "abgeschlossen"
    assert _area_calls(store.calls) == ["load_area", "save_area"]
    log = e.history(actor="root", area=AREA)
    assert [x.action for x in log[-2:]] == ["approval", "transition"]
    assert json.loads(log[-1].details)["approvals"] == {
        "moderation": "mia",
        "social_planning": "sven",
    }
