"""Reminder mail: the :class:`~regsam_flow.ports.Notifier` adapter.

* :class:`MailNotifier` / :func:`notifier_from_env` – the port's implementation;
* :class:`ReminderRenderer` / :func:`render_reminder` – notice to email (Jinja2
  templates in German and English, HTML alternative, ``.ics`` attachment);
* :class:`SmtpTransport`, :class:`MaildirTransport`, :func:`transport_from_url`
  – delivery; :func:`redact` hides the password of an SMTP URL;
* :func:`read_maildir` – the messages a Maildir holds.
"""

from __future__ import annotations

from .context import format_date, template_context
from .ics import review_event
from .maildir import read_maildir
from .notifier import MailNotifier, notifier_from_env
from .render import DEFAULT_SENDER, ReminderRenderer, render_reminder
from .smtp_url import SmtpSettings, parse_smtp_url, redact
from .transport import (
    MailDeliveryError,
    MaildirTransport,
    SmtpTransport,
    Transport,
    transport_from_url,
)

__all__ = [
    "DEFAULT_SENDER",
    "MailDeliveryError",
    "MailNotifier",
    "MaildirTransport",
    "ReminderRenderer",
    "SmtpSettings",
    "SmtpTransport",
    "Transport",
    "format_date",
    "notifier_from_env",
    "parse_smtp_url",
    "read_maildir",
    "redact",
    "render_reminder",
    "review_event",
    "template_context",
    "transport_from_url",
]
