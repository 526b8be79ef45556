"""The page of one area (Ein Gebiet), its process picture and its actions.

``GET /areas/{area}`` shows the area (see :mod:`.area_view`);
``GET /areas/{area}/diagram.svg`` the process picture alone.  Every POST is
one engine call inside ``with who.acting():`` with the form's hidden
``version`` as ``expected_version``; success answers 303 back to the page
with a German message (Post/Redirect/Get).  A failed check re-renders the
page (422) with the typed values kept and the field named; a collision
(someone changed the area meanwhile) 409 with the current state; a blocked
step 409 naming every blocker; a refusal 403.  An area one may not see is
a 404 like one that does not exist (the engine's NotFoundError).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from ...bootstrap import Engine
from ...errors import (
    BlockedError,
    ConflictError,
    InvalidInputError,
    NotAllowedError,
    NotFoundError,
)
from ...i18n import _
from ...kg import Responsible
from ..deps import Caller, caller, engine
from .area_view import area_view, plain, role_label
from .diagram_svg import workflow_svg
from .render import page, redirect

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

Who = Depends(caller)
Eng = Depends(engine)

# Where the engine names a field differently from the form (the engine
# parameter): its name -> the form field's.
FIELD_ALIASES = {"next": "next_review", "date": "held_on"}


# The page's element id of a form's field (area.html), for the error
# summary's links: form kind -> field -> id pattern ({ref}: the task,
# trigger, goal or order the form is for).
_DOM_IDS: dict[str, dict[str, str]] = {
    "step": {"reason": "reason-{ref}", "confirm": "confirm-{ref}"},
    "task-report": {"note": "note-{ref}"},
    "task-reopen": {"reason": "reason-{ref}"},
    "review": {"reason": "review-reason"},
    "goal": {"title": "goal-title", "description": "goal-description"},
    "measure": {"title": "measure-title-{ref}", "responsible": "measure-resp-{ref}"},
    "rating": {"rating": "rating-{ref}", "note": "rating-note-{ref}"},
    "adopt": {"meeting": "adopt-meeting"},
    "order": {
        "kind": "order-kind",
        "title": "order-title",
        "addressee": "order-addressee",
        "due": "order-due",
        "meeting": "order-meeting",
    },
    "order-report": {"status": "order-status-{ref}", "note": "order-note-{ref}"},
    "resource": {"text": "resource-text", "estimate": "resource-estimate"},
    "final": {"format": "final-format"},
}


def dom_id(form_key: str, field: str) -> str:
    """The id of ``field`` of the form ``form_key`` on the page."""
    kind, _sep, ref = form_key.partition(":")
    return _DOM_IDS.get(kind, {}).get(field, field).format(ref=ref)


def _area_url(area: str, anchor: str = "") -> str:
    return f"/areas/{area}" + (f"#{anchor}" if anchor else "")


def _show(
    request: Request,
    eng: Engine,
    who: Caller,
    area: str,
    *,
    status_code: int = 200,
    form: str = "",
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    problem: str = "",
    blockers: list[str] | None = None,
    collision: bool = False,
) -> Response:
    view = area_view(eng, who, area)
    return page(
        request,
        "area.html",
        status_code=status_code,
        form=form,
        values=values or {},
        errors=errors or {},
        error_links={name: dom_id(form, name) for name in errors or {}},
        form_anchor=next(
            (dom_id(form, k) for k in (values or {}) if k not in ("version", "attendees")), ""
        ),
        problem=problem,
        blockers=blockers or [],
        collision=collision,
        **view,
    )


@router.get("/areas/{area}")
def show_area(area: str, request: Request, who: Caller = Who, eng: Engine = Eng) -> Response:
    return _show(request, eng, who, area)


@router.get("/areas/{area}/diagram.svg")
def diagram(area: str, who: Caller = Who, eng: Engine = Eng) -> Response:
    with who.acting():
        a = eng.get_area(area, actor=who.person)
        wf = eng.workflows.get(a.workflow, a.workflow_version)
        svg = workflow_svg(wf, a.state)
    return Response(
        '<?xml version="1.0" encoding="UTF-8"?>\n' + svg,
        media_type="image/svg+xml",
        headers={"Cache-Control": "no-store"},
    )


def _version(form: FormData) -> int | None:
    raw = str(form.get("version", "")).strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise InvalidInputError(_("the page's version is not a number"), field="version") from None


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


async def _act(
    request: Request,
    eng: Engine,
    who: Caller,
    area: str,
    form_key: str,
    call: Callable[[FormData, int | None], Any],
    done: str,
    *,
    anchor: str = "",
    fields: tuple[str, ...] = (),
) -> Response:
    """Run ``call(form, expected_version)`` as ``who``; answer as the module says."""
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if k not in ("csrf_token",) and isinstance(v, str)}
    for multi in ("attendees",):
        values[multi] = "\n".join(str(v) for v in form.getlist(multi))

    def again(status: int, **kw: Any) -> Response:
        return _show(
            request, eng, who, area, status_code=status, form=form_key, values=values, **kw
        )

    try:
        with who.acting():
            call(form, _version(form))
    except ConflictError as e:
        return again(409, collision=True, problem=e.message)
    except InvalidInputError as e:
        name = FIELD_ALIASES.get(e.field or "", e.field or "")
        if name and (name in fields or name == "version"):
            return again(422, errors={name: e.message})
        return again(422, problem=e.message)
    except BlockedError as e:
        return again(409, problem=e.message, blockers=[plain(b.message) for b in e.blockers])
    except NotAllowedError as e:
        return again(403, problem=e.message, blockers=[plain(b.message) for b in e.blockers])
    except NotFoundError as e:
        if e.kind == "area":
            raise
        return again(404, problem=e.message)
    with who.acting():
        return redirect(request, _area_url(area, anchor), flash=done)


def _required(form: FormData, name: str, message: str) -> str:
    value = str(form.get(name, "")).strip()
    if not value:
        raise InvalidInputError(message, field=name)
    return value


# ------------------------------------------------------------------ tasks
@router.post("/areas/{area}/tasks/{task}/report")
async def report_task(
    area: str, task: str, request: Request, who: Caller = Who, eng: Engine = Eng
) -> Response:
    def call(form: FormData, version: int | None) -> None:
        eng.report_task(
            area, task, actor=who.person, note=str(form.get("note", "")), expected_version=version
        )

    with who.acting():
        done = _("The task is reported done.")
    return await _act(
        request, eng, who, area, f"task-report:{task}", call, done, anchor="tasks", fields=("note",)
    )


@router.post("/areas/{area}/tasks/{task}/reopen")
async def reopen_task(
    area: str, task: str, request: Request, who: Caller = Who, eng: Engine = Eng
) -> Response:
    def call(form: FormData, version: int | None) -> None:
        reason = _required(form, "reason", _("Please give a reason for reopening the task."))
        eng.reopen_task(area, task, actor=who.person, reason=reason, expected_version=version)

    with who.acting():
        done = _("The task is open again.")
    return await _act(
        request,
        eng,
        who,
        area,
        f"task-reopen:{task}",
        call,
        done,
        anchor="tasks",
        fields=("reason",),
    )


# -------------------------------------------------------------- agreement
AGREEMENT_NAMES = ("topic", "scope", "reasons", "partners", "terms", "duration", "start", "review")


@router.post("/areas/{area}/agreement")
async def set_agreement(
    area: str, request: Request, who: Caller = Who, eng: Engine = Eng
) -> Response:
    def call(form: FormData, version: int | None) -> None:
        current = eng.agreement(area, actor=who.person)
        changes: dict[str, Any] = {}
        for name in AGREEMENT_NAMES:
            if name not in form:
                continue
            new = str(form.get(name, "")).strip()
            old = getattr(current, name, None) if current else None
            old_text = old.isoformat() if isinstance(old, date) else (old or "")
            if new != old_text:
                changes[name] = new if new or name not in ("start", "review") else None
        if not changes:
            raise InvalidInputError(_("Nothing was changed in the agreement."))
        eng.set_agreement(area, actor=who.person, expected_version=version, **changes)

    with who.acting():
        done = _("The agreement is changed; it needs signing again.")
    return await _act(
        request, eng, who, area, "agreement", call, done, anchor="agreement", fields=AGREEMENT_NAMES
    )


@router.post("/areas/{area}/agreement/sign")
async def sign_agreement(
    area: str, request: Request, who: Caller = Who, eng: Engine = Eng
) -> Response:
    def call(form: FormData, version: int | None) -> None:
        role = str(form.get("role", "")).strip() or None
        eng.sign_agreement(area, actor=who.person, role=role, expected_version=version)

    with who.acting():
        done = _("You signed the agreement.")
    return await _act(
        request, eng, who, area, "sign", call, done, anchor="agreement", fields=("role",)
    )


# ------------------------------------------------------------ transitions
@router.post("/areas/{area}/transitions/{trigger}")
async def fire(
    area: str, trigger: str, request: Request, who: Caller = Who, eng: Engine = Eng
) -> Response:
    results: list[Any] = []

    def call(form: FormData, version: int | None) -> None:
        a = eng.get_area(area, actor=who.person)
        wf = eng.workflows.get(a.workflow, a.workflow_version)
        dest = next((t.dest for t in wf.outgoing.get(a.state, ()) if t.trigger == trigger), None)
        if dest is not None and wf.states[dest].final and form.get("confirm") != "yes":
            raise InvalidInputError(
                _("Please confirm: this step cannot be undone."), field="confirm"
            )
        results.append(
            eng.fire(
                area,
                trigger,
                actor=who.person,
                reason=str(form.get("reason", "")).strip(),
                role=str(form.get("role", "")).strip() or None,
                expected_version=version,
            )
        )

    response = await _act(
        request,
        eng,
        who,
        area,
        f"step:{trigger}",
        call,
        "",
        anchor="next",
        fields=("reason", "confirm", "role"),
    )
    if response.status_code == 303 and results:
        r = results[0]
        with who.acting():
            if r.fired:
                a = eng.get_area(area, actor=who.person)
                st_title = eng.workflows.get(a.workflow, a.workflow_version).states[a.state].title
                msg = _("Done: the area is now in the phase {phase}.").format(phase=st_title)
            else:
                msg = _("Your approval is recorded; still missing: {roles}.").format(
                    roles=", ".join(role_label(role) for role in r.missing)
                )
            return redirect(request, _area_url(area, "next"), flash=msg)
    return response


# ---------------------------------------------------------------- the KG
@router.post("/areas/{area}/meetings")
async def record_meeting(
    area: str, request: Request, who: Caller = Who, eng: Engine = Eng
) -> Response:
    def call(form: FormData, version: int | None) -> None:
        eng.record_meeting(
            area,
            actor=who.person,
            held_on=_required(form, "held_on", _("Please give the meeting's date.")),
            place=str(form.get("place", "")).strip(),
            attendees=[str(v) for v in form.getlist("attendees")],
            guests=_lines(str(form.get("guests", ""))),
            decisions=_lines(str(form.get("decisions", ""))),
            minutes=str(form.get("minutes", "")),
            planned=form.get("planned") == "yes",
            expected_version=version,
        )

    with who.acting():
        done = _("The meeting is recorded.")
    return await _act(
        request,
        eng,
        who,
        area,
        "meeting",
        call,
        done,
        anchor="meetings",
        fields=("held_on", "place", "attendees", "guests", "decisions", "minutes", "planned"),
    )


@router.post("/areas/{area}/goals")
async def add_goal(area: str, request: Request, who: Caller = Who, eng: Engine = Eng) -> Response:
    def call(form: FormData, version: int | None) -> None:
        eng.add_goal(
            area,
            actor=who.person,
            title=str(form.get("title", "")).strip(),
            description=str(form.get("description", "")),
            expected_version=version,
        )

    with who.acting():
        done = _("The goal is added to the catalogue.")
    return await _act(
        request,
        eng,
        who,
        area,
        "goal",
        call,
        done,
        anchor="catalogue",
        fields=("title", "description"),
    )


def _responsible(form: FormData, name: str) -> Responsible:
    """``role:x`` / ``person:x`` from the select, or the outside party typed in."""
    outside = str(form.get(f"{name}_outside", "")).strip()
    chosen = str(form.get(name, "")).strip()
    if outside:
        return Responsible("outside", outside)
    kind, _sep, value = chosen.partition(":")
    if not value:
        raise InvalidInputError(_("Please choose who is responsible."), field=name)
    return Responsible(kind, value)


@router.post("/areas/{area}/goals/{goal}/measures")
async def add_measure(
    area: str, goal: int, request: Request, who: Caller = Who, eng: Engine = Eng
) -> Response:
    def call(form: FormData, version: int | None) -> None:
        eng.add_measure(
            area,
            goal,
            actor=who.person,
            title=str(form.get("title", "")).strip(),
            responsible=_responsible(form, "responsible"),
            expected_version=version,
        )

    with who.acting():
        done = _("The measure is added.")
    return await _act(
        request,
        eng,
        who,
        area,
        f"measure:{goal}",
        call,
        done,
        anchor="catalogue",
        fields=("title", "responsible"),
    )


@router.post("/areas/{area}/catalogue/adopt")
async def adopt(area: str, request: Request, who: Caller = Who, eng: Engine = Eng) -> Response:
    def call(form: FormData, version: int | None) -> None:
        raw = _required(form, "meeting", _("Please choose the meeting."))
        try:
            meeting = int(raw)
        except ValueError:
            raise InvalidInputError(_("Please choose the meeting."), field="meeting") from None
        eng.adopt_catalogue(area, actor=who.person, meeting=meeting, expected_version=version)

    with who.acting():
        done = _("The catalogue is adopted.")
    return await _act(
        request, eng, who, area, "adopt", call, done, anchor="catalogue", fields=("meeting",)
    )


@router.post("/areas/{area}/goals/{goal}/rating")
async def rate(
    area: str, goal: int, request: Request, who: Caller = Who, eng: Engine = Eng
) -> Response:
    def call(form: FormData, version: int | None) -> None:
        eng.rate_goal(
            area,
            goal,
            actor=who.person,
            rating=str(form.get("rating", "")),
            note=str(form.get("note", "")),
            expected_version=version,
        )

    with who.acting():
        done = _("The goal is rated.")
    return await _act(
        request,
        eng,
        who,
        area,
        f"rating:{goal}",
        call,
        done,
        anchor="catalogue",
        fields=("rating", "note"),
    )


def _optional_int(form: FormData, name: str) -> int | None:
    raw = str(form.get(name, "")).strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise InvalidInputError(_("Please give a number."), field=name) from None


@router.post("/areas/{area}/orders")
async def issue_order(
    area: str, request: Request, who: Caller = Who, eng: Engine = Eng
) -> Response:
    def call(form: FormData, version: int | None) -> None:
        meeting = _optional_int(form, "meeting")
        if meeting is None:
            raise InvalidInputError(_("Please choose the meeting."), field="meeting")
        eng.issue_order(
            area,
            actor=who.person,
            meeting=meeting,
            title=str(form.get("title", "")).strip(),
            addressee=_responsible(form, "addressee"),
            due=_required(form, "due", _("Please give the due date.")),
            kind=str(form.get("kind", "order")),
            goal=_optional_int(form, "goal"),
            measure=_optional_int(form, "measure"),
            expected_version=version,
        )

    with who.acting():
        done = _("The work order is issued.")
    return await _act(
        request,
        eng,
        who,
        area,
        "order",
        call,
        done,
        anchor="orders",
        fields=("meeting", "title", "addressee", "due", "kind", "goal", "measure"),
    )


@router.post("/areas/{area}/orders/{order}/report")
async def report_order(
    area: str, order: int, request: Request, who: Caller = Who, eng: Engine = Eng
) -> Response:
    def call(form: FormData, version: int | None) -> None:
        eng.report_order(
            area,
            order,
            actor=who.person,
            status=str(form.get("status", "")),
            note=str(form.get("note", "")),
            expected_version=version,
        )

    with who.acting():
        done = _("The work order's status is reported.")
    return await _act(
        request,
        eng,
        who,
        area,
        f"order-report:{order}",
        call,
        done,
        anchor="orders",
        fields=("status", "note"),
    )


@router.post("/areas/{area}/missing-resources")
async def add_resource(
    area: str, request: Request, who: Caller = Who, eng: Engine = Eng
) -> Response:
    def call(form: FormData, version: int | None) -> None:
        eng.add_missing_resource(
            area,
            actor=who.person,
            text=str(form.get("text", "")).strip(),
            estimate=str(form.get("estimate", "")).strip(),
            expected_version=version,
        )

    with who.acting():
        done = _("The missing resource is documented.")
    return await _act(
        request,
        eng,
        who,
        area,
        "resource",
        call,
        done,
        anchor="resources",
        fields=("text", "estimate"),
    )


@router.post("/areas/{area}/reviews")
async def review(area: str, request: Request, who: Caller = Who, eng: Engine = Eng) -> Response:
    def call(form: FormData, version: int | None) -> None:
        eng.review(
            area,
            actor=who.person,
            decision=str(form.get("decision", "")),
            next_review=str(form.get("next_review", "")).strip() or None,
            reason=str(form.get("reason", "")),
            expected_version=version,
        )

    with who.acting():
        done = _("The review decision is recorded.")
    return await _act(
        request,
        eng,
        who,
        area,
        "review",
        call,
        done,
        anchor="agreement",
        fields=("decision", "next_review", "reason"),
    )


@router.post("/areas/{area}/dossier/final")
async def record_final(
    area: str, request: Request, who: Caller = Who, eng: Engine = Eng
) -> Response:
    def call(form: FormData, version: int | None) -> None:
        eng.record_final_document(
            area, format=str(form.get("format", "html")), actor=who.person, expected_version=version
        )

    with who.acting():
        done = _("The final documentation is recorded.")
    return await _act(
        request, eng, who, area, "final", call, done, anchor="final", fields=("format",)
    )
