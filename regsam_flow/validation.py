"""Checks for values people type: ids, emails, free text."""

from __future__ import annotations

import re

from .errors import InvalidInputError

__all__ = ["check_email", "check_guard_name", "check_id", "check_text"]

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_EMAIL = re.compile(r"^[^@\s<>(),;:\"]+@[^@\s<>(),;:\"]+\.[^@\s<>(),;:\".]+$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def check_id(value: str, field: str) -> str:
    """An identifier: letters, digits and . _ @ -, at most 64, no spaces."""
    if not _ID.fullmatch(value):
        raise InvalidInputError(
            f"{field} {value!r} is not a valid id: use letters, digits, '.', '_', '@' or '-',"
            " starting with a letter or digit, at most 64 characters",
            field=field,
        )
    return value


_GUARD = re.compile(r"[a-z][a-z0-9_]{0,63}")


def check_guard_name(name: str) -> str:
    """A guard name as workflow files write it: lower case, digits, '_'."""
    if not _GUARD.fullmatch(name):
        raise InvalidInputError(
            f"guard name {name!r} cannot be used in a workflow file: use lower-case letters,"
            " digits and '_', starting with a letter",
            field="guard",
        )
    return name


def check_email(value: str, field: str = "email") -> str:
    v = value.strip()
    if not _EMAIL.fullmatch(v):
        raise InvalidInputError(f"{field}: {value!r} is not an email address", field=field)
    return v


def check_text(
    value: str, field: str, *, max_len: int = 10_000, required: bool = False, multiline: bool = True
) -> str:
    """Free text: stripped, no control characters, bounded in length."""
    v = value.strip()
    if required and not v:
        raise InvalidInputError(f"{field} must not be empty", field=field)
    bad = _CONTROL.search(v)
    if bad or (not multiline and ("\n" in v or "\t" in v)):
        raise InvalidInputError(
            f"{field} contains a control character or line break where none is allowed",
            field=field,
        )
    if len(v) > max_len:
        raise InvalidInputError(
            f"{field} is {len(v)} characters long; at most {max_len} are allowed", field=field
        )
    return v
