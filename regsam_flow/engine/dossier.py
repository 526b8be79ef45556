"""The final documentation's data: everything an area's
:class:`~regsam_flow.kg.Dossier` shows, read in one unit of work.

Rendering it (HTML, Markdown) is an adapter's business
(:class:`~regsam_flow.ports.DocumentRenderer`, :mod:`regsam_flow.documents`);
this module only reads.  The KG's records
(meetings, catalogue, work orders, missing resources) plug in at
:func:`kg_records`.
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import audit as audit_mod
from ..kg import Dossier, KgRecords, Phase
from ..model import Agreement, Area, AuditEntry, Review
from ..ports import UnitOfWork
from ..workflows import Workflow
from .access import area_for
from .context import EngineContext

__all__ = [
    "DOSSIER_ACTIONS",
    "OUTSIDE_DOSSIER",
    "DossierService",
    "dossier_in",
    "kg_records",
    "phases_from",
]

#: The audit actions that change what an area's dossier shows: after one of
#: these, a recorded final documentation no longer shows the area as it is
#: (:attr:`~regsam_flow.kg.FinalDocument.stale`).  A transition into a
#: final state (closing the area) is the one exception: the documentation
#: is recorded before it.
DOSSIER_ACTIONS = frozenset(
    {
        "agreement_changed",
        "agreement_signed",
        "assigned",
        "unassigned",
        "meeting_recorded",
        "meeting_planned",
        "attachment_added",
        "goal_added",
        "measure_added",
        "catalogue_adopted",
        "goal_rated",
        "order_issued",
        "order_reported",
        "resource_added",
        "review_decided",
        "transition",
        "workflow_migrated",
    }
)
#: The engine's other audit actions, which leave the dossier as it is
#: (tests/test_dossier_final.py checks that every action the engine writes
#: is in one of the two sets).
OUTSIDE_DOSSIER = frozenset(
    {
        "area_created",  # before anything can be recorded
        "final_documentation_recorded",  # the newest record is the one
        "task_reported",
        "task_reopened",
        "fields_set",
        "approval",
        "vote_cast",
        "reminder_sent",
        "reminder_failed",
        "reminder_requeued",
        "reminder_restored",
        "kg_mail_sent",  # a mail about the KG's work, not the work itself
        "kg_mail_failed",
        "kg_mail_cancelled",
        "person_added",
        "person_promoted",
        "mail_preference_changed",
        "workflow_deployed",
        "signed_in",  # sign-in and tokens: about people, not areas
        "signed_out",
        "signed_out_everywhere",
        "api_token_created",
        "api_token_revoked",
    }
)


class DossierService:
    """The data of an area's final documentation."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx

    def dossier(self, area_id: str, *, actor: str) -> Dossier:
        """What the final documentation of ``area_id`` shows (see
        :meth:`Engine.dossier`); anyone who may read the area may read it."""
        with self.ctx.read() as uow:
            area, _me, _roles, assignments = area_for(self.ctx, uow, area_id, actor)
            return dossier_in(self.ctx, uow, area, assignments)


def dossier_in(
    ctx: EngineContext, uow: UnitOfWork, area: Area, assignments: Sequence[tuple[str, str]]
) -> Dossier:
    """The dossier of ``area`` (whose ``assignments`` are given), read in ``uow``."""
    area_id = area.id
    wf = ctx.workflow(area)
    newest = uow.get_agreement(area_id)
    history: list[Agreement] = []
    if newest is not None:
        for v in range(1, newest.version + 1):
            ag = uow.get_agreement(area_id, v)
            if ag is not None:
                history.append(ag)
    entries = uow.query_audit(area=area_id)
    reviews = _reviews(uow, area_id, history)
    roles: dict[str, list[str]] = {}
    for role, pid in sorted(assignments):
        roles.setdefault(role, []).append(pid)
    kg = kg_records(uow, area_id)
    ids = {p for _r, p in assignments} | _named(history, reviews, kg)
    names = []
    for pid in sorted(ids):
        p = uow.get_person(pid)
        names.append((pid, p.name if p is not None and p.name else pid))
    state = wf.states.get(area.state)
    return Dossier(
        area=area,
        workflow_title=wf.definition.title,
        state_title=state.title if state is not None else area.state,
        final=bool(state is not None and state.final),
        roles=tuple((r, tuple(ps)) for r, ps in roles.items()),
        names=tuple(names),
        agreement=newest,
        agreement_history=tuple(history),
        phases=phases_from(entries, wf),
        reviews=reviews,
        kg=kg,
        as_of=audit_mod.parse_ts(entries[-1].at) if entries else None,
    )


def kg_records(uow: UnitOfWork, area_id: str) -> KgRecords:
    """The KG's records of an area for its final documentation, read in
    ``uow``: the meetings, every adopted catalogue version (the newest as
    ``catalogue``), the goals with their ratings, the work orders and the
    missing resources."""
    versions = tuple(uow.catalogue_versions(area_id))
    return KgRecords(
        meetings=tuple(uow.list_meetings(area_id)),
        catalogue=versions[-1] if versions else None,
        catalogue_versions=versions,
        goals=tuple(uow.list_goals(area_id)),
        orders=tuple(uow.list_work_orders(area_id)),
        resources=tuple(uow.list_missing_resources(area_id)),
    )


def phases_from(entries: Sequence[AuditEntry], wf: Workflow) -> tuple[Phase, ...]:
    """The phases an area went through, from its audit entries (its
    creation and its transitions, in order): each with the time it was
    entered and left."""
    phases: list[Phase] = []
    for e in entries:
        if e.action not in ("area_created", "transition") or not e.to_state:
            continue
        at = audit_mod.parse_ts(e.at)
        if phases and phases[-1].left_at is None:
            last = phases[-1]
            phases[-1] = Phase(last.state, last.title, last.entered_at, at)
        state = wf.states.get(e.to_state)
        title = state.title if state else e.to_state
        phases.append(Phase(e.to_state, title, at, final=bool(state and state.final)))
    return tuple(phases)


def _reviews(uow: UnitOfWork, area_id: str, history: Sequence[Agreement]) -> tuple[Review, ...]:
    """The review decisions taken on the review dates the agreement named."""
    dates = sorted({ag.review for ag in history if ag.review is not None})
    found = (uow.get_review(area_id, d) for d in dates)
    return tuple(r for r in found if r is not None)


def _named(history: Sequence[Agreement], reviews: Sequence[Review], kg: KgRecords) -> set[str]:
    """Everyone the documentation names by id: signers, deciders,
    attendees, the people responsible for measures and addressed by orders."""
    ids: set[str] = {r.decided_by for r in reviews}
    for ag in history:
        ids.update(ag.signatures.values())
    for m in kg.meetings:
        ids.update(a.person for a in m.attendees if a.person)
    goals = list(kg.goals) + [g for v in kg.catalogue_versions for g in v.goals]
    for g in goals:
        ids.update(x.responsible.name for x in g.measures if x.responsible.kind == "person")
    ids.update(o.addressee.name for o in kg.orders if o.addressee.kind == "person")
    return ids
