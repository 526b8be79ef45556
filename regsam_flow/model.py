"""Plain records passed between the engine, its ports and its callers.

They are frozen dataclasses: cheap to build, safe to share, and free of any
database or mail library.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from dataclasses import fields as dataclass_fields
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple, TypeAlias

from .errors import Blocker

__all__ = [
    "AGREEMENT_FIELDS",
    "AGREEMENT_REQUIRED",
    "AGREEMENT_SIGNERS",
    "AUDIT_COLUMNS",
    "AUDIT_FIELDS",
    "SCHEDULER_PASSES_KEPT",
    "Agreement",
    "Approval",
    "Approvals",
    "Area",
    "AreaAggregate",
    "AreaChange",
    "AreaStatus",
    "Assessment",
    "AuditBatch",
    "AuditEntry",
    "AuditHead",
    "Ballot",
    "Blocker",
    "Candidate",
    "FieldValue",
    "FireResult",
    "MigrationPlan",
    "NewArea",
    "NextStep",
    "Nomination",
    "Person",
    "Reminder",
    "ReminderChange",
    "Review",
    "SavedArea",
    "SchedulerPass",
    "StoredAuditRow",
    "StoredWorkflow",
    "TaskRow",
    "TaskStatus",
    "UnreadableReminder",
    "VerifyResult",
    "Vote",
]

#: The columns of an audit entry as the CLI and embedders see it (JSON, CSV).
AUDIT_COLUMNS = (
    "seq",
    "at",
    "area",
    "actor",
    "role",
    "action",
    "trigger",
    "from_state",
    "to_state",
    "reason",
    "details",
    "hash",
)
#: The text fields of a cooperation agreement (Kooperationsvereinbarung).
AGREEMENT_FIELDS = ("topic", "scope", "reasons", "partners", "terms", "duration")
#: The fields an agreement must have before it can be signed off as complete.
AGREEMENT_REQUIRED = ("topic", "scope", "reasons", "duration", "start", "review")
#: The roles that sign the agreement: REGSAM moderation and social planning.
AGREEMENT_SIGNERS = ("moderation", "social_planning")
#: The value of an instance field as stored: a JSON scalar.  The engine
#: writes text (``text``, ``choice``; a ``date`` as ISO text), ``int`` and
#: ``bool``; float and None are the other JSON scalars a store can hand back.
FieldValue: TypeAlias = str | int | float | bool | None
#: The approvals of one round of an area: trigger -> role -> person id.
Approvals: TypeAlias = dict[str, dict[str, str]]


@dataclass(frozen=True)
class Person:
    """Someone who uses regsam-flow; ``id`` is their user name."""

    id: str
    name: str
    email: str
    org: str = ""
    admin: bool = False
    auditor: bool = False
    #: Whether they get the KG's meeting decisions by mail (they may opt out).
    decision_mails: bool = True


@dataclass(frozen=True)
class StoredWorkflow:
    """A workflow definition deployed in the database: the YAML text as an
    admin deployed it, and its SHA-256 (hex) over the UTF-8 text.  Areas run
    on these, never on local files."""

    name: str
    version: int
    hash: str
    text: str
    source: str  # the file name it was deployed from
    deployed_by: str
    deployed_at: datetime


@dataclass(frozen=True)
class Area:
    """A focus area (or any other workflow instance) and where it stands.

    ``version`` grows with every change to the area; ``round`` grows with every
    transition (approvals belong to one round).
    """

    id: str
    name: str
    district: str
    workflow: str
    workflow_version: int
    state: str
    version: int
    round: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class NewArea:
    """An area to create with :meth:`Engine.create_areas
    <regsam_flow.engine.Engine.create_areas>`: its id, name, workflow, first
    ``members`` ((role, person) pairs), ``fields`` and ``agreement``.
    ``label`` names it in errors, e.g. "row 9 (quarter 10.31)".
    ``workflow_version``: the deployed version of the workflow to run on
    (None: the newest)."""

    id: str
    name: str
    district: str = ""
    workflow: str = "schwerpunktgebiet"
    members: tuple[tuple[str, str], ...] = ()
    fields: Mapping[str, Any] = field(default_factory=dict)
    agreement: Mapping[str, Any] | None = None
    label: str = ""
    workflow_version: int | None = None


@dataclass(frozen=True)
class TaskStatus:
    """Whether a task of an area is reported done, by whom, when."""

    task_id: str
    done: bool
    done_by: str | None = None
    done_at: datetime | None = None
    note: str = ""


@dataclass(frozen=True)
class TaskRow:
    """A task of a phase as :meth:`Engine.tasks
    <regsam_flow.engine.Engine.tasks>` lists it: what the workflow says of
    it and, once reported done, who reported it, when, with what note."""

    id: str
    phase: str
    title: str
    roles: tuple[str, ...]
    required: bool
    done: bool
    done_by: str | None = None
    done_at: datetime | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``regsam-flow task list --json`` (``done_at`` as
        the audit log writes moments)."""
        from .audit import format_ts

        return {
            "id": self.id,
            "phase": self.phase,
            "title": self.title,
            "roles": list(self.roles),
            "required": self.required,
            "done": self.done,
            "done_by": self.done_by,
            "done_at": format_ts(self.done_at) if self.done_at else None,
            "note": self.note,
        }


@dataclass(frozen=True)
class Agreement:
    """One version of an area's cooperation agreement.

    ``signatures`` maps a signing role to the person who signed this version.
    """

    version: int = 0
    topic: str = ""
    scope: str = ""
    reasons: str = ""
    partners: str = ""
    terms: str = ""
    duration: str = ""
    start: date | None = None
    review: date | None = None
    created_at: datetime | None = None
    created_by: str | None = None
    signatures: dict[str, str] = field(default_factory=dict)

    def missing_fields(self) -> list[str]:
        return [f for f in AGREEMENT_REQUIRED if not getattr(self, f)]

    def fields(self) -> dict[str, Any]:
        """The agreed content (no version, signatures or bookkeeping)."""
        out: dict[str, Any] = {f: getattr(self, f) for f in AGREEMENT_FIELDS}
        out["start"] = self.start.isoformat() if self.start else None
        out["review"] = self.review.isoformat() if self.review else None
        return out

    def with_changes(self, **changes: Any) -> Agreement:
        return replace(self, **changes)


@dataclass(frozen=True)
class AreaAggregate:
    """What a decision on an area needs, read at once (see
    :meth:`UnitOfWork.load_area <regsam_flow.ports.UnitOfWork.load_area>`):
    the area (state, version, round, workflow and its version), its
    ``assignments`` ((role, person id) pairs, ordered), its ``tasks`` by task
    id, the ``approvals`` of its current round, its newest ``agreement`` (with
    signatures; None before the first) and its instance ``fields``."""

    area: Area
    assignments: tuple[tuple[str, str], ...]
    tasks: Mapping[str, TaskStatus]
    approvals: Mapping[str, Mapping[str, str]]
    agreement: Agreement | None
    fields: Mapping[str, FieldValue]

    def roles_of(self, person_id: str) -> frozenset[str]:
        """The roles ``person_id`` holds in the area."""
        return frozenset(role for role, person in self.assignments if person == person_id)


@dataclass(frozen=True)
class Approval:
    """One role's approval of a trigger in one round of an area."""

    round: int
    trigger: str
    role: str
    person: str


@dataclass(frozen=True)
class AreaChange:
    """What a transition or an approval writes to an area, as one change set
    (see :meth:`UnitOfWork.save_area <regsam_flow.ports.UnitOfWork.save_area>`):
    the area's new ``state`` and ``round`` (its version goes from
    ``expected_version`` to the next), the ``tasks`` to put (replacing their
    status), an ``approval`` to add, and whether to cancel the area's
    pending reminders and KG mails (it closes).  The audit entries are
    appended apart from it."""

    area: str
    expected_version: int
    state: str
    round: int
    at: datetime
    tasks: tuple[TaskStatus, ...] = ()
    approval: Approval | None = None
    cancel_reminders: bool = False
    #: The workflow version the area moves to (a migration); None keeps it.
    workflow_version: int | None = None


@dataclass(frozen=True)
class SavedArea:
    """What saving an :class:`AreaChange` did: the area's new ``version`` and
    how many pending reminders and KG mails it cancelled."""

    version: int
    reminders_cancelled: int = 0
    kg_messages_cancelled: int = 0


@dataclass(frozen=True)
class Vote:
    """One person's vote in a state that holds a vote."""

    person: str
    role: str
    yes: bool
    reason: str = ""
    round: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "round": self.round,
            "person": self.person,
            "role": self.role,
            "vote": "yes" if self.yes else "no",
            "reason": self.reason or None,
        }


@dataclass(frozen=True)
class Nomination:
    """A candidate quarter to nominate with :meth:`Engine.nominate
    <regsam_flow.engine.Engine.nominate>`: the candidate's id, the quarter's
    ``name``, the selection ``round`` and ``source`` of the nomination.
    ``area`` is the focus area it becomes if selected (default: from the
    name, see :func:`regsam_flow.engine.selection.slug`); ``scope`` defaults
    to the name.  ``panel`` gives its first members ((role, person) pairs)
    besides the nominator; ``label`` names it in errors (e.g. a CSV row)."""

    candidate: str
    name: str
    round: str
    source: str
    district: str = ""
    area: str = ""
    quarter: str = ""
    scope: str = ""
    reasons: str = ""
    panel: tuple[tuple[str, str], ...] = ()
    label: str = ""


@dataclass(frozen=True)
class Candidate:
    """A candidate of the selection as :meth:`Engine.candidates
    <regsam_flow.engine.Engine.candidates>` lists it: its phase (``state``)
    and the focus area (``area``) it becomes if selected."""

    id: str
    name: str
    round: str | None
    source: str | None
    state: str
    area: str | None
    workflow_version: int


@dataclass(frozen=True)
class Assessment:
    """What :meth:`Engine.assess <regsam_flow.engine.Engine.assess>` did: the
    fields still ``missing`` (then nothing fired), else the transition fired."""

    candidate: str
    missing: tuple[str, ...]
    result: FireResult | None


@dataclass(frozen=True)
class Ballot:
    """A vote cast with :meth:`Engine.cast_vote
    <regsam_flow.engine.Engine.cast_vote>`: how many of the ``seats`` have
    voted, and the outcome once the last one has (else None)."""

    vote: Vote
    cast: int
    seats: int
    result: FireResult | None


@dataclass(frozen=True)
class Reminder:
    """One scheduled review-date reminder.

    ``kind`` is ``before`` (``offset_days`` > 0 days before the review),
    ``on_day`` or ``overdue`` (``offset_days`` < 0).  ``status`` is
    ``pending``, ``sent``, ``failed``, ``cancelled`` (decision taken, date
    changed, area closed) or ``superseded`` (a later one was due too).
    """

    id: int
    area: str
    review_date: date
    kind: str
    offset_days: int
    due_at: datetime
    status: str = "pending"
    attempts: int = 0
    next_attempt_at: datetime | None = None
    claimed_by: str | None = None
    claimed_until: datetime | None = None
    sent_at: datetime | None = None
    last_error: str = ""
    created_at: datetime | None = None

    @property
    def message_id(self) -> str:
        """Stable per reminder: a resend is recognisably the same message."""
        return f"<reminder-{self.id}.{self.area}.{self.review_date:%Y%m%d}@regsam-flow>"

    def to_dict(self) -> dict[str, Any]:
        def ts(v: datetime | None) -> str | None:
            return v.strftime("%Y-%m-%dT%H:%M:%SZ") if v else None

        return {
            "id": self.id,
            "area": self.area,
            "review_date": self.review_date.isoformat(),
            "kind": self.kind,
            "offset_days": self.offset_days,
            "due_at": ts(self.due_at),
            "status": self.status,
            "attempts": self.attempts,
            "next_attempt_at": ts(self.next_attempt_at),
            "sent_at": ts(self.sent_at),
            "last_error": self.last_error or None,
            "message_id": self.message_id,
        }


@dataclass(frozen=True)
class ReminderChange:
    """What a store's ``update_reminder`` changes in a reminder: the fields
    given (not None) are set; ``release`` ends the lease (claimed_by and
    claimed_until cleared), ``claimed_until`` extends it."""

    status: str | None = None
    attempts: int | None = None
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    last_error: str | None = None
    claimed_until: datetime | None = None
    release: bool = False

    def __post_init__(self) -> None:
        if self.release and self.claimed_until is not None:
            raise ValueError("a change either releases a lease or extends it, not both")

    def values(self) -> dict[str, Any]:
        """The :class:`Reminder` fields this change sets, with their new values."""
        names = ("status", "attempts", "next_attempt_at", "sent_at", "last_error")
        out = {n: getattr(self, n) for n in (*names, "claimed_until")}
        out = {n: v for n, v in out.items() if v is not None}
        if self.release:
            out.update(claimed_by=None, claimed_until=None)
        return out


class UnreadableReminder(NamedTuple):
    """A pending reminder row that cannot be read as a :class:`Reminder`:
    its id, its area and what is wrong with it."""

    id: int
    area: str
    problem: str


#: How long a store keeps the last pass of another worker (a scheduler
#: since stopped or restarted under a new name).
SCHEDULER_PASSES_KEPT = timedelta(days=7)


@dataclass(frozen=True)
class SchedulerPass:
    """A scheduler's last successful send pass: which worker, when (UTC),
    and how often that scheduler looks at the database (``poll_seconds``),
    so that a health check can tell when the next pass is overdue."""

    worker: str
    at: datetime
    poll_seconds: float


@dataclass(frozen=True)
class Review:
    """The decision taken at an area's review date: ``continue`` (with the
    next review date) or ``end``."""

    area: str
    review_date: date
    decision: str
    next_review: date | None
    reason: str
    decided_by: str
    decided_at: datetime


@dataclass(frozen=True)
class AuditEntry:
    """One entry of the append-only, hash-chained audit log.

    ``details`` is the JSON text of a mapping, free-form by design: each
    action records what it needs (``to_dict()`` decodes it to a dict)."""

    seq: int
    at: str
    actor: str
    role: str
    area: str
    action: str
    trigger: str
    from_state: str
    to_state: str
    reason: str
    details: str
    hash: str

    def __iter__(self) -> Iterator[Any]:
        """The fields in order, so an entry unpacks like the row it came from."""
        return iter(tuple(getattr(self, name) for name in AUDIT_FIELDS))

    def to_dict(self) -> dict[str, Any]:
        import json

        return {
            "seq": self.seq,
            "at": self.at,
            "area": self.area or None,
            "actor": self.actor,
            "role": self.role or None,
            "action": self.action,
            "trigger": self.trigger or None,
            "from_state": self.from_state or None,
            "to_state": self.to_state or None,
            "reason": self.reason or None,
            "details": json.loads(self.details) if self.details else {},
            "hash": self.hash,
        }


#: The fields of an audit entry in the order they are stored and hashed.
AUDIT_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclass_fields(AuditEntry))
#: An audit entry as a store hands it back unbuilt, in :data:`AUDIT_FIELDS`
#: order (seq, then eleven texts).  These are the types of an intact log; a
#: log edited behind the engine's back may hold anything anywhere, which the
#: verifier names.
StoredAuditRow: TypeAlias = tuple[int, str, str, str, str, str, str, str, str, str, str, str]


@dataclass(frozen=True)
class AuditBatch:
    """Consecutive audit entries as a store hands them to the fast verifier
    (see :func:`regsam_flow.audit.check_batches`), already joined.

    ``chained`` holds, in UTF-8, for each entry in sequence order its
    canonical text (:func:`regsam_flow.audit.canonical_tail`),
    :data:`~regsam_flow.audit.BATCH_SEP` and its stored hash; ``hashes``
    the stored hashes alone, joined; ``times`` the entries' times joined by
    single spaces.  ``readable`` is False when the store could not read the
    entries as text (the verifier then takes the exact, slow path).
    """

    count: int
    first_seq: int
    last_seq: int
    chained: bytes
    hashes: str
    times: str
    readable: bool = True


@dataclass(frozen=True)
class AuditHead:
    """The newest entry of the chain: keep it elsewhere to prove nothing was cut."""

    entries: int
    hash: str

    def __str__(self) -> str:
        return f"{self.entries}:{self.hash}"


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of recomputing the audit chain."""

    ok: bool
    entries: int
    head: str
    first_bad_seq: int | None = None
    problem: str | None = None
    #: Every problem found (``problem`` is the first of them), each naming
    #: the entry or the live table at fault.
    problems: tuple[str, ...] = ()
    #: Whether the live tables were compared with the log (``audit verify --deep``).
    deep: bool = False
    #: The count of the trusted head verification started from
    #: (``audit verify --from``); None: from the first entry.
    since: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "head": self.head,
            "first_bad_seq": self.first_bad_seq,
            "problem": self.problem,
            "problems": list(self.problems or ([self.problem] if self.problem else [])),
            "deep": self.deep,
            "since": self.since,
        }


@dataclass(frozen=True)
class NextStep:
    """A transition possible from the area's current state, and what blocks it."""

    trigger: str
    title: str
    dest: str
    allowed: bool
    blockers: tuple[Blocker, ...]
    reason_required: bool = False
    advance: bool = False
    approvals_needed: tuple[str, ...] = ()
    approvals_given: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "trigger": self.trigger,
            "title": self.title,
            "dest": self.dest,
            "allowed": self.allowed,
            "blockers": [b.to_dict() for b in self.blockers],
            "reason_required": self.reason_required,
            "advance": self.advance,
            "approvals_needed": list(self.approvals_needed),
            "approvals_given": dict(self.approvals_given),
        }


@dataclass(frozen=True)
class FireResult:
    """What firing a transition did.

    ``fired`` is False when the call only recorded an approval and other
    approvals are still ``missing``.
    """

    area: str
    trigger: str
    fired: bool
    from_state: str
    to_state: str
    role: str
    missing: tuple[str, ...] = ()
    seq: int = 0


@dataclass(frozen=True)
class AreaStatus:
    """Everything a person may see of an area at once."""

    area: Area
    workflow_title: str
    state_title: str
    final: bool
    roles: dict[str, list[str]]
    agreement: Agreement | None
    tasks: list[TaskRow]
    next: list[NextStep]
    viewer_roles: tuple[str, ...] = ()
    #: The area's fields by the ids its workflow defines; each value has the
    #: type that workflow declares for it, so this stays a mapping.
    fields: dict[str, Any] = field(default_factory=dict)
    votes: list[Vote] = field(default_factory=list)


@dataclass(frozen=True)
class MigrationPlan:
    """Moving an area to another deployed version of its workflow (see
    :meth:`Engine.migrate_area <regsam_flow.engine.Engine.migrate_area>`):
    what would change, what stands in the way, and, once ``moved``, what did.

    ``problems`` are the reasons it cannot move (stable codes:
    ``version_not_deployed``, ``same_version``, ``workflow_differs``,
    ``area_final``, ``state_missing``, ``role_not_in_target``,
    ``field_value_invalid``); ``can_move`` is True when there are none.
    ``blocked_by`` is what would block the area's forward transition
    (``next_trigger``) under the target's rules (who asks aside: no
    ``role_missing``).  ``tasks_dropped`` are tasks of the source version the
    target does not know (their rows are kept, unread, and come back on a
    migration back), ``tasks_new`` those only the target has; ``roles_unknown``
    the (role, person) pairs held in the area whose role the target does not
    define; ``fields_dropped``/``fields_new`` likewise for instance fields.
    After a move ``seq`` is its audit entry and ``version`` the area's."""

    area: str
    workflow: str
    from_version: int
    to_version: int
    phase: str
    can_move: bool
    problems: tuple[Blocker, ...] = ()
    blocked_by: tuple[Blocker, ...] = ()
    next_trigger: str | None = None
    tasks_dropped: tuple[str, ...] = ()
    tasks_new: tuple[str, ...] = ()
    roles_unknown: tuple[tuple[str, str], ...] = ()
    fields_dropped: tuple[str, ...] = ()
    fields_new: tuple[str, ...] = ()
    dry_run: bool = False
    moved: bool = False
    seq: int = 0
    version: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "area": self.area,
            "workflow": self.workflow,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "phase": self.phase,
            "can_move": self.can_move,
            "problems": [b.to_dict() for b in self.problems],
            "blocked_by": [b.to_dict() for b in self.blocked_by],
            "next_trigger": self.next_trigger,
            "tasks_dropped": list(self.tasks_dropped),
            "tasks_new": list(self.tasks_new),
            "roles_unknown": [{"role": r, "person": p} for r, p in self.roles_unknown],
            "fields_dropped": list(self.fields_dropped),
            "fields_new": list(self.fields_new),
            "dry_run": self.dry_run,
            "moved": self.moved,
            "seq": self.seq,
            "version": self.version,
        }
