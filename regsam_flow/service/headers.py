"""Security headers on every answer of the service, errors included.

What the OWASP cheat sheets ask for: a strict Content-Security-Policy
(no inline script, nothing from other sites, no framing), ``nosniff``,
no referrer (sign-in links carry their token in the URL), no caching of
the service's answers (they are personal), Strict-Transport-Security when
people reach the service by https.  An error no handler answered (a bug)
is answered here, as JSON ``unexpected`` with the same headers, and logged
with its traceback.
"""

from __future__ import annotations

import logging

from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..i18n import _, use_language
from .errors import error_body
from .requestlog import safe_path

__all__ = ["CSP", "SecurityHeaders"]

log = logging.getLogger("regsam_flow.service")

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeaders:
    """ASGI middleware: the headers above on every HTTP answer."""

    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = CSP
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                headers["X-Frame-Options"] = "DENY"
                headers["Cross-Origin-Opener-Policy"] = "same-origin"
                if "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
                if self.https:
                    headers["Strict-Transport-Security"] = HSTS
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            log.exception("%s %s failed", scope.get("method"), safe_path(scope.get("path", "")))
            if started:
                raise
            lang = scope.get("state", {}).get("language", "de")
            with use_language(lang if lang in ("de", "en") else "de"):
                message = _("Something went wrong on the server; its log says what.")
            response = JSONResponse(error_body("unexpected", message), status_code=500)
            await response(scope, receive, send_with_headers)
