"""The workflow definitions shipped with regsam-flow, as a new store receives them.

A store that is created (the SQL migration 0004, the memory store's
``upgrade``) deploys each shipped definition with an audit entry
``workflow_deployed`` by :data:`SYSTEM_ACTOR`; :func:`shipped_deployments`
builds both, the store only writes them.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from .audit import format_ts, make_entry
from .model import AuditEntry, StoredWorkflow

__all__ = ["SYSTEM_ACTOR", "shipped_deployments"]

#: Who deploys the shipped definitions (in ``init`` and the migration).
SYSTEM_ACTOR = "regsam-flow"


def shipped_deployments(
    seq: int, prev: str, now: datetime
) -> list[tuple[StoredWorkflow, AuditEntry]]:
    """Each shipped definition (by file name) with the audit entry of its
    deployment, chained on from the head ``(seq, prev)``."""
    from .audit import parse_ts
    from .workflows import BUILTIN_DIR
    from .workflows.cache import load_stored

    at = parse_ts(format_ts(now))  # as stored: microseconds, UTC
    out = []
    for path in sorted(BUILTIN_DIR.glob("*.yaml")):
        text = path.read_bytes().decode("utf-8")
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        wf = load_stored(text, digest, str(path))  # parsed once, then from the cache
        definition = StoredWorkflow(wf.name, wf.version, digest, text, path.name, SYSTEM_ACTOR, at)
        entry = make_entry(
            seq,
            prev,
            at=now,
            actor=SYSTEM_ACTOR,
            action="workflow_deployed",
            details={
                "workflow": wf.name,
                "version": wf.version,
                "hash": digest,
                "source": path.name,
            },
        )
        out.append((definition, entry))
        seq, prev = entry.seq, entry.hash
    return out
