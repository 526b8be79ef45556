"""regsam-flow: the workflow engine for REGSAM's focus-area processes.

Embedders use :class:`Engine`; every error is a :class:`RegsamFlowError`.
"""

from .engine import AreaSnapshot, ChangeEvent, Engine
from .errors import (
    AuditError,
    BlockedError,
    Blocker,
    ConflictError,
    InvalidInputError,
    InvalidWorkflowError,
    NotAllowedError,
    NotFoundError,
    RegsamFlowError,
    SchemaError,
)
from .guards import GuardContext
from .model import (
    Agreement,
    Area,
    AreaStatus,
    AuditEntry,
    AuditHead,
    FireResult,
    NextStep,
    Person,
    TaskStatus,
    VerifyResult,
)
from .ports import Clock, FixedClock, SystemClock

__version__ = "0.1.0"

__all__ = [
    "Agreement",
    "Area",
    "AreaSnapshot",
    "AreaStatus",
    "AuditEntry",
    "AuditError",
    "AuditHead",
    "BlockedError",
    "Blocker",
    "ChangeEvent",
    "Clock",
    "ConflictError",
    "Engine",
    "FireResult",
    "FixedClock",
    "GuardContext",
    "InvalidInputError",
    "InvalidWorkflowError",
    "NextStep",
    "NotAllowedError",
    "NotFoundError",
    "Person",
    "RegsamFlowError",
    "SchemaError",
    "SystemClock",
    "TaskStatus",
    "VerifyResult",
    "__version__",
]
