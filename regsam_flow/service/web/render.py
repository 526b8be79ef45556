"""Rendering the web pages: Jinja2 over ``service/templates`` with the
catalog's gettext (German first), and the pieces every page shares.

``page(request, "inbox.html", items=...)`` renders a template with, besides
the given values: ``who`` (the :class:`~..deps.Caller` or None), ``person``
(their :class:`~regsam_flow.model.Person` or None), ``lang``,
``csrf_token`` (for the hidden form field), ``nav`` (the header's links for
this person, the current one marked) and ``flashes`` (the messages of the
redirect that led here).  ``redirect(url, flash=...)`` answers a successful
POST with 303 and a message for the next page (Post/Redirect/Get).

Filters: ``date`` (``15.07.2027``), ``datetime`` (Berlin time),
``days`` ("in 3 Tagen", "heute", "seit 2 Tagen überfällig").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ...errors import RegsamFlowError
from ...i18n import N_, _, format_date, format_datetime, ngettext, use_language
from ..deps import Caller

__all__ = [
    "FLASH_COOKIE",
    "NavLink",
    "environment",
    "error_page",
    "page",
    "redirect",
    "render",
    "role_titles",
    "wants_html",
]

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STATIC = Path(__file__).resolve().parent.parent / "static"
FLASH_COOKIE = "rf_flash"


#: The roles of the workflows, for people (translated where shown).
ROLE_TITLES = {
    "moderation": N_("REGSAM moderation"),
    "social_planning": N_("social planning"),
    "steering": N_("steering area"),
    "provider": N_("provider (institution)"),
    "sbh": N_("social citizen's office (SBH)"),
    "nominator": N_("nominator"),
    "regsam_member": N_("REGSAM member of the board"),
    "social_planning_member": N_("social planning member of the board"),
    "arge": N_("ARGE"),
    "head": N_("head"),
}


def role_titles() -> dict[str, str]:
    """Role id -> its name in the current language."""
    return {role: _(title) for role, title in ROLE_TITLES.items()}


@dataclass(frozen=True)
class NavLink:
    href: str
    label: str
    current: bool


def _days(days_left: int | None) -> str:
    """Days till a date, for people: "in 3 Tagen", "heute", "2 Tage überfällig"."""
    if days_left is None:
        return "-"
    if days_left == 0:
        return _("today")
    if days_left > 0:
        return ngettext("in {n} day", "in {n} days", days_left).format(n=days_left)
    n = -days_left
    return ngettext("{n} day overdue", "{n} days overdue", n).format(n=n)


def _date(value: date | None) -> str:
    return format_date(value)


def _datetime(value: datetime | None) -> str:
    return format_datetime(value) if value is not None else "-"


@cache
def environment() -> Environment:
    """The templates' environment (autoescaped, gettext installed)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(_, ngettext, newstyle=False)  # type: ignore[attr-defined]
    env.filters["date"] = _date
    env.filters["datetime"] = _datetime
    env.filters["days"] = _days
    return env


def _caller(request: Request) -> Caller | None:
    found = getattr(request.state, "caller", None)
    return found if isinstance(found, Caller) else None


def _language(request: Request) -> str:
    lang = getattr(request.state, "language", None)
    return lang if isinstance(lang, str) else "de"


def _flash_serializer(request: Request) -> URLSafeSerializer:
    return URLSafeSerializer(request.app.state.settings.secret_key, salt="regsam-flow.flash")


def _flashes(request: Request) -> list[str]:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return []
    try:
        found = _flash_serializer(request).loads(raw)
    except BadSignature:
        return []
    return [str(m) for m in found] if isinstance(found, list) else []


def _nav(request: Request, person: Any) -> list[NavLink]:
    if person is None:
        return []
    path = request.url.path
    links = [("/", _("My tasks")), ("/areas", _("Areas")), ("/selection", _("Selection"))]
    if person.auditor or person.admin:
        links.append(("/audit", _("Audit")))
    if person.admin:
        links.append(("/admin", _("Administration")))
    out = []
    for href, label in links:
        current = path == "/" if href == "/" else path == href or path.startswith(href + "/")
        out.append(NavLink(href, label, current))
    return out


def render(request: Request, template: str, **context: Any) -> str:
    """The template's HTML with the shared values (see the module)."""
    who = _caller(request)
    lang = who.language if who is not None else _language(request)
    with use_language(lang):
        person = None
        if who is not None:
            try:
                with who.acting():
                    person = request.app.state.engine.get_person(who.person, actor=who.person)
            except RegsamFlowError:
                person = None
        values: dict[str, Any] = {
            "who": who,
            "person": person,
            "lang": lang,
            "csrf_token": getattr(request.state, "csrf_token", ""),
            "nav": _nav(request, person),
            "flashes": _flashes(request),
            "path": request.url.path,
            "roles": role_titles(),
        }
        values.update(context)
        return environment().get_template(template).render(values)


def page(
    request: Request, template: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """The rendered page (the flash messages it showed are used up)."""
    response = HTMLResponse(render(request, template, **context), status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    if request.cookies.get(FLASH_COOKIE):
        response.delete_cookie(FLASH_COOKIE, path="/", httponly=True, samesite="lax")
    return response


def redirect(request: Request, url: str, *, flash: str | None = None) -> Response:
    """303 to ``url`` (after a successful POST), with ``flash`` shown there."""
    response = RedirectResponse(url, status_code=303)
    if flash:
        value = _flash_serializer(request).dumps([flash])
        response.set_cookie(
            FLASH_COOKIE,
            value,
            max_age=120,
            path="/",
            secure=request.app.state.settings.secure,
            httponly=True,
            samesite="lax",
        )
    return response


def wants_html(request: Request) -> bool:
    """Whether the request is a browser's asking for a page (not the JSON API's)."""
    path = request.url.path
    if path.startswith("/api/") or path == "/health":
        return False
    accept = request.headers.get("accept", "")
    return "text/html" in accept


def error_page(request: Request, status: int, message: str) -> Response:
    """An error as a page: 401 sends the browser to the sign-in page; an
    area one may not see reads exactly like one that does not exist (the
    engine raises the same error, the page shows the same text)."""
    who = _caller(request)
    lang = who.language if who is not None else _language(request)
    with use_language(lang):
        if status == 401:
            return redirect(request, "/sign-in", flash=_("Please sign in first."))
        titles = {
            403: _("Not allowed"),
            404: _("Not found"),
            409: _("Changed in the meantime"),
            412: _("Changed in the meantime"),
            422: _("Please check your input"),
            429: _("Too many requests"),
        }
        title = titles.get(status, _("Something went wrong"))
        if status == 404:
            message = _("There is no such page or area, or it is not visible to you.")
    return page(request, "error.html", status_code=status, title=title, message=message)
