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
``GET /api/v1/session`` gives, else 403 ``csrf_failed`` and no route runs.
API-token requests need none: a browser never sends that header by itself.
The sign-in link's own routes (``/auth/sign-in...``) are not changes on
behalf of a signed-in person and are exempt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

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
CSRF_EXEMPT = ("/auth/sign-in",)
CSRF_HEADER = "x-csrf-token"


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
            if (
                conn.scope["method"] in UNSAFE
                and not conn.url.path.startswith(CSRF_EXEMPT)
                and not self.cookies.csrf_ok(csrf_subject, conn.headers.get(CSRF_HEADER))
            ):
                return _refuse(
                    403,
                    "csrf_failed",
                    _(
                        "The change was refused: the X-CSRF-Token header is missing or wrong "
                        "(GET /api/v1/session gives the token)."
                    ),
                )
        return None


def _refuse(status: int, code: str, message: str, *, bearer: bool = False) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if bearer else None
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)
