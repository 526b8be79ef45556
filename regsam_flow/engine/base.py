"""The engine's foundation: units of work, access checks, callbacks."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from .. import audit as audit_mod
from ..errors import (
    BlockedError,
    Blocker,
    ConflictError,
    InvalidInputError,
    InvalidWorkflowError,
    NotAllowedError,
    NotFoundError,
)
from ..guards import BUILTIN_GUARDS, Guard
from ..machine import MachineCache
from ..model import (
    Area,
    AuditEntry,
    Person,
)
from ..ports import Clock, Notifier, Store, SystemClock, UnitOfWork
from ..validation import check_guard_name
from ..workflows import DeployedWorkflows, Workflow, WorkflowRegistry

log = logging.getLogger("regsam_flow")

#: Kinds of change a callback can subscribe to.
EVENT_KINDS = (
    "transition",
    "approval",
    "task",
    "agreement",
    "assignment",
    "area",
    "person",
    "review",
    "reminder",
    "fields",
    "vote",
    "workflow",
)
#: Roles an area's moderation may assign; the rest are assigned by an admin.
MODERATION_ASSIGNS = ("steering", "provider", "sbh")


@dataclass(frozen=True)
class ChangeEvent:
    """A committed change, handed to callbacks."""

    kind: str
    area: str
    actor: str
    entry: AuditEntry


class _Tx:
    """The state of one unit of work: the store's handle plus audit writing."""

    def __init__(self, engine: EngineBase, uow: UnitOfWork) -> None:
        self.engine = engine
        self.uow = uow
        self.now = engine.clock.now()
        self.events: list[ChangeEvent] = []
        self._head: tuple[int, str] | None = None
        self._at = self.now

    def audit(self, kind: str, **fields: Any) -> AuditEntry:
        """Append an entry.  Its time is the writer's clock, or its
        predecessor's if that is later (clocks differ): the log's time never
        goes back; the writer's own time is then kept in the details."""
        if self._head is None:
            self._head = self.uow.audit_head()
            mine = audit_mod.format_ts(self.now)
            previous = self.uow.audit_at(self._head[0]) if self._head[0] else None
            at = audit_mod.later_ts(mine, previous)
            if at != mine:
                self._at = audit_mod.parse_ts(at)
        if self._at != self.now:
            fields["details"] = {
                **(fields.get("details") or {}),
                "writer_clock": audit_mod.format_ts(self.now),
            }
        entry = audit_mod.make_entry(self._head[0], self._head[1], at=self._at, **fields)
        self.uow.append_audit(entry)
        self._head = (entry.seq, entry.hash)
        self.events.append(ChangeEvent(kind, entry.area, entry.actor, entry))
        return entry


class EngineBase:
    """State and helpers shared by every part of the :class:`Engine`."""

    def __init__(
        self,
        *,
        store: Store,
        workflow_dirs: Sequence[Path | str] = (),
        guards: Mapping[str, Guard] | None = None,
        clock: Clock | None = None,
        notifier: Notifier | None = None,
        notifier_factory: Callable[[Clock], Notifier] | None = None,
        bind_login: bool = False,
    ) -> None:
        self.store = store
        self.url = store.url
        self.clock = clock or SystemClock()
        self._notifier = notifier
        self._notifier_factory = notifier_factory
        self.bind_login = bind_login
        self._login: str | None = None
        self._guards: dict[str, Guard] = dict(BUILTIN_GUARDS)
        for name in guards or {}:
            check_guard_name(name)
        self._guards.update(guards or {})
        self._workflow_dirs = tuple(workflow_dirs)
        self._registry: WorkflowRegistry | None = None
        self._deployed: DeployedWorkflows | None = None
        self._proposals_ok = False
        self._machines = MachineCache()
        self._callbacks: dict[str, list[Callable[[ChangeEvent], None]]] = {}
        self._schema_ok = False

    # ------------------------------------------------------------------ setup
    @property
    def workflows(self) -> DeployedWorkflows:
        """The workflow definitions deployed in the database: the rules areas
        run on (read on first use)."""
        if self._deployed is None:
            self._check_schema()
            with self.store.read() as uow:
                stored = uow.list_workflow_definitions()
            self._deployed = DeployedWorkflows(stored, known_guards=self._guards)
        return self._deployed

    @property
    def local_workflows(self) -> WorkflowRegistry:
        """The definition files: the shipped ones and those in ``workflow_dirs``.
        They only propose definitions; an admin deploys them."""
        if self._registry is None:
            self._registry = WorkflowRegistry(self._workflow_dirs, known_guards=self._guards)
        return self._registry

    def register_guard(self, name: str, guard: Guard) -> None:
        """Make ``guard`` available to workflow definitions under ``name``."""
        check_guard_name(name)
        self._guards[name] = guard
        self._registry = None  # re-check the definitions against the new name
        self._deployed = None

    def on(self, kind: str, callback: Callable[[ChangeEvent], None]) -> None:
        """Run the callback after each committed change of that kind, one of
        :data:`EVENT_KINDS`: ``transition`` (a phase change), ``approval``
        (one role's approval of a transition that needs several), ``task``,
        ``agreement`` (set or signed), ``assignment`` (a role given or taken),
        ``area`` (created), ``person`` (added or changed), ``review`` (a
        review-date decision), ``reminder`` (sent, failed, superseded, ...),
        ``fields`` (instance data set), ``vote`` (cast in a selection),
        ``workflow`` (a definition deployed); ``*`` for all.  A failing
        callback is logged; the change stays committed."""
        if kind != "*" and kind not in EVENT_KINDS:
            raise InvalidInputError(
                f"unknown event kind {kind!r}; use one of {', '.join(EVENT_KINDS)} or '*'",
                field="kind",
            )
        self._callbacks.setdefault(kind, []).append(callback)

    def schema_status(self) -> tuple[str | None, str]:
        """(schema revision of the database or None, revision this code needs)."""
        return self.store.schema_status()

    def upgrade(self) -> tuple[str | None, str]:
        """Create the schema or upgrade it to this version's; safe to repeat."""
        result = self.store.upgrade()
        self._schema_ok = False
        return result

    def close(self) -> None:
        self.store.close()

    @property
    def login(self) -> str:
        """The database login this engine connects as (PostgreSQL's
        session_user).  With ``bind_login=True`` every action must be taken
        by the person of that id: ``--as`` cannot act as someone else."""
        if self._login is None:
            self._login = self.store.login()
        return self._login

    # ------------------------------------------------------------- internals
    def _check_schema(self) -> None:
        if not self._schema_ok:
            self.store.check_schema()
            self._schema_ok = True

    def _prepare(self) -> None:
        """Before a unit of work: the schema checked, the deployed definitions
        read, the local proposals compared with them."""
        self._check_schema()
        _ = self.workflows
        if not self._proposals_ok:
            self._check_proposals()
            self._proposals_ok = True

    def _check_proposals(self) -> None:
        """Refuse a file in ``workflow_dirs`` that has the name and version of a
        deployed definition but other content: it must not seem to apply."""
        if not self._workflow_dirs:
            return
        for wf in self.local_workflows.from_folders:
            stored = self.workflows.stored(wf.name, wf.version)
            if stored is None:
                continue
            try:
                digest = hashlib.sha256(Path(wf.source).read_bytes()).hexdigest()
            except OSError:
                continue
            if digest != stored.hash:
                raise InvalidWorkflowError(
                    f"{wf.source}: {wf.name} version {wf.version} is deployed with other "
                    f"content (hash {stored.hash[:12]}, from {stored.source}): areas run on "
                    "the deployed rules, a local file cannot change them; give your changes "
                    "a new version and have an admin deploy it "
                    "(`regsam-flow workflow deploy FILE`)",
                    source=wf.source,
                    element="version",
                )

    def _write(self) -> _WriteScope:
        self._prepare()
        return _WriteScope(self)

    def _read(self) -> AbstractContextManager[UnitOfWork]:
        self._prepare()
        return self.store.read()

    def _emit(self, events: Iterable[ChangeEvent]) -> None:
        for ev in events:
            for cb in self._callbacks.get(ev.kind, []) + self._callbacks.get("*", []):
                try:
                    cb(ev)
                except Exception:
                    log.exception("callback %r failed for %s on %s", cb, ev.kind, ev.area)

    def _workflow(self, area: Area) -> Workflow:
        """The deployed definition the area runs on."""
        try:
            return self.workflows.get(area.workflow, area.workflow_version)
        except NotFoundError:
            self._deployed = None  # deployed meanwhile by another process?
        try:
            return self.workflows.get(area.workflow, area.workflow_version)
        except NotFoundError:
            raise NotFoundError(
                f"area '{area.id}' runs on workflow {area.workflow} version "
                f"{area.workflow_version}, which is not deployed in this database: an admin "
                "deploys its definition with `regsam-flow workflow deploy FILE`",
                kind="workflow",
                key=area.workflow,
            ) from None

    def _person(self, uow: UnitOfWork, actor: str) -> Person:
        if self.bind_login and actor != self.login:
            raise NotAllowedError(
                f"this database binds people to their database login: you are "
                f"'{self.login}' and cannot act as '{actor}'",
                actor=actor,
            )
        person = uow.get_person(actor)
        if person is None:
            raise NotAllowedError(
                f"unknown user '{actor}': an admin must add you first (regsam-flow user add)",
                actor=actor,
            )
        return person

    def _area_for(
        self, uow: UnitOfWork, area_id: str, actor: str
    ) -> tuple[Area, Person, frozenset[str], list[tuple[str, str]]]:
        """The area, the person, their roles there, and all assignments.

        Someone who may not read the area (no role in it, neither admin nor
        auditor) is told it does not exist, in the very words used for an
        area that does not: the answer must not reveal which areas exist."""
        person = self._person(uow, actor)
        area = uow.get_area(area_id)
        assignments = uow.get_assignments(area_id) if area is not None else []
        roles = frozenset(r for r, p in assignments if p == actor)
        if area is None or (not roles and not person.admin and not person.auditor):
            raise NotFoundError(f"no area '{area_id}'", kind="area", key=area_id)
        return area, person, roles, assignments

    def _member(
        self, uow: UnitOfWork, area_id: str, actor: str, allowed: Iterable[str], what: str
    ) -> tuple[Area, Workflow, frozenset[str]]:
        """The area for a change by a member holding one of ``allowed`` roles."""
        area, _person, roles, _ = self._area_for(uow, area_id, actor)
        wf = self._workflow(area)
        allowed = tuple(allowed)
        if not roles & set(allowed):
            raise NotAllowedError(
                f"{actor} may not {what} in area '{area_id}': that needs the role "
                f"{' or '.join(allowed)}"
                + (f" (you are {', '.join(sorted(roles))})" if roles else ""),
                actor=actor,
                area=area_id,
            )
        refuse_if_final(area, wf)
        return area, wf, roles

    @staticmethod
    def _expect(area: Area, expected_version: int | None) -> None:
        if expected_version is not None and area.version != expected_version:
            raise ConflictError(
                f"area '{area.id}' changed meanwhile (version {area.version}, you saw "
                f"{expected_version}); nothing was written, look at it again and retry",
                area=area.id,
            )

    def _bump(self, tx: _Tx, area: Area) -> Area:
        """Count a change to the area (its version); return the area as it is now."""
        version = tx.uow.update_area(
            area.id, area.version, state=area.state, round=area.round, at=tx.now
        )
        return replace(area, version=version, updated_at=tx.now)

    def _reschedule(self, tx: _Tx, area: Area, wf: Workflow, review: date | None) -> dict[str, int]:
        """Replace the area's pending reminders by those for ``review``."""
        from ..schedule import planned_reminders

        policy = wf.definition.reminders
        cancelled = tx.uow.cancel_reminders(area.id)
        planned = 0
        if (
            policy is not None
            and review is not None
            and not wf.is_final(area.state)
            and tx.uow.get_review(area.id, review) is None
        ):
            rems = planned_reminders(area.id, review, policy)
            tx.uow.add_reminders(rems, tx.now)
            planned = len(rems)
        return {"reminders_cancelled": cancelled, "reminders_planned": planned}


class _WriteScope:
    """Context manager: a write unit of work; callbacks after the commit."""

    def __init__(
        self, engine: EngineBase, unit: AbstractContextManager[UnitOfWork] | None = None
    ) -> None:
        self.engine = engine
        self._cm: Any = unit
        self.tx: _Tx | None = None

    def __enter__(self) -> _Tx:
        if self._cm is None:
            self._cm = self.engine.store.write()
        uow = self._cm.__enter__()
        self.tx = _Tx(self.engine, uow)
        return self.tx

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self._cm.__exit__(exc_type, exc, tb)
        if exc_type is None and self.tx is not None:
            self.engine._emit(self.tx.events)


def refuse_if_final(area: Area, wf: Workflow) -> None:
    if wf.is_final(area.state):
        raise BlockedError(
            f"area '{area.id}' is {area.state}: nothing can change any more",
            [Blocker("area_final", f"the area is in its final state '{area.state}'")],
            area=area.id,
        )


def pick_role(roles: Iterable[str], preferred: Iterable[str]) -> str:
    roles = set(roles)
    for r in preferred:
        if r in roles:
            return r
    return sorted(roles)[0] if roles else ""
