"""An area as one aggregate, read with one SQL statement.

:meth:`UnitOfWork.load_area <regsam_flow.ports.UnitOfWork.load_area>` needs
the area, its assignments, tasks, the approvals of its current round, its
newest agreement with signatures and its fields.  Read one table at a time
that is six statements, and on SQLite each costs more in the driver layers
than in SQLite itself; over a network each is a round trip.  Here the six
reads are one ``UNION ALL``: every row carries its ``kind`` and puts its
values in shared columns (whole numbers in ``i1``-``i3``, text in
``t1``-``t12``, so that PostgreSQL finds one type per column), and
:func:`decode` sorts them back into an :class:`AreaAggregate`.  Every read of
the statement sees the same snapshot, as the six reads of one unit did.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import text

from regsam_flow.audit import parse_ts
from regsam_flow.model import Agreement, Approvals, Area, AreaAggregate, TaskStatus

from .prepared import Prepared

__all__ = ["LOAD_AREA", "decode"]

_AREA, _ASSIGNMENT, _TASK, _APPROVAL, _AGREEMENT, _FIELD = range(6)
_INTS = 3
_TEXTS = 12


def _branch(kind: int, ints: Sequence[str], texts: Sequence[str], rest: str) -> str:
    """One ``SELECT`` of the union: ``kind``, the whole numbers, the texts
    (missing ones as typed NULLs), then ``FROM ... WHERE ...``."""
    cols = [str(kind)]
    cols += list(ints) + ["CAST(NULL AS INTEGER)"] * (_INTS - len(ints))
    cols += list(texts) + ["CAST(NULL AS TEXT)"] * (_TEXTS - len(texts))
    return f"SELECT {', '.join(cols)} {rest}"


_BRANCHES = (
    _branch(
        _AREA,
        ("workflow_version", "version", "round"),
        ("id", "name", "district", "workflow", "state", "created_at", "updated_at"),
        "FROM areas WHERE id = :area",
    ),
    _branch(_ASSIGNMENT, (), ("role", "person_id"), "FROM assignments WHERE area_id = :area"),
    _branch(
        _TASK,
        ("CASE WHEN done THEN 1 ELSE 0 END",),
        ("task_id", "done_by", "done_at", "note"),
        "FROM tasks WHERE area_id = :area",
    ),
    _branch(
        _APPROVAL,
        (),
        ('"trigger"', "role", "person_id"),
        "FROM approvals WHERE area_id = :area "
        "AND round = (SELECT round FROM areas WHERE id = :area)",
    ),
    _branch(
        _AGREEMENT,
        ("g.version",),
        (
            "g.topic",
            "g.scope",
            "g.reasons",
            "g.partners",
            "g.terms",
            "g.duration",
            "g.start",
            "g.review",
            "g.created_at",
            "g.created_by",
            "s.role",
            "s.person_id",
        ),
        "FROM agreements g LEFT JOIN signatures s "
        "ON s.area_id = g.area_id AND s.version = g.version "
        "WHERE g.area_id = :area "
        "AND g.version = (SELECT MAX(version) FROM agreements WHERE area_id = :area)",
    ),
    _branch(_FIELD, (), ("field_id", "value"), "FROM fields WHERE area_id = :area"),
)

#: The aggregate of area ``:area``: rows ordered by kind, then (for the
#: assignments) by role and person, as ``get_assignments`` orders them; run
#: on the driver's cursor (see ``prepared``).
LOAD_AREA = Prepared(text(" UNION ALL ".join(_BRANCHES) + " ORDER BY 1, 5, 6"))


def decode(rows: Iterable[Sequence[Any]]) -> AreaAggregate | None:
    """The aggregate from the rows of :data:`LOAD_AREA`; None without an area row."""
    area: Area | None = None
    assignments: list[tuple[str, str]] = []
    tasks: dict[str, TaskStatus] = {}
    approvals: Approvals = {}
    agreement: Agreement | None = None
    signatures: dict[str, str] = {}
    fields: dict[str, Any] = {}
    for kind, i1, i2, i3, *t in rows:
        if kind == _AREA:
            area = Area(
                id=t[0],
                name=t[1],
                district=t[2],
                workflow=t[3],
                workflow_version=int(i1),
                state=t[4],
                version=int(i2),
                round=int(i3),
                created_at=parse_ts(t[5]),
                updated_at=parse_ts(t[6]),
            )
        elif kind == _ASSIGNMENT:
            assignments.append((t[0], t[1]))
        elif kind == _TASK:
            tasks[t[0]] = TaskStatus(t[0], bool(i1), t[1], parse_ts(t[2]) if t[2] else None, t[3])
        elif kind == _APPROVAL:
            approvals.setdefault(t[0], {})[t[1]] = t[2]
        elif kind == _AGREEMENT:
            if agreement is None:
                agreement = Agreement(
                    version=int(i1),
                    topic=t[0],
                    scope=t[1],
                    reasons=t[2],
                    partners=t[3],
                    terms=t[4],
                    duration=t[5],
                    start=date.fromisoformat(t[6]) if t[6] else None,
                    review=date.fromisoformat(t[7]) if t[7] else None,
                    created_at=parse_ts(t[8]),
                    created_by=t[9],
                    signatures=signatures,
                )
            if t[10] is not None:
                signatures[t[10]] = t[11]
        elif kind == _FIELD:
            fields[t[0]] = json.loads(t[1])
    if area is None:
        return None
    return AreaAggregate(
        area=area,
        assignments=tuple(assignments),
        tasks=tasks,
        approvals=approvals,
        agreement=agreement,
        fields=fields,
    )
