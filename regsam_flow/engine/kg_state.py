"""The KG's state of an area at a glance (:class:`~regsam_flow.kg.KgState`),
read for ``area show`` and ``why``."""

from __future__ import annotations

from datetime import date

from ..dates import BERLIN
from ..guards import KG_GUARDS
from ..kg import KgState
from ..ports import UnitOfWork
from ..workflows import Workflow
from .access import area_for
from .catalogue import kg_facts_in
from .context import EngineContext
from .orders import CLOSED_STATUSES, is_overdue

__all__ = ["KgStateService", "kg_state_in"]


class KgStateService:
    """Reading the KG's state of an area."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx

    def kg_state(self, area_id: str, *, actor: str) -> KgState:
        """The KG's state of the area (see :meth:`Engine.kg_state`)."""
        today = self.ctx.clock.now().astimezone(BERLIN).date()
        with self.ctx.read() as uow:
            area = area_for(self.ctx, uow, area_id, actor)[0]
            return kg_state_in(uow, self.ctx.workflow(area), area_id, today)


def kg_state_in(uow: UnitOfWork, wf: Workflow, area_id: str, today: date) -> KgState:
    """The KG's state of an area, read in the caller's unit of work."""
    area = uow.get_area(area_id)
    facts = kg_facts_in(uow, area_id, final=area is not None and wf.is_final(area.state))
    meetings = uow.list_meetings(area_id)
    held = [m for m in meetings if not m.planned]
    planned = [m for m in meetings if m.planned]
    orders = uow.list_work_orders(area_id)
    guards = sorted({g for t in wf.definition.transitions for g in t.guards} & KG_GUARDS)
    return KgState(
        meetings_held=len(held),
        meetings_planned=len(planned),
        last_meeting=max(held, key=lambda m: (m.held_on, m.number), default=None),
        next_meeting=min(planned, key=lambda m: (m.held_on, m.number), default=None),
        adopted_version=facts.adopted_version,
        changed_since_adoption=facts.changed_since_adoption,
        goals=len(facts.goals),
        goals_with_measures=sum(1 for g in facts.goals if g.measures),
        goals_rated=sum(1 for g in facts.goals if g.rating is not None),
        orders_open=sum(1 for o in orders if o.status not in CLOSED_STATUSES),
        orders_overdue=sum(1 for o in orders if is_overdue(o, today)),
        orders_done=sum(1 for o in orders if o.status == "done"),
        orders_declined=sum(1 for o in orders if o.status == "declined"),
        missing_resources=len(uow.list_missing_resources(area_id)),
        final_document=facts.final_document,
        guards=tuple(guards),
    )
