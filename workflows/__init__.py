"""Declarative workflow definitions (YAML) and their loader."""

from .loader import Workflow, load_workflow, parse_workflow
from .registry import BUILTIN_DIR, WorkflowRegistry
from .schema import ReminderPolicy, StateDef, TaskDef, TransitionDef, WorkflowDef

__all__ = [
    "BUILTIN_DIR",
    "ReminderPolicy",
    "StateDef",
    "TaskDef",
    "TransitionDef",
    "Workflow",
    "WorkflowDef",
    "WorkflowRegistry",
    "load_workflow",
    "parse_workflow",
]
