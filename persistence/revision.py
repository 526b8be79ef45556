"""The schema revision this code needs (no SQLAlchemy here: the memory store
reports it too)."""

from __future__ import annotations

__all__ = ["HEAD_REVISION"]

#: The Alembic revision this code needs; a test keeps it equal to the head.
HEAD_REVISION = "0010"
