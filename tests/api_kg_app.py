"""An in-process app with the JSON API's routers, for tests only.

``FastAPI()`` with the service's error handlers and every router of
``ROUTERS``; instead of the sign-in, a TEST-ONLY middleware takes the
caller from the header ``X-Test-As`` (``Accept-Language: en`` for English).
This file lives under tests/ and is never part of the service.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from starlette.testclient import TestClient

from regsam_flow.engine import Engine
from regsam_flow.service.api import ROUTERS
from regsam_flow.service.deps import Caller
from regsam_flow.service.errors import install_error_handlers

__all__ = ["client", "make_app"]


def make_app(engine: Engine) -> FastAPI:
    """The API's routers on ``engine``, the caller named by ``X-Test-As``."""
    app = FastAPI()
    app.state.engine = engine
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)

    @app.middleware("http")
    async def _test_caller(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        lang = "en" if request.headers.get("accept-language", "").startswith("en") else "de"
        request.state.language = lang
        person = request.headers.get("x-test-as")
        if person:
            request.state.caller = Caller(
                person=person, channel="api", token_name="test", language=lang
            )
        return await call_next(request)

    return app


def client(engine: Engine) -> TestClient:
    """A TestClient on :func:`make_app` (errors answered, not raised)."""
    return TestClient(make_app(engine), raise_server_exceptions=False)
