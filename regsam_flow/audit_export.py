"""The exact export of the audit log: JSON lines, one entry a line with
every stored field exactly as it was hashed, then the head.

Shared by ``regsam-flow audit export`` and the web's Prüfung page; checked
by :mod:`regsam_flow.verify` (standard library only).  The README's "The
audit log's encoding" describes the format for verifiers in other languages.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from .model import AUDIT_FIELDS

__all__ = ["EXPORT_FIELDS", "export_lines"]

#: The fields of an exported entry, in the order the hash covers them (then the hash).
EXPORT_FIELDS = AUDIT_FIELDS


def export_lines(
    rows: Iterable[Sequence[Any]], head: Callable[[], tuple[int, str]]
) -> Iterator[str]:
    """Each row (in :data:`EXPORT_FIELDS` order) as one JSON object on a
    line, then ``{"head": {"count": N, "hash": H}}`` with ``head()`` (asked
    after the rows): the head the engine keeps.  Keys in hash order, text as
    it is (UTF-8, not escaped)."""
    for row in rows:
        yield json.dumps(dict(zip(EXPORT_FIELDS, row, strict=True)), ensure_ascii=False) + "\n"
    count, h = head()
    yield json.dumps({"head": {"count": count, "hash": h}}) + "\n"
