"""The KG's work orders and recommendations (issue, report, list) and the
missing resources it documents."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request

from ...kg import Responsible
from ...kg_views import order_json, resource_json
from .common import Page, expected_version, page
from .kg_schemas import OrderIn, OrderOut, ReportIn, ResourceIn, ResourceOut
from .params import Eng, Paging, Who
from .schemas import ERRORS

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/areas/{area}", tags=["KG orders"], responses=ERRORS)

OrderId = Annotated[int, Path(description="The order's id.")]


@router.post("/orders", status_code=201, response_model=OrderOut, summary="Issue a work order")
def issue_order(
    area: str,
    body: OrderIn,
    request: Request,
    who: Who,
    eng: Eng,
) -> dict[str, Any]:
    """Issue a work order or recommendation at a meeting that took place
    (moderation), to a person or role of the area or a named outside
    party, due on a date (ISO or German)."""
    with who.acting():
        o = eng.issue_order(
            area,
            actor=who.person,
            meeting=body.meeting,
            title=body.title,
            addressee=Responsible(body.addressee.kind, body.addressee.name),
            due=body.due,
            kind=body.kind,
            goal=body.goal,
            measure=body.measure,
            expected_version=expected_version(request),
        )
    return order_json(o)


@router.post(
    "/orders/{order}/report", response_model=OrderOut, summary="Report where an order stands"
)
def report_order(
    area: str,
    order: OrderId,
    body: ReportIn,
    request: Request,
    who: Who,
    eng: Eng,
) -> dict[str, Any]:
    """Report an order's status: its addressee (the person, or whoever
    holds the addressed role) or the moderation; ``declined`` needs a note."""
    with who.acting():
        o = eng.report_order(
            area,
            order,
            actor=who.person,
            status=body.status,
            note=body.note,
            expected_version=expected_version(request),
        )
    return order_json(o)


@router.get("/orders", response_model=Page[OrderOut], summary="List the work orders")
def list_orders(
    area: str,
    request: Request,
    params: Paging,
    who: Who,
    eng: Eng,
    status: Literal["open", "in_progress", "done", "declined"] | None = Query(
        None, description="Only orders with this status."
    ),
    overdue: bool = Query(False, description="Only orders past their due date, not settled."),
    mine: bool = Query(False, description="Only orders addressed to you (or your role)."),
) -> Page[dict[str, Any]]:
    """The area's work orders and recommendations."""
    with who.acting():
        rows = eng.work_orders(area, actor=who.person, status=status, overdue=overdue, mine=mine)
    return page(request, [order_json(o) for o in rows], params)


@router.post(
    "/missing-resources",
    status_code=201,
    response_model=ResourceOut,
    summary="Document a missing resource",
)
def add_resource(
    area: str,
    body: ResourceIn,
    request: Request,
    who: Who,
    eng: Eng,
) -> dict[str, Any]:
    """Document what the KG lacks (moderation), with an optional estimate."""
    with who.acting():
        r = eng.add_missing_resource(
            area,
            actor=who.person,
            text=body.text,
            estimate=body.estimate,
            expected_version=expected_version(request),
        )
    return resource_json(r)


@router.get(
    "/missing-resources",
    response_model=Page[ResourceOut],
    summary="List the missing resources",
)
def list_resources(
    area: str,
    request: Request,
    params: Paging,
    who: Who,
    eng: Eng,
) -> Page[dict[str, Any]]:
    """The missing resources the KG documented."""
    with who.acting():
        rows = eng.missing_resources(area, actor=who.person)
    return page(request, [resource_json(r) for r in rows], params)
