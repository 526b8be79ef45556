"""The areas at a glance (``regsam-flow area list``): per area its phase,
the next step and who owes it, the open required tasks, the review date and
the days left; filtered by phase, by a review date within some days, and by
who owes the next step.  Read in one unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..dates import BERLIN
from ..errors import InvalidInputError
from ..i18n import _
from ..model import AGREEMENT_SIGNERS, AreaAggregate
from ..ports import UnitOfWork
from ..workflows import Workflow
from .access import person
from .context import EngineContext
from .streaming import batched_areas, streamed

__all__ = ["AreaOverview", "OverviewService"]


@dataclass(frozen=True)
class AreaOverview:
    """One row of the overview.  ``kind`` is ``selection`` for a candidate
    of a selection workflow, ``area`` for a focus area; ``next_step`` the
    trigger of the next step (its forward transition, or ""), ``owed_by``
    the people who owe it (open required tasks of their roles, a missing
    signature or approval, a vote, or the step itself) and ``owed_roles``
    their roles; ``open_tasks`` the open required tasks of the phase;
    ``review`` the agreement's review date and ``days_left`` till then
    (negative: overdue; None for final areas and areas without one)."""

    area: str
    name: str
    district: str
    workflow: str
    workflow_version: int
    kind: str
    state: str
    state_title: str
    final: bool
    next_step: str
    next_title: str
    owed_by: tuple[str, ...]
    owed_roles: tuple[str, ...]
    open_tasks: tuple[str, ...]
    review: date | None
    days_left: int | None
    version: int
    updated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``regsam-flow area list --json`` (stable English keys)."""
        return {
            "area": self.area,
            "name": self.name,
            "district": self.district,
            "workflow": self.workflow,
            "workflow_version": self.workflow_version,
            "kind": self.kind,
            "state": self.state,
            "state_title": self.state_title,
            "final": self.final,
            "next_step": self.next_step or None,
            "next_title": self.next_title or None,
            "owed_by": list(self.owed_by),
            "owed_roles": list(self.owed_roles),
            "open_tasks": list(self.open_tasks),
            "review": self.review.isoformat() if self.review else None,
            "days_left": self.days_left,
            "version": self.version,
        }


class OverviewService:
    """The areas at a glance."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx

    def known_states(self) -> list[str]:
        """Every phase of every deployed workflow version, sorted."""
        return sorted({s for wf in self.ctx.workflows.all() for s in wf.states})

    def overview(
        self,
        *,
        actor: str,
        state: str | None = None,
        review_within: int | None = None,
        owes: str | None = None,
    ) -> list[AreaOverview]:
        """The areas ``actor`` may see (admins and auditors: all), each with
        its next step and who owes it; only those in ``state`` (one of the
        deployed workflows' phases, else :class:`InvalidInputError` listing
        them), those whose review date is at most ``review_within`` days
        away (or past), those whose next step ``owes`` owes."""
        return list(
            self.iter_overview(actor=actor, state=state, review_within=review_within, owes=owes)
        )

    def iter_overview(
        self,
        *,
        actor: str,
        state: str | None = None,
        review_within: int | None = None,
        owes: str | None = None,
    ) -> Iterator[AreaOverview]:
        """The rows of :meth:`overview` one at a time as the areas are read
        (see :func:`streamed`): the input and the person are checked before
        this returns; only the ids of the person's areas are held."""
        if review_within is not None and review_within < 0:
            raise InvalidInputError(
                _("review within: give a number of days, 0 or more"), field="review_within"
            )
        today = self.ctx.clock.now().astimezone(BERLIN).date()

        def start(uow: UnitOfWork) -> Iterator[AreaOverview]:
            if state is not None:
                known = self.known_states()
                if state not in known:
                    raise InvalidInputError(
                        _("state: no workflow has a phase '{state}' (known: {known})").format(
                            state=state, known=", ".join(known)
                        ),
                        field="state",
                    )
            me = person(self.ctx, uow, actor)
            member = None if (me.admin or me.auditor) else actor
            return rows(uow, uow.area_ids(state=state, member=member))

        def rows(uow: UnitOfWork, ids: list[str]) -> Iterator[AreaOverview]:
            for agg in batched_areas(uow, ids):
                r = _row(self.ctx.workflow(agg.area), uow, agg, today)
                if (
                    review_within is None
                    or (r.days_left is not None and r.days_left <= review_within)
                ) and (owes is None or owes in r.owed_by):
                    yield r

        return streamed(self.ctx, start)


def _row(wf: Workflow, uow: UnitOfWork, agg: AreaAggregate, today: date) -> AreaOverview:
    a = agg.area
    final = wf.is_final(a.state)
    open_tasks = tuple(
        t.id
        for t in wf.tasks_of(a.state)
        if t.required and not (agg.tasks.get(t.id) and agg.tasks[t.id].done)
    )
    step = None if final else wf.advance_from(a.state)
    owed_roles: list[str] = []
    owed_by: list[str] = []
    if not final:
        owed_roles, owed_by = _owed(wf, uow, agg, open_tasks)
    ag = agg.agreement
    review = ag.review if ag is not None and not final else None
    return AreaOverview(
        area=a.id,
        name=a.name,
        district=a.district,
        workflow=a.workflow,
        workflow_version=a.workflow_version,
        kind="selection" if wf.definition.selection is not None else "area",
        state=a.state,
        state_title=wf.state(a.state).title,
        final=final,
        next_step=step.trigger if step else "",
        next_title=(step.title or step.trigger) if step else "",
        owed_by=tuple(owed_by),
        owed_roles=tuple(owed_roles),
        open_tasks=open_tasks,
        review=review,
        days_left=(review - today).days if review else None,
        version=a.version,
        updated_at=a.updated_at,
    )


def _owed(
    wf: Workflow, uow: UnitOfWork, agg: AreaAggregate, open_tasks: tuple[str, ...]
) -> tuple[list[str], list[str]]:
    """(roles, people) who owe the area's next step: the holders of the
    roles of its open required tasks; else of a signature the step needs;
    else the seats not yet voted; else of the approvals missing, or of the
    step's roles."""
    a = agg.area

    def holders(roles: list[str]) -> tuple[list[str], list[str]]:
        people = [p for r, p in agg.assignments if r in roles]
        return roles, sorted(set(people))

    if open_tasks:
        roles = [r for t in wf.tasks_of(a.state) if t.id in open_tasks for r in t.roles]
        return holders(list(dict.fromkeys(roles)))
    vote = wf.state(a.state).vote
    if vote is not None:
        voted = {v.person for v in uow.get_votes(a.id, a.round)}
        seats = [r for r, _n in vote.seats]
        people = sorted({p for r, p in agg.assignments if r in seats and p not in voted})
        return seats, people
    step = wf.advance_from(a.state) or next(
        (t for t in wf.transitions_from(a.state) if not t.auto), None
    )
    if step is None:
        return [], []
    ag = agg.agreement
    if "agreement_signed" in step.guards:
        unsigned = [r for r in AGREEMENT_SIGNERS if ag is None or r not in ag.signatures]
        if unsigned:
            return holders(unsigned)
    given = agg.approvals.get(step.trigger, {})
    missing = [r for r in step.approvals if r not in given]
    return holders(missing or list(step.roles))
