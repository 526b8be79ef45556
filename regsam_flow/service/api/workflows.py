"""Workflows: the deployed definitions; deploy one, move an area to another version."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from ...views import deployed_workflow_json
from ...workflows import text_hash
from .common import Page, expected_version, page
from .params import Eng, Paging, Who
from .schemas import (
    ERRORS,
    MigrationIn,
    MigrationPlanOut,
    WorkflowDeployedOut,
    WorkflowIn,
    WorkflowOut,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["workflows"], responses=ERRORS)


@router.get(
    "/workflows", summary="The deployed workflow versions", response_model=Page[WorkflowOut]
)
def list_workflows(
    request: Request,
    params: Paging,
    who: Who,
    eng: Eng,
) -> Page[dict[str, Any]]:
    """Every deployed workflow and version: the rules areas run on."""
    with who.acting():
        eng.get_person(who.person, actor=who.person)  # known people only
        deployed = eng.workflows
        rows = []
        for w in deployed.all():
            stored = deployed.stored(w.name, w.version)
            if stored is not None:
                rows.append(deployed_workflow_json(w, stored))
    rows.sort(key=lambda r: (r["name"], r["version"]))
    return page(request, rows, params)


@router.post(
    "/workflows",
    summary="Deploy a workflow definition (admins)",
    response_model=WorkflowDeployedOut,
    status_code=201,
)
def deploy_workflow(
    body: WorkflowIn,
    who: Who,
    eng: Eng,
) -> dict[str, Any]:
    """New areas then run on the newest deployed version; running areas keep
    theirs.  A deployed name and version never changes: other content under
    them is refused (422 ``invalid_workflow``)."""
    with who.acting():
        wf, new = eng.deploy_workflow_text(body.text, source=body.source, actor=who.person)
    return {"name": wf.name, "version": wf.version, "hash": text_hash(body.text), "deployed": new}


@router.post(
    "/areas/{area}/migrations",
    summary="Move the area to another deployed version of its workflow",
    response_model=MigrationPlanOut,
)
def migrate_area(
    request: Request,
    area: str,
    body: MigrationIn,
    who: Who,
    eng: Eng,
) -> dict[str, Any]:
    """Admins or the area's moderation.  The plan says what stands in the
    way; with problems nothing moves (409 ``blocked`` naming them).
    ``dry_run``: only the plan (``workflow migrate --json``).  ``If-Match``:
    the area's version (its ETag)."""
    with who.acting():
        plan = eng.migrate_area(
            area,
            body.to_version,
            actor=who.person,
            dry_run=body.dry_run,
            reason=body.reason,
            workflow=body.workflow,
            expected_version=expected_version(request),
        )
    return plan.to_dict()
