"""Transitions: why-not, firing, approvals, status."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from typing import Any

from ..errors import (
    BlockedError,
    Blocker,
    ConflictError,
    NotAllowedError,
    NotFoundError,
)
from ..guards import GuardContext
from ..model import (
    Agreement,
    Area,
    AreaStatus,
    AuditEntry,
    FireResult,
    NextStep,
    TaskStatus,
)
from ..parties import PARTIES, both_roles, second_approval
from ..ports import UnitOfWork
from ..validation import check_text
from ..workflows import CreateAreaDef, TransitionDef, Workflow
from .base import _Tx, pick_role
from .creation import CreationOps
from .tasks import task_rows


class TransitionOps(CreationOps):
    """Transitions: why-not, firing, approvals, status."""

    # ------------------------------------------------------------ transitions
    def why(self, area_id: str, *, actor: str) -> list[NextStep]:
        """Every transition out of the current phase, for ``actor``: allowed or
        not, with all blockers."""
        with self._read() as uow:
            area, _p, roles, assignments = self._area_for(uow, area_id, actor)
            return self._next_steps(uow, area, actor, roles, assignments)

    def _next_steps(
        self,
        uow: UnitOfWork,
        area: Area,
        actor: str,
        roles: frozenset[str],
        assignments: Sequence[tuple[str, str]],
        agreement: Agreement | None = None,
        tasks: Mapping[str, TaskStatus] | None = None,
    ) -> list[NextStep]:
        """Every transition out of the area's state; ``agreement`` and ``tasks``
        are read if not given."""
        wf = self._workflow(area)
        outgoing = wf.transitions_from(area.state)
        if not outgoing:
            return []
        if agreement is None:
            agreement = uow.get_agreement(area.id)
        if tasks is None:
            tasks = uow.get_tasks(area.id)
        fields = uow.get_fields(area.id) if wf.definition.fields else {}
        approvals = uow.get_approvals(area.id, area.round)
        steps = []
        for t in outgoing:
            blockers, given, mine = self._evaluate(
                area, wf, t, actor, roles, assignments, agreement, tasks, approvals, fields
            )
            allowed = not [b for b in blockers if b.code != "approval_missing"] and (
                len([b for b in blockers if b.code == "approval_missing"]) <= (1 if mine else 0)
            )
            steps.append(
                NextStep(
                    t.trigger,
                    t.title or t.trigger,
                    t.dest,
                    allowed,
                    tuple(blockers),
                    t.reason_required,
                    t.advance,
                    t.approvals,
                    given,
                )
            )
        return steps

    def _evaluate(
        self,
        area: Area,
        wf: Workflow,
        t: TransitionDef,
        actor: str,
        roles: frozenset[str],
        assignments: Sequence[tuple[str, str]],
        agreement: Agreement | None,
        tasks: Mapping[str, TaskStatus],
        approvals: Mapping[str, Mapping[str, str]],
        fields: Mapping[str, Any] | None = None,
    ) -> tuple[list[Blocker], dict[str, str], str | None]:
        """All blockers of ``t`` for ``actor``; the approvals given; the approval
        role the actor could give now (or None).  A transition that needs both
        parties (their approvals, or the signed agreement) is blocked while one
        person in the area holds both roles."""
        blockers: list[Blocker] = []
        if t.auto:
            vote = wf.state(area.state).vote
            seats = ", ".join(f"{n} {r}" for r, n in vote.seats) if vote else ""
            blockers.append(Blocker("decided_by_vote", f"decided by the vote of {seats}"))
        elif not roles & set(t.roles):
            blockers.append(
                Blocker("role_missing", f"{actor} is not {' or '.join(t.roles)} in this area")
            )
        blockers.extend(field_blockers(wf, t, fields or {}))
        ctx = GuardContext(area, wf, t, actor, roles, agreement, tasks)
        for name in t.guards:
            guard = self._guards[name]
            blockers.extend(guard(ctx) or ())  # a guard may return None: no blockers
        if set(PARTIES) <= set(t.approvals) or "agreement_signed" in t.guards:
            blockers.extend(both_roles(assignments))
        given = dict(approvals.get(t.trigger, {}))
        missing = [r for r in t.approvals if r not in given]
        mine = next((r for r in missing if r in roles and r in t.roles), None)
        if mine is not None and mine in PARTIES:
            twice = second_approval(given, actor, t.trigger)
            blockers.extend(twice)
            mine = None if twice else mine
        for r in missing:
            suffix = " (yours to give)" if r == mine else ""
            blockers.append(Blocker("approval_missing", f"approval of {r} missing{suffix}"))
        return blockers, given, mine

    def advance(
        self, area_id: str, *, actor: str, reason: str = "", expected_version: int | None = None
    ) -> FireResult:
        """Fire the forward transition of the area's current phase."""
        with self._read() as uow:
            area = self._area_for(uow, area_id, actor)[0]
        wf = self._workflow(area)
        t = wf.advance_from(area.state)
        if t is None:
            raise BlockedError(
                f"area '{area_id}' is {area.state}: there is no next phase",
                [Blocker("no_forward_transition", f"phase {area.state} has no forward transition")],
                area=area_id,
            )
        return self.fire(
            area_id,
            t.trigger,
            actor=actor,
            reason=reason,
            expected_version=area.version if expected_version is None else expected_version,
            _expected_state=area.state,
        )

    def fire(
        self,
        area_id: str,
        trigger: str,
        *,
        actor: str,
        reason: str = "",
        role: str | None = None,
        expected_version: int | None = None,
        _expected_state: str | None = None,
        _tx: _Tx | None = None,
    ) -> FireResult:
        """Fire a named transition.  For a transition that needs several
        approvals this records the actor's and fires once all are given;
        the result's ``missing`` names who is still to approve."""
        reason = check_text(reason, "reason", max_len=2000)
        with nullcontext(_tx) if _tx is not None else self._write() as tx:
            area, _p, roles, assignments = self._area_for(tx.uow, area_id, actor)
            self._expect(area, expected_version)
            if _expected_state is not None and area.state != _expected_state:
                raise ConflictError(
                    f"area '{area_id}' moved to {area.state} meanwhile; nothing was written",
                    area=area_id,
                )
            wf = self._workflow(area)
            t = wf.transition(trigger, area.state)
            if t is None:
                if not wf.has_trigger(trigger):
                    triggers = sorted({x.trigger for x in wf.definition.transitions})
                    raise NotFoundError(
                        f"workflow {wf.name} has no transition '{trigger}' (it has: "
                        f"{', '.join(triggers)})",
                        kind="transition",
                        key=trigger,
                    )
                raise BlockedError(
                    f"'{trigger}' is not possible from phase {area.state}",
                    [Blocker("wrong_state", f"'{trigger}' does not start from {area.state}")],
                    area=area_id,
                    trigger=trigger,
                )
            if role is not None and role not in roles:
                raise NotAllowedError(
                    f"{actor} is not {role} in '{area_id}'", actor=actor, area=area_id
                )
            acting_roles = frozenset([role]) if role else roles
            approvals = tx.uow.get_approvals(area_id, area.round)
            tasks = tx.uow.get_tasks(area_id)
            blockers, given, mine = self._evaluate(
                area,
                wf,
                t,
                actor,
                acting_roles,
                assignments,
                tx.uow.get_agreement(area_id),
                tasks,
                approvals,
                tx.uow.get_fields(area_id) if wf.definition.fields else {},
            )
            if t.reason_required and not reason:
                blockers.append(Blocker("reason_required", f"'{trigger}' needs a reason"))
            hard = [b for b in blockers if b.code != "approval_missing"]
            if any(b.code in ("role_missing", "decided_by_vote") for b in hard):
                raise NotAllowedError(
                    f"{actor} may not fire '{trigger}' in '{area_id}': "
                    + (
                        "it follows from the vote"
                        if t.auto
                        else f"that needs the role {' or '.join(t.roles)}"
                    ),
                    actor=actor,
                    area=area_id,
                    blockers=blockers,
                )
            if hard:
                raise BlockedError(
                    f"'{trigger}' is blocked in '{area_id}'",
                    blockers,
                    area=area_id,
                    trigger=trigger,
                )
            acted_as = mine or pick_role(acting_roles, t.roles)
            missing = [r for r in t.approvals if r not in given and r != mine]
            if mine is not None:
                tx.uow.add_approval(area_id, area.round, trigger, mine, actor, tx.now)
                given[mine] = actor
            elif missing:
                raise BlockedError(
                    f"'{trigger}' waits for other approvals",
                    blockers,
                    area=area_id,
                    trigger=trigger,
                )
            if missing:
                self._bump(tx, area)
                entry = tx.audit(
                    "approval",
                    actor=actor,
                    role=mine or "",
                    area=area_id,
                    action="approval",
                    trigger=trigger,
                    from_state=area.state,
                    reason=reason,
                    details={"missing": missing, "given": sorted(given)},
                )
                return FireResult(
                    area_id,
                    trigger,
                    False,
                    area.state,
                    area.state,
                    acted_as,
                    tuple(missing),
                    entry.seq,
                )
            details: dict[str, Any] = {}
            if t.approvals:
                details["approvals"] = given
            return self._apply(tx, area, wf, t, actor, acted_as, reason, tasks, details)

    def _apply(
        self,
        tx: _Tx,
        area: Area,
        wf: Workflow,
        t: TransitionDef,
        actor: str,
        role: str,
        reason: str,
        tasks: Mapping[str, TaskStatus],
        details: dict[str, Any],
    ) -> FireResult:
        """Move the area along ``t`` (guards already passed): the workflow's
        state machine fires it and runs its effects (see :mod:`..machine`)."""
        move = _Move(self, tx, area, wf, t, actor, role, reason, tasks, details)
        dest = self._machines.get(wf).fire(area.state, t.trigger, move)
        if dest is None or move.entry is None:  # pragma: no cover - the guards passed already
            raise BlockedError(f"'{t.trigger}' refused by the state machine", [], area=area.id)
        return FireResult(area.id, t.trigger, True, area.state, dest, role, (), move.entry.seq)

    # ----------------------------------------------------------------- status
    def status(self, area_id: str, *, actor: str) -> AreaStatus:
        """Phase, people by role, agreement, tasks and next steps with blockers."""
        with self._read() as uow:
            area, _p, roles, assignments = self._area_for(uow, area_id, actor)
            wf = self._workflow(area)
            by_role: dict[str, list[str]] = {r: [] for r in wf.definition.roles}
            for r, p in assignments:
                by_role.setdefault(r, []).append(p)
            agreement = uow.get_agreement(area_id)
            tasks = uow.get_tasks(area_id)
            return AreaStatus(
                area=area,
                workflow_title=wf.definition.title,
                state_title=wf.state(area.state).title,
                final=wf.is_final(area.state),
                roles=by_role,
                agreement=agreement,
                tasks=task_rows(wf, tasks, None),
                next=self._next_steps(uow, area, actor, roles, assignments, agreement, tasks),
                viewer_roles=tuple(sorted(roles)),
                fields=uow.get_fields(area_id) if wf.definition.fields else {},
                votes=uow.get_votes(area_id) if wf.definition.fields else [],
            )


class _Move:
    """The effects of one transition of one area, run by the state machine
    (:class:`regsam_flow.machine.Effects`): collected while the machine moves,
    written as one change when it records the move."""

    def __init__(
        self,
        ops: TransitionOps,
        tx: _Tx,
        area: Area,
        wf: Workflow,
        t: TransitionDef,
        actor: str,
        role: str,
        reason: str,
        tasks: Mapping[str, TaskStatus],
        details: dict[str, Any],
    ) -> None:
        self.ops, self.tx, self.area, self.wf, self.t = ops, tx, area, wf, t
        self.actor, self.role, self.reason = actor, role, reason
        self.tasks = tasks
        self.details = {"round": area.round + 1, **details}
        self.reopened: list[str] = []
        self.closing = False
        self.entry: AuditEntry | None = None

    def may_fire(self) -> bool:
        return True  # the engine evaluated every guard before firing

    def reopen_tasks(self, phase: str) -> None:
        self.reopened = [
            task.id
            for task in self.wf.tasks_of(phase)
            if (st := self.tasks.get(task.id)) is not None and st.done
        ]

    def close(self, phase: str) -> None:
        self.closing = True

    def record(self, source: str, dest: str) -> None:
        tx, area = self.tx, self.area
        for task_id in self.reopened:
            tx.uow.put_task(area.id, TaskStatus(task_id, False))
        tx.uow.update_area(area.id, area.version, state=dest, round=area.round + 1, at=tx.now)
        details = self.details
        if self.closing:
            cancelled = tx.uow.cancel_reminders(area.id)
            if cancelled:
                details["reminders_cancelled"] = cancelled
        if self.reopened:
            details["reopened_tasks"] = self.reopened
        self.entry = tx.audit(
            "transition",
            actor=self.actor,
            role=self.role,
            area=area.id,
            action="transition",
            trigger=self.t.trigger,
            from_state=source,
            to_state=dest,
            reason=self.reason,
            details=details,
        )

    def create_area(self, create: CreateAreaDef) -> None:
        self.ops._create_from(self.tx, self.area, create, self.actor)


def field_blockers(wf: Workflow, t: TransitionDef, fields: Mapping[str, Any]) -> list[Blocker]:
    """Fields ``t`` requires that are not set, and conditions on fields it
    has that do not hold."""
    out = []
    for name in t.requires:
        if fields.get(name) in (None, ""):
            title = wf.fields[name].title if name in wf.fields else name
            out.append(Blocker("field_missing", f"field '{name}' not set: {title}"))
    for name, want in t.when:
        have = fields.get(name)
        if have is not None and have != want:
            out.append(
                Blocker(
                    "field_value",
                    f"field '{name}' is {_show(have)}, '{t.trigger}' needs {_show(want)}",
                )
            )
        elif have is None and name not in t.requires:
            out.append(Blocker("field_missing", f"field '{name}' not set"))
    return out


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
