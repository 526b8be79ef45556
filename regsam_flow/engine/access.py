"""Who may act, and the small writes every change makes: functions shared
by the engine's services."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from ..errors import BlockedError, Blocker, ConflictError, NotAllowedError, NotFoundError
from ..i18n import _
from ..model import Area, AreaAggregate, Person
from ..ports import UnitOfWork
from ..workflows import Workflow
from .context import EngineContext, Tx
from .suggest import did_you_mean

__all__ = [
    "MODERATION_ASSIGNS",
    "aggregate_for",
    "area_for",
    "bump",
    "counted_change",
    "expect",
    "member",
    "person",
    "pick_role",
    "refuse_if_final",
    "reschedule",
    "you_are",
]

#: Roles an area's moderation may assign; the rest are assigned by an admin.
MODERATION_ASSIGNS = ("steering", "provider", "sbh")


def person(ctx: EngineContext, uow: UnitOfWork, actor: str) -> Person:
    """The person acting; refused if unknown or (``bind_login``) not the login."""
    if ctx.bind_login and actor != ctx.login:
        raise NotAllowedError(
            _(
                "this database binds people to their database login: you are "
                "'{login}' and cannot act as '{actor}'"
            ).format(login=ctx.login, actor=actor),
            actor=actor,
        )
    found = uow.get_person(actor)
    if found is None:
        raise NotAllowedError(
            _("unknown user '{actor}': an admin must add you first (regsam-flow user add)").format(
                actor=actor
            ),
            actor=actor,
        )
    return found


def area_for(
    ctx: EngineContext, uow: UnitOfWork, area_id: str, actor: str
) -> tuple[Area, Person, frozenset[str], list[tuple[str, str]]]:
    """The area, the person, their roles there, and all assignments.

    Someone who may not read the area (no role in it, neither admin nor
    auditor) is told it does not exist, in the very words used for an
    area that does not: the answer must not reveal which areas exist."""
    me = person(ctx, uow, actor)
    area = uow.get_area(area_id)
    assignments = uow.get_assignments(area_id) if area is not None else []
    roles = frozenset(r for r, p in assignments if p == actor)
    if area is None or not _may_read(me, roles):
        raise _no_area(uow, me, area_id)
    return area, me, roles, assignments


def aggregate_for(
    ctx: EngineContext, uow: UnitOfWork, area_id: str, actor: str
) -> tuple[AreaAggregate, frozenset[str]]:
    """The area as one aggregate (:meth:`UnitOfWork.load_area`: everything a
    decision on it needs, in one read) and the actor's roles there; hidden
    from whoever may not read it exactly as :func:`area_for` hides it."""
    me = person(ctx, uow, actor)
    agg = uow.load_area(area_id)
    roles = agg.roles_of(actor) if agg is not None else frozenset()
    if agg is None or not _may_read(me, roles):
        raise _no_area(uow, me, area_id)
    return agg, roles


def _no_area(uow: UnitOfWork, me: Person, area_id: str) -> NotFoundError:
    """ "No area": suggesting only areas ``me`` may read, so the answer does
    not reveal which others exist."""
    member = None if (me.admin or me.auditor) else me.id
    known = [a.id for a in uow.list_areas(member=member)]
    return NotFoundError(
        _("no area '{area}'").format(area=area_id) + did_you_mean(area_id, known),
        kind="area",
        key=area_id,
    )


def _may_read(me: Person, roles: frozenset[str]) -> bool:
    """Whether someone may read an area: a role in it, or admin, or auditor."""
    return bool(roles) or me.admin or me.auditor


def member(
    ctx: EngineContext,
    uow: UnitOfWork,
    area_id: str,
    actor: str,
    allowed: Iterable[str],
    what: str,
) -> tuple[Area, Workflow, frozenset[str]]:
    """The area for a change by a member holding one of ``allowed`` roles."""
    area, _person, roles, _all = area_for(ctx, uow, area_id, actor)
    wf = ctx.workflow(area)
    allowed = tuple(allowed)
    if not roles & set(allowed):
        raise NotAllowedError(
            _("{actor} may not {what} in area '{area}': that needs the role {roles}").format(
                actor=actor, what=what, area=area_id, roles=_(" or ").join(allowed)
            )
            + (you_are(roles) if roles else ""),
            actor=actor,
            area=area_id,
        )
    refuse_if_final(area, wf)
    return area, wf, roles


def expect(area: Area, expected_version: int | None) -> None:
    """Refuse if the area's version is not the one the caller saw."""
    if expected_version is not None and area.version != expected_version:
        raise ConflictError(
            _(
                "area '{area}' changed meanwhile (version {version}, you saw "
                "{seen}); nothing was written, look at it again and retry"
            ).format(area=area.id, version=area.version, seen=expected_version),
            area=area.id,
        )


def bump(tx: Tx, area: Area) -> Area:
    """Count a change to the area (its version); return the area as it is now."""
    version = tx.uow.update_area(
        area.id, area.version, state=area.state, round=area.round, at=tx.now
    )
    return replace(area, version=version, updated_at=tx.now)


def counted_change(
    tx: Tx,
    area: Area,
    kind: str,
    *,
    actor: str,
    role: str,
    action: str,
    details: dict[str, object],
    reason: str = "",
) -> None:
    """Count a change to the area (:func:`bump`) and write its audit entry."""
    bump(tx, area)
    tx.audit(
        kind, actor=actor, role=role, area=area.id, action=action, reason=reason, details=details
    )


def reschedule(tx: Tx, area: Area, wf: Workflow, review: date | None) -> dict[str, int]:
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


def refuse_if_final(area: Area, wf: Workflow) -> None:
    """Refuse any change to an area in its final state."""
    if wf.is_final(area.state):
        raise BlockedError(
            _("area '{area}' is {state}: nothing can change any more").format(
                area=area.id, state=area.state
            ),
            [
                Blocker(
                    "area_final",
                    _("the area is in its final state '{state}'").format(state=area.state),
                )
            ],
            area=area.id,
        )


def you_are(roles: Iterable[str]) -> str:
    """`` (you are ROLE, ROLE)``: the actor's roles, for a refusal."""
    return _(" (you are {roles})").format(roles=", ".join(sorted(roles)))


def pick_role(roles: Iterable[str], preferred: Iterable[str]) -> str:
    """The first of ``preferred`` the actor holds, else any of their roles."""
    roles = set(roles)
    for r in preferred:
        if r in roles:
            return r
    return sorted(roles)[0] if roles else ""
