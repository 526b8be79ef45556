"""The SQLAlchemy store: tables, Alembic migrations, and the Store adapter."""

from .store import SqlStore

__all__ = ["SqlStore"]
