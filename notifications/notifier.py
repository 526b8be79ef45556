"""The mail adapter of the :class:`~regsam_flow.ports.Notifier` port.

:class:`MailNotifier` renders a :class:`~regsam_flow.ports.ReminderNotice`
(:mod:`~regsam_flow.notifications.render`) and hands it to a
:class:`~regsam_flow.notifications.transport.Transport`; any failure raises,
so the engine retries.  :func:`notifier_from_env` builds one from the
environment:

``REGSAM_FLOW_SMTP_URL``
    the SMTP server (see :mod:`~regsam_flow.notifications.smtp_url`); unset or
    empty: a Maildir at ``<data_dir>/maildir``;
``REGSAM_FLOW_MAIL_FROM``
    the sender, e.g. ``REGSAM <regsam-flow@example.org>``
    (default ``regsam-flow <regsam-flow@localhost>``);
``REGSAM_FLOW_TEMPLATES``
    a folder whose templates replace the shipped ones of the same name.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from email.message import EmailMessage
from pathlib import Path

from regsam_flow.ports import (
    Clock,
    KgNotice,
    Notifier,
    ReminderNotice,
    SignInNotice,
    SystemClock,
)

from .render import DEFAULT_SENDER, ReminderRenderer, parse_address
from .transport import Transport, transport_from_url

__all__ = ["ENV_FROM", "ENV_SMTP_URL", "ENV_TEMPLATES", "MailNotifier", "notifier_from_env"]

ENV_SMTP_URL = "REGSAM_FLOW_SMTP_URL"
ENV_FROM = "REGSAM_FLOW_MAIL_FROM"
ENV_TEMPLATES = "REGSAM_FLOW_TEMPLATES"


class MailNotifier(Notifier):
    """Sends each reminder, each mail of the KG and each sign-in link as one
    email through ``transport``.

    ``sender`` is the From address; ``template_dir`` a folder of templates
    searched before the shipped ones; ``clock`` dates the message (the
    system clock by default); ``cache_dir`` keeps the compiled templates
    (see :class:`~.render.ReminderRenderer`).  A bad sender or template raises
    :class:`~regsam_flow.errors.InvalidInputError` here, not at sending time.
    """

    def __init__(
        self,
        transport: Transport,
        sender: str = DEFAULT_SENDER,
        template_dir: Path | str | None = None,
        clock: Clock | None = None,
        cache_dir: Path | str | None = None,
    ) -> None:
        self.transport = transport
        self.sender = parse_address(sender, ENV_FROM)
        self.renderer = ReminderRenderer(template_dir, cache_dir)
        self.clock: Clock = clock or SystemClock()

    def __repr__(self) -> str:
        return f"MailNotifier({self.transport!r}, sender={str(self.sender)!r})"

    def target(self) -> str:
        """Where the mail goes: the transport's target (no secrets)."""
        return self.transport.target()

    def render(self, notice: ReminderNotice) -> EmailMessage:
        """The message :meth:`notify` would send now (for previews)."""
        return self.renderer.render(notice, now=self.clock.now(), sender=self.sender)

    def notify(self, notice: ReminderNotice) -> None:
        """Render and deliver ``notice``; raises on any failure."""
        self.transport.send(self.render(notice))

    def render_kg(self, notice: KgNotice) -> EmailMessage:
        """The message :meth:`notify_kg` would send now."""
        return self.renderer.render_kg(notice, now=self.clock.now(), sender=self.sender)

    def notify_kg(self, notice: KgNotice) -> None:
        """Render and deliver a mail of the KG; raises on any failure."""
        self.transport.send(self.render_kg(notice))

    def render_sign_in(self, notice: SignInNotice) -> EmailMessage:
        """The message :meth:`notify_sign_in` would send now."""
        return self.renderer.render_sign_in(notice, now=self.clock.now(), sender=self.sender)

    def notify_sign_in(self, notice: SignInNotice) -> None:
        """Render and deliver a sign-in link; raises on any failure."""
        self.transport.send(self.render_sign_in(notice))


def notifier_from_env(
    data_dir: Path | str,
    env: Mapping[str, str] = os.environ,
    *,
    clock: Clock | None = None,
) -> MailNotifier:
    """A :class:`MailNotifier` configured by ``REGSAM_FLOW_SMTP_URL``,
    ``REGSAM_FLOW_MAIL_FROM`` and ``REGSAM_FLOW_TEMPLATES`` (see module docs)."""
    transport = transport_from_url(env.get(ENV_SMTP_URL), Path(data_dir) / "maildir")
    sender = (env.get(ENV_FROM) or "").strip() or DEFAULT_SENDER
    templates = (env.get(ENV_TEMPLATES) or "").strip() or None
    return MailNotifier(
        transport,
        sender=sender,
        template_dir=templates,
        clock=clock,
        cache_dir=Path(data_dir) / "cache" / "templates",
    )
