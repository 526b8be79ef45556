"""Fields and votes: the data an instance carries, and votes held in a state
(the selection of areas uses both)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ..errors import BlockedError, Blocker, InvalidInputError, NotAllowedError
from ..i18n import _
from ..model import Ballot, FireResult, Vote
from ..validation import check_text
from .access import aggregate_for, area_for, bump, expect, refuse_if_final
from .context import EngineContext
from .fields import clean_fields, parse_field_value, write_fields
from .transitions import apply

__all__ = ["InstanceService", "parse_field_value"]


class InstanceService:
    """Setting fields, casting votes."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx

    def fields(self, area_id: str, *, actor: str) -> dict[str, Any]:
        """The instance's fields (what is set)."""
        with self.ctx.read() as uow:
            area_for(self.ctx, uow, area_id, actor)
            return uow.get_fields(area_id)

    def set_fields(
        self,
        area_id: str,
        values: Mapping[str, Any],
        *,
        actor: str,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Set fields of the instance; each by a role the field names."""
        if not values:
            raise InvalidInputError(_("no field to set"))
        with self.ctx.write() as tx:
            area, _p, roles, _all = area_for(self.ctx, tx.uow, area_id, actor)
            expect(area, expected_version)
            wf = self.ctx.workflow(area)
            refuse_if_final(area, wf)
            clean = clean_fields(wf, values, roles, actor, area_id)
            current = tx.uow.get_fields(area_id)
            changed = {k: v for k, v in clean.items() if current.get(k) != v}
            if not changed:
                raise InvalidInputError(_("nothing to change: the fields say that already"))
            bump(tx, area)
            role = next(r for r in sorted(roles) if any(r in wf.fields[k].roles for k in changed))
            write_fields(tx, area_id, changed, actor, role)
            return {**current, **changed}

    def votes(self, area_id: str, *, actor: str) -> list[Vote]:
        """The votes cast in the area's current round."""
        with self.ctx.read() as uow:
            area = area_for(self.ctx, uow, area_id, actor)[0]
            return uow.get_votes(area_id, area.round)

    def vote(
        self, area_id: str, yes: bool, *, actor: str, reason: str = "", role: str | None = None
    ) -> FireResult | None:
        """Cast a vote (see :meth:`Engine.vote`)."""
        return self.cast_vote(area_id, yes, actor=actor, reason=reason, role=role).result

    def cast_vote(
        self, area_id: str, yes: bool, *, actor: str, reason: str = "", role: str | None = None
    ) -> Ballot:
        """:meth:`vote`, telling how many of the seats have voted so far."""
        reason = check_text(reason, "reason", max_len=2000)
        with self.ctx.write() as tx:
            agg, roles = aggregate_for(self.ctx, tx.uow, area_id, actor)
            area = agg.area
            wf = self.ctx.workflow(area)
            vote = wf.state(area.state).vote
            if vote is None:
                raise BlockedError(
                    _("no vote is held in phase {state}").format(state=area.state),
                    [Blocker("no_vote", _("phase {state} holds no vote").format(state=area.state))],
                    area=area_id,
                )
            seats = dict(vote.seats)
            mine = [r for r in seats if r in roles and (role is None or r == role)]
            if not mine:
                raise NotAllowedError(
                    _("{actor} has no seat in this vote (seats: {seats})").format(
                        actor=actor, seats=", ".join(f"{n} {r}" for r, n in vote.seats)
                    ),
                    actor=actor,
                    area=area_id,
                )
            cast = tx.uow.get_votes(area_id, area.round)
            if any(v.person == actor for v in cast):
                raise BlockedError(
                    _("{actor} has voted already").format(actor=actor),
                    [
                        Blocker(
                            "voted",
                            _("{actor} has voted in this round already").format(actor=actor),
                        )
                    ],
                    area=area_id,
                )
            free = [r for r in mine if sum(v.role == r for v in cast) < seats[r]]
            if not free:
                raise BlockedError(
                    _("every seat of your role has voted"),
                    [
                        Blocker(
                            "seats_taken",
                            _("all {roles} seats have voted").format(roles=", ".join(mine)),
                        )
                    ],
                    area=area_id,
                )
            ballot = Vote(actor, free[0], yes, reason)
            tx.uow.add_vote(area_id, area.round, ballot, tx.now)
            cast.append(ballot)
            area = bump(tx, area)
            tx.audit(
                "vote",
                actor=actor,
                role=ballot.role,
                area=area_id,
                action="vote_cast",
                reason=reason,
                details={"vote": "yes" if yes else "no", "round": area.round},
            )
            if len(cast) < vote.total:
                return Ballot(ballot, len(cast), vote.total, None)
            if all(v.yes for v in cast):
                outcome = vote.all_yes
            elif not any(v.yes for v in cast):
                outcome = vote.all_no
            else:
                outcome = vote.otherwise
            t = wf.transition(outcome, area.state)
            assert t is not None  # the loader checked it
            tally = {v.person: ("yes" if v.yes else "no") for v in cast}
            result = apply(
                tx, replace(agg, area=area), wf, t, actor, ballot.role, "", {"votes": tally}
            )
            return Ballot(ballot, len(cast), vote.total, result)
