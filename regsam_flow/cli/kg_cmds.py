"""kg: the Kooperationsgremium's meetings, its catalogue of goals and measures,
its work orders and recommendations, the missing resources it documents.

This module holds the command groups and what their commands share; the
commands are in ``kg_meeting_cmds``, ``kg_catalogue_cmds`` and
``kg_order_cmds``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from regsam_flow.i18n import N_, _
from regsam_flow.kg_views import responsible_json

from .app import cli

if TYPE_CHECKING:
    from regsam_flow.kg import (
        Responsible,
    )


__all__ = [
    "ORDER_KINDS",
    "ORDER_STATUSES",
    "RATINGS",
    "goal",
    "kg",
    "label",
    "measure",
    "meeting",
    "order",
    "resource",
    "responsible_json",
    "who",
]

#: Who is responsible (or addressed), by kind, for people.
_WHO = {"role": N_("role {name}"), "person": N_("person {name}"), "outside": N_("outside {name}")}
#: A work order's status, its kind and a goal's rating (the codes stay in JSON).
ORDER_STATUSES = {
    "open": N_("open"),
    "in_progress": N_("in_progress"),
    "done": N_("done"),
    "declined": N_("declined"),
}
ORDER_KINDS = {"order": N_("order"), "recommendation": N_("recommendation")}
RATINGS = {
    "achieved": N_("achieved"),
    "partly": N_("partly"),
    "not_achieved": N_("not_achieved"),
}


@cli.group()
def kg() -> None:
    """The Kooperationsgremium (KG): meetings, goals and measures, the
    catalogue adopted, ratings at evaluation, work orders and
    recommendations, missing resources."""


@kg.group()
def meeting() -> None:
    """The KG's meetings: record, list, show."""


@kg.group()
def goal() -> None:
    """The goals of the catalogue: add, list."""


@kg.group()
def measure() -> None:
    """The measures of a goal: add."""


@kg.group()
def order() -> None:
    """Work orders and recommendations: add, report, list."""


@kg.group()
def resource() -> None:
    """Missing resources the KG documents: add, list."""


def who(r: Responsible) -> str:
    """Who is responsible (or addressed), for people."""
    text = _WHO.get(r.kind)
    return _(text).format(name=r.name) if text else f"{r.kind} {r.name}"


def label(texts: dict[str, str], code: str | None) -> str:
    """A code (status, kind, rating) for people: its text in the current
    language (the code itself if it has none)."""
    if not code:
        return ""
    text = texts.get(code)
    return _(text) if text else code
