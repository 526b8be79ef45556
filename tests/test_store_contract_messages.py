"""The contract of the KG's mail outbox and the decision-mail choice
(:class:`~regsam_flow.ports.KgMessageUnitOfWork`) on every store."""

from __future__ import annotations

from datetime import timedelta

import pytest

from regsam_flow.model import ReminderChange
from regsam_flow.ports import Store

from .test_store_contract import T0, person, populate, store

__all__ = ["store"]

pytestmark = pytest.mark.every_store("the outbox: every store gives the same answers")


def test_a_message_is_planned_once_and_listed_by_due_time(store: Store) -> None:
    with store.write() as uow:
        populate(uow)
        later = uow.add_kg_message("a1", "order_due", 7, T0 + timedelta(days=3), T0)
        first = uow.add_kg_message("a1", "meeting_decisions", 2, T0, T0)
        again = uow.add_kg_message("a1", "meeting_decisions", 2, T0, T0)
        other = uow.add_kg_message("a1", "order_overdue", 7, T0 + timedelta(days=4), T0)
    assert isinstance(later, int) and isinstance(first, int) and isinstance(other, int)
    assert again is None
    with store.read() as uow:
        listed = uow.list_kg_messages()
        assert [m.id for m in listed] == [first, later, other]
        m = listed[0]
        assert (m.area, m.kind, m.ref, m.due_at, m.status, m.attempts) == (
            "a1",
            "meeting_decisions",
            2,
            T0,
            "pending",
            0,
        )
        assert m.next_attempt_at == T0 and m.created_at == T0 and m.last_error == ""
        assert uow.get_kg_message(first) == m
        assert uow.get_kg_message(9999) is None
        assert uow.list_kg_messages(area="a2") == []
        assert [x.id for x in uow.list_kg_messages(status="pending")] == [first, later, other]


def test_messages_are_claimed_with_leases_and_updated_by_their_holder(store: Store) -> None:
    with store.write() as uow:
        populate(uow)
        mid = uow.add_kg_message("a1", "order_due", 1, T0, T0)
        assert mid is not None
        uow.add_kg_message("a1", "order_due", 2, T0 + timedelta(hours=1), T0)
    with store.write() as uow:
        assert [m.id for m in uow.due_kg_messages(T0, 10)] == [mid]
        assert uow.claim_kg_message(mid, "w1", T0, T0 + timedelta(minutes=10))
        assert not uow.claim_kg_message(mid, "w2", T0, T0 + timedelta(minutes=10))
        assert uow.due_kg_messages(T0, 10) == []
        assert not uow.update_kg_message(mid, "w2", ReminderChange(status="sent"))
        assert uow.update_kg_message(
            mid, "w1", ReminderChange(status="sent", sent_at=T0, attempts=1, release=True)
        )
        assert not uow.update_kg_message(
            mid, None, ReminderChange(status="failed"), when_status="pending"
        )
    with store.read() as uow:
        got = uow.get_kg_message(mid)
        assert got is not None
        assert (got.status, got.sent_at, got.attempts, got.claimed_by) == ("sent", T0, 1, None)
        assert len(uow.due_kg_messages(T0 + timedelta(hours=1), 1)) == 1


def test_cancel_messages_of_an_area_an_order_or_kinds(store: Store) -> None:
    with store.write() as uow:
        populate(uow)
        uow.add_kg_message("a1", "meeting_decisions", 1, T0, T0)
        uow.add_kg_message("a1", "order_due", 5, T0, T0)
        uow.add_kg_message("a1", "order_overdue", 5, T0 + timedelta(days=1), T0)
        uow.add_kg_message("a1", "order_due", 6, T0, T0)
        uow.add_kg_message("a2", "order_due", 5, T0, T0)
    with store.write() as uow:
        assert uow.cancel_kg_messages("a1", ref=5, kinds=("order_due", "order_overdue")) == 2
        assert uow.cancel_kg_messages("a1", ref=5) == 0
        assert uow.cancel_kg_messages("a1") == 2
    with store.read() as uow:
        assert [m.area for m in uow.list_kg_messages(status="pending")] == ["a2"]


def test_planning_is_undone_with_its_unit_of_work(store: Store) -> None:
    with store.write() as uow:
        populate(uow)
    with pytest.raises(RuntimeError), store.write() as uow:
        uow.add_kg_message("a1", "order_due", 5, T0, T0)
        raise RuntimeError("boom")
    with store.read() as uow:
        assert uow.list_kg_messages() == []


def test_the_decision_mail_choice_is_stored_with_the_person(store: Store) -> None:
    with store.write() as uow:
        populate(uow)
        p = uow.get_person("p1")
        assert p is not None and p.decision_mails is True
        uow.set_decision_mails("p1", False)
        uow.add_person(person("p9"), T0)
    with store.read() as uow:
        p1 = uow.get_person("p1")
        assert p1 is not None and p1.decision_mails is False
        assert {x.id: x.decision_mails for x in uow.list_people()} == {
            "p1": False,
            "p2": True,
            "p3": True,
            "p9": True,
        }
