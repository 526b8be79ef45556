"""Areas and who holds which role in them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from ..errors import (
    BlockedError,
    InvalidInputError,
    NotAllowedError,
    NotFoundError,
    RegsamFlowError,
)
from ..i18n import _
from ..model import (
    Area,
    NewArea,
)
from ..parties import new_role
from ..validation import check_id, check_text
from ..workflows import Workflow
from .access import MODERATION_ASSIGNS, area_for, bump, expect, person, refuse_if_final
from .context import EngineContext, Tx
from .creation import insert_area
from .fields import clean_fields, write_fields
from .suggest import no_user

__all__ = ["AreaService", "check_new", "write_new"]


class AreaService:
    """Areas and who holds which role in them."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx

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
        members: Sequence[tuple[str, str]] = (),
        fields: Mapping[str, Any] | None = None,
        workflow_version: int | None = None,
    ) -> Area:
        """Create one area (see :meth:`Engine.create_area`)."""
        new = NewArea(
            area_id,
            name,
            district,
            workflow,
            tuple(members),
            fields or {},
            agreement,
            workflow_version=workflow_version,
        )
        return self.create_areas([new], actor=actor)[0]

    def create_areas(self, areas: Sequence[NewArea], *, actor: str) -> list[Area]:
        """Create areas in one transaction (see :meth:`Engine.create_areas`)."""
        checked = check_new(self.ctx, areas)
        with self.ctx.write() as tx:
            return write_new(tx, checked, actor)

    def list_areas(self, *, actor: str, state: str | None = None) -> list[Area]:
        """The areas ``actor`` may see (admins and auditors: all)."""
        with self.ctx.read() as uow:
            me = person(self.ctx, uow, actor)
            member = None if (me.admin or me.auditor) else actor
            return uow.list_areas(state=state, member=member)

    def get_area(self, area_id: str, *, actor: str) -> Area:
        with self.ctx.read() as uow:
            return area_for(self.ctx, uow, area_id, actor)[0]

    def assign(
        self,
        area_id: str,
        role: str,
        person_id: str,
        *,
        actor: str,
        expected_version: int | None = None,
    ) -> None:
        """Give ``person_id`` a role in the area.  Admins assign any role; the
        area's moderation may assign steering, provider and sbh."""
        self._assignment(area_id, role, person_id, actor, True, expected_version)

    def unassign(
        self,
        area_id: str,
        role: str,
        person_id: str,
        *,
        actor: str,
        expected_version: int | None = None,
    ) -> None:
        """Take a role in the area away from ``person_id`` (same rights as assign)."""
        self._assignment(area_id, role, person_id, actor, False, expected_version)

    def _assignment(
        self,
        area_id: str,
        role: str,
        person_id: str,
        actor: str,
        add: bool,
        expected_version: int | None,
    ) -> None:
        with self.ctx.write() as tx:
            area, me, my_roles, assignments = area_for(self.ctx, tx.uow, area_id, actor)
            expect(area, expected_version)
            wf = self.ctx.workflow(area)
            _check_role(wf, role)
            may = me.admin or ("moderation" in my_roles and role in MODERATION_ASSIGNS)
            if not may:
                if role not in MODERATION_ASSIGNS:
                    text = (
                        _("only an admin may assign {role} in '{area}'")
                        if add
                        else _("only an admin may unassign {role} in '{area}'")
                    )
                else:
                    text = (
                        _("only an admin or the area's moderation may assign {role} in '{area}'")
                        if add
                        else _(
                            "only an admin or the area's moderation may unassign {role} in '{area}'"
                        )
                    )
                raise NotAllowedError(
                    text.format(role=role, area=area_id),
                    actor=actor,
                    area=area_id,
                )
            refuse_if_final(area, wf)
            _check_member(tx, area_id, role, person_id, add, assignments)
            if add:
                _check_parties(area_id, role, person_id, assignments)
            if add:
                tx.uow.add_assignment(area_id, role, person_id)
            else:
                tx.uow.remove_assignment(area_id, role, person_id)
            bump(tx, area)
            tx.audit(
                "assignment",
                actor=actor,
                role="admin" if me.admin else "moderation",
                area=area_id,
                action="assigned" if add else "unassigned",
                details={"role": role, "person": person_id},
            )


def check_new(ctx: EngineContext, areas: Sequence[NewArea]) -> list[tuple[NewArea, Workflow]]:
    """The new areas checked, each with the deployed version of its workflow
    it asks for (the newest if none); nothing is read from the database but
    the definitions."""
    ctx.forget_workflows()  # the newest deployed version, as of now
    ctx.prepare()
    checked: list[tuple[NewArea, Workflow]] = []
    seen: dict[str, NewArea] = {}
    for new in areas:
        with _named(new):
            check_id(new.id, "area")
            name = check_text(new.name, "name", max_len=200, required=True, multiline=False)
            district = check_text(new.district, "district", max_len=200, multiline=False)
            wf = _workflow(ctx, new)
            for role, _person in new.members:
                _check_role(wf, role)
            if new.id in seen:
                also = (
                    _(" (as {label})").format(label=seen[new.id].label)
                    if seen[new.id].label
                    else ""
                )
                raise InvalidInputError(
                    _("area '{area}' is given twice").format(area=new.id) + also, field="area"
                )
        seen[new.id] = new
        checked.append((replace(new, name=name, district=district), wf))
    return checked


def write_new(tx: Tx, checked: Sequence[tuple[NewArea, Workflow]], actor: str) -> list[Area]:
    """Write the areas :func:`check_new` checked (admins only)."""
    me = person(tx.ctx, tx.uow, actor)
    if not me.admin:
        raise NotAllowedError(
            _("only an admin may create areas ({actor} is not)").format(actor=actor), actor=actor
        )
    for new, _wf in checked:
        if tx.uow.get_area(new.id) is not None:
            with _named(new):
                raise InvalidInputError(
                    _("area '{area}' exists already").format(area=new.id), field="area"
                )
    created: list[Area] = []
    for new, wf in checked:
        with _named(new):
            created.append(_create_in(tx, new, wf, actor))
    return created


def _create_in(tx: Tx, new: NewArea, wf: Workflow, actor: str) -> Area:
    area = insert_area(tx, new.id, new.name, new.district, wf, actor, new.agreement)
    present: list[tuple[str, str]] = []
    for role, person_id in new.members:
        _check_member(tx, new.id, role, person_id, True, present)
        _check_parties(new.id, role, person_id, present)
        tx.uow.add_assignment(new.id, role, person_id)
        present.append((role, person_id))
        tx.audit(
            "assignment",
            actor=actor,
            role="admin",
            area=new.id,
            action="assigned",
            details={"role": role, "person": person_id},
        )
    if new.fields:
        write_fields(tx, new.id, clean_fields(wf, new.fields, None, actor, new.id), actor, "admin")
    return area


@contextmanager
def _named(new: NewArea) -> Iterator[None]:
    """Errors about ``new`` start with its label (e.g. "row 9 (quarter 10.31): ...")."""
    try:
        yield
    except RegsamFlowError as exc:
        if new.label:
            exc.message = f"{new.label}: {exc.message}"
            exc.args = (exc.message, *exc.args[1:])
        raise


def _workflow(ctx: EngineContext, new: NewArea) -> Workflow:
    """The deployed workflow ``new`` runs on: the version it names, else the newest."""
    wf = ctx.workflows.get(new.workflow)  # an unknown name: not found
    version = new.workflow_version
    if version is None or version == wf.version:
        return wf
    known = ctx.workflows.versions(new.workflow)
    if version not in known:
        raise InvalidInputError(
            _(
                "workflow_version: {workflow} has no version {version} deployed "
                "(deployed versions: {versions})"
            ).format(workflow=new.workflow, version=version, versions=", ".join(map(str, known))),
            field="workflow_version",
        )
    return ctx.workflows.get(new.workflow, version)


def _check_role(wf: Workflow, role: str) -> None:
    if role not in wf.definition.roles:
        raise InvalidInputError(
            _("'{role}' is no role of workflow {workflow}: use one of {roles}").format(
                role=role, workflow=wf.name, roles=", ".join(wf.definition.roles)
            ),
            field="role",
        )


def _check_parties(
    area_id: str, role: str, person_id: str, assignments: Sequence[tuple[str, str]]
) -> None:
    """One person may not hold both parties' roles (moderation, social planning)."""
    blockers = new_role(assignments, role, person_id)
    if blockers:
        raise BlockedError(
            _("cannot make {person} {role} in '{area}'").format(
                person=person_id, role=role, area=area_id
            ),
            blockers,
            area=area_id,
        )


def _check_member(
    tx: Tx,
    area_id: str,
    role: str,
    person_id: str,
    add: bool,
    assignments: Sequence[tuple[str, str]],
) -> None:
    """The person exists, and holds the role (to remove) or not yet (to add)."""
    if tx.uow.get_person(person_id) is None:
        raise no_user(tx.uow, person_id)
    present = (role, person_id) in assignments
    if add and present:
        raise InvalidInputError(
            _("{person} is {role} in '{area}' already").format(
                person=person_id, role=role, area=area_id
            ),
            field="user",
        )
    if not add and not present:
        raise NotFoundError(
            _("{person} is not {role} in '{area}'").format(
                person=person_id, role=role, area=area_id
            ),
            kind="assignment",
            key=person_id,
        )
