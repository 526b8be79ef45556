"""The KG's mail outbox of the memory store (see
:class:`~regsam_flow.ports.KgMessageUnitOfWork`): leases and updates as the
SQL store's, a message never planned twice."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from regsam_flow.kg import KgMessage
from regsam_flow.model import ReminderChange
from regsam_flow.ports import KgMessageUnitOfWork

from .memory_leases import claim_row, update_row

if TYPE_CHECKING:
    from .memory import _State

__all__ = ["MemoryKgMessages"]


def _utc(value: datetime) -> datetime:
    return value.astimezone(timezone.utc)


def _next_at(m: KgMessage) -> datetime:
    return m.next_attempt_at or m.due_at


class MemoryKgMessages(KgMessageUnitOfWork):
    """The outbox on the unit of work's state."""

    _s: _State

    if TYPE_CHECKING:  # given by MemoryUnitOfWork

        def _w(self) -> _State: ...
        def _need_area(self, area_id: str) -> None: ...
        def _next_id(self, table: str) -> int: ...

    def add_kg_message(
        self, area_id: str, kind: str, ref: int, due_at: datetime, at: datetime
    ) -> int | None:
        s = self._w()
        self._need_area(area_id)
        due = _utc(due_at)
        for m in s.kg_messages.values():
            if (m.area, m.kind, m.ref, m.due_at) == (area_id, kind, ref, due):
                return None
        new_id = self._next_id("kg_messages")
        s.kg_messages[new_id] = KgMessage(
            id=new_id,
            area=area_id,
            kind=kind,
            ref=ref,
            due_at=due,
            next_attempt_at=due,
            created_at=_utc(at),
        )
        return new_id

    def cancel_kg_messages(
        self, area_id: str, *, ref: int | None = None, kinds: Sequence[str] | None = None
    ) -> int:
        s = self._w()
        count = 0
        for mid, m in list(s.kg_messages.items()):
            if (
                m.area == area_id
                and m.status == "pending"
                and (ref is None or m.ref == ref)
                and (kinds is None or m.kind in kinds)
            ):
                s.kg_messages[mid] = replace(
                    m, status="cancelled", claimed_by=None, claimed_until=None
                )
                count += 1
        return count

    def _by(self, key: str) -> list[KgMessage]:
        return sorted(self._s.kg_messages.values(), key=lambda m: (getattr(m, key), m.id))

    def due_kg_messages(self, now: datetime, limit: int) -> list[KgMessage]:
        due = [
            m
            for m in sorted(self._s.kg_messages.values(), key=lambda m: (_next_at(m), m.id))
            if m.status == "pending"
            and _next_at(m) <= now
            and (m.claimed_until is None or m.claimed_until < now)
        ]
        return due[:limit]

    def claim_kg_message(
        self, message_id: int, worker: str, now: datetime, until: datetime
    ) -> bool:
        return claim_row(self._w().kg_messages, message_id, worker, now, until)

    def update_kg_message(
        self,
        message_id: int,
        worker: str | None,
        change: ReminderChange,
        *,
        when_status: str | None = None,
    ) -> bool:
        return update_row(self._w().kg_messages, message_id, worker, change, when_status)

    def get_kg_message(self, message_id: int) -> KgMessage | None:
        return self._s.kg_messages.get(message_id)

    def list_kg_messages(
        self, area: str | None = None, status: str | None = None
    ) -> list[KgMessage]:
        return [
            m
            for m in self._by("due_at")
            if (area is None or m.area == area) and (status is None or m.status == status)
        ]

    def set_decision_mails(self, person_id: str, on: bool) -> None:
        s = self._w()
        if person_id in s.people:
            s.people[person_id] = replace(s.people[person_id], decision_mails=on)
