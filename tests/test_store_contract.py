"""The contract of the Store port: what every store does, tested on the port itself.

Each test runs on the memory store, a SQLite file and PostgreSQL
(``[memory]``, ``[sqlite]``, ``[postgresql]``) in every run, whatever
``--stores`` says: an answer that differs between them is a bug in one of the
stores.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest

from regsam_flow.audit import make_entry, verify_chain
from regsam_flow.errors import ConflictError, InvalidInputError, SchemaError
from regsam_flow.kg import (
    Attachment,
    Attendee,
    CatalogueVersion,
    Goal,
    Measure,
    MissingResource,
    Responsible,
    WorkOrder,
    catalogue_json,
    catalogue_sha256,
)
from regsam_flow.model import (
    Agreement,
    Approval,
    Area,
    AreaAggregate,
    AreaChange,
    AuditEntry,
    FieldValue,
    Person,
    Reminder,
    ReminderChange,
    Review,
    SavedArea,
    StoredWorkflow,
    TaskStatus,
    Vote,
)
from regsam_flow.persistence.memory import MemoryStore
from regsam_flow.persistence.revision import HEAD_REVISION
from regsam_flow.ports import Store, UnitOfWork

pytestmark = pytest.mark.every_store("the contract: every store gives the same answers")

T0 = datetime(2027, 3, 1, 8, 0, 0, 123456, tzinfo=timezone.utc)
REVIEW = date(2027, 7, 15)
SHIPPED = {"schwerpunktgebiet", "gebietsauswahl"}


def _open(db_backend: str, request: pytest.FixtureRequest) -> Store:
    if db_backend == "memory":
        return MemoryStore()
    from regsam_flow.persistence import SqlStore

    return SqlStore(request.getfixturevalue("db_url"))


@pytest.fixture
def store(db_backend: str, request: pytest.FixtureRequest) -> Iterator[Store]:
    """A store created to the schema this code needs."""
    s = _open(db_backend, request)
    s.upgrade()
    yield s
    s.close()


@pytest.fixture
def fresh(db_backend: str, request: pytest.FixtureRequest) -> Iterator[Store]:
    """A store never created: an empty database, a new MemoryStore."""
    s = _open(db_backend, request)
    yield s
    s.close()


def person(pid: str, admin: bool = False, auditor: bool = False) -> Person:
    return Person(pid, f"Name {pid}", f"{pid}@example.org", "Org", admin, auditor)


def area(aid: str, state: str = "vorlauf", version: int = 1) -> Area:
    return Area(aid, f"Area {aid}", "District", "schwerpunktgebiet", 1, state, version, 0, T0, T0)


def populate(uow: UnitOfWork) -> None:
    """People p1..p3 and areas a1, a2 (p1 in a1)."""
    for pid in ("p2", "p1", "p3"):
        uow.add_person(person(pid), T0)
    uow.add_area(area("a2", state="diagnose"))
    uow.add_area(area("a1"))
    uow.add_assignment("a1", "moderation", "p1")


def reminder(aid: str, offset: int, due: datetime, review: date = REVIEW) -> Reminder:
    kind = "before" if offset > 0 else ("on_day" if offset == 0 else "overdue")
    return Reminder(0, aid, review, kind, offset, due)


def entry(head: tuple[int, str], at: datetime, **fields: str) -> AuditEntry:
    values = {"actor": "p1", "action": "test", **fields}
    return make_entry(head[0], head[1], at=at, **values)  # type: ignore[arg-type]


# ------------------------------------------------------------------ the schema
def test_a_new_store_is_not_initialised_until_upgraded(fresh: Store) -> None:
    assert fresh.schema_status() == (None, HEAD_REVISION)
    check = getattr(fresh, "check_schema")  # noqa: B009 - not on the port yet
    with pytest.raises(SchemaError, match="not initialised"):
        check()
    assert fresh.upgrade() == (None, HEAD_REVISION)
    assert fresh.schema_status() == (HEAD_REVISION, HEAD_REVISION)
    check()
    assert fresh.upgrade() == (HEAD_REVISION, HEAD_REVISION)  # safe to repeat


def test_creating_a_store_deploys_the_shipped_definitions_with_audit_entries(
    fresh: Store,
) -> None:
    fresh.upgrade()
    with fresh.read() as uow:
        defs = uow.list_workflow_definitions()
        log = list(uow.iter_audit())
        head = uow.read_audit_head()
    assert {d.name for d in defs} == SHIPPED
    assert {d.deployed_by for d in defs} == {"regsam-flow"}
    assert [e.action for e in log] == ["workflow_deployed"] * len(defs)
    assert verify_chain(log).ok
    assert head == (log[-1].seq, log[-1].hash)


def test_initialise_creates_the_store_and_writes_in_one_unit(fresh: Store) -> None:
    with fresh.initialise() as uow:
        uow.add_person(person("root", admin=True), T0)
    assert fresh.schema_status()[0] == HEAD_REVISION
    with fresh.read() as uow:
        assert uow.get_person("root") == person("root", admin=True)


def test_a_failed_initialise_leaves_the_store_uncreated(fresh: Store) -> None:
    with pytest.raises(RuntimeError), fresh.initialise() as uow:
        uow.add_person(person("root", admin=True), T0)
        raise RuntimeError("boom")
    assert fresh.schema_status() == (None, HEAD_REVISION)


def test_login(store: Store, db_backend: str) -> None:
    if db_backend == "postgresql":
        assert store.login()
    else:
        with pytest.raises(InvalidInputError) as info:
            store.login()
        assert info.value.field == "bind_login"


# ----------------------------------------------------------- units of work
def test_a_unit_that_raises_writes_nothing(store: Store) -> None:
    with store.write() as uow:
        populate(uow)
    with pytest.raises(RuntimeError), store.write() as uow:
        uow.add_person(person("p9"), T0)
        uow.update_area("a1", 1, state="diagnose", round=1, at=T0)
        uow.set_field("a1", "score", 3, "p1", T0)
        uow.add_reminders([reminder("a1", 0, T0)], T0)
        head = uow.audit_head()
        uow.append_audit(entry(head, T0, area="a1"))
        raise RuntimeError("boom")
    with store.read() as uow:
        assert uow.get_person("p9") is None
        assert uow.get_area("a1") == area("a1")
        assert uow.get_fields("a1") == {}
        assert uow.list_reminders() == []
        assert uow.audit_head() == head


def test_readers_see_only_committed_writes(store: Store) -> None:
    with store.write() as w:
        w.add_person(person("p1"), T0)
        with store.read() as r:
            assert r.get_person("p1") is None
    with store.read() as r:
        assert r.get_person("p1") == person("p1")


def test_a_reader_sees_one_snapshot_while_others_commit(store: Store) -> None:
    """Every read of a read unit sees the state of its first read: an area
    loaded piece by piece never mixes two commits."""
    with store.write() as uow:
        populate(uow)
    with store.read() as r:
        assert r.get_area("a1") == area("a1")
        with store.write() as w:
            w.update_area("a1", 1, state="diagnose", round=1, at=T0)
            w.put_task("a1", TaskStatus("t1", True, "p1", T0))
            w.add_approval("a1", 1, "go", "moderation", "p1", T0)
        loaded = r.load_area("a1")
        assert r.get_tasks("a1") == {}
    assert loaded is not None
    assert (loaded.area, loaded.tasks, loaded.approvals) == (area("a1"), {}, {})
    with store.read() as r:
        assert r.get_tasks("a1") == {"t1": TaskStatus("t1", True, "p1", T0)}


def test_writers_take_turns(store: Store) -> None:
    """A writer that starts while another is open waits for its commit, and
    then sees what it wrote (no lost update)."""
    seen: list[object] = []

    def second() -> None:
        with store.write() as uow:
            seen.append(uow.get_person("first"))
            uow.add_person(person("second"), T0)

    with store.write() as uow:
        t = threading.Thread(target=second)
        t.start()
        time.sleep(0.3)  # give the second writer every chance to overtake
        uow.add_person(person("first"), T0)
    t.join(timeout=60)
    assert seen == [person("first")]


@pytest.mark.parametrize(
    "collide",
    [
        pytest.param(lambda u: u.add_person(person("p1"), T0), id="person"),
        pytest.param(lambda u: u.add_area(area("a1")), id="area"),
        pytest.param(lambda u: u.add_assignment("a1", "moderation", "p1"), id="assignment"),
        pytest.param(lambda u: u.add_assignment("nowhere", "moderation", "p1"), id="no-area"),
        pytest.param(lambda u: u.add_assignment("a1", "moderation", "nobody"), id="no-person"),
        pytest.param(lambda u: u.add_agreement("a1", Agreement(1, created_at=T0, created_by="p1")),
                     id="agreement"),
        pytest.param(lambda u: u.add_signature("a1", 1, "moderation", "p2", T0), id="signature"),
        pytest.param(lambda u: u.add_approval("a1", 0, "go", "moderation", "p2", T0),
                     id="approval"),
        pytest.param(lambda u: u.add_vote("a1", 0, Vote("p1", "member", False), T0), id="vote"),
        pytest.param(lambda u: u.add_review("a1", REVIEW, "end", None, "", "p1", T0),
                     id="review"),
        pytest.param(lambda u: u.set_field("nowhere", "f", 1, "p1", T0), id="field-no-area"),
        pytest.param(lambda u: u.put_task("nowhere", TaskStatus("t", True)), id="task-no-area"),
        pytest.param(lambda u: u.update_area("a1", 7, state="x", round=0, at=T0),
                     id="stale-version"),
        pytest.param(
            lambda u: u.add_workflow_definition(u.list_workflow_definitions()[0]),
            id="definition",
        ),
        pytest.param(lambda u: u.append_audit(entry((0, "0" * 64), T0)), id="audit-seq"),
    ],
)  # fmt: skip
def test_a_collision_is_a_conflict_and_writes_nothing(store: Store, collide: object) -> None:
    with store.write() as uow:
        populate(uow)
        uow.add_agreement("a1", Agreement(1, topic="t", created_at=T0, created_by="p1"))
        uow.add_signature("a1", 1, "moderation", "p1", T0)
        uow.add_approval("a1", 0, "go", "moderation", "p1", T0)
        uow.add_vote("a1", 0, Vote("p1", "member", True), T0)
        uow.add_review("a1", REVIEW, "continue", date(2028, 1, 1), "", "p1", T0)
    with pytest.raises(ConflictError), store.write() as uow:
        uow.add_person(person("p9"), T0)
        collide(uow)  # type: ignore[operator]
    with store.read() as uow:
        assert uow.get_person("p9") is None
        assert uow.get_agreement("a1") is not None
        assert uow.get_agreement("a1").signatures == {"moderation": "p1"}  # type: ignore[union-attr]
        assert uow.get_votes("a1") == [Vote("p1", "member", True, "", 0)]


# --------------------------------------------------------- an area at once
def _area_with_everything(uow: UnitOfWork) -> Agreement:
    """Area a1 in round 1 with members, tasks, approvals of rounds 0 and 1,
    two agreement versions (the newest signed), fields; a2 beside it."""
    populate(uow)
    uow.update_area("a1", 1, state="diagnose", round=1, at=T0 + timedelta(hours=1))
    uow.add_assignment("a1", "steering", "p2")
    uow.add_assignment("a2", "moderation", "p3")
    uow.put_task("a1", TaskStatus("t1", True, "p1", T0, "done"))
    uow.put_task("a1", TaskStatus("t2", False))
    uow.put_task("a2", TaskStatus("t9", True, "p3", T0))
    uow.add_approval("a1", 0, "go", "moderation", "p1", T0)
    uow.add_approval("a1", 1, "go", "steering", "p2", T0)
    uow.add_approval("a1", 1, "stop", "moderation", "p1", T0)
    uow.add_approval("a2", 0, "go", "moderation", "p3", T0)
    uow.add_agreement("a1", Agreement(1, topic="old", created_at=T0, created_by="p1"))
    newest = Agreement(2, "topic", "scope", "r", "p", "t", "2 Jahre", REVIEW, REVIEW, T0, "p1")
    uow.add_agreement("a1", newest)
    uow.add_signature("a1", 1, "steering", "p2", T0)
    uow.add_signature("a1", 2, "moderation", "p1", T0)
    uow.set_field("a1", "score", 3, "p1", T0)
    uow.set_field("a1", "quelle", "rags", "p1", T0)
    uow.set_field("a2", "score", 9, "p1", T0)
    return replace(newest, signatures={"moderation": "p1"})


def test_load_area_reads_everything_a_decision_needs(store: Store) -> None:
    with store.write() as uow:
        agreement = _area_with_everything(uow)
    with store.read() as uow:
        loaded = uow.load_area("a1")
        assert loaded == AreaAggregate(
            area=uow.get_area("a1"),  # type: ignore[arg-type]
            assignments=(("moderation", "p1"), ("steering", "p2")),
            tasks={
                "t1": TaskStatus("t1", True, "p1", T0, "done"),
                "t2": TaskStatus("t2", False),
            },
            approvals={"go": {"steering": "p2"}, "stop": {"moderation": "p1"}},
            agreement=agreement,
            fields={"score": 3, "quelle": "rags"},
        )
    assert loaded is not None
    assert (loaded.area.state, loaded.area.round, loaded.area.version) == ("diagnose", 1, 2)
    assert (loaded.area.workflow, loaded.area.workflow_version) == ("schwerpunktgebiet", 1)
    assert loaded.roles_of("p2") == {"steering"} and loaded.roles_of("p3") == set()


def test_load_area_of_a_bare_area_and_of_none(store: Store) -> None:
    with store.write() as uow:
        populate(uow)
    with store.read() as uow:
        assert uow.load_area("nowhere") is None
        assert uow.load_area("a2") == AreaAggregate(
            area=area("a2", state="diagnose"),
            assignments=(),
            tasks={},
            approvals={},
            agreement=None,
            fields={},
        )


def test_load_area_with_an_unsigned_agreement_and_a_task_never_done(store: Store) -> None:
    """What one area holds does not leak into another's aggregate, and the
    newest agreement comes without signatures and dates while none are set."""
    with store.write() as uow:
        _area_with_everything(uow)
        uow.add_agreement("a2", Agreement(1, topic="neu", created_at=T0, created_by="p3"))
        uow.add_signature("a1", 1, "moderation", "p3", T0)  # an old version of another area
        uow.put_task("a2", TaskStatus("t8", False, note="offen"))
    with store.read() as uow:
        loaded = uow.load_area("a2")
    assert loaded is not None
    assert loaded.agreement == Agreement(1, topic="neu", created_at=T0, created_by="p3")
    assert loaded.agreement.signatures == {} and loaded.agreement.start is None
    assert loaded.tasks == {
        "t9": TaskStatus("t9", True, "p3", T0),
        "t8": TaskStatus("t8", False, None, None, "offen"),
    }
    assert loaded.assignments == (("moderation", "p3"),)
    assert loaded.approvals == {"go": {"moderation": "p3"}}  # round 0, a2's own
    assert loaded.fields == {"score": 9}


def test_load_area_on_sql_is_one_statement(store: Store, db_backend: str) -> None:
    if db_backend == "memory":
        pytest.skip("counts SQL statements")
    from sqlalchemy import event

    with store.write() as uow:
        _area_with_everything(uow)
    sql: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        sql.append(statement)

    with store.read() as uow:
        engine = store.engine  # type: ignore[attr-defined]
        event.listen(engine, "before_cursor_execute", count)
        try:
            loaded = uow.load_area("a1")
            known = len(sql)
            assert uow.load_area("nowhere") is None
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert loaded is not None and loaded.agreement is not None
    assert loaded.agreement.signatures == {"moderation": "p1"}
    assert known == 1 and len(sql) == 2  # an unknown area: one as well
    assert all(s.lstrip().upper().startswith("SELECT") for s in sql)


def test_a_transitions_writes_on_sql_reach_listeners_and_keep_their_checks(
    store: Store, db_backend: str
) -> None:
    """The write path runs its statements on the driver's cursor: listeners
    of ``before_cursor_execute`` still see each with its parameters, a stale
    version is still a conflict that writes nothing, and the chain goes on
    from the head the unit read."""
    if db_backend == "memory":
        pytest.skip("listens to SQL statements")
    from sqlalchemy import event

    with store.write() as uow:
        populate(uow)
    seen: list[tuple[str, object]] = []

    def listen(_conn: object, _cursor: object, statement: str, params: object, *_a: object) -> None:
        seen.append((" ".join(statement.split()), params))

    engine = store.engine  # type: ignore[attr-defined]
    event.listen(engine, "before_cursor_execute", listen)
    try:
        with store.write() as uow:
            head = uow.audit_head()
            assert uow.update_area("a1", 1, state="diagnose", round=1, at=T0) == 2
            first = entry(head, T0, area="a1", action="transition")
            uow.append_audit(first)
            assert uow.audit_head() == (first.seq, first.hash)
            second = entry(uow.audit_head(), T0, area="a1", action="transition")
            uow.append_audit(second)
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    updates = [p for sql, p in seen if sql.startswith("UPDATE areas")]
    inserts = [p for sql, p in seen if sql.startswith("INSERT INTO audit_log")]
    assert len(updates) == 1 and len(inserts) == 2
    assert "diagnose" in (updates[0].values() if isinstance(updates[0], dict) else updates[0])
    with pytest.raises(ConflictError), store.write() as uow:
        uow.update_area("a1", 1, state="x", round=9, at=T0)  # version 2 by now
    with store.read() as uow:
        a1 = uow.get_area("a1")
        assert uow.read_audit_head() == (second.seq, second.hash)
        assert uow.audit_at(second.seq) == second.at
    assert a1 is not None and (a1.state, a1.round, a1.version) == ("diagnose", 1, 2)


def _change(**changes: object) -> AreaChange:
    values: dict[str, object] = {
        "area": "a1",
        "expected_version": 1,
        "state": "diagnose",
        "round": 1,
        "at": T0 + timedelta(hours=2),
        "tasks": (
            TaskStatus("t1", False, None, None, "reopened"),
            TaskStatus("t3", True, "p2", T0),
        ),
        "approval": Approval(1, "go", "moderation", "p1"),
        "cancel_reminders": True,
    }
    values.update(changes)
    return AreaChange(**values)  # type: ignore[arg-type]


def _with_tasks_and_reminders(uow: UnitOfWork) -> None:
    populate(uow)
    uow.put_task("a1", TaskStatus("t1", True, "p1", T0, "done"))
    uow.put_task("a1", TaskStatus("t2", True, "p1", T0))
    uow.add_reminders(
        [reminder("a1", 7, T0), reminder("a1", 0, T0 + timedelta(days=7)), reminder("a2", 0, T0)],
        T0,
    )
    uow.cancel_reminders("a1", status="superseded")  # not pending any more: not counted below
    uow.add_reminders([reminder("a1", -7, T0 + timedelta(days=14))], T0)


def test_save_area_writes_the_whole_change(store: Store) -> None:
    with store.write() as uow:
        _with_tasks_and_reminders(uow)
    with store.write() as uow:
        saved = uow.save_area(_change())
    assert saved == SavedArea(version=2, reminders_cancelled=1)
    with store.read() as uow:
        loaded = uow.load_area("a1")
        reminders = [(r.area, r.offset_days, r.status) for r in uow.list_reminders()]
    assert loaded is not None
    a = loaded.area
    assert (a.state, a.round, a.version, a.updated_at) == (
        "diagnose",
        1,
        2,
        T0 + timedelta(hours=2),
    )
    assert loaded.tasks == {
        "t1": TaskStatus("t1", False, None, None, "reopened"),
        "t2": TaskStatus("t2", True, "p1", T0),
        "t3": TaskStatus("t3", True, "p2", T0),
    }
    assert loaded.approvals == {"go": {"moderation": "p1"}}
    assert sorted(reminders) == [
        ("a1", -7, "cancelled"),
        ("a1", 0, "superseded"),
        ("a1", 7, "superseded"),
        ("a2", 0, "pending"),
    ]


def test_save_area_without_tasks_approval_or_cancelling(store: Store) -> None:
    with store.write() as uow:
        _with_tasks_and_reminders(uow)
        before = uow.load_area("a1")
    with store.write() as uow:
        change = _change(tasks=(), approval=None, cancel_reminders=False, state="x", round=5)
        assert uow.save_area(change) == SavedArea(version=2, reminders_cancelled=0)
    with store.read() as uow:
        after = uow.load_area("a1")
        assert [r.status for r in uow.list_reminders(area="a1", status="pending")] == ["pending"]
    assert before is not None and after is not None
    assert (after.area.state, after.area.round, after.area.version) == ("x", 5, 2)
    assert after.area.workflow_version == before.area.workflow_version == 1
    assert (after.tasks, after.approvals) == (before.tasks, {})


def test_save_area_moves_an_area_to_another_workflow_version(store: Store) -> None:
    """A migration: the workflow version changes with the area's version;
    its phase, round, tasks and its neighbour stay as they were."""
    with store.write() as uow:
        _with_tasks_and_reminders(uow)
        before = uow.load_area("a1")
    change = _change(tasks=(), approval=None, cancel_reminders=False, state="vorlauf", round=0)
    with store.write() as uow:
        saved = uow.save_area(replace(change, workflow_version=3))
    assert saved == SavedArea(version=2, reminders_cancelled=0)
    with store.read() as uow:
        after = uow.load_area("a1")
        neighbour = uow.get_area("a2")
        listed = {a.id: a.workflow_version for a in uow.list_areas()}
    assert before is not None and after is not None and neighbour is not None
    a = after.area
    assert (a.workflow, a.workflow_version, a.state, a.round, a.version) == (
        "schwerpunktgebiet",
        3,
        "vorlauf",
        0,
        2,
    )
    assert after.tasks == before.tasks
    assert neighbour.workflow_version == 1 and listed == {"a1": 3, "a2": 1}
    with pytest.raises(ConflictError), store.write() as uow:
        uow.update_area("a1", 1, state="vorlauf", round=0, at=T0, workflow_version=1)
    with store.write() as uow:
        assert uow.update_area("a1", 2, state="vorlauf", round=0, at=T0, workflow_version=1) == 3
    with store.read() as uow:
        assert uow.get_area("a1").workflow_version == 1  # type: ignore[union-attr]


def _unchanged(store: Store) -> None:
    with store.read() as uow:
        loaded = uow.load_area("a1")
        assert [r.status for r in uow.list_reminders(area="a1", status="pending")] == ["pending"]
    assert loaded is not None
    assert (loaded.area.state, loaded.area.round, loaded.area.version) == ("vorlauf", 0, 1)
    assert loaded.tasks == {
        "t1": TaskStatus("t1", True, "p1", T0, "done"),
        "t2": TaskStatus("t2", True, "p1", T0),
    }
    assert loaded.approvals == {}
    with store.read() as uow:
        assert uow.get_approvals("a1", 1) == {}


def test_save_area_on_a_stale_version_is_a_conflict_and_writes_nothing(store: Store) -> None:
    with store.write() as uow:
        _with_tasks_and_reminders(uow)
    with (
        pytest.raises(ConflictError, match="changed by someone else") as info,
        store.write() as uow,
    ):
        uow.save_area(_change(expected_version=7))
    assert info.value.area == "a1"
    _unchanged(store)
    with pytest.raises(ConflictError), store.write() as uow:
        uow.save_area(_change(area="nowhere"))


def test_save_area_is_undone_with_its_unit_of_work(store: Store) -> None:
    with store.write() as uow:
        _with_tasks_and_reminders(uow)
        head = uow.audit_head()
    with pytest.raises(RuntimeError), store.write() as uow:
        assert uow.save_area(_change()).reminders_cancelled == 1
        uow.append_audit(entry(head, T0, area="a1", action="transition"))
        raise RuntimeError("boom")
    _unchanged(store)
    with store.read() as uow:
        assert uow.audit_head() == head


def test_save_area_with_an_approval_given_already_writes_nothing(store: Store) -> None:
    with store.write() as uow:
        _with_tasks_and_reminders(uow)
        uow.add_approval("a1", 1, "go", "moderation", "p2", T0)
    with pytest.raises(ConflictError), store.write() as uow:
        uow.save_area(_change())
    with store.read() as uow:
        assert uow.get_approvals("a1", 1) == {"go": {"moderation": "p2"}}
        loaded = uow.load_area("a1")
    assert loaded is not None and loaded.area.version == 1
    assert loaded.tasks["t1"].done


# -------------------------------------------------------------------- people
def test_people(store: Store) -> None:
    with store.write() as uow:
        populate(uow)
        assert not uow.has_admin()
        uow.set_global_roles("p2", admin=True, auditor=True)
    with store.read() as uow:
        assert [p.id for p in uow.list_people()] == ["p1", "p2", "p3"]
        assert uow.get_person("p2") == person("p2", admin=True, auditor=True)
        assert uow.get_person("nobody") is None
        assert uow.has_admin()


def test_definitions_round_trip_in_name_and_version_order(store: Store) -> None:
    mine = [
        StoredWorkflow("aaa", 2, "h2", "text 2", "a2.yaml", "root", T0),
        StoredWorkflow("aaa", 1, "h1", "text 1", "a1.yaml", "root", T0),
    ]
    with store.write() as uow:
        for d in mine:
            uow.add_workflow_definition(d)
    with store.read() as uow:
        found = uow.list_workflow_definitions()
    assert found[:2] == mine[::-1]
    assert [(d.name, d.version) for d in found] == sorted((d.name, d.version) for d in found)


# --------------------------------------------------------------------- areas
def test_areas_list_filter_and_version(store: Store) -> None:
    later = T0 + timedelta(hours=1)
    with store.write() as uow:
        populate(uow)
        assert uow.update_area("a1", 1, state="diagnose", round=2, at=later) == 2
    with store.read() as uow:
        a1 = uow.get_area("a1")
        assert a1 is not None
        assert (a1.state, a1.round, a1.version, a1.updated_at, a1.created_at) == (
            "diagnose",
            2,
            2,
            later,
            T0,
        )
        assert [a.id for a in uow.list_areas()] == ["a1", "a2"]
        assert [a.id for a in uow.list_areas(state="diagnose")] == ["a1", "a2"]
        assert [a.id for a in uow.list_areas(member="p1")] == ["a1"]
        assert uow.list_areas(state="vorlauf") == []
        assert uow.list_areas(member="p3") == []
        assert uow.get_area("nowhere") is None


def test_assignments_ordered_and_removed(store: Store) -> None:
    with store.write() as uow:
        populate(uow)
        uow.add_assignment("a1", "steering", "p3")
        uow.add_assignment("a1", "steering", "p2")
        uow.remove_assignment("a1", "moderation", "p1")
    with store.read() as uow:
        assert uow.get_assignments("a1") == [("steering", "p2"), ("steering", "p3")]
        assert uow.get_assignments("a2") == []


def test_tasks_are_put_and_replaced(store: Store) -> None:
    with store.write() as uow:
        populate(uow)
        uow.put_task("a1", TaskStatus("t1", True, "p1", T0, "first"))
        uow.put_task("a1", TaskStatus("t2", False))
        uow.put_task("a1", TaskStatus("t1", False, None, None, "undone"))
    with store.read() as uow:
        assert uow.get_tasks("a1") == {
            "t1": TaskStatus("t1", False, None, None, "undone"),
            "t2": TaskStatus("t2", False),
        }
        assert uow.get_tasks("a2") == {}


def test_agreements_versions_and_signatures(store: Store) -> None:
    v1 = Agreement(1, "topic", "scope", "r", "p", "t", "2 Jahre", REVIEW, REVIEW, T0, "p1")
    v2 = Agreement(2, topic="new", created_at=T0, created_by="p1")
    with store.write() as uow:
        populate(uow)
        assert uow.get_agreement("a1") is None
        uow.add_agreement("a1", v1)
        uow.add_signature("a1", 1, "moderation", "p1", T0)
        uow.add_agreement("a1", v2)
    with store.read() as uow:
        assert uow.get_agreement("a1") == v2
        assert uow.get_agreement("a1", 1) == Agreement(
            **{**v1.__dict__, "signatures": {"moderation": "p1"}}
        )
        assert uow.get_agreement("a1", 3) is None


def test_approvals_by_round(store: Store) -> None:
    with store.write() as uow:
        populate(uow)
        uow.add_approval("a1", 0, "go", "moderation", "p1", T0)
        uow.add_approval("a1", 0, "go", "steering", "p2", T0)
        uow.add_approval("a1", 1, "go", "moderation", "p3", T0)
    with store.read() as uow:
        assert uow.get_approvals("a1", 0) == {"go": {"moderation": "p1", "steering": "p2"}}
        assert uow.get_approvals("a1", 1) == {"go": {"moderation": "p3"}}
        assert uow.get_approvals("a1", 2) == {}


def test_fields_are_json_scalars(store: Store) -> None:
    values: dict[str, FieldValue] = {"text": "Straße", "score": 3.5, "ok": True, "none": None}
    with store.write() as uow:
        populate(uow)
        for name, value in values.items():
            uow.set_field("a1", name, value, "p1", T0)
        uow.set_field("a1", "n", 1, "p1", T0)
        uow.set_field("a1", "n", 2, "p1", T0)
    with store.read() as uow:
        found = uow.get_fields("a1")
        assert found == {**values, "n": 2}
        assert [type(found[k]) for k in ("text", "score", "ok", "n")] == [str, float, bool, int]
        assert uow.get_fields("a2") == {}


def test_votes_by_round_in_order(store: Store) -> None:
    with store.write() as uow:
        populate(uow)
        uow.add_vote("a1", 1, Vote("p2", "member", False, "no"), T0 + timedelta(seconds=2))
        uow.add_vote("a1", 1, Vote("p1", "member", True), T0 + timedelta(seconds=1))
        uow.add_vote("a1", 0, Vote("p3", "member", True), T0 + timedelta(seconds=3))
    with store.read() as uow:
        assert [(v.round, v.person) for v in uow.get_votes("a1")] == [
            (0, "p3"),
            (1, "p1"),
            (1, "p2"),
        ]
        assert uow.get_votes("a1", 1) == [
            Vote("p1", "member", True, "", 1),
            Vote("p2", "member", False, "no", 1),
        ]
        assert uow.get_votes("a2") == []


# ----------------------------------------------------------------- audit log
def test_audit_appends_with_head_and_queries(store: Store) -> None:
    with store.write() as uow:
        populate(uow)  # p1 in a1
        uow.add_assignment("a2", "steering", "p3")
        start = uow.audit_head()
        e1 = entry(start, T0, area="a1", actor="p1")
        uow.append_audit(e1)
        e2 = entry((e1.seq, e1.hash), T0 + timedelta(seconds=1), area="a2", actor="p2")
        uow.append_audit(e2)
        e3 = entry(
            (e2.seq, e2.hash), T0 + timedelta(seconds=2), area="a1", actor="p2", action="other"
        )
        uow.append_audit(e3)
        assert uow.audit_head() == (e3.seq, e3.hash)
    with store.read() as uow:
        assert uow.read_audit_head() == (e3.seq, e3.hash)
        assert uow.audit_at(e2.seq) == e2.at
        assert uow.audit_at(e3.seq + 1) is None
        mine = uow.query_audit(since=e1.at)
        assert mine == [e1, e2, e3]
        assert uow.query_audit(area="a1") == [e1, e3]
        assert uow.query_audit(member="p3") == [e2]  # the areas p3 is in
        assert uow.query_audit(member="p1") == [e1, e3]
        assert uow.query_audit(member="p2") == []  # acted in a2, but is in no area
        assert list(uow.stream_audit(member="p1", batch=1)) == [e1, e3]
        assert uow.query_audit(actor="p2", until=e2.at) == [e2]  # until is inclusive
        assert uow.query_audit(since=e2.at, until=e3.at) == [e2, e3]
        assert uow.query_audit(area="a1", actions=["other"]) == [e3]
        assert uow.query_audit(actions=["test", "other"], after=e1.seq) == [e2, e3]
        assert uow.query_audit(area="a1", actions=["test"], after=e1.seq) == []
        assert uow.query_audit(actions=[]) == []
        every = list(uow.iter_audit(batch=2))
        assert every[-3:] == [e1, e2, e3]
        rows = list(uow.iter_audit_rows(batch=2))
        assert rows == [tuple(e) for e in every]
        assert {type(r) for r in rows} == {tuple}
        assert verify_chain(uow.iter_audit_rows()).ok


# ---------------------------------------------------------------- reminders
def test_reminders_added_once_per_slot_and_listed_by_due_time(store: Store) -> None:
    r7 = reminder("a1", 7, T0)
    r0 = reminder("a1", 0, T0 + timedelta(days=7))
    with store.write() as uow:
        populate(uow)
        uow.add_reminders([r0, r7], T0)
        uow.add_reminders([reminder("a1", 7, T0 + timedelta(days=1)), r7], T0)
        uow.add_reminders([reminder("a2", 0, T0 + timedelta(days=1))], T0)
    with store.read() as uow:
        found = uow.list_reminders()
        assert [(r.area, r.offset_days) for r in found] == [("a1", 7), ("a2", 0), ("a1", 0)]
        first = found[0]
        assert (first.status, first.attempts, first.next_attempt_at, first.due_at) == (
            "pending",
            0,
            T0,
            T0,
        )
        assert (first.claimed_by, first.claimed_until, first.sent_at, first.last_error) == (
            None,
            None,
            None,
            "",
        )
        assert first.created_at == T0
        assert uow.get_reminder(first.id) == first
        assert uow.get_reminder(10**6) is None
        assert [r.offset_days for r in uow.list_reminders(area="a1")] == [7, 0]
        assert [r.area for r in uow.list_reminders(areas=["a2"])] == ["a2"]
        assert uow.list_reminders(status="sent") == []
        assert [r.offset_days for r in uow.reminders_of_date("a1", REVIEW)] == [7, 0]
        assert uow.next_reminder_at() == T0


def _ids(rems: list[Reminder]) -> list[int]:
    return [r.id for r in rems]


def test_reminders_are_claimed_with_leases(store: Store) -> None:
    with store.write() as uow:
        populate(uow)
        uow.add_reminders([reminder("a1", 7, T0), reminder("a1", 0, T0 + timedelta(days=7))], T0)
    now = T0 + timedelta(minutes=1)
    lease = now + timedelta(minutes=10)
    with store.write() as uow:
        due = uow.due_reminders(now, limit=10)
        assert [r.offset_days for r in due] == [7]
        rid = due[0].id
        assert uow.claim_reminder(rid, "w1", now, lease)
        assert not uow.claim_reminder(rid, "w2", now, lease)  # the lease is live
        assert uow.due_reminders(now, limit=10) == []  # a held one is not due
        held = uow.get_reminder(rid)
        assert held is not None and (held.claimed_by, held.claimed_until) == ("w1", lease)
    after = lease + timedelta(seconds=1)
    with store.write() as uow:
        assert _ids(uow.due_reminders(after, limit=10)) == [rid]  # the lease ran out
        assert uow.claim_reminder(rid, "w2", after, after + timedelta(minutes=10))
        # w1 lost the reminder: its changes are refused
        assert not uow.update_reminder(rid, "w1", ReminderChange(status="sent"))
        assert uow.update_reminder(
            rid, "w2", ReminderChange(status="sent", sent_at=after, attempts=1, release=True)
        )
        sent = uow.get_reminder(rid)
        assert sent is not None
        assert (sent.status, sent.sent_at, sent.attempts, sent.claimed_by) == (
            "sent",
            after,
            1,
            None,
        )
        assert not uow.claim_reminder(rid, "w3", after, after)  # only pending ones
        # handled, its attempt due at T0: after any earlier time, not after T0
        assert uow.processed_after(T0 - timedelta(seconds=1)) == [sent]
        assert uow.processed_after(T0) == []


def test_update_reminder_conditions_and_fields(store: Store) -> None:
    with store.write() as uow:
        populate(uow)
        uow.add_reminders([reminder("a1", 0, T0)], T0)
        rid = uow.list_reminders()[0].id
        later = T0 + timedelta(hours=2)
        assert not uow.update_reminder(rid, None, ReminderChange(status="x"), when_status="sent")
        assert uow.update_reminder(
            rid,
            None,
            ReminderChange(attempts=2, last_error="smtp down", next_attempt_at=later),
            when_status="pending",
        )
        assert uow.claim_reminder(rid, "w1", later, later + timedelta(minutes=5))
        assert uow.update_reminder(rid, "w1", ReminderChange(claimed_until=later + timedelta(1)))
        r = uow.get_reminder(rid)
        assert r is not None
        assert (r.status, r.attempts, r.last_error, r.next_attempt_at) == (
            "pending",
            2,
            "smtp down",
            later,
        )
        assert (r.claimed_by, r.claimed_until) == ("w1", later + timedelta(1))
        assert not uow.update_reminder(10**6, None, ReminderChange(status="sent"))
        assert uow.next_reminder_at() == later
    with store.read() as uow:
        assert _ids(uow.due_for_date("a1", REVIEW, later)) == [rid]
        assert uow.due_for_date("a1", REVIEW, later - timedelta(seconds=1)) == []


def test_cancel_reminders_of_an_area_or_a_date(store: Store) -> None:
    other = date(2028, 1, 15)
    with store.write() as uow:
        populate(uow)
        uow.add_reminders(
            [
                reminder("a1", 7, T0),
                reminder("a1", 0, T0 + timedelta(days=7)),
                reminder("a1", 0, T0 + timedelta(days=100), review=other),
                reminder("a2", 0, T0),
            ],
            T0,
        )
        uow.claim_reminder(uow.list_reminders()[0].id, "w1", T0, T0 + timedelta(minutes=5))
        assert uow.cancel_reminders("a1", REVIEW) == 2
        assert uow.cancel_reminders("a1", REVIEW) == 0  # only pending ones
        assert uow.cancel_reminders("a1", status="superseded") == 1
    with store.read() as uow:
        statuses = [(r.area, r.review_date, r.status, r.claimed_by) for r in uow.list_reminders()]
        assert sorted(statuses) == [
            ("a1", REVIEW, "cancelled", None),
            ("a1", REVIEW, "cancelled", None),
            ("a1", other, "superseded", None),
            ("a2", REVIEW, "pending", None),
        ]
        assert uow.next_reminder_at() == T0


def test_due_reminders_in_order_up_to_the_limit(store: Store) -> None:
    with store.write() as uow:
        populate(uow)
        uow.add_reminders([reminder("a1", d, T0 + timedelta(hours=10 - d)) for d in (1, 2, 3)], T0)
    now = T0 + timedelta(days=1)
    with store.read() as uow:
        assert [r.offset_days for r in uow.due_reminders(now, limit=2)] == [3, 2]
        assert uow.due_reminders(T0, limit=5) == []


def test_unreadable_reminders_are_named_and_left_out(store: Store) -> None:
    far = datetime(2300, 1, 1, 8, tzinfo=timezone.utc)
    with store.write() as uow:
        populate(uow)
        uow.add_reminders([reminder("a1", 0, far, review=far.date()), reminder("a1", 0, T0)], T0)
    with store.read() as uow:
        assert [r.due_at for r in uow.list_reminders()] == [T0]
        bad = uow.unreadable_reminders(T0)
        assert len(bad) == 1 and bad[0].area == "a1"
        assert bad[0].id not in _ids(uow.list_reminders())
        assert "2300-01-01 lies outside the years" in bad[0].problem
        assert uow.next_reminder_at() == T0


def test_reviews_round_trip(store: Store) -> None:
    nxt = date(2028, 1, 15)
    with store.write() as uow:
        populate(uow)
        assert uow.get_review("a1", REVIEW) is None
        uow.add_review("a1", REVIEW, "continue", nxt, "weiter", "p1", T0)
    with store.read() as uow:
        assert uow.get_review("a1", REVIEW) == Review(
            "a1", REVIEW, "continue", nxt, "weiter", "p1", T0
        )
        assert uow.get_review("a1", nxt) is None


# ------------------------------------------------------------------ the KG's records
def _meeting(uow: UnitOfWork, held_on: date, **kw: object) -> int:
    values: dict[str, object] = {
        "place": "Kulturzentrum",
        "planned": False,
        "attendees": [Attendee(person="p1"), Attendee(guest="Frau Öz (Wohnbau)")],
        "decisions": ["Arbeitsweise: monatlich", "Anwesenheit verbindlich"],
        "minutes": "Protokoll",
        "by": "p1",
        "at": T0,
    }
    values.update(kw)
    return uow.add_meeting("a1", held_on, **values)  # type: ignore[arg-type]


def test_meetings_round_trip_numbered_by_date_with_attachments(store: Store) -> None:
    content = bytes(range(256)) * 3
    with store.write() as uow:
        populate(uow)
        later = _meeting(uow, date(2027, 5, 2))
        first = _meeting(uow, date(2027, 4, 1), decisions=[], attendees=[], minutes="")
        planned = _meeting(uow, date(2027, 9, 1), planned=True, decisions=[], minutes="")
        att = uow.add_attachment(later, "protokoll.pdf", "application/pdf", content, "ab" * 32)
        uow.add_attachment(later, "liste.txt", "text/plain", b"x", "cd" * 32)
    assert att == Attachment(att.id, later, "protokoll.pdf", "application/pdf", 768, "ab" * 32)
    with store.read() as uow:
        meetings = uow.list_meetings("a1")
        assert [(m.id, m.number) for m in meetings] == [(first, 1), (later, 2), (planned, 3)]
        m = meetings[1]
        assert (m.area, m.held_on, m.place, m.planned, m.minutes) == (
            "a1",
            date(2027, 5, 2),
            "Kulturzentrum",
            False,
            "Protokoll",
        )
        assert m.attendees == (Attendee(person="p1"), Attendee(guest="Frau Öz (Wohnbau)"))
        assert m.decisions == ("Arbeitsweise: monatlich", "Anwesenheit verbindlich")
        assert (m.recorded_by, m.recorded_at) == ("p1", T0)
        assert [a.filename for a in m.attachments] == ["protokoll.pdf", "liste.txt"]
        assert meetings[0].attendees == () and meetings[0].decisions == ()
        assert meetings[2].planned is True
        assert uow.attachment_content(att.id) == content
        assert uow.attachment_content(att.id + 99) is None
        assert uow.list_meetings("a2") == []


def test_goals_measures_ratings_and_catalogue_versions(store: Store) -> None:
    with store.write() as uow:
        populate(uow)
        meeting = _meeting(uow, date(2027, 4, 1))
        g1 = uow.add_goal("a1", "Treffpunkte für Jugendliche", "im Norden")
        g2 = uow.add_goal("a1", "Beratung näher", "")
        other = uow.add_goal("a2", "anderes Gebiet", "")
        m2 = uow.add_measure(g1.id, "Jugendtreff öffnen", Responsible("role", "provider"))
        m1 = uow.add_measure(g1.id, "Streetwork", Responsible("outside", "Stadtjugendamt"))
        uow.rate_goal(g2.id, "partly", "halb", "p1", T0)
    assert (g1.number, g2.number, other.number) == (1, 2, 1)
    with store.read() as uow:
        goals = uow.list_goals("a1")
    assert goals[0] == Goal(g1.id, "a1", 1, "Treffpunkte für Jugendliche", "im Norden", (m2, m1))
    assert m2 == Measure(m2.id, g1.id, "Jugendtreff öffnen", Responsible("role", "provider"))
    assert (goals[1].rating, goals[1].rating_note, goals[1].rated_by, goals[1].rated_at) == (
        "partly",
        "halb",
        "p1",
        T0,
    )
    text = catalogue_json(goals)
    version = CatalogueVersion("a1", 1, meeting, "p1", T0, tuple(goals), catalogue_sha256(text))
    with store.write() as uow:
        uow.add_catalogue_version(version)
        uow.add_catalogue_version(replace(version, version=2))
    with store.read() as uow:
        kept = uow.catalogue_versions("a1")
        assert uow.catalogue_versions("a2") == []
    assert [v.version for v in kept] == [1, 2]
    assert kept[0].sha256 == version.sha256 and kept[0].meeting == meeting
    assert catalogue_json(kept[0].goals) == text  # frozen as it was, ratings left out
    assert kept[0].goals[1].rating is None
    with pytest.raises(ConflictError), store.write() as uow:
        uow.add_catalogue_version(version)


def test_kg_records_are_undone_with_their_unit_of_work(store: Store) -> None:
    with store.write() as uow:
        populate(uow)
    with pytest.raises(RuntimeError), store.write() as uow:
        meeting = _meeting(uow, date(2027, 4, 1))
        uow.add_attachment(meeting, "a.txt", "text/plain", b"a", "00" * 32)
        goal = uow.add_goal("a1", "Ziel", "")
        uow.add_measure(goal.id, "M", Responsible("person", "p1"))
        raise RuntimeError("boom")
    with store.read() as uow:
        assert uow.list_meetings("a1") == []
        assert uow.list_goals("a1") == []
    with store.write() as uow:  # ids of undone rows may be given again; numbers start anew
        assert uow.add_goal("a1", "Ziel", "").number == 1


def test_work_orders_round_trip_and_take_reports(store: Store) -> None:
    later = T0 + timedelta(days=3)
    with store.write() as uow:
        populate(uow)
        meeting = _meeting(uow, date(2027, 4, 1))
        goal = uow.add_goal("a1", "Ziel", "")
        measure = uow.add_measure(goal.id, "M", Responsible("role", "provider"))
        first = uow.add_work_order(
            "a1", "order", "Träger sucht Räume", Responsible("person", "p1"), meeting,
            date(2027, 6, 30), 1, measure.id, "p1", T0,
        )  # fmt: skip
        second = uow.add_work_order(
            "a1", "recommendation", "Bänke aufstellen", Responsible("outside", "Baureferat"),
            meeting, date(2027, 5, 1), None, None, "p1", T0,
        )  # fmt: skip
        uow.update_work_order(second.id, "declined", "kein Geld", "p2", later)
    assert first == WorkOrder(
        first.id, "a1", "order", "Träger sucht Räume", Responsible("person", "p1"), meeting,
        date(2027, 6, 30), "open", "", 1, measure.id, "p1", T0, "p1", T0,
    )  # fmt: skip
    with store.read() as uow:
        orders = uow.list_work_orders("a1")
        assert uow.list_work_orders("a2") == []
    assert orders[0] == first
    assert orders[1] == replace(
        second, status="declined", note="kein Geld", updated_by="p2", updated_at=later
    )
    assert (orders[1].goal, orders[1].measure, orders[1].created_by) == (None, None, "p1")


def test_missing_resources_round_trip(store: Store) -> None:
    with store.write() as uow:
        populate(uow)
        one = uow.add_missing_resource(
            "a1", "Eine halbe Stelle Streetwork", "0,5 Stellen", "p1", T0
        )
        two = uow.add_missing_resource("a1", "Räume für Jugendliche", "", "p1", T0)
        uow.add_missing_resource("a2", "anderswo", "", "p1", T0)
    with store.read() as uow:
        assert uow.list_missing_resources("a1") == [one, two]
    assert one == MissingResource(
        one.id, "a1", "Eine halbe Stelle Streetwork", "0,5 Stellen", "p1", T0
    )
    with pytest.raises(RuntimeError), store.write() as uow:  # undone with its unit of work
        uow.add_missing_resource("a1", "x", "", "p1", T0)
        raise RuntimeError("boom")
    with store.read() as uow:
        assert len(uow.list_missing_resources("a1")) == 2


def test_the_memory_store_runs_the_engine_without_sqlalchemy() -> None:
    """An embedder's tests need no database library: nothing imports SQLAlchemy."""
    code = (
        "import sys\n"
        "from regsam_flow import Engine\n"
        "from regsam_flow.persistence.memory import MemoryStore\n"
        "e = Engine(store=MemoryStore())\n"
        "e.init('root', name='Root', email='root@example.org')\n"
        "e.create_area('a1', actor='root', name='A1')\n"
        "assert e.verify().ok\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'alembic')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "[]"
