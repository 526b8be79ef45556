"""What a reminder template sees: the notice turned into plain, display-ready facts.

:func:`template_context` builds the variables every reminder template gets;
:func:`format_date` writes a date the way a reader of that language expects
(``15.07.2027`` in German, ``15 July 2027`` in English).  The agreement in a
:class:`~regsam_flow.ports.ReminderNotice` is a plain mapping; these keys are
read, all optional:

``topic``, ``scope``, ``duration``
    text;
``start``, ``review``
    a :class:`~datetime.date` or an ISO date string (``review`` falls back to
    the notice's review date);
``signed_by`` or ``signatures``
    who signed: a string, a list of strings, or a mapping of role id to name
    (role ids such as ``moderation`` are shown with their German or English
    label).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from regsam_flow.ports import KgNotice, Recipient, ReminderNotice, SignInNotice

__all__ = [
    "LANGUAGES",
    "agreement_view",
    "format_date",
    "kg_context",
    "language_of",
    "role_label",
    "sign_in_context",
    "template_context",
]

#: The languages reminders are written in; the first is the default.
LANGUAGES = ("de", "en")

_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

_ROLE_LABELS: dict[str, dict[str, str]] = {
    "moderation": {"de": "REGSAM-Moderation", "en": "REGSAM moderation"},
    "social_planning": {"de": "Sozialplanung (Sozialreferat)", "en": "social planning"},
    "steering": {"de": "Steuerungsbereiche", "en": "steering areas"},
    "provider": {"de": "Einrichtungsträger", "en": "service providers"},
    "sbh": {"de": "Sozialbürgerhäuser", "en": "social-citizen centres (SBH)"},
}


def language_of(notice: ReminderNotice | KgNotice | SignInNotice) -> str:
    """The notice's language reduced to one of :data:`LANGUAGES` (``en-GB`` is
    ``en``); anything unknown is German."""
    code = notice.language.strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else LANGUAGES[0]


def _as_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def format_date(value: object, lang: str = "de") -> str:
    """A date (or ISO date string) as ``15.07.2027`` (de) or ``15 July 2027``
    (en); ``-`` when there is none; text that is no date is returned as is."""
    day = _as_date(value)
    if day is None:
        return str(value) if isinstance(value, str) and value.strip() else "-"
    if lang == "en":
        return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"
    return day.strftime("%d.%m.%Y")


def role_label(role: str, lang: str = "de") -> str:
    """The readable name of a role id (the id itself when unknown)."""
    return _ROLE_LABELS.get(role, {}).get(lang, role)


def _signers(value: object, lang: str) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [f"{role_label(str(role), lang)}: {who}" for role, who in value.items()]
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v]
    return [str(value)]


def agreement_view(notice: ReminderNotice, lang: str) -> dict[str, Any]:
    """The agreement summary: topic, scope, duration, start and review (dates or
    None) and ``signed_by`` (a list of display strings)."""
    raw = notice.agreement
    signed = raw.get("signed_by")
    if signed is None:
        signed = raw.get("signatures")
    return {
        "topic": str(raw.get("topic") or ""),
        "scope": str(raw.get("scope") or ""),
        "duration": str(raw.get("duration") or ""),
        "start": _as_date(raw.get("start")),
        "review": _as_date(raw.get("review")) or notice.review_date,
        "signed_by": _signers(signed, lang),
    }


def template_context(notice: ReminderNotice) -> dict[str, Any]:
    """The variables of every reminder template.

    ``notice`` (the raw notice), ``lang``, ``kind``, ``days_left`` (days until
    the review, 0 when due or overdue), ``days_overdue``, ``area_name``,
    ``district``, ``phase``, ``phase_title``, ``workflow_title``,
    ``review_date``, ``agreement`` (see :func:`agreement_view`),
    ``open_tasks`` (dicts with ``id`` and ``title``), ``recipients`` (dicts with
    ``name``, ``email``, ``role`` and ``role_label``), ``commands`` and
    ``reminder_id``.  Templates format dates with the ``date`` filter.
    """
    lang = language_of(notice)
    return {
        "notice": notice,
        "lang": lang,
        "kind": notice.kind,
        "days_left": max(notice.days, 0),
        "days_overdue": max(-notice.days, 0),
        "area": notice.area,
        "area_name": notice.area_name,
        "district": notice.district,
        "phase": notice.phase,
        "phase_title": notice.phase_title or notice.phase,
        "workflow_title": notice.workflow_title,
        "review_date": notice.review_date,
        "agreement": agreement_view(notice, lang),
        "open_tasks": [{"id": tid, "title": title or tid} for tid, title in notice.open_tasks],
        "recipients": _recipients(notice.recipients, lang),
        "commands": list(notice.commands),
        "reminder_id": notice.reminder_id,
    }


def _recipients(recipients: tuple[Recipient, ...], lang: str) -> list[dict[str, str]]:
    return [
        {
            "name": r.name,
            "email": r.email,
            "role": r.role,
            "role_label": role_label(r.role, lang) if r.role else "",
        }
        for r in recipients
    ]


_ORDER_KINDS = {
    "order": {"de": ("Arbeitsauftrag", "der Arbeitsauftrag"), "en": ("work order", "work order")},
    "recommendation": {
        "de": ("Empfehlung", "die Empfehlung"),
        "en": ("recommendation", "recommendation"),
    },
}
_ORDER_STATUSES = {
    "open": {"de": "offen", "en": "open"},
    "in_progress": {"de": "in Arbeit", "en": "in progress"},
    "done": {"de": "erledigt", "en": "done"},
    "declined": {"de": "abgelehnt", "en": "declined"},
}


def kg_context(notice: KgNotice) -> dict[str, Any]:
    """The variables of the KG mail templates (``kg_subject.*``, ``kg.*``).

    ``notice``, ``lang``, ``kind``, ``area``, ``area_name``, ``district``,
    ``message_id``, ``recipients`` (as in :func:`template_context`); for
    meeting decisions ``meeting_id``, ``meeting_number``, ``meeting_date``,
    ``meeting_place``, ``decisions``; for orders ``order_id``,
    ``order_title``, ``order_kind_title`` (``Arbeitsauftrag``),
    ``order_kind_label`` (``der Arbeitsauftrag``), ``order_due``,
    ``order_status_label``, ``addressee``, ``days_overdue`` and
    ``commands``."""
    lang = language_of(notice)
    title, label = _ORDER_KINDS.get(notice.order_kind, {}).get(
        lang, (notice.order_kind, notice.order_kind)
    )
    return {
        "notice": notice,
        "lang": lang,
        "kind": notice.kind,
        "area": notice.area,
        "area_name": notice.area_name,
        "district": notice.district,
        "message_id": notice.message_id,
        "recipients": _recipients(notice.recipients, lang),
        "meeting_id": notice.meeting_id,
        "meeting_number": notice.meeting_number,
        "meeting_date": notice.meeting_date,
        "meeting_place": notice.meeting_place,
        "decisions": list(notice.decisions),
        "order_id": notice.order_id,
        "order_title": notice.order_title,
        "order_kind_title": title,
        "order_kind_label": label,
        "order_due": notice.order_due,
        "order_status_label": _ORDER_STATUSES.get(notice.order_status, {}).get(
            lang, notice.order_status
        ),
        "addressee": notice.addressee,
        "days_overdue": max(-notice.days, 0),
        "commands": list(notice.commands),
    }


def sign_in_context(notice: SignInNotice, expires_local: datetime) -> dict[str, Any]:
    """The variables of the sign-in mail templates (``sign_in_subject.*``,
    ``sign_in.*``): ``lang``, ``name`` (the recipient's), ``link``,
    ``valid_until`` (the time of day the link expires, ``14:35``, in the
    notice's time zone, ``expires_local`` being that moment there),
    ``valid_until_date`` and ``timezone``."""
    lang = language_of(notice)
    return {
        "lang": lang,
        "name": notice.recipient.name,
        "link": notice.link,
        "valid_until": expires_local.strftime("%H:%M"),
        "valid_until_date": expires_local.date(),
        "timezone": notice.timezone,
    }
