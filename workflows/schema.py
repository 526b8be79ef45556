"""Checking a workflow definition file's data with pydantic.

There is one set of types: the frozen dataclasses of :mod:`.spec`, which
carry their constraints as markers (:mod:`.constraints`).  pydantic validates
the parsed YAML straight into them; nothing else in the package imports
pydantic, so a command that finds its definitions in the cache (:mod:`.cache`)
never loads it.  This module checks the shape of each element;
:mod:`regsam_flow.workflows.loader` checks the definition as a whole (unknown
references, reachability, duplicates).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import TypeAdapter

from .spec import WorkflowDef

__all__ = ["validate_definition"]


@cache
def _adapter() -> TypeAdapter[WorkflowDef]:
    return TypeAdapter(WorkflowDef)


def validate_definition(data: Any) -> WorkflowDef:
    """The definition in ``data`` (parsed YAML); raises
    :class:`pydantic.ValidationError` naming every element that is wrong."""
    return _adapter().validate_python(data)
