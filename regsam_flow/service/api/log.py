"""The audit log: every change in order, its head, its verification, an area's past."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Request

from ...dates import parse_when
from ...errors import InvalidInputError
from ...i18n import _
from ...views import head_json
from .common import Page, page
from .params import Eng, Paging, Who
from .schemas import ERRORS, AsOfOut, AuditEntryOut, HeadOut, VerifyOut

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["audit"], responses=ERRORS)

_WHEN = "A date (ISO or German: 2027-01-15, 15.01.2027) or a date and time (15.01.2027 10:30)."


def _moment(
    text: str | None,
    field: str,
    end_of_day: bool = False,
) -> datetime | None:
    if text is None:
        return None
    timed = " " in text.strip() or "T" in text
    return parse_when(text, field, end_of_day=end_of_day and not timed)


@router.get("/log", summary="The audit log", response_model=Page[AuditEntryOut])
def log(
    request: Request,
    params: Paging,
    who: Who,
    eng: Eng,
    area: str | None = Query(None, description="Only the entries of this area."),
    since: str | None = Query(None, description="From this moment on (Berlin time). " + _WHEN),
    until: str | None = Query(None, description="Up to this day (inclusive) or moment. " + _WHEN),
    actor: str | None = Query(None, description="Only what this person did."),
) -> Page[dict[str, Any]]:
    """Every change, in order (``log --json``): admins and auditors see all,
    everybody else the entries of the areas they hold a role in."""
    with who.acting():
        start = _moment(since, "since")
        end = _moment(until, "until", end_of_day=True)
        if start and end and end < start:
            raise InvalidInputError(_("until lies before since"), field="until")
        entries = eng.history(actor=who.person, area=area, since=start, until=end, by=actor)
    return page(request, [e.to_dict() for e in entries], params)


@router.get("/audit/verify", summary="Recompute the audit chain", response_model=VerifyOut)
def verify(
    who: Who,
    eng: Eng,
    expect_head: str | None = Query(
        None, description="A head kept earlier (N:HASH from /audit/head): it must still be there."
    ),
    since: str | None = Query(
        None,
        description="A trusted head (COUNT:HASH from /audit/head, kept after a full check): "
        "verify only the entries after it; the stored entry COUNT must still have that hash.",
    ),
    deep: bool = Query(False, description="Also compare the live tables with the log."),
) -> dict[str, Any]:
    """Names the first entry edited, deleted, inserted or reordered (``ok``
    false); with ``deep`` every way the live tables disagree with the log
    (``audit verify --json``); with ``since`` only what was added after a
    trusted head (``audit verify --from``)."""
    with who.acting():
        result = eng.verify(expect_head=expect_head, since=since, deep=deep, actor=who.person)
        return result.to_dict()


@router.get("/audit/head", summary="The audit log's head", response_model=HeadOut)
def head(
    who: Who,
    eng: Eng,
) -> dict[str, Any]:
    """Entry count and newest hash, to keep elsewhere (``audit head --json``)."""
    with who.acting():
        return head_json(eng.head(actor=who.person))


@router.get("/areas/{area}/as-of", summary="The area as it was", response_model=AsOfOut)
def as_of(
    area: str,
    who: Who,
    eng: Eng,
    at: str = Query(description="The moment; a date alone means the end of that day. " + _WHEN),
) -> dict[str, Any]:
    """Phase, people, agreement and tasks done at ``at``, rebuilt from the
    audit log alone (``as-of --json``)."""
    with who.acting():
        moment = _moment(at, "at", end_of_day=True)
        assert moment is not None
        return eng.as_of(area, moment, actor=who.person).to_dict()
