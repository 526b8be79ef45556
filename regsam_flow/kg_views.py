"""The KG's records, the selection's results and the final documentation's
check as JSON: the dicts the CLI prints with ``--json`` and the service's
JSON API answers, built in one place so both say the same with the same
stable English keys.

Plain functions over the records of :mod:`regsam_flow.kg` and
:mod:`regsam_flow.model`; no front end, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .kg import (
        Attachment,
        CatalogueVersion,
        DocumentCheck,
        FinalDocument,
        Goal,
        KgFacts,
        KgState,
        Measure,
        Meeting,
        MissingResource,
        Responsible,
        WorkOrder,
    )
    from .model import Assessment, Ballot, Candidate, FireResult

__all__ = [
    "assessment_json",
    "attachment_json",
    "ballot_json",
    "candidate_json",
    "catalogue_view_json",
    "decision_json",
    "document_check_json",
    "final_document_json",
    "goal_json",
    "kg_facts_json",
    "kg_state_json",
    "measure_json",
    "meeting_json",
    "order_json",
    "resource_json",
    "responsible_json",
    "version_json",
]


def responsible_json(r: Responsible) -> dict[str, str]:
    """Who is responsible (or addressed), as JSON."""
    return {"kind": r.kind, "name": r.name}


# ---------------------------------------------------------------- meetings
def attachment_json(a: Attachment) -> dict[str, Any]:
    """A meeting's attachment (without its bytes)."""
    return {
        "id": a.id,
        "filename": a.filename,
        "media_type": a.media_type,
        "size": a.size,
        "sha256": a.sha256,
    }


def meeting_json(m: Meeting) -> dict[str, Any]:
    """A meeting as JSON (stable English keys)."""
    return {
        "id": m.id,
        "area": m.area,
        "number": m.number,
        "date": m.held_on.isoformat(),
        "place": m.place,
        "planned": m.planned,
        "attendees": [{"person": a.person, "guest": a.guest} for a in m.attendees],
        "decisions": list(m.decisions),
        "minutes": m.minutes,
        "attachments": [attachment_json(a) for a in m.attachments],
        "recorded_by": m.recorded_by,
        "recorded_at": m.recorded_at.isoformat(),
    }


# --------------------------------------------------------------- catalogue
def measure_json(goal: int, m: Measure) -> dict[str, Any]:
    """A measure added to goal number ``goal``."""
    return {
        "goal": goal,
        "id": m.id,
        "title": m.title,
        "responsible": responsible_json(m.responsible),
    }


def goal_json(g: Goal) -> dict[str, Any]:
    """A goal with its measures as JSON."""
    return {
        "number": g.number,
        "title": g.title,
        "description": g.description,
        "measures": [
            {"id": m.id, "title": m.title, "responsible": responsible_json(m.responsible)}
            for m in g.measures
        ],
        "rating": g.rating,
        "rating_note": g.rating_note,
        "rated_by": g.rated_by,
        "rated_at": g.rated_at.isoformat() if g.rated_at else None,
    }


def version_json(v: CatalogueVersion) -> dict[str, Any]:
    """An adopted catalogue version as JSON (its goals as frozen)."""
    return {
        "area": v.area,
        "version": v.version,
        "meeting": v.meeting,
        "adopted_by": v.adopted_by,
        "adopted_at": v.adopted_at.isoformat(),
        "sha256": v.sha256,
        "goals": [
            {k: value for k, value in goal_json(g).items() if not k.startswith("rat")}
            for g in v.goals
        ],
    }


def catalogue_view_json(
    area: str,
    facts: KgFacts,
    versions: Sequence[CatalogueVersion],
    chosen: CatalogueVersion | None,
) -> dict[str, Any]:
    """The adopted versions of an area's catalogue, whether it changed since
    the last adoption, and one version (``chosen``) in full."""
    return {
        "area": area,
        "adopted_version": facts.adopted_version,
        "changed_since_adoption": facts.changed_since_adoption,
        "versions": [
            {
                "version": v.version,
                "meeting": v.meeting,
                "adopted_by": v.adopted_by,
                "adopted_at": v.adopted_at.isoformat(),
                "sha256": v.sha256,
            }
            for v in versions
        ],
        "catalogue": version_json(chosen) if chosen else None,
    }


# ------------------------------------------------------ orders, resources
def order_json(o: WorkOrder) -> dict[str, Any]:
    """A work order or recommendation as JSON."""
    return {
        "id": o.id,
        "area": o.area,
        "kind": o.kind,
        "title": o.title,
        "addressee": responsible_json(o.addressee),
        "meeting": o.meeting,
        "due": o.due.isoformat(),
        "status": o.status,
        "note": o.note,
        "goal": o.goal,
        "measure": o.measure,
        "created_by": o.created_by,
        "created_at": o.created_at.isoformat(),
        "updated_by": o.updated_by,
        "updated_at": o.updated_at.isoformat(),
    }


def resource_json(r: MissingResource) -> dict[str, Any]:
    """A missing resource as JSON."""
    return {
        "id": r.id,
        "area": r.area,
        "text": r.text,
        "estimate": r.estimate,
        "recorded_by": r.recorded_by,
        "recorded_at": r.recorded_at.isoformat(),
    }


# ---------------------------------------------------------------- KG state
def _meeting_brief(m: Meeting | None) -> dict[str, Any] | None:
    if m is None:
        return None
    return {"id": m.id, "number": m.number, "held_on": m.held_on.isoformat(), "place": m.place}


def kg_state_json(kg: KgState) -> dict[str, Any]:
    """The KG's state as JSON: stable English keys."""
    return {
        "guards": list(kg.guards),
        "meetings": {
            "held": kg.meetings_held,
            "planned": kg.meetings_planned,
            "last": _meeting_brief(kg.last_meeting),
            "next": _meeting_brief(kg.next_meeting),
        },
        "catalogue": {
            "adopted_version": kg.adopted_version,
            "changed_since_adoption": kg.changed_since_adoption,
        },
        "goals": {
            "total": kg.goals,
            "with_measures": kg.goals_with_measures,
            "rated": kg.goals_rated,
        },
        "orders": {
            "open": kg.orders_open,
            "overdue": kg.orders_overdue,
            "done": kg.orders_done,
            "declined": kg.orders_declined,
        },
        "missing_resources": kg.missing_resources,
        "final_document": final_document_json(kg.final_document),
    }


# ----------------------------------------------------- final documentation
def final_document_json(doc: FinalDocument | None) -> dict[str, Any] | None:
    """The recorded final documentation as JSON (None: none recorded)."""
    if doc is None:
        return None
    return {
        "format": doc.format,
        "size": doc.size,
        "sha256": doc.sha256,
        "recorded_by": doc.recorded_by,
        "recorded_at": doc.recorded_at.isoformat(),
        "stale": doc.stale,
        "changes_since": list(doc.changes_since),
    }


def document_check_json(area: str, file: str, result: DocumentCheck) -> dict[str, Any]:
    """Whether a file (named ``file``) is the area's recorded final documentation."""
    return {
        "area": area,
        "file": file,
        "size": result.size,
        "sha256": result.sha256,
        "matches": result.matches,
        "recorded": final_document_json(result.recorded),
    }


# --------------------------------------------------------------- selection
def candidate_json(c: Candidate) -> dict[str, Any]:
    """A candidate of the selection, with its phase."""
    return {
        "candidate": c.id,
        "name": c.name,
        "round": c.round,
        "source": c.source,
        "state": c.state,
        "area": c.area,
    }


def assessment_json(done: Assessment) -> dict[str, Any]:
    """What an assessment did: the fields still missing, or the phase reached."""
    return {
        "candidate": done.candidate,
        "missing": list(done.missing),
        "state": done.result.to_state if done.result else None,
    }


def ballot_json(candidate: str, ballot: Ballot) -> dict[str, Any]:
    """A vote cast: the choice and, once the last seat voted, the outcome."""
    return {
        "candidate": candidate,
        "vote": "yes" if ballot.vote.yes else "no",
        "outcome": ballot.result.to_state if ballot.result else None,
    }


def decision_json(candidate: str, decision: str, result: FireResult) -> dict[str, Any]:
    """A decision of the ARGE or the head of the social department."""
    return {"candidate": candidate, "decision": decision, "state": result.to_state}


def kg_facts_json(area: str, facts: KgFacts) -> dict[str, Any]:
    """What the KG's guards look at, as JSON."""
    return {
        "area": area,
        "adopted_version": facts.adopted_version,
        "changed_since_adoption": facts.changed_since_adoption,
        "goals": [goal_json(g) for g in facts.goals],
        "final_document": final_document_json(facts.final_document),
    }
