"""Telling storage problems apart: a full disk, a read-only database.

SQLite reports them by result code (``SQLITE_FULL``, ``SQLITE_READONLY``;
a full disk while the shared-memory file is sized shows as an I/O error),
PostgreSQL by SQLSTATE (53100 disk full, 25006 read-only transaction).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from regsam_flow.errors import StorageError
from regsam_flow.i18n import _

__all__ = ["LOW_SPACE", "sqlite_path", "storage_error"]

#: Less free space than this on an I/O error counts as a full disk.
LOW_SPACE = 1 << 20


def sqlite_path(database: str | None) -> Path | None:
    """The file of a SQLite URL's database part (plain path or ``file:`` URI)."""
    if not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        database = database[5:].split("?", 1)[0]
    return Path(database).expanduser()


def _problem(exc: DBAPIError, path: Path | None) -> str | None:
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate == "53100":
        return "disk_full"
    if sqlstate == "25006":
        return "read_only"
    name = str(getattr(orig, "sqlite_errorname", "") or "")
    msg = str(orig).lower()
    if name.startswith("SQLITE_FULL") or "database or disk is full" in msg:
        return "disk_full"
    if name.startswith("SQLITE_READONLY") or "readonly database" in msg:
        return "read_only"
    if name.startswith("SQLITE_IOERR") or "disk i/o error" in msg:
        if path is not None:
            try:
                if shutil.disk_usage(path.parent).free < LOW_SPACE:
                    return "disk_full"
            except OSError:
                pass
        return "io_error"
    if (name.startswith("SQLITE_CANTOPEN") or "unable to open database" in msg) and path:
        folder = path.parent
        if folder.is_dir() and not os.access(folder, os.W_OK):
            return "read_only"
    return None


def storage_error(exc: DBAPIError, where: str, path: Path | None) -> StorageError | None:
    """The :class:`StorageError` ``exc`` stands for, if it is a storage problem."""
    problem = _problem(exc, path)
    if problem == "disk_full":
        text = _(
            "the disk of the database {where} is full: nothing was written; "
            "free some space and try again"
        ).format(where=where)
    elif problem == "read_only":
        text = _(
            "the database {where} is read-only (a read-only file system, no write "
            "permission, or a read-only server): nothing was written; reading works, "
            "changes need a writable database"
        ).format(where=where)
    elif problem == "io_error":
        text = _(
            "the disk of the database {where} reported an I/O error: nothing was "
            "written; check the disk and try again"
        ).format(where=where)
    else:
        return None
    return StorageError(text, problem=problem)
