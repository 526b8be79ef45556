"""Pydantic models of a workflow definition file (YAML), for checking only.

A definition names its states, the tasks of each state, the transitions
between states and the reminder policy.  The models check the shape of each
element; :mod:`regsam_flow.workflows.loader` checks the definition as a whole
(unknown references, reachability, duplicates).  What the engine works with
afterwards are the plain records of :mod:`.spec` (:func:`to_spec`): importing
and building pydantic models is far too slow for a command-line tool that
only reads.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    field_validator,
)

from . import spec

__all__ = [
    "CreateAreaModel",
    "FieldModel",
    "ReminderModel",
    "SelectionFieldsModel",
    "SelectionModel",
    "StateModel",
    "TaskModel",
    "TransitionModel",
    "VoteModel",
    "WorkflowModel",
    "to_spec",
]

Ident = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TaskModel(_Strict):
    """A task of a state: who may report it, and whether it blocks leaving the state."""

    id: Ident
    title: str = Field(min_length=1)
    roles: tuple[Ident, ...] = Field(min_length=1)
    required: bool = False


class FieldModel(_Strict):
    """A piece of data an instance carries, and who may set it."""

    id: Ident
    title: str = Field(min_length=1)
    type: Literal["text", "int", "bool", "date", "choice"] = "text"
    roles: tuple[Ident, ...] = Field(min_length=1)
    choices: tuple[Ident, ...] = ()


class VoteModel(_Strict):
    """A vote held in a state; the outcome triggers fire automatically."""

    seats: dict[Ident, Annotated[int, Field(ge=1, le=50)]] = Field(min_length=1)
    all_yes: Ident
    all_no: Ident
    otherwise: Ident


class CreateAreaModel(_Strict):
    """Entering the state creates an instance of another workflow."""

    workflow: Ident
    id_field: Ident
    agreement: dict[Ident, Ident] = {}


class StateModel(_Strict):
    """A state (phase) of the workflow."""

    id: Ident
    title: str = Field(min_length=1)
    final: bool = False
    tasks: tuple[TaskModel, ...] = ()
    vote: VoteModel | None = None
    create_area: CreateAreaModel | None = None


class TransitionModel(_Strict):
    """A named transition from one or more source states to one destination."""

    trigger: Ident
    title: str = ""
    source: tuple[Ident, ...] = Field(min_length=1)
    dest: Ident
    roles: tuple[Ident, ...] = Field(min_length=1)
    approvals: tuple[Ident, ...] = ()
    guards: tuple[Ident, ...] = ()
    reason_required: bool = False
    advance: bool = False
    requires: tuple[Ident, ...] = ()
    when: dict[Ident, StrictBool | StrictInt | str] = {}
    auto: bool = False

    @field_validator("source", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return (value,) if isinstance(value, str) else value


class ReminderModel(_Strict):
    """When review-date reminders go out, and to whom."""

    recipients: tuple[Ident, ...] = ("moderation", "social_planning")
    days_before: tuple[Annotated[int, Field(ge=1, le=365)], ...] = (28, 7)
    on_day: bool = True
    repeat_every_days: int = Field(default=7, ge=0, le=365)
    send_hour: int = Field(default=8, ge=0, le=23)
    timezone: str = "Europe/Berlin"
    max_attempts: int = Field(default=5, ge=1, le=100)
    language: str = Field(default="de", pattern=r"^(de|en)$")


class SelectionFieldsModel(_Strict):
    """Which field holds what the selection steps read and write."""

    round: Ident = "runde"
    source: Ident = "quelle"
    area: Ident = "gebiet"
    quarter: Ident = "viertel"
    scope: Ident = "umgriff"
    reasons: Ident = "gruende"
    fits: Ident = "passt_zu_regsam"
    hours: Ident = "stunden_pro_woche"
    duration: Ident = "dauer"
    special_programme: Ident = "sonderprogramm"


Decision = Literal["select", "reject", "dissent"]


class SelectionModel(_Strict):
    """How the workflow selects focus areas (see :class:`.spec.SelectionDef`)."""

    fields: SelectionFieldsModel = SelectionFieldsModel()
    assess: tuple[Ident, ...] = Field(default=("bewerten", "ausschliessen"), min_length=1)
    decisions: dict[Ident, dict[Decision, Ident]] = {
        "arge": {"select": "arge_auswaehlen", "reject": "arge_ablehnen", "dissent": "arge_dissens"},
        "leitung": {"select": "leitung_auswaehlen", "reject": "leitung_ablehnen"},
    }


class WorkflowModel(_Strict):
    """A whole workflow definition, one YAML file."""

    name: Ident
    version: StrictInt = Field(ge=1)
    title: str = Field(min_length=1)
    description: str = ""
    roles: tuple[Ident, ...] = Field(min_length=1)
    initial: Ident
    states: tuple[StateModel, ...] = Field(min_length=1)
    transitions: tuple[TransitionModel, ...] = ()
    reminders: ReminderModel | None = None
    fields: tuple[FieldModel, ...] = ()
    selection: SelectionModel | None = None


def to_spec(m: WorkflowModel) -> spec.WorkflowDef:
    """The checked model as the engine's plain records."""
    return spec.workflow_def_from_dict(m.model_dump())
