"""Auswahl: the selection round.  The candidates (nominated by hand or from
the monitoring screen), their assessment, the votes of the 4er-Gremium, the
dissent and its escalation to the ARGE and the head of the social
department; each person sees the forms of the steps that are theirs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ...errors import InvalidInputError, RegsamFlowError
from ...i18n import _
from ...model import Nomination
from ..api.params import Who
from ..deps import Caller, engine
from .render import page
from .webcommon import done, failure, form_of, me

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

#: The choices of the selection workflow's source field, as people read them.
SOURCES = ["monitoring", "rags", "sbh", "bezirksausschuss", "sozialplanung"]


def _yes_no(value: Any) -> Any:
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    return value


def _place(order: list[str], key: str) -> int:
    return order.index(key) if key in order else len(order)


def _candidate_view(request: Request, who: Caller, c: Any) -> dict[str, Any]:
    """What the page shows of one candidate, and the forms for this person."""
    eng = engine(request)
    st = eng.status(c.id, actor=who.person)
    wf = eng.workflows.get(st.area.workflow, st.area.workflow_version)
    sel = wf.selection
    mine = set(st.viewer_roles)
    state = st.area.state
    outgoing = {t.trigger: t for t in wf.outgoing.get(state, ())}
    assess = bool(
        sel
        and not st.final
        and any(t in outgoing and mine & set(outgoing[t].roles) for t in sel.assess)
    )
    vote_def = wf.states[state].vote if state in wf.states else None
    seats = dict(vote_def.seats) if vote_def else {}
    voted = {v.person for v in st.votes}
    may_vote = bool(seats and mine & set(seats) and who.person not in voted)
    decisions: list[tuple[str, str]] = []
    if sel:
        for decision, trigger in dict(dict(sel.decisions).get(state, ())).items():
            t = outgoing.get(trigger)
            if t is not None and mine & set(t.roles):
                decisions.append((decision, t.title))
    order = list(wf.fields)
    fields = [
        (wf.fields[k].title if k in wf.fields else k, _yes_no(v))
        for k, v in sorted(st.fields.items(), key=lambda kv: _place(order, kv[0]))
    ]
    return {
        "id": c.id,
        "name": c.name,
        "round": c.round,
        "source": c.source,
        "state": state,
        "state_title": st.state_title,
        "final": st.final,
        "area": c.area,
        "fields": fields,
        "votes": st.votes,
        "seats": sum(seats.values()),
        "roles": st.roles,
        "may_assess": assess,
        "may_vote": may_vote,
        "decisions": decisions,
        "version": st.area.version,
    }


def _selection_page(
    request: Request,
    who: Caller,
    *,
    status_code: int = 200,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    form: str = "",
) -> HTMLResponse:
    eng = engine(request)
    round_ = request.query_params.get("round", "").strip()
    with who.acting():
        person = me(eng, who)
        found = eng.candidates(actor=who.person, round=round_ or None)
        rounds = sorted({c.round for c in eng.candidates(actor=who.person) if c.round})
        candidates = [_candidate_view(request, who, c) for c in found]
    return page(
        request,
        "selection.html",
        status_code=status_code,
        candidates=candidates,
        rounds=rounds,
        round=round_,
        may_nominate=person.admin,
        sources=SOURCES,
        typed=typed or {},
        errors=errors or {},
        form=form,
    )


@router.get("/selection", response_class=HTMLResponse)
def selection_page(request: Request, who: Who) -> HTMLResponse:
    """The candidates of the round, and what this person may do."""
    return _selection_page(request, who)


def _refused(
    request: Request, who: Caller, err: RegsamFlowError, f: dict[str, str], form: str, field: str
) -> HTMLResponse:
    status, named, message = failure(err, field)
    return _selection_page(
        request, who, status_code=status, typed=f, errors={named or field: message}, form=form
    )


def _phase(eng: Any, who: Caller, candidate: str) -> str:
    """The candidate's phase as people read it (after a step)."""
    return str(eng.status(candidate, actor=who.person).state_title)


def _back(candidate: str) -> str:
    return f"/selection#c-{candidate}"


@router.post("/selection/candidates", response_model=None)
async def nominate(request: Request, who: Who) -> Response:
    """Nominate a candidate quarter (admins; the engine checks)."""
    eng = engine(request)
    f = await form_of(request)
    new = Nomination(
        f.get("candidate", ""),
        name=f.get("name", ""),
        round=f.get("round", ""),
        source=f.get("source", ""),
        district=f.get("district", ""),
        area=f.get("area", ""),
        quarter=f.get("quarter", ""),
        scope=f.get("scope", ""),
        reasons=f.get("reasons", ""),
    )
    with who.acting():
        try:
            [c] = eng.nominate([new], actor=who.person, like=f.get("like") or None)
        except RegsamFlowError as err:
            return _refused(request, who, err, f, "nominate", "candidate")
        message = _(
            "Nominated {candidate} ({name}) for round {round}; if selected it becomes area {area}."
        ).format(candidate=c.id, name=c.name, round=c.round, area=c.area)
    return done(request, _back(c.id), message)


def _confirmed(f: dict[str, str]) -> None:
    if f.get("confirm") != "yes":
        raise InvalidInputError(_("Please confirm: this cannot be undone."), field="confirm")


@router.post("/selection/candidates/{candidate}/assessment", response_model=None)
async def assess(candidate: str, request: Request, who: Who) -> Response:
    """Record (part of) the assessment; complete, it concludes it."""
    eng = engine(request)
    f = await form_of(request)
    with who.acting():
        try:
            done_ = eng.assess(
                candidate,
                actor=who.person,
                fits=f.get("fits") or None,
                hours=f.get("hours") or None,
                duration=f.get("duration") or None,
                special_programme=f.get("special_programme") or None,
                reason=f.get("reason", ""),
            )
        except RegsamFlowError as err:
            return _refused(request, who, err, f, f"assess-{candidate}", "fits")
        if done_.result is not None:
            message = _("Assessment of {candidate} complete: now {state}.").format(
                candidate=candidate, state=_phase(eng, who, candidate)
            )
        else:
            message = _("Assessment of {candidate} saved; still missing: {missing}.").format(
                candidate=candidate, missing=", ".join(done_.missing)
            )
    return done(request, _back(candidate), message)


@router.post("/selection/candidates/{candidate}/votes", response_model=None)
async def vote(candidate: str, request: Request, who: Who) -> Response:
    """Cast this person's vote in the 4er-Gremium (confirmed first)."""
    eng = engine(request)
    f = await form_of(request)
    with who.acting():
        try:
            if f.get("vote") not in ("yes", "no"):
                raise InvalidInputError(_("Please choose yes or no."), field="vote")
            _confirmed(f)
            ballot = eng.cast_vote(
                candidate, f["vote"] == "yes", actor=who.person, reason=f.get("reason", "")
            )
        except RegsamFlowError as err:
            return _refused(request, who, err, f, f"vote-{candidate}", "vote")
        if ballot.result is not None:
            message = _("Vote recorded; the 4er-Gremium has decided: {state}.").format(
                state=_phase(eng, who, candidate)
            )
        else:
            message = _("Vote recorded ({cast} of {seats} seats have voted).").format(
                cast=ballot.cast, seats=ballot.seats
            )
    return done(request, _back(candidate), message)


@router.post("/selection/candidates/{candidate}/decision", response_model=None)
async def decide(candidate: str, request: Request, who: Who) -> Response:
    """The ARGE's or the head's decision: select, reject, or pass it on."""
    eng = engine(request)
    f = await form_of(request)
    with who.acting():
        try:
            if not f.get("decision"):
                raise InvalidInputError(_("Please choose a decision."), field="decision")
            _confirmed(f)
            eng.decide(candidate, f["decision"], actor=who.person, reason=f.get("reason", ""))
        except RegsamFlowError as err:
            return _refused(request, who, err, f, f"decide-{candidate}", "decision")
        message = _("Decision recorded: {candidate} is now {state}.").format(
            candidate=candidate, state=_phase(eng, who, candidate)
        )
    return done(request, _back(candidate), message)
