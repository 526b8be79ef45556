"""Guards: named checks a workflow file attaches to transitions.

A guard looks at a :class:`GuardContext` and returns every :class:`Blocker`
it finds (none means it passes).  Guards check *process* steps (an agreement
signed, tasks reported), never outcomes.  Embedders register their own under
a name a workflow file can use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from .errors import Blocker
from .i18n import _, format_datetime
from .kg import KgFacts
from .model import AGREEMENT_SIGNERS, Agreement, Area, TaskStatus
from .parties import same_signer
from .workflows import TransitionDef, Workflow

__all__ = [
    "BUILTIN_GUARDS",
    "KG_GUARDS",
    "NO_KG_FACTS",
    "Guard",
    "GuardContext",
    "agreement_signed",
    "catalogue_adopted",
    "final_documentation_recorded",
    "goals_rated",
    "required_tasks_done",
]


#: The KG's facts of an area that has none (or whose facts were not read).
NO_KG_FACTS = KgFacts()


@dataclass(frozen=True)
class GuardContext:
    """What a guard may look at.  ``kg``: the KG's facts of the area
    (:func:`regsam_flow.engine.catalogue.kg_facts_in`), read only when a
    transition out of the current phase names one of :data:`KG_GUARDS`
    (otherwise empty: other transitions stay cheap).  ``assignments``: the
    area's people, (role, person id) pairs in order; :meth:`holders` gives
    those of one role."""

    area: Area
    workflow: Workflow
    transition: TransitionDef
    actor: str
    actor_roles: frozenset[str]
    agreement: Agreement | None
    tasks: Mapping[str, TaskStatus]
    kg: KgFacts = NO_KG_FACTS
    assignments: tuple[tuple[str, str], ...] = ()

    def holders(self, role: str) -> list[str]:
        """The ids of the people holding ``role`` in the area, in order."""
        return [person for r, person in self.assignments if r == role]


Guard = Callable[[GuardContext], Iterable[Blocker]]


def agreement_signed(ctx: GuardContext) -> list[Blocker]:
    """The cooperation agreement is complete and signed by both parties, as two
    different people."""
    ag = ctx.agreement
    if ag is None:
        return [Blocker("agreement_missing", _("no cooperation agreement yet"))]
    out = []
    missing = ag.missing_fields()
    if missing:
        out.append(
            Blocker(
                "agreement_incomplete",
                _("agreement lacks: {fields}").format(fields=", ".join(missing)),
            )
        )
    for role in AGREEMENT_SIGNERS:
        if role not in ag.signatures:
            out.append(
                Blocker(
                    "agreement_unsigned",
                    _("agreement not yet signed by {role}").format(role=role),
                )
            )
    out.extend(same_signer(ag.signatures))
    return out


def required_tasks_done(ctx: GuardContext) -> list[Blocker]:
    """Every required task of the current phase is reported done."""
    out = []
    for task in ctx.workflow.tasks_of(ctx.area.state):
        if task.required:
            status = ctx.tasks.get(task.id)
            if status is None or not status.done:
                out.append(
                    Blocker(
                        "task_open",
                        _("required task '{task}' not reported: {title}").format(
                            task=task.id, title=task.title
                        ),
                    )
                )
    return out


def catalogue_adopted(ctx: GuardContext) -> list[Blocker]:
    """The KG adopted its catalogue of goals and measures at a recorded
    meeting, has not changed it since, and it holds at least one goal with
    a measure (blocker ``catalogue_not_adopted``)."""
    kg = ctx.kg
    if kg.adopted_version is None:
        return [
            Blocker(
                "catalogue_not_adopted",
                _("the KG has not adopted a catalogue of goals and measures at a recorded meeting"),
            )
        ]
    out = []
    if kg.changed_since_adoption:
        out.append(
            Blocker(
                "catalogue_not_adopted",
                _(
                    "the catalogue changed since version {version} was adopted: "
                    "the KG must adopt it again"
                ).format(version=kg.adopted_version),
            )
        )
    if not any(g.measures for g in kg.goals):
        out.append(
            Blocker(
                "catalogue_not_adopted", _("the catalogue has no goal with at least one measure")
            )
        )
    return out


def goals_rated(ctx: GuardContext) -> list[Blocker]:
    """Every goal of the catalogue is rated (blocker ``goals_not_rated``,
    naming them); a catalogue without goals has nothing to rate."""
    open_goals = [g for g in ctx.kg.goals if g.rating is None]
    if not open_goals:
        return []
    named = ", ".join(f"{g.number} ({g.title})" for g in open_goals)
    return [Blocker("goals_not_rated", _("goals not rated yet: {goals}").format(goals=named))]


def final_documentation_recorded(ctx: GuardContext) -> list[Blocker]:
    """The moderation recorded the final documentation (``dossier --final``;
    blocker ``documentation_missing``), and the data it shows has not
    changed since (blocker ``documentation_stale``)."""
    doc = ctx.kg.final_document
    if doc is None:
        return [
            Blocker(
                "documentation_missing",
                _("the final documentation is not recorded yet (regsam-flow dossier AREA --final)"),
            )
        ]
    if doc.stale:
        changes = ", ".join(dict.fromkeys(doc.changes_since))
        return [
            Blocker(
                "documentation_stale",
                _(
                    "the data changed since the final documentation was recorded on "
                    "{recorded} ({changes}): record it again "
                    "(regsam-flow dossier AREA --final)"
                ).format(recorded=format_datetime(doc.recorded_at), changes=changes),
            )
        ]
    return []


BUILTIN_GUARDS: dict[str, Guard] = {
    "agreement_signed": agreement_signed,
    "required_tasks_done": required_tasks_done,
    "catalogue_adopted": catalogue_adopted,
    "goals_rated": goals_rated,
    "final_documentation_recorded": final_documentation_recorded,
}

#: The builtin guards that look at :attr:`GuardContext.kg`: the engine reads
#: the KG's facts only for transitions naming one of these.
KG_GUARDS = frozenset({"catalogue_adopted", "goals_rated", "final_documentation_recorded"})
