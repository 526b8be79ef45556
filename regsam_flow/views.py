"""The JSON shapes of the engine's answers, shared by every front end.

The CLI's ``--json`` output and the service's JSON API build their answers
here, so both speak the same stable English keys.  Records with one obvious
shape have their own ``to_dict()`` (tasks, audit entries, next steps, the
overview, the inbox, as-of snapshots, migration plans); what a front end
puts together from several records is built here.  Free of click and of
the web stack: nothing here prints or answers requests.  The KG's shapes
are in :mod:`regsam_flow.kg_views` (``kg_state_json`` and
``final_document_json`` are re-exported here).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from .kg_views import final_document_json, kg_state_json

if TYPE_CHECKING:
    from .kg import KgState
    from .model import (
        Agreement,
        AreaStatus,
        AuditHead,
        FireResult,
        NextStep,
        Person,
        StoredWorkflow,
        TaskStatus,
    )
    from .workflows import Workflow

__all__ = [
    "agreement_json",
    "area_created_json",
    "assignment_json",
    "deployed_workflow_json",
    "final_document_json",
    "fire_result_json",
    "head_json",
    "kg_state_json",
    "next_json",
    "person_json",
    "review_json",
    "status_json",
    "task_reopened_json",
    "task_reported_json",
]


def person_json(p: Person) -> dict[str, Any]:
    """A person: id, name, email, org, global roles, decision mails."""
    return asdict(p)


def agreement_json(ag: Agreement | None) -> dict[str, Any] | None:
    """One version of an agreement (None: there is none yet)."""
    if ag is None:
        return None
    out: dict[str, Any] = {"version": ag.version, **ag.fields()}
    out["signed_by"] = sorted(ag.signatures)
    out["signatures"] = dict(ag.signatures)
    out["missing"] = ag.missing_fields()
    out["created_at"] = ag.created_at.isoformat() if ag.created_at else None
    out["created_by"] = ag.created_by
    return out


def next_json(steps: Iterable[NextStep]) -> list[dict[str, Any]]:
    """The next steps with their blockers (``why --json``)."""
    return [s.to_dict() for s in steps]


def status_json(st: AreaStatus, kg: KgState | None = None) -> dict[str, Any]:
    """An area at once (``area show --json``); with ``kg``, the KG's state
    under the key ``kg``."""
    a = st.area
    out: dict[str, Any] = {
        "area": a.id,
        "name": a.name,
        "district": a.district,
        "workflow": a.workflow,
        "workflow_version": a.workflow_version,
        "state": a.state,
        "state_title": st.state_title,
        "final": st.final,
        "version": a.version,
        "roles": st.roles,
        "agreement": agreement_json(st.agreement),
        "tasks": [t.to_dict() for t in st.tasks],
        "next": next_json(st.next),
        "fields": st.fields,
        "votes": [v.to_dict() for v in st.votes],
    }
    if kg is not None:
        out["kg"] = kg_state_json(kg)
    return out


def area_created_json(a: Any) -> dict[str, Any]:
    """A new area (``area create --json``)."""
    return {
        "area": a.id,
        "name": a.name,
        "workflow": a.workflow,
        "workflow_version": a.workflow_version,
        "state": a.state,
    }


def assignment_json(area: str, role: str, person: str, assigned: bool) -> dict[str, Any]:
    """A role given or taken (``area assign|unassign --json``)."""
    return {"area": area, "role": role, "user": person, "assigned": assigned}


def task_reported_json(area: str, task: str, st: TaskStatus) -> dict[str, Any]:
    """A task reported done (``task done --json``)."""
    return {
        "area": area,
        "task": task,
        "done": True,
        "done_by": st.done_by,
        "done_at": st.done_at.isoformat() if st.done_at else None,
        "note": st.note,
    }


def task_reopened_json(area: str, task: str, reason: str) -> dict[str, Any]:
    """A task open again (``task reopen --json``)."""
    return {"area": area, "task": task, "done": False, "reason": reason}


def fire_result_json(r: FireResult) -> dict[str, Any]:
    """What firing a transition did (``advance``/``transition --json``)."""
    return {
        "area": r.area,
        "trigger": r.trigger,
        "fired": r.fired,
        "from_state": r.from_state,
        "to_state": r.to_state,
        "role": r.role,
        "missing": list(r.missing),
        "seq": r.seq,
    }


def review_json(area: str, decision: str, ag: Agreement | None) -> dict[str, Any]:
    """A review decision (``review --json``); ``ag`` the agreement after it."""
    return {
        "area": area,
        "decision": decision,
        "next_review": ag.review.isoformat()
        if decision == "continue" and ag and ag.review
        else None,
    }


def head_json(head: AuditHead) -> dict[str, Any]:
    """The audit log's head (``audit head --json``)."""
    return {"entries": head.entries, "hash": head.hash, "head": str(head)}


def deployed_workflow_json(w: Workflow, stored: StoredWorkflow) -> dict[str, Any]:
    """A deployed workflow version (a row of ``workflow list --json``)."""
    return {
        "name": w.name,
        "version": w.version,
        "title": w.definition.title,
        "states": len(w.definition.states),
        "deployed": True,
        "status": "deployed",
        "source": stored.source,
        "hash": stored.hash,
        "deployed_by": stored.deployed_by,
        "file": None,
    }
