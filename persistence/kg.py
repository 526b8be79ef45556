"""The Kooperationsgremium's records on the unit of work's connection:
meetings, attachments, goals, measures, adopted catalogue versions, work
orders, missing resources."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, CursorResult, func, insert, select, update

from regsam_flow.audit import format_ts, parse_ts
from regsam_flow.kg import (
    Attachment,
    Attendee,
    CatalogueVersion,
    Goal,
    Measure,
    Meeting,
    MissingResource,
    Responsible,
    WorkOrder,
    catalogue_goals,
    catalogue_json,
)
from regsam_flow.ports import KgUnitOfWork

from . import schema as s

__all__ = ["SqlKg"]


def _new_id(result: CursorResult[Any]) -> int:
    """The id the database gave the row just inserted."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _attachment(r: Any) -> Attachment:
    return Attachment(r.id, r.meeting_id, r.filename, r.media_type, r.size, r.sha256)


class SqlKg(KgUnitOfWork):
    """Reads and writes of the KG's records."""

    conn: Connection

    def add_meeting(
        self,
        area_id: str,
        held_on: date,
        place: str,
        planned: bool,
        attendees: Sequence[Attendee],
        decisions: Sequence[str],
        minutes: str,
        by: str,
        at: datetime,
    ) -> int:
        result = self.conn.execute(
            insert(s.kg_meetings).values(
                area_id=area_id,
                held_on=held_on.isoformat(),
                place=place,
                planned=planned,
                minutes=minutes,
                recorded_by=by,
                recorded_at=format_ts(at),
            )
        )
        meeting_id = _new_id(result)
        if attendees:
            self.conn.execute(
                insert(s.kg_attendees),
                [
                    {
                        "meeting_id": meeting_id,
                        "position": i,
                        "person_id": a.person,
                        "guest": a.guest,
                    }
                    for i, a in enumerate(attendees)
                ],
            )
        if decisions:
            self.conn.execute(
                insert(s.kg_decisions),
                [
                    {"meeting_id": meeting_id, "position": i, "text": d}
                    for i, d in enumerate(decisions)
                ],
            )
        return meeting_id

    def list_meetings(self, area_id: str) -> list[Meeting]:
        m, a, d, f = s.kg_meetings, s.kg_attendees, s.kg_decisions, s.kg_attachments
        rows = list(
            self.conn.execute(select(m).where(m.c.area_id == area_id).order_by(m.c.held_on, m.c.id))
        )
        if not rows:
            return []
        ids = [r.id for r in rows]
        attendees: dict[int, list[Attendee]] = {}
        for r in self.conn.execute(
            select(a).where(a.c.meeting_id.in_(ids)).order_by(a.c.meeting_id, a.c.position)
        ):
            attendees.setdefault(r.meeting_id, []).append(Attendee(r.person_id, r.guest))
        decisions: dict[int, list[str]] = {}
        for r in self.conn.execute(
            select(d).where(d.c.meeting_id.in_(ids)).order_by(d.c.meeting_id, d.c.position)
        ):
            decisions.setdefault(r.meeting_id, []).append(r.text)
        files: dict[int, list[Attachment]] = {}
        for r in self.conn.execute(
            select(f.c.id, f.c.meeting_id, f.c.filename, f.c.media_type, f.c.size, f.c.sha256)
            .where(f.c.meeting_id.in_(ids))
            .order_by(f.c.id)
        ):
            files.setdefault(r.meeting_id, []).append(_attachment(r))
        return [
            Meeting(
                id=r.id,
                area=r.area_id,
                number=n,
                held_on=date.fromisoformat(r.held_on),
                place=r.place,
                planned=bool(r.planned),
                attendees=tuple(attendees.get(r.id, ())),
                decisions=tuple(decisions.get(r.id, ())),
                minutes=r.minutes,
                attachments=tuple(files.get(r.id, ())),
                recorded_by=r.recorded_by,
                recorded_at=parse_ts(r.recorded_at),
            )
            for n, r in enumerate(rows, start=1)
        ]

    def add_attachment(
        self, meeting_id: int, filename: str, media_type: str, content: bytes, sha256: str
    ) -> Attachment:
        result = self.conn.execute(
            insert(s.kg_attachments).values(
                meeting_id=meeting_id,
                filename=filename,
                media_type=media_type,
                size=len(content),
                sha256=sha256,
                content=content,
            )
        )
        new_id = _new_id(result)
        return Attachment(new_id, meeting_id, filename, media_type, len(content), sha256)

    def attachment_content(self, attachment_id: int) -> bytes | None:
        f = s.kg_attachments
        value = self.conn.execute(select(f.c.content).where(f.c.id == attachment_id)).scalar()
        return bytes(value) if value is not None else None

    def add_goal(self, area_id: str, title: str, description: str) -> Goal:
        g = s.kg_goals
        last = self.conn.execute(
            select(func.max(g.c.number)).where(g.c.area_id == area_id)
        ).scalar()
        number = int(last or 0) + 1
        result = self.conn.execute(
            insert(g).values(
                area_id=area_id, number=number, title=title, description=description, rating_note=""
            )
        )
        return Goal(_new_id(result), area_id, number, title, description, ())

    def add_measure(self, goal_id: int, title: str, responsible: Responsible) -> Measure:
        result = self.conn.execute(
            insert(s.kg_measures).values(
                goal_id=goal_id,
                title=title,
                responsible_kind=responsible.kind,
                responsible_name=responsible.name,
            )
        )
        return Measure(_new_id(result), goal_id, title, responsible)

    def list_goals(self, area_id: str) -> list[Goal]:
        g, m = s.kg_goals, s.kg_measures
        rows = list(self.conn.execute(select(g).where(g.c.area_id == area_id).order_by(g.c.number)))
        if not rows:
            return []
        measures: dict[int, list[Measure]] = {}
        for r in self.conn.execute(
            select(m).where(m.c.goal_id.in_([r.id for r in rows])).order_by(m.c.id)
        ):
            measures.setdefault(r.goal_id, []).append(
                Measure(
                    r.id, r.goal_id, r.title, Responsible(r.responsible_kind, r.responsible_name)
                )
            )
        return [
            Goal(
                id=r.id,
                area=r.area_id,
                number=r.number,
                title=r.title,
                description=r.description,
                measures=tuple(measures.get(r.id, ())),
                rating=r.rating,
                rating_note=r.rating_note,
                rated_by=r.rated_by,
                rated_at=parse_ts(r.rated_at) if r.rated_at else None,
            )
            for r in rows
        ]

    def rate_goal(self, goal_id: int, rating: str, note: str, by: str, at: datetime) -> None:
        g = s.kg_goals
        self.conn.execute(
            update(g)
            .where(g.c.id == goal_id)
            .values(rating=rating, rating_note=note, rated_by=by, rated_at=format_ts(at))
        )

    def add_catalogue_version(self, version: CatalogueVersion) -> None:
        self.conn.execute(
            insert(s.kg_catalogue_versions).values(
                area_id=version.area,
                version=version.version,
                meeting_id=version.meeting,
                adopted_by=version.adopted_by,
                adopted_at=format_ts(version.adopted_at),
                goals=catalogue_json(version.goals),
                sha256=version.sha256,
            )
        )

    def catalogue_versions(self, area_id: str) -> list[CatalogueVersion]:
        c = s.kg_catalogue_versions
        rows = self.conn.execute(select(c).where(c.c.area_id == area_id).order_by(c.c.version))
        return [
            CatalogueVersion(
                area=r.area_id,
                version=r.version,
                meeting=r.meeting_id,
                adopted_by=r.adopted_by,
                adopted_at=parse_ts(r.adopted_at),
                goals=catalogue_goals(r.area_id, r.goals),
                sha256=r.sha256,
            )
            for r in rows
        ]

    def add_work_order(
        self,
        area_id: str,
        kind: str,
        title: str,
        addressee: Responsible,
        meeting_id: int,
        due: date,
        goal: int | None,
        measure: int | None,
        by: str,
        at: datetime,
    ) -> WorkOrder:
        result = self.conn.execute(
            insert(s.kg_work_orders).values(
                area_id=area_id,
                kind=kind,
                title=title,
                addressee_kind=addressee.kind,
                addressee_name=addressee.name,
                goal_number=goal,
                measure_id=measure,
                meeting_id=meeting_id,
                due=due.isoformat(),
                status="open",
                note="",
                created_by=by,
                created_at=format_ts(at),
                updated_by=by,
                updated_at=format_ts(at),
            )
        )
        when = parse_ts(format_ts(at))
        return WorkOrder(
            _new_id(result), area_id, kind, title, addressee, meeting_id, due, "open", "",
            goal, measure, by, when, by, when,
        )  # fmt: skip

    def update_work_order(
        self, order_id: int, status: str, note: str, by: str, at: datetime
    ) -> None:
        o = s.kg_work_orders
        self.conn.execute(
            update(o)
            .where(o.c.id == order_id)
            .values(status=status, note=note, updated_by=by, updated_at=format_ts(at))
        )

    def list_work_orders(self, area_id: str) -> list[WorkOrder]:
        o = s.kg_work_orders
        rows = self.conn.execute(select(o).where(o.c.area_id == area_id).order_by(o.c.id))
        return [
            WorkOrder(
                id=r.id,
                area=r.area_id,
                kind=r.kind,
                title=r.title,
                addressee=Responsible(r.addressee_kind, r.addressee_name),
                meeting=r.meeting_id,
                due=date.fromisoformat(r.due),
                status=r.status,
                note=r.note,
                goal=r.goal_number,
                measure=r.measure_id,
                created_by=r.created_by,
                created_at=parse_ts(r.created_at),
                updated_by=r.updated_by,
                updated_at=parse_ts(r.updated_at),
            )
            for r in rows
        ]

    def add_missing_resource(
        self, area_id: str, text: str, estimate: str, by: str, at: datetime
    ) -> MissingResource:
        result = self.conn.execute(
            insert(s.kg_missing_resources).values(
                area_id=area_id,
                text=text,
                estimate=estimate,
                recorded_by=by,
                recorded_at=format_ts(at),
            )
        )
        when = parse_ts(format_ts(at))
        return MissingResource(_new_id(result), area_id, text, estimate, by, when)

    def list_missing_resources(self, area_id: str) -> list[MissingResource]:
        r_ = s.kg_missing_resources
        rows = self.conn.execute(select(r_).where(r_.c.area_id == area_id).order_by(r_.c.id))
        return [
            MissingResource(
                r.id, r.area_id, r.text, r.estimate, r.recorded_by, parse_ts(r.recorded_at)
            )
            for r in rows
        ]
