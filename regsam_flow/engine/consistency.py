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
                (None, f"area '{area_id}': its entries in the log are damaged, cannot replay them")
            )
            continue
        area = live.get(area_id)
        if area is None:
            if snap.exists:
                found.append(
                    (
                        None,
                        f"area '{area_id}' was created by entry {snap.created_seq} but is not "
                        "in the areas table",
                    )
                )
            continue
        if not snap.exists:
            found.append((None, f"area '{area_id}' is in the areas table, but no entry created it"))
            continue
        if area.workflow_version != snap.workflow_version:
            found.append(
                (
                    None,
                    f"area '{area_id}': the areas table says workflow version "
                    f"{area.workflow_version}, the log {snap.workflow_version}",
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
        out.append((None, f"person '{pid}' is in the people table, but no entry added them"))
    for pid in sorted(set(logged) - set(live)):
        out.append((None, f"person '{pid}' was added in the log but is not in the people table"))
    for pid in sorted(set(live) & set(logged)):
        for flag in ("admin", "auditor"):
            have, want = bool(getattr(live[pid], flag)), bool(logged[pid].get(flag))
            if have != want:
                out.append(
                    (
                        None,
                        f"person '{pid}': the people table says {flag} = {_yes(have)}, "
                        f"the log {_yes(want)}",
                    )
                )
    return out


def _area(uow: UnitOfWork, a: str, state: str, round: int, snap: AreaSnapshot) -> list[Finding]:
    out: list[Finding] = []

    def say(text: str) -> None:
        out.append((None, f"area '{a}': {text}"))

    if state != snap.state:
        say(f"the areas table says phase {state}, the log {snap.state}")
    if round != snap.round:
        say(f"the areas table says round {round}, the log {snap.round}")
    live_roles = set(uow.get_assignments(a))
    log_roles = {(r, p) for r, people in snap.roles.items() for p in people}
    for role, person in sorted(live_roles - log_roles):
        say(f"{person} is {role} in the assignments table, but the log never made them that")
    for role, person in sorted(log_roles - live_roles):
        say(f"the log has {person} as {role}, the assignments table does not")
    out.extend(_agreement(uow, a, snap))
    tasks = {t.task_id: t for t in uow.get_tasks(a).values() if t.done}
    for task in sorted(set(tasks) - set(snap.task_by)):
        say(f"task '{task}' is done in the tasks table, but the log has it open")
    for task in sorted(set(snap.task_by) - set(tasks)):
        say(f"the log has task '{task}' reported by {snap.task_by[task]}, the tasks table open")
    for task in sorted(set(tasks) & set(snap.task_by)):
        if tasks[task].done_by != snap.task_by[task]:
            say(
                f"task '{task}' was reported by {tasks[task].done_by} says the tasks table, "
                f"by {snap.task_by[task]} says the log"
            )
    live_approvals = {
        (r, trigger, role, person)
        for r in range(0, max(round, snap.round) + 1)
        for trigger, given in uow.get_approvals(a, r).items()
        for role, person in given.items()
    }
    for r, trigger, role, person in sorted(live_approvals - snap.approvals):
        say(
            f"the approvals table has {person} approving '{trigger}' as {role} (round {r}), "
            "the log does not"
        )
    for r, trigger, role, person in sorted(snap.approvals - live_approvals):
        say(
            f"the log has {person} approving '{trigger}' as {role} (round {r}), "
            "the approvals table does not"
        )
    live_fields = _normal(uow.get_fields(a))
    if live_fields != _normal(snap.fields):
        for name in sorted(set(live_fields) | set(snap.fields)):
            have, want = live_fields.get(name), _normal(snap.fields).get(name)
            if have != want:
                say(f"field '{name}' is {have!r} in the fields table, {want!r} in the log")
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
            out.append((None, f"area '{a}': the log has agreement version {v}, the table not"))
            continue
        if logged is None:
            out.append(
                (None, f"area '{a}': agreement version {v} is in the table, but not in the log")
            )
            continue
        fields = ag.fields()
        for name in sorted(set(fields) | set(logged)):
            if fields.get(name) != logged.get(name):
                out.append(
                    (
                        None,
                        f"area '{a}': agreement version {v} says {name} = "
                        f"{fields.get(name)!r} in the table, {logged.get(name)!r} in the log",
                    )
                )
        signed = snap.signatures.get(v, {})
        for role in sorted(set(ag.signatures) | set(signed)):
            have, want = ag.signatures.get(role), signed.get(role)
            if have != want:
                out.append(
                    (
                        None,
                        f"area '{a}': agreement version {v} is signed as {role} by "
                        f"{have or 'nobody'} in the signatures table, by {want or 'nobody'} "
                        "in the log",
                    )
                )
    return out


def _normal(values: dict[str, Any]) -> dict[str, Any]:
    return {k: json.loads(json.dumps(v, sort_keys=True)) for k, v in values.items()}


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"
