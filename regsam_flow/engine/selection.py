"""Selecting focus areas: nominate candidates, assess them, the 4er-Gremium
votes, the ARGE and the head of the social department decide.

Each candidate is an instance of the selection workflow (gebietsauswahl);
what the steps read from it (the fields they fill, the transitions that
conclude an assessment, the decisions and their triggers) is the workflow's
``selection`` section (:class:`~regsam_flow.workflows.spec.SelectionDef`),
always of the version the candidate runs on.  Every step is one unit of work.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import BlockedError, Blocker, InvalidInputError, NotFoundError
from ..i18n import _
from ..model import Area, Assessment, Candidate, FireResult, NewArea, Nomination
from ..validation import check_text
from ..workflows import TransitionDef, Workflow
from ..workflows.spec import SELECTION_WORKFLOW, SelectionDef
from .access import area_for, bump, person, refuse_if_final
from .areas import _named, check_new, write_new
from .context import EngineContext, Tx
from .fields import clean_fields, write_fields
from .transitions import fire_in

__all__ = ["SelectionService", "slug"]


def slug(text: str) -> str:
    """hasenbergl-nord from "Hasenbergl-Nord"; ä -> ae, ß -> ss."""
    text = text.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    text = text.replace("ß", "ss")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:64] or "gebiet"


class SelectionService:
    """Nominate, assess, decide, list candidates (votes:
    :meth:`~regsam_flow.engine.instances.InstanceService.cast_vote`)."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx

    def nominate(
        self, nominations: Sequence[Nomination], *, actor: str, like: str | None = None
    ) -> list[Candidate]:
        """Nominate candidates in one transaction (see :meth:`Engine.nominate`)."""
        wf = self._selection_workflow()
        sel = _selection(wf)
        news = [_new_area(n, _nomination_fields(n, sel), actor) for n in nominations]
        seen: dict[str, NewArea] = {}
        targets: list[tuple[NewArea, str]] = []
        for new in news:
            target = str(new.fields[sel.fields.area])
            if target in seen:
                with _named(new):
                    raise InvalidInputError(
                        _("it would become area '{area}', as {label} would").format(
                            area=target, label=seen[target].label
                        )
                        if new.label
                        else _("area '{area}' is named by two candidates").format(area=target),
                        field="area",
                    )
            seen[target] = new
            targets.append((new, target))
        checked = check_new(self.ctx, news)
        with self.ctx.write() as tx:
            panel = self._panel(tx, like, actor)
            write_new(tx, [], actor)  # writes nothing; refuses anyone but an admin
            for new, target in targets:
                if tx.uow.get_area(target) is not None:
                    with _named(new):
                        raise InvalidInputError(
                            _("an area '{area}' exists already").format(area=target), field="area"
                        )
            if panel:
                checked = [(_with_panel(new, panel), w) for new, w in checked]
            areas = write_new(tx, checked, actor)
        return [_candidate(a, new.fields, sel) for a, (new, _t) in zip(areas, targets, strict=True)]

    def nomination_fields(self, nomination: Nomination) -> dict[str, Any]:
        """The fields (by field id) :meth:`nominate` gives ``nomination`` on
        the newest deployed selection workflow; empty ones are not set."""
        return _nomination_fields(nomination, _selection(self._selection_workflow()))

    def assess(
        self,
        candidate: str,
        *,
        actor: str,
        fits: bool | str | None = None,
        hours: int | str | None = None,
        duration: str | None = None,
        special_programme: bool | str | None = None,
        reason: str = "",
    ) -> Assessment:
        """Record and conclude an assessment (see :meth:`Engine.assess`)."""
        reason = check_text(reason, "reason", max_len=2000)
        with self.ctx.write() as tx:
            area, _p, roles, _all = area_for(self.ctx, tx.uow, candidate, actor)
            wf = self.ctx.workflow(area)
            sel = _selection(wf, candidate)
            refuse_if_final(area, wf)
            given = {
                sel.fields.fits: fits,
                sel.fields.hours: hours,
                sel.fields.duration: duration,
                sel.fields.special_programme: special_programme,
            }
            values = {k: v for k, v in given.items() if v is not None}
            clean = clean_fields(wf, values, roles, actor, candidate)
            current = tx.uow.get_fields(candidate)
            changed = {k: v for k, v in clean.items() if current.get(k) != v}
            if values and not changed:
                raise InvalidInputError(_("nothing to change: the fields say that already"))
            merged = {**current, **changed}
            t = _concluding(wf, sel, area.state, merged)
            if t is None:
                raise BlockedError(
                    _("'{candidate}' is {state}: no assessment is taken there").format(
                        candidate=candidate, state=area.state
                    ),
                    [
                        Blocker(
                            "wrong_state",
                            _("phase {state} takes no assessment").format(state=area.state),
                        )
                    ],
                    area=candidate,
                )
            missing = tuple(k for k in t.requires if merged.get(k) in (None, ""))
            if not missing and t.reason_required and not reason:
                raise InvalidInputError(
                    _("{transition}: that needs a reason").format(transition=t.title or t.trigger),
                    field="reason",
                )
            if changed:
                area = bump(tx, area)
                role = next(
                    r for r in sorted(roles) if any(r in wf.fields[k].roles for k in changed)
                )
                write_fields(tx, candidate, changed, actor, role)
            result = None
            if not missing:
                result = fire_in(tx, candidate, t.trigger, actor=actor, reason=reason)
            return Assessment(candidate, missing, result)

    def decide(self, candidate: str, decision: str, *, actor: str, reason: str = "") -> FireResult:
        """Record a decision on a candidate (see :meth:`Engine.decide`)."""
        reason = check_text(reason, "reason", max_len=2000)
        with self.ctx.write() as tx:
            area = area_for(self.ctx, tx.uow, candidate, actor)[0]
            wf = self.ctx.workflow(area)
            trigger = _selection(wf, candidate).decision(area.state, decision)
            if trigger is None:
                raise BlockedError(
                    _("'{decision}' is not a decision to take in phase {state}").format(
                        decision=decision, state=area.state
                    ),
                    [Blocker("wrong_state", _who_decides(wf))],
                    area=candidate,
                )
            return fire_in(tx, candidate, trigger, actor=actor, reason=reason)

    def candidates(self, *, actor: str, round: str | None = None) -> list[Candidate]:
        """The candidates ``actor`` may see (of one selection ``round``), with
        their phase, read in one transaction."""
        with self.ctx.read() as uow:
            me = person(self.ctx, uow, actor)
            member = None if (me.admin or me.auditor) else actor
            out = []
            for a in uow.list_areas(member=member):
                if a.workflow != SELECTION_WORKFLOW:
                    continue
                f = _selection(self.ctx.workflow(a), a.id).fields
                values = uow.get_fields(a.id)
                if round and values.get(f.round) != round:
                    continue
                out.append(_candidate(a, values, _selection(self.ctx.workflow(a), a.id)))
            return out

    # ------------------------------------------------------------- internals
    def _selection_workflow(self) -> Workflow:
        self.ctx.forget_workflows()  # the newest deployed version, as of now
        self.ctx.prepare()
        return self.ctx.workflows.get(SELECTION_WORKFLOW)

    def _panel(self, tx: Tx, like: str | None, actor: str) -> tuple[tuple[str, str], ...]:
        """The roles of candidate ``like`` (all but its nominator), to copy."""
        if not like:
            return ()
        area, _p, _r, assignments = area_for(self.ctx, tx.uow, like, actor)
        if area.workflow != SELECTION_WORKFLOW:
            raise InvalidInputError(
                _("{like} is no candidate of a selection").format(like=like), field="like"
            )
        return tuple((r, p) for r, p in assignments if r != "nominator")


def _selection(wf: Workflow, candidate: str = "") -> SelectionDef:
    sel = wf.selection
    if sel is None:
        raise NotFoundError(
            _("{name}: workflow {workflow} version {version} selects no areas").format(
                name=candidate or wf.name, workflow=wf.name, version=wf.version
            ),
            kind="workflow",
            key=wf.name,
        )
    return sel


def _nomination_fields(n: Nomination, sel: SelectionDef) -> dict[str, Any]:
    f = sel.fields
    return {
        f.round: n.round,
        f.source: n.source,
        f.area: n.area or slug(n.name),
        f.quarter: n.quarter,
        f.scope: n.scope or n.name,
        f.reasons: n.reasons,
    }


def _candidate(a: Area, values: Mapping[str, Any], sel: SelectionDef) -> Candidate:
    f = sel.fields
    return Candidate(
        a.id,
        a.name,
        _text(values.get(f.round)),
        _text(values.get(f.source)),
        a.state,
        _text(values.get(f.area)),
        a.workflow_version,
    )


def _new_area(n: Nomination, values: Mapping[str, Any], actor: str) -> NewArea:
    """The candidate, its nominator and panel, and its nomination fields."""
    return NewArea(
        n.candidate,
        name=n.name,
        district=n.district,
        workflow=SELECTION_WORKFLOW,
        members=(("nominator", actor), *n.panel),
        fields={k: v for k, v in values.items() if v not in (None, "")},
        label=n.label,
    )


def _with_panel(new: NewArea, panel: tuple[tuple[str, str], ...]) -> NewArea:
    from dataclasses import replace

    return replace(new, members=(*new.members, *(m for m in panel if m not in new.members)))


def _concluding(
    wf: Workflow, sel: SelectionDef, state: str, fields: Mapping[str, Any]
) -> TransitionDef | None:
    """The transition that concludes the assessment from ``state``: the first
    whose conditions hold, else the first (which names what is missing)."""
    out = [t for trigger in sel.assess if (t := wf.transition(trigger, state)) is not None]
    for t in out:
        if all(fields.get(k) == v for k, v in t.when):
            return t
    return out[0] if out else None


def _who_decides(wf: Workflow) -> str:
    sel = _selection(wf)
    return "; ".join(
        _("in phase {state}: {decisions}").format(
            state=state, decisions=", ".join(d for d, _t in decisions)
        )
        for state, decisions in sel.decisions
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
