"""The tasks of each phase: reporting and reopening."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import (
    BlockedError,
    Blocker,
    InvalidInputError,
    NotAllowedError,
    NotFoundError,
)
from ..i18n import _
from ..model import (
    Area,
    TaskRow,
    TaskStatus,
)
from ..validation import check_text
from ..workflows import Workflow
from .access import area_for, bump, expect, pick_role, refuse_if_final
from .context import EngineContext, Tx
from .suggest import did_you_mean

__all__ = ["TaskService", "task_rows"]


class TaskService:
    """The tasks of each phase: reporting and reopening."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx

    # ------------------------------------------------------------------ tasks
    def tasks(self, area_id: str, *, actor: str, phase: str | None = None) -> list[TaskRow]:
        """The tasks of every phase (or one), with who reported them."""
        with self.ctx.read() as uow:
            area = area_for(self.ctx, uow, area_id, actor)[0]
            status = uow.get_tasks(area_id)
        wf = self.ctx.workflow(area)
        if phase is not None and phase not in wf.states:
            raise InvalidInputError(
                _("'{phase}' is no phase of {workflow}: use one of {phases}").format(
                    phase=phase, workflow=wf.name, phases=", ".join(wf.states)
                ),
                field="phase",
            )
        return task_rows(wf, status, phase)

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
        with self.ctx.write() as tx:
            area, _wf, roles, task = self._task_access(tx, area_id, task_id, actor)
            expect(area, expected_version)
            current = tx.uow.get_tasks(area_id).get(task_id)
            if current is not None and current.done:
                raise BlockedError(
                    _("task '{task}' is reported already").format(task=task_id),
                    [
                        Blocker(
                            "task_done",
                            _("reported by {person}; reopen it first").format(
                                person=current.done_by
                            ),
                        )
                    ],
                    area=area_id,
                )
            status = TaskStatus(task_id, True, actor, tx.now, note)
            tx.uow.put_task(area_id, status)
            bump(tx, area)
            tx.audit(
                "task",
                actor=actor,
                role=pick_role(roles, task.roles),
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
        with self.ctx.write() as tx:
            area, _wf, roles, task = self._task_access(tx, area_id, task_id, actor, reopen=True)
            expect(area, expected_version)
            if not reason:
                raise BlockedError(
                    _("reopening a task needs a reason"),
                    [Blocker("reason_required", _("give a reason for reopening the task"))],
                    area=area_id,
                )
            current = tx.uow.get_tasks(area_id).get(task_id)
            if current is None or not current.done:
                raise BlockedError(
                    _("task '{task}' is open already").format(task=task_id),
                    [Blocker("task_open", _("task '{task}' is not reported").format(task=task_id))],
                    area=area_id,
                )
            status = TaskStatus(task_id, False)
            tx.uow.put_task(area_id, status)
            bump(tx, area)
            tx.audit(
                "task",
                actor=actor,
                role=pick_role(roles, (*task.roles, "moderation")),
                area=area_id,
                action="task_reopened",
                reason=reason,
                details={"task": task_id},
            )
            return status

    def _task_access(
        self, tx: Tx, area_id: str, task_id: str, actor: str, reopen: bool = False
    ) -> tuple[Area, Workflow, frozenset[str], Any]:
        area, _p, roles, _all = area_for(self.ctx, tx.uow, area_id, actor)
        wf = self.ctx.workflow(area)
        found = wf.task(task_id)
        if found is None:
            raise NotFoundError(
                _(
                    "workflow {workflow} has no task '{task}'{suggestion} "
                    "(see `regsam-flow task list {area}`)"
                ).format(
                    workflow=wf.name,
                    task=task_id,
                    area=area_id,
                    suggestion=did_you_mean(task_id, wf.tasks),
                ),
                kind="task",
                key=task_id,
            )
        phase, task = found
        refuse_if_final(area, wf)
        allowed = set(task.roles) | ({"moderation"} if reopen else set())
        if not roles & allowed:
            raise NotAllowedError(
                (
                    _("{actor} may not reopen task '{task}': that needs the role {roles}")
                    if reopen
                    else _("{actor} may not report task '{task}': that needs the role {roles}")
                ).format(actor=actor, task=task_id, roles=_(" or ").join(sorted(allowed))),
                actor=actor,
                area=area_id,
            )
        if phase != area.state:
            raise BlockedError(
                _("task '{task}' belongs to phase {phase}, the area is in {state}").format(
                    task=task_id, phase=phase, state=area.state
                ),
                [
                    Blocker(
                        "task_not_in_phase",
                        _("task '{task}' belongs to phase {phase}").format(
                            task=task_id, phase=phase
                        ),
                    )
                ],
                area=area_id,
            )
        return area, wf, roles, task


def task_rows(wf: Workflow, status: Mapping[str, TaskStatus], phase: str | None) -> list[TaskRow]:
    rows = []
    for state in wf.definition.states:
        if phase is not None and state.id != phase:
            continue
        for t in state.tasks:
            st = status.get(t.id)
            done = st if st and st.done else None
            rows.append(
                TaskRow(
                    id=t.id,
                    phase=state.id,
                    title=t.title,
                    roles=tuple(t.roles),
                    required=t.required,
                    done=done is not None,
                    done_by=done.done_by if done else None,
                    done_at=done.done_at if done else None,
                    note=done.note if done else "",
                )
            )
    return rows
