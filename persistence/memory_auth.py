"""Sign-in's records in the memory store (see
:class:`~regsam_flow.ports.AuthUnitOfWork`): links, sessions, API tokens and
the rate limits' attempts, with the SQL store's keys and conditions."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from regsam_flow.audit import format_ts, parse_ts
from regsam_flow.auth import SignInLink, StoredApiToken, StoredSession
from regsam_flow.errors import ConflictError
from regsam_flow.i18n import _
from regsam_flow.ports import AuthUnitOfWork

if TYPE_CHECKING:
    from .memory import _State

__all__ = ["MemoryAuth"]


def _utc(value: datetime) -> datetime:
    """As the SQL store keeps times: UTC, to the microsecond."""
    return parse_ts(format_ts(value))


def _opt(value: datetime | None) -> datetime | None:
    return _utc(value) if value is not None else None


def _duplicate(what: str) -> ConflictError:
    return ConflictError(
        _(
            "the change collides with another one made meanwhile ({detail}); "
            "nothing was written, try again"
        ).format(detail=f"{what} exists")
    )


class MemoryAuth(AuthUnitOfWork):
    """Sign-in's records on the unit of work's state."""

    _s: _State

    if TYPE_CHECKING:  # given by MemoryUnitOfWork

        def _w(self) -> _State: ...
        def _need_person(self, person_id: str) -> None: ...

    # sign-in links
    def add_sign_in_link(self, link: SignInLink) -> None:
        s = self._w()
        if link.person is not None:
            self._need_person(link.person)
        if link.hash in s.sign_in_links:
            raise _duplicate("sign-in link")
        s.sign_in_links[link.hash] = replace(
            link,
            created_at=_utc(link.created_at),
            expires_at=_utc(link.expires_at),
            used_at=_opt(link.used_at),
        )

    def get_sign_in_link(self, link_hash: str) -> SignInLink | None:
        return self._s.sign_in_links.get(link_hash)

    def use_sign_in_link(self, link_hash: str, at: datetime) -> bool:
        s = self._w()
        link = s.sign_in_links.get(link_hash)
        if link is None or link.used_at is not None:
            return False
        s.sign_in_links[link_hash] = replace(link, used_at=_utc(at))
        return True

    def prune_sign_in_links(self, before: datetime) -> int:
        s = self._w()
        old = [h for h, link in s.sign_in_links.items() if link.expires_at < before]
        for h in old:
            del s.sign_in_links[h]
        return len(old)

    # rate limits
    def add_auth_attempt(self, kind: str, key_hash: str, at: datetime) -> None:
        s = self._w()
        s.last_auth_attempt += 1
        s.auth_attempts[s.last_auth_attempt] = (kind, key_hash, _utc(at))

    def auth_attempts(self, kind: str, key_hash: str, since: datetime) -> list[datetime]:
        return sorted(
            at
            for k, key, at in self._s.auth_attempts.values()
            if (k, key) == (kind, key_hash) and at > since
        )

    def prune_auth_attempts(self, before: datetime) -> int:
        s = self._w()
        old = [i for i, (_k, _key, at) in s.auth_attempts.items() if at < before]
        for i in old:
            del s.auth_attempts[i]
        return len(old)

    # sessions
    def add_session(self, session: StoredSession) -> None:
        s = self._w()
        self._need_person(session.person)
        if session.id in s.sessions or any(
            x.secret_hash == session.secret_hash for x in s.sessions.values()
        ):
            raise _duplicate(f"session '{session.id}'")
        s.sessions[session.id] = replace(
            session,
            created_at=_utc(session.created_at),
            last_seen_at=_utc(session.last_seen_at),
            expires_at=_utc(session.expires_at),
            ended_at=_opt(session.ended_at),
        )

    def get_session(self, session_id: str) -> StoredSession | None:
        return self._s.sessions.get(session_id)

    def find_session(self, secret_hash: str) -> StoredSession | None:
        for x in self._s.sessions.values():
            if x.secret_hash == secret_hash:
                return x
        return None

    def list_sessions(self, person_id: str, now: datetime) -> list[StoredSession]:
        live = [
            x
            for x in self._s.sessions.values()
            if x.person == person_id and x.ended_at is None and x.expires_at > now
        ]
        return sorted(live, key=lambda x: (x.created_at, x.id), reverse=True)

    def touch_session(self, session_id: str, at: datetime) -> None:
        s = self._w()
        if session_id in s.sessions:
            s.sessions[session_id] = replace(s.sessions[session_id], last_seen_at=_utc(at))

    def end_session(self, session_id: str, at: datetime) -> bool:
        s = self._w()
        x = s.sessions.get(session_id)
        if x is None or x.ended_at is not None:
            return False
        s.sessions[session_id] = replace(x, ended_at=_utc(at))
        return True

    def end_sessions(self, person_id: str, at: datetime) -> int:
        s = self._w()
        ids = [i for i, x in s.sessions.items() if x.person == person_id and x.ended_at is None]
        for i in ids:
            s.sessions[i] = replace(s.sessions[i], ended_at=_utc(at))
        return len(ids)

    def prune_sessions(self, before: datetime) -> int:
        s = self._w()
        old = [
            i
            for i, x in s.sessions.items()
            if x.expires_at < before or (x.ended_at is not None and x.ended_at < before)
        ]
        for i in old:
            del s.sessions[i]
        return len(old)

    # personal API tokens
    def add_api_token(self, token: StoredApiToken) -> None:
        s = self._w()
        self._need_person(token.person)
        if token.id in s.api_tokens or any(
            x.secret_hash == token.secret_hash for x in s.api_tokens.values()
        ):
            raise _duplicate(f"API token '{token.id}'")
        s.api_tokens[token.id] = replace(
            token,
            created_at=_utc(token.created_at),
            last_used_at=_opt(token.last_used_at),
            revoked_at=_opt(token.revoked_at),
        )

    def get_api_token(self, token_id: str) -> StoredApiToken | None:
        return self._s.api_tokens.get(token_id)

    def find_api_token(self, secret_hash: str) -> StoredApiToken | None:
        for x in self._s.api_tokens.values():
            if x.secret_hash == secret_hash:
                return x
        return None

    def list_api_tokens(self, person_id: str) -> list[StoredApiToken]:
        mine = [x for x in self._s.api_tokens.values() if x.person == person_id]
        return sorted(mine, key=lambda x: (x.created_at, x.id))

    def touch_api_token(self, token_id: str, at: datetime) -> None:
        s = self._w()
        if token_id in s.api_tokens:
            s.api_tokens[token_id] = replace(s.api_tokens[token_id], last_used_at=_utc(at))

    def revoke_api_token(self, token_id: str, at: datetime) -> bool:
        s = self._w()
        x = s.api_tokens.get(token_id)
        if x is None or x.revoked_at is not None:
            return False
        s.api_tokens[token_id] = replace(x, revoked_at=_utc(at))
        return True
