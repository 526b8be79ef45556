"""Delivering an :class:`~email.message.EmailMessage`: by SMTP or into a Maildir.

* :class:`SmtpTransport` talks to a mail server named by an SMTP URL (syntax in
  :mod:`regsam_flow.notifications.smtp_url`).
* :class:`MaildirTransport` drops each message as one file into a Maildir
  folder: the embedded default, so reminders work without any server
  (read them back with :func:`~regsam_flow.notifications.maildir.read_maildir`).
* :func:`transport_from_url` picks one of them.

A failed delivery raises :class:`MailDeliveryError` (the original exception is
its ``__cause__``); its message shows the server URL only redacted, and not
the password even where the server's reply quotes it.
"""

from __future__ import annotations

import logging
import mailbox
import smtplib
import ssl
from abc import ABC, abstractmethod
from email.message import EmailMessage
from pathlib import Path

from regsam_flow.errors import RegsamFlowError
from regsam_flow.ports import DeliveryError

from .smtp_url import SmtpSettings, is_loopback, parse_smtp_url

__all__ = [
    "MailDeliveryError",
    "MaildirTransport",
    "SmtpTransport",
    "Transport",
    "transport_from_url",
]

log = logging.getLogger(__name__)


class MailDeliveryError(RegsamFlowError, DeliveryError):
    """A message could not be delivered (the port's
    :class:`~regsam_flow.ports.DeliveryError`).

    ``transport`` names where it should have gone (password redacted);
    ``permanent`` is True when retrying the same message to the same server
    will not help (a 5xx reply such as a rejected login or recipient, or a
    server that cannot be used securely), False for network trouble and
    temporary (4xx) replies.
    """

    code = "mail_delivery"
    exit_code = 1

    def __init__(self, message: str, *, transport: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.transport = transport
        self.permanent = permanent


class Transport(ABC):
    """Delivers one finished message; raises :class:`MailDeliveryError` on failure."""

    @abstractmethod
    def send(self, message: EmailMessage) -> None: ...

    def target(self) -> str:
        """Where the mail goes, without secrets (for people and logs)."""
        return type(self).__name__


class SmtpTransport(Transport):
    """Delivery through an SMTP server.

    ``url`` as described in :mod:`~regsam_flow.notifications.smtp_url`.
    ``ssl_context`` replaces the default (system CAs, host name checked),
    e.g. to trust a test CA; ``timeout`` overrides the URL's (seconds).
    One connection per message.  ``str()`` and ``repr()`` show the URL with
    the password redacted.
    """

    def __init__(
        self,
        url: str,
        *,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float | None = None,
    ) -> None:
        self.settings: SmtpSettings = parse_smtp_url(url)
        self._ssl_context = ssl_context
        self._timeout = self.settings.timeout if timeout is None else timeout

    def __repr__(self) -> str:
        return f"SmtpTransport({self.settings.url!r})"

    def __str__(self) -> str:
        return self.settings.url

    def target(self) -> str:
        """``SMTP host:port``: no user name, no password."""
        host = self.settings.host
        host = f"[{host}]" if ":" in host else host
        return f"SMTP {host}:{self.settings.port}"

    def _context(self) -> ssl.SSLContext:
        return self._ssl_context or ssl.create_default_context()

    def _scrub(self, text: str) -> str:
        """``text`` without the password: a server may quote what it was sent
        (as given, percent-encoded, or base64 as AUTH PLAIN and LOGIN send it)."""
        import base64
        from urllib.parse import quote

        s = self.settings
        if not s.password or len(s.password) < 4:
            return text
        sent = [s.password, f"\0{s.username or ''}\0{s.password}"]
        forms = {s.password, quote(s.password, safe="")}
        forms |= {base64.b64encode(f.encode("utf-8")).decode("ascii") for f in sent}
        for form in sorted(forms, key=len, reverse=True):
            text = text.replace(form, "***")
        return text

    def _fail(self, problem: str, *, permanent: bool) -> MailDeliveryError:
        return MailDeliveryError(
            f"could not deliver mail via {self.settings.url}: {self._scrub(problem)}",
            transport=self.settings.url,
            permanent=permanent,
        )

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        if s.tls == "implicit":
            return smtplib.SMTP_SSL(s.host, s.port, timeout=self._timeout, context=self._context())
        return smtplib.SMTP(s.host, s.port, timeout=self._timeout)

    def _secure(self, smtp: smtplib.SMTP) -> bool:
        """Say EHLO, upgrade with STARTTLS as configured; True if encrypted."""
        s = self.settings
        smtp.ehlo()
        if s.tls == "implicit":
            return True
        if s.tls == "never":
            return False
        if smtp.has_extn("starttls"):
            smtp.starttls(context=self._context())
            smtp.ehlo()
            return True
        if s.tls == "require":
            raise self._fail(
                "the server does not offer STARTTLS (starttls=require)", permanent=True
            )
        return False

    def _login(self, smtp: smtplib.SMTP, encrypted: bool) -> None:
        s = self.settings
        if s.username is None:
            return
        if not encrypted and s.tls == "auto" and not is_loopback(s.host):
            raise self._fail(
                "the server offers no STARTTLS; refusing to send the password "
                "unencrypted (use smtps://, or ?starttls=never to allow it)",
                permanent=True,
            )
        smtp.login(s.username, s.password or "")

    def send(self, message: EmailMessage) -> None:
        """Deliver ``message`` to all its To/Cc/Bcc recipients."""
        try:
            with self._open() as smtp:
                self._login(smtp, self._secure(smtp))
                refused = smtp.send_message(message)
        except MailDeliveryError:
            raise
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            permanent = bool(codes) and all(500 <= c < 600 for c in codes)
            who = ", ".join(sorted(exc.recipients))
            raise self._fail(f"all recipients refused ({who})", permanent=permanent) from exc
        except smtplib.SMTPResponseException as exc:
            raw: bytes | str = exc.smtp_error or b""
            reply = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
            raise self._fail(
                f"{type(exc).__name__}: {exc.smtp_code} {reply}".rstrip(),
                permanent=500 <= exc.smtp_code < 600,
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:  # e.g. no AUTH offered
            raise self._fail(f"{type(exc).__name__}: {exc}", permanent=True) from exc
        except (OSError, smtplib.SMTPException, UnicodeError) as exc:
            raise self._fail(f"{type(exc).__name__}: {exc}", permanent=False) from exc
        if refused:
            log.warning(
                "%s refused some recipients of %s: %s",
                self.settings.url,
                message.get("Message-ID", "?"),
                ", ".join(f"{addr} ({code})" for addr, (code, _) in sorted(refused.items())),
            )


class MaildirTransport(Transport):
    """Delivery into a Maildir folder (created when missing): each message
    becomes one file in ``<path>/new``, written atomically via ``tmp``."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path).expanduser()

    def __repr__(self) -> str:
        return f"MaildirTransport({str(self.path)!r})"

    def __str__(self) -> str:
        return f"maildir:{self.path}"

    def target(self) -> str:
        """``Maildir <path>`` (absolute)."""
        return f"Maildir {self.path.absolute()}"

    def send(self, message: EmailMessage) -> None:
        """Store ``message`` as a new mail."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            box = mailbox.Maildir(self.path, factory=None, create=True)
            box.add(message.as_bytes())
        except (OSError, mailbox.Error) as exc:
            raise MailDeliveryError(
                f"could not store mail in {self.path}: {exc}", transport=str(self)
            ) from exc


def transport_from_url(
    url: str | None,
    maildir: Path | str,
    *,
    ssl_context: ssl.SSLContext | None = None,
    timeout: float | None = None,
) -> Transport:
    """A :class:`MaildirTransport` at ``maildir`` when ``url`` is None or
    blank, else an :class:`SmtpTransport` (``InvalidInputError`` for a bad URL)."""
    if url is None or not url.strip():
        return MaildirTransport(maildir)
    return SmtpTransport(url, ssl_context=ssl_context, timeout=timeout)
