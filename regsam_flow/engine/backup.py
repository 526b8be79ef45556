"""Backing up the database: a copy that proves itself against the audit
log's head before it is kept."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import AuditError, NotAllowedError
from ..i18n import _
from ..model import AuditHead
from .access import person
from .auditing import check_log
from .context import EngineContext

__all__ = ["BackupResult", "backup"]


@dataclass(frozen=True)
class BackupResult:
    """A backup written and checked: its file and the audit head it holds."""

    path: str
    head: AuditHead

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "entries": self.head.entries,
            "head": str(self.head),
        }


def backup(
    ctx: EngineContext, target: str, *, actor: str | None = None, force: bool = False
) -> BackupResult:
    """Copy the whole database to ``target`` and keep the copy only if its
    audit chain verifies and ends at the head the database had when the
    copy was taken.  The copy holds everything (people, their addresses,
    sign-in data), so with ``actor`` only an admin may take it.  A database
    whose schema is not this version's (the backup before ``init`` upgrades
    it) is copied for whoever may read it: its people cannot be read as this
    version knows them, and its file is readable to that caller anyway."""
    copying = ctx.store.backup(target, overwrite=force)  # a store that cannot: refused now
    found, needed = ctx.store.schema_status()
    if found is None:
        ctx.store.check_schema()  # not initialised: nothing to back up
    if actor is not None and found == needed:
        with ctx.read() as uow:
            me = person(ctx, uow, actor)
        if not me.admin:
            raise NotAllowedError(
                _("only admins may back up the database: the copy holds all of it"),
                actor=actor,
            )
    with copying as (head, copy):
        if head is None:
            raise AuditError(_("the database keeps no audit head; nothing was backed up"))
        with copy.read() as uow:
            result = check_log(uow, head)
        if not result.ok or (result.entries, result.head) != head:
            problem = result.problem or _(
                "the copy ends at entry {n}, the database was at entry {m}"
            ).format(n=result.entries, m=head[0])
            raise AuditError(
                _("the copy does not verify, so no backup was written: {problem}").format(
                    problem=problem
                ),
                first_bad_seq=result.first_bad_seq,
            )
    return BackupResult(path=target, head=AuditHead(*head))
