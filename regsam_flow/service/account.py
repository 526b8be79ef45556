"""One's own sign-in: who am I, my sessions, my API tokens (JSON API).

* ``GET /api/v1/session``: the person, the channel, the CSRF token a
  browser sends with its changes, when the session expires;
* ``GET /api/v1/sessions``, ``DELETE /api/v1/sessions/{id}``,
  ``POST /api/v1/sessions/sign-out-everywhere``;
* ``POST /api/v1/tokens`` ``{"name": ...}`` (201, the token shown this once),
  ``GET /api/v1/tokens`` (with last use, revoked ones too),
  ``DELETE /api/v1/tokens/{id}`` (revoked at once, for every server process).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from .api.common import Page, PageParams, page
from .deps import Caller, caller, engine

if TYPE_CHECKING:
    from ..bootstrap import Engine

EngineDep = Annotated["Engine", Depends(engine)]
CallerDep = Annotated[Caller, Depends(caller)]

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["sign-in"])


class Me(BaseModel):
    person: str = Field(description="The signed-in person's id.")
    channel: str = Field(description='"web" (browser) or "api" (API token).')
    token_name: str | None = Field(None, description="The API token's name (channel api).")
    session: str | None = Field(None, description="The session's id (browser sessions).")
    csrf_token: str | None = Field(
        None, description="Send as header X-CSRF-Token with every change (browsers)."
    )
    expires: str | None = Field(None, description="When the session ends at the latest.")
    idle_expires: str | None = Field(None, description="When it ends unless used before.")


class TokenRequest(BaseModel):
    name: str = Field(min_length=1, max_length=64, description="What the token is for.")


@router.get("/session", response_model=Me, summary="Who is signed in")
def me(request: Request, who: CallerDep, eng: EngineDep) -> Me:
    """The signed-in person and how they came in."""
    out = Me(
        person=who.person,
        channel=who.channel,
        token_name=who.token_name,
        session=who.session_id,
        csrf_token=getattr(request.state, "csrf_token", None),
    )
    if who.session_id:
        with who.acting():
            for s in eng.sessions(actor=who.person):
                if s.id == who.session_id:
                    d = s.to_dict()
                    out.expires = d.get("expires_at")
                    out.idle_expires = d.get("idle_expires_at")
    return out


@router.get("/sessions", response_model=Page[dict[str, Any]], summary="My sessions")
def my_sessions(
    request: Request,
    params: Annotated[PageParams, Depends()],
    who: CallerDep,
    eng: EngineDep,
) -> Page[dict[str, Any]]:
    """One's own live sessions (``current``: the one asking)."""
    with who.acting():
        items = [
            {**s.to_dict(), "current": s.id == who.session_id}
            for s in eng.sessions(actor=who.person)
        ]
    return page(request, items, params)


@router.delete("/sessions/{session_id}", status_code=204, summary="End one of my sessions")
def end_session(
    session_id: str,
    request: Request,
    who: CallerDep,
    eng: EngineDep,
) -> Response:
    """End one of one's own sessions (404 for any other)."""
    with who.acting():
        eng.end_session(session_id, actor=who.person)
    response = Response(status_code=204)
    if session_id == who.session_id:
        request.app.state.cookies.clear_session(response)
    return response


@router.post("/sessions/sign-out-everywhere", summary="End all my sessions")
def sign_out_everywhere(request: Request, who: CallerDep, eng: EngineDep) -> Response:
    """End every session of the signed-in person, this one included."""
    with who.acting():
        ended = eng.sign_out_everywhere(actor=who.person)
    response = JSONResponse({"ended": ended})
    if who.session_id:
        request.app.state.cookies.clear_session(response)
    return response


@router.post("/tokens", status_code=201, summary="Make an API token")
def create_token(body: TokenRequest, who: CallerDep, eng: EngineDep) -> dict[str, Any]:
    """A new personal API token; ``token`` is shown in this answer only."""
    with who.acting():
        made = eng.create_api_token(body.name, actor=who.person)
    result: dict[str, Any] = made.to_dict()
    return result


@router.get("/tokens", response_model=Page[dict[str, Any]], summary="My API tokens")
def my_tokens(
    request: Request,
    params: Annotated[PageParams, Depends()],
    who: CallerDep,
    eng: EngineDep,
) -> Page[dict[str, Any]]:
    """One's own API tokens with their last use, revoked ones too."""
    with who.acting():
        items = [t.to_dict() for t in eng.api_tokens(actor=who.person)]
    return page(request, items, params)


@router.delete("/tokens/{token_id}", summary="Revoke an API token")
def revoke_token(token_id: str, who: CallerDep, eng: EngineDep) -> dict[str, Any]:
    """Revoke the token: it stops working at once."""
    with who.acting():
        info = eng.revoke_api_token(token_id, actor=who.person)
    result: dict[str, Any] = info.to_dict()
    return result
