"""Fields and votes of an instance on the unit of work's connection."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Connection, and_, insert, select, update

from regsam_flow.audit import format_ts
from regsam_flow.model import FieldValue, Vote
from regsam_flow.ports import InstanceDataUnitOfWork

from . import schema as s

__all__ = ["SqlInstanceData"]


class SqlInstanceData(InstanceDataUnitOfWork):
    """Reads and writes of instance fields and votes."""

    conn: Connection

    def get_fields(self, area_id: str) -> dict[str, FieldValue]:
        f = s.fields
        rows = self.conn.execute(select(f.c.field_id, f.c.value).where(f.c.area_id == area_id))
        return {r.field_id: json.loads(r.value) for r in rows}

    def set_field(
        self, area_id: str, field_id: str, value: FieldValue, by: str, at: datetime
    ) -> None:
        f = s.fields
        values = {
            "value": json.dumps(value, ensure_ascii=False),
            "set_by": by,
            "set_at": format_ts(at),
        }
        result = self.conn.execute(
            update(f).where(and_(f.c.area_id == area_id, f.c.field_id == field_id)).values(values)
        )
        if result.rowcount == 0:
            self.conn.execute(insert(f).values(area_id=area_id, field_id=field_id, **values))

    def get_votes(self, area_id: str, round: int | None = None) -> list[Vote]:
        v = s.votes
        cond = v.c.area_id == area_id
        if round is not None:
            cond = and_(cond, v.c.round == round)
        rows = self.conn.execute(
            select(v.c.person_id, v.c.role, v.c.vote, v.c.reason, v.c.round)
            .where(cond)
            .order_by(v.c.round, v.c.at, v.c.person_id)
        )
        return [Vote(r.person_id, r.role, bool(r.vote), r.reason, r.round) for r in rows]

    def add_vote(self, area_id: str, round: int, vote: Vote, at: datetime) -> None:
        self.conn.execute(
            insert(s.votes).values(
                area_id=area_id,
                round=round,
                person_id=vote.person,
                role=vote.role,
                vote=vote.yes,
                reason=vote.reason,
                at=format_ts(at),
            )
        )
