"""Reading back the messages a :class:`~regsam_flow.notifications.transport.MaildirTransport`
stored: for tests, the demo and a CLI that shows what was sent."""

from __future__ import annotations

import mailbox
from datetime import datetime, timezone
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from pathlib import Path

__all__ = ["read_maildir"]

_EARLIEST = datetime.min.replace(tzinfo=timezone.utc)


def _sent_at(msg: EmailMessage) -> datetime:
    try:
        header = msg["Date"]
        moment = getattr(header, "datetime", None) if header is not None else None
    except (TypeError, ValueError):  # pragma: no cover - malformed Date header
        moment = None
    if not isinstance(moment, datetime):
        return _EARLIEST
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def read_maildir(path: Path | str) -> list[EmailMessage]:
    """Every message in the Maildir at ``path`` (``new`` and ``cur``), parsed
    with :data:`email.policy.default`, sorted by Date, then Message-ID.  A
    folder that does not exist holds no messages."""
    folder = Path(path).expanduser()
    if not (folder / "new").is_dir() and not (folder / "cur").is_dir():
        return []
    box = mailbox.Maildir(folder, factory=None, create=False)
    parser = BytesParser(_class=EmailMessage, policy=default)
    messages = [parser.parsebytes(box.get_bytes(key)) for key in box.iterkeys()]
    return sorted(messages, key=lambda m: (_sent_at(m), str(m.get("Message-ID", ""))))
