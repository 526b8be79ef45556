"""What the page of one area shows, gathered from engine calls.

:func:`area_view` asks the engine (as the caller) for the area's status
(phase, people by role, agreement, tasks, next steps with every blocker),
the agreement's versions, the KG's state, meetings, catalogue, work orders,
missing resources and the area's history, and turns them into plain values
for the template: German labels, Berlin times, and which buttons this
person gets.  The buttons follow what the engine says (the next steps and
their blockers, the person's roles in the area); the engine still checks
every change.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ...engine.catalogue import EVALUATION_PHASE
from ...i18n import N_, _, format_date, format_datetime
from ...kg import ORDER_KINDS, ORDER_STATUSES, RATINGS
from ...model import AGREEMENT_SIGNERS
from ..deps import Caller
from .diagram_svg import workflow_svg
from .render import ROLE_TITLES

if TYPE_CHECKING:
    from ...bootstrap import Engine
    from ...errors import Blocker
    from ...model import Agreement, AuditEntry

__all__ = [
    "AGREEMENT_FIELDS",
    "area_view",
    "role_label",
]

#: The agreement's fields in the order of the form, with their labels.
AGREEMENT_FIELDS = (
    ("topic", N_("Topic / provisional goal")),
    ("scope", N_("Scope")),
    ("reasons", N_("Reasons for the choice")),
    ("partners", N_("Partners still to win")),
    ("terms", N_("Further agreements")),
    ("duration", N_("Provisional duration")),
    ("start", N_("Start on")),
    ("review", N_("Review on")),
)

RATING_LABELS = {
    "achieved": N_("achieved"),
    "partly": N_("partly achieved"),
    "not_achieved": N_("not achieved"),
}
ORDER_KIND_LABELS = {"order": N_("Work order"), "recommendation": N_("Recommendation")}
ORDER_STATUS_LABELS = {
    "open": N_("open"),
    "in_progress": N_("in progress"),
    "done": N_("done"),
    "declined": N_("declined"),
}

ACTION_LABELS = {
    "area_created": N_("Area created"),
    "assigned": N_("Person assigned"),
    "unassigned": N_("Person unassigned"),
    "agreement_changed": N_("Agreement changed"),
    "agreement_signed": N_("Agreement signed"),
    "task_reported": N_("Task reported done"),
    "task_reopened": N_("Task reopened"),
    "transition": N_("Phase changed"),
    "approval": N_("Approval given"),
    "review_decided": N_("Review decided"),
    "meeting_recorded": N_("Meeting recorded"),
    "meeting_planned": N_("Meeting planned"),
    "attachment_added": N_("File attached to a meeting"),
    "goal_added": N_("Goal added"),
    "measure_added": N_("Measure added"),
    "catalogue_adopted": N_("Catalogue adopted"),
    "goal_rated": N_("Goal rated"),
    "order_issued": N_("Work order issued"),
    "order_reported": N_("Work order status reported"),
    "resource_added": N_("Missing resource documented"),
    "final_documentation_recorded": N_("Final documentation recorded"),
    "fields_set": N_("Fields set"),
    "workflow_migrated": N_("Moved to a new workflow version"),
    "reminder_sent": N_("Reminder sent"),
    "kg_mail_sent": N_("Mail of the KG sent"),
}

#: Roles that may sign and edit the agreement (the engine's own tuple).
SIGNERS = AGREEMENT_SIGNERS


def role_label(role: str) -> str:
    return _(ROLE_TITLES[role]) if role in ROLE_TITLES else role


_ROLE_WORD = re.compile(r"\b(" + "|".join(sorted(ROLE_TITLES, key=len, reverse=True)) + r")\b")


def plain(message: str) -> str:
    """An engine message with the role ids in it (``moderation``) as the
    roles' names (``REGSAM-Moderation``): the words people know."""
    return _ROLE_WORD.sub(lambda m: role_label(m.group(1)), message)


def _blocker(b: Blocker, roles: tuple[str, ...]) -> str:
    """A blocker in plain German; "not your role" says whose step it is."""
    if b.code == "role_missing" and roles:
        return _("Only {roles} may take this step.").format(
            roles=_(" or ").join(role_label(r) for r in roles)
        )
    return plain(b.message)


def rating_label(rating: str | None) -> str:
    return _(RATING_LABELS[rating]) if rating in RATING_LABELS else (rating or "")


@dataclass
class Change:
    field: str
    label: str
    old: str
    new: str


@dataclass
class AgreementVersion:
    version: int
    created_at: str
    created_by: str
    changes: list[Change] = field(default_factory=list)


def _text(value: Any) -> str:
    if value is None:
        return ""
    from datetime import date

    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _agreement_values(ag: Agreement | None) -> dict[str, str]:
    if ag is None:
        return {name: "" for name, _label in AGREEMENT_FIELDS}
    return {name: _text(getattr(ag, name)) for name, _label in AGREEMENT_FIELDS}


def _agreement_shown(ag: Agreement | None) -> dict[str, str]:
    """The agreement's values as people read them (dates as 15.07.2027)."""
    shown = _agreement_values(ag)
    if ag is not None:
        for name in ("start", "review"):
            value = getattr(ag, name)
            if value is not None:
                shown[name] = format_date(value)
    return shown


def _versions(history: list[Agreement], names: dict[str, str]) -> list[AgreementVersion]:
    out: list[AgreementVersion] = []
    before = _agreement_shown(None)
    for ag in history:
        now = _agreement_shown(ag)  # dates as people read them
        changes = [
            Change(name, _(label), before[name], now[name])
            for name, label in AGREEMENT_FIELDS
            if before[name] != now[name]
        ]
        out.append(
            AgreementVersion(
                ag.version,
                format_datetime(ag.created_at) if ag.created_at else "",
                names.get(ag.created_by or "", ag.created_by or ""),
                changes,
            )
        )
        before = now
    out.reverse()  # newest first
    return out


def _when(at: str) -> str:
    try:
        return format_datetime(datetime.fromisoformat(at))
    except ValueError:
        return at


def _timeline(
    entries: list[AuditEntry],
    names: dict[str, str],
    titles: dict[str, str],
    tasks: dict[str, str],
) -> list[dict[str, str]]:
    out = []
    for e in reversed(entries):
        label = _(ACTION_LABELS[e.action]) if e.action in ACTION_LABELS else e.action
        detail = ""
        try:
            facts = json.loads(e.details) if e.details else {}
        except ValueError:
            facts = {}
        facts = facts if isinstance(facts, dict) else {}
        if e.action in ("assigned", "unassigned") and facts.get("person"):
            detail = _("{person} as {role}").format(
                person=names.get(str(facts["person"]), str(facts["person"])),
                role=role_label(str(facts.get("role", ""))),
            )
        elif e.action in ("task_reported", "task_reopened") and facts.get("task"):
            detail = tasks.get(str(facts["task"]), str(facts["task"]))
        elif e.action == "transition" and e.to_state:
            detail = _("{source} → {dest}").format(
                source=titles.get(e.from_state, e.from_state),
                dest=titles.get(e.to_state, e.to_state),
            )
        elif e.trigger:
            detail = e.trigger
        out.append(
            {
                "at": _when(e.at),
                "iso": e.at,
                "label": label,
                "detail": detail,
                "who": names.get(e.actor, e.actor),
                "role": role_label(e.role) if e.role else "",
                "reason": e.reason,
            }
        )
    return out


def area_view(eng: Engine, who: Caller, area_id: str) -> dict[str, Any]:
    """Everything the area page shows, for ``who`` (engine calls as them)."""
    me = who.person
    with who.acting():
        st = eng.status(area_id, actor=me)
        kg = eng.kg_state(area_id, actor=me)
        history = eng.agreement_history(area_id, actor=me)
        meetings = eng.meetings(area_id, actor=me)
        goals = eng.goals(area_id, actor=me)
        versions = eng.catalogue_versions(area_id, actor=me)
        orders = eng.work_orders(area_id, actor=me)
        resources = eng.missing_resources(area_id, actor=me)
        entries = eng.history(actor=me, area=area_id)
        people = {p.id: p for p in eng.list_people(actor=me)}
        workflow = eng.workflows.get(st.area.workflow, st.area.workflow_version)

        names = {pid: p.name or pid for pid, p in people.items()}
        titles = {s.id: s.title for s in workflow.definition.states}
        mine = set(st.viewer_roles)
        area = st.area
        final = st.final

        roles = [
            {
                "role": role,
                "label": role_label(role),
                "people": [
                    {
                        "id": pid,
                        "name": names.get(pid, pid),
                        "org": people[pid].org if pid in people else "",
                    }
                    for pid in pids
                ],
            }
            for role, pids in st.roles.items()
        ]
        area_people = sorted(
            {pid for pids in st.roles.values() for pid in pids}, key=lambda p: names.get(p, p)
        )

        ag = st.agreement
        signers_needed = [r for r in SIGNERS if r in st.roles]
        may_sign_as = [r for r in SIGNERS if r in mine and not (ag and r in ag.signatures)]
        agreement = {
            "current": ag,
            "field_values": _agreement_values(ag),
            "shown": _agreement_shown(ag),
            "fields": [(name, _(label)) for name, label in AGREEMENT_FIELDS],
            "signatures": [
                {
                    "role": r,
                    "label": role_label(r),
                    "by": names.get(ag.signatures[r], ag.signatures[r])
                    if ag and r in ag.signatures
                    else None,
                }
                for r in signers_needed
            ],
            "versions": _versions(history, names),
            "may_edit": bool(mine & set(SIGNERS)) and not final,
            "may_sign_as": [] if final or ag is None or not ag.version else may_sign_as,
            "sign_options": [(r, role_label(r)) for r in may_sign_as],
            "missing": [
                _(label) for name, label in AGREEMENT_FIELDS if ag and name in ag.missing_fields()
            ],
        }

        tasks: list[dict[str, Any]] = []
        for t in st.tasks:
            mine_task = bool(mine & set(t.roles))
            current = t.phase == area.state and not final
            tasks.append(
                {
                    "row": t,
                    "roles": ", ".join(role_label(r) for r in t.roles),
                    "done_by": names.get(t.done_by or "", t.done_by or ""),
                    "done_at": format_datetime(t.done_at) if t.done_at else "",
                    "may_report": current and mine_task and not t.done,
                    "may_reopen": current and t.done and bool(mine & ({*t.roles, "moderation"})),
                }
            )
        phase_tasks = [t for t in tasks if t["row"].phase == area.state]

        trans = {t.trigger: tuple(t.roles) for t in workflow.outgoing.get(area.state, ())}
        steps = []
        for s in st.next:
            dest = workflow.states.get(s.dest)
            steps.append(
                {
                    "step": s,
                    "blockers": [_blocker(b, trans.get(s.trigger, ())) for b in s.blockers],
                    "dest_title": titles.get(s.dest, s.dest),
                    "confirm": bool(dest and dest.final),
                    "cancel": bool(dest and dest.final and not s.advance),
                    "approvals_needed": [role_label(r) for r in s.approvals_needed],
                    "approvals_given": [
                        {"role": role_label(r), "by": names.get(p, p)}
                        for r, p in s.approvals_given.items()
                    ],
                    "may_fire": s.allowed,
                }
            )

        meeting_rows = [
            {
                "m": m,
                "attendees": [
                    names.get(a.person, a.person) if a.person else (a.guest or "")
                    for a in m.attendees
                ],
            }
            for m in meetings
        ]
        held = [m for m in meetings if not m.planned]

        def responsible_text(kind: str, name: str) -> str:
            if kind == "role":
                return role_label(name)
            if kind == "person":
                return names.get(name, name)
            return name

        goal_rows = [
            {
                "g": g,
                "rating": rating_label(g.rating),
                "measures": [
                    {
                        "m": m,
                        "responsible": responsible_text(m.responsible.kind, m.responsible.name),
                    }
                    for m in g.measures
                ],
            }
            for g in goals
        ]

        is_mod = "moderation" in mine and not final
        may_kg = bool(mine & set(SIGNERS)) and not final
        order_rows = []
        for o in orders:
            addressed = (o.addressee.kind == "person" and o.addressee.name == me) or (
                o.addressee.kind == "role" and o.addressee.name in mine
            )
            order_rows.append(
                {
                    "o": o,
                    "kind": _(ORDER_KIND_LABELS.get(o.kind, o.kind)),
                    "status": _(ORDER_STATUS_LABELS.get(o.status, o.status)),
                    "addressee": responsible_text(o.addressee.kind, o.addressee.name),
                    "may_report": (addressed or "moderation" in mine) and not final,
                }
            )

        diagram = workflow_svg(workflow, area.state)  # in the caller's language
        responsible_options = [("role:" + r, role_label(r)) for r in st.roles] + [
            ("person:" + p, names.get(p, p)) for p in area_people
        ]

        return {
            "area": area,
            "st": st,
            "kg": kg,
            "workflow_title": st.workflow_title,
            "state_title": st.state_title,
            "final": final,
            "version": area.version,
            "diagram": diagram,
            "roles": roles,
            "viewer_roles": [role_label(r) for r in st.viewer_roles],
            "agreement": agreement,
            "tasks": phase_tasks,
            "other_tasks": [t for t in tasks if t["row"].phase != area.state],
            "steps": steps,
            "meetings": meeting_rows,
            "held_meetings": held,
            "meeting_options": [
                (m.id, _("Meeting {n} on {date}").format(n=m.number, date=format_date(m.held_on)))
                for m in reversed(held)
            ],
            "goals": goal_rows,
            "catalogue_versions": versions,
            "orders": order_rows,
            "resources": resources,
            "final_document": kg.final_document,
            "timeline": _timeline(
                entries,
                names,
                titles,
                {t.id: t.title for st_ in workflow.definition.states for t in st_.tasks},
            ),
            "area_people": [(p, names.get(p, p)) for p in area_people],
            "responsible_options": responsible_options,
            "rating_options": [(r, rating_label(r)) for r in RATINGS],
            "order_kind_options": [(k, _(ORDER_KIND_LABELS[k])) for k in ORDER_KINDS],
            "order_status_options": [(s, _(ORDER_STATUS_LABELS[s])) for s in ORDER_STATUSES],
            "may": {
                "meeting": may_kg,
                "catalogue": is_mod,
                "adopt": is_mod
                and bool(held)
                and bool(goals)
                and (kg.adopted_version is None or kg.changed_since_adoption),
                "orders": is_mod and bool(held),
                "resources": is_mod,
                "rate": may_kg and area.state == EVALUATION_PHASE,
                "final": is_mod and area.state == EVALUATION_PHASE,
                "review": bool(mine & set(SIGNERS))
                and not final
                and ag is not None
                and ag.review is not None,
            },
        }
