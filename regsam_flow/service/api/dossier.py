"""The final documentation (Abschlussdokumentation): read it rendered,
record it as final, check whether a file is the recorded one."""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from ...kg_views import document_check_json, final_document_json
from .common import expected_version
from .files import download_headers, read_body, safe_filename
from .kg_schemas import DocumentCheckOut, FinalRecordOut, FinalStatusOut
from .params import Eng, Who
from .schemas import ERRORS

__all__ = ["MAX_CHECK_BYTES", "router"]

router = APIRouter(
    prefix="/api/v1/areas/{area}/dossier", tags=["Final documentation"], responses=ERRORS
)

#: The largest file ``dossier/check`` reads (a rendered dossier is far smaller).
MAX_CHECK_BYTES = 20 * 1024 * 1024
MEDIA = {"html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8"}
Format = Literal["html", "md"]
FORMAT_QUERY = Query("html", description="HTML (to read and print) or Markdown.")


@router.get(
    "",
    summary="Read the final documentation, rendered",
    response_class=Response,
    responses={
        200: {
            "description": "The document (the same data gives the same bytes).",
            "content": {"text/html": {}, "text/markdown": {}},
        }
    },
)
def get_dossier(
    area: str,
    who: Who,
    eng: Eng,
    format: Format = FORMAT_QUERY,
) -> Response:
    """The area's final documentation as it stands (agreement, phases, the
    KG's records, review decisions), in German; anyone who may read the
    area may read it.  Saved as ``abschlussdokumentation-AREA.html`` (or ``.md``)."""
    from ...documents import render_dossier

    with who.acting():
        data = eng.dossier(area, actor=who.person)
    content = render_dossier(data, format).encode("utf-8")
    return Response(
        content,
        media_type=MEDIA[format],
        headers=download_headers(safe_filename(f"abschlussdokumentation-{area}.{format}")),
    )


@router.post(
    "/final",
    status_code=201,
    response_model=FinalRecordOut,
    summary="Record the final documentation",
)
def record_final(
    area: str,
    request: Request,
    who: Who,
    eng: Eng,
    format: Format = FORMAT_QUERY,
) -> dict[str, Any]:
    """Render the final documentation and record it (its SHA-256 in the
    audit log) in one step: moderation, in the phase auswertung.  The
    answer carries the document recorded (``content``)."""
    with who.acting():
        rendered = eng.record_final_document(
            area, format=format, actor=who.person, expected_version=expected_version(request)
        )
    data = rendered.content
    return {
        "area": area,
        "format": format,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "recorded": True,
        "final_document": final_document_json(rendered.document),
        "content": data.decode("utf-8"),
    }


@router.get("/final", response_model=FinalStatusOut, summary="The recorded final documentation")
def get_final(area: str, who: Who, eng: Eng) -> dict[str, Any]:
    """What is recorded as the final documentation (format, size, SHA-256,
    who, when, whether the data changed since), or ``null``."""
    with who.acting():
        state = eng.kg_state(area, actor=who.person)
    return {"area": area, "recorded": final_document_json(state.final_document)}


@router.post(
    "/check",
    response_model=DocumentCheckOut,
    summary="Check a file against the recorded final documentation",
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The file's bytes.",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def check_final(
    area: str,
    request: Request,
    who: Who,
    eng: Eng,
    filename: str = Query("", description="The file's name, repeated in the answer."),
) -> dict[str, Any]:
    """Whether the request body is exactly the recorded final documentation
    (``matches``); anyone who may read the area may check."""
    content = await read_body(request, MAX_CHECK_BYTES)

    def check() -> dict[str, Any]:
        with who.acting():
            result = eng.check_final_document(area, content, actor=who.person)
        return document_check_json(area, filename, result)

    return await run_in_threadpool(check)
