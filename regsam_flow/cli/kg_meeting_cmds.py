"""kg meeting: the KG's meetings (record, list, show) and their attachments."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from regsam_flow.i18n import _
from regsam_flow.kg_views import meeting_json

from .common import date_arg, json_option
from .context import Ctx, pass_ctx
from .kg_cmds import meeting
from .output import date_de, echo, echo_json, kv, table, time_de

if TYPE_CHECKING:
    from regsam_flow.kg import Meeting

__all__ = ["meeting_json"]


def _read_attachment(path: Path) -> Any:
    from regsam_flow.engine.meetings import MAX_ATTACHMENT_BYTES
    from regsam_flow.kg import AttachmentFile

    with path.open("rb") as f:  # read no more than the engine could take, plus one byte
        return AttachmentFile(path.name, f.read(MAX_ATTACHMENT_BYTES + 1))


def _print_meeting(m: Meeting) -> None:
    number = (_("{id} (no. {number}, planned)") if m.planned else _("{id} (no. {number})")).format(
        id=m.id, number=m.number
    )
    kv(
        [
            (_("meeting"), number),
            (_("date"), date_de(m.held_on)),
            (_("place"), m.place),
            (
                _("attendees"),
                ", ".join(a.person or _("{name} (guest)").format(name=a.guest) for a in m.attendees)
                or "-",
            ),
            (_("recorded"), f"{m.recorded_by}, {time_de(m.recorded_at)}"),
        ]
    )
    if m.decisions:
        echo(_("decisions:"))
        for i, d in enumerate(m.decisions, start=1):
            echo(f"  {i}. {d}")
    if m.minutes:
        echo(_("minutes:"))
        for line in m.minutes.splitlines():
            echo(f"  {line}")
    for a in m.attachments:
        echo(
            _("attachment {id}: {filename} ({media_type}, {size} bytes, sha256 {sha256})").format(
                id=a.id,
                filename=a.filename,
                media_type=a.media_type,
                size=a.size,
                sha256=a.sha256,
            )
        )


@meeting.command("add")
@click.argument("area_id", metavar="AREA")
@click.option("--date", "held_on", required=True, metavar="DATE", help="When it met (or meets).")
@click.option("--place", required=True, help="Where.")
@click.option("--attendee", multiple=True, metavar="ID", help="A person of the area (repeat).")
@click.option("--guest", multiple=True, metavar="NAME", help="A named guest (repeat).")
@click.option("--decision", multiple=True, metavar="TEXT", help="A decision taken (repeat).")
@click.option("--minutes", default=None, metavar="TEXT", help="The minutes as text.")
@click.option(
    "--minutes-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The minutes from a UTF-8 text file.",
)
@click.option(
    "--attach",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file to store with the minutes, at most 5 MB (repeat).",
)
@click.option("--planned", is_flag=True, help="A meeting ahead: no decisions, no minutes yet.")
@json_option
@pass_ctx
def meeting_add(
    obj: Ctx,
    area_id: str,
    held_on: str,
    place: str,
    attendee: tuple[str, ...],
    guest: tuple[str, ...],
    decision: tuple[str, ...],
    minutes: str | None,
    minutes_file: Path | None,
    attach: tuple[Path, ...],
    planned: bool,
) -> None:
    """Record a KG meeting (moderation or social planning).

    Attendees are people holding a role in the area (by id) and named
    guests.  A date in the future is accepted only with --planned.

    \b
    Example:
      regsam-flow --as mia kg meeting add hasenbergl-nord --date 12.03.2027 \\
          --place "Kulturzentrum 2411" --attendee mia --attendee tom \\
          --guest "Frau Öz (GEWOFAG)" --decision "KG tagt monatlich" \\
          --minutes-file protokoll.txt --attach protokoll.pdf
    """
    if minutes is not None and minutes_file is not None:
        raise click.UsageError(_("give --minutes or --minutes-file, not both"))
    if minutes_file is not None:
        try:
            minutes = minutes_file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise click.BadParameter(_("is not UTF-8 text"), param_hint="--minutes-file") from None
    m = obj.engine.record_meeting(
        area_id,
        actor=obj.user,
        held_on=date_arg(held_on, "date"),
        place=place,
        attendees=attendee,
        guests=guest,
        decisions=decision,
        minutes=minutes or "",
        attachments=[_read_attachment(p) for p in attach],
        planned=planned,
    )
    if obj.json:
        echo_json(meeting_json(m))
    else:
        text = (
            _("Meeting {id} of {area} on {date} planned.")
            if m.planned
            else _("Meeting {id} of {area} on {date} recorded.")
        )
        echo(text.format(id=m.id, area=area_id, date=date_de(m.held_on)))
        for a in m.attachments:
            echo(
                "  "
                + _("attachment {id}: {filename}, {size} bytes, sha256 {sha256}").format(
                    id=a.id, filename=a.filename, size=a.size, sha256=a.sha256
                )
            )


@meeting.command("list")
@click.argument("area_id", metavar="AREA")
@json_option
@pass_ctx
def meeting_list(obj: Ctx, area_id: str) -> None:
    """List the area's KG meetings by date.

    \b
    Example:
      regsam-flow kg meeting list hasenbergl-nord
    """
    rows = obj.engine.meetings(area_id, actor=obj.user)
    if obj.json:
        echo_json([meeting_json(m) for m in rows])
        return
    table(
        [_("id"), _("no."), _("date"), _("place"), _("planned"), _("decisions"), _("files")],
        [
            [
                str(m.id),
                str(m.number),
                date_de(m.held_on),
                m.place,
                _("yes") if m.planned else "",
                str(len(m.decisions)),
                str(len(m.attachments)),
            ]
            for m in rows
        ],
        keep=(0, 2),
    )


@meeting.command("show")
@click.argument("area_id", metavar="AREA")
@click.argument("meeting_id", metavar="ID", type=int)
@click.option(
    "--save-attachment",
    "save_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the meeting's attachments into this directory (made if missing).",
)
@json_option
@pass_ctx
def meeting_show(obj: Ctx, area_id: str, meeting_id: int, save_dir: Path | None) -> None:
    """Show a meeting: attendees, decisions, minutes, attachments.

    \b
    Example:
      regsam-flow kg meeting show hasenbergl-nord 1 --save-attachment ./kg-1
    """
    m = obj.engine.meeting(area_id, meeting_id, actor=obj.user)
    saved: list[str] = []
    if save_dir is not None:
        save_dir.mkdir(parents=True, exist_ok=True)
        for a in m.attachments:
            content = obj.engine.attachment_content(area_id, a.id, actor=obj.user)
            target = save_dir / a.filename
            try:
                with target.open("xb") as f:
                    f.write(content)
            except FileExistsError:
                raise click.ClickException(
                    _("{path} exists already; nothing overwritten").format(path=target)
                ) from None
            saved.append(str(target))
    if obj.json:
        echo_json({**meeting_json(m), "saved": saved})
        return
    _print_meeting(m)
    for path in saved:
        echo(_("saved: {path}").format(path=path))
