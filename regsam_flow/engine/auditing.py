"""Reading the audit log: history, verification, the past of an area."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from .. import audit as audit_mod
from ..errors import InvalidInputError, NotAllowedError
from ..i18n import _
from ..model import (
    AuditEntry,
    AuditHead,
    StoredAuditRow,
    VerifyResult,
)
from ..ports import UnitOfWork
from .access import area_for, person
from .context import EngineContext
from .streaming import streamed


@dataclass(frozen=True)
class AreaSnapshot:
    """An area as the audit log says it was at a moment (made by
    :func:`replay`).  ``agreement`` holds the agreed fields of version
    ``agreement_version`` as the log recorded them (``start``/``review`` as
    ISO dates); ``fields`` the area's fields by the ids its workflow defines,
    each of the type the workflow declares."""

    area: str
    at: datetime
    exists: bool = False
    name: str = ""
    workflow: str = ""
    workflow_version: int = 0
    state: str = ""
    roles: dict[str, list[str]] = field(default_factory=dict)
    agreement: dict[str, str | None] = field(default_factory=dict)
    agreement_version: int = 0
    signed_by: list[str] = field(default_factory=list)
    tasks_done: list[str] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)
    last_seq: int = 0
    #: Bookkeeping for comparing the live tables (``audit verify --deep``):
    #: the transition round, who reported each done task, every agreement
    #: version's fields and signatures (role -> person), and the approvals
    #: given as (round, trigger, role, person).
    created_seq: int = 0
    round: int = 0
    task_by: dict[str, str] = field(default_factory=dict)
    versions: dict[int, dict[str, str | None]] = field(default_factory=dict)
    signatures: dict[int, dict[str, str]] = field(default_factory=dict)
    approvals: set[tuple[int, str, str, str]] = field(default_factory=set)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``regsam-flow as-of --json``."""
        return {
            "area": self.area,
            "at": self.at.isoformat(),
            "exists": self.exists,
            "name": self.name,
            "workflow": self.workflow,
            "workflow_version": self.workflow_version,
            "state": self.state or None,
            "roles": self.roles,
            "agreement": self.agreement or None,
            "agreement_version": self.agreement_version,
            "signed_by": self.signed_by,
            "tasks_done": self.tasks_done,
            "last_seq": self.last_seq,
        }


class AuditService:
    """Reading the audit log: history, verification, the past of an area."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx

    # ------------------------------------------------------------------ audit
    def history(
        self,
        *,
        actor: str,
        area: str | None = None,
        since: datetime | date | str | None = None,
        until: datetime | date | str | None = None,
        by: str | None = None,
    ) -> list[AuditEntry]:
        """Audit entries in order.  Admins and auditors see all; others only
        the entries of the areas they are assigned to."""
        return list(self.iter_history(actor=actor, area=area, since=since, until=until, by=by))

    def iter_history(
        self,
        *,
        actor: str,
        area: str | None = None,
        since: datetime | date | str | None = None,
        until: datetime | date | str | None = None,
        by: str | None = None,
    ) -> Iterator[AuditEntry]:
        """The entries :meth:`history` returns, one at a time as they are
        read (see :func:`streamed`): who may see what is checked before
        this returns, and in the query (a person's areas are a subquery)."""
        from ..dates import to_moment

        since = None if since is None else to_moment(since, "since")
        until = None if until is None else to_moment(until, "until", end_of_day=True)

        def start(uow: UnitOfWork) -> Iterator[AuditEntry]:
            me = person(self.ctx, uow, actor)
            member: str | None = None
            if area is not None:
                area_for(self.ctx, uow, area, actor)
            elif not (me.admin or me.auditor):
                member = me.id
            return uow.stream_audit(
                area=area,
                since=audit_mod.format_ts(since) if since else None,
                until=audit_mod.format_ts(until) if until else None,
                actor=by,
                member=member,
            )

        return streamed(self.ctx, start)

    def _known(self, uow: UnitOfWork, actor: str | None, *, deep: bool = False) -> None:
        """With an ``actor`` (a front end acting for a person): a known
        person; for ``deep``, which names areas and people anywhere, an
        auditor or an admin."""
        if actor is None:
            return
        me = person(self.ctx, uow, actor)
        if deep and not (me.admin or me.auditor):
            raise NotAllowedError(
                _("only auditors and admins may compare the live tables with the log (deep)"),
                actor=actor,
            )

    def export(self, write: Callable[[str], object], *, actor: str) -> AuditHead:
        """Hand the exact export (see :mod:`regsam_flow.audit_export`) to
        ``write`` line by line, read in one snapshot; auditors and admins only."""
        from ..audit_export import export_lines

        with self.ctx.read() as uow:
            me = person(self.ctx, uow, actor)
            if not (me.admin or me.auditor):
                raise NotAllowedError(
                    _("only auditors and admins may export the whole audit log"), actor=actor
                )
            kept = uow.read_audit_head()
            last: tuple[int, str] = (0, audit_mod.GENESIS)

            def rows() -> Iterator[StoredAuditRow]:
                nonlocal last
                for row in uow.iter_audit_rows():
                    last = (row[0], row[11])
                    yield row

            # a damaged head record: the newest entry stands in (the verifier checks the chain)
            for line in export_lines(rows(), lambda: kept or last):
                write(line)
        head = kept or last
        return AuditHead(*head)

    def head(self, *, actor: str | None = None) -> AuditHead:
        """The newest entry's count and hash: keep it to prove later that
        nothing was cut from the end."""
        with self.ctx.read() as uow:
            self._known(uow, actor)
            seq, h = uow.audit_head()
        return AuditHead(seq, h)

    def verify(
        self,
        expect_head: str | None = None,
        *,
        since: str | None = None,
        deep: bool = False,
        actor: str | None = None,
    ) -> VerifyResult:
        """Recompute the chain (see :meth:`Engine.verify`)."""
        expect = audit_mod.parse_head(expect_head) if expect_head else None
        trusted = _trusted_head(since) if since is not None else None
        if expect and trusted and expect[0] is not None and expect[0] < trusted[0]:
            raise InvalidInputError(
                _(
                    "the expected head (entry {expected}) lies before the trusted head "
                    "verification starts from (entry {since})"
                ).format(expected=expect[0], since=trusted[0]),
                field="expect_head",
            )
        findings: list[tuple[int | None, str]] = []
        with self.ctx.read() as uow:
            self._known(uow, actor, deep=deep)
            start = audit_mod.ChainStart()
            if trusted:
                found = _start_from(uow, *trusted)
                if isinstance(found, VerifyResult):
                    return replace(found, since=trusted[0], deep=deep)
                start = found
            result = check_log(uow, expect, start)
            if deep:
                from .consistency import compare_live

                findings = compare_live(uow, uow.iter_audit_rows())
        result = audit_mod.add_findings(result, findings)
        return replace(result, deep=deep, since=trusted[0] if trusted else None)

    def as_of(self, area_id: str, when: datetime | date | str, *, actor: str) -> AreaSnapshot:
        """The area's phase, assignments and agreement at ``when`` (a date:
        the end of that day), reconstructed from the audit log alone."""
        from ..dates import to_moment

        when = to_moment(when, "when", end_of_day=True)
        with self.ctx.read() as uow:
            area_for(self.ctx, uow, area_id, actor)
            entries = uow.query_audit(area=area_id, until=audit_mod.format_ts(when))
        return replay(area_id, when, entries)


def _trusted_head(text: str) -> tuple[int, str]:
    """``COUNT:HASH`` of a head printed earlier, to verify from."""
    count, h = audit_mod.parse_head(text)
    if count is None:
        raise InvalidInputError(
            _(
                "the trusted head {text!r} needs its entry count: COUNT:HASH "
                "(as `regsam-flow audit head` prints)"
            ).format(text=text),
            field="since",
        )
    return count, h


def _start_from(uow: UnitOfWork, count: int, h: str) -> audit_mod.ChainStart | VerifyResult:
    """Where incremental verification starts: entry ``count`` as stored,
    which must have the trusted hash ``h`` (a failed result if it has not)."""
    if count == 0:
        if h != audit_mod.GENESIS:
            return VerifyResult(False, 0, "", 0, _("an empty log's head hash is all zeros"))
        return audit_mod.ChainStart()
    rows = uow.iter_audit_rows(1, after=count - 1)
    try:
        row = next(iter(rows), None)
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()
    if row is None or row[0] != count:
        problem = _(
            "the log has no entry {count}: the trusted head {count}:{hash} is not in it "
            "(entries were cut from the end, or the head is not this log's)"
        ).format(count=count, hash=h)
        return VerifyResult(False, 0, "", count, problem)
    if row[11] != h or not isinstance(row[1], str):
        problem = _(
            "entry {count} does not have the trusted head's hash {hash}: the log was "
            "rewritten (or the head is not this log's)"
        ).format(count=count, hash=h)
        return VerifyResult(False, 0, "", count, problem)
    return audit_mod.ChainStart(count, h, row[1])


def _head_mismatch(result: VerifyResult, head_seq: int) -> VerifyResult:
    """The chain is sound but disagrees with the head the engine keeps."""
    n = result.entries
    if head_seq > n:
        problem = _(
            "the log ends at entry {n} but its head says {head}: entries were cut from the end"
        ).format(n=n, head=head_seq)
        bad = n + 1
    elif head_seq < n:
        problem = _(
            "the log has {n} entries but its head says {head}: entries after "
            "{head} were added behind the engine's back"
        ).format(n=n, head=head_seq)
        bad = head_seq + 1
    else:
        problem = _(
            "entry {n} does not match the head kept by the engine: the log was rewritten"
        ).format(n=n)
        bad = n
    return VerifyResult(False, n, result.head, bad, problem)


def replay(area_id: str, when: datetime, entries: Iterable[AuditEntry]) -> AreaSnapshot:
    """Fold an area's audit entries into an :class:`AreaSnapshot`."""
    import json

    exists, created_seq, last_seq, rnd = False, 0, 0, 0
    name, workflow, workflow_version, state, agreement_version = "", "", 0, "", 0
    roles: dict[str, list[str]] = {}
    agreement: dict[str, str | None] = {}
    signed_by: list[str] = []
    tasks_done: list[str] = []
    fields: dict[str, Any] = {}
    task_by: dict[str, str] = {}
    versions: dict[int, dict[str, str | None]] = {}
    signatures: dict[int, dict[str, str]] = {}
    approvals: set[tuple[int, str, str, str]] = set()
    for e in entries:
        d = json.loads(e.details) if e.details else {}
        last_seq = e.seq
        if e.action == "area_created":
            exists, created_seq, state = True, e.seq, e.to_state
            name, workflow = d.get("name", ""), d.get("workflow", "")
            workflow_version = int(d.get("workflow_version", 0))
        elif e.action == "workflow_migrated":
            workflow_version = int(d.get("to_version", workflow_version))
        elif e.action == "transition":
            state = e.to_state
            for role, person in d.get("approvals", {}).items():
                approvals.add((rnd, e.trigger, role, person))
            rnd = int(d.get("round", rnd + 1))
            for t in d.get("reopened_tasks", []):
                if t in tasks_done:
                    tasks_done.remove(t)
                task_by.pop(t, None)
        elif e.action == "approval":
            approvals.add((rnd, e.trigger, e.role, e.actor))
        elif e.action == "assigned":
            roles.setdefault(d["role"], []).append(d["person"])
        elif e.action == "unassigned":
            people = roles.get(d["role"], [])
            if d["person"] in people:
                people.remove(d["person"])
        elif e.action == "agreement_changed":
            agreement = dict(d.get("fields", {}))
            agreement_version = int(d.get("version", 0))
            signed_by = []
            versions[agreement_version] = agreement
            signatures[agreement_version] = {}
        elif e.action == "agreement_signed":
            version = int(d.get("version", 0))
            if version == agreement_version:
                signed_by.append(e.role)
            signatures.setdefault(version, {})[e.role] = e.actor
        elif e.action == "task_reported":
            tasks_done.append(d["task"])
            task_by[d["task"]] = e.actor
        elif e.action == "fields_set":
            fields.update(d.get("fields", {}))
        elif e.action == "task_reopened":
            if d.get("task") in tasks_done:
                tasks_done.remove(d["task"])
            task_by.pop(d.get("task", ""), None)
    return AreaSnapshot(
        area_id,
        when,
        exists=exists,
        name=name,
        workflow=workflow,
        workflow_version=workflow_version,
        state=state,
        roles={r: sorted(p) for r, p in roles.items() if p},
        agreement=agreement,
        agreement_version=agreement_version,
        signed_by=signed_by,
        tasks_done=tasks_done,
        fields=fields,
        last_seq=last_seq,
        created_seq=created_seq,
        round=rnd,
        task_by=task_by,
        versions=versions,
        signatures=signatures,
        approvals=approvals,
    )


def check_log(
    uow: UnitOfWork,
    expect: tuple[int | None, str] | None = None,
    start: audit_mod.ChainStart | None = None,
) -> VerifyResult:
    """The audit log from ``start`` (default: its beginning) checked: the
    fast batched path, and the row-by-row walk only when that finds
    something (to name it exactly); then against the head the engine keeps."""
    start = start or audit_mod.ChainStart()
    fast = audit_mod.check_batches(uow.iter_audit_batches(start.seq), start, expect)
    times: list[tuple[int | None, str]] = []
    if fast is not None:
        result = VerifyResult(True, *fast)
    else:  # something is wrong: walk the rows to name it exactly
        rows = uow.iter_audit_rows(after=start.seq)
        result, times = audit_mod.check_chain(rows, expect, start)
    result = check_head(result, uow.read_audit_head())
    return audit_mod.add_findings(result, times)


def check_head(result: VerifyResult, head: tuple[int, str] | None) -> VerifyResult:
    """The chain's result against the head the engine keeps."""
    if head is None:
        n = result.entries
        problem = _(
            "the head the engine keeps (entry {n} as the newest) is missing, deleted "
            "behind its back: whether entries after {n} were cut cannot be told "
            "without a head printed earlier (--expect-head)"
        ).format(n=n)
        result = audit_mod.add_findings(result, [(n + 1, problem)])
    elif result.ok and head != (result.entries, result.head):
        result = _head_mismatch(result, head[0])
    return result
