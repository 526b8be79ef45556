"""The state machines, built on the ``transitions`` library.

One :class:`transitions.Machine` serves every area of one workflow version:
building a machine per area costs far more than the whole transition.  To
fire, the engine adds a short-lived model at the area's stored state, fires
the trigger, reads the new state and removes the model again.

``transitions`` calls a condition and, when it fails, silently returns False;
so the engine evaluates every guard itself first (to list *all* blockers) and
the machine's only condition asks whether that list is empty.

``transitions`` is imported when the first machine is built (on the first
fire), not with this module: commands that only read never need it.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .workflows import Workflow

__all__ = ["MachineCache", "StateMachine"]


class _AreaModel:
    """The model ``transitions`` moves: a state and the precomputed verdict."""

    state: str

    def __init__(self, clear: bool) -> None:
        self._clear = clear

    def is_clear(self, *_args: Any, **_kwargs: Any) -> bool:
        return self._clear


class StateMachine:
    """One workflow version's machine, shared by all its areas."""

    def __init__(self, workflow: Workflow) -> None:
        from transitions import Machine

        d = workflow.definition
        self.workflow = workflow
        self._lock = threading.Lock()
        self._machine = Machine(
            model=None,
            states=[s.id for s in d.states],
            initial=d.initial,
            auto_transitions=False,
            ignore_invalid_triggers=False,
        )
        for t in d.transitions:
            self._machine.add_transition(t.trigger, list(t.source), t.dest, conditions=["is_clear"])

    def fire(self, state: str, trigger: str, clear: bool = True) -> str | None:
        """The state after firing ``trigger`` from ``state``; None if refused."""
        model = _AreaModel(clear)
        with self._lock:
            self._machine.add_model(model, initial=state)
            try:
                fired = getattr(model, "trigger")(trigger)  # noqa: B009  (added by transitions)
            finally:
                self._machine.remove_model(model)
        return model.state if fired else None


class MachineCache:
    """Machines by workflow (name, version), built on first use."""

    def __init__(self) -> None:
        self._machines: dict[tuple[str, int], StateMachine] = {}

    def get(self, workflow: Workflow) -> StateMachine:
        m = self._machines.get(workflow.key)
        if m is None or m.workflow is not workflow:
            m = self._machines[workflow.key] = StateMachine(workflow)
        return m
