"""The web pages everyone starts from: signing in and out, Meine Aufgaben
(the inbox) and Gebiete (the overview of one's areas).

* ``GET /sign-in``: a form asking for one's address; ``POST /sign-in``
  sends the link (the same answer whether the address is known or not)
  and says to look in the mail.  The link leads to ``/auth/sign-in/{token}``.
* ``POST /sign-out``: ends the session (the form's ``csrf_token`` is
  checked before, like every change), back to the sign-in page.
* ``GET /``: everything waiting for me, most urgent first, each with its
  button: reporting a task and signing the agreement are small forms that
  post to the area page's action URLs; the rest link to the area page.
* ``GET /areas``: my areas with phase, next step and who owes it, open
  required tasks, review date and days left; filters phase, review within
  N days, owes.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import FileResponse, Response

from ...engine import AreaOverview, InboxItem
from ...engine.channel import via
from ...errors import InvalidInputError, RateLimitedError
from ...i18n import _, use_language
from ..deps import Caller, caller, engine, language
from ..signin import _cookies, _peer
from .render import STATIC, page, redirect

if TYPE_CHECKING:
    from ...bootstrap import Engine

__all__ = ["router"]

EngineDep = Annotated["Engine", Depends(engine)]
CallerDep = Annotated[Caller, Depends(caller)]
LanguageDep = Annotated[str, Depends(language)]

router = APIRouter(include_in_schema=False)

#: Inbox kinds done by a small form right in the list (the area page's action URLs).
#: Where on the area page the other kinds are done.
ANCHORS = {
    "review": "agreement",
    "order": "orders",
    "approval": "next",
    "advance": "next",
    "agreement": "agreement",
    "task": "tasks",
    "signature": "agreement",
}
SELECTION_KINDS = ("vote", "decision", "assessment")


@router.get("/favicon.ico")
def favicon() -> Response:
    """The icon browsers ask for by themselves (the pages name /static/favicon.svg)."""
    return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")


# ------------------------------------------------------------------ sign-in
@router.get("/sign-in")
def sign_in_page(request: Request) -> Response:
    """The form that asks for a sign-in link."""
    if getattr(request.state, "caller", None) is not None:
        return redirect(request, "/")
    return page(request, "sign_in.html", values={}, errors={})


@router.post("/sign-in")
def sign_in_request(
    request: Request, eng: EngineDep, lang: LanguageDep, email: Annotated[str, Form()] = ""
) -> Response:
    """Send the link (if the address belongs to someone): the same answer for any address."""
    with use_language(lang):
        return _request_link(request, eng, lang, email.strip())


def _request_link(request: Request, eng: Engine, lang: str, email: str) -> Response:
    if not email or "@" not in email or len(email) > 320:
        return page(
            request,
            "sign_in.html",
            status_code=422,
            values={"email": email[:320]},
            errors={"email": _("Email address: please give your address, like name@example.org.")},
        )
    cookies = _cookies(request)
    browser = request.cookies.get(cookies.settings.browser_cookie) or ""
    new_browser = len(browser) < 32
    if new_browser:
        browser = secrets.token_urlsafe(32)
    try:
        with via("web", None):
            eng.request_sign_in(
                email,
                browser=browser,
                client=_peer(request),
                link_base=cookies.settings.base_url + "/auth/sign-in/",
            )
    except RateLimitedError as exc:
        return page(
            request,
            "sign_in.html",
            status_code=429,
            values={"email": email},
            errors={"email": exc.message},
        )
    response = page(request, "sign_in_sent.html", email=email)
    if new_browser:
        cookies.set_browser(response, browser)
    return response


@router.post("/sign-out")
def sign_out(request: Request, eng: EngineDep, lang: LanguageDep) -> Response:
    """End this browser's session (the csrf_token was checked before)."""
    secret = getattr(request.state, "session_secret", None)
    with use_language(lang):
        if isinstance(secret, str):
            with via("web", None):
                eng.sign_out(secret)
        response = redirect(request, "/sign-in", flash=_("You are signed out."))
    _cookies(request).clear_session(response)
    return response


# -------------------------------------------------------------------- inbox
@router.get("/")
def inbox(request: Request, eng: EngineDep, who: CallerDep) -> Response:
    """Meine Aufgaben."""
    with who.acting():
        items = eng.inbox(actor=who.person)
        versions = {a.id: a.version for a in eng.list_areas(actor=who.person)}
        return _inbox(request, items, versions)


def _inbox(request: Request, items: list[InboxItem], versions: dict[str, int]) -> Response:
    shown: list[dict[str, Any]] = []
    for item in items:
        area_url = f"/areas/{item.area}"
        entry: dict[str, Any] = {"item": item, "version": versions.get(item.area), "action": ""}
        if item.kind == "task" and item.ref:
            entry["action"] = f"{area_url}/tasks/{item.ref}/report"
        elif item.kind == "signature":
            entry["action"] = f"{area_url}/agreement/sign"
        if item.kind in SELECTION_KINDS:
            entry["link"] = "/selection"
        else:
            entry["link"] = f"{area_url}#{ANCHORS.get(item.kind, 'next')}"
        shown.append(entry)
    kinds = {
        "review": _("Decide on the review"),
        "order": _("Report the work order's status"),
        "approval": _("Give your approval"),
        "advance": _("Go to the next step"),
        "agreement": _("Write the agreement"),
        "vote": _("Vote"),
        "decision": _("Decide"),
        "assessment": _("Assess"),
        "task": _("Open the task"),
        "signature": _("Sign the agreement"),
    }
    return page(request, "inbox.html", entries=shown, kinds=kinds)


# -------------------------------------------------------------------- areas
@router.get("/areas")
def areas(
    request: Request,
    eng: EngineDep,
    who: CallerDep,
    phase: str = "",
    review_within: str = "",
    owes: str = "",
) -> Response:
    """Gebiete: my areas at a glance, filtered."""
    with who.acting():
        return _areas(request, eng, who, phase, review_within, owes)


def _areas(
    request: Request, eng: Engine, who: Caller, phase: str, review_within: str, owes: str
) -> Response:
    values = {"phase": phase, "review_within": review_within, "owes": owes}
    errors: dict[str, str] = {}
    within: int | None = None
    if review_within.strip():
        try:
            within = int(review_within.strip())
        except ValueError:
            errors["review_within"] = _("Review within: give a number of days, 0 or more.")
    rows: list[AreaOverview] = []
    everything = eng.area_overview(actor=who.person)
    people = {p.id: p for p in eng.list_people(actor=who.person)}
    if not errors and not (phase or within is not None or owes):
        rows = everything  # no filter: the same overview once
    elif not errors:
        try:
            rows = eng.area_overview(
                actor=who.person,
                state=phase or None,
                review_within=within,
                owes=owes or None,
            )
        except InvalidInputError as exc:
            errors[exc.field or "phase"] = exc.message
    states = eng.known_states()
    titles = {row.state: row.state_title for row in everything}
    phases = [("", _("all phases"))] + [(s, titles.get(s, s)) for s in states]
    owers = sorted({p for row in everything for p in row.owed_by} | {who.person})
    owes_options = [("", _("anyone"))] + [
        (p, _("me") if p == who.person else (people[p].name if p in people else p)) for p in owers
    ]
    status = 422 if errors else 200
    return page(
        request,
        "areas.html",
        status_code=status,
        rows=rows,
        people=people,
        phases=phases,
        owes_options=owes_options,
        values=values,
        errors=errors,
        filtered=any(values.values()),
    )
