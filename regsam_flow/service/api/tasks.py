"""The tasks of each phase: list, report done, reopen."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request

from ...views import task_reopened_json, task_reported_json
from .common import Page, expected_version, page
from .params import Eng, Paging, Who
from .schemas import (
    ERRORS,
    TaskOut,
    TaskReopenedOut,
    TaskReopenIn,
    TaskReportedOut,
    TaskReportIn,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/areas/{area}/tasks", tags=["tasks"], responses=ERRORS)


@router.get("", summary="The tasks of every phase", response_model=Page[TaskOut])
def list_tasks(
    area: str,
    request: Request,
    params: Paging,
    who: Who,
    eng: Eng,
    phase: str | None = Query(None, description="Only the tasks of this phase."),
) -> Page[dict[str, Any]]:
    """The tasks of every phase (or one), with who reported them (``task list --json``)."""
    with who.acting():
        rows = eng.tasks(area, actor=who.person, phase=phase)
    return page(request, [t.to_dict() for t in rows], params)


@router.post("/{task}/report", summary="Report a task done", response_model=TaskReportedOut)
def report_task(
    area: str,
    task: str,
    request: Request,
    who: Who,
    eng: Eng,
    body: TaskReportIn | None = None,
) -> dict[str, Any]:
    """Report a task of the current phase done (by a role the task names).
    ``If-Match``: the area's version (its ETag)."""
    note = body.note if body else ""
    with who.acting():
        st = eng.report_task(
            area, task, actor=who.person, note=note, expected_version=expected_version(request)
        )
    return task_reported_json(area, task, st)


@router.post(
    "/{task}/reopen", summary="Mark a reported task open again", response_model=TaskReopenedOut
)
def reopen_task(
    area: str,
    task: str,
    body: TaskReopenIn,
    request: Request,
    who: Who,
    eng: Eng,
) -> dict[str, Any]:
    """Its roles or the moderation; a reason is required.
    ``If-Match``: the area's version (its ETag)."""
    with who.acting():
        eng.reopen_task(
            area,
            task,
            actor=who.person,
            reason=body.reason,
            expected_version=expected_version(request),
        )
    return task_reopened_json(area, task, body.reason)
