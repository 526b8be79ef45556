"""The KG's catalogue of goals and measures: add goals and measures, read
the draft, adopt it at a meeting, read the adopted versions, rate goals."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from ...errors import NotFoundError
from ...i18n import _
from ...kg import Responsible
from ...kg_views import catalogue_view_json, goal_json, measure_json, version_json
from .common import Page, expected_version, page
from .kg_schemas import (
    AdoptionIn,
    CatalogueOut,
    CatalogueVersionOut,
    GoalIn,
    GoalOut,
    MeasureIn,
    MeasureOut,
    RatingIn,
)
from .params import Eng, Paging, Who
from .schemas import ERRORS

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/areas/{area}", tags=["KG catalogue"], responses=ERRORS)

GoalNumber = Annotated[int, Path(description="The goal's number in the catalogue.")]


@router.post("/goals", status_code=201, response_model=GoalOut, summary="Add a goal")
def add_goal(
    area: str,
    body: GoalIn,
    request: Request,
    who: Who,
    eng: Eng,
) -> dict[str, Any]:
    """Add a goal to the draft catalogue (moderation)."""
    with who.acting():
        g = eng.add_goal(
            area,
            actor=who.person,
            title=body.title,
            description=body.description,
            expected_version=expected_version(request),
        )
    return goal_json(g)


@router.get("/goals", response_model=Page[GoalOut], summary="List the draft catalogue's goals")
def list_goals(
    area: str,
    request: Request,
    params: Paging,
    who: Who,
    eng: Eng,
) -> Page[dict[str, Any]]:
    """The catalogue as it stands: goals by number, their measures and ratings."""
    with who.acting():
        rows = eng.goals(area, actor=who.person)
    return page(request, [goal_json(g) for g in rows], params)


@router.post(
    "/goals/{goal}/measures",
    status_code=201,
    response_model=MeasureOut,
    summary="Add a measure to a goal",
)
def add_measure(
    area: str,
    goal: GoalNumber,
    body: MeasureIn,
    request: Request,
    who: Who,
    eng: Eng,
) -> dict[str, Any]:
    """Add a measure to a goal (moderation), naming who is responsible: a
    role of the area, a person of the area, or a named outside party."""
    with who.acting():
        m = eng.add_measure(
            area,
            goal,
            actor=who.person,
            title=body.title,
            responsible=Responsible(body.responsible.kind, body.responsible.name),
            expected_version=expected_version(request),
        )
    return measure_json(goal, m)


@router.put("/goals/{goal}/rating", response_model=GoalOut, summary="Rate a goal")
def rate_goal(
    area: str,
    goal: GoalNumber,
    body: RatingIn,
    request: Request,
    who: Who,
    eng: Eng,
) -> dict[str, Any]:
    """Rate a goal at evaluation (moderation or social planning; phase
    auswertung): achieved, partly or not_achieved, with a note.  A new
    rating replaces the old one."""
    with who.acting():
        g = eng.rate_goal(
            area,
            goal,
            actor=who.person,
            rating=body.rating,
            note=body.note,
            expected_version=expected_version(request),
        )
    return goal_json(g)


@router.get("/catalogue", response_model=CatalogueOut, summary="Read the adopted catalogue")
def get_catalogue(
    area: str,
    who: Who,
    eng: Eng,
    version: int | None = Query(None, description="This adopted version (default: the newest)."),
) -> dict[str, Any]:
    """An adopted version of the catalogue, the versions kept, and whether
    the catalogue changed since its last adoption."""
    with who.acting():
        versions = eng.catalogue_versions(area, actor=who.person)
        facts = eng.kg_facts(area, actor=who.person)
        chosen = [v for v in versions if version is None or v.version == version][-1:]
        if version is not None and not chosen:
            raise NotFoundError(
                _("no catalogue version {number} in area '{area}'").format(
                    number=version, area=area
                ),
                kind="catalogue_version",
                key=str(version),
            )
    return catalogue_view_json(area, facts, versions, chosen[0] if chosen else None)


@router.get(
    "/catalogue/versions",
    response_model=Page[CatalogueVersionOut],
    summary="List the adopted versions of the catalogue",
)
def list_versions(
    area: str,
    request: Request,
    params: Paging,
    who: Who,
    eng: Eng,
) -> Page[dict[str, Any]]:
    """Every adopted version, oldest first, each with its goals as frozen."""
    with who.acting():
        rows = eng.catalogue_versions(area, actor=who.person)
    return page(request, [version_json(v) for v in rows], params)


@router.post(
    "/catalogue/adoptions",
    status_code=201,
    response_model=CatalogueVersionOut,
    summary="Adopt the catalogue at a meeting",
)
def adopt_catalogue(
    area: str,
    body: AdoptionIn,
    request: Request,
    who: Who,
    eng: Eng,
) -> dict[str, Any]:
    """Adopt the draft catalogue at a meeting that took place (moderation):
    it is frozen as the next numbered version, its SHA-256 in the audit log."""
    with who.acting():
        v = eng.adopt_catalogue(
            area, actor=who.person, meeting=body.meeting, expected_version=expected_version(request)
        )
    return version_json(v)
