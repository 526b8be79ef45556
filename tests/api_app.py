"""In-process apps with the JSON API's routers, for tests only.

:func:`client_for` is an app of the routers alone: a TEST-ONLY middleware
takes the caller from the header ``X-Test-As`` (and an API token's name
from ``X-Test-Token``); nothing like it exists in ``regsam_flow``.
:func:`service_client_for` is the real service (``create_app``: its
authentication, CSRF, headers and limits) where the same test headers
are turned into a real personal API token of that person
(``Authorization: Bearer``) before the request leaves the client, so one
test runs against both."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.testclient import TestClient

from regsam_flow.engine import Engine
from regsam_flow.service.api import ROUTERS
from regsam_flow.service.app import create_app
from regsam_flow.service.deps import Caller
from regsam_flow.service.errors import install_error_handlers
from regsam_flow.service.settings import ServiceSettings

__all__ = ["ServiceClient", "client_for", "make_app", "service_client_for"]


def make_app(engine: Engine, *, token_name: str | None = None) -> FastAPI:
    """Every router of ROUTERS on ``engine``, the caller named by ``X-Test-As``
    (the token's name from ``X-Test-Token``, else ``token_name``); English
    when ``Accept-Language`` starts with ``en``."""
    app = FastAPI()
    app.state.engine = engine
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)

    @app.middleware("http")
    async def caller_from_test_header(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        lang = "en" if request.headers.get("accept-language", "").startswith("en") else "de"
        request.state.language = lang
        who = request.headers.get("x-test-as")
        if who:
            request.state.caller = Caller(
                person=who,
                channel="api",
                token_name=request.headers.get("x-test-token", token_name),
                language=lang,
            )
        return await call_next(request)

    return app


def client_for(engine: Engine) -> TestClient:
    """A TestClient of :func:`make_app` (``headers={"X-Test-As": "mia"}`` per request)."""
    return TestClient(make_app(engine))


class ServiceClient(TestClient):
    """A client of the real service: ``X-Test-As: tom`` (``X-Test-Token:
    NAME``, default ``tests``) is sent as a real API token of tom's named
    NAME.  Tokens are made for everybody the engine knows before a request
    leaves (their audit entries come before the request's, never between
    two requests of a test that compares the audit head)."""

    def __init__(self, engine: Engine) -> None:
        settings = ServiceSettings(secret_key="api-core-tests-" + "k" * 32)
        super().__init__(create_app(engine, settings))
        self.engine = engine
        self._tokens: dict[tuple[str, str], str] = {}

    def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        who = request.headers.pop("x-test-as", None)
        name = request.headers.pop("x-test-token", None) or "tests"
        if who is not None:
            for p in self.engine.list_people(actor="root"):
                if (p.id, name) not in self._tokens:
                    made = self.engine.create_api_token(name, actor=p.id)
                    self._tokens[(p.id, name)] = made.secret
            token = self._tokens.get((who, name))
            if token is not None:
                request.headers["Authorization"] = f"Bearer {token}"
        return super().send(request, **kwargs)


def service_client_for(engine: Engine) -> ServiceClient:
    """A :class:`ServiceClient` of the real service app on ``engine``."""
    return ServiceClient(engine)
