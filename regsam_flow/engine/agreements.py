"""The cooperation agreement: versions and signatures."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from ..errors import (
    BlockedError,
    Blocker,
    InvalidInputError,
    NotAllowedError,
    NotFoundError,
)
from ..i18n import _, format_date
from ..model import (
    AGREEMENT_FIELDS,
    AGREEMENT_SIGNERS,
    Agreement,
    Area,
)
from ..parties import both_roles, same_signer
from ..validation import check_text
from .access import area_for, bump, expect, member, pick_role, reschedule
from .context import EngineContext, Tx

__all__ = ["AgreementService", "store_agreement"]


class AgreementService:
    """The cooperation agreement: versions and signatures."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx

    # -------------------------------------------------------------- agreement
    def agreement(
        self, area_id: str, *, actor: str, version: int | None = None
    ) -> Agreement | None:
        """The area's agreement (newest version, or the one asked for)."""
        with self.ctx.read() as uow:
            area_for(self.ctx, uow, area_id, actor)
            ag = uow.get_agreement(area_id, version)
        if ag is None and version is not None:
            raise NotFoundError(
                _("area '{area}' has no agreement version {version}").format(
                    area=area_id, version=version
                ),
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
        """A new version of the agreement (see :meth:`Engine.set_agreement`)."""
        with self.ctx.write() as tx:
            area, _wf, roles = member(
                self.ctx, tx.uow, area_id, actor, AGREEMENT_SIGNERS, _("change the agreement")
            )
            expect(area, expected_version)
            role = pick_role(roles, AGREEMENT_SIGNERS)
            return store_agreement(tx, area, actor, role, tx.uow.get_agreement(area_id), changes)

    def sign_agreement(
        self,
        area_id: str,
        *,
        actor: str,
        role: str | None = None,
        expected_version: int | None = None,
    ) -> Agreement:
        """Sign the current agreement for your role (moderation or social planning)."""
        with self.ctx.write() as tx:
            area, _wf, roles = member(
                self.ctx, tx.uow, area_id, actor, AGREEMENT_SIGNERS, _("sign the agreement")
            )
            expect(area, expected_version)
            ag = tx.uow.get_agreement(area_id)
            candidates = [r for r in AGREEMENT_SIGNERS if r in roles and (role in (None, r))]
            if not candidates:
                raise NotAllowedError(
                    _("{actor} is not {role} in '{area}'").format(
                        actor=actor, role=role, area=area_id
                    ),
                    actor=actor,
                    area=area_id,
                )
            if ag is None:
                raise BlockedError(
                    _("there is no agreement to sign"),
                    [Blocker("agreement_missing", _("no cooperation agreement yet"))],
                    area=area_id,
                )
            blockers = []
            if ag.missing_fields():
                blockers.append(
                    Blocker(
                        "agreement_incomplete",
                        _("agreement lacks: {fields}").format(
                            fields=", ".join(ag.missing_fields())
                        ),
                    )
                )
            blockers.extend(both_roles((r, actor) for r in roles))
            blockers.extend(same_signer(ag.signatures, actor))
            open_roles = [r for r in candidates if r not in ag.signatures]
            if not open_roles:
                blockers.append(
                    Blocker(
                        "already_signed",
                        _("version {version} is signed by {role} already").format(
                            version=ag.version, role=candidates[0]
                        ),
                    )
                )
            if blockers:
                raise BlockedError(_("cannot sign the agreement"), blockers, area=area_id)
            sign_as = open_roles[0]
            tx.uow.add_signature(area_id, ag.version, sign_as, actor, tx.now)
            bump(tx, area)
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
        with self.ctx.read() as uow:
            area_for(self.ctx, uow, area_id, actor)
            newest = uow.get_agreement(area_id)
            if newest is None:
                return []
            out = [uow.get_agreement(area_id, v) for v in range(1, newest.version + 1)]
        return [a for a in out if a is not None]


def store_agreement(
    tx: Tx,
    area: Area,
    actor: str,
    role: str,
    current: Agreement | None,
    changes: Mapping[str, Any],
) -> Agreement:
    """Write a new version of the agreement with ``changes`` (signatures void)."""
    clean = _clean_agreement_changes(changes)
    base = current or Agreement()
    new = base.with_changes(**clean)
    if new.start and new.review and new.review < new.start:
        raise InvalidInputError(
            _("review date {review} lies before the start date {start}").format(
                review=format_date(new.review), start=format_date(new.start)
            ),
            field="review",
        )
    changed = [k for k in clean if getattr(base, k) != getattr(new, k)]
    if current is not None and not changed:
        raise InvalidInputError(_("nothing to change: the agreement says that already"))
    new = new.with_changes(
        version=base.version + 1, created_at=tx.now, created_by=actor, signatures={}
    )
    tx.uow.add_agreement(area.id, new)
    bump(tx, area)
    details: dict[str, Any] = {
        "version": new.version,
        "changed": changed,
        "fields": new.fields(),
        "voided_signatures": sorted(base.signatures),
    }
    if new.review != base.review:
        details.update(reschedule(tx, area, tx.ctx.workflow(area), new.review))
    tx.audit(
        "agreement",
        actor=actor,
        role=role,
        area=area.id,
        action="agreement_changed",
        details=details,
    )
    return new


def _clean_agreement_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    from ..dates import check_date, parse_date

    allowed = (*AGREEMENT_FIELDS, "start", "review")
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in allowed:
            raise InvalidInputError(
                _("the agreement has no field '{field}' (fields: {fields})").format(
                    field=key, fields=", ".join(allowed)
                ),
                field=key,
            )
        if value is None:
            continue
        if key in ("start", "review"):
            if isinstance(value, datetime):
                raise InvalidInputError(
                    _("{field} must be a date, not a date and time").format(field=key), field=key
                )
            if isinstance(value, date):
                clean[key] = check_date(value, key)
            elif isinstance(value, str):
                clean[key] = parse_date(value, key) if value.strip() else None
            else:
                raise InvalidInputError(_("{field} must be a date").format(field=key), field=key)
        else:
            if not isinstance(value, str):
                raise InvalidInputError(_("{field} must be text").format(field=key), field=key)
            clean[key] = check_text(value, key, max_len=200 if key == "duration" else 10_000)
    if not clean:
        raise InvalidInputError(
            _("nothing to change: give at least one field of the agreement ({fields})").format(
                fields=", ".join(allowed)
            )
        )
    return clean
