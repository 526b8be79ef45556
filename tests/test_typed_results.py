"""Every public Engine method returns typed records, not loose dicts.

Issue 10: callers (the CLI, embedders) read results by attribute, with
mypy checking them; ``to_dict()`` gives the JSON shape the CLI prints.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import types
import typing
from pathlib import Path
from typing import Any

import pytest

from regsam_flow.engine import Engine

from .cli_helpers import Cli, setup_area, sign

#: Methods whose result is legitimately a mapping.  Keep this list short and
#: say why for each.
ALLOWED_MAPPINGS = {
    # An area's fields are keyed by the field ids its workflow defines; each
    # value's type is the one that workflow declares (text, number, date,
    # yes/no), so no fixed record can hold them.
    "fields",
    "set_fields",
    "nomination_fields",
}
#: Fields of records that hold the same workflow-defined mapping of fields.
ALLOWED_RECORD_FIELDS = {("AreaStatus", "fields"), ("AreaSnapshot", "fields")}


def _loose(tp: Any) -> str | None:
    """What is untyped about ``tp`` (None if nothing)."""
    if tp is Any:
        return "Any"
    if tp is dict or tp is list:
        return f"bare {tp.__name__}"
    origin = typing.get_origin(tp)
    if origin in (dict, typing.Mapping) or (
        origin is not None and inspect.isclass(origin) and issubclass(origin, typing.Mapping)
    ):
        return f"mapping {tp}"
    for arg in typing.get_args(tp):
        if arg is Ellipsis or arg is type(None):
            continue
        found = _loose(arg)
        if found:
            return found
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _loose_record(tp)
    return None


def _loose_record(cls: type) -> str | None:
    """A record's fields, with ``details``-like free-form fields refused too."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if (cls.__name__, f.name) in ALLOWED_RECORD_FIELDS:
            continue
        found = _loose_field(hints[f.name])
        if found:
            return f"{cls.__name__}.{f.name}: {found}"
    return None


def _loose_field(tp: Any) -> str | None:
    """Inside a record: dicts of plain values are fine (roles -> people,
    approvals role -> person); dicts of dicts, lists of dicts and Any are not."""
    if tp is Any:
        return "Any"
    origin = typing.get_origin(tp)
    if origin is dict:
        return next((m for m in map(_loose_field, typing.get_args(tp)) if m), None) and (
            f"dict of loose values {tp}"
        )
    if origin in (list, tuple, set, frozenset, types.UnionType, typing.Union):
        for arg in typing.get_args(tp):
            if arg is Ellipsis:
                continue
            if typing.get_origin(arg) is dict or arg is dict:
                return f"{tp} holds dicts"
            found = _loose_field(arg)
            if found:
                return found
    return None


def _public_methods() -> list[str]:
    return sorted(
        name
        for name, member in inspect.getmembers(Engine)
        if not name.startswith("_") and inspect.isfunction(member)
    )


def test_the_walk_sees_the_engine() -> None:
    names = _public_methods()
    assert {"tasks", "status", "history", "as_of", "send_due", "why"} <= set(names)


@pytest.mark.parametrize("name", _public_methods())
def test_public_method_returns_typed_results(name: str) -> None:
    if name in ALLOWED_MAPPINGS:
        pytest.skip("a mapping by design (see ALLOWED_MAPPINGS)")
    hints = typing.get_type_hints(getattr(Engine, name))
    found = _loose(hints.get("return", Any))
    assert found is None, f"Engine.{name} returns untyped data: {found}"


@pytest.mark.parametrize("bad", [dict[str, Any], list[dict[str, Any]], Any, dict])
def test_the_check_catches_loose_types(bad: Any) -> None:
    assert _loose(bad) is not None


# The records' to_dict() keep the JSON the CLI printed when these were dicts:
# the same keys in the same order, moments in the same format.
TASK_KEYS = ["id", "phase", "title", "roles", "required", "done", "done_by", "done_at", "note"]
AS_OF_KEYS = [
    "area",
    "at",
    "exists",
    "name",
    "workflow",
    "workflow_version",
    "state",
    "roles",
    "agreement",
    "agreement_version",
    "signed_by",
    "tasks_done",
    "last_seq",
]
WOULD_SEND_KEYS = ["id", "area", "kind", "offset_days", "review_date", "due_at", "to", "error"]


def test_the_cli_json_keeps_its_shape(db_url: str, tmp_path: Path) -> None:
    c = Cli(db_url, tmp_path / "home")
    area = setup_area(c)
    sign(c, area)
    c.ok("task", "done", area, "datenmaterial", "--note", "Monitoring 2026", user="sven")
    tasks = c.json("task", "list", area)
    assert all(list(t) == TASK_KEYS for t in tasks)
    [done] = [t for t in tasks if t["done"]]
    assert (done["id"], done["roles"]) == ("datenmaterial", ["social_planning"])
    assert (done["done_by"], done["note"]) == ("sven", "Monitoring 2026")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", done["done_at"])
    assert c.json("area", "show", area)["tasks"] == tasks
    snap = c.json("as-of", area, "31.12.2199", user="audrey")
    assert list(snap) == AS_OF_KEYS and snap["tasks_done"] == ["datenmaterial"]
    dry = c.json("reminders", "send-due", "--now", "01.01.2030 08:00")
    [would] = dry["would_send"]
    assert list(would) == WOULD_SEND_KEYS
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", would["due_at"])
    assert would["review_date"] == "2027-07-15" and would["error"] is None
