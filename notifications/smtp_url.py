"""SMTP server URLs (``REGSAM_FLOW_SMTP_URL``): parsing and redaction.

Syntax::

    smtp://[USER[:PASSWORD]@]HOST[:PORT][?starttls=auto|require|never][&timeout=SECONDS]
    smtps://[USER[:PASSWORD]@]HOST[:PORT][?timeout=SECONDS]

``smtp``
    a plain connection (default port 25; use 587 for mail submission) that
    is upgraded with STARTTLS according to ``starttls``:

    ``auto`` (default)
        STARTTLS when the server offers it.  If it does not, mail goes out
        unencrypted, but a password is only sent unencrypted to a loopback
        host (``localhost``, ``127.0.0.0/8``, ``::1``); to any other host
        delivery fails rather than expose it.
    ``require`` (also ``required``, ``yes``, ``true``, ``1``)
        STARTTLS or nothing: delivery fails if the server does not offer it.
    ``never`` (also ``no``, ``false``, ``off``, ``0``)
        never STARTTLS; also allows a password over the plain connection
        (only for trusted local relays).
``smtps``
    implicit TLS from the first byte (default port 465); ``starttls`` is
    not allowed.

USER and PASSWORD are percent-decoded (write ``@`` as ``%40``, ``:`` as
``%3A``, ``/`` as ``%2F``); they must be ASCII, since Python's smtplib sends
AUTH credentials as ASCII.  ``timeout`` (seconds, default 30) limits
connecting and every server reply.  Certificates are checked against the
system's trusted CAs and the host name.

:func:`redact` hides the password in any URL meant for display; nothing in
this package prints or logs an unredacted URL.  A '/', '?' or '#' before
the last '@' (an unencoded one in the password) is refused without showing
the URL; error messages never quote a part of the password.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

from regsam_flow.errors import InvalidInputError
from regsam_flow.i18n import _

__all__ = [
    "DEFAULT_TIMEOUT",
    "SmtpSettings",
    "is_loopback",
    "parse_smtp_url",
    "redact",
]

#: Seconds to wait for connecting and for each reply of the server.
DEFAULT_TIMEOUT = 30.0

_DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
_STARTTLS = {
    "auto": "auto",
    "require": "require",
    "required": "require",
    "yes": "require",
    "true": "require",
    "1": "require",
    "never": "never",
    "no": "never",
    "false": "never",
    "off": "never",
    "0": "never",
}
_FIELD = "REGSAM_FLOW_SMTP_URL"


_HOSTPORT = re.compile(r"[A-Za-z0-9._\[\]:-]*")


def redact(url: str) -> str:
    """``url`` with any password replaced by ``***`` (the user name stays).

    Works on malformed URLs too: when in doubt it hides more, never less.
    Everything before the last ``@`` may be user name and password; a
    ``host:port`` whose port is not a number may be ``user:password`` with
    the host missing.
    """
    head, sep, rest = url.partition("://")
    if not sep:
        return url if _HOSTPORT.fullmatch(url) and _port_ok(url) else "***"
    ends = [i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0]
    end = min(ends) if ends else len(rest)
    authority, tail = rest[:end], rest[end:]
    if "@" not in authority:
        if "@" in tail:  # an unencoded / ? or # inside the password
            return f"{head}://***@{rest.rpartition('@')[2]}"
        return url if _port_ok(authority) else f"{head}://***"
    userinfo, _at, hostport = authority.rpartition("@")
    if ":" not in userinfo:
        return url
    user = userinfo.partition(":")[0]
    return f"{head}://{user}:***@{hostport}{tail}"


def _port_ok(hostport: str) -> bool:
    """Whether what follows the host's last ':' (if any) is a port number."""
    if hostport.startswith("[") and hostport.endswith("]"):  # an IPv6 address alone
        return True
    _host, colon, port = hostport.rpartition(":")
    return not colon or port.isdigit()


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine (``localhost`` or a loopback IP)."""
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class SmtpSettings:
    """A parsed SMTP URL.  ``tls`` is ``implicit`` (smtps) or the STARTTLS
    mode ``auto``, ``require`` or ``never``.  The password never shows in
    ``repr``; ``url`` is the redacted URL."""

    url: str
    scheme: str
    host: str
    port: int
    tls: str
    timeout: float = DEFAULT_TIMEOUT
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    def __str__(self) -> str:
        return self.url


def _bad(url: str, problem: str) -> InvalidInputError:
    return InvalidInputError(
        _("SMTP URL {url!r}: {problem}").format(url=redact(url), problem=problem), field=_FIELD
    )


def _options(url: str, scheme: str, query: str) -> tuple[str, float]:
    tls = "implicit" if scheme == "smtps" else "auto"
    timeout = DEFAULT_TIMEOUT
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise _bad(url, _("cannot read the options {query!r}").format(query=query)) from None
    for key, value in pairs:
        if key == "starttls":
            if scheme == "smtps":
                raise _bad(url, _("smtps:// is TLS from the start; starttls= does not apply"))
            mode = _STARTTLS.get(value.strip().lower())
            if mode is None:
                raise _bad(
                    url, _("starttls={value!r}: use auto, require or never").format(value=value)
                )
            tls = mode
        elif key == "timeout":
            try:
                timeout = float(value)
            except ValueError:
                timeout = -1.0
            if not timeout > 0 or timeout == float("inf"):
                raise _bad(
                    url,
                    _("timeout={value!r}: give a number of seconds above 0").format(value=value),
                )
        else:
            raise _bad(url, _("unknown option {key!r} (known: starttls, timeout)").format(key=key))
    return tls, timeout


def _credential(url: str, raw: str | None, what: str) -> str | None:
    if raw is None:
        return None
    value = unquote(raw)
    if not value.isascii():
        raise _bad(
            url, _("the {what} must be ASCII (SMTP AUTH sends it as ASCII)").format(what=what)
        )
    return value


def parse_smtp_url(url: str) -> SmtpSettings:
    """Read an SMTP URL (syntax in the module docs); raise
    :class:`InvalidInputError` naming what is wrong.  No message shows the
    password or any part of it; a URL that cannot be read unambiguously is
    not shown at all."""
    text = url.strip()
    _head, sep, rest = text.partition("://")
    userinfo = rest.rpartition("@")[0] if sep else ""
    if any(c in userinfo for c in "/?#"):
        raise InvalidInputError(
            _(
                "SMTP URL ({field}, not shown: it may hold a password): a '/', '?' or '#' "
                "comes before the last '@'; percent-encode them in the user name and password "
                "(%2F, %3F, %23)"
            ).format(field=_FIELD),
            field=_FIELD,
        )
    try:
        parts = urlsplit(text)
    except ValueError:
        raise _bad(text, _("not a URL")) from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        shown = f"{parts.scheme!r}" if parts.scheme and "@" not in parts.scheme else _("none")
        raise _bad(
            text, _("unknown scheme {scheme} (use smtp:// or smtps://)").format(scheme=shown)
        )
    if "://" not in text:
        raise _bad(text, _("write {scheme}://HOST[:PORT]").format(scheme=scheme))
    try:
        port = parts.port
    except ValueError:
        raise _bad(text, _("bad port (give a number from 1 to 65535)")) from None
    if port == 0:
        raise _bad(text, _("bad port (0)"))
    host = parts.hostname
    if not host:
        raise _bad(text, _("the host is missing"))
    if parts.path not in ("", "/"):
        raise _bad(
            text,
            _("unexpected path {path!r} (percent-encode '/' in a password)").format(
                path=parts.path
            ),
        )
    if parts.fragment:
        raise _bad(text, _("unexpected '#' (percent-encode it in a password as %23)"))
    tls, timeout = _options(text, scheme, parts.query)
    return SmtpSettings(
        url=redact(text),
        scheme=scheme,
        host=host,
        port=port or _DEFAULT_PORTS[scheme],
        tls=tls,
        timeout=timeout,
        username=_credential(text, parts.username, _("user name")),
        password=_credential(text, parts.password, _("password")),
    )
