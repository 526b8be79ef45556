"""What a route of the service depends on: the engine and the caller.

The authentication layer (middleware of the app) sets
``request.state.caller`` to a :class:`Caller` once it has checked the
session cookie, the API token or the proxy header; routes take it with
``caller: Caller = Depends(caller)`` and act as ``caller.person``.  A request
without one is answered 401 (``not_signed_in``) before any route runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import Request

from ..errors import NotAllowedError

if TYPE_CHECKING:
    from ..bootstrap import Engine

__all__ = ["Caller", "caller", "engine"]


@dataclass(frozen=True)
class Caller:
    """The person a request acts for, and how they came in.

    ``channel`` is ``"web"`` (session cookie, or the trusted proxy) or
    ``"api"`` (personal API token); ``token_name`` names the API token.
    """

    person: str
    channel: str
    token_name: str | None = None
    session_id: str | None = None


def engine(request: Request) -> Engine:
    """The engine the service runs on."""
    found: Engine = request.app.state.engine
    return found


def caller(request: Request) -> Caller:
    """The signed-in caller; refused when nobody is signed in."""
    found = getattr(request.state, "caller", None)
    if not isinstance(found, Caller):
        raise NotAllowedError("not signed in")
    return found
