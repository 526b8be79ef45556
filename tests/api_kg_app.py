"""The in-process test app of the KG's, selection's and reminders' API
tests: :func:`tests.api_app.make_app` with every test request's token
named ``test``, and errors answered, not raised.  Lives under tests/ only."""

from __future__ import annotations

from starlette.testclient import TestClient

from regsam_flow.engine import Engine

from .api_app import make_app

__all__ = ["client"]


def client(engine: Engine) -> TestClient:
    """A TestClient on the routers (``X-Test-As`` names the caller)."""
    return TestClient(make_app(engine, token_name="test"), raise_server_exceptions=False)
