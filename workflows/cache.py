"""A cache of checked workflow definitions, so that reading needs no parser.

Parsing a definition file needs PyYAML and pydantic, which together take
longer to import than a whole read-only command may.  So once a file has been
checked, its definition is stored as JSON in ``cache/`` of the data folder
(:func:`regsam_flow.paths.data_dir`; ``REGSAM_FLOW_HOME`` moves it), one file
per definition file, under a key of

* the file's path, modification time (ns), size and inode,
* the regsam-flow version and the modification times of the checking code
  (so a changed loader never trusts an older verdict).

The known guard names decide only whether every guard the definition names
is known; that is checked on each hit (a definition naming a guard unknown
to the caller is parsed again, which refuses it with the usual message), so
callers with different guards (the CLI, an embedder with its own) share one
entry instead of overwriting each other's.

A file whose key differs is parsed and checked again.  Only definitions that
passed are stored: a broken file is refused on every load with the same
message as without a cache.  The cache is an optimisation only: a cache that
cannot be read or written is ignored (a corrupt entry is overwritten), and
loading never fails because of it.

Definitions deployed in the database (:func:`load_stored`) are kept the
same way under a key of their content's SHA-256 instead of the file's.

A file changed within :data:`RACY_NS` of being looked at is not stored (its
modification time could repeat after another edit on a filesystem with coarse
timestamps); it is stored on a later load.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path
from typing import Any

from .loader import load_workflow, parse_workflow
from .spec import Workflow, workflow_def_from_dict, workflow_def_to_dict

__all__ = ["RACY_NS", "cache_dir", "load_cached", "load_stored"]

#: Bumped whenever the stored layout changes.
FORMAT = 1
#: A file modified less than this before it was read is not cached yet.
RACY_NS = 2_000_000_000
#: The code whose verdict is cached; its modification times are part of the key.
_CHECKERS = ("loader.py", "schema.py", "spec.py", "constraints.py", "cache.py")


def cache_dir() -> Path:
    """Where checked definitions are kept."""
    from regsam_flow.paths import data_dir

    return data_dir() / "cache"


def _code_stamp() -> list[int]:
    here = os.path.dirname(os.path.abspath(__file__))
    out = []
    for name in _CHECKERS:
        try:
            out.append(os.stat(os.path.join(here, name)).st_mtime_ns)
        except OSError:
            out.append(0)
    return out


def _key(path: str, st: os.stat_result) -> dict[str, Any]:
    from regsam_flow import __version__

    return {
        "format": FORMAT,
        "regsam_flow": __version__,
        "code": _code_stamp(),
        "path": path,
        "mtime_ns": st.st_mtime_ns,
        "size": st.st_size,
        "inode": st.st_ino,
    }


def _entry_file(folder: Path, path: str) -> Path:
    import hashlib

    digest = hashlib.sha256(os.path.abspath(path).encode("utf-8", "surrogateescape"))
    return folder / f"{digest.hexdigest()[:32]}.json"


def _read(
    entry: Path, key: dict[str, Any], source: str, guards: frozenset[str] | None
) -> Workflow | None:
    try:
        with open(entry, encoding="utf-8") as f:
            data = json.load(f)
        if data["key"] != key:
            return None
        definition = workflow_def_from_dict(data["definition"])
    except Exception:  # missing, unreadable, corrupt, from another layout
        return None
    if guards is not None and any(
        g not in guards for t in definition.transitions for g in t.guards
    ):
        return None  # parsing refuses it, naming the unknown guard
    return Workflow.index(definition, source)


def _write(entry: Path, key: dict[str, Any], wf: Workflow) -> None:
    import threading

    tmp = entry.with_name(f"{entry.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(
            {"key": key, "definition": workflow_def_to_dict(wf.definition)}, ensure_ascii=False
        )
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, entry)  # atomic: readers see the old entry or the new one
    except Exception:  # read-only, full, no home folder: just parse next time
        with suppress(Exception):
            tmp.unlink()


def load_cached(
    path: Path | str, known_guards: Iterable[str] | None = None, folder: Path | None = None
) -> Workflow:
    """:func:`~regsam_flow.workflows.loader.load_workflow`, answered from the
    cache in ``folder`` (default :func:`cache_dir`) while the file is unchanged."""
    source = str(path)
    guards = None if known_guards is None else frozenset(known_guards)
    try:
        looked_ns = time.time_ns()
        st = os.stat(source)
        key = _key(source, st)
        entry = _entry_file(cache_dir() if folder is None else folder, source)
    except Exception:  # no such file (load_workflow says so), no data folder
        return load_workflow(path, guards)
    wf = _read(entry, key, source, guards)
    if wf is None:
        wf = load_workflow(path, guards)
        if st.st_mtime_ns + RACY_NS < looked_ns:
            _write(entry, key, wf)
    return wf


def load_stored(
    text: str,
    digest: str,
    source: str,
    known_guards: Iterable[str] | None = None,
    folder: Path | None = None,
) -> Workflow:
    """:func:`~regsam_flow.workflows.loader.parse_workflow` of a definition
    stored in the database, whose SHA-256 is ``digest``; answered from the
    cache (keyed by that hash) when it has seen the same text."""
    from regsam_flow import __version__

    guards = None if known_guards is None else frozenset(known_guards)
    key = {"format": FORMAT, "regsam_flow": __version__, "code": _code_stamp(), "hash": digest}
    try:
        entry = (cache_dir() if folder is None else folder) / f"deployed-{digest[:40]}.json"
    except Exception:  # no data folder
        return parse_workflow(text, source, guards)
    wf = _read(entry, key, source, guards)
    if wf is None:
        wf = parse_workflow(text, source, guards)
        _write(entry, key, wf)
    return wf
