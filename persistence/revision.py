"""The schema revision this code needs (no SQLAlchemy here: the memory store
reports it too)."""

from __future__ import annotations

__all__ = ["HEAD_REVISION", "revision_number"]

#: The Alembic revision this code needs; a test keeps it equal to the head.
HEAD_REVISION = "0010"


def revision_number(revision: str) -> int | None:
    """A revision id (``0009``, ``r0010``) as its number, so that revisions
    compare as numbers (``0009 < 0010 < 10000``), never as strings; None for
    an id that is no number (not one of regsam-flow's)."""
    digits = revision.removeprefix("r")
    return int(digits) if digits.isdigit() else None
