"""Writing a file the user named with -o: it appears whole or not at all.

The content goes to a temporary file beside the output first, is flushed to
disk, and only then takes the output's name: with --force replacing it, else
only if no file of that name exists (a hard link never overwrites), so a
refusal or a crash leaves an existing file as it was.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from regsam_flow.i18n import _

__all__ = ["link_new", "put_in_place", "refuse_existing", "temporary_beside", "write_text"]


def refuse_existing(output: Path, force: bool) -> None:
    """Refuse an existing ``output`` unless ``force`` (before any work)."""
    if output.exists() and not force:
        from regsam_flow.errors import InvalidInputError

        raise InvalidInputError(
            _("{path} exists already: give --force to overwrite it").format(path=output),
            field="output",
        )


def write_text(
    output: Path, force: bool, produce: Callable[[Callable[[str], object]], object]
) -> None:
    """Have ``produce`` write text (UTF-8, lines ending in ``\\n``) into
    ``output`` as a whole."""
    refuse_existing(output, force)
    tmp = temporary_beside(output)
    try:
        with open(tmp, "w", encoding="utf-8", errors="surrogateescape", newline="\n") as f:
            produce(f.write)
            f.flush()
            os.fsync(f.fileno())
        put_in_place(tmp, output, force)
    finally:
        tmp.unlink(missing_ok=True)


def temporary_beside(output: Path) -> Path:
    """An empty new file in ``output``'s folder, to be renamed to it."""
    from regsam_flow.errors import InvalidInputError

    try:
        fd, name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
    except OSError as exc:
        raise InvalidInputError(
            _("cannot write {path}: {error}").format(path=output, error=exc.strerror or exc),
            field="output",
        ) from None
    os.close(fd)
    return Path(name)


def put_in_place(tmp: Path, output: Path, force: bool) -> None:
    """Rename ``tmp`` to ``output`` at once: replacing it with ``force``,
    else only if no file of that name appeared meanwhile."""
    from regsam_flow.errors import InvalidInputError

    try:
        if force:
            os.replace(tmp, output)
        else:
            link_new(tmp, output)
    except FileExistsError:
        raise InvalidInputError(
            _("{path} exists already: give --force to overwrite it").format(path=output),
            field="output",
        ) from None
    except OSError as exc:
        raise InvalidInputError(
            _("cannot write {path}: {error}").format(path=output, error=exc.strerror or exc),
            field="output",
        ) from None


def link_new(tmp: Path, output: Path) -> None:
    """``tmp`` under the name ``output``, which must not exist (a hard link
    fails if it does; where the file system has no hard links, check, then rename)."""
    try:
        os.link(tmp, output)
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        if output.exists():
            raise FileExistsError(errno.EEXIST, "exists", str(output)) from None
        os.replace(tmp, output)
