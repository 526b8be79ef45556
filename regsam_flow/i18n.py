"""The language people read: German by default, English on request.

Every text a person reads is written in English in the code, marked with
:func:`_` (or :func:`N_` where it is only looked up later), and translated
through gettext from the catalog ``regsam_flow/locale/de/LC_MESSAGES/
regsam_flow.po`` (compiled to ``.mo``; Babel extracts and compiles it, see
``.ci/catalog``).  English is the text itself.  What scripts depend on
(JSON keys, codes, ids, exit codes) is never translated.

The language is chosen, first match wins, by ``--lang`` (the CLI), the
environment variable ``REGSAM_FLOW_LANG``, an English ``LC_ALL``,
``LC_MESSAGES`` or ``LANG`` (``en_GB.UTF-8``), else German.  It is held in
a context variable, so a service can serve each request in its own language
(:func:`use_language`).
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from pathlib import Path

__all__ = [
    "DEFAULT_LANGUAGE",
    "DOMAIN",
    "LANGUAGES",
    "LOCALE_DIR",
    "N_",
    "_",
    "format_date",
    "format_datetime",
    "format_decimal",
    "language",
    "language_from_env",
    "ngettext",
    "set_language",
    "use_language",
]

DOMAIN = "regsam_flow"
LOCALE_DIR = Path(__file__).parent / "locale"
#: The languages there are texts in; the first is the default.
LANGUAGES = ("de", "en")
DEFAULT_LANGUAGE = LANGUAGES[0]

_current: ContextVar[str | None] = ContextVar("regsam_flow_language", default=None)


def language_from_env(env: Mapping[str, str] | None = None) -> str:
    """The language the environment asks for: ``REGSAM_FLOW_LANG`` (``de``
    or ``en``; anything else is ignored), else the first of ``LC_ALL``,
    ``LC_MESSAGES``, ``LANG`` that is set (English if it starts with
    ``en``), else German."""
    env = os.environ if env is None else env
    asked = env.get("REGSAM_FLOW_LANG", "").strip().lower()[:2]
    if asked in LANGUAGES:
        return asked
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var, "")
        if value:
            return "en" if value.lower().startswith("en") else DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def language() -> str:
    """The language of the texts made now: set by :func:`set_language` or
    :func:`use_language`, else as the environment asks."""
    return _current.get() or language_from_env()


def set_language(lang: str | None) -> None:
    """Make texts in ``lang`` from now on (None: as the environment asks)."""
    if lang is not None and lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: use {' or '.join(LANGUAGES)}")
    _current.set(lang)


@contextmanager
def use_language(lang: str) -> Iterator[None]:
    """Make texts in ``lang`` inside the ``with`` block."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: use {' or '.join(LANGUAGES)}")
    token = _current.set(lang)
    try:
        yield
    finally:
        _current.reset(token)


@cache
def _translations(lang: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[lang], fallback=True)


def _(message: str) -> str:
    """``message`` (English) in the current language."""
    return _translations(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n``, in the current language."""
    return _translations(language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for the catalog without translating it now (it is
    translated with :func:`_` where it is shown)."""
    return message


def format_date(d: date | None) -> str:
    """A date as people of the current language write it: ``15.07.2027``
    (German), ``2027-07-15`` (English); ``-`` for none."""
    if d is None:
        return "-"
    return d.isoformat() if language() == "en" else d.strftime("%d.%m.%Y")


def format_datetime(dt: datetime | None) -> str:
    """A moment in Berlin time, to the minute: ``15.07.2027 08:00``
    (German), ``2027-07-15 08:00`` (English); ``-`` for none."""
    if dt is None:
        return "-"
    from zoneinfo import ZoneInfo

    local = dt.astimezone(ZoneInfo("Europe/Berlin"))
    return local.strftime("%Y-%m-%d %H:%M" if language() == "en" else "%d.%m.%Y %H:%M")


def format_decimal(value: float, digits: int = 2) -> str:
    """A number people read, rounded to ``digits``: ``1.234,57`` (German),
    ``1,234.57`` (English)."""
    text = f"{value:,.{digits}f}"
    if language() == "en":
        return text
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")
