"""Verwaltung: people and their global roles, the roles in areas, the
deployed workflow definitions (deploy an upload), moving an area to another
version (the plan first).  Admins only; anyone else gets a missing page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from ...errors import InvalidInputError, RegsamFlowError
from ...i18n import _
from ..api.params import Who
from ..deps import Caller, engine
from .render import page, role_titles
from .webcommon import done, failure, form_of, require_global

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

MAX_YAML = 512 * 1024


def _areas(request: Request, who: Caller) -> list[dict[str, Any]]:
    eng = engine(request)
    rows = []
    for a in eng.list_areas(actor=who.person):
        st = eng.status(a.id, actor=who.person)
        wf = eng.workflows.get(a.workflow, a.workflow_version)
        rows.append(
            {
                "id": a.id,
                "name": a.name,
                "workflow": a.workflow,
                "workflow_version": a.workflow_version,
                "state_title": st.state_title,
                "final": st.final,
                "version": a.version,
                "roles": st.roles,
                "role_choices": list(wf.definition.roles),
                "other_versions": [
                    v for v in eng.workflows.versions(a.workflow) if v != a.workflow_version
                ],
            }
        )
    return rows


def _admin_page(
    request: Request,
    who: Caller,
    *,
    status_code: int = 200,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    form: str = "",
) -> HTMLResponse:
    eng = engine(request)
    with who.acting():
        require_global(eng, who, "admin")
        people = sorted(eng.list_people(actor=who.person), key=lambda p: p.id)
        areas = _areas(request, who)
    return page(
        request,
        "admin.html",
        status_code=status_code,
        people=people,
        areas=areas,
        typed=typed or {},
        errors=errors or {},
        form=form,
    )


@router.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request, who: Who) -> HTMLResponse:
    """People with their roles, add a person, the roles in every area."""
    return _admin_page(request, who)


@router.post("/admin/people", response_model=None)
async def add_person(request: Request, who: Who) -> Response:
    """Add a person (the engine checks id, name and e-mail)."""
    eng = engine(request)
    f = await form_of(request)
    with who.acting():
        require_global(eng, who, "admin")
        try:
            p = eng.add_person(
                f.get("person", ""),
                actor=who.person,
                name=f.get("name", ""),
                email=f.get("email", ""),
                org=f.get("org", ""),
                admin=f.get("admin") == "yes",
                auditor=f.get("auditor") == "yes",
            )
        except RegsamFlowError as err:
            status, field, message = failure(err, "person")
            return _admin_page(
                request,
                who,
                status_code=status,
                typed=f,
                errors={field or "person": message},
                form="people",
            )
        message = _("{name} ({person}) was added.").format(name=p.name, person=p.id)
    return done(request, "/admin#people", message)


@router.post("/admin/areas/{area}/assignments", response_model=None)
async def assign(area: str, request: Request, who: Who) -> Response:
    """Give a person a role in the area (with the version the page showed)."""
    eng = engine(request)
    f = await form_of(request)
    with who.acting():
        require_global(eng, who, "admin")
        try:
            version = _version(f)
            eng.assign(
                area,
                f.get("role", ""),
                f.get("person", ""),
                actor=who.person,
                expected_version=version,
            )
        except RegsamFlowError as err:
            status, field, message = failure(err, "person")
            return _admin_page(
                request,
                who,
                status_code=status,
                typed=f,
                errors={field or "person": message},
                form=f"area-{area}",
            )
        message = _("{person} now holds the role {role} in {area}.").format(
            person=f.get("person", ""),
            role=role_titles().get(f.get("role", ""), f.get("role", "")),
            area=area,
        )
    return done(request, f"/admin#area-{area}", message)


def _version(f: dict[str, str]) -> int | None:
    text = f.get("version", "")
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise InvalidInputError(_("version must be a whole number"), field="version") from None


def _workflows_page(
    request: Request,
    who: Caller,
    *,
    status_code: int = 200,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    plan: Any = None,
    plan_area: str = "",
) -> HTMLResponse:
    eng = engine(request)
    with who.acting():
        require_global(eng, who, "admin")
        deployed = eng.workflows
        rows = []
        for w in deployed.all():
            stored = deployed.stored(w.name, w.version)
            if stored is not None:
                rows.append(
                    {
                        "name": w.name,
                        "version": w.version,
                        "title": w.definition.title,
                        "states": len(w.definition.states),
                        "source": stored.source,
                        "hash": stored.hash,
                        "deployed_by": stored.deployed_by,
                        "deployed_at": stored.deployed_at,
                    }
                )
        rows.sort(key=lambda r: (r["name"], r["version"]))
        areas = [a for a in _areas(request, who) if not a["final"] and a["other_versions"]]
    return page(
        request,
        "admin_workflows.html",
        status_code=status_code,
        workflows=rows,
        areas=areas,
        typed=typed or {},
        errors=errors or {},
        plan=plan,
        plan_area=plan_area,
    )


@router.get("/admin/workflows", response_class=HTMLResponse)
def workflows_page(request: Request, who: Who) -> HTMLResponse:
    """The deployed definitions, deploy an upload, move an area."""
    return _workflows_page(request, who)


@router.post("/admin/workflows", response_model=None)
async def deploy(request: Request, who: Who) -> Response:
    """Deploy an uploaded YAML definition (a deployed version never changes)."""
    eng = engine(request)
    form = await request.form()
    upload = form.get("file")
    with who.acting():
        require_global(eng, who, "admin")
        try:
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise InvalidInputError(_("Please choose a YAML file."), field="file")
            raw = await upload.read(MAX_YAML + 1)
            if len(raw) > MAX_YAML:
                raise InvalidInputError(_("The file is too large."), field="file")
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise InvalidInputError(_("The file is not UTF-8 text."), field="file") from None
            wf, new = eng.deploy_workflow_text(text, source=upload.filename, actor=who.person)
        except RegsamFlowError as err:
            status, _field, message = failure(err, "file")
            return _workflows_page(request, who, status_code=status, errors={"file": message})
        if new:
            message = _("Workflow {name} version {version} is deployed.")
        else:
            message = _("Workflow {name} version {version} was deployed already with this text.")
    return done(request, "/admin/workflows", message.format(name=wf.name, version=wf.version))


@router.post("/admin/areas/{area}/migrate", response_model=None)
async def migrate(area: str, request: Request, who: Who) -> Response:
    """First the plan (nothing written), then, confirmed, the move."""
    eng = engine(request)
    f = await form_of(request)
    confirmed = f.get("confirm") == "yes"
    with who.acting():
        require_global(eng, who, "admin")
        try:
            try:
                to_version = int(f.get("to_version", ""))
            except ValueError:
                raise InvalidInputError(
                    _("Please choose the version to move to."), field="to_version"
                ) from None
            plan = eng.migrate_area(
                area,
                to_version,
                actor=who.person,
                dry_run=not confirmed,
                reason=f.get("reason", ""),
                expected_version=_version(f),
            )
        except RegsamFlowError as err:
            status, field, message = failure(err, "to_version")
            return _workflows_page(
                request,
                who,
                status_code=status,
                typed=f,
                errors={field or "to_version": message},
                plan_area=area,
            )
        if not confirmed:
            return _workflows_page(request, who, typed=f, plan=plan, plan_area=area)
        message = _("{area} now runs on version {version} of {workflow}.").format(
            area=area, version=plan.to_version, workflow=plan.workflow
        )
    return done(request, "/admin/workflows", message)
