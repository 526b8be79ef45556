"""What the pages of Prüfung, Verwaltung and Auswahl share: who may open
them, reading a form, Post/Redirect/Get."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import Request
from starlette.responses import Response

from ...errors import (
    BlockedError,
    ConflictError,
    InvalidInputError,
    NotAllowedError,
    NotFoundError,
    RegsamFlowError,
)
from ...i18n import _
from ...model import Person
from ..deps import Caller
from .render import redirect

if TYPE_CHECKING:
    from ...bootstrap import Engine

__all__ = ["done", "failure", "form_of", "me", "require_global"]


def me(eng: Engine, who: Caller) -> Person:
    """The signed-in person (call inside ``who.acting()``)."""
    return eng.get_person(who.person, actor=who.person)


def require_global(eng: Engine, who: Caller, *roles: str) -> Person:
    """The signed-in person if they hold one of the global ``roles``
    (admin, auditor); anyone else gets exactly the answer of a missing page."""
    person = me(eng, who)
    if not any(getattr(person, role) for role in roles):
        raise NotFoundError(_("There is no such page."), kind="page")
    return person


async def form_of(request: Request) -> dict[str, str]:
    """The submitted form's text fields, stripped (files left out)."""
    form = await request.form()
    return {k: v.strip() for k, v in form.items() if isinstance(v, str)}


def failure(err: RegsamFlowError, default_field: str) -> tuple[int, str, str]:
    """How a refused change is shown again: (status, field, message)."""
    if isinstance(err, ConflictError):
        return 409, "", _("Someone else has changed the area in the meantime.") + " " + str(err)
    if isinstance(err, BlockedError):
        text = "; ".join(b.message for b in err.blockers) or str(err)
        return 409, default_field, text
    if isinstance(err, NotAllowedError):
        return 403, default_field, str(err)
    if isinstance(err, NotFoundError):
        return 422, getattr(err, "kind", "") or default_field, str(err)
    if isinstance(err, InvalidInputError):
        return 422, err.field or default_field, str(err)
    return 422, default_field, str(err)


def done(request: Request, url: str, message: str) -> Response:
    """Post/Redirect/Get: to ``url`` with ``message`` as the flash."""
    return redirect(request, url, flash=message)
