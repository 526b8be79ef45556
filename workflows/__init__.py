"""Declarative workflow definitions (YAML) and their loader.

Importing this package loads neither PyYAML nor pydantic: the definitions are
plain dataclasses (:mod:`.spec`), and the parser is imported only when a file
must be checked (not when the checked definition is in the cache).
"""

from .deployed import DeployedWorkflows, text_hash
from .loader import load_workflow, parse_workflow
from .registry import BUILTIN_DIR, WorkflowRegistry
from .spec import (
    CreateAreaDef,
    FieldDef,
    ReminderPolicy,
    StateDef,
    TaskDef,
    TransitionDef,
    VoteDef,
    Workflow,
    WorkflowDef,
)

__all__ = [
    "BUILTIN_DIR",
    "CreateAreaDef",
    "DeployedWorkflows",
    "FieldDef",
    "ReminderPolicy",
    "StateDef",
    "TaskDef",
    "TransitionDef",
    "VoteDef",
    "Workflow",
    "WorkflowDef",
    "WorkflowRegistry",
    "load_workflow",
    "parse_workflow",
    "text_hash",
]
