"""The KG's state of an area (:class:`~regsam_flow.kg.KgState`) as `area
show` and `why` print it, and as JSON (the key ``kg`` of `area show
--json`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .output import date_de, echo, time_de, wrapped

if TYPE_CHECKING:
    from regsam_flow.kg import FinalDocument, KgState, Meeting

__all__ = ["final_document_json", "kg_state_json", "print_kg_state"]


def _meeting_json(m: Meeting | None) -> dict[str, Any] | None:
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
            "last": _meeting_json(kg.last_meeting),
            "next": _meeting_json(kg.next_meeting),
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


def _meeting_text(m: Meeting) -> str:
    return f"{m.number} on {date_de(m.held_on)}" + (f" ({m.place})" if m.place else "")


def print_kg_state(kg: KgState) -> None:
    """The KG section: one line per kind of record (nothing if the area has
    no KG record and its workflow no KG guard)."""
    if kg.empty:
        return
    meetings = f"{kg.meetings_held} held, {kg.meetings_planned} planned"
    if kg.last_meeting:
        meetings += f"; last {_meeting_text(kg.last_meeting)}"
    if kg.next_meeting:
        meetings += f"; next {_meeting_text(kg.next_meeting)}"
    if kg.adopted_version is None:
        catalogue = "not adopted"
    else:
        catalogue = f"version {kg.adopted_version} adopted" + (
            "; changed since: adopt it again" if kg.changed_since_adoption else ", unchanged"
        )
    doc = kg.final_document
    final = (
        "not recorded"
        if doc is None
        else f"recorded {time_de(doc.recorded_at)} by {doc.recorded_by}, {doc.format}, "
        f"sha256 {doc.sha256}"
        + (
            f"; STALE: the data changed since ({', '.join(dict.fromkeys(doc.changes_since))}), "
            "record it again"
            if doc.stale
            else ""
        )
    )
    rows = [
        ("meetings", meetings),
        ("catalogue", catalogue),
        (
            "goals",
            f"{kg.goals}: {kg.goals_with_measures} with measures, "
            f"{kg.goals_rated} of {kg.goals} rated",
        ),
        (
            "orders",
            f"{kg.orders_open} open ({kg.orders_overdue} overdue), {kg.orders_done} done, "
            f"{kg.orders_declined} declined",
        ),
        ("missing resources", str(kg.missing_resources)),
        ("final documentation", final),
    ]
    echo("\nKG" + ("" if kg.guards else " (its records guard no step of this workflow version)"))
    label_w = max(len(k) for k, _ in rows) + 1
    for key, value in rows:
        echo(wrapped(f"{(key + ':').ljust(label_w)} {value}", 2, label_w + 1))
