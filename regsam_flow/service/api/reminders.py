"""The review-date reminders (list, retry a failed one) and the KG's mails."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request

from .common import Page, page
from .kg_schemas import KgMailOut, ReminderOut
from .params import Eng, Paging, Who
from .schemas import ERRORS

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/reminders", tags=["Reminders"], responses=ERRORS)

AREA_QUERY = Query(None, description="Only those of this area.")


@router.get("", response_model=Page[ReminderOut], summary="List the reminders")
def list_reminders(
    request: Request,
    params: Paging,
    who: Who,
    eng: Eng,
    area: str | None = AREA_QUERY,
    status: Literal["pending", "sent", "failed", "cancelled", "superseded"] | None = Query(
        None, description="Only reminders with this status."
    ),
) -> Page[dict[str, Any]]:
    """The review-date reminders of the areas you may see."""
    with who.acting():
        rows = eng.reminders(actor=who.person, area=area, status=status)
    return page(request, [r.to_dict() for r in rows], params)


@router.get("/mails", response_model=Page[KgMailOut], summary="List the KG's mails")
def list_mails(
    request: Request,
    params: Paging,
    who: Who,
    eng: Eng,
    area: str | None = AREA_QUERY,
    status: Literal["pending", "sent", "failed", "cancelled"] | None = Query(
        None, description="Only mails with this status."
    ),
) -> Page[dict[str, Any]]:
    """The KG's mails (a meeting's decisions, due and overdue work orders)
    of the areas you may see, by due time."""
    with who.acting():
        rows = eng.kg_mails(actor=who.person, area=area, status=status)
    return page(request, [m.to_dict() for m in rows], params)


@router.post("/{reminder}/retry", response_model=ReminderOut, summary="Retry a failed reminder")
def retry(
    reminder: Annotated[int, Path(description="The reminder's id.")],
    who: Who,
    eng: Eng,
) -> dict[str, Any]:
    """Queue a failed reminder again (admins, the area's moderation or social planning)."""
    with who.acting():
        r = eng.retry_reminder(reminder, actor=who.person)
    return r.to_dict()
