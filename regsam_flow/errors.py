"""The errors regsam-flow raises.

Every error derives from :class:`RegsamFlowError`; catch that one to handle
them all.  Each keeps its context as attributes, never only in the message::

    RegsamFlowError
    ├── NotAllowedError        the person may not do this (role, assignment)
    ├── BlockedError           guards refuse the action; ``blockers`` lists all
    ├── ConflictError          someone changed the area meanwhile: try again
    ├── NotFoundError          no such person, area, task, workflow, version
    ├── InvalidInputError      a date, email, text or option is not acceptable
    ├── InvalidWorkflowError   a workflow definition is malformed or inconsistent
    ├── SchemaError            the database is not initialised or needs an upgrade
    ├── UnavailableError       the database went away during the change: try again
    ├── StorageError           the disk is full or the database read-only: nothing written
    ├── OutcomeUnknownError    the commit's acknowledgement was lost: written or not, check
    ├── AuditError             the audit log failed verification
    ├── AuthenticationError    a sign-in link, session or API token is not (or no longer) valid
    └── RateLimitedError       too many requests of one kind: try again later

Each class has a stable ``code`` (used in the CLI's JSON output) and an
``exit_code`` (the CLI's exit status).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "AuditError",
    "AuthenticationError",
    "BlockedError",
    "Blocker",
    "ConflictError",
    "InvalidInputError",
    "InvalidWorkflowError",
    "NotAllowedError",
    "NotFoundError",
    "OutcomeUnknownError",
    "RateLimitedError",
    "RegsamFlowError",
    "SchemaError",
    "StorageError",
    "UnavailableError",
]


@dataclass(frozen=True)
class Blocker:
    """One reason why an action cannot happen: a stable code and a sentence."""

    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class RegsamFlowError(Exception):
    """Root of all regsam-flow errors."""

    code = "error"
    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAllowedError(RegsamFlowError):
    """The acting person may not do this: unknown person, missing role, not assigned."""

    code = "not_allowed"
    exit_code = 3

    def __init__(
        self,
        message: str,
        *,
        actor: str | None = None,
        area: str | None = None,
        blockers: Sequence[Blocker] = (),
    ) -> None:
        super().__init__(message)
        self.actor = actor
        self.area = area
        self.blockers = tuple(blockers)


class BlockedError(RegsamFlowError):
    """Guards refuse the action; ``blockers`` names every reason at once."""

    code = "blocked"
    exit_code = 4

    def __init__(
        self,
        message: str,
        blockers: Sequence[Blocker],
        *,
        area: str | None = None,
        trigger: str | None = None,
    ) -> None:
        super().__init__(message)
        self.blockers = tuple(blockers)
        self.area = area
        self.trigger = trigger

    def __str__(self) -> str:
        lines = [self.message] + [f"  - {b.code}: {b.message}" for b in self.blockers]
        return "\n".join(lines)


class ConflictError(RegsamFlowError):
    """Someone else changed the area meanwhile; nothing was written. Try again."""

    code = "conflict"
    exit_code = 5

    def __init__(self, message: str, *, area: str | None = None) -> None:
        super().__init__(message)
        self.area = area


class NotFoundError(RegsamFlowError):
    """No such person, area, task, workflow or version."""

    code = "not_found"
    exit_code = 6

    def __init__(self, message: str, *, kind: str = "", key: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.key = key


class InvalidInputError(RegsamFlowError):
    """A value given by the caller is not acceptable (date, email, text, option)."""

    code = "invalid_input"
    exit_code = 7

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidWorkflowError(InvalidInputError):
    """A workflow definition is malformed or inconsistent.

    ``source`` names the file, ``element`` the part of the definition at fault.
    """

    code = "invalid_workflow"

    def __init__(self, message: str, *, source: str = "", element: str = "") -> None:
        super().__init__(message)
        self.source = source
        self.element = element


class SchemaError(RegsamFlowError):
    """The database is not initialised, is older (upgrade with ``regsam-flow init``),
    or was written by a newer regsam-flow."""

    code = "schema"
    exit_code = 13

    def __init__(self, message: str, *, found: str | None, expected: str) -> None:
        super().__init__(message)
        self.found = found
        self.expected = expected


class UnavailableError(RegsamFlowError):
    """The database could not be reached, or the connection was lost during a
    change; the transaction was rolled back, nothing was written.  Try again."""

    code = "unavailable"
    exit_code = 12


class StorageError(RegsamFlowError):
    """The database cannot store the change: its disk is full, or it is
    read-only (a read-only file system, no write permission, a read-only
    PostgreSQL database).  Nothing was written; reading still works on a
    read-only database.  ``problem`` is ``"disk_full"``, ``"read_only"`` or
    ``"io_error"``."""

    code = "storage"
    exit_code = 9

    def __init__(self, message: str, *, problem: str) -> None:
        super().__init__(message)
        self.problem = problem


class OutcomeUnknownError(RegsamFlowError):
    """The connection was lost while the change was being committed: the
    database may have carried it out or not, and cannot be asked on that
    connection.  Check (``regsam-flow area show``, ``regsam-flow log``)
    before trying again; a blind retry may do it twice."""

    code = "outcome_unknown"
    exit_code = 10


class AuditError(RegsamFlowError):
    """The audit log failed verification."""

    code = "audit_failed"
    exit_code = 8

    def __init__(self, message: str, *, first_bad_seq: int | None = None) -> None:
        super().__init__(message)
        self.first_bad_seq = first_bad_seq


class AuthenticationError(RegsamFlowError):
    """A sign-in link, session or API token is unknown, used, expired,
    revoked or bound to another browser.  The message never says which
    (nor whether an address is known)."""

    code = "not_authenticated"
    exit_code = 3


class RateLimitedError(RegsamFlowError):
    """Too many requests of one kind (sign-in links per address or per
    client) in a short time; ``retry_after`` says in how many seconds to try again."""

    code = "rate_limited"
    exit_code = 11

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
