"""Review decisions: what was decided at the review date (Überprüfung)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from ...views import review_json
from .common import expected_version
from .params import Eng, Who
from .schemas import ERRORS, ReviewIn, ReviewOut

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/areas/{area}/reviews", tags=["reviews"], responses=ERRORS)


@router.post("", summary="Record the review decision", response_model=ReviewOut, status_code=201)
def review(
    request: Request,
    area: str,
    body: ReviewIn,
    who: Who,
    eng: Eng,
) -> dict[str, Any]:
    """``continue`` with ``next_review`` (an amendment of the agreement, which
    then needs signing again) or ``end``.  Either stops the reminders for
    the date decided on (``review --json``).  ``If-Match``: the area's
    version (its ETag)."""
    with who.acting():
        eng.review(
            area,
            actor=who.person,
            decision=body.decision,
            next_review=body.next_review,
            reason=body.reason,
            expected_version=expected_version(request),
        )
        ag = eng.agreement(area, actor=who.person)
    return review_json(area, body.decision, ag)
