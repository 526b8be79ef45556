"""A SQLite database copied with SQLite's online backup API: readers and
writers go on meanwhile, and the copy is one consistent snapshot.

The copy is written to a temporary file beside the target, handed over
(with the audit head read in the same snapshot) for checking, then flushed
to disk and renamed into place; on any failure it is removed, so the
target is either the whole checked copy or untouched.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from regsam_flow.errors import InvalidInputError, StorageError
from regsam_flow.i18n import _
from regsam_flow.ports import Store

__all__ = ["sqlite_backup"]


def _uri(path: Path, mode: str) -> str:
    return f"file:{quote(str(path), safe='/')}?mode={mode}"


def _check_target(source: Path, target: Path, overwrite: bool) -> None:
    if target.is_dir():
        raise InvalidInputError(
            _("{path} is a folder; name the backup file").format(path=target), field="file"
        )
    if not target.parent.is_dir():
        raise InvalidInputError(
            _("folder {folder} for the backup does not exist").format(folder=target.parent),
            field="file",
        )
    if target.exists() and source.exists() and os.path.samefile(source, target):
        raise InvalidInputError(
            _("{path} is the database itself; name another file").format(path=target),
            field="file",
        )
    if target.exists() and not overwrite:
        raise InvalidInputError(
            _("{path} exists; --force overwrites it").format(path=target), field="file"
        )


def _copy(source: Path, copy: Path) -> tuple[int, str] | None:
    """Copy ``source`` to ``copy``; the audit head of the copied snapshot."""
    src = sqlite3.connect(_uri(source, "ro"), uri=True, isolation_level=None)
    dst = sqlite3.connect(copy, isolation_level=None)
    try:
        src.execute("BEGIN")  # one snapshot: the head read and the pages copied
        try:
            row = src.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
        except sqlite3.OperationalError:
            row = None  # no audit_head table: not a regsam-flow database
        src.backup(dst)
        src.execute("COMMIT")
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        dst.close()
        src.close()
    return (int(row[0]), str(row[1])) if row else None


def _remove(path: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            path.with_name(path.name + suffix).unlink()


def _flush(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def sqlite_backup(
    source: Path, target: Path, *, overwrite: bool = False
) -> Iterator[tuple[tuple[int, str] | None, Store]]:
    """See :meth:`regsam_flow.ports.Store.backup`."""
    from .store import SqlStore

    target = target.expanduser().absolute()
    _check_target(source, target, overwrite)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(fd)
    copy = Path(name)
    try:
        try:
            head = _copy(source, copy)
        except sqlite3.Error as exc:
            raise StorageError(
                _("cannot copy the database to {path}: {detail}").format(path=target, detail=exc),
                problem="io_error",
            ) from None
        store = SqlStore(f"sqlite:///{_uri(copy, 'ro')}&uri=true")
        try:
            yield head, store
        finally:
            store.close()
        _flush(copy)
        os.replace(copy, target)
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the rename itself on disk
        finally:
            os.close(dir_fd)
    except BaseException:
        _remove(copy)
        raise
