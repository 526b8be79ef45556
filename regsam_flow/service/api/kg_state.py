"""The KG's state of an area at a glance, and what its guards look at."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ...kg_views import kg_facts_json, kg_state_json
from .kg_schemas import KgFactsOut, KgStateOut
from .params import Eng, Who
from .schemas import ERRORS

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/areas/{area}", tags=["KG state"], responses=ERRORS)


@router.get("/kg", response_model=KgStateOut, summary="The KG's state at a glance")
def kg_state(area: str, who: Who, eng: Eng) -> dict[str, Any]:
    """Meetings, catalogue, goals, orders, missing resources and the final
    documentation, counted (the key ``kg`` of ``area show --json``)."""
    with who.acting():
        state = eng.kg_state(area, actor=who.person)
    return kg_state_json(state)


@router.get("/kg/facts", response_model=KgFactsOut, summary="What the KG's guards look at")
def kg_facts(area: str, who: Who, eng: Eng) -> dict[str, Any]:
    """The adopted catalogue version, whether the draft changed since, the
    goals of the draft and the final documentation recorded."""
    with who.acting():
        facts = eng.kg_facts(area, actor=who.person)
    return kg_facts_json(area, facts)
