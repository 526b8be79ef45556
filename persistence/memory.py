"""A store that keeps everything in memory: for tests and embedders' tests.

``Engine(store=MemoryStore())`` runs the engine without a database.  It is a
complete implementation of the :class:`~regsam_flow.ports.Store` port, not a
mock; it enforces what the SQL schema enforces:

* a write unit of work is atomic: it works on a copy of the committed state,
  which replaces the committed state when the unit ends without an exception
  (discarded otherwise); one writer at a time (a lock); a read unit sees the
  state committed when it began;
* a duplicate key, or a row referring to a missing area or person, raises
  :class:`~regsam_flow.errors.ConflictError` (the SQL store's answer to an
  integrity error);
* the audit log and the deployed workflow definitions are append-only: the
  port offers no way to change or remove them, and an entry or definition
  whose key exists is refused;
* reminders and the KG's mails are claimed with leases exactly as in the
  SQL store.

Like an empty SQLite file, a new memory store is not initialised:
:meth:`MemoryStore.upgrade` (or ``Engine.init``) creates it and deploys the
shipped workflow definitions, as the SQL migrations do.  Nothing here
imports SQLAlchemy.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from dataclasses import fields as dataclass_fields
from datetime import date, datetime, timezone
from typing import cast

from regsam_flow.audit import GENESIS, format_ts, parse_ts
from regsam_flow.auth import SignInLink, StoredApiToken, StoredSession
from regsam_flow.dates import FIRST_YEAR, LAST_YEAR
from regsam_flow.errors import AuditError, ConflictError, InvalidInputError, SchemaError
from regsam_flow.i18n import _
from regsam_flow.kg import (
    Attachment,
    Attendee,
    CatalogueVersion,
    Goal,
    KgMessage,
    Measure,
    Meeting,
    MissingResource,
    Responsible,
    WorkOrder,
    catalogue_goals,
    catalogue_json,
)
from regsam_flow.model import (
    SCHEDULER_PASSES_KEPT,
    Agreement,
    Approvals,
    Area,
    AuditEntry,
    FieldValue,
    Person,
    Reminder,
    ReminderChange,
    Review,
    SchedulerPass,
    StoredAuditRow,
    StoredWorkflow,
    TaskStatus,
    UnreadableReminder,
    Vote,
)
from regsam_flow.ports import Store, UnitOfWork
from regsam_flow.shipped import shipped_deployments

from .memory_auth import MemoryAuth
from .memory_leases import claim_row, update_row
from .memory_messages import MemoryKgMessages
from .revision import HEAD_REVISION

__all__ = ["MemoryStore", "MemoryUnitOfWork"]

_GENESIS = (0, GENESIS)
#: How long a writer waits for another (as SQLite's busy timeout).
BUSY_TIMEOUT_S = 30.0
_HANDLED = ("sent", "superseded", "failed")


def _utc(value: datetime) -> datetime:
    """As the SQL store keeps times: UTC, to the microsecond (stored text, read back)."""
    return parse_ts(format_ts(value))


def _opt_utc(value: datetime | None) -> datetime | None:
    return _utc(value) if value is not None else None


@dataclass
class _State:
    """Everything a store holds.  The values are frozen records; a write unit
    copies the containers (not the records) and changes the copies."""

    revision: str | None = None
    people: dict[str, Person] = field(default_factory=dict)
    definitions: dict[tuple[str, int], StoredWorkflow] = field(default_factory=dict)
    areas: dict[str, Area] = field(default_factory=dict)
    assignments: set[tuple[str, str, str]] = field(default_factory=set)  # area, role, person
    tasks: dict[tuple[str, str], TaskStatus] = field(default_factory=dict)
    agreements: dict[tuple[str, int], Agreement] = field(default_factory=dict)
    signatures: dict[tuple[str, int, str], str] = field(default_factory=dict)  # -> person
    approvals: dict[tuple[str, int, str, str], str] = field(default_factory=dict)
    audit: dict[int, AuditEntry] = field(default_factory=dict)
    head: tuple[int, str] | None = None
    reminders: dict[int, Reminder] = field(default_factory=dict)
    last_reminder_id: int = 0
    reviews: dict[tuple[str, date], Review] = field(default_factory=dict)
    scheduler_passes: dict[str, SchedulerPass] = field(default_factory=dict)  # by worker
    fields: dict[tuple[str, str], str] = field(default_factory=dict)  # -> JSON text
    votes: dict[tuple[str, int, str], tuple[Vote, str]] = field(default_factory=dict)
    # the KG's records: rows by id (meetings without number and attachments,
    # goals without measures; filled in when read), content kept apart
    meetings: dict[int, Meeting] = field(default_factory=dict)
    attachments: dict[int, tuple[Attachment, bytes]] = field(default_factory=dict)
    goals: dict[int, Goal] = field(default_factory=dict)
    measures: dict[int, Measure] = field(default_factory=dict)
    catalogue: dict[tuple[str, int], CatalogueVersion] = field(default_factory=dict)
    orders: dict[int, WorkOrder] = field(default_factory=dict)
    resources: dict[int, MissingResource] = field(default_factory=dict)
    last_kg_id: dict[str, int] = field(default_factory=dict)  # table -> last id
    kg_messages: dict[int, KgMessage] = field(default_factory=dict)
    # sign-in (secrets only as hashes)
    sign_in_links: dict[str, SignInLink] = field(default_factory=dict)  # by hash
    sessions: dict[str, StoredSession] = field(default_factory=dict)
    api_tokens: dict[str, StoredApiToken] = field(default_factory=dict)
    auth_attempts: dict[int, tuple[str, str, datetime]] = field(default_factory=dict)
    last_auth_attempt: int = 0

    def copy(self) -> _State:
        return _State(
            **{
                f.name: (
                    getattr(self, f.name).copy()
                    if isinstance(getattr(self, f.name), (dict, set))
                    else getattr(self, f.name)
                )
                for f in dataclass_fields(self)
            }
        )


def _conflict(what: str) -> ConflictError:
    return ConflictError(
        _(
            "the change collides with another one made meanwhile ({detail}); "
            "nothing was written, try again"
        ).format(detail=what)
    )


def _reminder_problem(r: Reminder) -> str | None:
    """Why the SQL store could not read this reminder back (dates outside
    the years it reads), or None."""
    checks: list[tuple[str, date | None]] = [
        ("review_date", r.review_date),
        ("due_at", r.due_at.date()),
        ("next_attempt_at", r.next_attempt_at.date() if r.next_attempt_at else None),
        ("claimed_until", r.claimed_until.date() if r.claimed_until else None),
        ("sent_at", r.sent_at.date() if r.sent_at else None),
    ]
    for name, value in checks:
        if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
            return f"{name} {value.isoformat()} lies outside the years {FIRST_YEAR}-{LAST_YEAR}"
    return None


def _next_at(r: Reminder) -> datetime:
    assert r.next_attempt_at is not None  # always set by add_reminders
    return r.next_attempt_at


class MemoryUnitOfWork(MemoryKgMessages, MemoryAuth, UnitOfWork):
    """One unit of work on a :class:`_State` (a private copy when writing)."""

    def __init__(self, state: _State, writable: bool) -> None:
        self._s = state
        self._writable = writable

    def _w(self) -> _State:
        if not self._writable:
            raise RuntimeError("a read unit of work cannot write (use Store.write)")
        return self._s

    def _need_area(self, area_id: str) -> None:
        if area_id not in self._s.areas:
            raise _conflict(f"no area '{area_id}'")

    def _need_person(self, person_id: str) -> None:
        if person_id not in self._s.people:
            raise _conflict(f"no person '{person_id}'")

    # people
    def get_person(self, person_id: str) -> Person | None:
        return self._s.people.get(person_id)

    def list_people(self) -> list[Person]:
        return [self._s.people[k] for k in sorted(self._s.people)]

    def add_person(self, person: Person, at: datetime) -> None:
        s = self._w()
        if person.id in s.people:
            raise _conflict(f"person '{person.id}' exists")
        s.people[person.id] = person

    def has_admin(self) -> bool:
        return any(p.admin for p in self._s.people.values())

    def set_global_roles(self, person_id: str, *, admin: bool, auditor: bool) -> None:
        s = self._w()
        if person_id in s.people:
            s.people[person_id] = replace(s.people[person_id], admin=admin, auditor=auditor)

    # deployed workflow definitions
    def list_workflow_definitions(self) -> list[StoredWorkflow]:
        return [self._s.definitions[k] for k in sorted(self._s.definitions)]

    def add_workflow_definition(self, definition: StoredWorkflow) -> None:
        s = self._w()
        key = (definition.name, definition.version)
        if key in s.definitions:
            raise _conflict(
                f"workflow {definition.name} version {definition.version} is deployed; "
                "deployed definitions are append-only"
            )
        s.definitions[key] = replace(definition, deployed_at=_utc(definition.deployed_at))

    # areas
    def get_area(self, area_id: str) -> Area | None:
        return self._s.areas.get(area_id)

    def list_areas(self, state: str | None = None, member: str | None = None) -> list[Area]:
        ids = sorted(self._s.areas)
        if member is not None:
            mine = {a for a, _r, p in self._s.assignments if p == member}
            ids = [i for i in ids if i in mine]
        areas = [self._s.areas[i] for i in ids]
        return [a for a in areas if state is None or a.state == state]

    def add_area(self, area: Area) -> None:
        s = self._w()
        if area.id in s.areas:
            raise _conflict(f"area '{area.id}' exists")
        s.areas[area.id] = replace(
            area, created_at=_utc(area.created_at), updated_at=_utc(area.updated_at)
        )

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
        s = self._w()
        area = s.areas.get(area_id)
        if area is None or area.version != expected_version:
            raise ConflictError(
                _(
                    "area '{area}' was changed by someone else meanwhile; nothing was written,"
                    " look at it again and retry"
                ).format(area=area_id),
                area=area_id,
            )
        if workflow_version is None:
            workflow_version = area.workflow_version
        s.areas[area_id] = replace(
            area,
            state=state,
            round=round,
            version=expected_version + 1,
            updated_at=_utc(at),
            workflow_version=workflow_version,
        )
        return expected_version + 1

    # assignments
    def get_assignments(self, area_id: str) -> list[tuple[str, str]]:
        return sorted((r, p) for a, r, p in self._s.assignments if a == area_id)

    def add_assignment(self, area_id: str, role: str, person_id: str) -> None:
        s = self._w()
        self._need_area(area_id)
        self._need_person(person_id)
        if (area_id, role, person_id) in s.assignments:
            raise _conflict(f"{person_id} is {role} in '{area_id}' already")
        s.assignments.add((area_id, role, person_id))

    def remove_assignment(self, area_id: str, role: str, person_id: str) -> None:
        self._w().assignments.discard((area_id, role, person_id))

    # tasks
    def get_tasks(self, area_id: str) -> dict[str, TaskStatus]:
        return {t: st for (a, t), st in self._s.tasks.items() if a == area_id}

    def put_task(self, area_id: str, status: TaskStatus) -> None:
        s = self._w()
        self._need_area(area_id)
        s.tasks[(area_id, status.task_id)] = replace(status, done_at=_opt_utc(status.done_at))

    # agreement
    def get_agreement(self, area_id: str, version: int | None = None) -> Agreement | None:
        if version is None:
            versions = [v for a, v in self._s.agreements if a == area_id]
            if not versions:
                return None
            version = max(versions)
        ag = self._s.agreements.get((area_id, version))
        if ag is None:
            return None
        sigs = {
            r: p for (a, v, r), p in self._s.signatures.items() if a == area_id and v == version
        }
        return replace(ag, signatures=sigs)

    def add_agreement(self, area_id: str, agreement: Agreement) -> None:
        assert agreement.created_at is not None and agreement.created_by is not None
        s = self._w()
        self._need_area(area_id)
        key = (area_id, agreement.version)
        if key in s.agreements:
            raise _conflict(f"agreement version {agreement.version} of '{area_id}' exists")
        s.agreements[key] = replace(agreement, created_at=_utc(agreement.created_at), signatures={})

    def add_signature(
        self, area_id: str, version: int, role: str, person_id: str, at: datetime
    ) -> None:
        s = self._w()
        key = (area_id, version, role)
        if key in s.signatures:
            raise _conflict(f"{role} signed version {version} of '{area_id}' already")
        s.signatures[key] = person_id

    # approvals
    def get_approvals(self, area_id: str, round: int) -> Approvals:
        out: Approvals = {}
        for (a, rnd, trigger, role), person in self._s.approvals.items():
            if a == area_id and rnd == round:
                out.setdefault(trigger, {})[role] = person
        return out

    def add_approval(
        self, area_id: str, round: int, trigger: str, role: str, person_id: str, at: datetime
    ) -> None:
        s = self._w()
        self._need_area(area_id)
        key = (area_id, round, trigger, role)
        if key in s.approvals:
            raise _conflict(f"{role} approved {trigger} in '{area_id}' already")
        s.approvals[key] = person_id

    # audit log
    def audit_head(self) -> tuple[int, str]:
        if self._s.head is None:
            raise AuditError(
                _(
                    "the audit log's head record is missing: nothing can be written; "
                    "run `regsam-flow audit verify`"
                )
            )
        return self._s.head

    def read_audit_head(self) -> tuple[int, str] | None:
        return self._s.head

    def audit_at(self, seq: int) -> str | None:
        entry = self._s.audit.get(seq)
        return entry.at if entry is not None else None

    def append_audit(self, entry: AuditEntry) -> None:
        s = self._w()
        if entry.seq in s.audit:
            raise _conflict(f"audit entry {entry.seq} exists; the audit log is append-only")
        s.audit[entry.seq] = entry
        s.head = (entry.seq, entry.hash)

    def _entries(self) -> list[AuditEntry]:
        return [self._s.audit[k] for k in sorted(self._s.audit)]

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
        mine = None
        if member is not None:
            mine = {a for a, _r, p in self._s.assignments if p == member}
        for seq in sorted(self._s.audit):
            e = self._s.audit[seq]
            if (
                (area is None or e.area == area)
                and (mine is None or e.area in mine)
                and (since is None or e.at >= since)
                and (until is None or e.at <= until)
                and (actor is None or e.actor == actor)
                and (actions is None or e.action in actions)
                and (after is None or e.seq > after)
            ):
                yield e

    def iter_audit(self, batch: int = 5000) -> Iterator[AuditEntry]:
        yield from self._entries()

    def iter_audit_rows(self, batch: int = 5000, after: int = 0) -> Iterator[StoredAuditRow]:
        for e in self._entries():
            if e.seq > after:
                yield cast(StoredAuditRow, tuple(e))  # the fields in AUDIT_FIELDS order

    # fields and votes
    def get_fields(self, area_id: str) -> dict[str, FieldValue]:
        return {f: json.loads(v) for (a, f), v in self._s.fields.items() if a == area_id}

    def set_field(
        self, area_id: str, field_id: str, value: FieldValue, by: str, at: datetime
    ) -> None:
        text = json.dumps(value, ensure_ascii=False)  # as stored: a copy, JSON or an error
        s = self._w()
        self._need_area(area_id)
        s.fields[(area_id, field_id)] = text

    def get_votes(self, area_id: str, round: int | None = None) -> list[Vote]:
        found = [
            (v.round, at, v.person, v)
            for (a, rnd, _p), (v, at) in self._s.votes.items()
            if a == area_id and (round is None or rnd == round)
        ]
        return [v for *_key, v in sorted(found, key=lambda t: t[:3])]

    def add_vote(self, area_id: str, round: int, vote: Vote, at: datetime) -> None:
        s = self._w()
        self._need_area(area_id)
        key = (area_id, round, vote.person)
        if key in s.votes:
            raise _conflict(f"{vote.person} voted in round {round} of '{area_id}' already")
        s.votes[key] = (replace(vote, round=round), format_ts(at))

    # the KG's records
    def _next_id(self, table: str) -> int:
        s = self._w()
        s.last_kg_id[table] = s.last_kg_id.get(table, 0) + 1
        return s.last_kg_id[table]

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
        s = self._w()
        self._need_area(area_id)
        for a in attendees:
            if a.person is not None:
                self._need_person(a.person)
        meeting_id = self._next_id("meetings")
        s.meetings[meeting_id] = Meeting(
            meeting_id,
            area_id,
            0,
            held_on,
            place,
            planned,
            tuple(attendees),
            tuple(decisions),
            minutes,
            (),
            by,
            _utc(at),
        )
        return meeting_id

    def list_meetings(self, area_id: str) -> list[Meeting]:
        rows = sorted(
            (m for m in self._s.meetings.values() if m.area == area_id),
            key=lambda m: (m.held_on, m.id),
        )
        files: dict[int, list[Attachment]] = {}
        for att, _content in sorted(self._s.attachments.values(), key=lambda x: x[0].id):
            files.setdefault(att.meeting, []).append(att)
        return [
            replace(m, number=n, attachments=tuple(files.get(m.id, ())))
            for n, m in enumerate(rows, start=1)
        ]

    def add_attachment(
        self, meeting_id: int, filename: str, media_type: str, content: bytes, sha256: str
    ) -> Attachment:
        s = self._w()
        if meeting_id not in s.meetings:
            raise _conflict(f"no meeting {meeting_id}")
        att = Attachment(
            self._next_id("attachments"), meeting_id, filename, media_type, len(content), sha256
        )
        s.attachments[att.id] = (att, bytes(content))
        return att

    def attachment_content(self, attachment_id: int) -> bytes | None:
        found = self._s.attachments.get(attachment_id)
        return found[1] if found else None

    def add_goal(self, area_id: str, title: str, description: str) -> Goal:
        s = self._w()
        self._need_area(area_id)
        number = 1 + max((g.number for g in s.goals.values() if g.area == area_id), default=0)
        goal = Goal(self._next_id("goals"), area_id, number, title, description, ())
        s.goals[goal.id] = goal
        return goal

    def add_measure(self, goal_id: int, title: str, responsible: Responsible) -> Measure:
        s = self._w()
        if goal_id not in s.goals:
            raise _conflict(f"no goal {goal_id}")
        measure = Measure(self._next_id("measures"), goal_id, title, responsible)
        s.measures[measure.id] = measure
        return measure

    def list_goals(self, area_id: str) -> list[Goal]:
        measures: dict[int, list[Measure]] = {}
        for m in sorted(self._s.measures.values(), key=lambda m: m.id):
            measures.setdefault(m.goal, []).append(m)
        return [
            replace(g, measures=tuple(measures.get(g.id, ())))
            for g in sorted(self._s.goals.values(), key=lambda g: g.number)
            if g.area == area_id
        ]

    def rate_goal(self, goal_id: int, rating: str, note: str, by: str, at: datetime) -> None:
        s = self._w()
        goal = s.goals.get(goal_id)
        if goal is not None:
            s.goals[goal_id] = replace(
                goal, rating=rating, rating_note=note, rated_by=by, rated_at=_utc(at)
            )

    def add_catalogue_version(self, version: CatalogueVersion) -> None:
        s = self._w()
        self._need_area(version.area)
        if version.meeting not in s.meetings:
            raise _conflict(f"no meeting {version.meeting}")
        key = (version.area, version.version)
        if key in s.catalogue:
            raise _conflict(f"version {version.version} of the catalogue of '{version.area}'")
        # kept as the SQL store keeps it: the frozen goals as their JSON
        goals = catalogue_goals(version.area, catalogue_json(version.goals))
        s.catalogue[key] = replace(version, goals=goals, adopted_at=_utc(version.adopted_at))

    def catalogue_versions(self, area_id: str) -> list[CatalogueVersion]:
        return [v for k, v in sorted(self._s.catalogue.items()) if k[0] == area_id]

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
        s = self._w()
        self._need_area(area_id)
        if meeting_id not in s.meetings:
            raise _conflict(f"no meeting {meeting_id}")
        if measure is not None and measure not in s.measures:
            raise _conflict(f"no measure {measure}")
        when = _utc(at)
        order = WorkOrder(
            self._next_id("orders"), area_id, kind, title, addressee, meeting_id, due, "open",
            "", goal, measure, by, when, by, when,
        )  # fmt: skip
        s.orders[order.id] = order
        return order

    def update_work_order(
        self, order_id: int, status: str, note: str, by: str, at: datetime
    ) -> None:
        s = self._w()
        order = s.orders.get(order_id)
        if order is not None:
            s.orders[order_id] = replace(
                order, status=status, note=note, updated_by=by, updated_at=_utc(at)
            )

    def list_work_orders(self, area_id: str) -> list[WorkOrder]:
        return [o for _i, o in sorted(self._s.orders.items()) if o.area == area_id]

    def add_missing_resource(
        self, area_id: str, text: str, estimate: str, by: str, at: datetime
    ) -> MissingResource:
        s = self._w()
        self._need_area(area_id)
        found = MissingResource(self._next_id("resources"), area_id, text, estimate, by, _utc(at))
        s.resources[found.id] = found
        return found

    def list_missing_resources(self, area_id: str) -> list[MissingResource]:
        return [r for _i, r in sorted(self._s.resources.items()) if r.area == area_id]

    # reminders
    def _readable(self, rems: Sequence[Reminder]) -> list[Reminder]:
        return [r for r in rems if _reminder_problem(r) is None]

    def add_reminders(self, reminders: Sequence[Reminder], at: datetime) -> None:
        s = self._w()
        slots = {(r.area, r.review_date, r.offset_days) for r in s.reminders.values()}
        for rem in reminders:
            if (rem.area, rem.review_date, rem.offset_days) in slots:
                continue
            self._need_area(rem.area)
            s.last_reminder_id += 1
            due = _utc(rem.due_at)
            s.reminders[s.last_reminder_id] = Reminder(
                id=s.last_reminder_id,
                area=rem.area,
                review_date=rem.review_date,
                kind=rem.kind,
                offset_days=rem.offset_days,
                due_at=due,
                status="pending",
                attempts=0,
                next_attempt_at=due,
                last_error="",
                created_at=_utc(at),
            )
            slots.add((rem.area, rem.review_date, rem.offset_days))

    def cancel_reminders(
        self, area_id: str, review_date: date | None = None, status: str = "cancelled"
    ) -> int:
        s = self._w()
        count = 0
        for rid, r in list(s.reminders.items()):
            same_date = review_date is None or r.review_date == review_date
            if r.area == area_id and r.status == "pending" and same_date:
                s.reminders[rid] = replace(r, status=status, claimed_by=None, claimed_until=None)
                count += 1
        return count

    def _sorted(self, key: str) -> list[Reminder]:
        return sorted(self._s.reminders.values(), key=lambda r: (getattr(r, key), r.id))

    def due_reminders(self, now: datetime, limit: int) -> list[Reminder]:
        due = [
            r
            for r in self._readable(self._sorted("next_attempt_at"))
            if r.status == "pending"
            and _next_at(r) <= now
            and (r.claimed_until is None or r.claimed_until < now)
        ]
        return due[:limit]

    def due_for_date(self, area_id: str, review_date: date, now: datetime) -> list[Reminder]:
        return [
            r
            for r in self._readable(self._sorted("id"))
            if r.area == area_id
            and r.review_date == review_date
            and r.status == "pending"
            and _next_at(r) <= now
        ]

    def reminders_of_date(self, area_id: str, review_date: date) -> list[Reminder]:
        return [
            r
            for r in self._readable(self._sorted("due_at"))
            if r.area == area_id and r.review_date == review_date
        ]

    def unreadable_reminders(self, now: datetime) -> list[UnreadableReminder]:
        out = []
        for r in self._sorted("id"):
            problem = _reminder_problem(r)
            if problem is not None and r.status == "pending":
                out.append(UnreadableReminder(r.id, r.area, problem))
        return out

    def processed_after(self, at: datetime) -> list[Reminder]:
        return [
            r
            for r in self._readable(self._sorted("id"))
            if r.status in _HANDLED and _next_at(r) > at
        ]

    def claim_reminder(self, reminder_id: int, worker: str, now: datetime, until: datetime) -> bool:
        return claim_row(self._w().reminders, reminder_id, worker, now, until)

    def update_reminder(
        self,
        reminder_id: int,
        worker: str | None,
        change: ReminderChange,
        *,
        when_status: str | None = None,
    ) -> bool:
        return update_row(self._w().reminders, reminder_id, worker, change, when_status)

    def get_reminder(self, reminder_id: int) -> Reminder | None:
        r = self._s.reminders.get(reminder_id)
        return r if r is not None and _reminder_problem(r) is None else None

    def list_reminders(
        self, area: str | None = None, status: str | None = None, areas: Sequence[str] | None = None
    ) -> list[Reminder]:
        return [
            r
            for r in self._readable(self._sorted("due_at"))
            if (area is None or r.area == area)
            and (areas is None or r.area in areas)
            and (status is None or r.status == status)
        ]

    def next_reminder_at(self) -> datetime | None:
        times = [
            _next_at(r)
            for r in self._s.reminders.values()
            if r.status == "pending" and FIRST_YEAR <= _next_at(r).year <= LAST_YEAR
        ]
        return min(times) if times else None

    def count_reminders(self, status: str) -> int:
        return sum(1 for r in self._s.reminders.values() if r.status == status)

    def record_scheduler_pass(self, record: SchedulerPass) -> None:
        passes = self._w().scheduler_passes
        for worker, older in list(passes.items()):
            if worker != record.worker and older.at < record.at - SCHEDULER_PASSES_KEPT:
                del passes[worker]
        passes[record.worker] = replace(record, at=_utc(record.at))

    def last_scheduler_pass(self) -> SchedulerPass | None:
        passes = self._s.scheduler_passes.values()
        return max(passes, key=lambda p: p.at) if passes else None

    def get_review(self, area_id: str, review_date: date) -> Review | None:
        return self._s.reviews.get((area_id, review_date))

    def add_review(
        self,
        area_id: str,
        review_date: date,
        decision: str,
        next_review: date | None,
        reason: str,
        by: str,
        at: datetime,
    ) -> None:
        s = self._w()
        self._need_area(area_id)
        key = (area_id, review_date)
        if key in s.reviews:
            raise _conflict(f"the review of {review_date} in '{area_id}' is decided")
        s.reviews[key] = Review(area_id, review_date, decision, next_review, reason, by, _utc(at))


class MemoryStore(Store):
    """A store in this process's memory; gone when the object is."""

    def __init__(self, url: str = "memory://") -> None:
        self.url = url
        self._state = _State()
        self._writer = threading.Lock()

    def _check_ready(self) -> None:
        if self._state.revision is None:
            raise SchemaError(
                _("the memory store is not initialised: run init (Engine.init) first"),
                found=None,
                expected=HEAD_REVISION,
            )

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer at a time; a writer waiting as long as SQLite's busy
        timeout gets the SQL store's answer (a nested write in one thread)."""
        if not self._writer.acquire(timeout=BUSY_TIMEOUT_S):
            raise ConflictError(
                _("the store stayed busy with other writers; nothing was written, try again")
            )
        try:
            yield
        finally:
            self._writer.release()

    @contextmanager
    def _unit(self, migrate: bool) -> Iterator[UnitOfWork]:
        with self._locked():
            if not migrate:
                self._check_ready()
            work = self._state.copy()
            if migrate:
                self._migrate(work)
            yield MemoryUnitOfWork(work, writable=True)
            self._state = work  # only reached on a clean exit: the commit

    def write(self) -> AbstractContextManager[UnitOfWork]:
        return self._unit(migrate=False)

    @contextmanager
    def _read(self) -> Iterator[UnitOfWork]:
        self._check_ready()
        yield MemoryUnitOfWork(self._state, writable=False)  # committed states never change

    def read(self) -> AbstractContextManager[UnitOfWork]:
        return self._read()

    def initialise(self) -> AbstractContextManager[UnitOfWork]:
        return self._unit(migrate=True)

    @staticmethod
    def _migrate(state: _State) -> None:
        """Create the store as the SQL migrations create a database: the
        audit head at its genesis, the shipped definitions deployed."""
        if state.revision == HEAD_REVISION:
            return
        state.head = _GENESIS
        uow = MemoryUnitOfWork(state, writable=True)
        for definition, entry in shipped_deployments(*_GENESIS, datetime.now(timezone.utc)):
            uow.add_workflow_definition(definition)
            uow.append_audit(entry)
        state.revision = HEAD_REVISION

    def schema_status(self) -> tuple[str | None, str]:
        return self._state.revision, HEAD_REVISION

    def check_schema(self) -> None:
        """Raise :class:`SchemaError` until the store is initialised."""
        self._check_ready()

    def upgrade(self) -> tuple[str | None, str]:
        with self._locked():
            before = self._state.revision
            work = self._state.copy()
            self._migrate(work)
            self._state = work
        return before, HEAD_REVISION

    def login(self) -> str:
        raise InvalidInputError(
            _(
                "binding people to their database login needs a database with logins "
                "(PostgreSQL), not a memory store"
            ),
            field="bind_login",
        )

    def close(self) -> None:
        """Nothing to release: the data stays until the store is dropped."""
