"""The KG's mail outbox on the unit of work's connection (see
:class:`~regsam_flow.ports.KgMessageUnitOfWork`), and each person's choice
whether to get the meetings' decisions by mail."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update

from regsam_flow.audit import format_ts, parse_ts
from regsam_flow.kg import KgMessage
from regsam_flow.model import ReminderChange
from regsam_flow.ports import KgMessageUnitOfWork

from . import schema as s
from .leases import claim_row, due_rows, update_row

__all__ = ["SqlKgMessages"]


def _message(row: Any) -> KgMessage:
    m = row._mapping

    def ts(name: str) -> datetime | None:
        return parse_ts(m[name]) if m[name] else None

    return KgMessage(
        id=m["id"],
        area=m["area_id"],
        kind=m["kind"],
        ref=m["ref"],
        due_at=parse_ts(m["due_at"]),
        status=m["status"],
        attempts=m["attempts"],
        next_attempt_at=ts("next_attempt_at"),
        claimed_by=m["claimed_by"],
        claimed_until=ts("claimed_until"),
        sent_at=ts("sent_at"),
        last_error=m["last_error"],
        created_at=ts("created_at"),
    )


class SqlKgMessages(KgMessageUnitOfWork):
    """Outbox reads and writes; leases as in :class:`~.reminders.SqlReminders`."""

    conn: Connection

    def add_kg_message(
        self, area_id: str, kind: str, ref: int, due_at: datetime, at: datetime
    ) -> int | None:
        k = s.kg_messages
        due = format_ts(due_at)
        slot = and_(k.c.area_id == area_id, k.c.kind == kind, k.c.ref == ref, k.c.due_at == due)
        if self.conn.execute(select(k.c.id).where(slot)).first():
            return None
        result = self.conn.execute(
            insert(k).values(
                area_id=area_id,
                kind=kind,
                ref=ref,
                due_at=due,
                status="pending",
                attempts=0,
                next_attempt_at=due,
                last_error="",
                created_at=format_ts(at),
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def cancel_kg_messages(
        self, area_id: str, *, ref: int | None = None, kinds: Sequence[str] | None = None
    ) -> int:
        k = s.kg_messages
        cond = and_(k.c.area_id == area_id, k.c.status == "pending")
        if ref is not None:
            cond = and_(cond, k.c.ref == ref)
        if kinds is not None:
            cond = and_(cond, k.c.kind.in_(list(kinds)))
        result = self.conn.execute(
            update(k).where(cond).values(status="cancelled", claimed_by=None, claimed_until=None)
        )
        return int(result.rowcount or 0)

    def due_kg_messages(self, now: datetime, limit: int) -> list[KgMessage]:
        return [_message(r) for r in due_rows(self.conn, s.kg_messages, now, limit)]

    def claim_kg_message(
        self, message_id: int, worker: str, now: datetime, until: datetime
    ) -> bool:
        return claim_row(self.conn, s.kg_messages, message_id, worker, now, until)

    def update_kg_message(
        self,
        message_id: int,
        worker: str | None,
        change: ReminderChange,
        *,
        when_status: str | None = None,
    ) -> bool:
        return update_row(self.conn, s.kg_messages, message_id, worker, change, when_status)

    def get_kg_message(self, message_id: int) -> KgMessage | None:
        k = s.kg_messages
        row = self.conn.execute(select(k).where(k.c.id == message_id)).first()
        return _message(row) if row else None

    def list_kg_messages(
        self, area: str | None = None, status: str | None = None
    ) -> list[KgMessage]:
        k = s.kg_messages
        q = select(k)
        if area is not None:
            q = q.where(k.c.area_id == area)
        if status is not None:
            q = q.where(k.c.status == status)
        return [_message(r) for r in self.conn.execute(q.order_by(k.c.due_at, k.c.id))]

    def set_decision_mails(self, person_id: str, on: bool) -> None:
        self.conn.execute(
            update(s.people).where(s.people.c.id == person_id).values(decision_mails=on)
        )
