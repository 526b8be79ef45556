"""The live tables compared with the audit log (``audit verify --deep``).

The log is the record of every change; the tables (areas with their phase,
round and workflow version, assignments, agreements and signatures, tasks,
approvals, fields, people) are what the engine reads to decide.  Someone
who writes the tables behind the engine's back leaves the chain intact;
replaying the log and comparing names each disagreement.  Reviews,
reminders and votes are not compared.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

from ..i18n import _
from ..model import AuditEntry
from ..ports import UnitOfWork
from .auditing import AreaSnapshot, replay

__all__ = ["compare_live"]

#: A finding: (entry seq or None, sentence).
Finding = tuple[int | None, str]
_END = datetime.max.replace(tzinfo=timezone.utc)


def compare_live(uow: UnitOfWork, rows: Iterable[Sequence[Any]]) -> list[Finding]:
    """Every disagreement between the live tables and the replayed log
    (``rows``: the log's entries as plain rows, see ``iter_audit_rows``)."""
    by_area: dict[str, list[AuditEntry]] = {}
    people_entries: list[AuditEntry] = []
    for row in rows:
        try:
            e = AuditEntry(*row)
        except TypeError:
            continue  # damage the chain check names
        if not isinstance(e.area, str):
            continue
        if e.area:
            by_area.setdefault(e.area, []).append(e)
        elif e.action == "person_added":
            people_entries.append(e)
    found = _people(uow, people_entries)
    live = {a.id: a for a in uow.list_areas()}
    for area_id in sorted(set(live) | set(by_area)):
        try:
            snap = replay(area_id, _END, by_area.get(area_id, []))
        except (ValueError, TypeError, KeyError, AttributeError):
            found.append(
                (
                    None,
                    _(
                        "area '{area}': its entries in the log are damaged, cannot replay them"
                    ).format(area=area_id),
                )
            )
            continue
        area = live.get(area_id)
        if area is None:
            if snap.exists:
                found.append(
                    (
                        None,
                        _(
                            "area '{area}' was created by entry {seq} but is not in the areas table"
                        ).format(area=area_id, seq=snap.created_seq),
                    )
                )
            continue
        if not snap.exists:
            found.append(
                (
                    None,
                    _("area '{area}' is in the areas table, but no entry created it").format(
                        area=area_id
                    ),
                )
            )
            continue
        if area.workflow_version != snap.workflow_version:
            found.append(
                (
                    None,
                    _(
                        "area '{area}': the areas table says workflow version "
                        "{version}, the log {logged}"
                    ).format(
                        area=area_id, version=area.workflow_version, logged=snap.workflow_version
                    ),
                )
            )
        found.extend(_area(uow, area_id, area.state, area.round, snap))
    return found


def _people(uow: UnitOfWork, entries: list[AuditEntry]) -> list[Finding]:
    logged: dict[str, dict[str, Any]] = {}
    for e in entries:
        try:
            d = json.loads(e.details) if e.details else {}
        except ValueError:
            continue  # damage the chain check names
        logged[str(d.get("person", ""))] = d
    out: list[Finding] = []
    live = {p.id: p for p in uow.list_people()}
    for pid in sorted(set(live) - set(logged)):
        out.append(
            (
                None,
                _("person '{person}' is in the people table, but no entry added them").format(
                    person=pid
                ),
            )
        )
    for pid in sorted(set(logged) - set(live)):
        out.append(
            (
                None,
                _("person '{person}' was added in the log but is not in the people table").format(
                    person=pid
                ),
            )
        )
    for pid in sorted(set(live) & set(logged)):
        for flag in ("admin", "auditor"):
            have, want = bool(getattr(live[pid], flag)), bool(logged[pid].get(flag))
            if have != want:
                out.append(
                    (
                        None,
                        _(
                            "person '{person}': the people table says {flag} = {have}, "
                            "the log {logged}"
                        ).format(person=pid, flag=flag, have=_yes(have), logged=_yes(want)),
                    )
                )
    return out


def _area(uow: UnitOfWork, a: str, state: str, round: int, snap: AreaSnapshot) -> list[Finding]:
    out: list[Finding] = []

    def say(text: str) -> None:
        out.append((None, _("area '{area}': {text}").format(area=a, text=text)))

    if state != snap.state:
        say(
            _("the areas table says phase {state}, the log {logged}").format(
                state=state, logged=snap.state
            )
        )
    if round != snap.round:
        say(
            _("the areas table says round {round}, the log {logged}").format(
                round=round, logged=snap.round
            )
        )
    live_roles = set(uow.get_assignments(a))
    log_roles = {(r, p) for r, people in snap.roles.items() for p in people}
    for role, person in sorted(live_roles - log_roles):
        say(
            _(
                "{person} is {role} in the assignments table, but the log never made them that"
            ).format(person=person, role=role)
        )
    for role, person in sorted(log_roles - live_roles):
        say(
            _("the log has {person} as {role}, the assignments table does not").format(
                person=person, role=role
            )
        )
    out.extend(_agreement(uow, a, snap))
    tasks = {t.task_id: t for t in uow.get_tasks(a).values() if t.done}
    for task in sorted(set(tasks) - set(snap.task_by)):
        say(
            _("task '{task}' is done in the tasks table, but the log has it open").format(task=task)
        )
    for task in sorted(set(snap.task_by) - set(tasks)):
        say(
            _("the log has task '{task}' reported by {person}, the tasks table open").format(
                task=task, person=snap.task_by[task]
            )
        )
    for task in sorted(set(tasks) & set(snap.task_by)):
        if tasks[task].done_by != snap.task_by[task]:
            say(
                _(
                    "task '{task}' was reported by {person} says the tasks table, "
                    "by {logged} says the log"
                ).format(task=task, person=tasks[task].done_by, logged=snap.task_by[task])
            )
    live_approvals = {
        (r, trigger, role, person)
        for r in range(0, max(round, snap.round) + 1)
        for trigger, given in uow.get_approvals(a, r).items()
        for role, person in given.items()
    }
    for r, trigger, role, person in sorted(live_approvals - snap.approvals):
        say(
            _(
                "the approvals table has {person} approving '{trigger}' as {role} (round {round}), "
                "the log does not"
            ).format(person=person, trigger=trigger, role=role, round=r)
        )
    for r, trigger, role, person in sorted(snap.approvals - live_approvals):
        say(
            _(
                "the log has {person} approving '{trigger}' as {role} (round {round}), "
                "the approvals table does not"
            ).format(person=person, trigger=trigger, role=role, round=r)
        )
    live_fields = _normal(uow.get_fields(a))
    if live_fields != _normal(snap.fields):
        for name in sorted(set(live_fields) | set(snap.fields)):
            have, want = live_fields.get(name), _normal(snap.fields).get(name)
            if have != want:
                say(
                    _("field '{field}' is {have} in the fields table, {logged} in the log").format(
                        field=name, have=repr(have), logged=repr(want)
                    )
                )
    return out


def _agreement(uow: UnitOfWork, a: str, snap: AreaSnapshot) -> list[Finding]:
    out: list[Finding] = []
    newest = uow.get_agreement(a)
    top = max([newest.version if newest else 0, *snap.versions])
    for v in range(1, top + 1):
        ag = uow.get_agreement(a, v)
        logged = snap.versions.get(v)
        if ag is None and logged is None:
            continue
        if ag is None:
            out.append(
                (
                    None,
                    _(
                        "area '{area}': the log has agreement version {version}, the table not"
                    ).format(area=a, version=v),
                )
            )
            continue
        if logged is None:
            out.append(
                (
                    None,
                    _(
                        "area '{area}': agreement version {version} is in the table, "
                        "but not in the log"
                    ).format(area=a, version=v),
                )
            )
            continue
        fields = ag.fields()
        for name in sorted(set(fields) | set(logged)):
            if fields.get(name) != logged.get(name):
                out.append(
                    (
                        None,
                        _(
                            "area '{area}': agreement version {version} says {field} = "
                            "{have} in the table, {logged} in the log"
                        ).format(
                            area=a,
                            version=v,
                            field=name,
                            have=repr(fields.get(name)),
                            logged=repr(logged.get(name)),
                        ),
                    )
                )
        signed = snap.signatures.get(v, {})
        for role in sorted(set(ag.signatures) | set(signed)):
            have, want = ag.signatures.get(role), signed.get(role)
            if have != want:
                out.append(
                    (
                        None,
                        _(
                            "area '{area}': agreement version {version} is signed as {role} by "
                            "{have} in the signatures table, by {logged} in the log"
                        ).format(
                            area=a,
                            version=v,
                            role=role,
                            have=have or _("nobody"),
                            logged=want or _("nobody"),
                        ),
                    )
                )
    return out


def _normal(values: dict[str, Any]) -> dict[str, Any]:
    return {k: json.loads(json.dumps(v, sort_keys=True)) for k, v in values.items()}


def _yes(flag: bool) -> str:
    return _("yes") if flag else _("no")
