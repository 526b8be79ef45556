"""regsam-flow: the workflow engine for REGSAM's focus-area processes.

Embedders use :class:`Engine` (or :func:`open_engine`, as the command line
does); every error is a :class:`RegsamFlowError`.

The names below are imported on first use (PEP 562): ``import regsam_flow``
alone, or ``import regsam_flow.errors``, loads neither the engine nor its
libraries, which keeps the command line quick to start.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .bootstrap import Engine, open_engine
    from .engine import AreaSnapshot, ChangeEvent
    from .errors import (
        AuditError,
        BlockedError,
        Blocker,
        ConflictError,
        InvalidInputError,
        InvalidWorkflowError,
        NotAllowedError,
        NotFoundError,
        OutcomeUnknownError,
        RegsamFlowError,
        SchemaError,
        StorageError,
        UnavailableError,
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
        Nomination,
        Person,
        TaskRow,
        TaskStatus,
        VerifyResult,
    )
    from .ports import Clock, FixedClock, SystemClock

#: Public name -> the submodule that defines it.
_LAZY = {
    "AreaSnapshot": "engine",
    "ChangeEvent": "engine",
    "Engine": "bootstrap",
    "open_engine": "bootstrap",
    "AuditError": "errors",
    "BlockedError": "errors",
    "Blocker": "errors",
    "ConflictError": "errors",
    "InvalidInputError": "errors",
    "InvalidWorkflowError": "errors",
    "NotAllowedError": "errors",
    "NotFoundError": "errors",
    "OutcomeUnknownError": "errors",
    "RegsamFlowError": "errors",
    "SchemaError": "errors",
    "StorageError": "errors",
    "UnavailableError": "errors",
    "GuardContext": "guards",
    "Agreement": "model",
    "Area": "model",
    "AreaStatus": "model",
    "AuditEntry": "model",
    "AuditHead": "model",
    "FireResult": "model",
    "NextStep": "model",
    "Nomination": "model",
    "Person": "model",
    "TaskRow": "model",
    "TaskStatus": "model",
    "VerifyResult": "model",
    "Clock": "ports",
    "FixedClock": "ports",
    "SystemClock": "ports",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


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
    "Nomination",
    "NotAllowedError",
    "NotFoundError",
    "OutcomeUnknownError",
    "Person",
    "RegsamFlowError",
    "SchemaError",
    "StorageError",
    "SystemClock",
    "TaskRow",
    "TaskStatus",
    "UnavailableError",
    "VerifyResult",
    "__version__",
    "open_engine",
]
