"""The request size limit: a body larger than the service reads is 413.

A ``Content-Length`` above the limit is refused before the body is read;
a body sent in chunks (no ``Content-Length``) is counted as it arrives and
refused once it passes the limit: this middleware answers 413
``too_large`` itself and the application sees the client gone.  Uploads
(``UPLOADS``: a meeting's attachment, a file to check against the final
documentation) are left to their routes, which read the body themselves
and refuse it at their own, larger limit (``api.files.read_body``).
"""

from __future__ import annotations

import re

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..i18n import _, use_language
from .errors import error_body

__all__ = ["UPLOADS", "BodyLimit"]

#: (method, path) of the routes that read their body with a limit of their own.
UPLOADS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("POST", re.compile(r"/api/v1/areas/[^/]+/meetings/[^/]+/attachments")),
    ("POST", re.compile(r"/api/v1/areas/[^/]+/dossier/check")),
)


class BodyLimit:
    """ASGI middleware: at most ``max_body`` bytes of request body."""

    def __init__(self, app: ASGIApp, *, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    def _too_large(self, scope: Scope) -> JSONResponse:
        lang = scope.get("state", {}).get("language", "de")
        with use_language(lang if lang in ("de", "en") else "de"):
            message = _("The request is too large: at most {size} bytes.").format(
                size=self.max_body
            )
        return JSONResponse(
            error_body("too_large", message), status_code=413, headers={"Connection": "close"}
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or any(
            scope["method"] == method and path.fullmatch(scope["path"]) for method, path in UPLOADS
        ):
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await self._too_large(scope)(scope, receive, send)
            return
        seen = 0
        refused = False
        started = False

        async def counting_receive() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    refused = True
                    if not started:
                        await self._too_large(scope)(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 went out already: the application's answer is dropped
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counting_receive, guarded_send)
