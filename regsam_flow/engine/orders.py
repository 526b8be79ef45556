"""The KG's work orders and recommendations (issued at a recorded meeting,
reported on by their addressees) and the missing resources it documents."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ..dates import BERLIN, to_date
from ..errors import InvalidInputError, NotAllowedError, NotFoundError
from ..i18n import _, format_date
from ..kg import ORDER_KINDS, ORDER_STATUSES, Goal, MissingResource, Responsible, WorkOrder
from ..validation import check_text
from .access import area_for, counted_change, expect, member, pick_role, refuse_if_final
from .catalogue import check_responsible
from .context import EngineContext
from .kg_mail import cancel_order, plan_order
from .meetings import held_meeting

__all__ = [
    "CLOSED_STATUSES",
    "ORDER_ROLES",
    "RESOURCE_ROLES",
    "OrderService",
    "is_overdue",
]

#: Who issues work orders and recommendations (as the KG's moderation), and
#: reports on any order (for outside parties above all).
ORDER_ROLES = ("moderation",)
#: Who records missing resources.
RESOURCE_ROLES = ("moderation",)
#: Statuses in which an order is settled: never overdue.
CLOSED_STATUSES = ("done", "declined")


def is_overdue(order: WorkOrder, today: date) -> bool:
    """Whether the order's due date has passed (before ``today``) and it is
    neither done nor declined."""
    return order.due < today and order.status not in CLOSED_STATUSES


class OrderService:
    """Work orders, recommendations and missing resources of an area's KG."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx

    def _today(self) -> date:
        return self.ctx.clock.now().astimezone(BERLIN).date()

    def issue(
        self,
        area_id: str,
        *,
        actor: str,
        meeting: int,
        title: str,
        addressee: Responsible,
        due: date | str,
        kind: str = "order",
        goal: int | None = None,
        measure: int | None = None,
        expected_version: int | None = None,
    ) -> WorkOrder:
        """Issue a work order or recommendation (moderation) at a recorded
        (not planned) meeting of the area, to a person holding a role in
        the area, a role of its workflow or a named outside party, due on
        ``due`` (not before the meeting); optionally for goal number
        ``goal`` and measure id ``measure`` of the area's catalogue.  Its
        addressee is reminded by mail on the due date and, while it is
        open, the day after and weekly from then on."""
        if kind not in ORDER_KINDS:
            raise InvalidInputError(
                _("kind: {value} is not one of {known}").format(
                    value=repr(kind), known=", ".join(ORDER_KINDS)
                ),
                field="kind",
            )
        title = check_text(title, "title", max_len=500, required=True, multiline=False)
        due = to_date(due, "due")
        with self.ctx.write() as tx:
            area, wf, roles = member(
                self.ctx, tx.uow, area_id, actor, ORDER_ROLES, _("issue a work order")
            )
            expect(area, expected_version)
            held = held_meeting(
                tx.uow.list_meetings(area_id), meeting, area_id, _("orders are issued")
            )
            if due < held.held_on:
                raise InvalidInputError(
                    _("due: {due} lies before the meeting that issues the order ({held})").format(
                        due=format_date(due), held=format_date(held.held_on)
                    ),
                    field="due",
                )
            who = check_responsible(
                addressee, wf, tx.uow.get_assignments(area_id), area_id, field="addressee"
            )
            _check_goal_measure(tx.uow.list_goals(area_id), goal, measure, area_id)
            order = tx.uow.add_work_order(
                area_id, kind, title, who, meeting, due, goal, measure, actor, tx.now
            )
            plan_order(tx, wf, order)
            counted_change(
                tx,
                area,
                "kg",
                actor=actor,
                role=pick_role(roles, ORDER_ROLES),
                action="order_issued",
                details={
                    "order": order.id,
                    "kind": kind,
                    "title": title,
                    "addressee": {"kind": who.kind, "name": who.name},
                    "meeting": meeting,
                    "due": due.isoformat(),
                    "goal": goal,
                    "measure": measure,
                },
            )
            return order

    def report(
        self,
        area_id: str,
        order_id: int,
        *,
        actor: str,
        status: str,
        note: str = "",
        expected_version: int | None = None,
    ) -> WorkOrder:
        """Report where an order stands: by its addressee (the person, or
        anyone holding the addressed role) or the moderation (for outside
        parties, and generally).  ``declined`` needs a note.  Done or
        declined cancels the order's pending reminder mails."""
        if status not in ORDER_STATUSES:
            raise InvalidInputError(
                _("status: {value} is not one of {known}").format(
                    value=repr(status), known=", ".join(ORDER_STATUSES)
                ),
                field="status",
            )
        note = check_text(note, "note", max_len=4000, required=status == "declined")
        with self.ctx.write() as tx:
            area, _me, roles, _assignments = area_for(self.ctx, tx.uow, area_id, actor)
            expect(area, expected_version)
            order = _find(tx.uow.list_work_orders(area_id), order_id, area_id)
            to = order.addressee
            if to.kind == "person" and to.name == actor:
                role = pick_role(roles, ORDER_ROLES)
            elif to.kind == "role" and to.name in roles:
                role = to.name
            elif roles & set(ORDER_ROLES):
                role = pick_role(roles, ORDER_ROLES)
            else:
                raise NotAllowedError(
                    _(
                        "{actor} may not report on order {order} in area '{area}': it is "
                        "addressed to {kind} {name}; its addressee or the moderation "
                        "reports on it"
                    ).format(actor=actor, order=order_id, area=area_id, kind=to.kind, name=to.name),
                    actor=actor,
                    area=area_id,
                )
            wf = self.ctx.workflow(area)
            refuse_if_final(area, wf)
            tx.uow.update_work_order(order.id, status, note, actor, tx.now)
            if status in CLOSED_STATUSES:  # settled: no more reminders
                cancel_order(tx, order)
            elif order.status in CLOSED_STATUSES:  # open again: reminded again
                plan_order(tx, wf, _find(tx.uow.list_work_orders(area_id), order_id, area_id))
            counted_change(
                tx,
                area,
                "kg",
                actor=actor,
                role=role,
                action="order_reported",
                reason=note,
                details={"order": order.id, "status": status, "previous": order.status},
            )
            return _find(tx.uow.list_work_orders(area_id), order_id, area_id)

    def orders(
        self,
        area_id: str,
        *,
        actor: str,
        status: str | None = None,
        overdue: bool = False,
        mine: bool = False,
    ) -> list[WorkOrder]:
        """The area's orders by id; only those of ``status``, those overdue
        (:func:`is_overdue` by the engine's clock, Berlin), those addressed
        to the actor (``mine``: to them or to a role they hold there)."""
        if status is not None and status not in ORDER_STATUSES:
            raise InvalidInputError(
                _("status: {value} is not one of {known}").format(
                    value=repr(status), known=", ".join(ORDER_STATUSES)
                ),
                field="status",
            )
        today = self._today()
        with self.ctx.read() as uow:
            _area, _me, roles, _assignments = area_for(self.ctx, uow, area_id, actor)
            rows = uow.list_work_orders(area_id)
        return [
            o
            for o in rows
            if (status is None or o.status == status)
            and (not overdue or is_overdue(o, today))
            and (not mine or _addressed_to(o.addressee, actor, roles))
        ]

    def add_resource(
        self,
        area_id: str,
        *,
        actor: str,
        text: str,
        estimate: str = "",
        expected_version: int | None = None,
    ) -> MissingResource:
        """Document a missing resource (moderation), with an optional
        estimate in free text."""
        text = check_text(text, "text", max_len=4000, required=True)
        estimate = check_text(estimate, "estimate", max_len=200, multiline=False)
        with self.ctx.write() as tx:
            area, _wf, roles = member(
                self.ctx, tx.uow, area_id, actor, RESOURCE_ROLES, _("record a missing resource")
            )
            expect(area, expected_version)
            found = tx.uow.add_missing_resource(area_id, text, estimate, actor, tx.now)
            counted_change(
                tx,
                area,
                "kg",
                actor=actor,
                role=pick_role(roles, RESOURCE_ROLES),
                action="resource_added",
                details={"resource": found.id, "text": text, "estimate": estimate},
            )
            return found

    def resources(self, area_id: str, *, actor: str) -> list[MissingResource]:
        """The area's missing resources by id."""
        with self.ctx.read() as uow:
            area_for(self.ctx, uow, area_id, actor)
            return uow.list_missing_resources(area_id)


def _addressed_to(to: Responsible, actor: str, roles: frozenset[str]) -> bool:
    return (to.kind == "person" and to.name == actor) or (to.kind == "role" and to.name in roles)


def _check_goal_measure(
    known: Sequence[Goal], goal: int | None, measure: int | None, area_id: str
) -> None:
    """Refuse a goal number or measure id that is not the area's, or a
    measure of another goal than the one named."""
    if goal is not None and goal not in {g.number for g in known}:
        raise NotFoundError(
            _("no goal {goal} in area '{area}' (see `regsam-flow kg goal list {area}`)").format(
                goal=goal, area=area_id
            ),
            kind="goal",
            key=str(goal),
        )
    if measure is None:
        return
    owner = next((g for g in known for m in g.measures if m.id == measure), None)
    if owner is None:
        raise NotFoundError(
            _(
                "no measure {measure} in area '{area}' (see `regsam-flow kg goal list {area}`)"
            ).format(measure=measure, area=area_id),
            kind="measure",
            key=str(measure),
        )
    if goal is not None and owner.number != goal:
        raise InvalidInputError(
            _("measure: measure {measure} belongs to goal {owner}, not to goal {goal}").format(
                measure=measure, owner=owner.number, goal=goal
            ),
            field="measure",
        )


def _find(orders: Sequence[WorkOrder], order_id: int, area_id: str) -> WorkOrder:
    for o in orders:
        if o.id == order_id:
            return o
    raise NotFoundError(
        _("no order {order} in area '{area}' (see `regsam-flow kg order list {area}`)").format(
            order=order_id, area=area_id
        ),
        kind="order",
        key=str(order_id),
    )
