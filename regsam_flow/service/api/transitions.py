"""Transitions: the next steps with every blocker, fire one, advance."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from ...views import fire_result_json, next_json
from .common import Page, expected_version, page
from .params import Eng, Paging, Who
from .schemas import ERRORS, AdvanceIn, FireResultOut, NextStepOut, TransitionIn

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/areas/{area}", tags=["transitions"], responses=ERRORS)


@router.get("/next", summary="The next steps, with every blocker", response_model=Page[NextStepOut])
def next_steps(
    area: str,
    request: Request,
    params: Paging,
    who: Who,
    eng: Eng,
) -> Page[dict[str, Any]]:
    """Every transition out of the current phase for you, allowed or not,
    with all blockers (``why --json``)."""
    with who.acting():
        steps = eng.why(area, actor=who.person)
    return page(request, next_json(steps), params)


@router.post(
    "/transitions", summary="Fire a named transition", response_model=FireResultOut, status_code=201
)
def fire(
    area: str,
    body: TransitionIn,
    request: Request,
    who: Who,
    eng: Eng,
) -> dict[str, Any]:
    """Fire ``trigger`` (resume, cancel, close, ...).  A transition that needs
    several approvals records yours; ``fired`` false and ``missing`` say who
    is still to approve.  Blocked: 409 ``blocked`` naming every blocker.
    ``If-Match``: the area's version (its ETag)."""
    with who.acting():
        r = eng.fire(
            area,
            body.trigger,
            actor=who.person,
            reason=body.reason,
            role=body.role,
            expected_version=expected_version(request),
        )
    return fire_result_json(r)


@router.post(
    "/advance",
    summary="Fire the forward transition of the current phase",
    response_model=FireResultOut,
)
def advance(
    area: str,
    request: Request,
    who: Who,
    eng: Eng,
    body: AdvanceIn | None = None,
) -> dict[str, Any]:
    """Blocked: 409 ``blocked`` naming every blocker.
    ``If-Match``: the area's version (its ETag)."""
    reason = body.reason if body else ""
    with who.acting():
        r = eng.advance(
            area, actor=who.person, reason=reason, expected_version=expected_version(request)
        )
    return fire_result_json(r)
