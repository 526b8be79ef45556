"""The inbox: everything waiting for the signed-in person."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from .common import Page, page
from .params import Eng, Paging, Who
from .schemas import ERRORS, InboxItemOut

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/inbox", tags=["inbox"], responses=ERRORS)


@router.get("", summary="Everything waiting for you", response_model=Page[InboxItemOut])
def inbox(
    request: Request,
    params: Paging,
    who: Who,
    eng: Eng,
) -> Page[dict[str, Any]]:
    """Across all your areas, most urgent first: tasks, the agreement to
    write or sign, approvals, votes, review decisions, a phase to advance,
    work orders (``inbox --json``)."""
    with who.acting():
        items = eng.inbox(actor=who.person)
    return page(request, [i.to_dict() for i in items], params)
