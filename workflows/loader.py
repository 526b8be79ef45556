"""Loading and checking workflow definitions.

:func:`load_workflow` reads one YAML file, has pydantic check it into the
records of :mod:`.spec` (:mod:`.schema`) and checks it as a whole.  Every
problem raises :class:`~regsam_flow.errors.InvalidWorkflowError` naming the
file, the element and what is wrong.  The result is a :class:`Workflow`: the
definition plus the indexes the engine needs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from regsam_flow.errors import InvalidWorkflowError
from regsam_flow.i18n import _

from .spec import FieldDef, StateDef, TaskDef, TransitionDef, Workflow, WorkflowDef

if TYPE_CHECKING:
    import yaml

__all__ = ["Workflow", "load_workflow", "parse_workflow"]

# PyYAML and pydantic are imported only when a file is actually parsed: a
# command that finds its definitions in the cache (:mod:`.cache`) needs neither.


def _fail(source: str, element: str, problem: str) -> InvalidWorkflowError:
    return InvalidWorkflowError(f"{source}: {element}: {problem}", source=source, element=element)


#: Lists and mappings nested deeper than this are refused (a workflow file
#: needs about six levels; PyYAML composes nested nodes recursively).
MAX_DEPTH = 64


@cache
def _unique_key_loader() -> type[yaml.SafeLoader]:
    """A safe loader that refuses a key given twice in one mapping, a list
    or mapping as a key, and nesting deeper than :data:`MAX_DEPTH`."""
    import yaml

    class _UniqueKeyLoader(yaml.SafeLoader):
        _depth = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self._depth >= MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    _("lists and mappings nested too deeply (more than {max} levels)").format(
                        max=MAX_DEPTH
                    ),
                    self.peek_event().start_mark,  # type: ignore[no-untyped-call]
                )
            self._depth += 1
            try:
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1

    def construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    _("a key must be a plain value such as a name, not a list or mapping"),
                    key_node.start_mark,
                )
            key = loader.construct_object(key_node)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, _("duplicate key '{key}'").format(key=key), key_node.start_mark
                )
            seen.add(key)
        return loader.construct_mapping(node)

    _UniqueKeyLoader.add_constructor(
        yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping
    )
    return _UniqueKeyLoader


#: pydantic's error types for a key the record has no field for
UNKNOWN_KEY = ("unexpected_keyword_argument", "extra_forbidden")


def _problem(err: Any) -> str:
    if err["type"] in UNKNOWN_KEY:
        return _("unknown field '{field}'").format(field=err["loc"][-1])
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
    import yaml
    from pydantic import ValidationError

    from .schema import validate_definition

    try:
        data = yaml.load(text, Loader=_unique_key_loader())  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = (
            _("line {line}, column {column}").format(line=mark.line + 1, column=mark.column + 1)
            if mark
            else "YAML"
        )
        problem = getattr(exc, "problem", None) or str(exc)
        raise _fail(
            source, where, _("YAML syntax error: {problem}").format(problem=problem)
        ) from None
    if not isinstance(data, dict):
        raise _fail(source, "(top level)", _("expected a mapping with name, version, states, ..."))
    try:
        definition = validate_definition(data)
    except ValidationError as exc:
        errors = exc.errors()
        # a misspelt key shows up twice: as unknown, and as the key it should
        # have been missing; name the unknown one first
        errors.sort(key=lambda e: e["type"] not in UNKNOWN_KEY)
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
        raise _fail(str(p), "(file)", _("no such file")) from None
    except UnicodeDecodeError as exc:
        raise _fail(
            str(p), "(file)", _("not UTF-8 text ({reason})").format(reason=exc.reason)
        ) from None
    except OSError as exc:
        raise _fail(str(p), "(file)", exc.strerror or str(exc)) from None
    return parse_workflow(text, str(p), known_guards)


def _check(d: WorkflowDef, source: str, known_guards: Iterable[str] | None) -> Workflow:
    roles = set(d.roles)
    if len(roles) != len(d.roles):
        dup = next(r for r in d.roles if d.roles.count(r) > 1)
        raise _fail(source, "roles", _("duplicate role '{role}'").format(role=dup))

    states: dict[str, StateDef] = {}
    tasks: dict[str, tuple[str, TaskDef]] = {}
    for i, s in enumerate(d.states):
        if s.id in states:
            raise _fail(
                source, f"states[{i}]", _("duplicate state id '{state}'").format(state=s.id)
            )
        states[s.id] = s
        if s.final and s.tasks:
            raise _fail(source, f"states[{i}] ({s.id})", _("a final state cannot have tasks"))
        for j, t in enumerate(s.tasks):
            where = f"states[{i}] ({s.id}).tasks[{j}] ({t.id})"
            if t.id in tasks:
                raise _fail(source, where, _("duplicate task id '{task}'").format(task=t.id))
            tasks[t.id] = (s.id, t)
            for r in t.roles:
                if r not in roles:
                    raise _fail(source, where + ".roles", _("unknown role '{role}'").format(role=r))

    if d.initial not in states:
        raise _fail(
            source,
            "initial",
            _("no initial state: '{state}' is not a state").format(state=d.initial),
        )

    guard_names = None if known_guards is None else set(known_guards)
    outgoing: dict[str, list[TransitionDef]] = {}
    for i, tr in enumerate(d.transitions):
        where = f"transitions[{i}] ({tr.trigger})"
        for src in tr.source:
            if src not in states:
                raise _fail(
                    source, where + ".source", _("unknown state '{state}'").format(state=src)
                )
            if states[src].final:
                raise _fail(
                    source,
                    where + ".source",
                    _("final state '{state}' cannot have outgoing transitions").format(state=src),
                )
            for other in outgoing.get(src, []):
                if other.trigger == tr.trigger:
                    raise _fail(
                        source,
                        where,
                        _("duplicate trigger '{trigger}' from state '{state}'").format(
                            trigger=tr.trigger, state=src
                        ),
                    )
                if tr.advance and other.advance:
                    raise _fail(
                        source,
                        where + ".advance",
                        _("state '{state}' already has a forward transition '{trigger}'").format(
                            state=src, trigger=other.trigger
                        ),
                    )
            outgoing.setdefault(src, []).append(tr)
        if tr.dest not in states:
            raise _fail(source, where + ".dest", _("unknown state '{state}'").format(state=tr.dest))
        for attr in ("roles", "approvals"):
            for r in getattr(tr, attr):
                if r not in roles:
                    raise _fail(
                        source, f"{where}.{attr}", _("unknown role '{role}'").format(role=r)
                    )
        if guard_names is not None:
            for g in tr.guards:
                if g not in guard_names:
                    raise _fail(
                        source,
                        where + ".guards",
                        _("unknown guard '{guard}' (known: {known})").format(
                            guard=g, known=", ".join(sorted(guard_names))
                        ),
                    )

    for i, s in enumerate(d.states):
        if not s.final and s.id not in outgoing:
            raise _fail(
                source,
                f"states[{i}] ({s.id})",
                _("not final but has no outgoing transition (mark it final: true)"),
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
                source,
                f"states[{i}] ({s.id})",
                _("unreachable from the initial state '{state}'").format(state=d.initial),
            )

    if d.reminders is not None:
        for r in d.reminders.recipients:
            if r not in roles:
                raise _fail(
                    source, "reminders.recipients", _("unknown role '{role}'").format(role=r)
                )
        tz = d.reminders.timezone
        try:
            from zoneinfo import ZoneInfo

            if tz == "localtime" or tz.startswith("/") or ".." in tz:
                raise ValueError(tz)
            ZoneInfo(tz)
        except Exception:
            raise _fail(
                source,
                "reminders.timezone",
                _("unknown time zone '{zone}'").format(zone=d.reminders.timezone),
            ) from None

    _check_data(d, source, roles, states)

    # the same tables a cache hit builds (Workflow.index), so both are equal
    return Workflow.index(d, source)


AGREEMENT_TEXT_FIELDS = ("topic", "scope", "reasons", "partners", "terms", "duration")


def _check_data(d: WorkflowDef, source: str, roles: set[str], states: dict[str, StateDef]) -> None:
    """Fields, conditions on them, votes and created areas."""
    fields: dict[str, FieldDef] = {}
    for i, f in enumerate(d.fields):
        where = f"fields[{i}] ({f.id})"
        if f.id in fields:
            raise _fail(source, where, _("duplicate field id '{field}'").format(field=f.id))
        fields[f.id] = f
        for r in f.roles:
            if r not in roles:
                raise _fail(source, where + ".roles", _("unknown role '{role}'").format(role=r))
        if (f.type == "choice") != bool(f.choices):
            raise _fail(
                source,
                where + ".choices",
                _("a choice field needs choices, and only a choice field has them"),
            )
    kinds = {"bool": bool, "int": int}
    for i, tr in enumerate(d.transitions):
        where = f"transitions[{i}] ({tr.trigger})"
        for name in tr.requires:
            if name not in fields:
                raise _fail(
                    source, where + ".requires", _("unknown field '{field}'").format(field=name)
                )
        for name, value in tr.when:
            cond = fields.get(name)
            if cond is None:
                raise _fail(
                    source, where + ".when", _("unknown field '{field}'").format(field=name)
                )
            want = kinds.get(cond.type, str)
            ok = isinstance(value, want) and not (want is int and isinstance(value, bool))
            if not ok or (cond.type == "choice" and value not in cond.choices):
                raise _fail(
                    source,
                    f"{where}.when.{name}",
                    _("{value!r} is no value of the {type} field '{field}'").format(
                        value=value, type=cond.type, field=name
                    ),
                )
        if tr.auto and not any(
            s.vote and tr.trigger in (s.vote.all_yes, s.vote.all_no, s.vote.otherwise)
            for s in (states[x] for x in tr.source)
        ):
            raise _fail(
                source,
                where + ".auto",
                _("an automatic transition must be the outcome of a vote in its source"),
            )
    for i, s in enumerate(d.states):
        where = f"states[{i}] ({s.id})"
        if s.vote is not None:
            if s.final:
                raise _fail(source, where + ".vote", _("a final state holds no vote"))
            for r, _n in s.vote.seats:
                if r not in roles:
                    raise _fail(
                        source, where + ".vote.seats", _("unknown role '{role}'").format(role=r)
                    )
            for outcome in ("all_yes", "all_no", "otherwise"):
                trigger = getattr(s.vote, outcome)
                outcome_tr = next(
                    (t for t in d.transitions if t.trigger == trigger and s.id in t.source), None
                )
                if outcome_tr is None or not outcome_tr.auto:
                    raise _fail(
                        source,
                        f"{where}.vote.{outcome}",
                        _(
                            "'{trigger}' must be an automatic transition (auto: true) "
                            "from '{state}'"
                        ).format(trigger=trigger, state=s.id),
                    )
        if s.create_area is not None:
            c = s.create_area
            if c.id_field not in fields:
                raise _fail(
                    source,
                    where + ".create_area.id_field",
                    _("unknown field '{field}'").format(field=c.id_field),
                )
            for target, field_id in c.agreement:
                if target not in AGREEMENT_TEXT_FIELDS:
                    raise _fail(
                        source,
                        where + ".create_area.agreement",
                        _("'{name}' is no agreement text field ({known})").format(
                            name=target, known=", ".join(AGREEMENT_TEXT_FIELDS)
                        ),
                    )
                if field_id not in fields:
                    raise _fail(
                        source,
                        where + ".create_area.agreement",
                        _("unknown field '{field}'").format(field=field_id),
                    )
    if d.selection is not None:
        _check_selection(d, source, fields, states)


def _check_selection(
    d: WorkflowDef, source: str, fields: dict[str, FieldDef], states: dict[str, StateDef]
) -> None:
    """The fields, assessing transitions and decisions of a ``selection`` section."""
    sel = d.selection
    assert sel is not None
    for name, field_id in dataclasses.asdict(sel.fields).items():
        if field_id not in fields:
            raise _fail(
                source,
                f"selection.fields.{name}",
                _("unknown field '{field}'").format(field=field_id),
            )
    for trigger in sel.assess:
        if not any(t.trigger == trigger for t in d.transitions):
            raise _fail(
                source,
                "selection.assess",
                _("unknown transition '{trigger}'").format(trigger=trigger),
            )
    for state, decisions in sel.decisions:
        if state not in states:
            raise _fail(
                source, "selection.decisions", _("unknown state '{state}'").format(state=state)
            )
        for decision, trigger in decisions:
            if not any(t.trigger == trigger and state in t.source for t in d.transitions):
                raise _fail(
                    source,
                    f"selection.decisions.{state}.{decision}",
                    _("no transition '{trigger}' leaves state '{state}'").format(
                        trigger=trigger, state=state
                    ),
                )
