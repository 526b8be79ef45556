"""How a person reads a reminder's or mail's status (the code stays in JSON
and in ``--status``): one table for the CLI and the demo."""

from __future__ import annotations

from .i18n import N_, _

__all__ = ["STATUSES", "STATUS_LABELS", "status_label"]

#: Every status a reminder or a KG mail can have, in the order of its life.
STATUSES = ["pending", "sent", "failed", "cancelled", "superseded"]
#: Each status in words (marked for translation, translated when read).
STATUS_LABELS = {
    "pending": N_("pending"),
    "sent": N_("sent"),
    "failed": N_("failed"),
    "cancelled": N_("cancelled"),
    "superseded": N_("superseded"),
}


def status_label(status: str) -> str:
    """A reminder's or mail's status in the reader's language."""
    return _(STATUS_LABELS[status]) if status in STATUS_LABELS else status
