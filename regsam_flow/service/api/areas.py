"""Areas: the overview, create one, one area at once, the known phases."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request, Response

from ...views import area_created_json, status_json
from .common import Page, page, set_etag
from .params import Eng, Paging, Who
from .schemas import ERRORS, AreaCreatedOut, AreaIn, AreaOverviewOut, AreaStatusOut

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["areas"], responses=ERRORS)


@router.get(
    "/areas", summary="The areas you may see, at a glance", response_model=Page[AreaOverviewOut]
)
def list_areas(
    request: Request,
    params: Paging,
    who: Who,
    eng: Eng,
    state: str | None = Query(None, description="Only areas in this phase, e.g. diagnose."),
    review_within: int | None = Query(
        None, ge=0, description="Only areas whose review date is at most this many days away."
    ),
    owes: str | None = Query(None, description="Only areas whose next step this person owes."),
) -> Page[dict[str, Any]]:
    """Admins and auditors see all; everybody else the areas they hold a
    role in: the phase, the next step and who owes it, the open required
    tasks, the review date and the days left (``area list --json``)."""
    with who.acting():
        rows = eng.area_overview(
            actor=who.person, state=state, review_within=review_within, owes=owes
        )
    return page(request, [r.to_dict() for r in rows], params)


@router.post(
    "/areas", summary="Create an area (admins)", response_model=AreaCreatedOut, status_code=201
)
def create_area(
    body: AreaIn,
    response: Response,
    who: Who,
    eng: Eng,
) -> dict[str, Any]:
    """Create an area in its workflow's first phase (admins only)."""
    with who.acting():
        a = eng.create_area(
            body.area,
            actor=who.person,
            name=body.name,
            district=body.district,
            workflow=body.workflow,
            workflow_version=body.workflow_version,
        )
    set_etag(response, a.version)
    response.headers["Location"] = f"/api/v1/areas/{a.id}"
    return area_created_json(a)


@router.get("/areas/{area}", summary="One area at once", response_model=AreaStatusOut)
def get_area(
    area: str,
    response: Response,
    who: Who,
    eng: Eng,
) -> dict[str, Any]:
    """Phase, people by role, agreement, tasks, fields, votes, the KG's
    state and the next steps with every blocker (``area show --json``).
    The ``ETag`` is the area's version: send it back as ``If-Match`` with a
    change to make sure nobody changed the area meanwhile."""
    with who.acting():
        st = eng.status(area, actor=who.person)
        kg = eng.kg_state(area, actor=who.person)
    set_etag(response, st.area.version)
    return status_json(st, kg)


@router.get("/states", summary="Every phase of the deployed workflows", response_model=Page[str])
def known_states(
    request: Request,
    params: Paging,
    who: Who,
    eng: Eng,
) -> Page[str]:
    """The phases ``/areas?state=`` accepts."""
    with who.acting():
        eng.get_person(who.person, actor=who.person)  # known people only
        states = eng.known_states()
    return page(request, states, params)
