"""Roles in an area: give and take."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from ...views import assignment_json
from .common import expected_version
from .params import Eng, Who
from .schemas import ERRORS, AssignmentIn, AssignmentOut

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/areas/{area}/assignments", tags=["areas"], responses=ERRORS)


@router.post(
    "", summary="Give a person a role in the area", response_model=AssignmentOut, status_code=201
)
def assign(
    request: Request,
    area: str,
    body: AssignmentIn,
    who: Who,
    eng: Eng,
) -> dict[str, Any]:
    """Admins give any role; the area's moderation gives steering, provider
    and sbh.  A role held already: 422.  ``If-Match``: the area's version (its ETag)."""
    with who.acting():
        eng.assign(
            area,
            body.role,
            body.person,
            actor=who.person,
            expected_version=expected_version(request),
        )
    return assignment_json(area, body.role, body.person, True)


@router.delete(
    "/{role}/{person}", summary="Take a role in the area away", response_model=AssignmentOut
)
def unassign(
    request: Request,
    area: str,
    role: str,
    person: str,
    who: Who,
    eng: Eng,
) -> dict[str, Any]:
    """Same rights as giving it.  ``If-Match``: the area's version (its ETag)."""
    with who.acting():
        eng.unassign(
            area, role, person, actor=who.person, expected_version=expected_version(request)
        )
    return assignment_json(area, role, person, False)
