"""Who a request acts for: API token, trusted proxy or session cookie; CSRF.

Runs before every route and sets ``request.state.language`` (from
Accept-Language) and ``request.state.caller`` (a :class:`~.deps.Caller`,
or nothing when nobody is signed in):

* ``Authorization: Bearer <token>``: a personal API token
  (``engine.authenticate_token``), channel ``api``; an invalid token is
  401 ``not_authenticated`` at once (no other credential is tried);
* the trusted proxy's header (``settings.proxy_header``), only when the
  connection comes from one of ``settings.trusted_proxies`` (from anyone
  else it is ignored): ``engine.person_for_proxy``, channel ``web``;
* the signed session cookie: ``engine.session``, channel ``web``; an
  invalid or expired one counts as no one signed in.

A change (POST, PUT, PATCH, DELETE) authenticated by the browser (session
cookie or proxy) must carry the header ``X-CSRF-Token`` with the token
``GET /api/v1/session`` gives, or, for a form of the web pages
(``application/x-www-form-urlencoded`` or ``multipart/form-data``), the
form field ``csrf_token`` with it (the body is read here, checked, and
handed on to the route unchanged); else 403 ``csrf_failed`` (a page for a
browser asking for one) and no route runs.
API-token requests need none: a browser never sends that header by itself.
The sign-in link's own routes (``/auth/sign-in...``) are not changes on
behalf of a signed-in person and are exempt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..auth import Authenticated
from ..errors import AuthenticationError
from ..i18n import _, use_language
from .cookies import Cookies
from .deps import Caller
from .errors import error_body
from .settings import ServiceSettings

if TYPE_CHECKING:
    from ..bootstrap import Engine

__all__ = ["Authentication", "language_of"]

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_EXEMPT = "/auth/sign-in"


def _csrf_exempt(path: str) -> bool:
    """Asking for a link and using one (the link and the browser cookie
    protect those), exactly: not any path that merely begins alike."""
    return path == CSRF_EXEMPT or path.startswith(CSRF_EXEMPT + "/")


CSRF_HEADER = "x-csrf-token"
#: The form field of the web pages' forms that carries the CSRF token.
CSRF_FIELD = "csrf_token"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def language_of(accept_language: str | None) -> str:
    """``en`` when Accept-Language ranks English above German, else ``de``."""
    best: dict[str, float] = {}
    for part in (accept_language or "").split(","):
        tag, _sep, params = part.strip().partition(";")
        lang = tag.strip().lower()[:2]
        if lang not in ("de", "en"):
            continue
        q = 1.0
        for p in params.split(";"):
            key, _eq, value = p.strip().partition("=")
            if key.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        best[lang] = max(best.get(lang, 0.0), q)
    return "en" if best.get("en", 0.0) > best.get("de", 0.0) else "de"


class Authentication:
    """ASGI middleware: the caller of each request, and the CSRF check."""

    def __init__(self, app: ASGIApp, *, engine: Engine, settings: ServiceSettings) -> None:
        self.app = app
        self.engine = engine
        self.settings = settings
        self.cookies = Cookies(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        lang = language_of(conn.headers.get("accept-language"))
        state: dict[str, Any] = scope.setdefault("state", {})
        state["language"] = lang
        state.pop("caller", None)
        with use_language(lang):
            refusal = await self._authenticate(conn, state, lang)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        subject = state.pop("csrf_subject", None)
        if (
            isinstance(subject, str)
            and scope["method"] in UNSAFE
            and not _csrf_exempt(conn.url.path)
            and not self.cookies.csrf_ok(subject, conn.headers.get(CSRF_HEADER))
        ):
            body, receive = await _buffered(receive)
            if not (
                _is_form(conn) and self.cookies.csrf_ok(subject, await _form_token(scope, body))
            ):
                with use_language(lang):
                    answer = await _csrf_refusal(scope)
                await answer(scope, receive, send)
                return
        with use_language(lang):  # checks of the input speak the caller's language too
            await self.app(scope, receive, send)

    async def _authenticate(
        self, conn: HTTPConnection, state: dict[str, Any], lang: str
    ) -> JSONResponse | None:
        """Set ``state["caller"]``; an answer when the request is refused here."""
        authorization = conn.headers.get("authorization")
        if authorization is not None:
            scheme, _sep, secret = authorization.partition(" ")
            if scheme.lower() != "bearer" or not secret.strip():
                return _refuse(401, "not_authenticated", _("Use Authorization: Bearer <token>."))
            try:
                who = await run_in_threadpool(self.engine.authenticate_token, secret.strip())
            except AuthenticationError:
                return _refuse(
                    401,
                    "not_authenticated",
                    _("The API token is not valid (unknown or revoked)."),
                    bearer=True,
                )
            state["caller"] = Caller(
                person=who.person, channel="api", token_name=who.token_name, language=lang
            )
            return None

        csrf_subject: str | None = None
        login = conn.headers.get(self.settings.proxy_header)
        peer = conn.client.host if conn.client else None
        if login is not None and self.settings.trusts(peer):
            try:
                person = await run_in_threadpool(self.engine.person_for_proxy, login.strip())
            except AuthenticationError:
                return _refuse(
                    401, "not_authenticated", _("The single sign-on names no known person.")
                )
            state["caller"] = Caller(person=person, channel="web", language=lang)
            csrf_subject = "proxy:" + person
        else:
            secret_ = self.cookies.session_secret(conn.cookies.get(self.settings.session_cookie))
            if secret_ is not None:
                found: Authenticated | None
                try:
                    found = await run_in_threadpool(self.engine.session, secret_)
                except AuthenticationError:
                    found = None
                if found is not None:
                    state["caller"] = Caller(
                        person=found.person,
                        channel="web",
                        session_id=found.session_id,
                        language=lang,
                    )
                    state["session_secret"] = secret_
                    csrf_subject = "session:" + (found.session_id or "")
        if csrf_subject is not None:
            state["csrf_token"] = self.cookies.csrf_token(csrf_subject)
            state["csrf_subject"] = csrf_subject
        return None


def _is_form(conn: HTTPConnection) -> bool:
    kind = conn.headers.get("content-type", "").split(";")[0].strip().lower()
    return kind in FORM_TYPES


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """The whole request body (the size limit runs outside this layer), and
    a ``receive`` that hands it to the route again."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


async def _form_token(scope: Scope, body: bytes) -> str | None:
    """The ``csrf_token`` field of a form body (url-encoded or multipart)."""
    done = False

    async def once() -> Message:
        nonlocal done
        if done:
            return {"type": "http.disconnect"}
        done = True
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await Request(scope, once).form()
    except Exception:  # a malformed body: no token
        return None
    try:
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    finally:
        await form.close()


async def _csrf_refusal(scope: Scope) -> Response:
    """403 ``csrf_failed``: JSON, or a page for a browser asking for one."""
    from .web.render import error_page, wants_html

    request = Request(scope)
    if wants_html(request):
        message = _(
            "The change was refused: the page was out of date or the form did not come "
            "from this service. Please reload the page and try again."
        )
        return await run_in_threadpool(error_page, request, 403, message)
    message = _(
        "The change was refused: the X-CSRF-Token header is missing or wrong "
        "(GET /api/v1/session gives the token)."
    )
    return _refuse(403, "csrf_failed", message)


def _refuse(status: int, code: str, message: str, *, bearer: bool = False) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if bearer else None
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)
