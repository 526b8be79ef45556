"""The service's access log, without secrets.

One line per request: method, path, status, milliseconds.  Never the
query string, a header, a cookie, or a sign-in link's token (the path
``/auth/sign-in/<token>`` is logged as ``/auth/sign-in/…``).  uvicorn's
own access log is off (``regsam-flow serve``): it prints whole paths.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["RequestLog", "safe_path"]

log = logging.getLogger("regsam_flow.service.access")


class RequestLog:
    """ASGI middleware: log each HTTP request once it is answered."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 0

        async def noting_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, noting_send)
        finally:
            client = scope.get("client") or ("-", 0)
            log.info(
                '%s "%s %s" %d %.1fms',
                client[0],
                scope.get("method", "-"),
                safe_path(scope.get("path", "")),
                status,
                (time.perf_counter() - start) * 1000,
            )


#: Paths whose last part is a secret (a sign-in link's token).
SECRET_PREFIXES = ("/auth/sign-in/",)


def safe_path(path: str) -> str:
    """``path`` as it may be logged: a sign-in link's token cut off."""
    for prefix in SECRET_PREFIXES:
        if path.startswith(prefix) and len(path) > len(prefix):
            return prefix + "…"
    return path
