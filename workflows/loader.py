"""Loading and checking workflow definitions.

:func:`load_workflow` reads one YAML file, validates it with the pydantic
models of :mod:`.schema` and checks it as a whole.  Every problem raises
:class:`~regsam_flow.errors.InvalidWorkflowError` naming the file, the element
and what is wrong.  The result is a :class:`Workflow`: the definition plus the
indexes the engine needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from regsam_flow.errors import InvalidWorkflowError

from .schema import StateDef, TaskDef, TransitionDef, WorkflowDef

__all__ = ["Workflow", "load_workflow", "parse_workflow"]


@dataclass(frozen=True)
class Workflow:
    """A checked workflow definition with lookup tables."""

    definition: WorkflowDef
    source: str
    states: Mapping[str, StateDef] = field(repr=False)
    tasks: Mapping[str, tuple[str, TaskDef]] = field(repr=False)
    outgoing: Mapping[str, tuple[TransitionDef, ...]] = field(repr=False)

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def version(self) -> int:
        return self.definition.version

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


def _fail(source: str, element: str, problem: str) -> InvalidWorkflowError:
    return InvalidWorkflowError(f"{source}: {element}: {problem}", source=source, element=element)


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a key given twice in one mapping."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _value in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}'", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _problem(err: Any) -> str:
    if err["type"] == "extra_forbidden":
        return f"unknown field '{err['loc'][-1]}'"
    return str(err["msg"])


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def parse_workflow(
    text: str, source: str = "<string>", known_guards: Iterable[str] | None = None
) -> Workflow:
    """Parse and check a workflow definition given as YAML text."""
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "YAML"
        problem = getattr(exc, "problem", None) or str(exc)
        raise _fail(source, where, f"YAML syntax error: {problem}") from None
    if not isinstance(data, dict):
        raise _fail(source, "(top level)", "expected a mapping with name, version, states, ...")
    try:
        definition = WorkflowDef.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        # a misspelt key shows up twice: as unknown, and as the key it should
        # have been missing; name the unknown one first
        errors.sort(key=lambda e: e["type"] != "extra_forbidden")
        first = errors[0]
        text = _problem(first)
        for e in errors[1:]:
            text += f"; {_loc(tuple(e['loc']))}: {_problem(e)}"
        raise _fail(source, _loc(tuple(first["loc"])), text) from None
    return _check(definition, source, known_guards)


def load_workflow(path: Path | str, known_guards: Iterable[str] | None = None) -> Workflow:
    """Read, parse and check one workflow definition file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _fail(str(p), "(file)", "no such file") from None
    except UnicodeDecodeError as exc:
        raise _fail(str(p), "(file)", f"not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise _fail(str(p), "(file)", exc.strerror or str(exc)) from None
    return parse_workflow(text, str(p), known_guards)


def _check(d: WorkflowDef, source: str, known_guards: Iterable[str] | None) -> Workflow:
    roles = set(d.roles)
    if len(roles) != len(d.roles):
        dup = next(r for r in d.roles if d.roles.count(r) > 1)
        raise _fail(source, "roles", f"duplicate role '{dup}'")

    states: dict[str, StateDef] = {}
    tasks: dict[str, tuple[str, TaskDef]] = {}
    for i, s in enumerate(d.states):
        if s.id in states:
            raise _fail(source, f"states[{i}]", f"duplicate state id '{s.id}'")
        states[s.id] = s
        if s.final and s.tasks:
            raise _fail(source, f"states[{i}] ({s.id})", "a final state cannot have tasks")
        for j, t in enumerate(s.tasks):
            where = f"states[{i}] ({s.id}).tasks[{j}] ({t.id})"
            if t.id in tasks:
                raise _fail(source, where, f"duplicate task id '{t.id}'")
            tasks[t.id] = (s.id, t)
            for r in t.roles:
                if r not in roles:
                    raise _fail(source, where + ".roles", f"unknown role '{r}'")

    if d.initial not in states:
        raise _fail(source, "initial", f"no initial state: '{d.initial}' is not a state")

    guard_names = None if known_guards is None else set(known_guards)
    outgoing: dict[str, list[TransitionDef]] = {}
    for i, tr in enumerate(d.transitions):
        where = f"transitions[{i}] ({tr.trigger})"
        for src in tr.source:
            if src not in states:
                raise _fail(source, where + ".source", f"unknown state '{src}'")
            if states[src].final:
                raise _fail(
                    source,
                    where + ".source",
                    f"final state '{src}' cannot have outgoing transitions",
                )
            for other in outgoing.get(src, []):
                if other.trigger == tr.trigger:
                    raise _fail(
                        source, where, f"duplicate trigger '{tr.trigger}' from state '{src}'"
                    )
                if tr.advance and other.advance:
                    raise _fail(
                        source,
                        where + ".advance",
                        f"state '{src}' already has a forward transition '{other.trigger}'",
                    )
            outgoing.setdefault(src, []).append(tr)
        if tr.dest not in states:
            raise _fail(source, where + ".dest", f"unknown state '{tr.dest}'")
        for attr in ("roles", "approvals"):
            for r in getattr(tr, attr):
                if r not in roles:
                    raise _fail(source, f"{where}.{attr}", f"unknown role '{r}'")
        if guard_names is not None:
            for g in tr.guards:
                if g not in guard_names:
                    raise _fail(
                        source,
                        where + ".guards",
                        f"unknown guard '{g}' (known: {', '.join(sorted(guard_names))})",
                    )

    for i, s in enumerate(d.states):
        if not s.final and s.id not in outgoing:
            raise _fail(
                source,
                f"states[{i}] ({s.id})",
                "not final but has no outgoing transition (mark it final: true)",
            )

    reached = {d.initial}
    frontier = [d.initial]
    while frontier:
        for step in outgoing.get(frontier.pop(), []):
            if step.dest not in reached:
                reached.add(step.dest)
                frontier.append(step.dest)
    for i, s in enumerate(d.states):
        if s.id not in reached:
            raise _fail(
                source, f"states[{i}] ({s.id})", f"unreachable from the initial state '{d.initial}'"
            )

    if d.reminders is not None:
        for r in d.reminders.recipients:
            if r not in roles:
                raise _fail(source, "reminders.recipients", f"unknown role '{r}'")
        tz = d.reminders.timezone
        try:
            from zoneinfo import ZoneInfo

            if tz == "localtime" or tz.startswith("/") or ".." in tz:
                raise ValueError(tz)
            ZoneInfo(tz)
        except Exception:
            raise _fail(
                source, "reminders.timezone", f"unknown time zone '{d.reminders.timezone}'"
            ) from None

    return Workflow(
        definition=d,
        source=source,
        states=states,
        tasks=tasks,
        outgoing={k: tuple(v) for k, v in outgoing.items()},
    )
