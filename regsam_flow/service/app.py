"""The HTTP service: :func:`create_app` makes the ASGI application.

FastAPI (on Starlette) for the JSON API: it validates input with pydantic
(already the engine's) and writes the OpenAPI document from the code;
uvicorn serves it (``regsam-flow serve``).  The application holds no state
of its own: sessions, tokens and rate limits live in the database, so
several processes can serve one PostgreSQL database.

Layers, outermost first: the access log (no secrets), the security headers
(every answer, errors included), the request size limit, authentication
and CSRF (:mod:`.authn`), then the routes: ``/health``, the sign-in
(:mod:`.signin`), one's sessions and tokens (:mod:`.account`), the
JSON API's resources (:data:`.api.ROUTERS`), the web pages
(:data:`.web.WEB_ROUTERS`) and their static files under ``/static``.

Usage (as ``regsam-flow serve`` does, or in a test with
``starlette.testclient.TestClient``)::

    from regsam_flow.bootstrap import open_engine
    from regsam_flow.service.app import create_app
    from regsam_flow.service.settings import ServiceSettings

    app = create_app(open_engine(url), ServiceSettings(secret_key=key,
                     base_url="https://flow.example.org"))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.responses import JSONResponse

from .. import __version__
from ..errors import RegsamFlowError
from .account import router as account_router
from .api import ROUTERS
from .authn import Authentication
from .cookies import Cookies
from .errors import install_error_handlers
from .headers import SecurityHeaders
from .limits import BodyLimit
from .requestlog import RequestLog
from .settings import ServiceSettings
from .signin import router as signin_router
from .web import WEB_ROUTERS
from .web.render import STATIC

if TYPE_CHECKING:
    from ..bootstrap import Engine

__all__ = ["create_app"]


def create_app(engine: Engine, settings: ServiceSettings) -> FastAPI:
    """The service on ``engine``, configured by ``settings``."""
    app = FastAPI(
        title="regsam-flow",
        version=__version__,
        description="Focus areas (Schwerpunktgebiete) and their workflows: the JSON API.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.engine = engine
    app.state.settings = settings
    app.state.cookies = Cookies(settings)
    install_error_handlers(app)

    @app.get("/health", tags=["service"], summary="Is the service usable")
    def health() -> JSONResponse:
        """200 ``{"status": "ok", "schema": "current"}`` when the database
        answers and its schema is this version's; 503 otherwise (no sign-in
        needed: for load balancers)."""
        return _health(engine)

    app.include_router(signin_router)
    app.include_router(account_router)
    for router in ROUTERS:
        app.include_router(router)
    for router in WEB_ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC, check_dir=True), name="static")

    # add_middleware: the last added runs first.
    app.add_middleware(Authentication, engine=engine, settings=settings)
    app.add_middleware(BodyLimit, max_body=settings.max_body)
    app.add_middleware(SecurityHeaders, https=settings.https)
    app.add_middleware(RequestLog)
    return app


def _health(engine: Engine) -> JSONResponse:
    try:
        found, needed = engine.schema_status()
    except RegsamFlowError as exc:
        return JSONResponse({"status": "unavailable", "error": exc.code}, status_code=503)
    except Exception:  # a database that cannot be reached at all
        return JSONResponse({"status": "unavailable", "error": "unavailable"}, status_code=503)
    if found != needed:
        schema = "missing" if found is None else "outdated_or_newer"
        return JSONResponse({"status": "unavailable", "schema": schema}, status_code=503)
    return JSONResponse({"status": "ok", "schema": "current"})
