"""Guards: named checks a workflow file attaches to transitions.

A guard looks at a :class:`GuardContext` and returns every :class:`Blocker`
it finds (none means it passes).  Guards check *process* steps (an agreement
signed, tasks reported), never outcomes.  Embedders register their own under
a name a workflow file can use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from .errors import Blocker
from .model import AGREEMENT_SIGNERS, Agreement, Area, TaskStatus
from .parties import same_signer
from .workflows import TransitionDef, Workflow

__all__ = ["BUILTIN_GUARDS", "Guard", "GuardContext", "agreement_signed", "required_tasks_done"]


@dataclass(frozen=True)
class GuardContext:
    """What a guard may look at."""

    area: Area
    workflow: Workflow
    transition: TransitionDef
    actor: str
    actor_roles: frozenset[str]
    agreement: Agreement | None
    tasks: Mapping[str, TaskStatus]


Guard = Callable[[GuardContext], Iterable[Blocker]]


def agreement_signed(ctx: GuardContext) -> list[Blocker]:
    """The cooperation agreement is complete and signed by both parties, as two
    different people."""
    ag = ctx.agreement
    if ag is None:
        return [Blocker("agreement_missing", "no cooperation agreement yet")]
    out = []
    missing = ag.missing_fields()
    if missing:
        out.append(Blocker("agreement_incomplete", "agreement lacks: " + ", ".join(missing)))
    for role in AGREEMENT_SIGNERS:
        if role not in ag.signatures:
            out.append(Blocker("agreement_unsigned", f"agreement not yet signed by {role}"))
    out.extend(same_signer(ag.signatures))
    return out


def required_tasks_done(ctx: GuardContext) -> list[Blocker]:
    """Every required task of the current phase is reported done."""
    out = []
    for task in ctx.workflow.tasks_of(ctx.area.state):
        if task.required:
            status = ctx.tasks.get(task.id)
            if status is None or not status.done:
                out.append(
                    Blocker("task_open", f"required task '{task.id}' not reported: {task.title}")
                )
    return out


BUILTIN_GUARDS: dict[str, Guard] = {
    "agreement_signed": agreement_signed,
    "required_tasks_done": required_tasks_done,
}
