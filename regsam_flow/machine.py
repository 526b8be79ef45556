"""The state machines, built on the ``transitions`` library.

The library carries the machine's semantics: which transition a trigger
takes from a phase, whether it may be taken (its condition), and what taking
it does, in the library's order of callbacks:

1. ``conditions``: the engine's verdict.  ``transitions`` stops at the first
   failing condition and says only "no"; people need *every* blocker listed,
   so the engine evaluates all guards first and the one condition asks
   whether that list came back empty.
2. ``on_enter`` of the new phase: the effects the workflow's phases declare.
   A phase with tasks opens its done tasks again (a phase entered anew starts
   its work anew); a final phase drops the area's pending reminders.
3. ``after`` the transition: the move is recorded (the area's change set and
   its audit entry); then, if the new phase declares ``create_area``, the
   area it names is created (after the record, so the log shows the move
   before its consequence).

Which callbacks a machine has is read off the workflow definition when the
machine is built; the engine supplies what they do as an :class:`Effects`
for each firing.  Everything runs inside the engine's unit of work: an
effect that raises leaves nothing written.

One machine serves every area of one workflow version: building a machine
per area costs far more than the whole transition
(``benchmarks/machine_choice.py``).  A firing does not add a model to the
shared machine: it hands the library's event a short-lived model at the
area's stored state (what the trigger methods the library adds to a model
do), so firings in several threads share nothing mutable.

``transitions`` is imported when the first machine is built (on the first
fire), not with this module: commands that only read never need it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .workflows import CreateAreaDef, Workflow

__all__ = ["Effects", "MachineCache", "StateMachine"]


class Effects(Protocol):
    """What firing a transition does to one area; called by the machine."""

    def may_fire(self) -> bool:
        """The condition: True when no guard blocks the transition."""
        ...

    def reopen_tasks(self, phase: str) -> None:
        """Entering ``phase``, which has tasks: its done tasks open again."""
        ...

    def close(self, phase: str) -> None:
        """Entering the final ``phase``: the area's pending reminders go."""
        ...

    def record(self, source: str, dest: str) -> None:
        """After the move: write the area's change and its audit entry."""
        ...

    def create_area(self, create: CreateAreaDef) -> None:
        """After the move into a phase that creates an area: create it."""
        ...


class _Firing:
    """The model ``transitions`` moves for one firing: the area's state and
    the effects to run."""

    def __init__(self, state: str, effects: Effects) -> None:
        self.state = state
        self.effects = effects


def _may_fire(event: Any) -> bool:
    return bool(event.model.effects.may_fire())


def _reopen_tasks(event: Any) -> None:
    event.model.effects.reopen_tasks(event.state.name)


def _close(event: Any) -> None:
    event.model.effects.close(event.state.name)


def _record(event: Any) -> None:
    event.model.effects.record(event.transition.source, event.transition.dest)


class StateMachine:
    """One workflow version's machine, shared by all its areas."""

    def __init__(self, workflow: Workflow) -> None:
        from transitions import Machine

        d = workflow.definition
        self.workflow = workflow
        states = []
        for s in d.states:
            on_enter: list[Any] = []
            if s.tasks:
                on_enter.append(_reopen_tasks)
            if s.final:
                on_enter.append(_close)
            states.append({"name": s.id, "on_enter": on_enter})
        self._machine = Machine(
            model=None,
            states=states,
            initial=d.initial,
            auto_transitions=False,
            ignore_invalid_triggers=False,
            send_event=True,
        )
        for t in d.transitions:
            after: list[Any] = [_record]
            create = workflow.state(t.dest).create_area
            if create is not None:
                after.append(_creator(create))
            self._machine.add_transition(
                t.trigger, list(t.source), t.dest, conditions=[_may_fire], after=after
            )

    def fire(self, state: str, trigger: str, effects: Effects) -> str | None:
        """Fire ``trigger`` from ``state`` with ``effects``: the new state, or
        None if the condition refused (then no effect ran)."""
        model = _Firing(state, effects)
        fired = self._machine.events[trigger].trigger(model)
        return model.state if fired else None


def _creator(create: CreateAreaDef) -> Any:
    def create_area(event: Any) -> None:
        event.model.effects.create_area(create)

    return create_area


class MachineCache:
    """Machines by workflow (name, version), built on first use."""

    def __init__(self) -> None:
        self._machines: dict[tuple[str, int], StateMachine] = {}

    def get(self, workflow: Workflow) -> StateMachine:
        m = self._machines.get(workflow.key)
        if m is None or m.workflow is not workflow:
            m = self._machines[workflow.key] = StateMachine(workflow)
        return m
