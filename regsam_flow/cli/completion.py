"""Shell completion of the ids people type: areas (and candidates), tasks,
users, roles, states and triggers.  Click asks a parameter's
``shell_complete`` while the shell completes (``_REGSAM_FLOW_COMPLETE``,
see the README); each completer opens the engine the command line names
(``--db``, ``--as`` or their environment variables) and reads what that
user may see.  Anything that goes wrong completes nothing: a shell must
never show a traceback."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import click
from click.shell_completion import CompletionItem

from .context import login_name

if TYPE_CHECKING:
    from regsam_flow.engine import Engine

__all__ = ["complete_areas", "complete_users", "install"]

Completer = Callable[[click.Context, click.Parameter, str], list[CompletionItem]]


def _engine(ctx: click.Context) -> tuple[Engine, str]:
    """The engine and the user of the command line being completed."""
    from regsam_flow.bootstrap import open_engine

    root = ctx.find_root().params
    engine = open_engine(root.get("db"))
    user = root.get("user") or (engine.login if engine.bind_login else login_name())
    return engine, user


def _completer(
    read: Callable[[Engine, str, click.Context], Iterable[tuple[str, str]]],
) -> Completer:
    """A completer offering the (value, help) pairs ``read`` finds that
    start with what was typed."""

    def complete(
        ctx: click.Context, _param: click.Parameter, incomplete: str
    ) -> list[CompletionItem]:
        try:
            engine, user = _engine(ctx)
            try:
                found = list(read(engine, user, ctx))
            finally:
                engine.close()
        except Exception:  # a shell must never see a traceback
            return []
        seen: dict[str, str] = {}
        for value, help_ in found:
            if value.startswith(incomplete):
                seen.setdefault(value, help_)
        return [CompletionItem(v, help=h or None) for v, h in sorted(seen.items())]

    return complete


def _area(ctx: click.Context) -> str | None:
    value = ctx.params.get("area_id") or ctx.params.get("candidate")
    return value if isinstance(value, str) else None


@_completer
def complete_areas(engine: Engine, user: str, _ctx: click.Context) -> Iterable[tuple[str, str]]:
    """The areas (and selection candidates) the user may see."""
    return [(a.id, a.name) for a in engine.list_areas(actor=user)]


@_completer
def complete_users(engine: Engine, user: str, _ctx: click.Context) -> Iterable[tuple[str, str]]:
    """Everybody (any known person may look the others up)."""
    return [(p.id, p.name) for p in engine.list_people(actor=user)]


@_completer
def complete_tasks(engine: Engine, user: str, ctx: click.Context) -> Iterable[tuple[str, str]]:
    """The tasks of the area's current phase (without an area: of every phase)."""
    area = _area(ctx)
    if area is None:
        return [(t.id, t.title) for wf in engine.workflows.all() for _s, t in wf.tasks.values()]
    st = engine.status(area, actor=user)
    return [(t.id, t.title) for t in st.tasks if t.phase == st.area.state]


@_completer
def complete_roles(engine: Engine, _user: str, _ctx: click.Context) -> Iterable[tuple[str, str]]:
    """The roles of every deployed workflow."""
    return [(r, "") for wf in engine.workflows.all() for r in wf.definition.roles]


@_completer
def complete_states(engine: Engine, _user: str, _ctx: click.Context) -> Iterable[tuple[str, str]]:
    """The phases of every deployed workflow."""
    return [(s.id, s.title) for wf in engine.workflows.all() for s in wf.definition.states]


@_completer
def complete_triggers(engine: Engine, user: str, ctx: click.Context) -> Iterable[tuple[str, str]]:
    """The transitions out of the area's phase (without an area: all)."""
    area = _area(ctx)
    if area is None:
        return [
            (t.trigger, t.title) for wf in engine.workflows.all() for t in wf.definition.transitions
        ]
    return [(s.trigger, s.title) for s in engine.why(area, actor=user)]


#: Which parameters complete what, by parameter name.
#: Parameters (command path, name) that name a new id: nothing to complete.
BY_NAME: dict[str, Completer] = {
    "area_id": complete_areas,
    "candidate": complete_areas,
    "like": complete_areas,
    "task_id": complete_tasks,
    "user_id": complete_users,
    "user": complete_users,
    "owes": complete_users,
    "by": complete_users,
    "person": complete_users,
    "attendee": complete_users,
    "role": complete_roles,
    "state": complete_states,
    "phase": complete_states,
    "trigger": complete_triggers,
}
NEW = {("area create", "area_id"), ("selection nominate", "candidate"), ("user add", "user_id")}


def install(cmd: click.Command, path: str = "") -> None:
    """Give every parameter of ``cmd`` and its subcommands that takes one of
    these ids its completer (unless it has one)."""
    for param in cmd.params:
        completer = BY_NAME.get(param.name or "")
        if (
            completer is None
            or (path, param.name) in NEW
            or param._custom_shell_complete is not None
            or isinstance(param.type, click.Choice)
        ):
            continue
        param._custom_shell_complete = completer
    if isinstance(cmd, click.Group):
        for name, sub in cmd.commands.items():
            install(sub, f"{path} {name}".strip())
