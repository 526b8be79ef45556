"""inbox (eingang): everything waiting for you across your areas."""

from __future__ import annotations

from regsam_flow.i18n import N_, _, ngettext

from .app import cli
from .common import json_option
from .context import Ctx, pass_ctx
from .output import Stream, date_de, echo, json_array, wrapped

__all__ = ["inbox"]

#: How each urgency reads (the JSON keeps the code).
URGENCY_LABELS = {
    "overdue": N_("overdue"),
    "due": N_("due"),
    "soon": N_("soon"),
    "open": N_("open"),
    "optional": N_("optional"),
}


@cli.command("inbox")
@json_option
@pass_ctx
def inbox(obj: Ctx) -> None:
    """Everything waiting for you across all your areas, most urgent first:
    tasks of your roles open in the current phase, the agreement to write or
    sign, approvals others gave that wait for yours, votes, assessments and
    decisions of a selection, review decisions due or overdue, a phase you
    may advance, and work orders addressed to you; each with the command
    that does it.  `eingang` is the same command.

    \b
    Example:
      regsam-flow --as mia inbox
    """
    items = obj.engine.inbox(actor=obj.user)
    if obj.json:  # written piece by piece, not as one text of every item
        with Stream(json=True) as out:
            for piece in json_array(i.to_dict() for i in items):
                out.write(piece)
        return
    if not items:
        echo(_("Nothing is waiting for you."))
        return
    n = len(items)
    label_w = max(len(_(label)) for label in URGENCY_LABELS.values())
    with Stream() as out:
        out.write(
            ngettext("{n} thing is waiting for you:", "{n} things are waiting for you:", n).format(
                n=n
            )
            + "\n"
        )
        for i in items:
            label = _(URGENCY_LABELS[i.urgency])
            due = date_de(i.due) if i.due else ""
            line = wrapped(f"{label:{label_w}}  {due:10}  {i.area}: {i.title}", 0, label_w + 14)
            out.write(f"\n{line}\n{'':{label_w}}  -> {i.command}\n")


cli.add_command(inbox, "eingang")
