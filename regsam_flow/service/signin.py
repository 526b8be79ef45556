"""Signing in by email link, and signing out.

* ``POST /auth/sign-in`` ``{"email": ...}``: 202 with the same answer
  whether the address is known or not; the link goes by mail (the engine's
  mail delivery).  The browser gets a random ``rf_browser`` cookie (if it
  has none) that the link is bound to.
* ``GET /auth/sign-in/{token}``: a small page with one button; mail
  scanners that fetch links do not use the link up.
* ``POST /auth/sign-in/{token}``: redeems the link in the browser that
  asked for it: sets the session cookie and redirects (303) to ``/``, or
  answers JSON when the request accepts ``application/json``; 401 when
  the link is unknown, used, expired or from another browser (one answer
  for all).
* ``POST /auth/sign-out``: ends the session of the cookie.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field

from ..engine.channel import via
from ..errors import AuthenticationError
from ..i18n import _, use_language
from .cookies import Cookies
from .deps import engine, language
from .pages import page

if TYPE_CHECKING:
    from ..bootstrap import Engine

EngineDep = Annotated["Engine", Depends(engine)]
LanguageDep = Annotated[str, Depends(language)]

__all__ = ["router"]

router = APIRouter(prefix="/auth", tags=["sign-in"])


class SignInRequest(BaseModel):
    """Ask for a sign-in link."""

    email: str = Field(max_length=320, description="The address the link is sent to.")


class SignInRequested(BaseModel):
    status: str = Field(description='Always "requested": known or unknown address alike.')
    message: str


class SignedIn(BaseModel):
    person: str
    expires: str
    csrf_token: str


def _cookies(request: Request) -> Cookies:
    found: Cookies = request.app.state.cookies
    return found


def _peer(request: Request) -> str:
    """The client's address, for the rate limit: the connection's peer, or,
    when that is a trusted proxy, the address the proxy appended last to
    X-Forwarded-For (else every person behind the proxy would share one
    limit)."""
    peer = request.client.host if request.client else ""
    settings = _cookies(request).settings
    forwarded = request.headers.get("x-forwarded-for")
    if forwarded and settings.trusts(peer):
        last = forwarded.split(",")[-1].strip()
        if last:
            return last[:64]
    return peer


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


@router.post("/sign-in", status_code=202, response_model=SignInRequested)
def request_link(
    body: SignInRequest,
    request: Request,
    response: Response,
    eng: EngineDep,
    lang: LanguageDep,
) -> SignInRequested:
    """Send a sign-in link to the address, if it belongs to a person."""
    cookies = _cookies(request)
    browser = request.cookies.get(cookies.settings.browser_cookie) or ""
    if len(browser) < 32:
        browser = secrets.token_urlsafe(32)
        cookies.set_browser(response, browser)
    with use_language(lang), via("web", None):
        eng.request_sign_in(
            body.email,
            browser=browser,
            client=_peer(request),
            link_base=cookies.settings.base_url + "/auth/sign-in/",
        )
        message = _(
            "If the address belongs to a person here, a sign-in link is on its way to it. "
            "Open it in this browser."
        )
    return SignInRequested(status="requested", message=message)


@router.get("/sign-in/{token}", include_in_schema=False)
def link_page(token: str, lang: LanguageDep) -> Response:
    """The link's page: one button that signs in (a POST to this URL)."""
    with use_language(lang):
        return page(
            lang=lang,
            title=_("Sign in"),
            paragraphs=[_("Sign in to regsam-flow with this link (it works once).")],
            button=_("Sign in now"),
        )


@router.post("/sign-in/{token}", include_in_schema=False)
def redeem(
    token: str,
    request: Request,
    eng: EngineDep,
    lang: LanguageDep,
) -> Response:
    """Redeem the link: a session for this browser."""
    cookies = _cookies(request)
    browser = request.cookies.get(cookies.settings.browser_cookie) or ""
    with use_language(lang), via("web", None):
        try:
            grant = eng.redeem_sign_in(
                token,
                browser=browser,
                client=_peer(request),
                user_agent=request.headers.get("user-agent", "")[:200],
            )
        except AuthenticationError:
            message = _(
                "This sign-in link is not valid: it was used already, it has expired, "
                "or it was asked for in another browser. Please ask for a new link."
            )
            if _wants_json(request):
                return JSONResponse(
                    {"error": "not_authenticated", "message": message}, status_code=401
                )
            return page(lang=lang, title=_("Sign-in failed"), paragraphs=[message], status_code=401)
    response: Response
    if _wants_json(request):
        response = JSONResponse(
            SignedIn(
                person=grant.person,
                expires=_iso(grant.expires_at),
                csrf_token=cookies.csrf_token("session:" + grant.session_id),
            ).model_dump()
        )
    else:
        response = RedirectResponse("/", status_code=303)
    cookies.set_session(response, grant.secret, grant.expires_at)
    return response


@router.post("/sign-out", status_code=200)
def sign_out(
    request: Request,
    eng: EngineDep,
    lang: LanguageDep,
) -> Response:
    """End the session of this browser (its cookie is removed)."""
    cookies = _cookies(request)
    secret = getattr(request.state, "session_secret", None)
    if isinstance(secret, str):
        with use_language(lang), via("web", None):
            eng.sign_out(secret)
    response: Response
    if _wants_json(request) or not request.headers.get("accept", "").startswith("text/html"):
        response = JSONResponse({"signed_out": True})
    else:
        response = RedirectResponse("/", status_code=303)
    cookies.clear_session(response)
    return response


def _iso(moment: Any) -> str:
    text: str = moment.isoformat().replace("+00:00", "Z")
    return text
