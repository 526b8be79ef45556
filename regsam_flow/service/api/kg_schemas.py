"""What the KG's, the selection's and the reminders' routes take and answer.

Requests are checked here only for their shape (a key unknown to the
model is refused, naming it); every rule, every date (ISO ``2027-03-12``
or German ``12.03.2027``) and every text is checked by the engine, which
names the field at fault.  Answers have the keys the CLI prints with
``--json`` (built by :mod:`regsam_flow.kg_views`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AdoptionIn",
    "AssessmentIn",
    "AssessmentOut",
    "AttachmentOut",
    "AttendeeOut",
    "BallotOut",
    "CandidateOut",
    "CatalogueOut",
    "CatalogueVersionOut",
    "DecisionIn",
    "DecisionOut",
    "DocumentCheckOut",
    "FieldsIn",
    "FieldsOut",
    "FinalDocumentOut",
    "FinalRecordOut",
    "FinalStatusOut",
    "GoalIn",
    "GoalOut",
    "KgFactsOut",
    "KgMailOut",
    "KgStateOut",
    "MeasureIn",
    "MeasureOut",
    "MeetingIn",
    "MeetingOut",
    "NominationIn",
    "NominationOut",
    "OrderIn",
    "OrderOut",
    "RatingIn",
    "ReminderOut",
    "ReportIn",
    "ResourceIn",
    "ResourceOut",
    "ResponsibleModel",
    "VoteIn",
    "VoteOut",
]

DATE_TEXT = "A date: ISO (2027-03-12) or German (12.03.2027)."


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- meetings
class MeetingIn(_In):
    """A KG meeting to record (moderation or social planning)."""

    date: str = Field(description=DATE_TEXT + " A future date only for a planned meeting.")
    place: str
    attendees: list[str] = Field(default_factory=list, description="People of the area, by id.")
    guests: list[str] = Field(default_factory=list, description="Named guests.")
    decisions: list[str] = Field(default_factory=list)
    minutes: str = ""
    planned: bool = False


class AttendeeOut(BaseModel):
    person: str | None
    guest: str | None


class AttachmentOut(BaseModel):
    id: int
    filename: str
    media_type: str
    size: int
    sha256: str


class MeetingOut(BaseModel):
    id: int
    area: str
    number: int
    date: str
    place: str
    planned: bool
    attendees: list[AttendeeOut]
    decisions: list[str]
    minutes: str
    attachments: list[AttachmentOut]
    recorded_by: str
    recorded_at: str


# --------------------------------------------------------------- catalogue
class ResponsibleModel(BaseModel):
    """Who is responsible (or addressed): a role of the area, a person of
    the area, or a named outside party."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["role", "person", "outside"]
    name: str


class GoalIn(_In):
    title: str
    description: str = ""


class MeasureIn(_In):
    title: str
    responsible: ResponsibleModel


class RatingIn(_In):
    rating: Literal["achieved", "partly", "not_achieved"]
    note: str


class AdoptionIn(_In):
    meeting: int = Field(description="The id of the meeting that adopts the catalogue.")


class GoalMeasureOut(BaseModel):
    id: int
    title: str
    responsible: ResponsibleModel


class GoalOut(BaseModel):
    number: int
    title: str
    description: str
    measures: list[GoalMeasureOut]
    rating: str | None
    rating_note: str | None
    rated_by: str | None
    rated_at: str | None


class MeasureOut(BaseModel):
    goal: int
    id: int
    title: str
    responsible: ResponsibleModel


class FrozenGoalOut(BaseModel):
    number: int
    title: str
    description: str
    measures: list[GoalMeasureOut]


class CatalogueVersionOut(BaseModel):
    area: str
    version: int
    meeting: int
    adopted_by: str
    adopted_at: str
    sha256: str
    goals: list[FrozenGoalOut]


class VersionBriefOut(BaseModel):
    version: int
    meeting: int
    adopted_by: str
    adopted_at: str
    sha256: str


class CatalogueOut(BaseModel):
    area: str
    adopted_version: int | None
    changed_since_adoption: bool
    versions: list[VersionBriefOut]
    catalogue: CatalogueVersionOut | None


# ------------------------------------------------------ orders, resources
class OrderIn(_In):
    """A work order or recommendation, issued at a meeting that took place."""

    meeting: int = Field(description="The id of the meeting that issues it.")
    title: str
    addressee: ResponsibleModel
    due: str = Field(description=DATE_TEXT)
    kind: Literal["order", "recommendation"] = "order"
    goal: int | None = Field(None, description="For goal number N.")
    measure: int | None = Field(None, description="For this measure (its id).")


class ReportIn(_In):
    status: Literal["open", "in_progress", "done", "declined"]
    note: str = ""


class OrderOut(BaseModel):
    id: int
    area: str
    kind: str
    title: str
    addressee: ResponsibleModel
    meeting: int
    due: str
    status: str
    note: str
    goal: int | None
    measure: int | None
    created_by: str
    created_at: str
    updated_by: str
    updated_at: str


class ResourceIn(_In):
    text: str
    estimate: str = ""


class ResourceOut(BaseModel):
    id: int
    area: str
    text: str
    estimate: str
    recorded_by: str
    recorded_at: str


# ---------------------------------------------------------------- KG state
class MeetingBriefOut(BaseModel):
    id: int
    number: int
    held_on: str
    place: str


class KgMeetingsOut(BaseModel):
    held: int
    planned: int
    last: MeetingBriefOut | None
    next: MeetingBriefOut | None


class KgCatalogueOut(BaseModel):
    adopted_version: int | None
    changed_since_adoption: bool


class KgGoalsOut(BaseModel):
    total: int
    with_measures: int
    rated: int


class KgOrdersOut(BaseModel):
    open: int
    overdue: int
    done: int
    declined: int


class FinalDocumentOut(BaseModel):
    format: str
    size: int
    sha256: str
    recorded_by: str
    recorded_at: str
    stale: bool
    changes_since: list[str]


class KgStateOut(BaseModel):
    guards: list[str]
    meetings: KgMeetingsOut
    catalogue: KgCatalogueOut
    goals: KgGoalsOut
    orders: KgOrdersOut
    missing_resources: int
    final_document: FinalDocumentOut | None


class KgFactsOut(BaseModel):
    area: str
    adopted_version: int | None
    changed_since_adoption: bool
    goals: list[GoalOut]
    final_document: FinalDocumentOut | None


# ----------------------------------------------------- final documentation
class FinalRecordOut(BaseModel):
    """The final documentation rendered and recorded: ``content`` is the
    document itself (UTF-8 text; its bytes have the SHA-256 recorded)."""

    area: str
    format: str
    size: int
    sha256: str
    recorded: bool
    final_document: FinalDocumentOut
    content: str


class FinalStatusOut(BaseModel):
    area: str
    recorded: FinalDocumentOut | None


class DocumentCheckOut(BaseModel):
    area: str
    file: str
    size: int
    sha256: str
    matches: bool
    recorded: FinalDocumentOut | None


# --------------------------------------------------------------- selection
class FieldsIn(_In):
    values: dict[str, Any] = Field(description="Field id -> value, as the workflow defines them.")


class FieldsOut(BaseModel):
    area: str
    fields: dict[str, Any]


class VoteIn(_In):
    vote: Literal["yes", "no"]
    reason: str = ""
    role: str | None = Field(None, description="The seat to vote in, if you hold several.")


class VoteOut(BaseModel):
    round: int
    person: str
    role: str
    vote: str
    reason: str | None


class BallotOut(BaseModel):
    """A vote cast: how many of the seats have voted, and the outcome (the
    phase reached) once the last seat voted."""

    candidate: str
    vote: str
    outcome: str | None
    cast: int
    seats: int


class NominationIn(_In):
    candidate: str
    round: str
    name: str
    source: str
    district: str = ""
    area: str = Field("", description="The focus area it becomes if selected.")
    quarter: str = ""
    scope: str = ""
    reasons: str = ""
    like: str | None = Field(None, description="Copy the panel (roles) of this candidate.")


class NominationOut(BaseModel):
    """The candidate and the fields it was nominated with."""

    model_config = ConfigDict(extra="allow")

    candidate: str


class AssessmentIn(_In):
    fits: bool | None = None
    hours: int | None = None
    duration: str | None = None
    special_programme: bool | None = None
    reason: str = ""


class AssessmentOut(BaseModel):
    candidate: str
    missing: list[str]
    state: str | None


class DecisionIn(_In):
    decision: Literal["select", "reject", "dissent"]
    reason: str = ""


class DecisionOut(BaseModel):
    candidate: str
    decision: str
    state: str


class CandidateOut(BaseModel):
    candidate: str
    name: str
    round: str | None
    source: str | None
    state: str
    area: str | None


# --------------------------------------------------------------- reminders
class ReminderOut(BaseModel):
    id: int
    area: str
    review_date: str
    kind: str
    offset_days: int
    due_at: str | None
    status: str
    attempts: int
    next_attempt_at: str | None
    sent_at: str | None
    last_error: str | None
    message_id: str


class KgMailOut(BaseModel):
    id: int
    area: str
    kind: str
    ref: int
    due_at: str | None
    status: str
    attempts: int
    next_attempt_at: str | None
    sent_at: str | None
    last_error: str | None
    message_id: str
