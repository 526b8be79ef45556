"""Why one shared ``transitions.Machine`` per workflow version.

Compares, for the default workflow (schwerpunktgebiet):

* building a Machine per area (as a naive design would, on every load), with
  and without the library's auto-transitions;
* the engine's choice: one shared Machine; a firing hands the trigger a
  short-lived model at the stored state, and the machine runs the effects'
  callbacks (here effects that do nothing, to show the library's own cost);
* the floor: the transition looked up in the workflow's table by hand, no
  callbacks (what the engine would do without the library).

Prints time per operation and memory per Machine.  Run:
``.venv/bin/python benchmarks/machine_choice.py``
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable

from transitions import Machine

from regsam_flow.machine import StateMachine
from regsam_flow.workflows import CreateAreaDef, WorkflowRegistry

WF = WorkflowRegistry().get("schwerpunktgebiet")
STATES = [s.id for s in WF.definition.states]


def per_area_machine(auto: bool) -> Callable[[], object]:
    def build() -> object:
        m = Machine(states=STATES, initial="auswertung", auto_transitions=auto)
        for t in WF.definition.transitions:
            m.add_transition(t.trigger, list(t.source), t.dest)
        return m

    return build


def per_op_us(fn: Callable[[], object], n: int = 2000) -> float:
    fn()
    t = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t) / n * 1e6


def kib_each(fn: Callable[[], object], n: int = 200) -> float:
    tracemalloc.start()
    keep = [fn() for _ in range(n)]
    size, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del keep
    return size / n / 1024


class NoEffects:
    """Effects that do nothing: what is left is the library's own work."""

    def may_fire(self) -> bool:
        return True

    def reopen_tasks(self, phase: str) -> None:
        pass

    def close(self, phase: str) -> None:
        pass

    def record(self, source: str, dest: str) -> None:
        pass

    def create_area(self, create: CreateAreaDef) -> None:
        pass


def main() -> None:
    shared = StateMachine(WF)
    print("transitions.Machine: one per area vs one shared per workflow version")
    print("-" * 78)
    for label, fn in (
        ("Machine per area, auto_transitions=True", per_area_machine(True)),
        ("Machine per area, auto_transitions=False", per_area_machine(False)),
    ):
        print(f"  {label:44} build {per_op_us(fn, 500):8.0f} us   {kib_each(fn):6.1f} KiB each")
    fx = NoEffects()
    fire_us = per_op_us(lambda: shared.fire("auswertung", "resume", fx), 20000)
    print(
        f"  {'shared Machine: fire with callbacks':44} fire  {fire_us:8.1f} us   "
        "(one Machine per workflow version in memory)"
    )
    by_hand = per_op_us(lambda: WF.transition("resume", "auswertung"), 20000)
    print(f"  {'by hand: look the transition up, no effects':44} fire  {by_hand:8.1f} us")
    print(
        "  the engine fires through the shared machine (regsam_flow/machine.py); an\n"
        "  Engine.fire on SQLite costs milliseconds (benchmarks/bench_core.py part 1)"
    )


if __name__ == "__main__":
    main()
