"""Review-date reminders: scheduling, review decisions, the send pass."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from ..errors import BlockedError, Blocker, InvalidInputError, NotAllowedError, NotFoundError
from ..model import AGREEMENT_SIGNERS, Reminder
from ..ports import Notifier, Recipient, ReminderNotice
from ..schedule import backoff, next_overdue
from ..validation import check_text
from ..workflows import Workflow
from .agreements import AgreementOps
from .base import _Tx, pick_role

__all__ = ["ReminderOps", "SendReport"]

log = logging.getLogger("regsam_flow.reminders")
SYSTEM = "regsam-flow"  # the actor of entries the scheduler writes
LEASE = timedelta(minutes=10)


@dataclass
class SendReport:
    """What one send pass did."""

    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    superseded: list[int] = field(default_factory=list)
    lost: list[int] = field(default_factory=list)  # another worker took over

    def to_dict(self) -> dict[str, list[int]]:
        return {
            "sent": self.sent,
            "retrying": self.retrying,
            "failed": self.failed,
            "superseded": self.superseded,
            "lost": self.lost,
        }


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class ReminderOps(AgreementOps):
    """Reminders before, on and after each area's review date."""

    _notifier: Notifier | None = None

    @property
    def notifier(self) -> Notifier:
        """Where reminders go: REGSAM_FLOW_SMTP_URL, or a Maildir in the data folder."""
        if self._notifier is None:
            from ..notifications import notifier_from_env
            from ..paths import data_dir

            self._notifier = notifier_from_env(data_dir(), clock=self.clock)
        return self._notifier

    @notifier.setter
    def notifier(self, value: Notifier) -> None:
        self._notifier = value

    # -------------------------------------------------------------- decision
    def review(
        self,
        area_id: str,
        *,
        actor: str,
        decision: str,
        next_review: date | str | None = None,
        reason: str = "",
    ) -> Reminder | None:
        """Record the decision taken at the review date: ``continue`` (with
        the next review date, an agreement amendment) or ``end``.  It stops
        the reminders for that date."""
        from ..dates import parse_date

        if decision not in ("continue", "end"):
            raise InvalidInputError("decision must be 'continue' or 'end'", field="decision")
        reason = check_text(reason, "reason", max_len=2000)
        nxt = parse_date(next_review, "next") if isinstance(next_review, str) else next_review
        if decision == "continue" and nxt is None:
            raise InvalidInputError("continuing needs the next review date (--next)", field="next")
        if decision == "end" and nxt is not None:
            raise InvalidInputError("ending takes no next review date", field="next")
        with self._write() as tx:
            area, wf, roles = self._member(
                tx.uow, area_id, actor, AGREEMENT_SIGNERS, "record a review decision"
            )
            ag = tx.uow.get_agreement(area_id)
            if ag is None or ag.review is None:
                raise BlockedError(
                    "there is no review date to decide on",
                    [Blocker("no_review_date", "the agreement has no review date yet")],
                    area=area_id,
                )
            done = tx.uow.get_review(area_id, ag.review)
            if done is not None:
                raise BlockedError(
                    f"the review of {ag.review:%d.%m.%Y} is decided already",
                    [
                        Blocker(
                            "review_decided",
                            f"decided '{done['decision']}' by {done['decided_by']}",
                        )
                    ],
                    area=area_id,
                )
            today = tx.now.astimezone(self._zone(wf)).date()
            if nxt is not None and (nxt <= ag.review or nxt <= today):
                raise InvalidInputError(
                    f"the next review date {nxt:%d.%m.%Y} must lie after the current one "
                    f"({ag.review:%d.%m.%Y}) and after today",
                    field="next",
                )
            role = pick_role(roles, AGREEMENT_SIGNERS)
            tx.uow.add_review(area_id, ag.review, decision, nxt, reason, actor, tx.now)
            cancelled = tx.uow.cancel_reminders(area_id, ag.review)
            area = self._bump(tx, area)
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
                self._store_agreement(tx, area, actor, role, ag, {"review": nxt})
        return None

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
                f"unknown status {status!r}: use pending, sent, failed, cancelled or superseded",
                field="status",
            )
        with self._read() as uow:
            me = self._person(uow, actor)
            areas = None
            if area is not None:
                self._area_for(uow, area, actor)
            elif not (me.admin or me.auditor):
                areas = [a.id for a in uow.list_areas(member=actor)]
            return uow.list_reminders(area=area, status=status, areas=areas)

    def retry_reminder(self, reminder_id: int, *, actor: str) -> Reminder:
        """Queue a failed reminder again (admins, the area's moderation or
        social planning)."""
        with self._write() as tx:
            me = self._person(tx.uow, actor)
            rem = tx.uow.get_reminder(reminder_id)
            missing = NotFoundError(
                f"no reminder {reminder_id}", kind="reminder", key=str(reminder_id)
            )
            if rem is None:
                raise missing
            try:
                area, _p, roles, _ = self._area_for(tx.uow, rem.area, actor)
            except NotFoundError:
                raise missing from None  # an area they may not see: same answer
            role = pick_role(roles, AGREEMENT_SIGNERS)
            if not me.admin and role not in AGREEMENT_SIGNERS:
                raise NotAllowedError(
                    "only an admin or the area's moderation or social planning may retry",
                    actor=actor,
                    area=rem.area,
                )
            if rem.status != "failed":
                raise BlockedError(
                    f"reminder {reminder_id} is {rem.status}, not failed",
                    [Blocker("not_failed", "only failed reminders can be retried")],
                    area=rem.area,
                )
            tx.uow.update_reminder(
                reminder_id,
                None,
                status="pending",
                attempts=0,
                next_attempt_at=tx.now,
                last_error="",
                claimed_by=None,
                claimed_until=None,
            )
            self._bump(tx, area)
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
        with self._read() as uow:
            return uow.next_reminder_at()

    # ------------------------------------------------------------ send pass
    def send_due(
        self, now: datetime | None = None, *, worker: str | None = None, limit: int = 200
    ) -> SendReport:
        """Send every reminder due at ``now``, each exactly once.

        Due reminders are claimed in the database first (a lease), so
        several schedulers can run at once.  Of the due reminders of one
        review date only the newest is sent; the older are superseded.  A
        failed delivery is retried with backoff and marked failed after the
        policy's ``max_attempts``."""
        now = now or self.clock.now()
        worker = worker or worker_name()
        report = SendReport()
        with self._write() as tx:
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
                    if r is not newest and tx.uow.update_reminder(r.id, None, status="superseded"):
                        report.superseded.append(r.id)
                if tx.uow.claim_reminder(newest.id, worker, now, self._lease_end(now)):
                    claimed.append(newest)
        for r in claimed:
            if not self._renew(r, worker, now):  # our lease ran out: someone else has it
                report.lost.append(r.id)
                continue
            try:
                notice = self._notice(r, now)
                self.notifier.notify(notice)
            except Exception as exc:
                self._record_failure(r, worker, now, exc, report)
            else:
                self._record_sent(r, worker, now, notice, report)
        return report

    def _lease_end(self, now: datetime) -> datetime:
        """Leases run on the engine's clock, also when a pass pretends another ``now``."""
        return max(now, self.clock.now()) + LEASE

    def _renew(self, r: Reminder, worker: str, now: datetime) -> bool:
        """Extend our lease just before sending; False if we no longer hold it."""
        with self._write() as tx:
            return tx.uow.update_reminder(
                r.id, worker, status="pending", claimed_until=self._lease_end(now)
            )

    def _notice(self, r: Reminder, now: datetime) -> ReminderNotice:
        with self._read() as uow:
            area = uow.get_area(r.area)
            if area is None:
                raise NotFoundError(f"no area '{r.area}'", kind="area", key=r.area)
            wf = self._workflow(area)
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
        with self._write() as tx:
            ok = tx.uow.update_reminder(
                r.id,
                worker,
                status="sent",
                sent_at=now,
                attempts=r.attempts + 1,
                claimed_by=None,
                claimed_until=None,
                last_error="",
            )
            if not ok:  # our lease ran out and another worker took the reminder
                log.warning("reminder %s: lease lost after sending", r.id)
                report.lost.append(r.id)
                return
            report.sent.append(r.id)
            tx.audit(
                "reminder",
                actor=SYSTEM,
                area=r.area,
                action="reminder_sent",
                details={
                    "reminder": r.id,
                    "kind": r.kind,
                    "review": r.review_date.isoformat(),
                    "offset_days": r.offset_days,
                    "message_id": r.message_id,
                    "to": [p.email for p in notice.recipients],
                },
            )
            self._plan_next_overdue(tx, r, now)

    def _plan_next_overdue(self, tx: _Tx, r: Reminder, now: datetime) -> None:
        """After an on-day or overdue reminder: the next one, while the review
        date still stands undecided and the area is open."""
        area = tx.uow.get_area(r.area)
        if area is None:
            return
        wf = self._workflow(area)
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
        error = f"{type(exc).__name__}: {exc}"[:1000]
        with self._write() as tx:
            area = tx.uow.get_area(r.area)
            policy = self._workflow(area).definition.reminders if area else None
            attempts = r.attempts + 1
            permanent = bool(getattr(exc, "permanent", False))
            if policy is None or permanent or attempts >= policy.max_attempts:
                if tx.uow.update_reminder(
                    r.id,
                    worker,
                    status="failed",
                    attempts=attempts,
                    last_error=error,
                    claimed_by=None,
                    claimed_until=None,
                ):
                    report.failed.append(r.id)
                    tx.audit(
                        "reminder",
                        actor=SYSTEM,
                        area=r.area,
                        action="reminder_failed",
                        details={"reminder": r.id, "attempts": attempts, "error": error},
                    )
                    self._plan_next_overdue(tx, r, now)  # the weekly series goes on
            elif tx.uow.update_reminder(
                r.id,
                worker,
                attempts=attempts,
                last_error=error,
                next_attempt_at=now + backoff(attempts),
                claimed_by=None,
                claimed_until=None,
            ):
                report.retrying.append(r.id)
        log.warning(
            "reminder %s (%s) not delivered, attempt %s: %s", r.id, r.area, r.attempts + 1, error
        )
