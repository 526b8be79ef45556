"""The Engine API's rough edges of issue 12 (16): registries that say what
they hold, docstrings on every public method, no private parameter in a
public signature, dates and times accepted as objects or as text (ISO or
German) everywhere the Engine takes one."""

from __future__ import annotations

import inspect
from datetime import date, datetime, timezone

import pytest

from regsam_flow.dates import BERLIN
from regsam_flow.engine import Engine
from regsam_flow.errors import InvalidInputError
from regsam_flow.kg import Responsible


def test_the_workflow_registries_say_what_they_hold(engine: Engine) -> None:
    assert repr(engine.workflows) == (
        "<DeployedWorkflows gebietsauswahl v1, v2; schwerpunktgebiet v1, v2>"
    )
    assert repr(engine.local_workflows).startswith("<WorkflowRegistry gebietsauswahl v1")
    assert "object at 0x" not in str(engine.workflows)


def test_every_public_method_has_a_docstring_and_no_private_parameter() -> None:
    for name, member in inspect.getmembers(Engine):
        if name.startswith("_") or not callable(member):
            continue
        assert inspect.getdoc(member), f"Engine.{name} has no docstring"
        params = inspect.signature(member).parameters
        assert not [p for p in params if p.startswith("_")], f"Engine.{name}: {list(params)}"


def test_as_of_and_history_take_a_datetime_a_date_or_text(engine: Engine, area: str) -> None:
    moment = datetime(2099, 1, 15, 23, 59, 59, 999999, tzinfo=BERLIN)
    expected = engine.as_of(area, moment, actor="mia")
    assert expected.state == "vorlauf"
    for when in ("15.01.2099", "2099-01-15", date(2099, 1, 15)):
        assert engine.as_of(area, when, actor="mia") == expected
    before = engine.as_of(area, "01.01.2000 10:30", actor="mia")
    assert not before.exists
    entries = engine.history(actor="root", area=area)
    assert engine.history(actor="root", area=area, since="01.01.2000", until="2099-01-15") == (
        entries
    )
    assert engine.history(actor="root", area=area, until=date(2000, 1, 1)) == []


def test_meetings_orders_and_send_due_take_text(engine: Engine, area: str) -> None:
    meeting = engine.record_meeting(area, actor="mia", held_on="12.03.2026", place="ASZ")
    assert meeting.held_on == date(2026, 3, 12)
    order = engine.issue_order(
        area,
        actor="mia",
        meeting=meeting.id,
        title="Räume suchen",
        addressee=Responsible("person", "tom"),
        due="2026-06-30",
    )
    assert order.due == date(2026, 6, 30)
    report = engine.send_due("2026-07-01T09:00", dry_run=True)
    assert report is not None


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda e, a: e.as_of(a, "31.02.2027", actor="mia"), "when"),
        (lambda e, a: e.as_of(a, datetime(2027, 1, 1), actor="mia"), "when"),  # no zone
        (lambda e, a: e.history(actor="root", since="gestern"), "since"),
        (
            lambda e, a: e.record_meeting(
                a, actor="mia", held_on=datetime(2026, 3, 12, tzinfo=timezone.utc), place="ASZ"
            ),
            "date",
        ),
        (lambda e, a: e.record_meeting(a, actor="mia", held_on="12/03/2026", place="ASZ"), "date"),
    ],
)
def test_a_bad_date_names_its_field(engine: Engine, area: str, call: object, field: str) -> None:
    assert callable(call)
    with pytest.raises(InvalidInputError) as err:
        call(engine, area)
    assert err.value.field == field
