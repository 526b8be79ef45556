"""The workflow definitions: plain frozen dataclasses, the one set of types.

The engine works with these records; they cost nothing to import and build,
and :mod:`.cache` stores them as JSON so that a command that only reads needs
neither YAML nor pydantic.  Their fields carry what a definition file must
satisfy as ``Annotated`` markers (:mod:`.constraints`), from which pydantic
checks a file straight into them (:mod:`.schema`); a record's defaults are
the defaults of the file.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from .constraints import AsMapping, Ident, Is, OneOf, OneOrMany, Scalar

__all__ = [
    "SELECTION_WORKFLOW",
    "CreateAreaDef",
    "FieldDef",
    "ReminderPolicy",
    "SelectionDef",
    "SelectionFields",
    "StateDef",
    "TaskDef",
    "TransitionDef",
    "VoteDef",
    "Workflow",
    "WorkflowDef",
    "workflow_def_from_dict",
    "workflow_def_to_dict",
]

#: pydantic's settings for every record below: a key the record has no field
#: for is refused (a misspelt key is named, not ignored)
CHECKED: dict[str, Any] = {"extra": "forbid"}

Text = Annotated[str, Is(min_length=1)]
Roles = Annotated[tuple[Ident, ...], Is(min_length=1)]
#: the trigger of each decision taken in a state
Decisions = Annotated[
    tuple[tuple[Annotated[str, OneOf("select", "reject", "dissent")], Ident], ...], AsMapping()
]


@dataclass(frozen=True)
class TaskDef:
    """A task of a state: who may report it, and whether it blocks leaving the state."""

    __pydantic_config__ = CHECKED

    id: Ident
    title: Text
    roles: Roles
    required: bool = False


@dataclass(frozen=True)
class FieldDef:
    """A piece of data an instance carries (e.g. an assessment), who may set
    it, and its type: text, int, bool, date or choice (one of ``choices``)."""

    __pydantic_config__ = CHECKED

    id: Ident
    title: Text
    roles: Roles
    type: Annotated[str, OneOf("text", "int", "bool", "date", "choice")] = "text"
    choices: tuple[Ident, ...] = ()


@dataclass(frozen=True)
class VoteDef:
    """A vote held in a state: ``seats`` says how many people of each role
    vote; once all have voted, the engine fires ``all_yes``, ``all_no``
    or ``otherwise``."""

    __pydantic_config__ = CHECKED

    seats: Annotated[
        tuple[tuple[Ident, Annotated[int, Is(ge=1, le=50)]], ...], AsMapping(min_length=1)
    ]
    all_yes: Ident
    all_no: Ident
    otherwise: Ident

    @property
    def total(self) -> int:
        return sum(n for _r, n in self.seats)


@dataclass(frozen=True)
class CreateAreaDef:
    """Entering the state creates a new instance of ``workflow``: its id is
    the value of field ``id_field``; ``agreement`` pre-fills agreement fields
    from fields (agreement field, field)."""

    __pydantic_config__ = CHECKED

    workflow: Ident
    id_field: Ident
    agreement: Annotated[tuple[tuple[Ident, Ident], ...], AsMapping()] = ()


@dataclass(frozen=True)
class StateDef:
    """A state (phase) of the workflow."""

    __pydantic_config__ = CHECKED

    id: Ident
    title: Text
    final: bool = False
    tasks: tuple[TaskDef, ...] = ()
    vote: VoteDef | None = None
    create_area: CreateAreaDef | None = None


@dataclass(frozen=True)
class TransitionDef:
    """A named transition from one or more source states to one destination."""

    __pydantic_config__ = CHECKED

    trigger: Ident
    # Is before OneOrMany: the limit belongs to the tuple, not to the conversion
    source: Annotated[tuple[Ident, ...], Is(min_length=1), OneOrMany()]
    dest: Ident
    roles: Roles
    title: str = ""
    approvals: tuple[Ident, ...] = ()
    guards: tuple[Ident, ...] = ()
    reason_required: bool = False
    advance: bool = False
    requires: tuple[Ident, ...] = ()
    when: Annotated[tuple[tuple[Ident, Annotated[Any, Scalar()]], ...], AsMapping()] = ()
    auto: bool = False


@dataclass(frozen=True)
class ReminderPolicy:
    """When review-date reminders go out, and to whom."""

    __pydantic_config__ = CHECKED

    recipients: tuple[Ident, ...] = ("moderation", "social_planning")
    days_before: tuple[Annotated[int, Is(ge=1, le=365)], ...] = (28, 7)
    on_day: bool = True
    repeat_every_days: Annotated[int, Is(ge=0, le=365)] = 7
    send_hour: Annotated[int, Is(ge=0, le=23)] = 8
    timezone: str = "Europe/Berlin"
    max_attempts: Annotated[int, Is(ge=1, le=100)] = 5
    language: Annotated[str, Is(pattern=r"^(de|en)$")] = "de"


#: The workflow the selection of focus areas runs its candidates on.  Its
#: version 1 has no ``selection`` section: it runs on :class:`SelectionDef`'s
#: defaults, which are the rules that version was written for.
SELECTION_WORKFLOW = "gebietsauswahl"


@dataclass(frozen=True)
class SelectionFields:
    """Which field of a candidate holds what the selection steps read and
    write (:meth:`Engine.nominate <regsam_flow.engine.Engine.nominate>`,
    ``assess``, ``candidates``).  ``area`` names the focus area a selected
    candidate becomes."""

    __pydantic_config__ = CHECKED

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


@dataclass(frozen=True)
class SelectionDef:
    """How a workflow selects focus areas: the ``fields`` the steps use;
    ``assess``, the transitions that conclude an assessment (the first whose
    ``when`` holds fires once its required fields are set; while none holds,
    the first names what is missing); ``decisions``, per state the trigger of
    each decision (select, reject, dissent) taken there.  The vote of the
    4er-Gremium and its seats are the ``vote`` of its state."""

    __pydantic_config__ = CHECKED

    fields: SelectionFields = SelectionFields()
    assess: Annotated[tuple[Ident, ...], Is(min_length=1)] = ("bewerten", "ausschliessen")
    decisions: Annotated[tuple[tuple[Ident, Decisions], ...], AsMapping()] = (
        ("arge", (("select", "arge_auswaehlen"), ("reject", "arge_ablehnen"),
                  ("dissent", "arge_dissens"))),
        ("leitung", (("select", "leitung_auswaehlen"), ("reject", "leitung_ablehnen"))),
    )  # fmt: skip

    def decision(self, state: str, decision: str) -> str | None:
        """The trigger of ``decision`` in ``state``, or None."""
        return dict(dict(self.decisions).get(state, ())).get(decision)


@dataclass(frozen=True)
class WorkflowDef:
    """A whole workflow definition, one YAML file."""

    __pydantic_config__ = CHECKED

    name: Ident
    version: Annotated[int, Is(strict=True, ge=1)]
    title: Text
    roles: Roles
    initial: Ident
    states: Annotated[tuple[StateDef, ...], Is(min_length=1)]
    description: str = ""
    transitions: tuple[TransitionDef, ...] = ()
    reminders: ReminderPolicy | None = None
    fields: tuple[FieldDef, ...] = ()
    selection: SelectionDef | None = None


@dataclass(frozen=True)
class Workflow:
    """A checked workflow definition with lookup tables."""

    definition: WorkflowDef
    source: str
    states: Mapping[str, StateDef] = field(repr=False)
    tasks: Mapping[str, tuple[str, TaskDef]] = field(repr=False)
    outgoing: Mapping[str, tuple[TransitionDef, ...]] = field(repr=False)
    fields: Mapping[str, FieldDef] = field(repr=False, default_factory=dict)

    @classmethod
    def index(cls, definition: WorkflowDef, source: str) -> Workflow:
        """The lookup tables of a definition that was checked already
        (:func:`~regsam_flow.workflows.loader.parse_workflow` checks)."""
        states: dict[str, StateDef] = {}
        tasks: dict[str, tuple[str, TaskDef]] = {}
        for s in definition.states:
            states[s.id] = s
            for t in s.tasks:
                tasks[t.id] = (s.id, t)
        outgoing: dict[str, list[TransitionDef]] = {}
        for tr in definition.transitions:
            for src in tr.source:
                outgoing.setdefault(src, []).append(tr)
        return cls(
            definition=definition,
            source=source,
            states=states,
            tasks=tasks,
            outgoing={k: tuple(v) for k, v in outgoing.items()},
            fields={f.id: f for f in definition.fields},
        )

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def version(self) -> int:
        return self.definition.version

    @property
    def selection(self) -> SelectionDef | None:
        """How it selects focus areas: its ``selection`` section; the defaults
        for the selection workflow defined without one (its version 1)."""
        if self.definition.selection is None and self.name == SELECTION_WORKFLOW:
            return SelectionDef()
        return self.definition.selection

    @property
    def initial(self) -> str:
        return self.definition.initial

    @property
    def key(self) -> tuple[str, int]:
        return (self.definition.name, self.definition.version)

    def state(self, state_id: str) -> StateDef:
        return self.states[state_id]

    def is_final(self, state_id: str) -> bool:
        return self.states[state_id].final

    def tasks_of(self, state_id: str) -> tuple[TaskDef, ...]:
        return self.states[state_id].tasks

    def task(self, task_id: str) -> tuple[str, TaskDef] | None:
        """The (state id, task) of a task id, or None."""
        return self.tasks.get(task_id)

    def transitions_from(self, state_id: str) -> tuple[TransitionDef, ...]:
        return self.outgoing.get(state_id, ())

    def transition(self, trigger: str, state_id: str) -> TransitionDef | None:
        for t in self.outgoing.get(state_id, ()):
            if t.trigger == trigger:
                return t
        return None

    def has_trigger(self, trigger: str) -> bool:
        return any(t.trigger == trigger for t in self.definition.transitions)

    def advance_from(self, state_id: str) -> TransitionDef | None:
        for t in self.outgoing.get(state_id, ()):
            if t.advance:
                return t
        return None


# ------------------------------------------------------------------ as data
# One generic conversion, driven by the dataclasses' own field types, serves
# the cache (JSON): a new field is added to its dataclass, and nowhere else.
# A record with a missing or unknown key fails loudly (KeyError / TypeError),
# so a cache entry of another shape is simply ignored.


def workflow_def_to_dict(d: WorkflowDef) -> dict[str, Any]:
    """The definition as JSON-ready data (tuples become lists)."""
    return _to_data(d)  # type: ignore[no-any-return]


def workflow_def_from_dict(data: Mapping[str, Any]) -> WorkflowDef:
    """A definition from data :func:`workflow_def_to_dict` wrote (not checked:
    the data was checked before it was written)."""
    return _from_data(WorkflowDef, data)  # type: ignore[no-any-return]


def _to_data(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _to_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return [_to_data(v) for v in value]
    return value


def _from_data(tp: Any, data: Any) -> Any:
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        hints = _hints(tp)
        names = {f.name for f in dataclasses.fields(tp)}
        unknown = set(data) - names
        if unknown:
            raise TypeError(f"{tp.__name__}: unknown keys {sorted(unknown)}")
        return tp(**{name: _from_data(hints[name], data[name]) for name in names})
    if origin in (types.UnionType, typing.Union):
        if data is None:
            return None
        (inner,) = [a for a in typing.get_args(tp) if a is not type(None)]
        return _from_data(inner, data)
    if origin is tuple:
        args = typing.get_args(tp)
        items = data.items() if isinstance(data, Mapping) else data
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_from_data(args[0], v) for v in items)
        return tuple(_from_data(a, v) for a, v in zip(args, items, strict=True))
    return data


@functools.cache
def _hints(tp: type) -> dict[str, Any]:
    return typing.get_type_hints(tp)
