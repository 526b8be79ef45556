"""The web pages: server-rendered HTML (Jinja2) over the same engine calls
as the JSON API.

Each helper's pages are one router; :func:`regsam_flow.service.app.create_app`
includes every router of :data:`WEB_ROUTERS`.  Every unsafe request of a
signed-in browser carries the hidden ``csrf_token`` form field (or the
``X-CSRF-Token`` header); the authentication layer (:mod:`..authn`)
refuses it otherwise, before any route runs.  Add a router at the END of
the list, one line each.
"""

from __future__ import annotations

from fastapi import APIRouter

from .admin import router as admin_router
from .area import router as area_router
from .audit import router as audit_router
from .base import router as base_router
from .selection import router as selection_router

__all__ = ["WEB_ROUTERS"]

WEB_ROUTERS: list[APIRouter] = [
    base_router,
    audit_router,
    admin_router,
    selection_router,
    area_router,
]
