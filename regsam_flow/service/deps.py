"""What a route of the service depends on: the engine and the caller.

The authentication layer sets ``request.state.caller`` to a :class:`Caller`
once it has checked the session cookie, the API token or the proxy header;
routes take it with ``who: Caller = Depends(caller)`` and make every engine
call inside ``with who.acting():`` as ``actor=who.person``: that sets the
caller's language for the texts the engine writes and the channel (and API
token name) for the audit entries.  A request without a caller is answered
401 (``not_signed_in``) before any route runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import Request

from ..engine.channel import via
from ..i18n import _, use_language
from .errors import ServiceError, language

if TYPE_CHECKING:
    from ..bootstrap import Engine

__all__ = ["Caller", "caller", "engine", "language"]


@dataclass(frozen=True)
class Caller:
    """The person a request acts for, and how they came in.

    ``channel`` is ``"web"`` (session cookie, or the trusted proxy) or
    ``"api"`` (personal API token); ``token_name`` names the API token;
    ``language`` is ``"de"`` or ``"en"`` (the request's Accept-Language).
    """

    person: str
    channel: str
    token_name: str | None = None
    session_id: str | None = None
    language: str = "de"

    @contextmanager
    def acting(self) -> Iterator[None]:
        """Engine calls inside speak the caller's language and audit the channel."""
        with use_language(self.language), via(self.channel, self.token_name):
            yield


def engine(request: Request) -> Engine:
    """The engine the service runs on."""
    found: Engine = request.app.state.engine
    return found


def caller(request: Request) -> Caller:
    """The signed-in caller; 401 ``not_signed_in`` when nobody is signed in."""
    found = getattr(request.state, "caller", None)
    if not isinstance(found, Caller):
        with use_language(language(request)):
            raise ServiceError(401, "not_signed_in", _("Please sign in first."))
    return found
