"""The Kooperationsgremium's meetings: recording them (with attendees,
decisions, minutes and attachments), reading them back."""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Sequence
from datetime import date
from pathlib import PurePosixPath, PureWindowsPath

from ..dates import BERLIN, to_date
from ..errors import BlockedError, Blocker, InvalidInputError, NotFoundError
from ..i18n import _, format_date
from ..kg import Attachment, AttachmentFile, Attendee, Meeting
from ..validation import check_text
from .access import area_for, counted_change, expect, member, pick_role
from .context import EngineContext, Tx
from .kg_mail import plan_decisions

__all__ = [
    "MAX_ATTACHMENT_BYTES",
    "MEETING_ROLES",
    "MeetingService",
    "held_meeting",
]

#: The largest file a meeting takes as an attachment (5 MB).
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
#: Who records the KG's meetings.
MEETING_ROLES = ("moderation", "social_planning")


class MeetingService:
    """Recording the KG's meetings and reading them."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx

    def record_meeting(
        self,
        area_id: str,
        *,
        actor: str,
        held_on: date | str,
        place: str,
        attendees: Sequence[str] = (),
        guests: Sequence[str] = (),
        decisions: Sequence[str] = (),
        minutes: str = "",
        attachments: Sequence[AttachmentFile] = (),
        planned: bool = False,
        expected_version: int | None = None,
    ) -> Meeting:
        """Record a meeting of the area's KG (moderation or social planning):
        its date, place, attendees (people holding a role in the area, by
        id, and named guests), decisions, minutes and attachments.  A date
        after today (Berlin) is accepted only for a ``planned`` meeting,
        which has no decisions and no minutes yet.  A recorded meeting
        with decisions plans a mail of them to the area's people (sent by
        the next send pass)."""
        held_on = to_date(held_on, "date")
        place = check_text(place, "place", max_len=200, required=True, multiline=False)
        guest_names = [
            check_text(g, "guest", max_len=200, required=True, multiline=False) for g in guests
        ]
        texts = [check_text(d, "decision", max_len=4000, required=True) for d in decisions]
        minutes = check_text(minutes, "minutes", max_len=200_000)
        files = [check_file(f) for f in attachments]
        if len(set(attendees)) != len(attendees) or len(set(guest_names)) != len(guest_names):
            raise InvalidInputError(_("an attendee is named twice"), field="attendee")
        with self.ctx.write() as tx:
            area, _wf, roles = member(
                self.ctx, tx.uow, area_id, actor, MEETING_ROLES, _("record a meeting")
            )
            expect(area, expected_version)
            today = tx.now.astimezone(BERLIN).date()
            if planned and (texts or minutes):
                raise InvalidInputError(
                    _(
                        "a planned meeting has no decisions and no minutes yet: record them "
                        "once it has taken place"
                    ),
                    field="decision" if texts else "minutes",
                )
            if held_on > today and not planned:
                raise InvalidInputError(
                    _(
                        "date: {date} lies in the future; a meeting ahead can "
                        "only be recorded as planned (--planned)"
                    ).format(date=format_date(held_on)),
                    field="date",
                )
            members = {p for _r, p in tx.uow.get_assignments(area_id)}
            for pid in attendees:
                if pid not in members:
                    raise InvalidInputError(
                        _(
                            "attendee '{person}' holds no role in area '{area}': name them "
                            "as a guest (--guest) or assign them a role first"
                        ).format(person=pid, area=area_id),
                        field="attendee",
                    )
            people = [Attendee(person=p) for p in attendees] + [
                Attendee(guest=g) for g in guest_names
            ]
            meeting_id = tx.uow.add_meeting(
                area_id, held_on, place, planned, people, texts, minutes, actor, tx.now
            )
            stored = [_store(tx, meeting_id, f) for f in files]
            if texts and not planned:  # its decisions go to the area's people
                plan_decisions(tx, area_id, meeting_id)
            counted_change(
                tx,
                area,
                "kg",
                actor=actor,
                role=pick_role(roles, MEETING_ROLES),
                action="meeting_planned" if planned else "meeting_recorded",
                details={
                    "meeting": meeting_id,
                    "held_on": held_on.isoformat(),
                    "place": place,
                    "attendees": len(people),
                    "decisions": len(texts),
                    "attachments": [_audited(a) for a in stored],
                },
            )
            return _find(tx.uow.list_meetings(area_id), meeting_id, area_id)

    def add_attachment(
        self,
        area_id: str,
        meeting_id: int,
        file: AttachmentFile,
        *,
        actor: str,
        expected_version: int | None = None,
    ) -> Attachment:
        """Attach a file to a meeting of the area (moderation or social planning)."""
        checked = check_file(file)
        with self.ctx.write() as tx:
            area, _wf, roles = member(
                self.ctx, tx.uow, area_id, actor, MEETING_ROLES, _("attach a file")
            )
            expect(area, expected_version)
            _find(tx.uow.list_meetings(area_id), meeting_id, area_id)
            stored = _store(tx, meeting_id, checked)
            counted_change(
                tx,
                area,
                "kg",
                actor=actor,
                role=pick_role(roles, MEETING_ROLES),
                action="attachment_added",
                details={"meeting": meeting_id, **_audited(stored)},
            )
            return stored

    def meetings(self, area_id: str, *, actor: str) -> list[Meeting]:
        """The area's meetings by date, numbered from 1."""
        with self.ctx.read() as uow:
            area_for(self.ctx, uow, area_id, actor)
            return uow.list_meetings(area_id)

    def meeting(self, area_id: str, meeting_id: int, *, actor: str) -> Meeting:
        """One meeting of the area."""
        with self.ctx.read() as uow:
            area_for(self.ctx, uow, area_id, actor)
            return _find(uow.list_meetings(area_id), meeting_id, area_id)

    def attachment_content(self, area_id: str, attachment_id: int, *, actor: str) -> bytes:
        """The stored bytes of an attachment of one of the area's meetings."""
        with self.ctx.read() as uow:
            area_for(self.ctx, uow, area_id, actor)
            ours = {a.id for m in uow.list_meetings(area_id) for a in m.attachments}
            content = uow.attachment_content(attachment_id) if attachment_id in ours else None
        if content is None:
            raise NotFoundError(
                _("no attachment {attachment} in area '{area}'").format(
                    attachment=attachment_id, area=area_id
                ),
                kind="attachment",
                key=str(attachment_id),
            )
        return content


def check_file(file: AttachmentFile) -> AttachmentFile:
    """The file with a clean name and media type; refused when it is empty
    or larger than :data:`MAX_ATTACHMENT_BYTES`."""
    name = PureWindowsPath(PurePosixPath(file.filename).name).name
    name = check_text(name, "attachment", max_len=255, required=True, multiline=False)
    if name in (".", ".."):
        raise InvalidInputError(
            _("attachment: {name} is no file name").format(name=repr(name)), field="attachment"
        )
    if not file.content:
        raise InvalidInputError(
            _("attachment '{name}' is empty").format(name=name), field="attachment"
        )
    if len(file.content) > MAX_ATTACHMENT_BYTES:
        raise InvalidInputError(
            _(
                "attachment '{name}' is larger than {mb} MB ({bytes} bytes); nothing was written"
            ).format(
                name=name,
                mb=MAX_ATTACHMENT_BYTES // (1024 * 1024),
                bytes=MAX_ATTACHMENT_BYTES,
            ),
            field="attachment",
        )
    media = file.media_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
    media = check_text(media, "media_type", max_len=255, required=True, multiline=False)
    return AttachmentFile(name, file.content, media)


def _store(tx: Tx, meeting_id: int, f: AttachmentFile) -> Attachment:
    digest = hashlib.sha256(f.content).hexdigest()
    return tx.uow.add_attachment(meeting_id, f.filename, f.media_type, f.content, digest)


def _audited(a: Attachment) -> dict[str, object]:
    return {"attachment": a.id, "filename": a.filename, "size": a.size, "sha256": a.sha256}


def held_meeting(meetings: Sequence[Meeting], meeting_id: int, area_id: str, what: str) -> Meeting:
    """The area's meeting ``meeting_id`` if it took place; refused when it
    is unknown or only planned (blocker ``meeting_planned``: ``what``
    happens at a meeting that took place)."""
    found = _find(meetings, meeting_id, area_id)
    if found.planned:
        raise BlockedError(
            _("meeting {meeting} is only planned: {what} at a meeting that took place").format(
                meeting=meeting_id, what=what
            ),
            [
                Blocker(
                    "meeting_planned",
                    _("meeting {meeting} has not taken place").format(meeting=meeting_id),
                )
            ],
            area=area_id,
        )
    return found


def _find(meetings: Sequence[Meeting], meeting_id: int, area_id: str) -> Meeting:
    for m in meetings:
        if m.id == meeting_id:
            return m
    raise NotFoundError(
        _(
            "no meeting {meeting} in area '{area}' (see `regsam-flow kg meeting list {area}`)"
        ).format(meeting=meeting_id, area=area_id),
        kind="meeting",
        key=str(meeting_id),
    )
