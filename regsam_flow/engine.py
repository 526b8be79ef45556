"""The :class:`Engine`: the one API the CLI and every embedding tool use.

Each public method is one unit of work: it checks who acts, evaluates the
guards, writes the change and its audit entry in one transaction (both or
neither), and only then runs the callbacks registered for that change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from . import audit as audit_mod
from .errors import (
    BlockedError,
    Blocker,
    InvalidInputError,
    NotAllowedError,
    NotFoundError,
)
from .guards import BUILTIN_GUARDS, Guard, GuardContext
from .machine import MachineCache
from .model import (
    AGREEMENT_FIELDS,
    AGREEMENT_SIGNERS,
    Agreement,
    Area,
    AreaStatus,
    AuditEntry,
    AuditHead,
    FireResult,
    NextStep,
    Person,
    TaskStatus,
    VerifyResult,
)
from .ports import Clock, Store, SystemClock, UnitOfWork
from .validation import check_email, check_id, check_text
from .workflows import TransitionDef, Workflow, WorkflowRegistry

__all__ = ["AreaSnapshot", "ChangeEvent", "Engine"]

log = logging.getLogger("regsam_flow")

#: Kinds of change a callback can subscribe to.
EVENT_KINDS = ("transition", "approval", "task", "agreement", "assignment", "area", "person")
#: Roles an area's moderation may assign; the rest are assigned by an admin.
MODERATION_ASSIGNS = ("steering", "provider", "sbh")


@dataclass(frozen=True)
class ChangeEvent:
    """A committed change, handed to callbacks."""

    kind: str
    area: str
    actor: str
    entry: AuditEntry


@dataclass
class AreaSnapshot:
    """An area as the audit log says it was at a moment."""

    area: str
    at: datetime
    exists: bool = False
    name: str = ""
    workflow: str = ""
    workflow_version: int = 0
    state: str = ""
    roles: dict[str, list[str]] = field(default_factory=dict)
    agreement: dict[str, Any] = field(default_factory=dict)
    agreement_version: int = 0
    signed_by: list[str] = field(default_factory=list)
    tasks_done: list[str] = field(default_factory=list)
    last_seq: int = 0


class _Tx:
    """The state of one unit of work: the store's handle plus audit writing."""

    def __init__(self, engine: Engine, uow: UnitOfWork) -> None:
        self.engine = engine
        self.uow = uow
        self.now = engine.clock.now()
        self.events: list[ChangeEvent] = []
        self._head: tuple[int, str] | None = None

    def audit(self, kind: str, **fields: Any) -> AuditEntry:
        if self._head is None:
            self._head = self.uow.audit_head()
        entry = audit_mod.make_entry(self._head[0], self._head[1], at=self.now, **fields)
        self.uow.append_audit(entry)
        self._head = (entry.seq, entry.hash)
        self.events.append(ChangeEvent(kind, entry.area, entry.actor, entry))
        return entry


class Engine:
    """Focus areas and their workflows, on one database.

    ``Engine(url)`` opens a database (default: a SQLite file in the user's data
    folder).  A new database must be created first with :meth:`init`; an older
    one is refused until :meth:`upgrade` (``regsam-flow init``) upgraded it.

    Every action names the person acting (``actor``); what they may do follows
    from their global roles (admin, auditor) and their roles in the area.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        workflow_dirs: Sequence[Path | str] = (),
        guards: Mapping[str, Guard] | None = None,
        clock: Clock | None = None,
        store: Store | None = None,
    ) -> None:
        if store is None:
            from .paths import default_db_url
            from .persistence import SqlStore

            store = SqlStore(url or default_db_url())
        self.store = store
        self.url = store.url
        self.clock = clock or SystemClock()
        self._guards: dict[str, Guard] = dict(BUILTIN_GUARDS)
        self._guards.update(guards or {})
        self._workflow_dirs = tuple(workflow_dirs)
        self._registry: WorkflowRegistry | None = None
        self._machines = MachineCache()
        self._callbacks: dict[str, list[Callable[[ChangeEvent], None]]] = {}
        self._schema_ok = False

    # ------------------------------------------------------------------ setup
    @property
    def workflows(self) -> WorkflowRegistry:
        """Every workflow definition this engine knows (loaded on first use)."""
        if self._registry is None:
            self._registry = WorkflowRegistry(self._workflow_dirs, known_guards=self._guards)
        return self._registry

    def register_guard(self, name: str, guard: Guard) -> None:
        """Make ``guard`` available to workflow files under ``name``."""
        check_id(name, "guard name")
        self._guards[name] = guard
        self._registry = None  # re-check the definitions against the new name

    def on(self, kind: str, callback: Callable[[ChangeEvent], None]) -> None:
        """Run ``callback`` after each committed change of that kind
        (``transition``, ``approval``, ``task``, ``agreement``, ``assignment``,
        ``area``, ``person``; ``*`` for all).  A failing callback is logged;
        the change stays committed."""
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

    def init(self, admin: str | None = None, *, name: str = "", email: str = "") -> bool:
        """Create or upgrade the database; make ``admin`` an admin (created if
        new).  Returns True if the admin was created or promoted now."""
        self.upgrade()
        if admin is None:
            return False
        check_id(admin, "user")
        with self._write() as tx:
            person = tx.uow.get_person(admin)
            if person is not None and person.admin:
                return False
            if person is not None:
                raise InvalidInputError(
                    f"user '{admin}' exists and is not an admin; an admin can make them one",
                    field="admin",
                )
            if email:
                check_email(email)
            new = Person(admin, check_text(name or admin, "name", max_len=200), email, "", True)
            tx.uow.add_person(new, tx.now)
            tx.audit("person", actor=admin, action="person_added", details=_person_details(new))
        return True

    def close(self) -> None:
        self.store.close()

    # ------------------------------------------------------------- internals
    def _check_schema(self) -> None:
        if not self._schema_ok:
            check = getattr(self.store, "check_schema", None)
            if check is not None:
                check()
            self._schema_ok = True

    def _write(self) -> _WriteScope:
        self._check_schema()
        return _WriteScope(self)

    def _read(self) -> AbstractContextManager[UnitOfWork]:
        self._check_schema()
        return self.store.read()

    def _emit(self, events: Iterable[ChangeEvent]) -> None:
        for ev in events:
            for cb in self._callbacks.get(ev.kind, []) + self._callbacks.get("*", []):
                try:
                    cb(ev)
                except Exception:
                    log.exception("callback %r failed for %s on %s", cb, ev.kind, ev.area)

    def _workflow(self, area: Area) -> Workflow:
        return self.workflows.get(area.workflow, area.workflow_version)

    @staticmethod
    def _person(uow: UnitOfWork, actor: str) -> Person:
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
        """The area, the person, their roles there, and all assignments;
        refuses people who may not read it."""
        person = self._person(uow, actor)
        area = uow.get_area(area_id)
        if area is None:
            raise NotFoundError(f"no area '{area_id}'", kind="area", key=area_id)
        assignments = uow.get_assignments(area_id)
        roles = frozenset(r for r, p in assignments if p == actor)
        if not roles and not person.admin and not person.auditor:
            raise NotAllowedError(
                f"{actor} has no role in area '{area_id}' and may not see it",
                actor=actor,
                area=area_id,
            )
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
        _refuse_if_final(area, wf)
        return area, wf, roles

    @staticmethod
    def _expect(area: Area, expected_version: int | None) -> None:
        if expected_version is not None and area.version != expected_version:
            from .errors import ConflictError

            raise ConflictError(
                f"area '{area.id}' changed meanwhile (version {area.version}, you saw "
                f"{expected_version}); nothing was written, look at it again and retry",
                area=area.id,
            )

    def _bump(self, tx: _Tx, area: Area) -> None:
        tx.uow.update_area(area.id, area.version, state=area.state, round=area.round, at=tx.now)

    # ----------------------------------------------------------------- people
    def add_person(
        self,
        person_id: str,
        *,
        actor: str,
        name: str,
        email: str,
        org: str = "",
        admin: bool = False,
        auditor: bool = False,
    ) -> Person:
        """Add a person (admins only)."""
        person = Person(
            check_id(person_id, "user"),
            check_text(name, "name", max_len=200, required=True, multiline=False),
            check_email(email),
            check_text(org, "org", max_len=200, multiline=False),
            admin,
            auditor,
        )
        with self._write() as tx:
            me = self._person(tx.uow, actor)
            if not me.admin:
                raise NotAllowedError(f"only an admin may add people ({actor} is not)", actor=actor)
            if tx.uow.get_person(person_id) is not None:
                raise InvalidInputError(f"user '{person_id}' exists already", field="user")
            tx.uow.add_person(person, tx.now)
            tx.audit("person", actor=actor, action="person_added", details=_person_details(person))
        return person

    def get_person(self, person_id: str, *, actor: str) -> Person:
        with self._read() as uow:
            self._person(uow, actor)
            p = uow.get_person(person_id)
        if p is None:
            raise NotFoundError(f"no user '{person_id}'", kind="user", key=person_id)
        return p

    def list_people(self, *, actor: str) -> list[Person]:
        """Everybody (any known person may look up whom to assign)."""
        with self._read() as uow:
            self._person(uow, actor)
            return uow.list_people()

    # ------------------------------------------------------------------ areas
    def create_area(
        self,
        area_id: str,
        *,
        actor: str,
        name: str,
        district: str = "",
        workflow: str = "schwerpunktgebiet",
        agreement: Mapping[str, Any] | None = None,
    ) -> Area:
        """Create an area on the newest version of ``workflow`` (admins only)."""
        check_id(area_id, "area")
        name = check_text(name, "name", max_len=200, required=True, multiline=False)
        district = check_text(district, "district", max_len=200, multiline=False)
        wf = self.workflows.get(workflow)
        with self._write() as tx:
            me = self._person(tx.uow, actor)
            if not me.admin:
                raise NotAllowedError(
                    f"only an admin may create areas ({actor} is not)", actor=actor
                )
            if tx.uow.get_area(area_id) is not None:
                raise InvalidInputError(f"area '{area_id}' exists already", field="area")
            area = Area(
                area_id, name, district, wf.name, wf.version, wf.initial, 1, 0, tx.now, tx.now
            )
            tx.uow.add_area(area)
            tx.audit(
                "area",
                actor=actor,
                action="area_created",
                area=area_id,
                to_state=wf.initial,
                details={
                    "name": name,
                    "district": district,
                    "workflow": wf.name,
                    "workflow_version": wf.version,
                },
            )
            if agreement:
                self._store_agreement(tx, area, actor, "", None, agreement)
        return area

    def list_areas(self, *, actor: str, state: str | None = None) -> list[Area]:
        """The areas ``actor`` may see (admins and auditors: all)."""
        with self._read() as uow:
            me = self._person(uow, actor)
            member = None if (me.admin or me.auditor) else actor
            return uow.list_areas(state=state, member=member)

    def get_area(self, area_id: str, *, actor: str) -> Area:
        with self._read() as uow:
            return self._area_for(uow, area_id, actor)[0]

    def assign(self, area_id: str, role: str, person_id: str, *, actor: str) -> None:
        """Give ``person_id`` a role in the area.  Admins assign any role; the
        area's moderation may assign steering, provider and sbh."""
        self._assignment(area_id, role, person_id, actor, add=True)

    def unassign(self, area_id: str, role: str, person_id: str, *, actor: str) -> None:
        """Take a role in the area away from ``person_id`` (same rights as assign)."""
        self._assignment(area_id, role, person_id, actor, add=False)

    def _assignment(self, area_id: str, role: str, person_id: str, actor: str, add: bool) -> None:
        with self._write() as tx:
            area, me, my_roles, assignments = self._area_for(tx.uow, area_id, actor)
            wf = self._workflow(area)
            if role not in wf.definition.roles:
                raise InvalidInputError(
                    f"'{role}' is no role of workflow {wf.name}: use one of "
                    + ", ".join(wf.definition.roles),
                    field="role",
                )
            may = me.admin or ("moderation" in my_roles and role in MODERATION_ASSIGNS)
            if not may:
                who = (
                    "an admin"
                    if role not in MODERATION_ASSIGNS
                    else "an admin or the area's moderation"
                )
                raise NotAllowedError(
                    f"only {who} may {'assign' if add else 'unassign'} {role} in '{area_id}'",
                    actor=actor,
                    area=area_id,
                )
            _refuse_if_final(area, wf)
            if tx.uow.get_person(person_id) is None:
                raise NotFoundError(f"no user '{person_id}'", kind="user", key=person_id)
            present = (role, person_id) in assignments
            if add and present:
                raise InvalidInputError(
                    f"{person_id} is {role} in '{area_id}' already", field="user"
                )
            if not add and not present:
                raise NotFoundError(
                    f"{person_id} is not {role} in '{area_id}'", kind="assignment", key=person_id
                )
            if add:
                tx.uow.add_assignment(area_id, role, person_id)
            else:
                tx.uow.remove_assignment(area_id, role, person_id)
            self._bump(tx, area)
            tx.audit(
                "assignment",
                actor=actor,
                role="admin" if me.admin else "moderation",
                area=area_id,
                action="assigned" if add else "unassigned",
                details={"role": role, "person": person_id},
            )

    # -------------------------------------------------------------- agreement
    def agreement(
        self, area_id: str, *, actor: str, version: int | None = None
    ) -> Agreement | None:
        """The area's agreement (newest version, or the one asked for)."""
        with self._read() as uow:
            self._area_for(uow, area_id, actor)
            ag = uow.get_agreement(area_id, version)
        if ag is None and version is not None:
            raise NotFoundError(
                f"area '{area_id}' has no agreement version {version}",
                kind="agreement",
                key=str(version),
            )
        return ag

    def set_agreement(
        self,
        area_id: str,
        *,
        actor: str,
        expected_version: int | None = None,
        **changes: Any,
    ) -> Agreement:
        """Change fields of the agreement (moderation or social planning).

        Fields: topic, scope, reasons, partners, terms, duration (text), start,
        review (:class:`datetime.date` or a date string).  Each change makes a
        new version and voids the signatures.
        """
        with self._write() as tx:
            area, _wf, roles = self._member(
                tx.uow, area_id, actor, AGREEMENT_SIGNERS, "change the agreement"
            )
            self._expect(area, expected_version)
            role = _pick_role(roles, AGREEMENT_SIGNERS)
            return self._store_agreement(
                tx, area, actor, role, tx.uow.get_agreement(area_id), changes
            )

    def _store_agreement(
        self,
        tx: _Tx,
        area: Area,
        actor: str,
        role: str,
        current: Agreement | None,
        changes: Mapping[str, Any],
    ) -> Agreement:
        clean = _clean_agreement_changes(changes)
        base = current or Agreement()
        new = base.with_changes(**clean)
        if new.start and new.review and new.review < new.start:
            raise InvalidInputError(
                f"review date {new.review:%d.%m.%Y} lies before the start date "
                f"{new.start:%d.%m.%Y}",
                field="review",
            )
        changed = [k for k in clean if getattr(base, k) != getattr(new, k)]
        if current is not None and not changed:
            raise InvalidInputError("nothing to change: the agreement says that already")
        new = new.with_changes(
            version=base.version + 1, created_at=tx.now, created_by=actor, signatures={}
        )
        tx.uow.add_agreement(area.id, new)
        self._bump(tx, area)
        tx.audit(
            "agreement",
            actor=actor,
            role=role,
            area=area.id,
            action="agreement_changed",
            details={
                "version": new.version,
                "changed": changed,
                "fields": new.fields(),
                "voided_signatures": sorted(base.signatures),
            },
        )
        return new

    def sign_agreement(
        self,
        area_id: str,
        *,
        actor: str,
        role: str | None = None,
        expected_version: int | None = None,
    ) -> Agreement:
        """Sign the current agreement for your role (moderation or social planning)."""
        with self._write() as tx:
            area, _wf, roles = self._member(
                tx.uow, area_id, actor, AGREEMENT_SIGNERS, "sign the agreement"
            )
            self._expect(area, expected_version)
            ag = tx.uow.get_agreement(area_id)
            candidates = [r for r in AGREEMENT_SIGNERS if r in roles and (role in (None, r))]
            if not candidates:
                raise NotAllowedError(
                    f"{actor} is not {role} in '{area_id}'", actor=actor, area=area_id
                )
            if ag is None:
                raise BlockedError(
                    "there is no agreement to sign",
                    [Blocker("agreement_missing", "no cooperation agreement yet")],
                    area=area_id,
                )
            blockers = []
            if ag.missing_fields():
                blockers.append(
                    Blocker(
                        "agreement_incomplete", "agreement lacks: " + ", ".join(ag.missing_fields())
                    )
                )
            open_roles = [r for r in candidates if r not in ag.signatures]
            if not open_roles:
                blockers.append(
                    Blocker(
                        "already_signed",
                        f"version {ag.version} is signed by {candidates[0]} already",
                    )
                )
            if blockers:
                raise BlockedError("cannot sign the agreement", blockers, area=area_id)
            sign_as = open_roles[0]
            tx.uow.add_signature(area_id, ag.version, sign_as, actor, tx.now)
            self._bump(tx, area)
            tx.audit(
                "agreement",
                actor=actor,
                role=sign_as,
                area=area_id,
                action="agreement_signed",
                details={"version": ag.version},
            )
            return ag.with_changes(signatures={**ag.signatures, sign_as: actor})

    def agreement_history(self, area_id: str, *, actor: str) -> list[Agreement]:
        """Every version of the agreement, oldest first."""
        with self._read() as uow:
            self._area_for(uow, area_id, actor)
            newest = uow.get_agreement(area_id)
            if newest is None:
                return []
            out = [uow.get_agreement(area_id, v) for v in range(1, newest.version + 1)]
        return [a for a in out if a is not None]

    # ------------------------------------------------------------------ tasks
    def tasks(self, area_id: str, *, actor: str, phase: str | None = None) -> list[dict[str, Any]]:
        """The tasks of every phase (or one), with who reported them."""
        with self._read() as uow:
            area = self._area_for(uow, area_id, actor)[0]
            status = uow.get_tasks(area_id)
        wf = self._workflow(area)
        if phase is not None and phase not in wf.states:
            raise InvalidInputError(
                f"'{phase}' is no phase of {wf.name}: use one of {', '.join(wf.states)}",
                field="phase",
            )
        return _task_rows(wf, status, phase)

    def report_task(
        self,
        area_id: str,
        task_id: str,
        *,
        actor: str,
        note: str = "",
        expected_version: int | None = None,
    ) -> TaskStatus:
        """Report a task of the current phase done (by a role the task names)."""
        note = check_text(note, "note", max_len=2000)
        with self._write() as tx:
            area, _wf, roles, task = self._task_access(tx, area_id, task_id, actor)
            self._expect(area, expected_version)
            current = tx.uow.get_tasks(area_id).get(task_id)
            if current is not None and current.done:
                raise BlockedError(
                    f"task '{task_id}' is reported already",
                    [Blocker("task_done", f"reported by {current.done_by}; reopen it first")],
                    area=area_id,
                )
            status = TaskStatus(task_id, True, actor, tx.now, note)
            tx.uow.put_task(area_id, status)
            self._bump(tx, area)
            tx.audit(
                "task",
                actor=actor,
                role=_pick_role(roles, task.roles),
                area=area_id,
                action="task_reported",
                details={"task": task_id, "note": note} if note else {"task": task_id},
            )
            return status

    def reopen_task(
        self,
        area_id: str,
        task_id: str,
        *,
        actor: str,
        reason: str,
        expected_version: int | None = None,
    ) -> TaskStatus:
        """Mark a reported task open again; a reason is required."""
        reason = check_text(reason, "reason", max_len=2000)
        with self._write() as tx:
            area, _wf, roles, task = self._task_access(tx, area_id, task_id, actor, reopen=True)
            self._expect(area, expected_version)
            if not reason:
                raise BlockedError(
                    "reopening a task needs a reason",
                    [Blocker("reason_required", "give a reason for reopening the task")],
                    area=area_id,
                )
            current = tx.uow.get_tasks(area_id).get(task_id)
            if current is None or not current.done:
                raise BlockedError(
                    f"task '{task_id}' is open already",
                    [Blocker("task_open", f"task '{task_id}' is not reported")],
                    area=area_id,
                )
            status = TaskStatus(task_id, False)
            tx.uow.put_task(area_id, status)
            self._bump(tx, area)
            tx.audit(
                "task",
                actor=actor,
                role=_pick_role(roles, (*task.roles, "moderation")),
                area=area_id,
                action="task_reopened",
                reason=reason,
                details={"task": task_id},
            )
            return status

    def _task_access(
        self, tx: _Tx, area_id: str, task_id: str, actor: str, reopen: bool = False
    ) -> tuple[Area, Workflow, frozenset[str], Any]:
        area, _p, roles, _ = self._area_for(tx.uow, area_id, actor)
        wf = self._workflow(area)
        found = wf.task(task_id)
        if found is None:
            raise NotFoundError(
                f"workflow {wf.name} has no task '{task_id}'"
                f" (see `regsam-flow task list {area_id}`)",
                kind="task",
                key=task_id,
            )
        phase, task = found
        _refuse_if_final(area, wf)
        allowed = set(task.roles) | ({"moderation"} if reopen else set())
        if not roles & allowed:
            raise NotAllowedError(
                f"{actor} may not {'reopen' if reopen else 'report'} task '{task_id}': that needs "
                f"the role {' or '.join(sorted(allowed))}",
                actor=actor,
                area=area_id,
            )
        if phase != area.state:
            raise BlockedError(
                f"task '{task_id}' belongs to phase {phase}, the area is in {area.state}",
                [Blocker("task_not_in_phase", f"task '{task_id}' belongs to phase {phase}")],
                area=area_id,
            )
        return area, wf, roles, task

    # ------------------------------------------------------------ transitions
    def why(self, area_id: str, *, actor: str) -> list[NextStep]:
        """Every transition out of the current phase, for ``actor``: allowed or
        not, with all blockers."""
        with self._read() as uow:
            area, _p, roles, _ = self._area_for(uow, area_id, actor)
            return self._next_steps(uow, area, actor, roles)

    def _next_steps(
        self, uow: UnitOfWork, area: Area, actor: str, roles: frozenset[str]
    ) -> list[NextStep]:
        wf = self._workflow(area)
        outgoing = wf.transitions_from(area.state)
        if not outgoing:
            return []
        agreement = uow.get_agreement(area.id)
        tasks = uow.get_tasks(area.id)
        approvals = uow.get_approvals(area.id, area.round)
        steps = []
        for t in outgoing:
            blockers, given, mine = self._evaluate(
                area, wf, t, actor, roles, agreement, tasks, approvals
            )
            allowed = not [b for b in blockers if b.code != "approval_missing"] and (
                len([b for b in blockers if b.code == "approval_missing"]) <= (1 if mine else 0)
            )
            steps.append(
                NextStep(
                    t.trigger,
                    t.title or t.trigger,
                    t.dest,
                    allowed,
                    tuple(blockers),
                    t.reason_required,
                    t.advance,
                    t.approvals,
                    given,
                )
            )
        return steps

    def _evaluate(
        self,
        area: Area,
        wf: Workflow,
        t: TransitionDef,
        actor: str,
        roles: frozenset[str],
        agreement: Agreement | None,
        tasks: Mapping[str, TaskStatus],
        approvals: Mapping[str, Mapping[str, str]],
    ) -> tuple[list[Blocker], dict[str, str], str | None]:
        """All blockers of ``t`` for ``actor``; the approvals given; the approval
        role the actor could give now (or None)."""
        blockers: list[Blocker] = []
        if not roles & set(t.roles):
            blockers.append(
                Blocker("role_missing", f"{actor} is not {' or '.join(t.roles)} in this area")
            )
        ctx = GuardContext(area, wf, t, actor, roles, agreement, tasks)
        for name in t.guards:
            guard = self._guards[name]
            blockers.extend(guard(ctx))
        given = dict(approvals.get(t.trigger, {}))
        missing = [r for r in t.approvals if r not in given]
        mine = next((r for r in missing if r in roles and r in t.roles), None)
        for r in missing:
            suffix = " (yours to give)" if r == mine else ""
            blockers.append(Blocker("approval_missing", f"approval of {r} missing{suffix}"))
        return blockers, given, mine

    def advance(
        self, area_id: str, *, actor: str, reason: str = "", expected_version: int | None = None
    ) -> FireResult:
        """Fire the forward transition of the area's current phase."""
        with self._read() as uow:
            area = self._area_for(uow, area_id, actor)[0]
        wf = self._workflow(area)
        t = wf.advance_from(area.state)
        if t is None:
            raise BlockedError(
                f"area '{area_id}' is {area.state}: there is no next phase",
                [Blocker("no_forward_transition", f"phase {area.state} has no forward transition")],
                area=area_id,
            )
        return self.fire(
            area_id,
            t.trigger,
            actor=actor,
            reason=reason,
            expected_version=area.version if expected_version is None else expected_version,
            _expected_state=area.state,
        )

    def fire(
        self,
        area_id: str,
        trigger: str,
        *,
        actor: str,
        reason: str = "",
        role: str | None = None,
        expected_version: int | None = None,
        _expected_state: str | None = None,
    ) -> FireResult:
        """Fire a named transition.  For a transition that needs several
        approvals this records the actor's and fires once all are given;
        the result's ``missing`` names who is still to approve."""
        reason = check_text(reason, "reason", max_len=2000)
        with self._write() as tx:
            area, _p, roles, _ = self._area_for(tx.uow, area_id, actor)
            self._expect(area, expected_version)
            if _expected_state is not None and area.state != _expected_state:
                from .errors import ConflictError

                raise ConflictError(
                    f"area '{area_id}' moved to {area.state} meanwhile; nothing was written",
                    area=area_id,
                )
            wf = self._workflow(area)
            t = wf.transition(trigger, area.state)
            if t is None:
                if not wf.has_trigger(trigger):
                    triggers = sorted({x.trigger for x in wf.definition.transitions})
                    raise NotFoundError(
                        f"workflow {wf.name} has no transition '{trigger}' (it has: "
                        f"{', '.join(triggers)})",
                        kind="transition",
                        key=trigger,
                    )
                raise BlockedError(
                    f"'{trigger}' is not possible from phase {area.state}",
                    [Blocker("wrong_state", f"'{trigger}' does not start from {area.state}")],
                    area=area_id,
                    trigger=trigger,
                )
            if role is not None and role not in roles:
                raise NotAllowedError(
                    f"{actor} is not {role} in '{area_id}'", actor=actor, area=area_id
                )
            acting_roles = frozenset([role]) if role else roles
            approvals = tx.uow.get_approvals(area_id, area.round)
            blockers, given, mine = self._evaluate(
                area,
                wf,
                t,
                actor,
                acting_roles,
                tx.uow.get_agreement(area_id),
                tx.uow.get_tasks(area_id),
                approvals,
            )
            if t.reason_required and not reason:
                blockers.append(Blocker("reason_required", f"'{trigger}' needs a reason"))
            hard = [b for b in blockers if b.code != "approval_missing"]
            if any(b.code == "role_missing" for b in hard):
                raise NotAllowedError(
                    f"{actor} may not fire '{trigger}' in '{area_id}': that needs the role "
                    f"{' or '.join(t.roles)}",
                    actor=actor,
                    area=area_id,
                    blockers=blockers,
                )
            if hard:
                raise BlockedError(
                    f"'{trigger}' is blocked in '{area_id}'",
                    blockers,
                    area=area_id,
                    trigger=trigger,
                )
            acted_as = mine or _pick_role(acting_roles, t.roles)
            missing = [r for r in t.approvals if r not in given and r != mine]
            if mine is not None:
                tx.uow.add_approval(area_id, area.round, trigger, mine, actor, tx.now)
                given[mine] = actor
            elif missing:
                raise BlockedError(
                    f"'{trigger}' waits for other approvals",
                    blockers,
                    area=area_id,
                    trigger=trigger,
                )
            if missing:
                self._bump(tx, area)
                entry = tx.audit(
                    "approval",
                    actor=actor,
                    role=mine or "",
                    area=area_id,
                    action="approval",
                    trigger=trigger,
                    from_state=area.state,
                    reason=reason,
                    details={"missing": missing, "given": sorted(given)},
                )
                return FireResult(
                    area_id,
                    trigger,
                    False,
                    area.state,
                    area.state,
                    acted_as,
                    tuple(missing),
                    entry.seq,
                )
            dest = self._machines.get(wf).fire(area.state, trigger)
            if dest is None:  # pragma: no cover - the guards above already passed
                raise BlockedError(f"'{trigger}' refused by the state machine", [], area=area_id)
            reset = [
                task.id
                for task in wf.tasks_of(dest)
                if (st := tx.uow.get_tasks(area_id).get(task.id)) is not None and st.done
            ]
            for task_id in reset:
                tx.uow.put_task(area_id, TaskStatus(task_id, False))
            tx.uow.update_area(area_id, area.version, state=dest, round=area.round + 1, at=tx.now)
            details: dict[str, Any] = {"round": area.round + 1}
            if t.approvals:
                details["approvals"] = given
            if reset:
                details["reopened_tasks"] = reset
            entry = tx.audit(
                "transition",
                actor=actor,
                role=acted_as,
                area=area_id,
                action="transition",
                trigger=trigger,
                from_state=area.state,
                to_state=dest,
                reason=reason,
                details=details,
            )
            return FireResult(area_id, trigger, True, area.state, dest, acted_as, (), entry.seq)

    # ----------------------------------------------------------------- status
    def status(self, area_id: str, *, actor: str) -> AreaStatus:
        """Phase, people by role, agreement, tasks and next steps with blockers."""
        with self._read() as uow:
            area, _p, roles, assignments = self._area_for(uow, area_id, actor)
            wf = self._workflow(area)
            by_role: dict[str, list[str]] = {r: [] for r in wf.definition.roles}
            for r, p in assignments:
                by_role.setdefault(r, []).append(p)
            return AreaStatus(
                area=area,
                workflow_title=wf.definition.title,
                state_title=wf.state(area.state).title,
                final=wf.is_final(area.state),
                roles=by_role,
                agreement=uow.get_agreement(area_id),
                tasks=_task_rows(wf, uow.get_tasks(area_id), None),
                next=self._next_steps(uow, area, actor, roles),
                viewer_roles=tuple(sorted(roles)),
            )

    # ------------------------------------------------------------------ audit
    def history(
        self,
        *,
        actor: str,
        area: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        by: str | None = None,
    ) -> list[AuditEntry]:
        """Audit entries in order.  Admins and auditors see all; others only
        the entries of the areas they are assigned to."""
        with self._read() as uow:
            me = self._person(uow, actor)
            areas: list[str] | None = None
            if area is not None:
                self._area_for(uow, area, actor)
            elif not (me.admin or me.auditor):
                areas = [a.id for a in uow.list_areas(member=actor)]
            return uow.query_audit(
                area=area,
                since=audit_mod.format_ts(since) if since else None,
                until=audit_mod.format_ts(until) if until else None,
                actor=by,
                areas=areas,
            )

    def head(self) -> AuditHead:
        """The newest entry's count and hash: keep it to prove later that
        nothing was cut from the end."""
        with self._read() as uow:
            seq, h = uow.audit_head()
        return AuditHead(seq, h)

    def verify(self, expect_head: str | None = None) -> VerifyResult:
        """Recompute the whole chain.  ``expect_head`` (``N:HASH`` as printed by
        :meth:`head`, or a bare hash) must still be part of it."""
        with self._read() as uow:
            result = audit_mod.verify_chain(uow.iter_audit())
            seq, stored = uow.audit_head()
            if result.ok and (seq != result.entries or stored != result.head):
                result = VerifyResult(
                    False,
                    result.entries,
                    result.head,
                    min(seq, result.entries) + 1,
                    f"the log ends at entry {result.entries} but its head says {seq}: "
                    "entries were cut from the end",
                )
            if result.ok and expect_head:
                result = self._check_head(uow, result, expect_head.strip())
        return result

    @staticmethod
    def _check_head(uow: UnitOfWork, result: VerifyResult, expect: str) -> VerifyResult:
        count_text, _, h = expect.rpartition(":")
        if count_text and not count_text.isdigit():
            raise InvalidInputError(f"expected head {expect!r} is not N:HASH", field="expect_head")
        h = h.lower()
        if count_text:
            n = int(count_text)
            if n > result.entries:
                return VerifyResult(
                    False,
                    result.entries,
                    result.head,
                    result.entries + 1,
                    f"the log has {result.entries} entries, the expected head "
                    f"has {n}: entries were cut from the end",
                )
            found = next((e for e in uow.query_audit() if e.seq == n), None)
            if found is None or found.hash != h:
                return VerifyResult(
                    False,
                    result.entries,
                    result.head,
                    n,
                    f"entry {n} does not have the expected head hash",
                )
            return result
        if any(e.hash == h for e in uow.iter_audit()):
            return result
        return VerifyResult(
            False, result.entries, result.head, None, "the expected head hash is not in the log"
        )

    def as_of(self, area_id: str, when: datetime, *, actor: str) -> AreaSnapshot:
        """The area's phase, assignments and agreement at ``when``,
        reconstructed from the audit log alone."""
        with self._read() as uow:
            self._area_for(uow, area_id, actor)
            entries = uow.query_audit(area=area_id, until=audit_mod.format_ts(when))
        return replay(area_id, when, entries)


class _WriteScope:
    """Context manager: a write unit of work; callbacks after the commit."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._cm: Any = None
        self.tx: _Tx | None = None

    def __enter__(self) -> _Tx:
        self._cm = self.engine.store.write()
        uow = self._cm.__enter__()
        self.tx = _Tx(self.engine, uow)
        return self.tx

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self._cm.__exit__(exc_type, exc, tb)
        if exc_type is None and self.tx is not None:
            self.engine._emit(self.tx.events)


def replay(area_id: str, when: datetime, entries: Iterable[AuditEntry]) -> AreaSnapshot:
    """Fold an area's audit entries into an :class:`AreaSnapshot`."""
    import json

    snap = AreaSnapshot(area_id, when)
    for e in entries:
        d = json.loads(e.details) if e.details else {}
        snap.last_seq = e.seq
        if e.action == "area_created":
            snap.exists = True
            snap.name = d.get("name", "")
            snap.workflow = d.get("workflow", "")
            snap.workflow_version = int(d.get("workflow_version", 0))
            snap.state = e.to_state
        elif e.action == "transition":
            snap.state = e.to_state
            for t in d.get("reopened_tasks", []):
                if t in snap.tasks_done:
                    snap.tasks_done.remove(t)
        elif e.action == "assigned":
            snap.roles.setdefault(d["role"], []).append(d["person"])
        elif e.action == "unassigned":
            people = snap.roles.get(d["role"], [])
            if d["person"] in people:
                people.remove(d["person"])
        elif e.action == "agreement_changed":
            snap.agreement = dict(d.get("fields", {}))
            snap.agreement_version = int(d.get("version", 0))
            snap.signed_by = []
        elif e.action == "agreement_signed":
            if int(d.get("version", 0)) == snap.agreement_version:
                snap.signed_by.append(e.role)
        elif e.action == "task_reported":
            snap.tasks_done.append(d["task"])
        elif e.action == "task_reopened" and d.get("task") in snap.tasks_done:
            snap.tasks_done.remove(d["task"])
    snap.roles = {r: sorted(p) for r, p in snap.roles.items() if p}
    return snap


def _refuse_if_final(area: Area, wf: Workflow) -> None:
    if wf.is_final(area.state):
        raise BlockedError(
            f"area '{area.id}' is {area.state}: nothing can change any more",
            [Blocker("area_final", f"the area is in its final state '{area.state}'")],
            area=area.id,
        )


def _pick_role(roles: Iterable[str], preferred: Iterable[str]) -> str:
    roles = set(roles)
    for r in preferred:
        if r in roles:
            return r
    return sorted(roles)[0] if roles else ""


def _person_details(p: Person) -> dict[str, Any]:
    return {
        "person": p.id,
        "name": p.name,
        "email": p.email,
        "org": p.org,
        "admin": p.admin,
        "auditor": p.auditor,
    }


def _clean_agreement_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    from .dates import parse_date

    allowed = (*AGREEMENT_FIELDS, "start", "review")
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in allowed:
            raise InvalidInputError(
                f"the agreement has no field '{key}' (fields: {', '.join(allowed)})", field=key
            )
        if value is None:
            continue
        if key in ("start", "review"):
            if isinstance(value, datetime):
                raise InvalidInputError(f"{key} must be a date, not a date and time", field=key)
            if isinstance(value, date):
                clean[key] = value
            elif isinstance(value, str):
                clean[key] = parse_date(value, key) if value.strip() else None
            else:
                raise InvalidInputError(f"{key} must be a date", field=key)
        else:
            if not isinstance(value, str):
                raise InvalidInputError(f"{key} must be text", field=key)
            clean[key] = check_text(value, key, max_len=200 if key == "duration" else 10_000)
    if not clean:
        raise InvalidInputError(
            f"nothing to change: give at least one field of the agreement ({', '.join(allowed)})"
        )
    return clean


def _task_rows(
    wf: Workflow, status: Mapping[str, TaskStatus], phase: str | None
) -> list[dict[str, Any]]:
    rows = []
    for state in wf.definition.states:
        if phase is not None and state.id != phase:
            continue
        for t in state.tasks:
            st = status.get(t.id)
            done = bool(st and st.done)
            rows.append(
                {
                    "id": t.id,
                    "phase": state.id,
                    "title": t.title,
                    "roles": list(t.roles),
                    "required": t.required,
                    "done": done,
                    "done_by": st.done_by if st and done else None,
                    "done_at": audit_mod.format_ts(st.done_at)
                    if st and done and st.done_at
                    else None,
                    "note": st.note if st and done else "",
                }
            )
    return rows
