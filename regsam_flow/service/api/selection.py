"""The selection of focus areas and the data and votes of any area's
workflow: an area's fields and votes, and the candidates of a selection
round (nominate, assess, vote in the 4er-Gremium, decide, list)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from ...kg_views import assessment_json, ballot_json, candidate_json, decision_json
from ...model import Nomination
from ..deps import Caller
from .common import Page, expected_version, page
from .kg_schemas import (
    AssessmentIn,
    AssessmentOut,
    BallotOut,
    CandidateOut,
    DecisionIn,
    DecisionOut,
    FieldsIn,
    FieldsOut,
    NominationIn,
    NominationOut,
    VoteIn,
    VoteOut,
)
from .params import Eng, Paging, Who
from .schemas import ERRORS

__all__ = ["areas", "router"]

#: An area's fields and votes (any workflow that has them).
areas = APIRouter(prefix="/api/v1/areas/{area}", tags=["Fields and votes"], responses=ERRORS)
#: The candidates of the selection.
router = APIRouter(prefix="/api/v1/selection", tags=["Selection"], responses=ERRORS)

CandidateId = Annotated[str, Path(description="The candidate's id.")]


# ------------------------------------------------------------ fields, votes
@areas.get("/fields", response_model=FieldsOut, summary="Read an area's fields")
def get_fields(area: str, who: Who, eng: Eng) -> dict[str, Any]:
    """The fields of the area's workflow instance that are set."""
    with who.acting():
        values = eng.fields(area, actor=who.person)
    return {"area": area, "fields": values}


@areas.patch("/fields", response_model=FieldsOut, summary="Set fields of an area")
def set_fields(
    area: str,
    body: FieldsIn,
    request: Request,
    who: Who,
    eng: Eng,
) -> dict[str, Any]:
    """Set fields (each by a role the field names); answers all fields set."""
    with who.acting():
        values = eng.set_fields(
            area, body.values, actor=who.person, expected_version=expected_version(request)
        )
    return {"area": area, "fields": values}


@areas.get("/votes", response_model=Page[VoteOut], summary="List the votes of the current round")
def list_votes(
    area: str,
    request: Request,
    params: Paging,
    who: Who,
    eng: Eng,
) -> Page[dict[str, Any]]:
    """The votes cast in the area's current round."""
    with who.acting():
        rows = eng.votes(area, actor=who.person)
    return page(request, [v.to_dict() for v in rows], params)


@areas.post("/votes", status_code=201, response_model=BallotOut, summary="Cast a vote")
def cast_area_vote(area: str, body: VoteIn, who: Who, eng: Eng) -> dict[str, Any]:
    """Cast your vote in the area's current phase; when the last seat has
    voted, the outcome transition fires (``outcome``: the phase reached)."""
    return _cast(eng, who, area, body)


def _cast(eng: Eng, who: Caller, area: str, body: VoteIn) -> dict[str, Any]:
    with who.acting():
        ballot = eng.cast_vote(
            area, body.vote == "yes", actor=who.person, reason=body.reason, role=body.role
        )
    return {**ballot_json(area, ballot), "cast": ballot.cast, "seats": ballot.seats}


# --------------------------------------------------------------- candidates
@router.post(
    "/candidates",
    status_code=201,
    response_model=NominationOut,
    summary="Nominate a candidate",
)
def nominate(body: NominationIn, who: Who, eng: Eng) -> dict[str, Any]:
    """Nominate a candidate quarter (admins); you become its nominator.
    The answer names the fields it was nominated with."""
    new = Nomination(
        body.candidate,
        name=body.name,
        round=body.round,
        source=body.source,
        district=body.district,
        area=body.area,
        quarter=body.quarter,
        scope=body.scope,
        reasons=body.reasons,
    )
    with who.acting():
        eng.nominate([new], actor=who.person, like=body.like)
        fields = eng.nomination_fields(new)
    return {"candidate": body.candidate, **fields}


@router.get("/candidates", response_model=Page[CandidateOut], summary="List the candidates")
def list_candidates(
    request: Request,
    params: Paging,
    who: Who,
    eng: Eng,
    round: str | None = Query(None, description="Only candidates of this round."),
) -> Page[dict[str, Any]]:
    """The candidates you may see, with their phase."""
    with who.acting():
        rows = eng.candidates(actor=who.person, round=round)
    return page(request, [candidate_json(c) for c in rows], params)


@router.post(
    "/candidates/{candidate}/assessment",
    response_model=AssessmentOut,
    summary="Assess a candidate",
)
def assess(
    candidate: CandidateId,
    body: AssessmentIn,
    who: Who,
    eng: Eng,
) -> dict[str, Any]:
    """Record the assessment (REGSAM or social-planning members); once it
    is complete the candidate goes to the vote, or is excluded when a
    special programme runs there (that needs a ``reason``)."""
    with who.acting():
        done = eng.assess(
            candidate,
            actor=who.person,
            fits=body.fits,
            hours=body.hours,
            duration=body.duration,
            special_programme=body.special_programme,
            reason=body.reason,
        )
    return assessment_json(done)


@router.post(
    "/candidates/{candidate}/votes",
    status_code=201,
    response_model=BallotOut,
    summary="Vote in the 4er-Gremium",
)
def vote(
    candidate: CandidateId,
    body: VoteIn,
    who: Who,
    eng: Eng,
) -> dict[str, Any]:
    """Vote on a candidate (2 REGSAM, 2 social-planning members): four yes
    select it, four no reject it, anything else goes to the ARGE."""
    return _cast(eng, who, candidate, body)


@router.post(
    "/candidates/{candidate}/decision",
    response_model=DecisionOut,
    summary="Decide on a candidate",
)
def decide(
    candidate: CandidateId,
    body: DecisionIn,
    who: Who,
    eng: Eng,
) -> dict[str, Any]:
    """The ARGE Freie/Öffentliche (on dissent), or finally the head of the
    social department, decides: select, reject or (the ARGE) dissent."""
    with who.acting():
        result = eng.decide(candidate, body.decision, actor=who.person, reason=body.reason)
    return decision_json(candidate, body.decision, result)
