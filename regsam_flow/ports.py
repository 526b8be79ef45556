"""The ports through which the engine reaches the outside world.

The core (this package) knows no database, no SMTP server and no wall clock.
It talks to

* a :class:`Store`, whose :meth:`Store.write` and :meth:`Store.read` open a
  :class:`UnitOfWork` (one database transaction);
* a :class:`Notifier`, which delivers one message;
* a :class:`Clock`, which says what time it is (UTC);
* a :class:`DocumentRenderer`, which turns an area's final documentation
  into the bytes of a document (HTML, Markdown).

``regsam_flow.persistence``, ``regsam_flow.notifications`` and
``regsam_flow.documents`` hold the adapters, ``regsam_flow.bootstrap`` plugs them in;
``regsam_flow.persistence.memory.MemoryStore`` is a complete store in memory,
for tests (``tests/test_store_contract.py`` holds every store to the same
contract).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from .auth import SignInLink, StoredApiToken, StoredSession
from .kg import (
    Attachment,
    Attendee,
    CatalogueVersion,
    Dossier,
    Goal,
    KgMessage,
    Measure,
    Meeting,
    MissingResource,
    Responsible,
    WorkOrder,
)
from .model import (
    Agreement,
    Approvals,
    Area,
    AreaAggregate,
    AreaChange,
    AuditBatch,
    AuditEntry,
    FieldValue,
    Person,
    Reminder,
    ReminderChange,
    Review,
    SavedArea,
    SchedulerPass,
    StoredAuditRow,
    StoredWorkflow,
    TaskStatus,
    UnreadableReminder,
    Vote,
)

__all__ = [
    "AuthUnitOfWork",
    "Clock",
    "DeliveryError",
    "DocumentRenderer",
    "FixedClock",
    "InstanceDataUnitOfWork",
    "KgMessageUnitOfWork",
    "KgNotice",
    "KgUnitOfWork",
    "Notifier",
    "Recipient",
    "ReminderNotice",
    "ReminderUnitOfWork",
    "SignInNotice",
    "Store",
    "SystemClock",
    "UnitOfWork",
]


class Clock(ABC):
    """Tells the current time, always timezone-aware UTC."""

    @abstractmethod
    def now(self) -> datetime: ...


class SystemClock(Clock):
    """The machine's clock."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FixedClock(Clock):
    """A clock that stands still until moved; for tests and replays."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._at = at.astimezone(timezone.utc)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at.astimezone(timezone.utc)


@dataclass(frozen=True)
class Recipient:
    """Someone a reminder goes to."""

    person: str
    name: str
    email: str
    role: str


@dataclass(frozen=True)
class ReminderNotice:
    """Everything a reminder message says, as plain facts.

    The engine builds it; a :class:`Notifier` renders and delivers it.
    ``message_id`` is stable per reminder, so a resend after a crash is
    recognisably the same message.  ``days`` counts from the day of sending
    to the review date (negative: overdue).
    """

    reminder_id: int
    message_id: str
    kind: str  # "before", "on_day" or "overdue"
    days: int
    review_date: date
    area: str
    area_name: str
    district: str
    phase: str
    phase_title: str
    workflow_title: str
    agreement: Mapping[str, Any]
    open_tasks: tuple[tuple[str, str], ...]  # (task id, title) of required open tasks
    recipients: tuple[Recipient, ...]
    commands: tuple[str, ...]  # the exact commands that record the decision
    language: str = "de"
    timezone: str = "Europe/Berlin"
    send_hour: int = 8


@dataclass(frozen=True)
class KgNotice:
    """Everything a mail of the KG says, as plain facts (built by the
    engine, rendered and delivered by a :class:`Notifier`).

    ``kind`` is one of :data:`~regsam_flow.kg.MESSAGE_KINDS`.  A
    ``meeting_decisions`` mail fills ``meeting_*`` (and ``decisions``); an
    order reminder fills ``order_*`` and ``addressee`` (who it is for, as
    people read it); ``days`` counts from the day of sending to the due
    date (negative: overdue).  ``commands`` are the exact commands to
    report on the order."""

    message_id: int
    mail_id: str
    kind: str
    area: str
    area_name: str
    district: str
    recipients: tuple[Recipient, ...]
    meeting_id: int = 0
    meeting_number: int = 0
    meeting_date: date | None = None
    meeting_place: str = ""
    decisions: tuple[str, ...] = ()
    order_id: int = 0
    order_title: str = ""
    order_kind: str = ""
    order_due: date | None = None
    order_status: str = ""
    addressee: str = ""
    days: int = 0
    commands: tuple[str, ...] = ()
    language: str = "de"
    timezone: str = "Europe/Berlin"


@dataclass(frozen=True)
class SignInNotice:
    """A sign-in link to mail: ``link`` holds the one-time token (the mail
    is its only copy), valid until ``expires_at`` (UTC)."""

    recipient: Recipient
    link: str
    expires_at: datetime
    language: str = "de"
    timezone: str = "Europe/Berlin"

    def __repr__(self) -> str:  # never the link: it is a secret
        return f"SignInNotice(recipient={self.recipient!r}, expires_at={self.expires_at!r})"


class DeliveryError(Exception):
    """A notifier could not deliver a message.

    ``permanent`` is True when sending the same message again will not help
    (the reminder is marked failed at once), False when a later attempt may
    succeed (it is retried with back-off, up to the policy's attempts).  Any
    other exception from :meth:`Notifier.notify` counts as temporary.
    """

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Notifier(ABC):
    """Delivers reminders and the KG's mails.  Raises :class:`DeliveryError`
    (or any other exception, taken as temporary) when delivery failed."""

    @abstractmethod
    def notify(self, notice: ReminderNotice) -> None: ...

    def notify_kg(self, notice: KgNotice) -> None:
        """Deliver a mail of the KG; a notifier that cannot refuses it for
        good (:class:`DeliveryError`, permanent)."""
        raise DeliveryError(
            f"{type(self).__name__} does not deliver the KG's mails", permanent=True
        )

    def notify_sign_in(self, notice: SignInNotice) -> None:
        """Deliver a sign-in link; a notifier that cannot refuses it for
        good (:class:`DeliveryError`, permanent)."""
        raise DeliveryError(f"{type(self).__name__} does not deliver sign-in links", permanent=True)

    def target(self) -> str | None:
        """Where the mail goes, for people and logs (an SMTP server's
        ``host:port`` or a Maildir's path; never a secret); None if unknown."""
        return None


class DocumentRenderer(ABC):
    """Renders an area's final documentation (its :class:`~regsam_flow.kg.Dossier`)
    as a document: the same dossier always gives the same bytes, so their
    SHA-256 identifies the document."""

    #: The formats it renders, e.g. ``("html", "md")``.
    formats: tuple[str, ...]

    @abstractmethod
    def render(self, dossier: Dossier, fmt: str) -> bytes: ...


class InstanceDataUnitOfWork(ABC):
    """Fields and votes of an instance (see :class:`UnitOfWork`)."""

    @abstractmethod
    def get_fields(self, area_id: str) -> dict[str, FieldValue]:
        """field id -> value, of every field the area has."""

    @abstractmethod
    def set_field(
        self, area_id: str, field_id: str, value: FieldValue, by: str, at: datetime
    ) -> None: ...
    @abstractmethod
    def get_votes(self, area_id: str, round: int | None = None) -> list[Vote]:
        """The votes of one round of the area, or of every round."""

    @abstractmethod
    def add_vote(self, area_id: str, round: int, vote: Vote, at: datetime) -> None: ...


class ReminderUnitOfWork(ABC):
    """The reminder part of a unit of work (see :class:`UnitOfWork`)."""

    @abstractmethod
    def add_reminders(self, reminders: Sequence[Reminder], at: datetime) -> None:
        """Insert pending reminders; a slot (area, review date, offset) that
        exists already is left as it is."""

    @abstractmethod
    def cancel_reminders(
        self, area_id: str, review_date: date | None = None, status: str = "cancelled"
    ) -> int:
        """Set the pending reminders of an area (for one review date) to
        ``status``; return how many."""

    @abstractmethod
    def due_reminders(self, now: datetime, limit: int) -> list[Reminder]:
        """Pending reminders whose next attempt is due and that no live lease holds."""

    @abstractmethod
    def due_for_date(self, area_id: str, review_date: date, now: datetime) -> list[Reminder]:
        """All pending reminders of one review date that are due at ``now``."""

    @abstractmethod
    def reminders_of_date(self, area_id: str, review_date: date) -> list[Reminder]:
        """Every reminder of one review date, in any status, by due time."""

    @abstractmethod
    def unreadable_reminders(self, now: datetime) -> list[UnreadableReminder]:
        """Pending rows due at ``now`` (or whose next attempt is no time of
        the years 1900-2200) that cannot be read as a Reminder (a bad or
        out-of-range date, an unknown kind), each with what is wrong.  The
        reading methods leave such rows out."""

    @abstractmethod
    def processed_after(self, at: datetime) -> list[Reminder]:
        """Reminders sent, superseded or failed whose (last) attempt was due
        after ``at``: a pass handled them later than ``at``.  When ``at`` is
        the present, that pass ran on a clock that was ahead."""

    @abstractmethod
    def claim_reminder(self, reminder_id: int, worker: str, now: datetime, until: datetime) -> bool:
        """Take a lease on a due pending reminder; False if someone holds it."""

    @abstractmethod
    def update_reminder(
        self,
        reminder_id: int,
        worker: str | None,
        change: ReminderChange,
        *,
        when_status: str | None = None,
    ) -> bool:
        """Apply ``change`` to a reminder (only if ``worker`` still holds it,
        and only if it is in status ``when_status``, when given); False if it
        did not."""

    @abstractmethod
    def get_reminder(self, reminder_id: int) -> Reminder | None: ...
    @abstractmethod
    def list_reminders(
        self, area: str | None = None, status: str | None = None, areas: Sequence[str] | None = None
    ) -> list[Reminder]: ...
    @abstractmethod
    def next_reminder_at(self) -> datetime | None:
        """When the earliest pending reminder is next due."""

    @abstractmethod
    def count_reminders(self, status: str) -> int:
        """How many reminders are in ``status`` (readable or not)."""

    @abstractmethod
    def record_scheduler_pass(self, record: SchedulerPass) -> None:
        """Keep ``record`` as its worker's last successful pass (replacing
        that worker's earlier one); other workers' passes more than a week
        older are dropped."""

    @abstractmethod
    def last_scheduler_pass(self) -> SchedulerPass | None:
        """The latest pass any scheduler recorded, or None if none ran."""

    @abstractmethod
    def get_review(self, area_id: str, review_date: date) -> Review | None: ...
    @abstractmethod
    def add_review(
        self,
        area_id: str,
        review_date: date,
        decision: str,
        next_review: date | None,
        reason: str,
        by: str,
        at: datetime,
    ) -> None: ...


class KgUnitOfWork(ABC):
    """The Kooperationsgremium's records (see :class:`UnitOfWork` and
    :mod:`regsam_flow.kg`): meetings with attendees, decisions and
    attachments; goals with measures and ratings; adopted catalogue
    versions; work orders and missing resources.  Ids are given by the
    store, from 1."""

    @abstractmethod
    def add_meeting(
        self,
        area_id: str,
        held_on: date,
        place: str,
        planned: bool,
        attendees: Sequence[Attendee],
        decisions: Sequence[str],
        minutes: str,
        by: str,
        at: datetime,
    ) -> int:
        """Insert a meeting with its attendees and decisions (in the order
        given); return its id."""

    @abstractmethod
    def list_meetings(self, area_id: str) -> list[Meeting]:
        """The area's meetings by date (then id), numbered from 1 in that
        order, with attendees, decisions and attachments (without content)."""

    @abstractmethod
    def add_attachment(
        self, meeting_id: int, filename: str, media_type: str, content: bytes, sha256: str
    ) -> Attachment:
        """Store a file of a meeting; its size is that of ``content``."""

    @abstractmethod
    def attachment_content(self, attachment_id: int) -> bytes | None:
        """The stored bytes of an attachment (None if there is none)."""

    @abstractmethod
    def add_goal(self, area_id: str, title: str, description: str) -> Goal:
        """Append a goal to the area's catalogue (numbered after the last)."""

    @abstractmethod
    def add_measure(self, goal_id: int, title: str, responsible: Responsible) -> Measure: ...
    @abstractmethod
    def list_goals(self, area_id: str) -> list[Goal]:
        """The area's goals by number, each with its measures by id."""

    @abstractmethod
    def rate_goal(self, goal_id: int, rating: str, note: str, by: str, at: datetime) -> None:
        """Set (or replace) a goal's rating."""

    @abstractmethod
    def add_catalogue_version(self, version: CatalogueVersion) -> None:
        """Keep an adopted version (its goals frozen as
        :func:`~regsam_flow.kg.catalogue_json`); a version number the area
        has already is a conflict."""

    @abstractmethod
    def catalogue_versions(self, area_id: str) -> list[CatalogueVersion]:
        """Every adopted version of the area, oldest first."""

    @abstractmethod
    def add_work_order(
        self,
        area_id: str,
        kind: str,
        title: str,
        addressee: Responsible,
        meeting_id: int,
        due: date,
        goal: int | None,
        measure: int | None,
        by: str,
        at: datetime,
    ) -> WorkOrder:
        """Insert a work order or recommendation (``goal``: a goal's number,
        ``measure``: a measure's id), status ``open`` with no note."""

    @abstractmethod
    def update_work_order(
        self, order_id: int, status: str, note: str, by: str, at: datetime
    ) -> None:
        """Set an order's status and note as reported by ``by``."""

    @abstractmethod
    def list_work_orders(self, area_id: str) -> list[WorkOrder]:
        """The area's work orders by id."""

    @abstractmethod
    def add_missing_resource(
        self, area_id: str, text: str, estimate: str, by: str, at: datetime
    ) -> MissingResource:
        """Record what the KG documents as lacking."""

    @abstractmethod
    def list_missing_resources(self, area_id: str) -> list[MissingResource]:
        """The area's missing resources by id."""


class KgMessageUnitOfWork(ABC):
    """The durable outbox of the KG's mails (see :class:`~regsam_flow.kg.KgMessage`),
    claimed and updated like reminders (:class:`ReminderUnitOfWork`), and
    each person's choice whether to get the meetings' decisions by mail."""

    @abstractmethod
    def add_kg_message(
        self, area_id: str, kind: str, ref: int, due_at: datetime, at: datetime
    ) -> int | None:
        """Plan a message, pending and due at ``due_at``; return its id, or
        None when the same message (area, kind, ref, due time) is planned
        already (in any status): a message is never planned twice."""

    @abstractmethod
    def cancel_kg_messages(
        self, area_id: str, *, ref: int | None = None, kinds: Sequence[str] | None = None
    ) -> int:
        """Cancel the area's pending messages (only those of ``ref`` and of
        ``kinds``, when given); return how many."""

    @abstractmethod
    def due_kg_messages(self, now: datetime, limit: int) -> list[KgMessage]:
        """Pending messages whose next attempt is due at ``now`` and on
        which no live lease holds, the earliest first."""

    @abstractmethod
    def claim_kg_message(
        self, message_id: int, worker: str, now: datetime, until: datetime
    ) -> bool:
        """Take a lease on a due pending message; False if someone holds it."""

    @abstractmethod
    def update_kg_message(
        self,
        message_id: int,
        worker: str | None,
        change: ReminderChange,
        *,
        when_status: str | None = None,
    ) -> bool:
        """As :meth:`ReminderUnitOfWork.update_reminder`, for a message."""

    @abstractmethod
    def get_kg_message(self, message_id: int) -> KgMessage | None: ...
    @abstractmethod
    def list_kg_messages(
        self, area: str | None = None, status: str | None = None
    ) -> list[KgMessage]:
        """Messages (of an area, in a status) by due time, then id."""

    @abstractmethod
    def set_decision_mails(self, person_id: str, on: bool) -> None:
        """Set whether the person gets the meetings' decisions by mail."""


class AuthUnitOfWork(ABC):
    """Sign-in's records (see :mod:`regsam_flow.auth`): one-time links,
    sessions, personal API tokens (secrets only as their SHA-256), and the
    attempts the rate limits count (keys only as their SHA-256).  A write to
    a person who does not exist raises :class:`~regsam_flow.errors.ConflictError`."""

    # sign-in links
    @abstractmethod
    def add_sign_in_link(self, link: SignInLink) -> None: ...
    @abstractmethod
    def get_sign_in_link(self, link_hash: str) -> SignInLink | None: ...
    @abstractmethod
    def use_sign_in_link(self, link_hash: str, at: datetime) -> bool:
        """Mark an unused link used; False if it is unknown or used already
        (of two concurrent redeemers exactly one gets True)."""

    @abstractmethod
    def prune_sign_in_links(self, before: datetime) -> int:
        """Delete the links that expired before ``before``; return how many."""

    # rate limits
    @abstractmethod
    def add_auth_attempt(self, kind: str, key_hash: str, at: datetime) -> None: ...
    @abstractmethod
    def auth_attempts(self, kind: str, key_hash: str, since: datetime) -> list[datetime]:
        """The times of the attempts of ``kind`` for the key after ``since``
        (an attempt exactly a window old no longer counts), the earliest first."""

    @abstractmethod
    def prune_auth_attempts(self, before: datetime) -> int:
        """Delete the attempts made before ``before``; return how many."""

    # sessions
    @abstractmethod
    def add_session(self, session: StoredSession) -> None: ...
    @abstractmethod
    def get_session(self, session_id: str) -> StoredSession | None: ...
    @abstractmethod
    def find_session(self, secret_hash: str) -> StoredSession | None:
        """The session whose secret has this hash (ended or not)."""

    @abstractmethod
    def list_sessions(self, person_id: str, now: datetime) -> list[StoredSession]:
        """The person's sessions not ended and not past their absolute
        expiry at ``now``, the newest first."""

    @abstractmethod
    def touch_session(self, session_id: str, at: datetime) -> None:
        """Set the session's last_seen_at."""

    @abstractmethod
    def end_session(self, session_id: str, at: datetime) -> bool:
        """End a session not ended yet; False if there is none such."""

    @abstractmethod
    def end_sessions(self, person_id: str, at: datetime) -> int:
        """End all the person's sessions not ended yet; return how many."""

    @abstractmethod
    def prune_sessions(self, before: datetime) -> int:
        """Delete the sessions ended, or past their absolute expiry, before
        ``before``; return how many."""

    # personal API tokens
    @abstractmethod
    def add_api_token(self, token: StoredApiToken) -> None: ...
    @abstractmethod
    def get_api_token(self, token_id: str) -> StoredApiToken | None: ...
    @abstractmethod
    def find_api_token(self, secret_hash: str) -> StoredApiToken | None:
        """The token whose secret has this hash (revoked or not)."""

    @abstractmethod
    def list_api_tokens(self, person_id: str) -> list[StoredApiToken]:
        """The person's tokens, revoked ones included, the oldest first."""

    @abstractmethod
    def touch_api_token(self, token_id: str, at: datetime) -> None:
        """Set the token's last_used_at."""

    @abstractmethod
    def revoke_api_token(self, token_id: str, at: datetime) -> bool:
        """Revoke a live token; False if there is none such."""


class UnitOfWork(
    ReminderUnitOfWork,
    InstanceDataUnitOfWork,
    KgUnitOfWork,
    KgMessageUnitOfWork,
    AuthUnitOfWork,
):
    """One transaction against the store.

    Reads see a consistent snapshot; writes become visible together when the
    unit of work ends without an exception, or not at all.
    """

    # people
    @abstractmethod
    def get_person(self, person_id: str) -> Person | None: ...
    @abstractmethod
    def list_people(self) -> list[Person]: ...
    @abstractmethod
    def add_person(self, person: Person, at: datetime) -> None: ...
    @abstractmethod
    def has_admin(self) -> bool:
        """Whether anybody is an admin."""

    @abstractmethod
    def set_global_roles(self, person_id: str, *, admin: bool, auditor: bool) -> None: ...

    # deployed workflow definitions
    @abstractmethod
    def list_workflow_definitions(self) -> list[StoredWorkflow]:
        """Every deployed definition, by name and version."""

    @abstractmethod
    def add_workflow_definition(self, definition: StoredWorkflow) -> None: ...

    # areas
    @abstractmethod
    def get_area(self, area_id: str) -> Area | None: ...
    @abstractmethod
    def list_areas(self, state: str | None = None, member: str | None = None) -> list[Area]:
        """All areas (in a state); with ``member`` only those they are assigned to."""

    def area_ids(self, state: str | None = None, member: str | None = None) -> list[str]:
        """The ids of :meth:`list_areas`, in the same order (a store may
        read just the ids)."""
        return [a.id for a in self.list_areas(state=state, member=member)]

    @abstractmethod
    def add_area(self, area: Area) -> None: ...
    @abstractmethod
    def update_area(
        self,
        area_id: str,
        expected_version: int,
        *,
        state: str,
        round: int,
        at: datetime,
        workflow_version: int | None = None,
    ) -> int:
        """Set state and round (and, given, the workflow version the area
        runs on) and bump the version, if it still is ``expected_version``;
        return the new version.  Raise
        :class:`~regsam_flow.errors.ConflictError` otherwise."""

    # an area as one aggregate
    def load_area(self, area_id: str) -> AreaAggregate | None:
        """Everything a decision on the area needs, in one call (None if
        there is no such area): the area, its assignments, tasks, the
        approvals of its current round, its newest agreement and its fields.

        It replaces the six separate reads (``get_area``, ``get_assignments``,
        ``get_tasks``, ``get_approvals``, ``get_agreement``, ``get_fields``) a
        transition makes, so that the rules decide in memory on one read
        and the same shape serves every front end.  Read inside the caller's
        unit of work; a store may override it with a cheaper read (the SQL
        store and the memory store use this one: on SQL six queries, one per
        table, the agreement with its signatures in one; the first alone
        for an unknown area)."""
        area = self.get_area(area_id)
        if area is None:
            return None
        return AreaAggregate(
            area=area,
            assignments=tuple(self.get_assignments(area_id)),
            tasks=self.get_tasks(area_id),
            approvals=self.get_approvals(area_id, area.round),
            agreement=self.get_agreement(area_id),
            fields=self.get_fields(area_id),
        )

    def load_areas(self, area_ids: Sequence[str]) -> dict[str, AreaAggregate]:
        """:meth:`load_area` of each of ``area_ids`` (a batch, such as 500
        ids), by id; unknown ids are left out.  The SQL store reads the
        batch in six queries instead of six per area."""
        out = {}
        for area_id in area_ids:
            agg = self.load_area(area_id)
            if agg is not None:
                out[area_id] = agg
        return out

    def save_area(self, change: AreaChange) -> SavedArea:
        """Write what a transition or an approval changes in an area, as one
        change set: state, round, version and (a migration) the workflow
        version (as :meth:`update_area`, raising
        :class:`~regsam_flow.errors.ConflictError` and writing nothing if the
        area's version is not ``change.expected_version`` any more), then the
        tasks, the approval, and the cancelling of the area's pending
        reminders and KG mails.  It runs in the caller's write unit of work, so it is
        written together with the audit entries the caller appends, or not
        at all.  The counterpart of :meth:`load_area`: load, decide in
        memory, save."""
        version = self.update_area(
            change.area,
            change.expected_version,
            state=change.state,
            round=change.round,
            at=change.at,
            workflow_version=change.workflow_version,
        )
        for task in change.tasks:
            self.put_task(change.area, task)
        a = change.approval
        if a is not None:
            self.add_approval(change.area, a.round, a.trigger, a.role, a.person, change.at)
        cancelled = messages = 0
        if change.cancel_reminders:
            cancelled = self.cancel_reminders(change.area)
            messages = self.cancel_kg_messages(change.area)
        return SavedArea(
            version=version, reminders_cancelled=cancelled, kg_messages_cancelled=messages
        )

    # assignments
    @abstractmethod
    def get_assignments(self, area_id: str) -> list[tuple[str, str]]:
        """(role, person id) pairs, ordered."""

    @abstractmethod
    def add_assignment(self, area_id: str, role: str, person_id: str) -> None: ...
    @abstractmethod
    def remove_assignment(self, area_id: str, role: str, person_id: str) -> None: ...

    # tasks
    @abstractmethod
    def get_tasks(self, area_id: str) -> dict[str, TaskStatus]: ...
    @abstractmethod
    def put_task(self, area_id: str, status: TaskStatus) -> None: ...

    # agreement
    @abstractmethod
    def get_agreement(self, area_id: str, version: int | None = None) -> Agreement | None:
        """The newest version (or the given one), with its signatures."""

    @abstractmethod
    def add_agreement(self, area_id: str, agreement: Agreement) -> None: ...
    @abstractmethod
    def add_signature(
        self, area_id: str, version: int, role: str, person_id: str, at: datetime
    ) -> None: ...

    # approvals
    @abstractmethod
    def get_approvals(self, area_id: str, round: int) -> Approvals:
        """trigger -> role -> person id, for one round of an area."""

    @abstractmethod
    def add_approval(
        self, area_id: str, round: int, trigger: str, role: str, person_id: str, at: datetime
    ) -> None: ...

    # audit log
    @abstractmethod
    def audit_head(self) -> tuple[int, str]:
        """(seq, hash) of the newest entry, locked against other writers."""

    @abstractmethod
    def read_audit_head(self) -> tuple[int, str] | None:
        """(seq, hash) the engine keeps as the newest entry, without locking;
        None if that record is missing or unreadable (damage)."""

    @abstractmethod
    def audit_at(self, seq: int) -> str | None:
        """The time of entry ``seq`` as stored (None if there is no such entry)."""

    @abstractmethod
    def append_audit(self, entry: AuditEntry) -> None: ...
    def query_audit(
        self,
        area: str | None = None,
        since: str | None = None,
        until: str | None = None,
        actor: str | None = None,
        member: str | None = None,
        actions: Sequence[str] | None = None,
        after: int | None = None,
    ) -> list[AuditEntry]:
        """Entries in sequence order; ``since``/``until`` are UTC timestamps
        in the log's own format, ``until`` inclusive; ``member`` limits to
        the areas that person is assigned to (decided by the store, never a
        list of areas passed in), ``actions`` to entries with one of these
        actions, ``after`` to entries whose sequence number is greater.
        What :meth:`stream_audit` yields, as a list."""
        return list(
            self.stream_audit(
                area=area,
                since=since,
                until=until,
                actor=actor,
                member=member,
                actions=actions,
                after=after,
            )
        )

    @abstractmethod
    def stream_audit(
        self,
        area: str | None = None,
        since: str | None = None,
        until: str | None = None,
        actor: str | None = None,
        member: str | None = None,
        actions: Sequence[str] | None = None,
        after: int | None = None,
        batch: int = 2000,
    ) -> Iterator[AuditEntry]:
        """The entries :meth:`query_audit` returns, one at a time as they are
        read (``batch`` rows at a time; a server-side cursor where the
        database has one): memory stays flat however long the log.  Valid
        while the unit of work is open."""

    @abstractmethod
    def iter_audit(self, batch: int = 5000) -> Iterator[AuditEntry]:
        """Every entry in sequence order."""

    @abstractmethod
    def iter_audit_rows(self, batch: int = 5000, after: int = 0) -> Iterator[StoredAuditRow]:
        """Every entry (with ``after``: every one whose sequence number is
        greater) in sequence order as a plain tuple in AuditEntry field order
        (no objects built: for verifying large logs fast).  Text that is not
        valid UTF-8 comes as a ``str`` with surrogate escapes (for the
        verifier to name), never as an error."""

    def iter_audit_batches(self, after: int = 0, size: int = 5000) -> Iterator[AuditBatch]:
        """The entries after ``after`` in sequence order, ``size`` at a time,
        joined for the fast verifier (see :class:`AuditBatch`).  This default
        joins :meth:`iter_audit_rows` in Python; a store may have its
        database do it.  Entries it cannot read as text come as a batch with
        ``readable`` False."""
        from .audit import batch_of

        rows: list[StoredAuditRow] = []
        for row in self.iter_audit_rows(size, after=after):
            rows.append(row)
            if len(rows) >= size:
                yield batch_of(rows)
                rows = []
        if rows:
            yield batch_of(rows)


class Store(ABC):
    """Opens units of work; one per engine."""

    url: str

    @property
    def shown_url(self) -> str:
        """The URL to show a person or write to a log: without a password."""
        return self.url

    @abstractmethod
    def write(self) -> AbstractContextManager[UnitOfWork]:
        """A unit of work that may write; writers are serialised."""

    @abstractmethod
    def read(self) -> AbstractContextManager[UnitOfWork]:
        """A unit of work for reading only."""

    @abstractmethod
    def initialise(self) -> AbstractContextManager[UnitOfWork]:
        """A write unit of work that first creates or upgrades the schema, in
        the same transaction: all of it is committed, or nothing."""

    @abstractmethod
    def schema_status(self) -> tuple[str | None, str]:
        """(revision found in the database or None, revision this code needs)."""

    @abstractmethod
    def check_schema(self) -> None:
        """Refuse to work on a database whose schema is not this code's:
        raise :class:`~regsam_flow.errors.SchemaError` (naming the revision
        found and the one needed, and how to upgrade) for a missing, older
        or newer schema; return quietly when it matches.  The engine calls
        it once before its first unit of work; a store without a schema
        (in memory) just returns."""

    @abstractmethod
    def upgrade(self) -> tuple[str | None, str]:
        """Create or upgrade the schema; return (revision before, revision after)."""

    def schema_sql(self) -> str:
        """The SQL that would create the schema (or upgrade it from the
        revision the database has), for a database administrator to review;
        changes nothing.  A store without SQL raises
        :class:`~regsam_flow.errors.InvalidInputError`."""
        from .errors import InvalidInputError
        from .i18n import _

        raise InvalidInputError(_("this store has no SQL schema to print"), field="sql")

    def backup(
        self, target: str, *, overwrite: bool = False
    ) -> AbstractContextManager[tuple[tuple[int, str] | None, Store]]:
        """Copy the whole database to a new file beside ``target``, yielding
        the audit head as of the copy (``(seq, hash)``, read in the same
        snapshot; None if the database keeps none) and a store reading the
        copy; when the block ends cleanly the copy is flushed to disk and
        becomes ``target``, else it is removed.  ``target`` existing is
        refused unless ``overwrite``.  A store that cannot be copied so
        raises :class:`~regsam_flow.errors.InvalidInputError`."""
        from .errors import InvalidInputError
        from .i18n import _

        raise InvalidInputError(_("this store cannot be backed up to a file"), field="db")

    @abstractmethod
    def login(self) -> str:
        """The database login the store connects as; raises
        :class:`~regsam_flow.errors.InvalidInputError` where a database has
        no logins (SQLite)."""

    @abstractmethod
    def close(self) -> None: ...
