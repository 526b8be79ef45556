"""The JSON API: one router per resource, all included by the app."""

from __future__ import annotations

from fastapi import APIRouter

from . import (
    agreement,
    areas,
    assignments,
    inbox,
    log,
    people,
    reviews,
    tasks,
    transitions,
    workflows,
)

__all__ = ["ROUTERS"]

#: Every router of the JSON API, in the order the OpenAPI document lists them.
ROUTERS: list[APIRouter] = []

ROUTERS += [
    people.router,
    areas.router,
    assignments.router,
    agreement.router,
    tasks.router,
    transitions.router,
    reviews.router,
    inbox.router,
    log.router,
    workflows.router,
]
