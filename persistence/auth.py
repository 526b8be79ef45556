"""Sign-in's records on the unit of work's connection (see
:class:`~regsam_flow.ports.AuthUnitOfWork`): links, sessions, API tokens and
the rate limits' attempts; secrets and keys only as their SHA-256."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, or_, select, update

from regsam_flow.audit import format_ts, parse_ts
from regsam_flow.auth import SignInLink, StoredApiToken, StoredSession
from regsam_flow.ports import AuthUnitOfWork

from . import schema as s

__all__ = ["SqlAuth"]


def _opt(value: datetime | None) -> str | None:
    return format_ts(value) if value is not None else None


def _read(value: str | None) -> datetime | None:
    return parse_ts(value) if value else None


def _link(row: Any) -> SignInLink:
    m = row._mapping
    return SignInLink(
        hash=m["hash"],
        person=m["person_id"],
        email=m["email"],
        browser_hash=m["browser_hash"],
        created_at=parse_ts(m["created_at"]),
        expires_at=parse_ts(m["expires_at"]),
        used_at=_read(m["used_at"]),
    )


def _session(row: Any) -> StoredSession:
    m = row._mapping
    return StoredSession(
        id=m["id"],
        secret_hash=m["secret_hash"],
        person=m["person_id"],
        created_at=parse_ts(m["created_at"]),
        last_seen_at=parse_ts(m["last_seen_at"]),
        expires_at=parse_ts(m["expires_at"]),
        ended_at=_read(m["ended_at"]),
        client=m["client"],
        user_agent=m["user_agent"],
    )


def _token(row: Any) -> StoredApiToken:
    m = row._mapping
    return StoredApiToken(
        id=m["id"],
        person=m["person_id"],
        name=m["name"],
        secret_hash=m["secret_hash"],
        created_at=parse_ts(m["created_at"]),
        last_used_at=_read(m["last_used_at"]),
        revoked_at=_read(m["revoked_at"]),
    )


class SqlAuth(AuthUnitOfWork):
    """Sign-in's reads and writes; a use, an end or a revocation is one
    conditional UPDATE, so of two concurrent ones exactly one succeeds."""

    conn: Connection

    # sign-in links
    def add_sign_in_link(self, link: SignInLink) -> None:
        self.conn.execute(
            insert(s.auth_links).values(
                hash=link.hash,
                person_id=link.person,
                email=link.email,
                browser_hash=link.browser_hash,
                created_at=format_ts(link.created_at),
                expires_at=format_ts(link.expires_at),
                used_at=_opt(link.used_at),
            )
        )

    def get_sign_in_link(self, link_hash: str) -> SignInLink | None:
        row = self.conn.execute(select(s.auth_links).where(s.auth_links.c.hash == link_hash))
        first = row.first()
        return _link(first) if first else None

    def use_sign_in_link(self, link_hash: str, at: datetime) -> bool:
        k = s.auth_links
        result = self.conn.execute(
            update(k)
            .where(k.c.hash == link_hash, k.c.used_at.is_(None))
            .values(used_at=format_ts(at))
        )
        return result.rowcount == 1

    def prune_sign_in_links(self, before: datetime) -> int:
        k = s.auth_links
        return self.conn.execute(delete(k).where(k.c.expires_at < format_ts(before))).rowcount

    # rate limits
    def add_auth_attempt(self, kind: str, key_hash: str, at: datetime) -> None:
        self.conn.execute(
            insert(s.auth_attempts).values(kind=kind, key_hash=key_hash, at=format_ts(at))
        )

    def auth_attempts(self, kind: str, key_hash: str, since: datetime) -> list[datetime]:
        a = s.auth_attempts
        rows = self.conn.execute(
            select(a.c.at)
            .where(a.c.kind == kind, a.c.key_hash == key_hash, a.c.at > format_ts(since))
            .order_by(a.c.at)
        )
        return [parse_ts(r.at) for r in rows]

    def prune_auth_attempts(self, before: datetime) -> int:
        a = s.auth_attempts
        return self.conn.execute(delete(a).where(a.c.at < format_ts(before))).rowcount

    # sessions
    def add_session(self, session: StoredSession) -> None:
        self.conn.execute(
            insert(s.auth_sessions).values(
                id=session.id,
                secret_hash=session.secret_hash,
                person_id=session.person,
                created_at=format_ts(session.created_at),
                last_seen_at=format_ts(session.last_seen_at),
                expires_at=format_ts(session.expires_at),
                ended_at=_opt(session.ended_at),
                client=session.client,
                user_agent=session.user_agent,
            )
        )

    def get_session(self, session_id: str) -> StoredSession | None:
        x = s.auth_sessions
        row = self.conn.execute(select(x).where(x.c.id == session_id)).first()
        return _session(row) if row else None

    def find_session(self, secret_hash: str) -> StoredSession | None:
        x = s.auth_sessions
        row = self.conn.execute(select(x).where(x.c.secret_hash == secret_hash)).first()
        return _session(row) if row else None

    def list_sessions(self, person_id: str, now: datetime) -> list[StoredSession]:
        x = s.auth_sessions
        rows = self.conn.execute(
            select(x)
            .where(
                x.c.person_id == person_id,
                x.c.ended_at.is_(None),
                x.c.expires_at > format_ts(now),
            )
            .order_by(x.c.created_at.desc(), x.c.id.desc())
        )
        return [_session(r) for r in rows]

    def touch_session(self, session_id: str, at: datetime) -> None:
        x = s.auth_sessions
        self.conn.execute(update(x).where(x.c.id == session_id).values(last_seen_at=format_ts(at)))

    def end_session(self, session_id: str, at: datetime) -> bool:
        x = s.auth_sessions
        result = self.conn.execute(
            update(x)
            .where(x.c.id == session_id, x.c.ended_at.is_(None))
            .values(ended_at=format_ts(at))
        )
        return result.rowcount == 1

    def end_sessions(self, person_id: str, at: datetime) -> int:
        x = s.auth_sessions
        result = self.conn.execute(
            update(x)
            .where(x.c.person_id == person_id, x.c.ended_at.is_(None))
            .values(ended_at=format_ts(at))
        )
        return result.rowcount

    def prune_sessions(self, before: datetime) -> int:
        x = s.auth_sessions
        cut = format_ts(before)
        return self.conn.execute(
            delete(x).where(or_(x.c.expires_at < cut, x.c.ended_at < cut))
        ).rowcount

    # personal API tokens
    def add_api_token(self, token: StoredApiToken) -> None:
        self.conn.execute(
            insert(s.api_tokens).values(
                id=token.id,
                person_id=token.person,
                name=token.name,
                secret_hash=token.secret_hash,
                created_at=format_ts(token.created_at),
                last_used_at=_opt(token.last_used_at),
                revoked_at=_opt(token.revoked_at),
            )
        )

    def get_api_token(self, token_id: str) -> StoredApiToken | None:
        t = s.api_tokens
        row = self.conn.execute(select(t).where(t.c.id == token_id)).first()
        return _token(row) if row else None

    def find_api_token(self, secret_hash: str) -> StoredApiToken | None:
        t = s.api_tokens
        row = self.conn.execute(select(t).where(t.c.secret_hash == secret_hash)).first()
        return _token(row) if row else None

    def list_api_tokens(self, person_id: str) -> list[StoredApiToken]:
        t = s.api_tokens
        rows = self.conn.execute(
            select(t).where(t.c.person_id == person_id).order_by(t.c.created_at, t.c.id)
        )
        return [_token(r) for r in rows]

    def touch_api_token(self, token_id: str, at: datetime) -> None:
        t = s.api_tokens
        self.conn.execute(update(t).where(t.c.id == token_id).values(last_used_at=format_ts(at)))

    def revoke_api_token(self, token_id: str, at: datetime) -> bool:
        t = s.api_tokens
        result = self.conn.execute(
            update(t)
            .where(t.c.id == token_id, t.c.revoked_at.is_(None))
            .values(revoked_at=format_ts(at))
        )
        return result.rowcount == 1
