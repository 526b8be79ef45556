"""People: list, one, me, add (admins), decision mails."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from ...views import person_json
from .common import Page, page
from .params import Eng, Paging, Who
from .schemas import ERRORS, DecisionMailsIn, PersonIn, PersonOut

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/people", tags=["people"], responses=ERRORS)


@router.get("", summary="Everybody", response_model=Page[PersonOut])
def list_people(
    request: Request,
    params: Paging,
    who: Who,
    eng: Eng,
) -> Page[dict[str, Any]]:
    """Everybody (any known person may look up whom to assign)."""
    with who.acting():
        people = eng.list_people(actor=who.person)
    return page(request, [person_json(p) for p in people], params)


@router.get("/me", summary="The signed-in person", response_model=PersonOut)
def me(
    who: Who,
    eng: Eng,
) -> dict[str, Any]:
    """Who you are signed in as."""
    with who.acting():
        return person_json(eng.get_person(who.person, actor=who.person))


@router.get("/{person}", summary="One person", response_model=PersonOut)
def get_person(
    person: str,
    who: Who,
    eng: Eng,
) -> dict[str, Any]:
    """The person of that user name."""
    with who.acting():
        return person_json(eng.get_person(person, actor=who.person))


@router.post("", summary="Add a person (admins)", response_model=PersonOut, status_code=201)
def add_person(
    body: PersonIn,
    who: Who,
    eng: Eng,
) -> dict[str, Any]:
    """Add a person (admins only; audited)."""
    with who.acting():
        p = eng.add_person(
            body.id,
            actor=who.person,
            name=body.name,
            email=body.email,
            org=body.org,
            admin=body.admin,
            auditor=body.auditor,
        )
    return person_json(p)


@router.put(
    "/{person}/decision-mails",
    summary="Get the KG meetings' decisions by mail, or not",
    response_model=PersonOut,
)
def set_decision_mails(
    person: str,
    body: DecisionMailsIn,
    who: Who,
    eng: Eng,
) -> dict[str, Any]:
    """Whether the person gets the KG meetings' decisions by mail (the
    person themself or an admin; audited).  Work order reminders always go out."""
    with who.acting():
        return person_json(eng.set_decision_mails(person, body.decision_mails, actor=who.person))
