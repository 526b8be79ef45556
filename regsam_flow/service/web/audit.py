"""Prüfung: the audit log with filters, its verification and its exact export.

For auditors and admins (anyone else gets the page of a missing one).  Nothing
here changes anything: verifying recomputes the chain, the export writes every
stored field exactly as it was hashed, so anyone can re-hash it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ...audit import parse_ts
from ...dates import parse_when
from ...errors import InvalidInputError
from ...i18n import N_, _, format_datetime
from ...model import AuditEntry
from ..api.params import Who
from ..deps import Caller, engine
from .render import page
from .webcommon import require_global

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

PER_PAGE = 50
#: The kinds of audit entries, for people (the code stays in the export).
ACTION_TITLES = {
    "agreement_changed": N_("agreement changed"),
    "agreement_signed": N_("agreement signed"),
    "api_token_created": N_("API token created"),
    "api_token_revoked": N_("API token revoked"),
    "approval": N_("approval given"),
    "area_created": N_("area created"),
    "assigned": N_("role assigned"),
    "attachment_added": N_("attachment added"),
    "catalogue_adopted": N_("catalogue adopted"),
    "fields_set": N_("fields set"),
    "final_documentation_recorded": N_("final documentation recorded"),
    "goal_added": N_("goal added"),
    "goal_rated": N_("goal rated"),
    "kg_mail_cancelled": N_("KG mail cancelled"),
    "kg_mail_failed": N_("KG mail failed"),
    "kg_mail_sent": N_("KG mail sent"),
    "mail_preference_changed": N_("mail preference changed"),
    "measure_added": N_("measure added"),
    "meeting_planned": N_("meeting planned"),
    "meeting_recorded": N_("meeting recorded"),
    "order_issued": N_("work order issued"),
    "order_reported": N_("work order reported"),
    "person_added": N_("person added"),
    "person_promoted": N_("global role given"),
    "reminder_failed": N_("reminder failed"),
    "reminder_requeued": N_("reminder queued again"),
    "reminder_restored": N_("reminder restored"),
    "reminder_sent": N_("reminder sent"),
    "resource_added": N_("missing resource recorded"),
    "review_decided": N_("review decided"),
    "signed_in": N_("signed in"),
    "signed_out": N_("signed out"),
    "signed_out_everywhere": N_("signed out everywhere"),
    "task_reopened": N_("task reopened"),
    "task_reported": N_("task reported"),
    "transition": N_("phase changed"),
    "unassigned": N_("role taken away"),
    "vote_cast": N_("vote cast"),
    "workflow_deployed": N_("workflow deployed"),
    "workflow_migrated": N_("area moved to another version"),
}


def action_title(action: str) -> str:
    """An entry's kind as people read it (its code if it has no title)."""
    title = ACTION_TITLES.get(action)
    return _(title) if title else action


def _moment(text: str, field: str, *, end_of_day: bool = False) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    timed = " " in text or "T" in text
    return parse_when(text, field, end_of_day=end_of_day and not timed)


def _what(e: AuditEntry) -> str:
    """One line saying what an entry did (the CLI's words)."""
    from ...audit_summary import entry_summary

    return entry_summary(e.to_dict())


def _rows(entries: list[AuditEntry]) -> list[dict[str, Any]]:
    return [
        {
            "seq": e.seq,
            "at": e.at,
            "when": format_datetime(parse_ts(e.at)),
            "actor": e.actor,
            "role": e.role,
            "area": e.area,
            "action": e.action,
            "action_title": action_title(e.action),
            "what": _what(e),
        }
        for e in entries
    ]


def _log_page(
    request: Request, who: Caller, status_code: int = 200, verified: Any = None
) -> HTMLResponse:
    eng = engine(request)
    q = request.query_params
    typed = {k: q.get(k, "").strip() for k in ("area", "person", "since", "until", "kind")}
    errors: dict[str, str] = {}
    entries: list[AuditEntry] = []
    with who.acting():
        require_global(eng, who, "auditor", "admin")
        try:
            start = _moment(typed["since"], "since")
            end = _moment(typed["until"], "until", end_of_day=True)
            if start and end and end < start:
                raise InvalidInputError(_("until lies before since"), field="until")
            entries = eng.history(
                actor=who.person,
                area=typed["area"] or None,
                since=start,
                until=end,
                by=typed["person"] or None,
            )
        except InvalidInputError as err:
            errors[err.field or "since"] = str(err)
            status_code = 422
        kinds = sorted(
            ((a, action_title(a)) for a in {e.action for e in eng.history(actor=who.person)}),
            key=lambda k: k[1].lower(),
        )
        if typed["kind"]:
            entries = [e for e in entries if e.action == typed["kind"]]
        entries.reverse()  # newest first
        try:
            number = max(1, int(q.get("page", "1")))
        except ValueError:
            number = 1
        pages = max(1, -(-len(entries) // PER_PAGE))
        number = min(number, pages)
        shown = entries[(number - 1) * PER_PAGE : number * PER_PAGE]
        head = eng.head(actor=who.person)
        rows = _rows(shown)
    query = {k: v for k, v in typed.items() if v}
    return page(
        request,
        "audit.html",
        status_code=status_code,
        typed=typed,
        errors=errors,
        kinds=kinds,
        rows=rows,
        total=len(entries),
        number=number,
        pages=pages,
        query=query,
        head=head,
        verified=verified,
    )


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, who: Who) -> HTMLResponse:
    """The log, newest first, filtered by area, person, period and kind."""
    return _log_page(request, who)


@router.post("/audit/verify", response_class=HTMLResponse)
def audit_verify(request: Request, who: Who) -> HTMLResponse:
    """Recompute the chain and show the result (changes nothing)."""
    eng = engine(request)
    with who.acting():
        require_global(eng, who, "auditor", "admin")
        result = eng.verify(actor=who.person)
    return _log_page(request, who, verified=result)


@router.get("/audit/export")
def audit_export(request: Request, who: Who) -> Response:
    """The whole log as JSON lines, with its head as the last line."""
    eng = engine(request)
    with who.acting():
        require_global(eng, who, "auditor", "admin")
        lines: list[str] = []
        eng.export_audit(lines.append, actor=who.person)
    name = f"regsam-flow-audit-{date.today():%Y%m%d}.jsonl"
    return Response(
        "".join(lines).encode("utf-8", "surrogateescape"),
        media_type="application/x-ndjson; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
