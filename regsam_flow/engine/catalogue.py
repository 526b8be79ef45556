"""The KG's catalogue of goals and measures: goals and measures added,
adopted at a recorded meeting as a numbered frozen version, goals rated at
evaluation; :func:`kg_facts_in` reads what the KG's guards look at."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import BlockedError, Blocker, InvalidInputError, NotFoundError
from ..i18n import _
from ..kg import (
    RATINGS,
    CatalogueVersion,
    Goal,
    KgFacts,
    Measure,
    Responsible,
    catalogue_json,
    catalogue_sha256,
)
from ..ports import UnitOfWork
from ..validation import check_text
from ..workflows import Workflow
from .access import area_for, counted_change, expect, member, pick_role
from .context import EngineContext
from .meetings import held_meeting

__all__ = [
    "CATALOGUE_ROLES",
    "EVALUATION_PHASE",
    "RATING_ROLES",
    "CatalogueService",
    "check_responsible",
    "kg_facts_in",
]

#: Who keeps the catalogue and adopts it (as the KG's moderation).
CATALOGUE_ROLES = ("moderation",)
#: Who rates the goals at evaluation.
RATING_ROLES = ("moderation", "social_planning")
#: The phase in which goals are rated: the evaluation (Auswertung) of the
#: concept paper's phase table, the phase of this id in a workflow.  A
#: workflow without it has no rating.
EVALUATION_PHASE = "auswertung"


class CatalogueService:
    """Goals, measures, adoptions and ratings of an area's KG."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx

    def add_goal(
        self,
        area_id: str,
        *,
        actor: str,
        title: str,
        description: str = "",
        expected_version: int | None = None,
    ) -> Goal:
        """Add a goal to the draft catalogue (moderation)."""
        title = check_text(title, "title", max_len=500, required=True, multiline=False)
        description = check_text(description, "description", max_len=10_000)
        with self.ctx.write() as tx:
            area, _wf, roles = member(
                self.ctx, tx.uow, area_id, actor, CATALOGUE_ROLES, _("change the catalogue")
            )
            expect(area, expected_version)
            goal = tx.uow.add_goal(area_id, title, description)
            counted_change(
                tx,
                area,
                "kg",
                actor=actor,
                role=pick_role(roles, CATALOGUE_ROLES),
                action="goal_added",
                details={"goal": goal.number, "title": title},
            )
            return goal

    def add_measure(
        self,
        area_id: str,
        goal: int,
        *,
        actor: str,
        title: str,
        responsible: Responsible,
        expected_version: int | None = None,
    ) -> Measure:
        """Add a measure to goal number ``goal`` (moderation); who is
        responsible: a role of the area's workflow, a person holding a role
        in the area, or a named outside party."""
        title = check_text(title, "title", max_len=500, required=True, multiline=False)
        with self.ctx.write() as tx:
            area, wf, roles = member(
                self.ctx, tx.uow, area_id, actor, CATALOGUE_ROLES, _("change the catalogue")
            )
            expect(area, expected_version)
            found = _goal(tx.uow.list_goals(area_id), goal, area_id)
            who = check_responsible(responsible, wf, tx.uow.get_assignments(area_id), area_id)
            measure = tx.uow.add_measure(found.id, title, who)
            counted_change(
                tx,
                area,
                "kg",
                actor=actor,
                role=pick_role(roles, CATALOGUE_ROLES),
                action="measure_added",
                details={
                    "goal": found.number,
                    "measure": measure.id,
                    "title": title,
                    "responsible": {"kind": who.kind, "name": who.name},
                },
            )
            return measure

    def goals(self, area_id: str, *, actor: str) -> list[Goal]:
        """The draft catalogue: goals by number with measures and ratings."""
        with self.ctx.read() as uow:
            area_for(self.ctx, uow, area_id, actor)
            return uow.list_goals(area_id)

    def adopt(
        self, area_id: str, *, actor: str, meeting: int, expected_version: int | None = None
    ) -> CatalogueVersion:
        """Adopt the draft catalogue at a recorded (not planned) meeting of
        the area (moderation): it is frozen as the next numbered version,
        its SHA-256 in the audit entry.  Refused when the catalogue has no
        goal or is the version adopted last."""
        with self.ctx.write() as tx:
            area, _wf, roles = member(
                self.ctx, tx.uow, area_id, actor, CATALOGUE_ROLES, _("adopt the catalogue")
            )
            expect(area, expected_version)
            held_meeting(
                tx.uow.list_meetings(area_id), meeting, area_id, _("the catalogue is adopted")
            )
            goals = tuple(tx.uow.list_goals(area_id))
            if not goals:
                raise BlockedError(
                    _("the catalogue has no goal yet"),
                    [Blocker("catalogue_empty", _("add a goal first (kg goal add)"))],
                    area=area_id,
                )
            text = catalogue_json(goals)
            digest = catalogue_sha256(text)
            versions = tx.uow.catalogue_versions(area_id)
            if versions and versions[-1].sha256 == digest:
                raise BlockedError(
                    _("the catalogue is unchanged since version {version}").format(
                        version=versions[-1].version
                    ),
                    [
                        Blocker(
                            "catalogue_unchanged",
                            _("version {version} is the adopted catalogue").format(
                                version=versions[-1].version
                            ),
                        )
                    ],
                    area=area_id,
                )
            version = CatalogueVersion(
                area=area_id,
                version=len(versions) + 1,
                meeting=meeting,
                adopted_by=actor,
                adopted_at=tx.now,
                goals=goals,
                sha256=digest,
            )
            tx.uow.add_catalogue_version(version)
            counted_change(
                tx,
                area,
                "kg",
                actor=actor,
                role=pick_role(roles, CATALOGUE_ROLES),
                action="catalogue_adopted",
                details={
                    "version": version.version,
                    "meeting": meeting,
                    "goals": len(goals),
                    "sha256": digest,
                },
            )
            return tx.uow.catalogue_versions(area_id)[-1]

    def catalogue_versions(self, area_id: str, *, actor: str) -> list[CatalogueVersion]:
        """Every adopted version of the catalogue, oldest first."""
        with self.ctx.read() as uow:
            area_for(self.ctx, uow, area_id, actor)
            return uow.catalogue_versions(area_id)

    def rate_goal(
        self,
        area_id: str,
        goal: int,
        *,
        actor: str,
        rating: str,
        note: str,
        expected_version: int | None = None,
    ) -> Goal:
        """Rate goal number ``goal`` (moderation or social planning) as
        achieved, partly or not_achieved, with a note; only while the area
        is in its evaluation phase (:data:`EVALUATION_PHASE`).  A new rating
        replaces the old one (both are in the audit log)."""
        if rating not in RATINGS:
            raise InvalidInputError(
                _("rating: {value} is not one of {known}").format(
                    value=repr(rating), known=", ".join(RATINGS)
                ),
                field="rating",
            )
        note = check_text(note, "note", max_len=4000, required=True)
        with self.ctx.write() as tx:
            area, _wf, roles = member(
                self.ctx, tx.uow, area_id, actor, RATING_ROLES, _("rate a goal")
            )
            expect(area, expected_version)
            if area.state != EVALUATION_PHASE:
                raise BlockedError(
                    _("goals are rated in the phase {phase}; area '{area}' is in {state}").format(
                        phase=EVALUATION_PHASE, area=area_id, state=area.state
                    ),
                    [
                        Blocker(
                            "not_in_evaluation",
                            _("rating needs the phase {phase} (now {state})").format(
                                phase=EVALUATION_PHASE, state=area.state
                            ),
                        )
                    ],
                    area=area_id,
                )
            found = _goal(tx.uow.list_goals(area_id), goal, area_id)
            tx.uow.rate_goal(found.id, rating, note, actor, tx.now)
            counted_change(
                tx,
                area,
                "kg",
                actor=actor,
                role=pick_role(roles, RATING_ROLES),
                action="goal_rated",
                reason=note,
                details={"goal": found.number, "rating": rating},
            )
            return _goal(tx.uow.list_goals(area_id), goal, area_id)

    def kg_facts(self, area_id: str, *, actor: str) -> KgFacts:
        """What the KG's guards look at (see :class:`~regsam_flow.kg.KgFacts`)."""
        with self.ctx.read() as uow:
            area, _me, _roles, _assignments = area_for(self.ctx, uow, area_id, actor)
            return kg_facts_in(uow, area_id, final=self.ctx.workflow(area).is_final(area.state))


def kg_facts_in(uow: UnitOfWork, area_id: str, *, final: bool = False) -> KgFacts:
    """The KG's facts of an area, read in the caller's unit of work: the
    newest adopted version and whether the draft differs from it (by the
    hash of its canonical JSON), the draft's goals, the final documentation
    recorded (:func:`~regsam_flow.engine.final_document.final_document_in`;
    ``final``: the area is in a final state, its closing changed nothing)."""
    from .final_document import final_document_in  # it needs EVALUATION_PHASE from here

    goals = tuple(uow.list_goals(area_id))
    versions = uow.catalogue_versions(area_id)
    document = final_document_in(uow, area_id, final=final)
    if not versions:
        return KgFacts(goals=goals, final_document=document)
    latest = versions[-1]
    changed = catalogue_sha256(catalogue_json(goals)) != latest.sha256
    return KgFacts(
        adopted_version=latest.version,
        changed_since_adoption=changed,
        goals=goals,
        final_document=document,
    )


def _goal(goals: Sequence[Goal], number: int, area_id: str) -> Goal:
    for g in goals:
        if g.number == number:
            return g
    raise NotFoundError(
        _("no goal {goal} in area '{area}' (see `regsam-flow kg goal list {area}`)").format(
            goal=number, area=area_id
        ),
        kind="goal",
        key=str(number),
    )


def check_responsible(
    who: Responsible,
    wf: Workflow,
    assignments: Sequence[tuple[str, str]],
    area_id: str,
    field: str = "responsible",
) -> Responsible:
    """``who`` checked against the area: a role of its workflow, a person
    holding a role in it, or a named outside party; else an
    InvalidInputError naming ``field`` (also used for orders' addressees)."""
    name = check_text(who.name, field, max_len=200, required=True, multiline=False)
    if who.kind == "role":
        if name not in wf.definition.roles:
            raise InvalidInputError(
                _("{field}: '{name}' is no role of {workflow} (roles: {roles})").format(
                    field=field, name=name, workflow=wf.name, roles=", ".join(wf.definition.roles)
                ),
                field=field,
            )
    elif who.kind == "person":
        if name not in {p for _r, p in assignments}:
            raise InvalidInputError(
                _(
                    "{field}: '{name}' holds no role in area '{area}'; name an outside "
                    "party (--outside) or assign them a role first"
                ).format(field=field, name=name, area=area_id),
                field=field,
            )
    elif who.kind != "outside":
        raise InvalidInputError(
            _("{field}: kind {kind} is not one of role, person, outside").format(
                field=field, kind=repr(who.kind)
            ),
            field=field,
        )
    return Responsible(who.kind, name)
