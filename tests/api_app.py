"""An in-process app with the JSON API's routers, for tests only.

It has no sign-in: a TEST-ONLY middleware takes the caller from the header
``X-Test-As`` (and an API token's name from ``X-Test-Token``), so the
routers' behaviour can be shown without the service's authentication.
Nothing like it exists in ``regsam_flow``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.testclient import TestClient

from regsam_flow.engine import Engine
from regsam_flow.service.api import ROUTERS
from regsam_flow.service.deps import Caller
from regsam_flow.service.errors import install_error_handlers

__all__ = ["client_for", "make_app"]


def make_app(engine: Engine) -> FastAPI:
    """Every router of ROUTERS on ``engine``, the caller named by ``X-Test-As``."""
    app = FastAPI()
    app.state.engine = engine
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)

    @app.middleware("http")
    async def caller_from_test_header(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        who = request.headers.get("x-test-as")
        if who:
            request.state.caller = Caller(
                person=who, channel="api", token_name=request.headers.get("x-test-token")
            )
        return await call_next(request)

    return app


def client_for(engine: Engine) -> TestClient:
    """A TestClient of :func:`make_app` (``headers={"X-Test-As": "mia"}`` per request)."""
    return TestClient(make_app(engine))
