"""Checks for values people type: ids, emails, free text."""

from __future__ import annotations

import re
import unicodedata

from .errors import InvalidInputError
from .i18n import _

__all__ = ["ascii_id", "check_email", "check_guard_name", "check_id", "check_text", "check_unicode"]

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_EMAIL = re.compile(r"^[^@\s<>(),;:\"]+@[^@\s<>(),;:\"]+\.[^@\s<>(),;:\".]+$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
#: Python decodes bytes that are not UTF-8 (in argv, the environment, file
#: names) to lone surrogates; no text regsam-flow stores may hold them.
_SURROGATE = re.compile("[\ud800-\udfff]")


def check_unicode(value: str, field: str) -> str:
    """Text that is valid Unicode: refuses what came from bytes that are not
    UTF-8 (a Latin-1 "é" typed in a terminal not set to UTF-8).  The value is
    not quoted in the message: it cannot be printed as it is."""
    if _SURROGATE.search(value):
        raise InvalidInputError(
            _(
                "{field} is not valid UTF-8 text: it holds bytes that cannot be decoded "
                "(is your terminal or file set to another encoding than UTF-8?)"
            ).format(field=field),
            field=field,
        )
    return value


def check_id(value: str, field: str) -> str:
    """An identifier: ASCII letters, digits and . _ @ -, at most 64, no
    spaces.  A refused id with umlauts or spaces gets a suggestion
    (``müllerstrasse`` -> ``muellerstrasse``)."""
    check_unicode(value, field)
    if not _ID.fullmatch(value):
        message = _(
            "{field} {value!r} is not a valid id: use ASCII letters (a-z, no umlauts or ß), "
            "digits, '.', '_', '@' or '-', starting with a letter or digit, at most 64 characters"
        ).format(field=field, value=value)
        suggestion = ascii_id(value)
        if suggestion != value and _ID.fullmatch(suggestion):
            message += _("; for example {suggestion!r}").format(suggestion=suggestion)
        raise InvalidInputError(message, field=field)
    return value


_UMLAUTS = {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}


def ascii_id(text: str) -> str:
    """``text`` as an id could write it: ä -> ae, ö -> oe, ü -> ue, ß -> ss,
    other accents dropped, spaces and other signs -> ``-``."""
    text = "".join(_UMLAUTS.get(ch, ch) for ch in text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9._@-]+", "-", text).strip("-")


_GUARD = re.compile(r"[a-z][a-z0-9_]{0,63}")


def check_guard_name(name: str) -> str:
    """A guard name as workflow files write it: lower case, digits, '_'."""
    if not _GUARD.fullmatch(name):
        raise InvalidInputError(
            _(
                "guard name {name!r} cannot be used in a workflow file: use lower-case letters,"
                " digits and '_', starting with a letter"
            ).format(name=name),
            field="guard",
        )
    return name


def check_email(value: str, field: str = "email") -> str:
    v = check_unicode(value, field).strip()
    if not _EMAIL.fullmatch(v):
        raise InvalidInputError(
            _("{field}: {value!r} is not an email address").format(field=field, value=value),
            field=field,
        )
    return v


def check_text(
    value: str, field: str, *, max_len: int = 10_000, required: bool = False, multiline: bool = True
) -> str:
    """Free text: valid Unicode, stripped, no control characters, bounded in length."""
    v = check_unicode(value, field).strip()
    if required and not v:
        raise InvalidInputError(_("{field} must not be empty").format(field=field), field=field)
    bad = _CONTROL.search(v)
    if bad or (not multiline and ("\n" in v or "\t" in v)):
        raise InvalidInputError(
            _("{field} contains a control character or line break where none is allowed").format(
                field=field
            ),
            field=field,
        )
    if len(v) > max_len:
        raise InvalidInputError(
            _("{field} is {length} characters long; at most {max} are allowed").format(
                field=field, length=len(v), max=max_len
            ),
            field=field,
        )
    return v
