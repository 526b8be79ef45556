"""Pydantic models of a workflow definition file (YAML).

A definition names its states, the tasks of each state, the transitions
between states and the reminder policy.  The models check the shape of each
element; :mod:`regsam_flow.workflows.loader` checks the definition as a whole
(unknown references, reachability, duplicates).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints, field_validator

__all__ = [
    "ReminderPolicy",
    "StateDef",
    "TaskDef",
    "TransitionDef",
    "WorkflowDef",
]

Ident = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TaskDef(_Strict):
    """A task of a state: who may report it, and whether it blocks leaving the state."""

    id: Ident
    title: str = Field(min_length=1)
    roles: tuple[Ident, ...] = Field(min_length=1)
    required: bool = False


class StateDef(_Strict):
    """A state (phase) of the workflow."""

    id: Ident
    title: str = Field(min_length=1)
    final: bool = False
    tasks: tuple[TaskDef, ...] = ()


class TransitionDef(_Strict):
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

    @field_validator("source", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return (value,) if isinstance(value, str) else value


class ReminderPolicy(_Strict):
    """When review-date reminders go out, and to whom."""

    recipients: tuple[Ident, ...] = ("moderation", "social_planning")
    days_before: tuple[Annotated[int, Field(ge=1, le=365)], ...] = (28, 7)
    on_day: bool = True
    repeat_every_days: int = Field(default=7, ge=0, le=365)
    send_hour: int = Field(default=8, ge=0, le=23)
    timezone: str = "Europe/Berlin"
    max_attempts: int = Field(default=5, ge=1, le=100)
    language: str = Field(default="de", pattern=r"^(de|en)$")


class WorkflowDef(_Strict):
    """A whole workflow definition, one YAML file."""

    name: Ident
    version: StrictInt = Field(ge=1)
    title: str = Field(min_length=1)
    description: str = ""
    roles: tuple[Ident, ...] = Field(min_length=1)
    initial: Ident
    states: tuple[StateDef, ...] = Field(min_length=1)
    transitions: tuple[TransitionDef, ...] = ()
    reminders: ReminderPolicy | None = None
