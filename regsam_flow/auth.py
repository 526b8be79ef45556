"""Sign-in's records (no I/O): what the engine hands the service when a
person signs in, the sessions and personal API tokens a person sees, the
policy with its limits, and the rows the store keeps (secrets only as
their SHA-256).

The secrets themselves (a session's cookie value, an API token, a sign-in
link's token) leave the engine exactly once, in :class:`SessionGrant` and
:class:`NewApiToken`; no ``to_dict`` but :meth:`NewApiToken.to_dict` holds
one, and no record's ``repr`` shows one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = [
    "ApiTokenInfo",
    "AuthPolicy",
    "Authenticated",
    "NewApiToken",
    "SessionGrant",
    "SessionInfo",
    "SignInLink",
    "StoredApiToken",
    "StoredSession",
    "secret_hash",
]


def secret_hash(secret: str) -> str:
    """A secret's SHA-256 as 64 hex digits: what the store keeps."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _ts(value: datetime | None) -> str | None:
    """A moment as ISO UTC with Z, to the second."""
    if value is None:
        return None
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class AuthPolicy:
    """Sign-in's limits: a link's life, a session's idle and absolute
    expiry, and how many links an address and a client may ask for within
    the window."""

    link_minutes: int = 15
    session_idle_hours: int = 8
    session_absolute_days: int = 7
    links_per_address: int = 5
    links_per_client: int = 20
    window_minutes: int = 15

    @property
    def link_life(self) -> timedelta:
        return timedelta(minutes=self.link_minutes)

    @property
    def idle(self) -> timedelta:
        return timedelta(hours=self.session_idle_hours)

    @property
    def absolute(self) -> timedelta:
        return timedelta(days=self.session_absolute_days)

    @property
    def window(self) -> timedelta:
        return timedelta(minutes=self.window_minutes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "link_minutes": self.link_minutes,
            "session_idle_hours": self.session_idle_hours,
            "session_absolute_days": self.session_absolute_days,
            "links_per_address": self.links_per_address,
            "links_per_client": self.links_per_client,
            "window_minutes": self.window_minutes,
        }


@dataclass(frozen=True)
class SessionGrant:
    """A new session: ``secret`` is the cookie's value, returned once and
    stored only as its SHA-256."""

    session_id: str
    secret: str = field(repr=False)
    person: str
    expires_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """The session without its secret."""
        return {
            "session": self.session_id,
            "person": self.person,
            "expires_at": _ts(self.expires_at),
        }


@dataclass(frozen=True)
class Authenticated:
    """Who a request comes from: a person, by a session or an API token."""

    person: str
    kind: str  # "session" | "token"
    session_id: str | None = None
    token_id: str | None = None
    token_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "person": self.person,
            "kind": self.kind,
            "session": self.session_id,
            "token": self.token_id,
            "token_name": self.token_name,
        }


@dataclass(frozen=True)
class SessionInfo:
    """One of a person's live sessions, as the person sees it."""

    id: str
    person: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    idle_expires_at: datetime
    client: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "person": self.person,
            "created_at": _ts(self.created_at),
            "last_seen_at": _ts(self.last_seen_at),
            "expires_at": _ts(self.expires_at),
            "idle_expires_at": _ts(self.idle_expires_at),
            "client": self.client,
        }


@dataclass(frozen=True)
class ApiTokenInfo:
    """A personal API token without its secret."""

    id: str
    person: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "person": self.person,
            "name": self.name,
            "created_at": _ts(self.created_at),
            "last_used_at": _ts(self.last_used_at),
            "revoked_at": _ts(self.revoked_at),
        }


@dataclass(frozen=True)
class NewApiToken:
    """A token just created: ``secret`` is shown this once."""

    info: ApiTokenInfo
    secret: str = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The token's record and, this once, the secret under ``token``."""
        return {**self.info.to_dict(), "token": self.secret}


# -- the store's rows -------------------------------------------------------


@dataclass(frozen=True)
class SignInLink:
    """A sign-in link as stored: its token's hash, the person it signs in
    (None when the address is unknown: stored all the same, never mailed),
    the address asked for, the hash of the asking browser's value."""

    hash: str
    person: str | None
    email: str
    browser_hash: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


@dataclass(frozen=True)
class StoredSession:
    """A session as stored (the secret only as its hash)."""

    id: str
    secret_hash: str
    person: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ended_at: datetime | None = None
    client: str = ""
    user_agent: str = ""


@dataclass(frozen=True)
class StoredApiToken:
    """A personal API token as stored (the secret only as its hash)."""

    id: str
    person: str
    name: str
    secret_hash: str
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    def info(self) -> ApiTokenInfo:
        return ApiTokenInfo(
            self.id, self.person, self.name, self.created_at, self.last_used_at, self.revoked_at
        )
