"""Review-date reminders: scheduling, review decisions, the send pass."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ..errors import BlockedError, Blocker, InvalidInputError, NotAllowedError, NotFoundError
from ..i18n import _, format_date
from ..model import AGREEMENT_SIGNERS, Reminder, ReminderChange
from ..ports import Recipient, ReminderNotice
from ..schedule import backoff, next_overdue
from ..validation import check_text
from ..workflows import Workflow
from .access import area_for, bump, expect, member, person, pick_role
from .agreements import store_agreement
from .context import EngineContext, Tx
from .delivery import LEASE, SYSTEM, error_text, failure_change, lease_end, worker_name
from .kg_mail import KgMailService, MessageReport

__all__ = ["PlannedSend", "ReminderService", "SendReport"]

log = logging.getLogger("regsam_flow.reminders")
#: How far ahead a pass's clock must have been to be given back: schedulers
#: on several machines may differ by a little (as the lease assumes, too).
AHEAD = LEASE


@dataclass(frozen=True)
class PlannedSend:
    """A message a dry run would send: the reminder, its recipients' ``to``
    addresses, or the ``error`` that keeps it from being built."""

    id: int
    area: str
    kind: str
    offset_days: int
    review_date: date
    due_at: datetime
    to: tuple[str, ...] = ()
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "area": self.area,
            "kind": self.kind,
            "offset_days": self.offset_days,
            "review_date": self.review_date.isoformat(),
            "due_at": self.due_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "to": list(self.to),
            "error": self.error,
        }


@dataclass(frozen=True)
class SendReport:
    """What one send pass did; for a dry run (``dry_run``) what it would do:
    ``would_send`` (one :class:`PlannedSend` per message) and
    ``would_supersede``; the other lists stay empty then.  ``messages`` is
    the same for the KG's mails (:class:`~.kg_mail.MessageReport`, JSON key
    ``messages``).  The pass fills the lists as it goes; callers only read
    them."""

    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    superseded: list[int] = field(default_factory=list)
    lost: list[int] = field(default_factory=list)  # another worker took over
    dry_run: bool = False
    at: datetime | None = None
    would_send: list[PlannedSend] = field(default_factory=list)
    would_supersede: list[int] = field(default_factory=list)
    messages: MessageReport = field(default_factory=MessageReport)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "sent": self.sent,
            "retrying": self.retrying,
            "failed": self.failed,
            "superseded": self.superseded,
            "lost": self.lost,
        }
        if self.dry_run:
            out.update(
                dry_run=True,
                now=self.at.strftime("%Y-%m-%dT%H:%M:%SZ") if self.at else None,
                would_send=[w.to_dict() for w in self.would_send],
                would_supersede=self.would_supersede,
            )
        out["messages"] = self.messages.to_dict(self.dry_run)
        return out


class ReminderService:
    """Reminders before, on and after each area's review date; they go to
    the context's notifier."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx
        self.kg_mail = KgMailService(ctx)

    # -------------------------------------------------------------- decision
    def review(
        self,
        area_id: str,
        *,
        actor: str,
        decision: str,
        next_review: date | str | None = None,
        reason: str = "",
        expected_version: int | None = None,
    ) -> None:
        """Record a review-date decision (see :meth:`Engine.review`)."""
        from ..dates import check_date, parse_date

        if decision not in ("continue", "end"):
            raise InvalidInputError(_("decision must be 'continue' or 'end'"), field="decision")
        reason = check_text(reason, "reason", max_len=2000)
        nxt = parse_date(next_review, "next") if isinstance(next_review, str) else next_review
        if nxt is not None:
            if not isinstance(nxt, date) or isinstance(nxt, datetime):
                raise InvalidInputError(_("the next review date must be a date"), field="next")
            check_date(nxt, "next")
        if decision == "continue" and nxt is None:
            raise InvalidInputError(
                _("continuing needs the next review date (--next)"), field="next"
            )
        if decision == "end" and nxt is not None:
            raise InvalidInputError(_("ending takes no next review date"), field="next")
        with self.ctx.write() as tx:
            area, wf, roles = member(
                self.ctx, tx.uow, area_id, actor, AGREEMENT_SIGNERS, _("record a review decision")
            )
            expect(area, expected_version)
            ag = tx.uow.get_agreement(area_id)
            if ag is None or ag.review is None:
                raise BlockedError(
                    _("there is no review date to decide on"),
                    [Blocker("no_review_date", _("the agreement has no review date yet"))],
                    area=area_id,
                )
            done = tx.uow.get_review(area_id, ag.review)
            if done is not None:
                raise BlockedError(
                    _("the review of {date} is decided already").format(
                        date=format_date(ag.review)
                    ),
                    [
                        Blocker(
                            "review_decided",
                            _("decided '{decision}' by {person}").format(
                                decision=done.decision, person=done.decided_by
                            ),
                        )
                    ],
                    area=area_id,
                )
            today = tx.now.astimezone(self._zone(wf)).date()
            if nxt is not None and (nxt <= ag.review or nxt <= today):
                raise InvalidInputError(
                    _(
                        "the next review date {next} must lie after the current one "
                        "({current}) and after today"
                    ).format(next=format_date(nxt), current=format_date(ag.review)),
                    field="next",
                )
            role = pick_role(roles, AGREEMENT_SIGNERS)
            tx.uow.add_review(area_id, ag.review, decision, nxt, reason, actor, tx.now)
            cancelled = tx.uow.cancel_reminders(area_id, ag.review)
            area = bump(tx, area)
            tx.audit(
                "review",
                actor=actor,
                role=role,
                area=area_id,
                action="review_decided",
                reason=reason,
                details={
                    "review": ag.review.isoformat(),
                    "decision": decision,
                    "next_review": nxt.isoformat() if nxt else None,
                    "reminders_cancelled": cancelled,
                },
            )
            if nxt is not None:
                store_agreement(tx, area, actor, role, ag, {"review": nxt})

    @staticmethod
    def _zone(wf: Workflow) -> Any:
        from zoneinfo import ZoneInfo

        policy = wf.definition.reminders
        return ZoneInfo(policy.timezone if policy else "Europe/Berlin")

    # ---------------------------------------------------------------- lists
    def reminders(
        self, *, actor: str, area: str | None = None, status: str | None = None
    ) -> list[Reminder]:
        """Reminders of the areas ``actor`` may see (admins, auditors: all)."""
        if status is not None and status not in (
            "pending",
            "sent",
            "failed",
            "cancelled",
            "superseded",
        ):
            raise InvalidInputError(
                _(
                    "unknown status {value}: use pending, sent, failed, cancelled or superseded"
                ).format(value=repr(status)),
                field="status",
            )
        with self.ctx.read() as uow:
            me = person(self.ctx, uow, actor)
            areas = None
            if area is not None:
                area_for(self.ctx, uow, area, actor)
            elif not (me.admin or me.auditor):
                areas = [a.id for a in uow.list_areas(member=actor)]
            return uow.list_reminders(area=area, status=status, areas=areas)

    def retry_reminder(self, reminder_id: int, *, actor: str) -> Reminder:
        """Queue a failed reminder again (admins, the area's moderation or
        social planning)."""
        with self.ctx.write() as tx:
            me = person(self.ctx, tx.uow, actor)
            rem = tx.uow.get_reminder(reminder_id)
            missing = NotFoundError(
                _("no reminder {reminder}").format(reminder=reminder_id),
                kind="reminder",
                key=str(reminder_id),
            )
            if rem is None:
                raise missing
            try:
                area, _p, roles, _all = area_for(self.ctx, tx.uow, rem.area, actor)
            except NotFoundError:
                raise missing from None  # an area they may not see: same answer
            role = pick_role(roles, AGREEMENT_SIGNERS)
            if not me.admin and role not in AGREEMENT_SIGNERS:
                raise NotAllowedError(
                    _("only an admin or the area's moderation or social planning may retry"),
                    actor=actor,
                    area=rem.area,
                )
            if rem.status != "failed":
                raise BlockedError(
                    _("reminder {reminder} is {status}, not failed").format(
                        reminder=reminder_id, status=rem.status
                    ),
                    [Blocker("not_failed", _("only failed reminders can be retried"))],
                    area=rem.area,
                )
            tx.uow.update_reminder(
                reminder_id,
                None,
                ReminderChange(
                    status="pending",
                    attempts=0,
                    next_attempt_at=tx.now,
                    last_error="",
                    release=True,
                ),
            )
            bump(tx, area)
            tx.audit(
                "reminder",
                actor=actor,
                role=role if not me.admin else "admin",
                area=rem.area,
                action="reminder_requeued",
                details={"reminder": reminder_id, "review": rem.review_date.isoformat()},
            )
            got = tx.uow.get_reminder(reminder_id)
            assert got is not None
            return got

    def next_reminder_at(self) -> datetime | None:
        """When the next pending reminder falls due (for schedulers)."""
        with self.ctx.read() as uow:
            return uow.next_reminder_at()

    # ------------------------------------------------------------ send pass
    def send_due(
        self,
        now: datetime | str | None = None,
        *,
        worker: str | None = None,
        limit: int = 200,
        actor: str | None = None,
        dry_run: bool = False,
    ) -> SendReport:
        """Send every reminder due, each once (see :meth:`Engine.send_due`)."""
        from ..dates import to_moment

        present = self.ctx.clock.now()
        if now is not None:
            now = to_moment(now, "now")
        if actor is not None and (now is not None or dry_run):
            self._may_pretend(actor)
            dry_run = dry_run or (now is not None and now > present)
        now = now or present
        if dry_run:
            report = self._preview(now, limit)
            self.kg_mail.preview(now, limit, report.messages)
            return report
        worker = worker or worker_name()
        report = SendReport()
        with self.ctx.write() as tx:
            self._fail_unreadable(tx, now, report)
            self._give_back_ahead(tx, max(now, present))
            due = tx.uow.due_reminders(now, limit)
            keys = {(r.area, r.review_date) for r in due}
            claimed = []
            for area_id, review in sorted(keys):
                # all that are due for this date, not only those in this batch
                group = tx.uow.due_for_date(area_id, review, now)
                if not group:
                    continue
                newest = max(group, key=lambda r: (r.due_at, r.id))
                for r in group:
                    if r is not newest and tx.uow.update_reminder(
                        r.id, None, ReminderChange(status="superseded")
                    ):
                        report.superseded.append(r.id)
                if tx.uow.claim_reminder(newest.id, worker, now, self._lease_end(now)):
                    claimed.append(newest)
        for r in claimed:
            delivered: list[ReminderNotice] = []
            try:
                self._deliver(r, worker, now, report, delivered)
            except Exception as exc:  # this reminder only: the others still go out
                log.exception("reminder %s (%s) could not be processed", r.id, r.area)
                self._give_up(r, worker, now, exc, report, delivered)
        self.kg_mail.send(now, worker, limit, report.messages)
        return report

    def _may_pretend(self, actor: str) -> None:
        with self.ctx.read() as uow:
            me = person(self.ctx, uow, actor)
        if not me.admin:
            raise NotAllowedError(
                _(
                    "only an admin may pretend another moment (--now) or make a dry run; "
                    "{actor} is not one"
                ).format(actor=actor),
                actor=actor,
            )

    def _deliver(
        self,
        r: Reminder,
        worker: str,
        now: datetime,
        report: SendReport,
        delivered: list[ReminderNotice],
    ) -> None:
        if not self._renew(r, worker, now):  # our lease ran out: someone else has it
            report.lost.append(r.id)
            return
        try:
            notice = self._notice(r, now)
            self.ctx.notifier.notify(notice)
        except Exception as exc:
            self._record_failure(r, worker, now, exc, report)
        else:
            delivered.append(notice)
            self._record_sent(r, worker, now, notice, report)

    def _give_up(
        self,
        r: Reminder,
        worker: str,
        now: datetime,
        exc: Exception,
        report: SendReport,
        delivered: list[ReminderNotice],
    ) -> None:
        """Record what is known after an unexpected error: a delivered mail as
        sent, anything else as failed with the reason."""
        error = f"cannot be processed: {type(exc).__name__}: {exc}"[:1000]
        with self.ctx.write() as tx:
            attempts = r.attempts + 1
            if delivered:
                change = ReminderChange(
                    status="sent", sent_at=now, last_error="", attempts=attempts, release=True
                )
                action, details = "reminder_sent", self._sent_details(r, delivered[0])
            else:
                change = ReminderChange(
                    status="failed", last_error=error, attempts=attempts, release=True
                )
                action, details = "reminder_failed", {"reminder": r.id, "error": error}
            if tx.uow.update_reminder(r.id, worker, change):
                (report.sent if delivered else report.failed).append(r.id)
                tx.audit("reminder", actor=SYSTEM, area=r.area, action=action, details=details)

    @staticmethod
    def _fail_unreadable(tx: Tx, now: datetime, report: SendReport) -> None:
        """Mark pending rows that cannot be read (bad or out-of-range dates,
        written by an older version or by hand) failed, each with its reason."""
        for rid, area_id, problem in tx.uow.unreadable_reminders(now):
            error = f"cannot be processed: {problem}"[:1000]
            if tx.uow.update_reminder(
                rid,
                None,
                ReminderChange(status="failed", last_error=error, release=True),
                when_status="pending",
            ):
                log.error("reminder %s (%s) %s", rid, area_id, error)
                report.failed.append(rid)
                tx.audit(
                    "reminder",
                    actor=SYSTEM,
                    area=area_id,
                    action="reminder_failed",
                    details={"reminder": rid, "error": error},
                )

    def _give_back_ahead(self, tx: Tx, present: datetime) -> None:
        """Undo what passes at a moment after ``present`` (plus :data:`AHEAD`)
        consumed: that moment has proved to lie in the future (the clock had
        run ahead)."""
        ahead = tx.uow.processed_after(present + AHEAD)
        for area_id, review in sorted({(r.area, r.review_date) for r in ahead}):
            try:
                self._give_back_group(tx, area_id, review, present)
            except Exception:  # one area's trouble must not hold up the others
                log.exception("reminders of %s for %s: cannot give back", area_id, review)

    def _give_back_group(self, tx: Tx, area_id: str, review: date, present: datetime) -> None:
        area = tx.uow.get_area(area_id)
        if area is None:
            return
        wf = self.ctx.workflow(area)
        policy = wf.definition.reminders
        ag = tx.uow.get_agreement(area_id)
        if (
            policy is None
            or wf.is_final(area.state)
            or ag is None
            or ag.review != review
            or tx.uow.get_review(area_id, review) is not None
        ):
            return  # decided, moved or closed: nothing is owed any more
        rows = tx.uow.reminders_of_date(area_id, review)
        live = [x for x in rows if x.status != "cancelled"]
        horizon = present + AHEAD  # handled after this: by a clock that was ahead
        for r in rows:
            nxt = r.next_attempt_at or r.due_at
            if r.status == "superseded":
                # superseded rightly only if a later one of the date is due by now
                if any(x.id != r.id and r.due_at < x.due_at <= present for x in live):
                    continue
            elif r.status == "failed":
                if nxt <= horizon:
                    continue
            elif r.status == "pending" and r.attempts and nxt - backoff(r.attempts) > horizon:
                tx.uow.update_reminder(
                    r.id,
                    None,
                    ReminderChange(next_attempt_at=max(r.due_at, present)),
                    when_status="pending",
                )
                continue
            else:
                continue
            if tx.uow.update_reminder(
                r.id,
                None,
                ReminderChange(
                    status="pending",
                    attempts=0,
                    next_attempt_at=r.due_at,
                    last_error="",
                    release=True,
                ),
                when_status=r.status,
            ):
                log.warning(
                    "reminder %s (%s) was %s at a time still to come: pending again",
                    r.id,
                    area_id,
                    r.status,
                )
                tx.audit(
                    "reminder",
                    actor=SYSTEM,
                    area=area_id,
                    action="reminder_restored",
                    details={
                        "reminder": r.id,
                        "was": r.status,
                        "review": review.isoformat(),
                        "reason": "handled by a pass whose clock was ahead",
                    },
                )
        early = [
            x
            for x in rows
            if x.status == "sent"
            and x.kind in ("on_day", "overdue")
            and x.sent_at is not None
            and x.sent_at > horizon
        ]
        if early:  # the weekly series goes on from the present, not from then
            last = min(early, key=lambda x: x.offset_days)
            follow = next_overdue(last, policy, present)
            if follow is not None:
                tx.uow.add_reminders([follow], tx.now)

    def _preview(self, now: datetime, limit: int) -> SendReport:
        """What a pass at ``now`` would send and supersede; changes nothing."""
        report = SendReport(dry_run=True, at=now)
        with self.ctx.read() as uow:
            due = [
                r
                for r in uow.list_reminders(status="pending")
                if (r.next_attempt_at or r.due_at) <= now
                and (r.claimed_until is None or r.claimed_until < now)
            ]
        groups: dict[tuple[str, date], list[Reminder]] = {}
        for r in due:
            groups.setdefault((r.area, r.review_date), []).append(r)
        for key in sorted(groups)[:limit]:
            group = groups[key]
            newest = max(group, key=lambda r: (r.due_at, r.id))
            report.would_supersede.extend(r.id for r in group if r is not newest)
            to: tuple[str, ...] = ()
            error = None
            try:
                to = tuple(p.email for p in self._notice(newest, now).recipients)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
            report.would_send.append(
                PlannedSend(
                    newest.id,
                    newest.area,
                    newest.kind,
                    newest.offset_days,
                    newest.review_date,
                    newest.due_at,
                    to,
                    error,
                )
            )
        return report

    def _lease_end(self, now: datetime) -> datetime:
        return lease_end(self.ctx, now)

    def _renew(self, r: Reminder, worker: str, now: datetime) -> bool:
        """Extend our lease just before sending; False if we no longer hold it."""
        with self.ctx.write() as tx:
            return tx.uow.update_reminder(
                r.id,
                worker,
                ReminderChange(status="pending", claimed_until=self._lease_end(now)),
            )

    def _notice(self, r: Reminder, now: datetime) -> ReminderNotice:
        with self.ctx.read() as uow:
            area = uow.get_area(r.area)
            if area is None:
                raise NotFoundError(f"no area '{r.area}'", kind="area", key=r.area)
            wf = self.ctx.workflow(area)
            policy = wf.definition.reminders
            assert policy is not None
            ag = uow.get_agreement(r.area)
            people: dict[str, Recipient] = {}
            for role, pid in uow.get_assignments(r.area):
                if role in policy.recipients:
                    p = uow.get_person(pid)
                    if p is not None and p.email:
                        people.setdefault(p.id, Recipient(p.id, p.name, p.email, role))
            tasks = uow.get_tasks(r.area)
            signers = {}
            for role, pid in ag.signatures.items() if ag else ():
                p = uow.get_person(pid)
                signers[role] = p.name if p else pid
        if not people:
            raise InvalidInputError(
                f"nobody with an email is assigned as {' or '.join(policy.recipients)}"
            )
        open_tasks = tuple(
            (t.id, t.title)
            for t in wf.tasks_of(area.state)
            if t.required and not (tasks.get(t.id) and tasks[t.id].done)
        )
        agreement: dict[str, Any] = {}
        if ag is not None:
            agreement = {**ag.fields(), "version": ag.version, "signatures": signers}
        today = now.astimezone(self._zone(wf)).date()
        commands = (
            f'regsam-flow review {area.id} --continue --next TT.MM.JJJJ --reason "..."',
            f'regsam-flow review {area.id} --end --reason "..."',
        )
        return ReminderNotice(
            reminder_id=r.id,
            message_id=r.message_id,
            kind=r.kind,
            days=(r.review_date - today).days,
            review_date=r.review_date,
            area=area.id,
            area_name=area.name,
            district=area.district,
            phase=area.state,
            phase_title=wf.state(area.state).title,
            workflow_title=wf.definition.title,
            agreement=agreement,
            open_tasks=open_tasks,
            recipients=tuple(people.values()),
            commands=commands,
            language=policy.language,
            timezone=policy.timezone,
            send_hour=policy.send_hour,
        )

    def _record_sent(
        self, r: Reminder, worker: str, now: datetime, notice: ReminderNotice, report: SendReport
    ) -> None:
        """The mail is delivered: record it as sent, always.  If a decision,
        a new date or the end of the area cancelled the reminder while the
        mail was on its way, it is sent all the same; if another worker took
        the reminder over (our lease ran out), the row is theirs, but the
        audit log still records our delivery."""
        sent = ReminderChange(
            status="sent", sent_at=now, attempts=r.attempts + 1, last_error="", release=True
        )
        details = self._sent_details(r, notice)
        with self.ctx.write() as tx:
            ok = tx.uow.update_reminder(r.id, worker, sent)
            if not ok and tx.uow.update_reminder(r.id, None, sent, when_status="cancelled"):
                ok = True
                details["cancelled_meanwhile"] = True
            if not ok:  # our lease ran out and another worker took the reminder
                log.warning("reminder %s: lease lost after sending", r.id)
                report.lost.append(r.id)
                details["lease_lost"] = True
            else:
                report.sent.append(r.id)
            tx.audit("reminder", actor=SYSTEM, area=r.area, action="reminder_sent", details=details)
            if ok:
                try:
                    self._plan_next_overdue(tx, r, now)
                except Exception:  # the mail is out and recorded; the gap is logged
                    log.exception("reminder %s (%s): next overdue one not planned", r.id, r.area)

    @staticmethod
    def _sent_details(r: Reminder, notice: ReminderNotice) -> dict[str, Any]:
        return {
            "reminder": r.id,
            "kind": r.kind,
            "review": r.review_date.isoformat(),
            "offset_days": r.offset_days,
            "message_id": r.message_id,
            "to": [p.email for p in notice.recipients],
        }

    def _plan_next_overdue(self, tx: Tx, r: Reminder, now: datetime) -> None:
        """After an on-day or overdue reminder: the next one, while the review
        date still stands undecided and the area is open."""
        area = tx.uow.get_area(r.area)
        if area is None:
            return
        wf = self.ctx.workflow(area)
        policy = wf.definition.reminders
        ag = tx.uow.get_agreement(r.area)
        if (
            policy is not None
            and not wf.is_final(area.state)
            and ag is not None
            and ag.review == r.review_date
            and tx.uow.get_review(r.area, r.review_date) is None
        ):
            nxt = next_overdue(r, policy, now)
            if nxt is not None:
                tx.uow.add_reminders([nxt], tx.now)

    def _record_failure(
        self, r: Reminder, worker: str, now: datetime, exc: Exception, report: SendReport
    ) -> None:
        error = error_text(exc)
        with self.ctx.write() as tx:
            area = tx.uow.get_area(r.area)
            policy = self.ctx.workflow(area).definition.reminders if area else None
            attempts = r.attempts + 1
            change, final = failure_change(
                attempts, exc, policy.max_attempts if policy else None, now
            )
            if final:
                if tx.uow.update_reminder(r.id, worker, change):
                    report.failed.append(r.id)
                    tx.audit(
                        "reminder",
                        actor=SYSTEM,
                        area=r.area,
                        action="reminder_failed",
                        details={"reminder": r.id, "attempts": attempts, "error": error},
                    )
                    self._plan_next_overdue(tx, r, now)  # the weekly series goes on
            elif tx.uow.update_reminder(r.id, worker, change):
                report.retrying.append(r.id)
        log.warning(
            "reminder %s (%s) not delivered, attempt %s: %s", r.id, r.area, r.attempts + 1, error
        )
