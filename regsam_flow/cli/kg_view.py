"""The KG's state of an area (:class:`~regsam_flow.kg.KgState`) as `area
show` and `why` print it, and as JSON (the key ``kg`` of `area show
--json`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from regsam_flow.i18n import _
from regsam_flow.views import final_document_json, kg_state_json

from .output import date_de, echo, time_de, wrapped

if TYPE_CHECKING:
    from regsam_flow.kg import KgState, Meeting

__all__ = ["final_document_json", "kg_state_json", "print_kg_state"]


def _meeting_text(m: Meeting) -> str:
    if m.place:
        return _("{number} on {date} ({place})").format(
            number=m.number, date=date_de(m.held_on), place=m.place
        )
    return _("{number} on {date}").format(number=m.number, date=date_de(m.held_on))


def print_kg_state(kg: KgState) -> None:
    """The KG section: one line per kind of record (nothing if the area has
    no KG record and its workflow no KG guard)."""
    if kg.empty:
        return
    meetings = _("{held} held, {planned} planned").format(
        held=kg.meetings_held, planned=kg.meetings_planned
    )
    if kg.last_meeting:
        meetings += _("; last {meeting}").format(meeting=_meeting_text(kg.last_meeting))
    if kg.next_meeting:
        meetings += _("; next {meeting}").format(meeting=_meeting_text(kg.next_meeting))
    if kg.adopted_version is None:
        catalogue = _("not adopted")
    elif kg.changed_since_adoption:
        catalogue = _("version {version} adopted; changed since: adopt it again").format(
            version=kg.adopted_version
        )
    else:
        catalogue = _("version {version} adopted, unchanged").format(version=kg.adopted_version)
    doc = kg.final_document
    if doc is None:
        final = _("not recorded")
    else:
        final = _("recorded {time} by {person}, {format}, sha256 {sha256}").format(
            time=time_de(doc.recorded_at),
            person=doc.recorded_by,
            format=doc.format,
            sha256=doc.sha256,
        )
        if doc.stale:
            final += _("; STALE: the data changed since ({changes}), record it again").format(
                changes=", ".join(dict.fromkeys(doc.changes_since))
            )
    rows = [
        (_("meetings"), meetings),
        (_("catalogue"), catalogue),
        (
            _("goals"),
            _("{goals}: {with_measures} with measures, {rated} of {goals} rated").format(
                goals=kg.goals, with_measures=kg.goals_with_measures, rated=kg.goals_rated
            ),
        ),
        (
            _("orders"),
            _("{open} open ({overdue} overdue), {done} done, {declined} declined").format(
                open=kg.orders_open,
                overdue=kg.orders_overdue,
                done=kg.orders_done,
                declined=kg.orders_declined,
            ),
        ),
        (_("missing resources"), str(kg.missing_resources)),
        (_("final documentation"), final),
    ]
    echo(
        "\nKG"
        + ("" if kg.guards else " " + _("(its records guard no step of this workflow version)"))
    )
    label_w = max(len(k) for k, _v in rows) + 1
    for key, value in rows:
        echo(wrapped(f"{(key + ':').ljust(label_w)} {value}", 2, label_w + 1))
