"""The Kooperationsgremium's work as records: meetings, the catalogue of
goals and measures, work orders, missing resources, the final documentation.

The KG (round table of a focus area) meets as often as needed; its first
meeting fixes its working method; it adopts a binding catalogue of goals and
measures (each adoption freezes a numbered version), issues work orders and
recommendations, rates its goals at evaluation, documents what resources are
missing; the moderation writes the final documentation (concept paper 6.3
and its phase table).  These frozen records pass between the engine, its
ports and its callers, like those of :mod:`regsam_flow.model`.  Codes
(``kind``, ``status``, ``rating``) are stable English; people read the
German titles the front ends give them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from .model import Agreement, Area, Review

__all__ = [
    "MESSAGE_KINDS",
    "MESSAGE_STATUSES",
    "ORDER_KINDS",
    "ORDER_STATUSES",
    "RATINGS",
    "RESPONSIBLE_KINDS",
    "Attachment",
    "AttachmentFile",
    "Attendee",
    "CatalogueVersion",
    "DocumentCheck",
    "Dossier",
    "FinalDocument",
    "Goal",
    "KgFacts",
    "KgMessage",
    "KgRecords",
    "KgState",
    "Measure",
    "Meeting",
    "MissingResource",
    "Phase",
    "RenderedDocument",
    "Responsible",
    "WorkOrder",
    "catalogue_goals",
    "catalogue_json",
    "catalogue_sha256",
]

#: How a goal is rated at evaluation.
RATINGS = ("achieved", "partly", "not_achieved")
#: What the KG issues: a binding work order or a recommendation.
ORDER_KINDS = ("order", "recommendation")
#: Where a work order stands, as its addressee (or the moderation) reports it.
ORDER_STATUSES = ("open", "in_progress", "done", "declined")
#: Who a measure or an order is for: a role of the area, a person of the
#: area, or a named outside party (institution, city department, local
#: politics, housing company ...).
RESPONSIBLE_KINDS = ("role", "person", "outside")
#: What the KG mails: a recorded meeting's decisions to the area's people,
#: a work order on its due date, and an overdue one (weekly).
MESSAGE_KINDS = ("meeting_decisions", "order_due", "order_overdue")
#: Where a KG message stands.
MESSAGE_STATUSES = ("pending", "sent", "failed", "cancelled")


@dataclass(frozen=True)
class Responsible:
    """Who is responsible for a measure, or addressed by an order:
    ``kind`` one of :data:`RESPONSIBLE_KINDS`; ``name`` a role id, a person
    id, or the outside party's name."""

    kind: str
    name: str


@dataclass(frozen=True)
class Attendee:
    """Someone at a meeting: a person of the area (``person``, their id) or
    a named guest (``guest``); exactly one of the two is set."""

    person: str | None = None
    guest: str | None = None


@dataclass(frozen=True)
class Attachment:
    """A file attached to a meeting's minutes, stored in the database; its
    content is read on its own (it may be large)."""

    id: int
    meeting: int
    filename: str
    media_type: str
    size: int
    sha256: str


@dataclass(frozen=True)
class AttachmentFile:
    """A file handed to the engine to attach to a meeting: its name (the
    last part of a path is kept) and its bytes; the media type is guessed
    from the name when not given."""

    filename: str
    content: bytes
    media_type: str = ""


@dataclass(frozen=True)
class Meeting:
    """A KG meeting of an area; ``number`` counts the area's meetings from 1
    in the order of their dates.  A ``planned`` meeting lies ahead: it has a
    date and place, no decisions and no minutes yet."""

    id: int
    area: str
    number: int
    held_on: date
    place: str
    planned: bool
    attendees: tuple[Attendee, ...]
    decisions: tuple[str, ...]
    minutes: str
    attachments: tuple[Attachment, ...]
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class Measure:
    """A measure of a goal, and who is responsible for it."""

    id: int
    goal: int
    title: str
    responsible: Responsible


@dataclass(frozen=True)
class Goal:
    """A goal of the catalogue with its measures; ``number`` counts the
    area's goals from 1.  At evaluation it gets a ``rating`` (one of
    :data:`RATINGS`) with a note."""

    id: int
    area: str
    number: int
    title: str
    description: str
    measures: tuple[Measure, ...]
    rating: str | None = None
    rating_note: str = ""
    rated_by: str | None = None
    rated_at: datetime | None = None


@dataclass(frozen=True)
class CatalogueVersion:
    """The catalogue as the KG adopted it at a recorded meeting: numbered
    from 1 per area, frozen (``goals`` as they were, ratings left out), kept
    for good; ``sha256`` is the hash of its canonical JSON, also in the
    audit entry of the adoption."""

    area: str
    version: int
    meeting: int
    adopted_by: str
    adopted_at: datetime
    goals: tuple[Goal, ...]
    sha256: str


@dataclass(frozen=True)
class WorkOrder:
    """A work order or recommendation (``kind``, one of :data:`ORDER_KINDS`)
    the KG issued at ``meeting`` to ``addressee``, due on ``due``; optionally
    for a goal or measure.  ``status`` (one of :data:`ORDER_STATUSES`) and
    ``note`` are what was last reported."""

    id: int
    area: str
    kind: str
    title: str
    addressee: Responsible
    meeting: int
    due: date
    status: str
    note: str
    goal: int | None
    measure: int | None
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime


@dataclass(frozen=True)
class KgMessage:
    """One mail of the KG in the durable outbox: ``kind`` one of
    :data:`MESSAGE_KINDS`, ``ref`` the meeting's id (``meeting_decisions``)
    or the order's id, due at ``due_at`` (UTC).  It is claimed, sent and
    retried like a review reminder (same lease, back-off and attempts);
    ``status`` is one of :data:`MESSAGE_STATUSES`."""

    id: int
    area: str
    kind: str
    ref: int
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
        """Stable per message: a resend is recognisably the same mail."""
        return f"<kg-{self.id}.{self.kind}.{self.area}@regsam-flow>"

    def to_dict(self) -> dict[str, Any]:
        def ts(v: datetime | None) -> str | None:
            return v.strftime("%Y-%m-%dT%H:%M:%SZ") if v else None

        return {
            "id": self.id,
            "area": self.area,
            "kind": self.kind,
            "ref": self.ref,
            "due_at": ts(self.due_at),
            "status": self.status,
            "attempts": self.attempts,
            "next_attempt_at": ts(self.next_attempt_at),
            "sent_at": ts(self.sent_at),
            "last_error": self.last_error or None,
            "message_id": self.message_id,
        }


@dataclass(frozen=True)
class MissingResource:
    """What the KG documents as lacking, with an optional estimate (free
    text: "0,5 Stellen", "12.000 EUR im Jahr")."""

    id: int
    area: str
    text: str
    estimate: str
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class FinalDocument:
    """The final documentation (Abschlussdokumentation) as recorded: the
    ``format`` it was written in (``html`` or ``md``), its size and SHA-256
    (also in the audit entry), who recorded it and when, and what changed
    the data since (:attr:`stale`).  A later check compares a file's hash
    with it."""

    area: str
    format: str
    size: int
    sha256: str
    recorded_by: str
    recorded_at: datetime
    #: The audit entry that records it (its sequence number).
    seq: int = 0
    #: What changed the data it was made from since it was recorded: the
    #: audit actions, in order (empty: it still shows the data as it is).
    changes_since: tuple[str, ...] = ()

    @property
    def stale(self) -> bool:
        """The data changed after it was recorded: it no longer shows the
        area as it is, and closing needs it recorded again."""
        return bool(self.changes_since)


@dataclass(frozen=True)
class DocumentCheck:
    """Whether a file is an area's recorded final documentation: the file's
    size and SHA-256, the documentation recorded (None: none is), and
    ``matches``: the file's SHA-256 is the recorded one."""

    area: str
    size: int
    sha256: str
    recorded: FinalDocument | None
    matches: bool


@dataclass(frozen=True)
class RenderedDocument:
    """The final documentation as the engine rendered and recorded it: the
    record (``document``) and exactly the bytes it stands for (``content``),
    to be written to a file."""

    document: FinalDocument
    content: bytes


@dataclass(frozen=True)
class KgFacts:
    """What the KG's guards look at, read with the area: whether a
    catalogue is adopted and the draft unchanged since, the goals (of the
    current draft, with measures and ratings), and the final documentation
    recorded (or None)."""

    adopted_version: int | None = None
    changed_since_adoption: bool = False
    goals: tuple[Goal, ...] = ()
    final_document: FinalDocument | None = None


@dataclass(frozen=True)
class KgState:
    """The KG's state of an area at a glance, as ``area show`` and ``why``
    show it: meetings held and planned (the last held one, the next planned
    one), the catalogue version adopted last (None: none) and whether the
    draft changed since, how many goals there are, how many have a measure
    and how many are rated, the work orders and recommendations by where
    they stand (``orders_open``: open or in progress; ``orders_overdue``:
    of those, the ones past their due date by the engine's clock, Berlin),
    how many missing resources are documented, the final documentation
    recorded (or None), and ``guards``: the KG guards the area's workflow
    names (none on version 1 of the focus-area workflow: there the records
    guard nothing)."""

    meetings_held: int = 0
    meetings_planned: int = 0
    last_meeting: Meeting | None = None
    next_meeting: Meeting | None = None
    adopted_version: int | None = None
    changed_since_adoption: bool = False
    goals: int = 0
    goals_with_measures: int = 0
    goals_rated: int = 0
    orders_open: int = 0
    orders_overdue: int = 0
    orders_done: int = 0
    orders_declined: int = 0
    missing_resources: int = 0
    final_document: FinalDocument | None = None
    guards: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """Nothing recorded yet and no KG guard on the area's workflow."""
        return self == KgState()


@dataclass(frozen=True)
class Phase:
    """A phase (state) the area was in: from ``entered_at`` until
    ``left_at`` (None: it still is), read from the audit log's creation and
    transition entries; ``title`` is the workflow's title of the state;
    ``final``: the process ended there (nothing is left to end)."""

    state: str
    title: str
    entered_at: datetime
    left_at: datetime | None = None
    final: bool = False


@dataclass(frozen=True)
class KgRecords:
    """The KG's records of an area, as the final documentation shows them:
    the meetings (by number), the latest adopted catalogue version (None:
    none adopted) and every version adopted, the goals with their ratings,
    the work orders and the missing resources."""

    meetings: tuple[Meeting, ...] = ()
    catalogue: CatalogueVersion | None = None
    catalogue_versions: tuple[CatalogueVersion, ...] = ()
    goals: tuple[Goal, ...] = ()
    orders: tuple[WorkOrder, ...] = ()
    resources: tuple[MissingResource, ...] = ()


@dataclass(frozen=True)
class Dossier:
    """Everything the final documentation (Abschlussdokumentation) of an
    area shows, read at once: the area and its workflow's titles, who holds
    which role (``roles``: role -> person ids; ``names``: person id ->
    name), the agreement (newest version) and all its versions (oldest
    first), the phases with their dates, the review decisions, the KG's
    records, and ``as_of``, the time of the area's newest audit entry.

    Rendering it is deterministic: the same dossier gives the same text
    (see :mod:`regsam_flow.documents`)."""

    area: Area
    workflow_title: str
    state_title: str
    final: bool
    roles: tuple[tuple[str, tuple[str, ...]], ...]
    names: tuple[tuple[str, str], ...]
    agreement: Agreement | None
    agreement_history: tuple[Agreement, ...]
    phases: tuple[Phase, ...]
    reviews: tuple[Review, ...]
    kg: KgRecords
    as_of: datetime | None = None

    def name_of(self, person_id: str) -> str:
        """The person's name (their id if unknown)."""
        return dict(self.names).get(person_id, person_id)


def catalogue_json(goals: tuple[Goal, ...] | list[Goal]) -> str:
    """The catalogue's canonical JSON (what an adoption freezes and hashes):
    goals by number with their measures, ratings left out; sorted keys, no
    spaces, UTF-8 as is.  The same goals give the same text on every store."""
    import json

    data = [
        {
            "number": g.number,
            "title": g.title,
            "description": g.description,
            "measures": [
                {
                    "title": m.title,
                    "responsible": {"kind": m.responsible.kind, "name": m.responsible.name},
                }
                for m in g.measures
            ],
        }
        for g in sorted(goals, key=lambda g: g.number)
    ]
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def catalogue_sha256(text: str) -> str:
    """The SHA-256 (hex) of a catalogue's canonical JSON."""
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def catalogue_goals(area: str, text: str) -> tuple[Goal, ...]:
    """The frozen goals back from :func:`catalogue_json` (ids 0: a frozen
    goal is known by its number)."""
    import json

    return tuple(
        Goal(
            id=0,
            area=area,
            number=int(g["number"]),
            title=str(g["title"]),
            description=str(g["description"]),
            measures=tuple(
                Measure(
                    0,
                    0,
                    str(m["title"]),
                    Responsible(str(m["responsible"]["kind"]), str(m["responsible"]["name"])),
                )
                for m in g["measures"]
            ),
        )
        for g in json.loads(text)
    )
