"""The stores: the SQLAlchemy store (tables, Alembic migrations, the Store
adapter) and the in-memory store (:mod:`.memory`, which needs no SQLAlchemy:
``SqlStore`` is imported on first use)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .store import SqlStore

__all__ = ["SqlStore"]


def __getattr__(name: str) -> Any:
    if name == "SqlStore":
        from .store import SqlStore

        return SqlStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
