"""Alembic migrations of the SQL schema; :data:`ALEMBIC_INI` is the shipped
configuration for the ``alembic`` command (``python -m
regsam_flow.persistence.migrations`` prints its path)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["ALEMBIC_INI", "MIGRATIONS"]

#: The folder of the migration scripts (Alembic's script location).
MIGRATIONS = Path(__file__).resolve().parent
#: The shipped Alembic configuration.
ALEMBIC_INI = MIGRATIONS / "alembic.ini"
