"""kg: the Kooperationsgremium's meetings, its catalogue of goals and measures,
its work orders and recommendations, the missing resources it documents.

This module holds the command groups and what their commands share; the
commands are in ``kg_meeting_cmds``, ``kg_catalogue_cmds`` and
``kg_order_cmds``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .app import cli

if TYPE_CHECKING:
    from regsam_flow.kg import (
        Responsible,
    )


__all__ = ["goal", "kg", "measure", "meeting", "order", "resource", "responsible_json", "who"]


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


def responsible_json(r: Responsible) -> dict[str, str]:
    """Who is responsible (or addressed), as JSON."""
    return {"kind": r.kind, "name": r.name}


def who(r: Responsible) -> str:
    """Who is responsible (or addressed), for people."""
    return f"{r.kind} {r.name}"
