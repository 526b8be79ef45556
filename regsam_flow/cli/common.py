"""Decorators and helpers shared by the commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from .context import Ctx

__all__ = ["date_arg", "delivery_target", "json_option", "parse_when_arg"]

F = TypeVar("F", bound=Callable[..., Any])


def _set_json(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        obj = ctx.find_object(Ctx)
        if obj is not None:
            obj.json = True


def json_option(f: F) -> F:
    """``--json`` after the command too (same as the global option)."""
    return click.option(
        "--json",
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=_set_json,
        help="Machine-readable JSON on stdout.",
    )(f)


def date_arg(value: str | None, field: str) -> Any:
    """A date option: ISO or German; None stays None."""
    if value is None:
        return None
    from regsam_flow.dates import parse_date

    return parse_date(value, field)


def parse_when_arg(value: str | None, field: str, end_of_day: bool = False) -> Any:
    if value is None:
        return None
    from regsam_flow.dates import parse_when

    return parse_when(value, field, end_of_day=end_of_day)


def delivery_target(engine: Any) -> str:
    """Where the engine's mail goes (SMTP host:port or the Maildir folder,
    never a secret), or why the mail settings cannot be used."""
    from regsam_flow.errors import RegsamFlowError
    from regsam_flow.i18n import _

    try:
        target: str | None = engine.notifier.target()
    except RegsamFlowError as exc:
        return _("not usable: {problem}").format(problem=exc)
    return target or _("unknown")
