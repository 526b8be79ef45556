"""Moving a running area to another deployed version of its workflow.

An area keeps the version it was created on until an admin or its
moderation moves it (``workflow migrate AREA --to VERSION``).  The plan says
what stands in the way (``problems``) and what would block the area's next
step under the target's rules; the move changes the area's workflow version,
counts it in the area's version and writes one ``workflow_migrated`` audit
entry with the plan, in one unit of work.  A dry run writes nothing.

Rules:

- only to another deployed version of the same workflow, higher or lower:
  moving back is how a migration is undone when the target's rules turn out
  unworkable, and every check below holds either way;
- the area's phase must exist in the target and not be final there; an area
  in a final phase never moves (its record is closed);
- every role held in the area must exist in the target (take the role away
  first), and every field value set must be one the target accepts;
- the area keeps its phase, round, approvals, agreement and reminders.  The
  rows of tasks the target does not know are kept, not deleted: the engine
  reads only the tasks its version defines, so they are inert, nothing that
  was recorded is destroyed, ``audit verify --deep`` finds the tables and
  the log agreeing, and a migration back finds them again.  The audit entry
  lists them (``tasks_dropped``), and the tasks only the target has
  (``tasks_new``, open).
"""

from __future__ import annotations

from dataclasses import replace

from ..errors import BlockedError, Blocker, InvalidInputError, NotAllowedError, NotFoundError
from ..guards import NO_KG_FACTS
from ..i18n import _
from ..kg import KgFacts
from ..model import AreaAggregate, AreaChange, MigrationPlan
from ..ports import UnitOfWork
from ..validation import check_text
from ..workflows import Workflow
from .access import aggregate_for, expect, person, you_are
from .catalogue import kg_facts_in
from .context import EngineContext, Tx
from .fields import parse_field_value
from .transitions import next_steps

__all__ = ["MigrationService", "plan_migration"]

#: The area role that may move its own area (besides admins).
MIGRATES = "moderation"


class MigrationService:
    """Moving running areas to another deployed version of their workflow."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx

    def migrate_area(
        self,
        area_id: str,
        to_version: int,
        *,
        actor: str,
        dry_run: bool = False,
        reason: str = "",
        workflow: str | None = None,
        expected_version: int | None = None,
    ) -> MigrationPlan:
        """The plan of moving the area to ``to_version``; unless ``dry_run``,
        the move (refused with every problem if there are any)."""
        reason = check_text(reason, "reason", max_len=2000)
        if isinstance(to_version, bool) or not isinstance(to_version, int) or to_version < 1:
            raise InvalidInputError(
                _("to_version: {value} is not a version number (1, 2, ...)").format(
                    value=repr(to_version)
                ),
                field="to_version",
            )
        if dry_run:
            with self.ctx.read() as uow:
                agg = self._allowed(uow, area_id, actor)
                roles = agg.roles_of(actor)
                kg = kg_facts_in(uow, area_id)
            return replace(self._plan(agg, to_version, actor, roles, workflow, kg), dry_run=True)
        with self.ctx.write() as tx:
            agg = self._allowed(tx.uow, area_id, actor)
            expect(agg.area, expected_version)
            kg = kg_facts_in(tx.uow, area_id)
            plan = self._plan(agg, to_version, actor, agg.roles_of(actor), workflow, kg)
            if not plan.can_move:
                raise BlockedError(
                    _(
                        "area '{area}' cannot move to {workflow} version {version}; "
                        "nothing was written (a dry run shows the whole plan)"
                    ).format(area=area_id, workflow=plan.workflow, version=to_version),
                    plan.problems,
                    area=area_id,
                )
            return _move(tx, agg, plan, actor, reason)

    def _allowed(self, uow: UnitOfWork, area_id: str, actor: str) -> AreaAggregate:
        """The area, if ``actor`` is an admin or its moderation."""
        me = person(self.ctx, uow, actor)
        agg, roles = aggregate_for(self.ctx, uow, area_id, actor)
        if not (me.admin or MIGRATES in roles):
            raise NotAllowedError(
                _(
                    "{actor} may not move area '{area}' to another workflow version: "
                    "that is for an admin or the area's moderation"
                ).format(actor=actor, area=area_id)
                + (you_are(roles) if roles else ""),
                actor=actor,
                area=area_id,
            )
        return agg

    def _plan(
        self,
        agg: AreaAggregate,
        to_version: int,
        actor: str,
        roles: frozenset[str],
        workflow: str | None,
        kg: KgFacts,
    ) -> MigrationPlan:
        source = self.ctx.workflow(agg.area)
        target: Workflow | None = None
        if (workflow is None or workflow == source.name) and to_version != source.version:
            try:
                target = self.ctx.workflows.get(source.name, to_version)
            except NotFoundError:
                self.ctx.forget_workflows()  # deployed meanwhile by another process?
                if to_version in self.ctx.workflows.versions(source.name):
                    target = self.ctx.workflows.get(source.name, to_version)
        return plan_migration(self.ctx, agg, source, target, to_version, actor, roles, workflow, kg)


def plan_migration(
    ctx: EngineContext,
    agg: AreaAggregate,
    source: Workflow,
    target: Workflow | None,
    to_version: int,
    actor: str,
    roles: frozenset[str],
    workflow: str | None = None,
    kg: KgFacts = NO_KG_FACTS,
) -> MigrationPlan:
    """What moving the area from ``source`` to ``target`` (None: not
    available, the problem says why) means, decided in memory on the
    aggregate and the KG's facts ``kg`` (what the target's KG guards see)."""
    area = agg.area
    base = MigrationPlan(
        area.id, source.name, source.version, to_version, area.state, can_move=False
    )
    if workflow is not None and workflow != source.name:
        return replace(
            base,
            problems=(
                Blocker(
                    "workflow_differs",
                    _("the area runs on workflow {workflow}; it cannot move to {other}").format(
                        workflow=source.name, other=workflow
                    ),
                ),
            ),
        )
    if to_version == source.version:
        return replace(
            base,
            problems=(
                Blocker(
                    "same_version",
                    _("the area runs on {workflow} version {version} already").format(
                        workflow=source.name, version=source.version
                    ),
                ),
            ),
        )
    if target is None:
        deployed = ", ".join(map(str, ctx.workflows.versions(source.name)))
        return replace(
            base,
            problems=(
                Blocker(
                    "version_not_deployed",
                    _(
                        "{workflow} version {version} is not deployed "
                        "(deployed: {deployed}); an admin deploys it with "
                        "`regsam-flow workflow deploy FILE`"
                    ).format(workflow=source.name, version=to_version, deployed=deployed),
                ),
            ),
        )
    problems: list[Blocker] = []
    if source.is_final(area.state):
        problems.append(
            Blocker(
                "area_final",
                _("the area is in its final phase '{state}': it stays").format(state=area.state),
            )
        )
    known = {s.id for s in target.definition.states}
    if area.state not in known:
        problems.append(
            Blocker(
                "state_missing",
                _(
                    "phase '{state}' does not exist in {workflow} version "
                    "{version} (it has: {known})"
                ).format(
                    state=area.state,
                    workflow=target.name,
                    version=target.version,
                    known=", ".join(sorted(known)),
                ),
            )
        )
    elif not source.is_final(area.state) and target.is_final(area.state):
        problems.append(
            Blocker(
                "area_final",
                _("phase '{state}' is final in version {version}").format(
                    state=area.state, version=target.version
                ),
            )
        )
    unknown_roles = tuple(
        (r, p) for r, p in agg.assignments if r not in set(target.definition.roles)
    )
    for r, p in unknown_roles:
        problems.append(
            Blocker(
                "role_not_in_target",
                _(
                    "{person} is {role}, a role version {version} does not know: take it away "
                    "first (regsam-flow area unassign {area} {role} {person})"
                ).format(person=p, role=r, version=target.version, area=area.id),
            )
        )
    for name, value in sorted(agg.fields.items()):
        f = target.fields.get(name)
        if f is None or value is None:
            continue
        try:
            parse_field_value(f, value)
        except InvalidInputError as exc:
            problems.append(
                Blocker(
                    "field_value_invalid",
                    _(
                        "field '{field}' holds {value}, which version {version} does "
                        "not accept ({problem})"
                    ).format(field=name, value=repr(value), version=target.version, problem=exc),
                )
            )
    source_tasks = {t.id for s in source.definition.states for t in s.tasks}
    target_tasks = {t.id for s in target.definition.states for t in s.tasks}
    blocked_by: tuple[Blocker, ...] = ()
    next_trigger = None
    if not problems:
        moved = replace(agg, area=replace(area, workflow_version=target.version))
        forward = target.advance_from(area.state)
        for step in next_steps(ctx, moved, actor, roles, kg):
            if forward is not None and step.trigger == forward.trigger:
                next_trigger = step.trigger
                blocked_by = tuple(b for b in step.blockers if b.code != "role_missing")
    return replace(
        base,
        can_move=not problems,
        problems=tuple(problems),
        blocked_by=blocked_by,
        next_trigger=next_trigger,
        tasks_dropped=tuple(sorted(source_tasks - target_tasks)),
        tasks_new=tuple(sorted(target_tasks - source_tasks)),
        roles_unknown=unknown_roles,
        fields_dropped=tuple(sorted(set(source.fields) - set(target.fields))),
        fields_new=tuple(sorted(set(target.fields) - set(source.fields))),
    )


def _move(
    tx: Tx, agg: AreaAggregate, plan: MigrationPlan, actor: str, reason: str
) -> MigrationPlan:
    """Write the move: the area's workflow version (its version counted)
    and the ``workflow_migrated`` audit entry with the plan."""
    area = agg.area
    saved = tx.uow.save_area(
        AreaChange(
            area.id,
            area.version,
            area.state,
            area.round,
            tx.now,
            workflow_version=plan.to_version,
        )
    )
    done = replace(plan, moved=True, version=saved.version)
    details = done.to_dict()
    for key in ("area", "phase", "can_move", "problems", "dry_run", "moved", "seq", "version"):
        details.pop(key)
    entry = tx.audit(
        "workflow",
        actor=actor,
        role="admin" if MIGRATES not in agg.roles_of(actor) else MIGRATES,
        area=area.id,
        action="workflow_migrated",
        from_state=area.state,
        to_state=area.state,
        reason=reason,
        details=details,
    )
    return replace(done, seq=entry.seq)
