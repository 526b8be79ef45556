"""The KG's mails: a recorded meeting's decisions to the area's people, due
and overdue work orders to their addressees.

They are planned in the unit of work of the change that calls for them
(:func:`plan_decisions`, :func:`plan_order`, :func:`cancel_order`), kept in
the store's durable outbox, and sent by the same pass as the review
reminders (:meth:`Engine.send_due <regsam_flow.engine.Engine.send_due>`),
under the same rules: claimed with a lease, the lease renewed just before
sending, sent or failed recorded, retried with back-off up to the reminder
policy's attempts, each mail once.  Recipients are decided at sending.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..errors import InvalidInputError, NotFoundError
from ..i18n import _
from ..kg import MESSAGE_STATUSES, KgMessage, WorkOrder
from ..model import Person, ReminderChange
from ..ports import KgNotice, Recipient, UnitOfWork
from ..schedule import send_time
from ..workflows import ReminderPolicy, Workflow
from .access import area_for, person
from .context import EngineContext, Tx
from .delivery import SYSTEM, error_text, failure_change, lease_end

__all__ = [
    "ORDER_MESSAGES",
    "OVERDUE_EVERY",
    "KgMailService",
    "MessageReport",
    "PlannedMessage",
    "cancel_order",
    "plan_decisions",
    "plan_order",
]

log = logging.getLogger("regsam_flow.kg_mail")
#: The messages of a work order.
ORDER_MESSAGES = ("order_due", "order_overdue")
#: An overdue order is reminded again this long after the last reminder.
OVERDUE_EVERY = timedelta(days=7)
#: Who gets the outside parties' orders, and every overdue one.
MODERATION = "moderation"
_SETTLED = ("done", "declined")


def policy_of(wf: Workflow) -> ReminderPolicy:
    """The workflow's reminder policy (send hour, zone, attempts, language),
    or the defaults when it has none."""
    return wf.definition.reminders or ReminderPolicy()


# ------------------------------------------------------------------ planning
def plan_decisions(tx: Tx, area_id: str, meeting_id: int) -> None:
    """A recorded meeting's decisions, to go out now."""
    tx.uow.add_kg_message(area_id, "meeting_decisions", meeting_id, tx.now, tx.now)


def plan_order(tx: Tx, wf: Workflow, order: WorkOrder) -> None:
    """An order's mails: on its due date at the policy's send hour (unless
    that lies past), and overdue the day after (now, if that lies past)."""
    policy = policy_of(wf)
    on_day = send_time(order.due, policy)
    if on_day > tx.now:
        _plan(tx, order, "order_due", on_day)
    _plan(tx, order, "order_overdue", max(send_time(order.due + timedelta(days=1), policy), tx.now))


def _plan(tx: Tx, order: WorkOrder, kind: str, due_at: datetime) -> None:
    """Plan a mail of the order; one cancelled in the same slot (the order
    was settled, now it is open again) is pending again."""
    if tx.uow.add_kg_message(order.area, kind, order.id, due_at, tx.now) is not None:
        return
    for m in tx.uow.list_kg_messages(area=order.area, status="cancelled"):
        if (m.kind, m.ref, m.due_at) == (kind, order.id, due_at):
            tx.uow.update_kg_message(
                m.id,
                None,
                ReminderChange(status="pending", attempts=0, next_attempt_at=due_at, last_error=""),
                when_status="cancelled",
            )


def cancel_order(tx: Tx, order: WorkOrder) -> int:
    """Cancel an order's pending mails (it is done or declined); how many."""
    return tx.uow.cancel_kg_messages(order.area, ref=order.id, kinds=ORDER_MESSAGES)


def _next_overdue(order: WorkOrder, policy: ReminderPolicy, now: datetime) -> datetime:
    """The first weekly overdue slot after ``now`` (slots missed while no
    pass ran are folded into one)."""
    day = order.due + timedelta(days=1)
    while send_time(day, policy) <= now:
        day += OVERDUE_EVERY
    return send_time(day, policy)


# ------------------------------------------------------------------ reports
@dataclass(frozen=True)
class PlannedMessage:
    """A KG mail a dry run would send: the message, its recipients' ``to``
    addresses, or the ``error`` that keeps it from being built."""

    id: int
    area: str
    kind: str
    ref: int
    due_at: datetime
    to: tuple[str, ...] = ()
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "area": self.area,
            "kind": self.kind,
            "ref": self.ref,
            "due_at": self.due_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "to": list(self.to),
            "error": self.error,
        }


@dataclass
class MessageReport:
    """What a send pass did with the KG's mails (ids of messages): sent,
    to be retried, failed, ``cancelled`` (no longer owed: the order is
    settled or the area closed), ``lost`` (another worker took over); for a
    dry run ``would_send``."""

    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)
    lost: list[int] = field(default_factory=list)
    would_send: list[PlannedMessage] = field(default_factory=list)

    def to_dict(self, dry_run: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "sent": self.sent,
            "retrying": self.retrying,
            "failed": self.failed,
            "cancelled": self.cancelled,
            "lost": self.lost,
        }
        if dry_run:
            out["would_send"] = [w.to_dict() for w in self.would_send]
        return out


class _NotOwed(Exception):
    """The message is no longer owed (settled order, closed area, gone)."""


# ------------------------------------------------------------------ sending
class KgMailService:
    """Sends the KG's due mails (part of the reminders' send pass)."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx

    def messages(
        self, *, actor: str, area: str | None = None, status: str | None = None
    ) -> list[KgMessage]:
        """The messages of the areas ``actor`` may see (admins, auditors: all)."""
        if status is not None and status not in MESSAGE_STATUSES:
            raise InvalidInputError(
                _("status: {value} is not one of {known}").format(
                    value=repr(status), known=", ".join(MESSAGE_STATUSES)
                ),
                field="status",
            )
        with self.ctx.read() as uow:
            me = person(self.ctx, uow, actor)
            if area is not None:
                area_for(self.ctx, uow, area, actor)
                return uow.list_kg_messages(area=area, status=status)
            rows = uow.list_kg_messages(status=status)
            if me.admin or me.auditor:
                return rows
            mine = {a.id for a in uow.list_areas(member=actor)}
            return [m for m in rows if m.area in mine]

    def send(self, now: datetime, worker: str, limit: int, report: MessageReport) -> None:
        """Claim the due messages, then deliver each (see the module)."""
        with self.ctx.write() as tx:
            until = lease_end(self.ctx, now)
            claimed = [
                m
                for m in tx.uow.due_kg_messages(now, limit)
                if tx.uow.claim_kg_message(m.id, worker, now, until)
            ]
        for m in claimed:
            delivered: list[KgNotice] = []
            try:
                self._deliver(m, worker, now, report, delivered)
            except Exception as exc:  # this message only: the others still go out
                log.exception("KG message %s (%s) could not be processed", m.id, m.area)
                try:
                    if delivered:  # the mail is out: it counts as sent
                        self._sent(m, worker, now, delivered[0], report)
                    else:
                        self._fail(m, worker, now, exc, report, final=True)
                except Exception:  # the lease runs out; the next pass sees it again
                    log.exception("KG message %s (%s): outcome not recorded", m.id, m.area)

    def preview(self, now: datetime, limit: int, report: MessageReport) -> None:
        """What a pass at ``now`` would send; changes nothing."""
        with self.ctx.read() as uow:
            due = [
                m
                for m in uow.list_kg_messages(status="pending")
                if (m.next_attempt_at or m.due_at) <= now
                and (m.claimed_until is None or m.claimed_until < now)
            ]
        due.sort(key=lambda m: (m.next_attempt_at or m.due_at, m.id))
        for m in due[:limit]:
            to: tuple[str, ...] = ()
            error = None
            try:
                to = tuple(r.email for r in self.notice(m, now).recipients)
            except _NotOwed as exc:
                error = f"not owed any more: {exc}"
            except Exception as exc:
                error = error_text(exc)
            report.would_send.append(
                PlannedMessage(m.id, m.area, m.kind, m.ref, m.due_at, to, error)
            )

    def _deliver(
        self,
        m: KgMessage,
        worker: str,
        now: datetime,
        report: MessageReport,
        delivered: list[KgNotice],
    ) -> None:
        with self.ctx.write() as tx:  # renew the lease just before sending
            held = tx.uow.update_kg_message(
                m.id,
                worker,
                ReminderChange(status="pending", claimed_until=lease_end(self.ctx, now)),
            )
        if not held:
            report.lost.append(m.id)
            return
        try:
            notice = self.notice(m, now)
        except _NotOwed as exc:
            self._cancel(m, worker, str(exc), report)
            return
        except Exception as exc:
            self._fail(m, worker, now, exc, report)
            return
        try:
            self.ctx.notifier.notify_kg(notice)
        except Exception as exc:
            self._fail(m, worker, now, exc, report)
        else:
            delivered.append(notice)
            self._sent(m, worker, now, notice, report)

    def _cancel(self, m: KgMessage, worker: str, why: str, report: MessageReport) -> None:
        with self.ctx.write() as tx:
            if tx.uow.update_kg_message(
                m.id, worker, ReminderChange(status="cancelled", release=True)
            ):
                report.cancelled.append(m.id)
                tx.audit(
                    "reminder",
                    actor=SYSTEM,
                    area=m.area,
                    action="kg_mail_cancelled",
                    details={"message": m.id, "kind": m.kind, "ref": m.ref, "reason": why},
                )

    def _sent(
        self, m: KgMessage, worker: str, now: datetime, notice: KgNotice, report: MessageReport
    ) -> None:
        """The mail is delivered: record it as sent, always (as a reminder:
        also when it was cancelled meanwhile or our lease ran out)."""
        sent = ReminderChange(
            status="sent", sent_at=now, attempts=m.attempts + 1, last_error="", release=True
        )
        details: dict[str, Any] = {
            "message": m.id,
            "kind": m.kind,
            "ref": m.ref,
            "message_id": m.message_id,
            "to": [r.email for r in notice.recipients],
        }
        with self.ctx.write() as tx:
            ok = tx.uow.update_kg_message(m.id, worker, sent)
            if not ok and tx.uow.update_kg_message(m.id, None, sent, when_status="cancelled"):
                ok = True
                details["cancelled_meanwhile"] = True
            if ok:
                report.sent.append(m.id)
            else:
                log.warning("KG message %s: lease lost after sending", m.id)
                report.lost.append(m.id)
                details["lease_lost"] = True
            tx.audit("reminder", actor=SYSTEM, area=m.area, action="kg_mail_sent", details=details)
            if ok:
                self._plan_next(tx, m, now)

    def _fail(
        self,
        m: KgMessage,
        worker: str,
        now: datetime,
        exc: Exception,
        report: MessageReport,
        final: bool = False,
    ) -> None:
        attempts = m.attempts + 1
        with self.ctx.write() as tx:
            area = tx.uow.get_area(m.area)
            tries = policy_of(self.ctx.workflow(area)).max_attempts if area else None
            change, gave_up = failure_change(attempts, exc, None if final else tries, now)
            if not tx.uow.update_kg_message(m.id, worker, change):
                return
            if not gave_up:
                report.retrying.append(m.id)
            else:
                report.failed.append(m.id)
                tx.audit(
                    "reminder",
                    actor=SYSTEM,
                    area=m.area,
                    action="kg_mail_failed",
                    details={
                        "message": m.id,
                        "kind": m.kind,
                        "ref": m.ref,
                        "attempts": attempts,
                        "error": change.last_error,
                    },
                )
                self._plan_next(tx, m, now)  # the weekly series goes on
        log.warning("KG message %s (%s) not delivered, attempt %s", m.id, m.area, attempts)

    def _plan_next(self, tx: Tx, m: KgMessage, now: datetime) -> None:
        """After an overdue mail: the next one a week later, while the order
        is open and the area is not closed."""
        if m.kind != "order_overdue":
            return
        area = tx.uow.get_area(m.area)
        if area is None:
            return
        wf = self.ctx.workflow(area)
        order = _order(tx.uow, m)
        if order is None or order.status in _SETTLED or wf.is_final(area.state):
            return
        nxt = _next_overdue(order, policy_of(wf), max(now, tx.now))
        tx.uow.add_kg_message(m.area, "order_overdue", order.id, nxt, tx.now)

    # ----------------------------------------------------------- the notice
    def notice(self, m: KgMessage, now: datetime) -> KgNotice:
        """The mail as plain facts, its recipients decided now; raises
        :class:`_NotOwed` when it is no longer owed, and
        :class:`InvalidInputError` when nobody with an email is to get it."""
        with self.ctx.read() as uow:
            area = uow.get_area(m.area)
            if area is None:
                raise NotFoundError(f"no area '{m.area}'", kind="area", key=m.area)
            wf = self.ctx.workflow(area)
            if wf.is_final(area.state):
                raise _NotOwed(f"area '{area.id}' is {area.state}")
            policy = policy_of(wf)
            assignments = uow.get_assignments(m.area)
            people = {pid: uow.get_person(pid) for _r, pid in assignments}
            base: dict[str, Any] = {
                "message_id": m.id,
                "mail_id": m.message_id,
                "kind": m.kind,
                "area": area.id,
                "area_name": area.name,
                "district": area.district,
                "language": policy.language,
                "timezone": policy.timezone,
            }
            if m.kind == "meeting_decisions":
                return _decisions_notice(uow, m, base, _holders(assignments, people, None, True))
            order = _order(uow, m)
            if order is None:
                raise _NotOwed(f"order {m.ref} is gone")
            if order.status in _SETTLED:
                raise _NotOwed(f"order {order.id} is {order.status}")
            to = order.addressee
            addressee = to.name
            if to.kind == "person":
                found = tuple(r for r in _holders(assignments, people, None) if r.person == to.name)
                p = people.get(to.name) or uow.get_person(to.name)
                addressee = p.name if p else to.name
            else:
                found = _holders(assignments, people, to.name if to.kind == "role" else MODERATION)
            if m.kind == "order_overdue":
                found = _merge(found, _holders(assignments, people, MODERATION))
        if not found:
            whom = "the moderation" if to.kind == "outside" else f"{to.kind} {to.name}"
            raise InvalidInputError(
                f"nobody with an email gets order {order.id} of area '{area.id}' "
                f"(addressed to {whom})"
            )
        report = f"regsam-flow kg order report {area.id} {order.id} --status"
        return KgNotice(
            **base,
            recipients=found,
            order_id=order.id,
            order_title=order.title,
            order_kind=order.kind,
            order_due=order.due,
            order_status=order.status,
            addressee=addressee,
            days=(order.due - now.astimezone(_zone(policy)).date()).days,
            commands=(
                f"{report} in_progress",
                f"{report} done",
                f'{report} declined --note "..."',
            ),
        )


def _decisions_notice(
    uow: UnitOfWork, m: KgMessage, base: dict[str, Any], found: tuple[Recipient, ...]
) -> KgNotice:
    meeting = next((x for x in uow.list_meetings(m.area) if x.id == m.ref), None)
    if meeting is None:
        raise _NotOwed(f"meeting {m.ref} is gone")
    if not found:
        raise InvalidInputError(
            f"nobody holding a role in area '{m.area}' has an email and takes the decision mails"
        )
    return KgNotice(
        **base,
        recipients=found,
        meeting_id=meeting.id,
        meeting_number=meeting.number,
        meeting_date=meeting.held_on,
        meeting_place=meeting.place,
        decisions=meeting.decisions,
    )


def _zone(policy: ReminderPolicy) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(policy.timezone)


def _order(uow: UnitOfWork, m: KgMessage) -> WorkOrder | None:
    return next((o for o in uow.list_work_orders(m.area) if o.id == m.ref), None)


def _holders(
    assignments: list[tuple[str, str]],
    people: dict[str, Person | None],
    role: str | None,
    decisions: bool = False,
) -> tuple[Recipient, ...]:
    """Those holding ``role`` (any role: None) with an email, once each;
    with ``decisions`` only those who take the decision mails."""
    out: dict[str, Recipient] = {}
    for r, pid in assignments:
        p = people.get(pid)
        wanted = p is not None and p.email and (not decisions or p.decision_mails)
        if p is not None and wanted and (role is None or r == role):
            out.setdefault(p.id, Recipient(p.id, p.name, p.email, r))
    return tuple(out.values())


def _merge(a: tuple[Recipient, ...], b: tuple[Recipient, ...]) -> tuple[Recipient, ...]:
    seen = {r.person for r in a}
    return a + tuple(r for r in b if r.person not in seen)
