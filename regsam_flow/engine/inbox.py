"""The inbox: everything waiting for one person across all their areas.

Read in one unit of work: for each area the person holds a role in (and
that is not in a final phase), the open tasks of their roles in the current
phase, the agreement they still have to write or sign, approvals other
roles gave that wait for theirs, the vote of their seat, the decisions and
assessments of a selection that are theirs, the review decision due or
overdue, the phase they may advance now, and the KG's work orders
addressed to them (or to a role they hold).  Each :class:`InboxItem` names
the command that does it; the list is sorted by urgency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from ..dates import BERLIN
from ..i18n import _
from ..model import AGREEMENT_SIGNERS, AreaAggregate
from ..ports import UnitOfWork
from ..workflows import Workflow
from .access import person
from .context import EngineContext
from .orders import CLOSED_STATUSES
from .streaming import batched_areas
from .transitions import kg_for, next_steps

__all__ = ["INBOX_KINDS", "URGENCIES", "InboxItem", "InboxService", "urgency"]

#: What an inbox item asks for (stable codes, the JSON's "kind").
INBOX_KINDS = (
    "review",
    "order",
    "approval",
    "signature",
    "agreement",
    "vote",
    "decision",
    "assessment",
    "advance",
    "task",
)
#: How urgent an item is, most urgent first (the JSON's "urgency"):
#: past its date; due within 7 days; due within 28 days; waiting without a
#: date; an optional task.
URGENCIES = ("overdue", "due", "soon", "open", "optional")
#: Days before its date an item counts as ``due`` and as ``soon``.
DUE_DAYS = 7
SOON_DAYS = 28


def urgency(due: date | None, today: date, *, optional: bool = False) -> str:
    """The urgency of an item due on ``due`` (None: no date) as of ``today``."""
    if due is None:
        return "optional" if optional else "open"
    days = (due - today).days
    if days < 0:
        return "overdue"
    if days <= DUE_DAYS:
        return "due"
    if days <= SOON_DAYS:
        return "soon"
    return "optional" if optional else "open"


@dataclass(frozen=True)
class InboxItem:
    """One thing waiting for the caller: ``kind`` (one of :data:`INBOX_KINDS`)
    in ``area``; ``ref`` the task id, trigger or order number it is about
    (or ""); ``role`` the role it falls to; ``title`` what to do, for people
    (in the current language); ``due`` its date if it has one; ``urgency``
    (one of :data:`URGENCIES`); ``command`` the command that does it."""

    kind: str
    area: str
    area_name: str
    workflow: str
    ref: str
    role: str
    title: str
    due: date | None
    days_left: int | None
    urgency: str
    command: str

    def sort_key(self) -> tuple[int, date, int, str, str]:
        """Most urgent first; then by date, kind, area and ref."""
        return (
            URGENCIES.index(self.urgency),
            self.due or date.max,
            INBOX_KINDS.index(self.kind),
            self.area,
            self.ref,
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``regsam-flow inbox --json`` (stable English keys)."""
        return {
            "kind": self.kind,
            "area": self.area,
            "area_name": self.area_name,
            "workflow": self.workflow,
            "ref": self.ref,
            "role": self.role,
            "title": self.title,
            "due": self.due.isoformat() if self.due else None,
            "days_left": self.days_left,
            "urgency": self.urgency,
            "command": self.command,
        }


class InboxService:
    """What waits for a person across all their areas."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx

    def inbox(self, *, actor: str) -> list[InboxItem]:
        """Everything waiting for ``actor`` in the areas they hold a role in,
        most urgent first (see the module's docstring)."""
        today = self.ctx.clock.now().astimezone(BERLIN).date()
        items: list[InboxItem] = []
        with self.ctx.read() as uow:
            person(self.ctx, uow, actor)
            for agg in batched_areas(uow, uow.area_ids(member=actor)):
                wf = self.ctx.workflow(agg.area)
                if wf.is_final(agg.area.state):
                    continue
                items.extend(_Area(self.ctx, uow, agg, wf, actor, today).items())
        return sorted(items, key=InboxItem.sort_key)


class _Area:
    """The items of one area for one person."""

    def __init__(
        self,
        ctx: EngineContext,
        uow: UnitOfWork,
        agg: AreaAggregate,
        wf: Workflow,
        actor: str,
        today: date,
    ) -> None:
        self.ctx = ctx
        self.uow = uow
        self.agg = agg
        self.wf = wf
        self.actor = actor
        self.today = today
        self.roles = agg.roles_of(actor)
        self.out: list[InboxItem] = []

    def items(self) -> list[InboxItem]:
        self._tasks()
        self._agreement()
        self._review()
        self._steps()
        self._vote()
        self._selection()
        self._orders()
        return self.out

    def _add(
        self,
        kind: str,
        ref: str,
        role: str,
        title: str,
        command: str,
        due: date | None = None,
        optional: bool = False,
    ) -> None:
        area = self.agg.area
        self.out.append(
            InboxItem(
                kind=kind,
                area=area.id,
                area_name=area.name,
                workflow=area.workflow,
                ref=ref,
                role=role,
                title=title,
                due=due,
                days_left=(due - self.today).days if due else None,
                urgency=urgency(due, self.today, optional=optional),
                command=command,
            )
        )

    def _mine(self, roles: tuple[str, ...] | list[str]) -> str:
        """The first of ``roles`` the person holds here, or ""."""
        return next((r for r in roles if r in self.roles), "")

    def _tasks(self) -> None:
        a = self.agg.area
        for t in self.wf.state(a.state).tasks:
            status = self.agg.tasks.get(t.id)
            role = self._mine(t.roles)
            if not role or (status is not None and status.done):
                continue
            title = (
                _("Report the task done: {title}")
                if t.required
                else _("Report the optional task done: {title}")
            ).format(title=t.title)
            cmd = f"regsam-flow task done {a.id} {t.id}"
            self._add("task", t.id, role, title, cmd, optional=not t.required)

    def _agreement(self) -> None:
        a = self.agg.area
        role = self._mine(AGREEMENT_SIGNERS)
        if not role or self.wf.definition.selection is not None:
            return
        ag = self.agg.agreement
        needs = any("agreement_signed" in t.guards for t in self.wf.transitions_from(a.state))
        if ag is None or ag.missing_fields():
            if needs:
                missing = ", ".join(ag.missing_fields()) if ag else ""
                title = (
                    _("Complete the cooperation agreement (missing: {fields})").format(
                        fields=missing
                    )
                    if missing
                    else _("Write the cooperation agreement")
                )
                self._add("agreement", "", role, title, f"regsam-flow agreement set {a.id} ...")
            return
        for r in AGREEMENT_SIGNERS:
            if r in self.roles and r not in ag.signatures:
                title = _("Sign version {version} of the cooperation agreement").format(
                    version=ag.version
                )
                cmd = f"regsam-flow agreement sign {a.id}"
                self._add("signature", str(ag.version), r, title, cmd)
                return

    def _review(self) -> None:
        a = self.agg.area
        role = self._mine(AGREEMENT_SIGNERS)
        ag = self.agg.agreement
        if not role or ag is None or ag.review is None:
            return
        if (ag.review - self.today).days > SOON_DAYS:
            return
        if self.uow.get_review(a.id, ag.review) is not None:
            return
        title = _("Decide at the review date {date}: continue or end").format(
            date=f"{ag.review:%d.%m.%Y}"
        )
        cmd = f"regsam-flow review {a.id} --continue --next DATE | --end"
        self._add("review", ag.review.isoformat(), role, title, cmd, due=ag.review)

    def _steps(self) -> None:
        a = self.agg.area
        outgoing = [t for t in self.wf.transitions_from(a.state) if not t.auto]
        if not outgoing or not self.roles & {r for t in outgoing for r in t.roles}:
            return
        for t in outgoing:
            given = self.agg.approvals.get(t.trigger, {})
            role = self._mine([r for r in t.approvals if r not in given and r in t.roles])
            if t.approvals and given and role:
                title = _("Approve '{step}' (approved by {given})").format(
                    step=t.title or t.trigger, given=", ".join(sorted(given))
                )
                cmd = f"regsam-flow transition {a.id} {t.trigger}"
                self._add("approval", t.trigger, role, title, cmd)
        if self.wf.definition.selection is not None:
            return  # a selection's steps are assessments and decisions
        kg = kg_for(self.uow, self.wf, a.id, a.state)
        for step in next_steps(self.ctx, self.agg, self.actor, self.roles, kg):
            fwd = self.wf.transition(step.trigger, a.state)
            if (
                step.allowed
                and step.advance
                and fwd is not None
                and not self.agg.approvals.get(fwd.trigger)
            ):
                title = _("Advance to the next phase: {step}").format(step=step.title)
                cmd = f"regsam-flow advance {a.id}"
                self._add("advance", step.trigger, self._mine(fwd.roles), title, cmd)

    def _vote(self) -> None:
        a = self.agg.area
        vote = self.wf.state(a.state).vote
        if vote is None:
            return
        role = self._mine([r for r, _n in vote.seats])
        if not role:
            return
        if any(v.person == self.actor for v in self.uow.get_votes(a.id, a.round)):
            return
        title = _("Vote on the candidate {name}").format(name=a.name)
        self._add("vote", "", role, title, f"regsam-flow selection vote {a.id} yes|no")

    def _selection(self) -> None:
        sel = self.wf.definition.selection
        if sel is None:
            return
        a = self.agg.area
        decisions = dict(sel.decisions)
        if a.state in decisions:
            triggers = set(dict(decisions[a.state]).values()) if decisions[a.state] else set()
            roles = [r for t in self.wf.transitions_from(a.state) if t.trigger in triggers
                     for r in t.roles]  # fmt: skip
            role = self._mine(roles)
            if role:
                title = _("Decide on the candidate {name}").format(name=a.name)
                cmd = f"regsam-flow selection decide {a.id} select|reject"
                self._add("decision", a.state, role, title, cmd)
            return
        assess = [t for t in self.wf.transitions_from(a.state) if t.trigger in sel.assess]
        role = self._mine([r for t in assess for r in t.roles])
        if role:
            title = _("Assess the candidate {name}").format(name=a.name)
            self._add("assessment", "", role, title, f"regsam-flow selection assess {a.id} ...")

    def _orders(self) -> None:
        a = self.agg.area
        for o in self.uow.list_work_orders(a.id):
            if o.status in CLOSED_STATUSES:
                continue
            to = o.addressee
            if to.kind == "person" and to.name == self.actor:
                role = ""
            elif to.kind == "role" and to.name in self.roles:
                role = to.name
            else:
                continue
            title = (
                _("Work order {number}: {title}")
                if o.kind == "order"
                else _("Recommendation {number}: {title}")
            ).format(number=o.id, title=o.title)
            cmd = f"regsam-flow kg order report {a.id} {o.id} --status done"
            self._add("order", str(o.id), role, title, cmd, due=o.due)
