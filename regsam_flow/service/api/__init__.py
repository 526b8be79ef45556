"""The JSON API: one router per resource, all included by the app."""

from __future__ import annotations

from fastapi import APIRouter

from . import (
    agreement,
    areas,
    assignments,
    dossier,
    inbox,
    kg_catalogue,
    kg_meetings,
    kg_orders,
    kg_state,
    log,
    people,
    reminders,
    reviews,
    selection,
    tasks,
    transitions,
    workflows,
)

__all__ = ["ROUTERS"]

#: Every router of the JSON API, in the order the OpenAPI document lists them.
ROUTERS: list[APIRouter] = [
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
    kg_meetings.router,
    kg_catalogue.router,
    kg_orders.router,
    kg_state.router,
    dossier.router,
    selection.areas,
    selection.router,
    reminders.router,
]
