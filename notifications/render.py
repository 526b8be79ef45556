"""Turn a :class:`~regsam_flow.ports.ReminderNotice` into an email.

The message is plain text with an HTML alternative (``multipart/alternative``)
plus the review date as an ``.ics`` attachment, all inside
``multipart/mixed``.  Texts come from Jinja2 templates, one set per language:

``subject.<lang>.txt.j2``, ``reminder.<lang>.txt.j2``, ``reminder.<lang>.html.j2``

and for the KG's mails (:class:`~regsam_flow.ports.KgNotice`: a meeting's
decisions, due and overdue work orders; no attachment)

``kg_subject.<lang>.txt.j2``, ``kg.<lang>.txt.j2``, ``kg.<lang>.html.j2``

and for the sign-in mail (:class:`~regsam_flow.ports.SignInNotice`: the
one-time link, no attachment)

``sign_in_subject.<lang>.txt.j2``, ``sign_in.<lang>.txt.j2``, ``sign_in.<lang>.html.j2``

(``<lang>`` is ``de`` or ``en``; HTML templates are autoescaped).  A
``template_dir`` is searched before the templates shipped in this package, so
a user overrides one file by putting one of that name there.  Variables: see
:func:`~regsam_flow.notifications.context.template_context`, plus ``subject``
in the body templates; the ``date`` filter writes a date in the message's
language.
"""

from __future__ import annotations

from datetime import datetime, timezone
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateSyntaxError,
    pass_context,
    select_autoescape,
)
from jinja2.runtime import Context

from regsam_flow.errors import InvalidInputError
from regsam_flow.i18n import _
from regsam_flow.ports import KgNotice, Recipient, ReminderNotice, SignInNotice

from .context import LANGUAGES, format_date, kg_context, sign_in_context, template_context
from .ics import review_event

__all__ = [
    "DEFAULT_SENDER",
    "KG_TEMPLATE_NAMES",
    "PACKAGE_TEMPLATES",
    "SIGN_IN_TEMPLATE_NAMES",
    "TEMPLATE_NAMES",
    "ReminderRenderer",
    "make_address",
    "parse_address",
    "render_reminder",
]

#: The sender used when none is configured.
DEFAULT_SENDER = "regsam-flow <regsam-flow@localhost>"
#: The folder of the templates shipped with regsam-flow.
PACKAGE_TEMPLATES = Path(__file__).resolve().parent / "templates"
#: The template files of one language (``{lang}`` is ``de`` or ``en``).
TEMPLATE_NAMES = ("subject.{lang}.txt.j2", "reminder.{lang}.txt.j2", "reminder.{lang}.html.j2")
#: The template files of the KG's mails.
KG_TEMPLATE_NAMES = ("kg_subject.{lang}.txt.j2", "kg.{lang}.txt.j2", "kg.{lang}.html.j2")
#: The template files of the sign-in mail.
SIGN_IN_TEMPLATE_NAMES = (
    "sign_in_subject.{lang}.txt.j2",
    "sign_in.{lang}.txt.j2",
    "sign_in.{lang}.html.j2",
)


def make_address(name: str, addr: str, field: str = "address") -> Address:
    """An :class:`Address` from a display name and an address; raises
    :class:`InvalidInputError` when ``addr`` is no usable email address."""
    addr = addr.strip()
    try:
        if "@" not in addr:
            raise ValueError("no @")
        return Address(display_name=_one_line(name), addr_spec=addr)
    except (ValueError, IndexError, HeaderParseError) as exc:
        raise InvalidInputError(
            _("{field}: {value!r} is not an email address ({problem})").format(
                field=field, value=addr, problem=exc
            ),
            field=field,
        ) from None


def parse_address(text: str, field: str = "sender") -> Address:
    """``Name <addr@host>`` or ``addr@host`` as an :class:`Address`; raises
    :class:`InvalidInputError` when it is no usable address."""
    name, addr = parseaddr(text)
    if not addr:
        raise InvalidInputError(
            _("{field}: {value!r} is not an email address").format(field=field, value=text),
            field=field,
        )
    return make_address(name, addr, field)


def _one_line(text: str) -> str:
    return " ".join(text.split())


@pass_context
def _date_filter(ctx: Context, value: object) -> str:
    return format_date(value, str(ctx.get("lang", LANGUAGES[0])))


class ReminderRenderer:
    """Renders reminder notices into :class:`EmailMessage` objects.

    ``template_dir`` (optional) is searched first, then the package templates.
    All templates are compiled at once, so a broken template is reported when
    the renderer is built, not at the first reminder.  With ``cache_dir`` the
    compiled templates are kept there (Jinja2's bytecode cache, keyed by each
    file's name and checked against its source), so a process that starts
    again loads them instead of compiling them (``serve`` starts faster).
    """

    def __init__(
        self, template_dir: Path | str | None = None, cache_dir: Path | str | None = None
    ) -> None:
        loaders: list[BaseLoader] = []
        if template_dir is not None:
            folder = Path(template_dir).expanduser()
            if not folder.is_dir():
                raise InvalidInputError(
                    _("template folder {folder!r} does not exist or is not a folder").format(
                        folder=str(folder)
                    ),
                    field="template_dir",
                )
            loaders.append(FileSystemLoader(str(folder)))
        loaders.append(FileSystemLoader(str(PACKAGE_TEMPLATES)))
        self.template_dir = None if template_dir is None else Path(template_dir)
        self._env = Environment(
            loader=ChoiceLoader(loaders),
            autoescape=select_autoescape(enabled_extensions=("html.j2", "html"), default=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            bytecode_cache=_bytecode_cache(cache_dir),
        )
        self._env.filters["date"] = _date_filter
        self.check()

    def __repr__(self) -> str:
        return f"ReminderRenderer(template_dir={self.template_dir!r})"

    def check(self) -> None:
        """Compile every template; raise :class:`InvalidInputError` naming the
        file and line of the first that does not compile."""
        for lang in LANGUAGES:
            for pattern in TEMPLATE_NAMES + KG_TEMPLATE_NAMES + SIGN_IN_TEMPLATE_NAMES:
                name = pattern.format(lang=lang)
                try:
                    self._env.get_template(name)
                except TemplateSyntaxError as exc:
                    where = exc.filename or name
                    raise InvalidInputError(
                        _("template {name}, line {line}: {problem}").format(
                            name=where, line=exc.lineno, problem=exc.message
                        ),
                        field="template_dir",
                    ) from None
                except TemplateError as exc:
                    raise InvalidInputError(
                        _("template {name}: {problem}").format(name=name, problem=exc),
                        field="template_dir",
                    ) from None

    def _render(self, name: str, context: dict[str, Any]) -> str:
        return self._env.get_template(name).render(context)

    def _texts(self, subject: str, body: str, context: dict[str, Any]) -> tuple[str, str, str]:
        """The subject line, plain text and HTML from the templates named
        ``<subject>.<lang>.txt.j2``, ``<body>.<lang>.txt.j2`` and
        ``<body>.<lang>.html.j2``; the body templates see ``subject``."""
        lang = context["lang"]
        line = _one_line(self._render(f"{subject}.{lang}.txt.j2", context))
        context["subject"] = line
        text = self._render(f"{body}.{lang}.txt.j2", context)
        return line, text, self._render(f"{body}.{lang}.html.j2", context)

    def subject(self, notice: ReminderNotice) -> str:
        """The subject line alone."""
        context = template_context(notice)
        return _one_line(self._render(f"subject.{context['lang']}.txt.j2", context))

    def render(
        self,
        notice: ReminderNotice,
        *,
        now: datetime,
        sender: str | Address = DEFAULT_SENDER,
    ) -> EmailMessage:
        """The complete message for ``notice``; ``now`` sets the Date header
        and the calendar DTSTAMP."""
        context = template_context(notice)
        lang = context["lang"]
        subject, text, html = self._texts("subject", "reminder", context)

        msg = _mail(
            sender,
            notice.recipients,
            subject,
            _local(now, notice.timezone),
            notice.message_id,
            {
                "X-Regsam-Reminder": str(notice.reminder_id),
                "X-Regsam-Area": _one_line(notice.area),
                "X-Regsam-Reminder-Kind": _one_line(notice.kind),
            },
            text,
            html,
        )
        msg.add_attachment(
            review_event(notice, now).encode("utf-8"),
            maintype="text",
            subtype="calendar",
            filename=_ics_filename(notice, lang),
            params={"method": "PUBLISH", "charset": "utf-8"},
        )
        msg["Content-Language"] = lang  # after the body: set_content clears Content-*
        return msg

    def render_kg(
        self,
        notice: KgNotice,
        *,
        now: datetime,
        sender: str | Address = DEFAULT_SENDER,
    ) -> EmailMessage:
        """The complete message for a mail of the KG: plain text with an HTML
        alternative; ``now`` sets the Date header."""
        context = kg_context(notice)
        lang = context["lang"]
        subject, text, html = self._texts("kg_subject", "kg", context)

        msg = _mail(
            sender,
            notice.recipients,
            subject,
            _local(now, notice.timezone),
            notice.mail_id,
            {
                "X-Regsam-Message": str(notice.message_id),
                "X-Regsam-Area": _one_line(notice.area),
                "X-Regsam-Message-Kind": _one_line(notice.kind),
            },
            text,
            html,
        )
        msg["Content-Language"] = lang  # after the body: set_content clears Content-*
        return msg

    def render_sign_in(
        self,
        notice: SignInNotice,
        *,
        now: datetime,
        sender: str | Address = DEFAULT_SENDER,
    ) -> EmailMessage:
        """The sign-in mail: plain text with an HTML alternative holding the
        link; ``now`` sets the Date header.  Its Message-ID is random (never
        derived from the link)."""
        context = sign_in_context(notice, _local(notice.expires_at, notice.timezone))
        subject, text, html = self._texts("sign_in_subject", "sign_in", context)
        msg = _mail(
            sender,
            (notice.recipient,),
            subject,
            _local(now, notice.timezone),
            make_msgid("sign-in", "regsam-flow"),
            {"X-Regsam-Message-Kind": "sign_in"},
            text,
            html,
        )
        msg["Content-Language"] = context["lang"]
        return msg


def _bytecode_cache(folder: Path | str | None) -> FileSystemBytecodeCache | None:
    """A bytecode cache in ``folder`` (made if missing, private); None
    without a folder or if it cannot be made (then templates are compiled)."""
    if folder is None:
        return None
    path = Path(folder)
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return None
    return FileSystemBytecodeCache(str(path))


def render_reminder(
    notice: ReminderNotice,
    *,
    now: datetime,
    sender: str | Address = DEFAULT_SENDER,
    template_dir: Path | str | None = None,
) -> EmailMessage:
    """One-off :meth:`ReminderRenderer.render` (builds a renderer each call)."""
    return ReminderRenderer(template_dir).render(notice, now=now, sender=sender)


def _mail(
    sender: str | Address,
    recipients: tuple[Recipient, ...],
    subject: str,
    date: datetime,
    message_id: str,
    headers: dict[str, str],
    text: str,
    html: str,
) -> EmailMessage:
    """A message with its headers, plain text and an HTML alternative."""
    msg = EmailMessage()
    msg["From"] = sender if isinstance(sender, Address) else parse_address(sender)
    msg["To"] = _recipient_addresses(recipients)
    msg["Subject"] = subject
    msg["Date"] = date
    msg["Message-ID"] = _message_id(message_id)
    for name, value in headers.items():
        msg[name] = value
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text, cte="quoted-printable")
    msg.add_alternative(html, subtype="html", cte="quoted-printable")
    return msg


def _recipient_addresses(recipients: tuple[Recipient, ...]) -> list[Address]:
    seen: set[str] = set()
    out: list[Address] = []
    for r in recipients:
        key = r.email.strip().lower()
        if key in seen:
            continue
        seen.add(key)
        out.append(make_address(r.name, r.email, f"recipient {r.person or r.name}"))
    if not out:
        raise InvalidInputError(_("the message has no recipients"), field="recipients")
    return out


def _message_id(value: str) -> str:
    value = value.strip()
    if not value:
        raise InvalidInputError(_("the message has no message id"), field="message_id")
    return value if value.startswith("<") else f"<{value}>"


def _local(now: datetime, zone: str) -> datetime:
    moment = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
    try:
        return moment.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        return moment.astimezone(timezone.utc)


def _ics_filename(notice: ReminderNotice, lang: str) -> str:
    slug = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "-" for c in notice.area)
    prefix = "ueberpruefung" if lang == "de" else "review"
    return f"{prefix}-{slug}-{notice.review_date.isoformat()}.ics"
