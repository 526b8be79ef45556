"""The KG's meetings: record one (attendees, decisions, minutes), list
them, read one, attach a file to one and download it again."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from ...engine.meetings import MAX_ATTACHMENT_BYTES
from ...errors import NotFoundError
from ...i18n import _
from ...kg import AttachmentFile
from ...kg_views import attachment_json, meeting_json
from .common import Page, expected_version, page
from .files import download_headers, read_body
from .kg_schemas import AttachmentOut, MeetingIn, MeetingOut
from .params import Eng, Paging, Who
from .schemas import ERRORS

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/areas/{area}/meetings", tags=["KG meetings"], responses=ERRORS)

MeetingId = Annotated[int, Path(description="The meeting's id.")]
AttachmentId = Annotated[int, Path(description="The attachment's id.")]


@router.post("", status_code=201, response_model=MeetingOut, summary="Record a meeting of the KG")
def record_meeting(
    area: str,
    body: MeetingIn,
    request: Request,
    who: Who,
    eng: Eng,
) -> dict[str, Any]:
    """Record a meeting (moderation or social planning): date, place,
    attendees (people of the area), guests, decisions, minutes; a future
    date only as ``planned``.  Its decisions go to the area's people by mail."""
    with who.acting():
        m = eng.record_meeting(
            area,
            actor=who.person,
            held_on=body.date,
            place=body.place,
            attendees=body.attendees,
            guests=body.guests,
            decisions=body.decisions,
            minutes=body.minutes,
            planned=body.planned,
            expected_version=expected_version(request),
        )
    return meeting_json(m)


@router.get("", response_model=Page[MeetingOut], summary="List the KG's meetings")
def list_meetings(
    area: str,
    request: Request,
    params: Paging,
    who: Who,
    eng: Eng,
) -> Page[dict[str, Any]]:
    """The area's meetings by date, numbered from 1."""
    with who.acting():
        rows = eng.meetings(area, actor=who.person)
    return page(request, [meeting_json(m) for m in rows], params)


@router.get("/{meeting}", response_model=MeetingOut, summary="Read one meeting")
def get_meeting(
    area: str,
    meeting: MeetingId,
    who: Who,
    eng: Eng,
) -> dict[str, Any]:
    """One meeting of the area, with its attendees, decisions, minutes and attachments."""
    with who.acting():
        m = eng.meeting(area, meeting, actor=who.person)
    return meeting_json(m)


@router.post(
    "/{meeting}/attachments",
    status_code=201,
    response_model=AttachmentOut,
    summary="Attach a file to a meeting",
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The file's bytes (at most 5 MB); its media type as Content-Type.",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def add_attachment(
    area: str,
    request: Request,
    meeting: MeetingId,
    who: Who,
    eng: Eng,
    filename: str = Query(description="The file's name, e.g. protokoll.pdf."),
) -> dict[str, Any]:
    """Attach the request body as a file to a meeting (moderation or social
    planning).  A body larger than 5 MB is refused (413) before it is read
    to the end; nothing is written."""
    with who.acting():
        expected = expected_version(request)
    content = await read_body(request, MAX_ATTACHMENT_BYTES)
    media = request.headers.get("content-type", "").split(";", 1)[0].strip()
    if media == "application/octet-stream":
        media = ""  # the engine guesses it from the name

    def attach() -> dict[str, Any]:
        with who.acting():
            a = eng.add_attachment(
                area,
                meeting,
                AttachmentFile(filename, content, media),
                actor=who.person,
                expected_version=expected,
            )
        return attachment_json(a)

    return await run_in_threadpool(attach)


@router.get(
    "/{meeting}/attachments/{attachment}",
    summary="Download an attachment",
    response_class=Response,
    responses={
        200: {
            "description": "The file, byte for byte, with its media type.",
            "content": {"application/octet-stream": {}},
        }
    },
)
def get_attachment(
    area: str,
    meeting: MeetingId,
    attachment: AttachmentId,
    who: Who,
    eng: Eng,
) -> Response:
    """The attached file as it was uploaded (its media type, saved under its name)."""
    with who.acting():
        m = eng.meeting(area, meeting, actor=who.person)
        found = [a for a in m.attachments if a.id == attachment]
        if not found:
            raise NotFoundError(
                _("no attachment {attachment} in area '{area}'").format(
                    attachment=attachment, area=area
                ),
                kind="attachment",
                key=str(attachment),
            )
        content = eng.attachment_content(area, attachment, actor=who.person)
    return Response(
        content, media_type=found[0].media_type, headers=download_headers(found[0].filename)
    )
