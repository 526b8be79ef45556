"""The engine's shared state and its units of work.

An :class:`EngineContext` holds what every service of the engine needs: the
store, the clock, the notifier, the guards, the deployed workflow
definitions, the callbacks.  It opens the units of work: :meth:`~EngineContext.read`
hands out the store's read handle, :meth:`~EngineContext.write` a :class:`Tx`
(the store's write handle plus audit writing) whose callbacks run after the
commit.  It is a plain object the services are given, not a base class.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import audit as audit_mod
from ..auth import AuthPolicy
from ..errors import InvalidInputError, InvalidWorkflowError, NotFoundError
from ..guards import BUILTIN_GUARDS, Guard
from ..i18n import _
from ..machine import MachineCache
from ..model import Area, AuditEntry
from ..ports import Clock, DocumentRenderer, Notifier, Store, SystemClock, UnitOfWork
from ..validation import check_guard_name
from ..workflows import DeployedWorkflows, Workflow, WorkflowRegistry
from .channel import channel_details

__all__ = ["EVENT_KINDS", "ChangeEvent", "EngineContext", "Tx", "WriteScope"]

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
    "kg",
    "sign_in",
)


@dataclass(frozen=True)
class ChangeEvent:
    """A committed change, handed to callbacks."""

    kind: str
    area: str
    actor: str
    entry: AuditEntry


class Tx:
    """The state of one unit of work: the store's handle plus audit writing."""

    def __init__(self, ctx: EngineContext, uow: UnitOfWork) -> None:
        self.ctx = ctx
        self.uow = uow
        self.now = ctx.clock.now()
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
        fields["details"] = channel_details(fields.get("details"))
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


class EngineContext:
    """What the engine's services share: the adapters, the rules, the callbacks."""

    def __init__(
        self,
        *,
        store: Store,
        workflow_dirs: Sequence[Path | str] = (),
        guards: Mapping[str, Guard] | None = None,
        clock: Clock | None = None,
        notifier: Notifier | None = None,
        notifier_factory: Callable[[Clock], Notifier] | None = None,
        renderer: DocumentRenderer | None = None,
        bind_login: bool = False,
        auth_policy: AuthPolicy | None = None,
    ) -> None:
        self.store = store
        self.auth_policy = auth_policy or AuthPolicy()
        self._renderer = renderer
        self.clock = clock or SystemClock()
        self.bind_login = bind_login
        self.guards: dict[str, Guard] = dict(BUILTIN_GUARDS)
        for name in guards or {}:
            check_guard_name(name)
        self.guards.update(guards or {})
        self.machines = MachineCache()
        self._notifier = notifier
        self._notifier_factory = notifier_factory
        self._login: str | None = None
        self._workflow_dirs = tuple(workflow_dirs)
        self._registry: WorkflowRegistry | None = None
        self._deployed: DeployedWorkflows | None = None
        self._proposals_ok = False
        self._callbacks: dict[str, list[Callable[[ChangeEvent], None]]] = {}
        self._schema_ok = False

    # ---------------------------------------------------------------- adapters
    @property
    def renderer(self) -> DocumentRenderer:
        """What renders the final documentation (``renderer`` given)."""
        if self._renderer is None:
            raise InvalidInputError(
                _(
                    "this engine has no document renderer for the final documentation: pass "
                    "renderer= (or use regsam_flow.Engine, which plugs in regsam_flow.documents)"
                ),
                field="renderer",
            )
        return self._renderer

    @property
    def notifier(self) -> Notifier:
        """The ``notifier`` given, else the one ``notifier_factory`` makes on first use."""
        if self._notifier is None:
            if self._notifier_factory is None:
                raise InvalidInputError(
                    _(
                        "this engine has no notifier to send reminders with: pass "
                        "notifier= (or use regsam_flow.Engine, which reads the mail settings)"
                    ),
                    field="notifier",
                )
            self._notifier = self._notifier_factory(self.clock)
        return self._notifier

    @notifier.setter
    def notifier(self, value: Notifier) -> None:
        self._notifier = value

    @property
    def login(self) -> str:
        """The database login (read once)."""
        if self._login is None:
            self._login = self.store.login()
        return self._login

    # ------------------------------------------------------------------ rules
    @property
    def workflows(self) -> DeployedWorkflows:
        """The deployed definitions (read on first use)."""
        if self._deployed is None:
            self.check_schema()
            with self.store.read() as uow:
                stored = uow.list_workflow_definitions()
            self._deployed = DeployedWorkflows(stored, known_guards=self.guards)
        return self._deployed

    @property
    def local_workflows(self) -> WorkflowRegistry:
        """The shipped definition files and those in ``workflow_dirs``."""
        if self._registry is None:
            self._registry = WorkflowRegistry(self._workflow_dirs, known_guards=self.guards)
        return self._registry

    def forget_workflows(self) -> None:
        """Read the deployed definitions again on next use (one was deployed)."""
        self._deployed = None

    def register_guard(self, name: str, guard: Guard) -> None:
        """Make ``guard`` available to workflow definitions under ``name``."""
        check_guard_name(name)
        self.guards[name] = guard
        self._registry = None  # re-check the definitions against the new name
        self._deployed = None

    def workflow(self, area: Area) -> Workflow:
        """The deployed definition the area runs on."""
        try:
            return self.workflows.get(area.workflow, area.workflow_version)
        except NotFoundError:
            self._deployed = None  # deployed meanwhile by another process?
        try:
            return self.workflows.get(area.workflow, area.workflow_version)
        except NotFoundError:
            raise NotFoundError(
                _(
                    "area '{area}' runs on workflow {workflow} version "
                    "{version}, which is not deployed in this database: an admin "
                    "deploys its definition with `regsam-flow workflow deploy FILE`"
                ).format(area=area.id, workflow=area.workflow, version=area.workflow_version),
                kind="workflow",
                key=area.workflow,
            ) from None

    # -------------------------------------------------------------- callbacks
    def on(self, kind: str, callback: Callable[[ChangeEvent], None]) -> None:
        """Run the callback after each committed change of that kind (or ``*``)."""
        if kind != "*" and kind not in EVENT_KINDS:
            raise InvalidInputError(
                _("unknown event kind {kind}; use one of {kinds} or '*'").format(
                    kind=repr(kind), kinds=", ".join(EVENT_KINDS)
                ),
                field="kind",
            )
        self._callbacks.setdefault(kind, []).append(callback)

    def emit(self, events: Iterable[ChangeEvent]) -> None:
        """Run the callbacks for committed changes; a failing one is logged."""
        for ev in events:
            for cb in self._callbacks.get(ev.kind, []) + self._callbacks.get("*", []):
                try:
                    cb(ev)
                except Exception:
                    log.exception("callback %r failed for %s on %s", cb, ev.kind, ev.area)

    # ---------------------------------------------------------- units of work
    def schema_changed(self) -> None:
        """Check the schema again before the next unit of work."""
        self._schema_ok = False

    def check_schema(self) -> None:
        if not self._schema_ok:
            self.store.check_schema()
            self._schema_ok = True

    def prepare(self) -> None:
        """Before a unit of work: the schema checked, the deployed definitions
        read, the local proposals compared with them."""
        self.check_schema()
        self.workflows  # noqa: B018 - read the deployed definitions now
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
                    _(
                        "{source}: {workflow} version {version} is deployed with other "
                        "content (hash {hash}, from {stored}): areas run on "
                        "the deployed rules, a local file cannot change them; give your changes "
                        "a new version and have an admin deploy it "
                        "(`regsam-flow workflow deploy FILE`)"
                    ).format(
                        source=wf.source,
                        workflow=wf.name,
                        version=wf.version,
                        hash=stored.hash[:12],
                        stored=stored.source,
                    ),
                    source=wf.source,
                    element="version",
                )

    def write(self) -> WriteScope:
        """A write unit of work (``with ctx.write() as tx``); callbacks after the commit."""
        self.prepare()
        return WriteScope(self)

    def read(self) -> AbstractContextManager[UnitOfWork]:
        """A read unit of work."""
        self.prepare()
        return self.store.read()


class WriteScope:
    """Context manager: a write unit of work; callbacks after the commit."""

    def __init__(
        self, ctx: EngineContext, unit: AbstractContextManager[UnitOfWork] | None = None
    ) -> None:
        self.ctx = ctx
        self._cm: Any = unit
        self.tx: Tx | None = None

    def __enter__(self) -> Tx:
        if self._cm is None:
            self._cm = self.ctx.store.write()
        uow = self._cm.__enter__()
        self.tx = Tx(self.ctx, uow)
        return self.tx

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self._cm.__exit__(exc_type, exc, tb)
        if exc_type is None and self.tx is not None:
            self.ctx.emit(self.tx.events)
