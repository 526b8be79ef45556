"""Transitions: why-not, firing, approvals, status."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import (
    BlockedError,
    Blocker,
    ConflictError,
    InvalidInputError,
    NotAllowedError,
)
from ..guards import KG_GUARDS, NO_KG_FACTS, GuardContext
from ..i18n import _
from ..kg import KgFacts
from ..model import (
    Approval,
    AreaAggregate,
    AreaChange,
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
from .access import aggregate_for, area_for, expect, pick_role
from .catalogue import kg_facts_in
from .context import EngineContext, Tx
from .creation import create_from
from .suggest import did_you_mean
from .tasks import task_rows

__all__ = [
    "TransitionService",
    "apply",
    "evaluate",
    "field_blockers",
    "fire_in",
    "kg_for",
    "next_steps",
]


class TransitionService:
    """Transitions: why-not, firing, approvals, status."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx

    # ------------------------------------------------------------ transitions
    def why(self, area_id: str, *, actor: str) -> list[NextStep]:
        """Every transition out of the current phase, for ``actor``: allowed or
        not, with all blockers."""
        with self.ctx.read() as uow:
            agg, roles = aggregate_for(self.ctx, uow, area_id, actor)
            kg = kg_for(uow, self.ctx.workflow(agg.area), agg.area.id, agg.area.state)
        return next_steps(self.ctx, agg, actor, roles, kg)

    def advance(
        self, area_id: str, *, actor: str, reason: str = "", expected_version: int | None = None
    ) -> FireResult:
        """Fire the forward transition of the area's current phase."""
        with self.ctx.read() as uow:
            area = area_for(self.ctx, uow, area_id, actor)[0]
        wf = self.ctx.workflow(area)
        t = wf.advance_from(area.state)
        if t is None:
            raise BlockedError(
                _("area '{area}' is {state}: there is no next phase").format(
                    area=area_id, state=area.state
                ),
                [
                    Blocker(
                        "no_forward_transition",
                        _("phase {state} has no forward transition").format(state=area.state),
                    )
                ],
                area=area_id,
            )
        with self.ctx.write() as tx:
            return fire_in(
                tx,
                area_id,
                t.trigger,
                actor=actor,
                reason=reason,
                expected_version=area.version if expected_version is None else expected_version,
                expected_state=area.state,
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
    ) -> FireResult:
        """Fire a named transition (see :meth:`Engine.fire`)."""
        with self.ctx.write() as tx:
            return fire_in(
                tx,
                area_id,
                trigger,
                actor=actor,
                reason=reason,
                role=role,
                expected_version=expected_version,
            )

    # ----------------------------------------------------------------- status
    def status(self, area_id: str, *, actor: str) -> AreaStatus:
        """Phase, people by role, agreement, tasks and next steps with blockers."""
        with self.ctx.read() as uow:
            agg, roles = aggregate_for(self.ctx, uow, area_id, actor)
            wf = self.ctx.workflow(agg.area)
            votes = uow.get_votes(area_id) if wf.definition.fields else []
            kg = kg_for(uow, wf, area_id, agg.area.state)
        by_role: dict[str, list[str]] = {r: [] for r in wf.definition.roles}
        for r, p in agg.assignments:
            by_role.setdefault(r, []).append(p)
        return AreaStatus(
            area=agg.area,
            workflow_title=wf.definition.title,
            state_title=wf.state(agg.area.state).title,
            final=wf.is_final(agg.area.state),
            roles=by_role,
            agreement=agg.agreement,
            tasks=task_rows(wf, agg.tasks, None),
            next=next_steps(self.ctx, agg, actor, roles, kg),
            viewer_roles=tuple(sorted(roles)),
            fields=dict(agg.fields) if wf.definition.fields else {},
            votes=votes,
        )


def kg_for(uow: UnitOfWork, wf: Workflow, area_id: str, state: str) -> KgFacts:
    """The KG's facts of the area if a transition of ``wf`` out of ``state``
    names a KG guard (:data:`~regsam_flow.guards.KG_GUARDS`); otherwise
    empty facts, read for nothing."""
    if not any(KG_GUARDS & set(t.guards) for t in wf.transitions_from(state)):
        return NO_KG_FACTS
    return kg_facts_in(uow, area_id)


def next_steps(
    ctx: EngineContext,
    agg: AreaAggregate,
    actor: str,
    roles: frozenset[str],
    kg: KgFacts = NO_KG_FACTS,
) -> list[NextStep]:
    """Every transition out of the area's state, for ``actor`` holding
    ``roles``: decided in memory on the loaded aggregate and the KG's facts
    ``kg`` (see :func:`kg_for`)."""
    area = agg.area
    wf = ctx.workflow(area)
    outgoing = wf.transitions_from(area.state)
    if not outgoing:
        return []
    steps = []
    for t in outgoing:
        blockers, given, mine = evaluate(ctx, agg, wf, t, actor, roles, kg)
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


def evaluate(
    ctx: EngineContext,
    agg: AreaAggregate,
    wf: Workflow,
    t: TransitionDef,
    actor: str,
    roles: frozenset[str],
    kg: KgFacts = NO_KG_FACTS,
) -> tuple[list[Blocker], dict[str, str], str | None]:
    """All blockers of ``t`` for ``actor`` acting in ``roles``; the approvals
    given; the approval role the actor could give now (or None).  A
    transition that needs both parties (their approvals, or the signed
    agreement) is blocked while one person in the area holds both roles."""
    area = agg.area
    blockers: list[Blocker] = []
    if t.auto:
        vote = wf.state(area.state).vote
        seats = ", ".join(f"{n} {r}" for r, n in vote.seats) if vote else ""
        blockers.append(
            Blocker("decided_by_vote", _("decided by the vote of {seats}").format(seats=seats))
        )
    elif not roles & set(t.roles):
        blockers.append(
            Blocker(
                "role_missing",
                _("{actor} is not {roles} in this area").format(
                    actor=actor, roles=_(" or ").join(t.roles)
                ),
            )
        )
    blockers.extend(field_blockers(wf, t, agg.fields))
    facts = GuardContext(
        area, wf, t, actor, roles, agg.agreement, agg.tasks, kg, assignments=agg.assignments
    )
    for name in t.guards:
        guard = ctx.guards[name]
        blockers.extend(guard(facts) or ())  # a guard may return None: no blockers
    if set(PARTIES) <= set(t.approvals) or "agreement_signed" in t.guards:
        blockers.extend(both_roles(agg.assignments))
    given = dict(agg.approvals.get(t.trigger, {}))
    missing = [r for r in t.approvals if r not in given]
    mine = next((r for r in missing if r in roles and r in t.roles), None)
    if mine is not None and mine in PARTIES:
        twice = second_approval(given, actor, t.trigger)
        blockers.extend(twice)
        mine = None if twice else mine
    for r in missing:
        text = (
            _("approval of {role} missing (yours to give)")
            if r == mine
            else _("approval of {role} missing")
        )
        blockers.append(Blocker("approval_missing", text.format(role=r)))
    return blockers, given, mine


def fire_in(
    tx: Tx,
    area_id: str,
    trigger: str,
    *,
    actor: str,
    reason: str = "",
    role: str | None = None,
    expected_version: int | None = None,
    expected_state: str | None = None,
) -> FireResult:
    """Fire a named transition in the unit of work ``tx`` (see
    :meth:`TransitionService.fire`); ``expected_state``: refuse if the area
    has left that phase meanwhile."""
    reason = check_text(reason, "reason", max_len=2000)
    agg, roles = aggregate_for(tx.ctx, tx.uow, area_id, actor)
    area = agg.area
    expect(area, expected_version)
    if expected_state is not None and area.state != expected_state:
        raise ConflictError(
            _("area '{area}' moved to {state} meanwhile; nothing was written").format(
                area=area_id, state=area.state
            ),
            area=area_id,
        )
    wf = tx.ctx.workflow(area)
    t = wf.transition(trigger, area.state)
    if t is None:
        if not wf.has_trigger(trigger):
            triggers = sorted({x.trigger for x in wf.definition.transitions})
            raise InvalidInputError(
                _(
                    "workflow {workflow} has no transition '{trigger}'{suggestion} "
                    "(it has: {triggers})"
                ).format(
                    workflow=wf.name,
                    trigger=trigger,
                    triggers=", ".join(triggers),
                    suggestion=did_you_mean(trigger, triggers),
                ),
                field="trigger",
            )
        raise BlockedError(
            _("'{trigger}' is not possible from phase {state}").format(
                trigger=trigger, state=area.state
            ),
            [
                Blocker(
                    "wrong_state",
                    _("'{trigger}' does not start from {state}").format(
                        trigger=trigger, state=area.state
                    ),
                )
            ],
            area=area_id,
            trigger=trigger,
        )
    if role is not None and role not in roles:
        raise NotAllowedError(
            _("{actor} is not {role} in '{area}'").format(actor=actor, role=role, area=area_id),
            actor=actor,
            area=area_id,
        )
    acting_roles = frozenset([role]) if role else roles
    kg = kg_for(tx.uow, wf, area_id, area.state) if KG_GUARDS & set(t.guards) else NO_KG_FACTS
    blockers, given, mine = evaluate(tx.ctx, agg, wf, t, actor, acting_roles, kg)
    if t.reason_required and not reason:
        blockers.append(
            Blocker("reason_required", _("'{trigger}' needs a reason").format(trigger=trigger))
        )
    hard = [b for b in blockers if b.code != "approval_missing"]
    if any(b.code in ("role_missing", "decided_by_vote") for b in hard):
        raise NotAllowedError(
            (
                _("{actor} may not fire '{trigger}' in '{area}': it follows from the vote")
                if t.auto
                else _("{actor} may not fire '{trigger}' in '{area}': that needs the role {roles}")
            ).format(actor=actor, trigger=trigger, area=area_id, roles=_(" or ").join(t.roles)),
            actor=actor,
            area=area_id,
            blockers=blockers,
        )
    if hard:
        raise BlockedError(
            _("'{trigger}' is blocked in '{area}'").format(trigger=trigger, area=area_id),
            blockers,
            area=area_id,
            trigger=trigger,
        )
    acted_as = mine or pick_role(acting_roles, t.roles)
    missing = [r for r in t.approvals if r not in given and r != mine]
    if mine is None and missing:
        raise BlockedError(
            _("'{trigger}' waits for other approvals").format(trigger=trigger),
            blockers,
            area=area_id,
            trigger=trigger,
        )
    approval = None
    if mine is not None:
        approval = Approval(area.round, trigger, mine, actor)
        given[mine] = actor
    if missing:
        tx.uow.save_area(
            AreaChange(area_id, area.version, area.state, area.round, tx.now, approval=approval)
        )
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
    return apply(tx, agg, wf, t, actor, acted_as, reason, details, approval)


def apply(
    tx: Tx,
    agg: AreaAggregate,
    wf: Workflow,
    t: TransitionDef,
    actor: str,
    role: str,
    reason: str,
    details: dict[str, Any],
    approval: Approval | None = None,
) -> FireResult:
    """Move the area along ``t`` (guards already passed): the workflow's state
    machine fires it and runs its effects (:mod:`regsam_flow.machine`), which
    write the area's change set, its audit entry and any area it creates;
    ``approval`` is the last approval, saved with the move."""
    area = agg.area
    move = _Move(tx, agg, wf, t, actor, role, reason, details, approval)
    dest = tx.ctx.machines.get(wf).fire(area.state, t.trigger, move)
    if dest is None or move.entry is None:  # pragma: no cover - the guards passed already
        raise BlockedError(
            _("'{trigger}' refused by the state machine").format(trigger=t.trigger),
            [],
            area=area.id,
        )
    return FireResult(area.id, t.trigger, True, area.state, dest, role, (), move.entry.seq)


class _Move:
    """The effects of one transition of one area, run by the state machine
    (:class:`regsam_flow.machine.Effects`): collected while the machine moves,
    saved as one change set when it records the move."""

    def __init__(
        self,
        tx: Tx,
        agg: AreaAggregate,
        wf: Workflow,
        t: TransitionDef,
        actor: str,
        role: str,
        reason: str,
        details: dict[str, Any],
        approval: Approval | None,
    ) -> None:
        self.tx, self.agg, self.wf, self.t = tx, agg, wf, t
        self.actor, self.role, self.reason = actor, role, reason
        self.details = {"round": agg.area.round + 1, **details}
        self.approval = approval
        self.reopened: list[str] = []
        self.closing = False
        self.entry: AuditEntry | None = None

    def may_fire(self) -> bool:
        return True  # every guard was evaluated (and all blockers listed) before

    def reopen_tasks(self, phase: str) -> None:
        tasks = self.agg.tasks
        self.reopened = [
            task.id
            for task in self.wf.tasks_of(phase)
            if (st := tasks.get(task.id)) is not None and st.done
        ]

    def close(self, phase: str) -> None:
        self.closing = True

    def record(self, source: str, dest: str) -> None:
        tx, area = self.tx, self.agg.area
        saved = tx.uow.save_area(
            AreaChange(
                area.id,
                area.version,
                dest,
                area.round + 1,
                tx.now,
                tasks=tuple(TaskStatus(task_id, False) for task_id in self.reopened),
                approval=self.approval,
                cancel_reminders=self.closing,
            )
        )
        details = self.details
        if saved.reminders_cancelled:
            details["reminders_cancelled"] = saved.reminders_cancelled
        if saved.kg_messages_cancelled:
            details["kg_mails_cancelled"] = saved.kg_messages_cancelled
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
        create_from(self.tx, self.agg.area, create, self.actor)


def field_blockers(wf: Workflow, t: TransitionDef, fields: Mapping[str, Any]) -> list[Blocker]:
    """Fields ``t`` requires that are not set, and conditions on fields it
    has that do not hold."""
    out = []
    for name in t.requires:
        if fields.get(name) in (None, ""):
            title = wf.fields[name].title if name in wf.fields else name
            out.append(
                Blocker(
                    "field_missing",
                    _("field '{field}' not set: {title}").format(field=name, title=title),
                )
            )
    for name, want in t.when:
        have = fields.get(name)
        if have is not None and have != want:
            out.append(
                Blocker(
                    "field_value",
                    _("field '{field}' is {have}, '{trigger}' needs {want}").format(
                        field=name, have=_show(have), trigger=t.trigger, want=_show(want)
                    ),
                )
            )
        elif have is None and name not in t.requires:
            out.append(Blocker("field_missing", _("field '{field}' not set").format(field=name)))
    return out


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)
