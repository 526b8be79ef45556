"""The cooperation agreement (Kooperationsvereinbarung): read, change, sign, history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request

from ...views import agreement_json
from .common import Page, expected_version, page
from .params import Eng, Paging, Who
from .schemas import ERRORS, AgreementOut, AgreementPatch, SignatureIn

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/areas/{area}/agreement", tags=["agreement"], responses=ERRORS)


@router.get("", summary="The agreement", response_model=AgreementOut | None)
def get_agreement(
    area: str,
    who: Who,
    eng: Eng,
    version: int | None = Query(None, ge=1, description="An earlier version."),
) -> dict[str, Any] | None:
    """The newest version, or the one asked for; ``null`` when there is none yet."""
    with who.acting():
        return agreement_json(eng.agreement(area, actor=who.person, version=version))


@router.patch("", summary="Change fields of the agreement", response_model=AgreementOut)
def set_agreement(
    area: str,
    body: AgreementPatch,
    request: Request,
    who: Who,
    eng: Eng,
) -> dict[str, Any] | None:
    """Moderation or social planning.  Every change makes a new version and
    voids the signatures.  ``If-Match``: the area's version (its ETag)."""
    changes = {k: v for k, v in body.model_dump().items() if v is not None}
    with who.acting():
        ag = eng.set_agreement(
            area, actor=who.person, expected_version=expected_version(request), **changes
        )
    return agreement_json(ag)


@router.post(
    "/signatures",
    summary="Sign the agreement for your role",
    response_model=AgreementOut,
    status_code=201,
)
def sign_agreement(
    area: str,
    request: Request,
    who: Who,
    eng: Eng,
    body: SignatureIn | None = None,
) -> dict[str, Any] | None:
    """Sign the current version (moderation or social planning).
    ``If-Match``: the area's version (its ETag)."""
    role = body.role if body else None
    with who.acting():
        ag = eng.sign_agreement(
            area, actor=who.person, role=role, expected_version=expected_version(request)
        )
    return agreement_json(ag)


@router.get("/history", summary="Every version of the agreement", response_model=Page[AgreementOut])
def agreement_history(
    area: str,
    request: Request,
    params: Paging,
    who: Who,
    eng: Eng,
) -> Page[dict[str, Any] | None]:
    """Every version, oldest first."""
    with who.acting():
        versions = eng.agreement_history(area, actor=who.person)
    return page(request, [agreement_json(ag) for ag in versions], params)
