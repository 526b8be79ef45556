"""Fields of an instance: reading typed values, checking who may set them,
writing them with their audit entry."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from ..errors import InvalidInputError, NotAllowedError
from ..i18n import _
from ..validation import check_text
from ..workflows import FieldDef, Workflow
from .context import Tx

__all__ = ["clean_fields", "parse_field_value", "write_fields"]

YES = {"yes", "ja", "j", "y", "true", "1"}
NO = {"no", "nein", "n", "false", "0"}


def parse_field_value(f: FieldDef, value: Any) -> Any:
    """A field value from Python or from text typed on the command line."""
    if f.type == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in YES | NO:
            return text in YES
        raise InvalidInputError(
            _("field '{field}': {value} is not yes or no").format(field=f.id, value=repr(value)),
            field=f.id,
        )
    if f.type == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            raise InvalidInputError(
                _("field '{field}': {value} is not a whole number").format(
                    field=f.id, value=repr(value)
                ),
                field=f.id,
            ) from None
    if f.type == "date":
        from ..dates import check_date, parse_date

        if isinstance(value, date):
            return check_date(value, f.id).isoformat()
        return parse_date(str(value), f.id).isoformat()
    text = check_text(str(value), f.id, max_len=10_000)
    if f.type == "choice" and text not in f.choices:
        raise InvalidInputError(
            _("field '{field}': {value} is not one of {choices}").format(
                field=f.id, value=repr(text), choices=", ".join(f.choices)
            ),
            field=f.id,
        )
    return text


def clean_fields(
    wf: Workflow,
    values: Mapping[str, Any],
    roles: frozenset[str] | None,
    actor: str,
    area_id: str,
) -> dict[str, Any]:
    """Typed values for the named fields; with ``roles``, each field must be
    one the actor may set (None: an admin creating the instance)."""
    clean: dict[str, Any] = {}
    for name, value in values.items():
        f = wf.fields.get(name)
        if f is None:
            known = ", ".join(wf.fields) or _("none")
            raise InvalidInputError(
                _("workflow {workflow} has no field '{field}' (fields: {known})").format(
                    workflow=wf.name, field=name, known=known
                ),
                field=name,
            )
        if roles is not None and not roles & set(f.roles):
            raise NotAllowedError(
                _("{actor} may not set '{field}': that needs the role {roles}").format(
                    actor=actor, field=name, roles=_(" or ").join(f.roles)
                ),
                actor=actor,
                area=area_id,
            )
        clean[name] = parse_field_value(f, value)
    return clean


def write_fields(tx: Tx, area_id: str, values: Mapping[str, Any], actor: str, role: str) -> None:
    """Store the values and write their audit entry."""
    for name, value in values.items():
        tx.uow.set_field(area_id, name, value, actor, tx.now)
    tx.audit(
        "fields",
        actor=actor,
        role=role,
        area=area_id,
        action="fields_set",
        details={"fields": dict(values)},
    )
