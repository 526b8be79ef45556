"""Many areas as aggregates in a few queries: the SQL store's
``load_areas``.  Each query names at most one batch of area ids (a fixed
number of bound parameters, never one per area of the database); the
overview and the inbox read a person's areas batch by batch this way
instead of six queries per area."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from regsam_flow.audit import parse_ts
from regsam_flow.model import Agreement, AreaAggregate, TaskStatus

__all__ = ["load_areas"]


def load_areas(
    conn: Connection, ids: Sequence[str], area_cols: str, make_area: Any
) -> dict[str, AreaAggregate]:
    """The aggregates of the areas ``ids`` (one batch; unknown ids are left
    out), each as :meth:`UnitOfWork.load_area` reads it."""
    if not ids:
        return {}
    keys = {f"i{n}": area_id for n, area_id in enumerate(ids)}
    among = "(" + ", ".join(":" + k for k in keys) + ")"

    def rows(sql: str) -> Any:
        return conn.execute(text(sql.replace("(:ids)", among)), keys)

    areas = {r.id: make_area(r) for r in rows(f"SELECT {area_cols} FROM areas WHERE id IN (:ids)")}
    assignments: dict[str, list[tuple[str, str]]] = {}
    for r in rows(
        "SELECT area_id, role, person_id FROM assignments WHERE area_id IN (:ids) "
        "ORDER BY area_id, role, person_id"
    ):
        assignments.setdefault(r.area_id, []).append((r.role, r.person_id))
    tasks: dict[str, dict[str, TaskStatus]] = {}
    for r in rows(
        "SELECT area_id, task_id, done, done_by, done_at, note FROM tasks WHERE area_id IN (:ids)"
    ):
        tasks.setdefault(r.area_id, {})[r.task_id] = TaskStatus(
            r.task_id, bool(r.done), r.done_by, parse_ts(r.done_at) if r.done_at else None, r.note
        )
    approvals: dict[str, dict[str, dict[str, str]]] = {}
    for r in rows(
        'SELECT area_id, round, "trigger", role, person_id FROM approvals WHERE area_id IN (:ids)'
    ):
        area = areas.get(r.area_id)
        if area is not None and r.round == area.round:
            approvals.setdefault(r.area_id, {}).setdefault(r.trigger, {})[r.role] = r.person_id
    agreement_rows: dict[str, list[Any]] = {}
    for r in rows(
        "SELECT a.area_id, a.version, a.topic, a.scope, a.reasons, a.partners, a.terms, "
        "a.duration, a.start, a.review, a.created_at, a.created_by, s.role, s.person_id "
        "FROM agreements a LEFT JOIN signatures s "
        "ON s.area_id = a.area_id AND s.version = a.version "
        "WHERE a.area_id IN (:ids) AND a.version = "
        "(SELECT MAX(version) FROM agreements b WHERE b.area_id = a.area_id)"
    ):
        agreement_rows.setdefault(r.area_id, []).append(r)
    fields: dict[str, dict[str, Any]] = {}
    for r in rows("SELECT area_id, field_id, value FROM fields WHERE area_id IN (:ids)"):
        fields.setdefault(r.area_id, {})[r.field_id] = json.loads(r.value)
    return {
        area_id: AreaAggregate(
            area=area,
            assignments=tuple(assignments.get(area_id, ())),
            tasks=tasks.get(area_id, {}),
            approvals=approvals.get(area_id, {}),
            agreement=agreement_of(agreement_rows.get(area_id)),
            fields=fields.get(area_id, {}),
        )
        for area_id, area in areas.items()
    }


def agreement_of(rows: Sequence[Any] | None) -> Agreement | None:
    """The agreement from its rows (one per signature, the first carrying the
    agreement's fields; a row without signature has role None); None without rows."""
    if not rows:
        return None
    row = rows[0]
    return Agreement(
        version=row.version,
        topic=row.topic,
        scope=row.scope,
        reasons=row.reasons,
        partners=row.partners,
        terms=row.terms,
        duration=row.duration,
        start=date.fromisoformat(row.start) if row.start else None,
        review=date.fromisoformat(row.review) if row.review else None,
        created_at=parse_ts(row.created_at),
        created_by=row.created_by,
        signatures={r.role: r.person_id for r in rows if r.role is not None},
    )
