"""The state machine carries the workflow's semantics: which transition a
trigger takes, whether it may, and which effects run in which order, read off
the workflow definition (the engine's tests show the effects' results)."""

from __future__ import annotations

import threading

import pytest
from transitions import MachineError

from regsam_flow.machine import MachineCache, StateMachine
from regsam_flow.workflows import CreateAreaDef, WorkflowRegistry

REGISTRY = WorkflowRegistry()
FOCUS = REGISTRY.get("schwerpunktgebiet")
SELECTION = REGISTRY.get("gebietsauswahl", 2)


class Recorder:
    """Effects that write down what the machine asks of them."""

    def __init__(self, clear: bool = True, fail_on: str = "") -> None:
        self.clear = clear
        self.fail_on = fail_on
        self.calls: list[tuple[str, ...]] = []

    def _note(self, *call: str) -> None:
        self.calls.append(call)
        if call[0] == self.fail_on:
            raise RuntimeError(f"{call[0]} failed")

    def may_fire(self) -> bool:
        self._note("may_fire")
        return self.clear

    def reopen_tasks(self, phase: str) -> None:
        self._note("reopen_tasks", phase)

    def close(self, phase: str) -> None:
        self._note("close", phase)

    def record(self, source: str, dest: str) -> None:
        self._note("record", source, dest)

    def create_area(self, create: CreateAreaDef) -> None:
        self._note("create_area", create.workflow, create.id_field)


def test_entering_a_phase_with_tasks_reopens_them_then_records_the_move() -> None:
    fx = Recorder()
    assert StateMachine(FOCUS).fire("auswertung", "resume", fx) == "umsetzung"
    assert fx.calls == [
        ("may_fire",),
        ("reopen_tasks", "umsetzung"),
        ("record", "auswertung", "umsetzung"),
    ]


def test_entering_a_final_phase_closes_the_area() -> None:
    fx = Recorder()
    assert StateMachine(FOCUS).fire("diagnose", "cancel", fx) == "abgebrochen"
    assert fx.calls == [
        ("may_fire",),
        ("close", "abgebrochen"),
        ("record", "diagnose", "abgebrochen"),
    ]


def test_a_selected_candidate_creates_its_area_after_the_move_is_recorded() -> None:
    fx = Recorder()
    assert StateMachine(SELECTION).fire("bewertet", "auswaehlen", fx) == "ausgewaehlt"
    assert fx.calls == [
        ("may_fire",),
        ("close", "ausgewaehlt"),
        ("record", "bewertet", "ausgewaehlt"),
        ("create_area", "schwerpunktgebiet", "gebiet"),
    ]


def test_a_refused_condition_runs_no_effect() -> None:
    fx = Recorder(clear=False)
    assert StateMachine(FOCUS).fire("auswertung", "resume", fx) is None
    assert fx.calls == [("may_fire",)]


def test_a_trigger_from_the_wrong_phase_is_an_error_not_a_silent_no() -> None:
    with pytest.raises(MachineError):
        StateMachine(FOCUS).fire("vorlauf", "close", Recorder())


def test_a_failing_effect_stops_the_firing_and_reaches_the_caller() -> None:
    fx = Recorder(fail_on="reopen_tasks")
    with pytest.raises(RuntimeError, match="reopen_tasks failed"):
        StateMachine(FOCUS).fire("auswertung", "resume", fx)
    assert ("record", "auswertung", "umsetzung") not in fx.calls


def test_one_machine_fires_for_many_threads_at_once() -> None:
    machine = MachineCache().get(FOCUS)
    results: list[str | None] = []
    lock = threading.Lock()

    def run(state: str, trigger: str) -> None:
        for _ in range(200):
            dest = machine.fire(state, trigger, Recorder())
            with lock:
                results.append(dest)

    threads = [
        threading.Thread(target=run, args=pair)
        for pair in [("vorlauf", "start_diagnose"), ("auswertung", "resume")] * 4
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(set(results), key=str) == ["diagnose", "umsetzung"]
    assert results.count("diagnose") == results.count("umsetzung") == 800


def test_the_cache_builds_one_machine_per_workflow_version() -> None:
    cache = MachineCache()
    assert cache.get(FOCUS) is cache.get(FOCUS)
    assert cache.get(SELECTION) is not cache.get(FOCUS)
