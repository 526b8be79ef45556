""" "Did you mean ...": the known ids closest to one that is not known."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from ..errors import NotFoundError
from ..i18n import _
from ..ports import UnitOfWork

__all__ = ["close_matches", "did_you_mean", "no_user"]


def close_matches(key: str, known: Iterable[str], n: int = 3) -> list[str]:
    """Up to ``n`` of ``known`` that look like ``key``, closest first (difflib)."""
    return difflib.get_close_matches(key, sorted(set(known)), n=n, cutoff=0.6)


def did_you_mean(key: str, known: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` (or ``'x' or 'y'``) to append to a message
    about the unknown ``key``, or "" if nothing known is close to it."""
    found = close_matches(key, known)
    if not found:
        return ""
    names = _(" or ").join(f"'{m}'" for m in found)
    return _("; did you mean {names}?").format(names=names)


def no_user(uow: UnitOfWork, person_id: str) -> NotFoundError:
    """ "No user" (every known person may look the others up, so all are
    suggested)."""
    known = [p.id for p in uow.list_people()]
    return NotFoundError(
        _("no user '{user}'").format(user=person_id) + did_you_mean(person_id, known),
        kind="user",
        key=person_id,
    )
