"""The JSON API's request and answer models.

Field names are the CLI's ``--json`` keys (stable English); the answers are
built by :mod:`regsam_flow.views` and the records' ``to_dict()``, the same
code the CLI's ``--json`` uses, and these models document them in the
OpenAPI document.  Dates are accepted as ISO (``2027-07-15``) or German
(``15.07.2027``) text, read by :func:`regsam_flow.dates.parse_date`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from ...dates import parse_date
from ...errors import InvalidInputError
from ...i18n import _
from .kg_schemas import KgStateOut

__all__ = [
    "ERRORS",
    "AdvanceIn",
    "AgreementOut",
    "AgreementPatch",
    "AreaCreatedOut",
    "AreaIn",
    "AreaOverviewOut",
    "AreaStatusOut",
    "AsOfOut",
    "AssignmentIn",
    "AssignmentOut",
    "AuditEntryOut",
    "BlockerOut",
    "DateIn",
    "DecisionMailsIn",
    "ErrorOut",
    "FireResultOut",
    "HeadOut",
    "InboxItemOut",
    "MigrationIn",
    "MigrationPlanOut",
    "NextStepOut",
    "PersonIn",
    "PersonOut",
    "ReviewIn",
    "ReviewOut",
    "SignatureIn",
    "TaskOut",
    "TaskReopenIn",
    "TaskReopenedOut",
    "TaskReportIn",
    "TaskReportedOut",
    "TransitionIn",
    "VerifyOut",
    "WorkflowDeployedOut",
    "WorkflowIn",
    "WorkflowOut",
]


def _a_date(value: Any) -> Any:
    """A date given as text: ISO or German (pydantic names the field)."""
    if isinstance(value, str):
        try:
            return parse_date(value, "date")
        except InvalidInputError:
            raise PydanticCustomError(
                "invalid_date",
                _("{text!r} is not a date (e.g. 2027-07-15 or 15.07.2027)").format(text=value),
            ) from None
    return value


#: A calendar date in a request: ``2027-07-15`` or ``15.07.2027``.
DateIn = Annotated[
    date,
    BeforeValidator(_a_date),
    Field(description="A date, ISO (2027-07-15) or German (15.07.2027)."),
]


class _In(BaseModel):
    """A request body: unknown fields are refused (a typo is not ignored)."""

    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------------- errors
class BlockerOut(BaseModel):
    """One reason a step is blocked: a stable code and a sentence."""

    code: str
    message: str


class ErrorOut(BaseModel):
    """Every error answer: the CLI's JSON error (``--json``)."""

    error: str = Field(description="Stable code, e.g. not_found, blocked, conflict.")
    message: str = Field(description="What went wrong, in the caller's language.")
    field: str | None = Field(None, description="The input at fault (invalid_input).")
    blockers: list[BlockerOut] | None = Field(None, description="Every reason (blocked).")


#: The error answers every route of the API may give.
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Not signed in (not_signed_in)."},
    403: {"model": ErrorOut, "description": "Not allowed (not_allowed)."},
    404: {"model": ErrorOut, "description": "No such thing, or not visible to you (not_found)."},
    409: {"model": ErrorOut, "description": "Blocked or changed meanwhile (blocked, conflict)."},
    412: {"model": ErrorOut, "description": "If-Match names an older version (conflict)."},
    422: {"model": ErrorOut, "description": "Invalid input; field names it (invalid_input)."},
}


# ------------------------------------------------------------------- people
class PersonOut(BaseModel):
    """A person (``user list --json``)."""

    id: str
    name: str
    email: str
    org: str
    admin: bool
    auditor: bool
    decision_mails: bool


class PersonIn(_In):
    """A new person (admins only)."""

    id: str = Field(description="User name, e.g. mia.", min_length=1)
    name: str = Field(description="Full name, e.g. Jürgen Groß.", min_length=1)
    email: str = Field(description="Email address for reminders and sign-in links.")
    org: str = Field("", description="Organisation, e.g. Sozialreferat.")
    admin: bool = Field(False, description="Global role: manages people and areas.")
    auditor: bool = Field(False, description="Global role: reads everything, changes nothing.")


class DecisionMailsIn(_In):
    """Whether the person gets the KG meetings' decisions by mail."""

    decision_mails: bool


# -------------------------------------------------------------------- areas
class AreaIn(_In):
    """A new area (admins only)."""

    area: str = Field(description="The area's id, e.g. hasenbergl-nord.", min_length=1)
    name: str = Field(description="The area's name, e.g. Hasenbergl-Nord.", min_length=1)
    district: str = Field("", description="The city district (Stadtbezirk).")
    workflow: str = Field("schwerpunktgebiet", description="Workflow to run.")
    workflow_version: int | None = Field(
        None, ge=1, description="A deployed version of the workflow (default: the newest)."
    )


class AreaCreatedOut(BaseModel):
    """A new area (``area create --json``)."""

    area: str
    name: str
    workflow: str
    workflow_version: int
    state: str


class AreaOverviewOut(BaseModel):
    """One area at a glance (``area list --json``)."""

    area: str
    name: str
    district: str
    workflow: str
    workflow_version: int
    kind: str = Field(description="area (a focus area) or selection (a candidate).")
    state: str
    state_title: str
    final: bool
    next_step: str | None
    next_title: str | None
    owed_by: list[str]
    owed_roles: list[str]
    open_tasks: list[str]
    review: str | None = Field(description="The review date, ISO.")
    days_left: int | None
    version: int


class AssignmentIn(_In):
    """A role to give a person in the area."""

    role: str = Field(description="moderation, social_planning, steering, provider or sbh.")
    person: str = Field(description="The person's user name.", min_length=1)


class AssignmentOut(BaseModel):
    """A role given or taken (``area assign --json``)."""

    area: str
    role: str
    user: str
    assigned: bool


class NextStepOut(BaseModel):
    """A step out of the current phase for the caller, with every blocker (``why --json``)."""

    trigger: str
    title: str
    dest: str
    allowed: bool
    blockers: list[BlockerOut]
    reason_required: bool
    advance: bool
    approvals_needed: list[str]
    approvals_given: dict[str, str]


class TaskOut(BaseModel):
    """A task (``task list --json``)."""

    id: str
    phase: str
    title: str
    roles: list[str]
    required: bool
    done: bool
    done_by: str | None
    done_at: str | None
    note: str


class AgreementOut(BaseModel):
    """One version of the cooperation agreement (``agreement show --json``)."""

    version: int
    topic: str
    scope: str
    reasons: str
    partners: str
    terms: str
    duration: str
    start: str | None
    review: str | None
    signed_by: list[str]
    signatures: dict[str, str] = Field(description="Signing role -> person.")
    missing: list[str] = Field(description="Fields still missing before signing.")
    created_at: str | None
    created_by: str | None


class VoteOut(BaseModel):
    """A vote cast in the current round."""

    round: int
    person: str
    role: str
    vote: Literal["yes", "no"]
    reason: str | None


class AreaStatusOut(BaseModel):
    """An area at once (``area show --json``); its ``version`` is the ETag."""

    area: str
    name: str
    district: str
    workflow: str
    workflow_version: int
    state: str
    state_title: str
    final: bool
    version: int
    roles: dict[str, list[str]]
    agreement: AgreementOut | None
    tasks: list[TaskOut]
    next: list[NextStepOut]
    fields: dict[str, Any]
    votes: list[VoteOut]
    kg: KgStateOut


# ---------------------------------------------------------------- agreement
class AgreementPatch(_In):
    """Fields of the agreement to change; each change makes a new version
    and voids the signatures.  At least one field."""

    topic: str | None = Field(None, description="Topic / provisional goal.")
    scope: str | None = Field(None, description="Scope of the area (Umgriff).")
    reasons: str | None = Field(None, description="Reasons for choosing the area.")
    partners: str | None = Field(None, description="Partners still to be won.")
    terms: str | None = Field(None, description="Further agreements.")
    duration: str | None = Field(None, description='Provisional duration, e.g. "2 Jahre".')
    start: DateIn | None = None
    review: DateIn | None = None

    @model_validator(mode="after")
    def _something(self) -> AgreementPatch:
        if all(getattr(self, name) is None for name in type(self).model_fields):
            raise PydanticCustomError(
                "nothing_to_change", _("give at least one field to change, e.g. topic or review")
            )
        return self


class SignatureIn(_In):
    """Sign the current version for your role."""

    role: str | None = Field(
        None, description="moderation or social_planning (default: the one you hold)."
    )


# -------------------------------------------------------------------- tasks
class TaskReportIn(_In):
    """Report a task of the current phase done."""

    note: str = Field("", description="A note, e.g. where the result is documented.")


class TaskReportedOut(BaseModel):
    """A task reported done (``task done --json``)."""

    area: str
    task: str
    done: bool
    done_by: str | None
    done_at: str | None
    note: str


class TaskReopenIn(_In):
    """Mark a reported task open again."""

    reason: str = Field(min_length=1, description="Why the task is open again.")


class TaskReopenedOut(BaseModel):
    """A task open again (``task reopen --json``)."""

    area: str
    task: str
    done: bool
    reason: str


# -------------------------------------------------------------- transitions
class TransitionIn(_In):
    """Fire a named transition (resume, cancel, close, ...)."""

    trigger: str = Field(min_length=1, description="The transition's trigger, e.g. cancel.")
    reason: str = Field("", description="Why; required by resume and cancel.")
    role: str | None = Field(None, description="Act in this role (if you hold several).")


class AdvanceIn(_In):
    """Fire the forward transition of the current phase."""

    reason: str = Field("", description="Why (recorded in the audit log).")


class FireResultOut(BaseModel):
    """What firing did (``transition --json``); ``fired`` false: your approval
    is recorded and ``missing`` names who is still to approve."""

    area: str
    trigger: str
    fired: bool
    from_state: str
    to_state: str
    role: str
    missing: list[str]
    seq: int


class ReviewIn(_In):
    """The decision taken at the review date."""

    decision: Literal["continue", "end"]
    next_review: DateIn | None = Field(None, description="The next review date (continue).")
    reason: str = Field("", description="Why (recorded in the audit log).")


class ReviewOut(BaseModel):
    """A review decision (``review --json``)."""

    area: str
    decision: str
    next_review: str | None


# -------------------------------------------------------------------- inbox
class InboxItemOut(BaseModel):
    """One thing waiting for you (``inbox --json``)."""

    kind: str
    area: str
    area_name: str
    workflow: str
    ref: str
    role: str
    title: str
    due: str | None
    days_left: int | None
    urgency: str
    command: str


# -------------------------------------------------------------------- audit
class AuditEntryOut(BaseModel):
    """One entry of the audit log (``log --json``)."""

    seq: int
    at: str
    area: str | None
    actor: str
    role: str | None
    action: str
    trigger: str | None
    from_state: str | None
    to_state: str | None
    reason: str | None
    details: dict[str, Any]
    hash: str


class VerifyOut(BaseModel):
    """The audit chain recomputed (``audit verify --json``)."""

    ok: bool
    entries: int
    head: str
    first_bad_seq: int | None
    problem: str | None
    problems: list[str]
    deep: bool
    since: int | None = None


class HeadOut(BaseModel):
    """The audit log's head (``audit head --json``): keep ``head`` elsewhere."""

    entries: int
    hash: str
    head: str


class AsOfOut(BaseModel):
    """The area as the audit log says it was (``as-of --json``)."""

    area: str
    at: str
    exists: bool
    name: str
    workflow: str
    workflow_version: int
    state: str | None
    roles: dict[str, list[str]]
    agreement: dict[str, str | None] | None
    agreement_version: int
    signed_by: list[str]
    tasks_done: list[str]
    last_seq: int


# ---------------------------------------------------------------- workflows
class WorkflowOut(BaseModel):
    """A deployed workflow version (a row of ``workflow list --json``)."""

    name: str
    version: int
    title: str
    states: int
    deployed: bool
    status: str
    source: str
    hash: str | None
    deployed_by: str | None
    file: str | None


class WorkflowIn(_In):
    """A workflow definition to deploy (admins only)."""

    text: str = Field(min_length=1, description="The definition's YAML text.")
    source: str = Field(
        min_length=1,
        max_length=200,
        pattern=r"^[A-Za-z0-9._-]+$",
        description="Its file name, e.g. schwerpunktgebiet-v3.yaml.",
    )


class WorkflowDeployedOut(BaseModel):
    """A deployed definition (``workflow deploy --json``); ``deployed`` false:
    this text was deployed already."""

    name: str
    version: int
    hash: str
    deployed: bool


class MigrationIn(_In):
    """Move the area to another deployed version of its workflow."""

    to_version: int = Field(ge=1, description="The deployed version to move to.")
    workflow: str | None = Field(None, description="If given, must be the area's workflow.")
    dry_run: bool = Field(False, description="Only the plan; nothing written.")
    reason: str = Field("", description="Why (recorded in the audit log).")


class _RoleHeld(BaseModel):
    role: str
    person: str


class MigrationPlanOut(BaseModel):
    """The plan of a move (``workflow migrate --json``)."""

    area: str
    workflow: str
    from_version: int
    to_version: int
    phase: str
    can_move: bool
    problems: list[BlockerOut]
    blocked_by: list[BlockerOut]
    next_trigger: str | None
    tasks_dropped: list[str]
    tasks_new: list[str]
    roles_unknown: list[_RoleHeld]
    fields_dropped: list[str]
    fields_new: list[str]
    dry_run: bool
    moved: bool
    seq: int
    version: int
