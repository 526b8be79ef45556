"""Creating areas: by an admin, or as the effect of a transition (a selected
candidate becomes a focus area)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import BlockedError, Blocker
from ..i18n import _
from ..model import Area
from ..validation import check_id
from ..workflows import CreateAreaDef, Workflow
from .agreements import store_agreement
from .context import Tx

__all__ = ["create_from", "insert_area"]


def insert_area(
    tx: Tx,
    area_id: str,
    name: str,
    district: str,
    wf: Workflow,
    actor: str,
    agreement: Mapping[str, Any] | None = None,
    origin: str | None = None,
) -> Area:
    """Write a new area with its audit entry (and a first agreement)."""
    area = Area(area_id, name, district, wf.name, wf.version, wf.initial, 1, 0, tx.now, tx.now)
    tx.uow.add_area(area)
    details: dict[str, Any] = {
        "name": name,
        "district": district,
        "workflow": wf.name,
        "workflow_version": wf.version,
    }
    if origin:
        details["origin"] = origin
    tx.audit(
        "area",
        actor=actor,
        action="area_created",
        area=area_id,
        to_state=wf.initial,
        details=details,
    )
    if agreement:
        store_agreement(tx, area, actor, "", None, agreement)
    return area


def create_from(tx: Tx, origin: Area, create: CreateAreaDef, actor: str) -> Area:
    """The area a state's ``create_area`` asks for, named by a field of ``origin``."""
    fields = tx.uow.get_fields(origin.id)
    new_id = str(fields.get(create.id_field) or "")
    if not new_id:
        raise BlockedError(
            _("field '{field}' names no area to create").format(field=create.id_field),
            [Blocker("field_missing", _("field '{field}' not set").format(field=create.id_field))],
            area=origin.id,
        )
    check_id(new_id, create.id_field)
    if tx.uow.get_area(new_id) is not None:
        raise BlockedError(
            _("an area '{area}' exists already").format(area=new_id),
            [
                Blocker(
                    "area_exists",
                    _("area '{area}' exists already: change field '{field}'").format(
                        area=new_id, field=create.id_field
                    ),
                )
            ],
            area=origin.id,
        )
    prefill = {target: str(fields[src]) for target, src in create.agreement if fields.get(src)}
    return insert_area(
        tx,
        new_id,
        origin.name,
        origin.district,
        tx.ctx.workflows.get(create.workflow),
        actor,
        prefill,
        origin=origin.id,
    )
