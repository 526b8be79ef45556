"""Signing people in: one-time links by mail, sessions, personal API tokens,
the trusted proxy's login (see :mod:`regsam_flow.auth` for the records).

Every secret (a link's token, a session's cookie value, an API token) is
made here with :mod:`secrets`, handed out once, stored only as its SHA-256,
looked up by that hash and compared with :func:`hmac.compare_digest`; none
is ever written to the audit log, a log or an error's message.  Every
refusal of a secret is the same :class:`AuthenticationError`, whatever the
reason.  The store is the only state: a session ended or a token revoked
through one server process is refused at once by every other.
"""

from __future__ import annotations

import hmac
import logging
import math
import secrets
from dataclasses import replace
from datetime import datetime, timedelta

from ..auth import (
    ApiTokenInfo,
    Authenticated,
    AuthPolicy,
    NewApiToken,
    SessionGrant,
    SessionInfo,
    SignInLink,
    StoredApiToken,
    StoredSession,
    secret_hash,
)
from ..errors import AuthenticationError, InvalidInputError, NotFoundError, RateLimitedError
from ..i18n import _, language
from ..model import Person
from ..ports import Recipient, SignInNotice, UnitOfWork
from ..validation import check_email, check_text
from . import access
from .context import EngineContext, Tx

__all__ = ["LINK_PREFIX", "SESSION_PREFIX", "TOKEN_PREFIX", "AuthService"]

log = logging.getLogger("regsam_flow")

SESSION_PREFIX = "rf_s_"
TOKEN_PREFIX = "rf_t_"
LINK_PREFIX = "rf_l_"
#: last_seen_at / last_used_at are written at most this often.
TOUCH_EVERY = timedelta(minutes=1)
#: Cut-offs for what a client sends about itself (stored as given, shortened).
CLIENT_MAX, USER_AGENT_MAX = 200, 500
#: The longest address a link is asked for (RFC 5321's path limit).
EMAIL_MAX = 254


def _new_secret(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def _same(stored_hash: str, secret: str) -> bool:
    return hmac.compare_digest(stored_hash, secret_hash(secret))


def _refused() -> AuthenticationError:
    return AuthenticationError(
        _("not signed in: the link, session or token is invalid, expired or used already")
    )


def _printable(value: str, limit: int) -> str:
    """What a client says about itself, without control characters, shortened."""
    return "".join(c for c in value if c.isprintable())[:limit]


def _find_person_by_email(uow: UnitOfWork, email: str) -> Person | None:
    """The one person with this address (case-insensitive); None if none or several."""
    found = [p for p in uow.list_people() if p.email and p.email.strip().lower() == email]
    return found[0] if len(found) == 1 else None


class AuthService:
    """Sign-in links, sessions, personal API tokens, the proxy's login."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx

    @property
    def policy(self) -> AuthPolicy:
        return self.ctx.auth_policy

    # ----------------------------------------------------------- sign-in links
    def request_sign_in(self, email: str, *, browser: str, client: str, link_base: str) -> None:
        """Mail a one-time sign-in link to ``email`` if a person has that
        address; the same work and answer if none has (see :meth:`Engine.request_sign_in`)."""
        address = check_email(email, "email").lower()
        if len(address) > EMAIL_MAX:
            raise InvalidInputError(
                _("email: an address has at most {limit} characters").format(limit=EMAIL_MAX),
                field="email",
            )
        if not browser:
            raise InvalidInputError(_("browser must not be empty"), field="browser")
        p = self.policy
        token = _new_secret(LINK_PREFIX)
        with self.ctx.write() as tx:
            now = tx.now
            since = now - p.window
            waits = []
            for kind, key, limit in (
                ("address", address, p.links_per_address),
                ("client", client, p.links_per_client),
            ):
                times = tx.uow.auth_attempts(kind, secret_hash(key), since)
                if len(times) >= limit:
                    free_at = times[len(times) - limit] + p.window
                    waits.append(max(1, math.ceil((free_at - now).total_seconds())))
            if waits:
                raise RateLimitedError(
                    _("too many sign-in links asked for; try again in {seconds} seconds").format(
                        seconds=max(waits)
                    ),
                    retry_after=max(waits),
                )
            tx.uow.prune_auth_attempts(since)
            tx.uow.prune_sign_in_links(now - timedelta(days=1))
            tx.uow.prune_sessions(now - timedelta(days=1))
            tx.uow.add_auth_attempt("address", secret_hash(address), now)
            tx.uow.add_auth_attempt("client", secret_hash(client), now)
            person = _find_person_by_email(tx.uow, address)
            expires = now + p.link_life
            tx.uow.add_sign_in_link(
                SignInLink(
                    hash=secret_hash(token),
                    person=person.id if person else None,
                    email=address,
                    browser_hash=secret_hash(browser),
                    created_at=now,
                    expires_at=expires,
                )
            )
        if person is None:
            return
        notice = SignInNotice(
            recipient=Recipient(person.id, person.name, person.email, ""),
            link=link_base + token,
            expires_at=expires,
            language=language(),
        )
        try:
            self.ctx.notifier.notify_sign_in(notice)
        except Exception as exc:  # the same answer as for an unknown address
            log.error("sign-in mail to %s not delivered: %s", person.id, type(exc).__name__)

    def redeem_sign_in(
        self, token: str, *, browser: str, client: str = "", user_agent: str = ""
    ) -> SessionGrant:
        """A new session for the link's person (see :meth:`Engine.redeem_sign_in`)."""
        if not token.startswith(LINK_PREFIX):
            raise _refused()
        with self.ctx.write() as tx:
            link = tx.uow.get_sign_in_link(secret_hash(token))
            if (
                link is None
                or link.person is None
                or link.used_at is not None
                or tx.now >= link.expires_at
                or not _same(link.browser_hash, browser)
                or tx.uow.get_person(link.person) is None
                or not tx.uow.use_sign_in_link(link.hash, tx.now)
            ):
                raise _refused()
            return self._start_session(tx, link.person, client, user_agent)

    def _start_session(self, tx: Tx, person: str, client: str, user_agent: str) -> SessionGrant:
        secret = _new_secret(SESSION_PREFIX)
        session = StoredSession(
            id="s_" + secrets.token_hex(8),
            secret_hash=secret_hash(secret),
            person=person,
            created_at=tx.now,
            last_seen_at=tx.now,
            expires_at=tx.now + self.policy.absolute,
            client=_printable(client, CLIENT_MAX),
            user_agent=_printable(user_agent, USER_AGENT_MAX),
        )
        tx.uow.add_session(session)
        tx.audit(
            "sign_in",
            actor=person,
            action="signed_in",
            details={"channel": "web", "session": session.id},
        )
        return SessionGrant(session.id, secret, person, session.expires_at)

    # --------------------------------------------------------------- sessions
    def _idle_expiry(self, s: StoredSession) -> datetime:
        return min(s.last_seen_at + self.policy.idle, s.expires_at)

    def _live(self, s: StoredSession, now: datetime) -> bool:
        return s.ended_at is None and now < s.expires_at and now < self._idle_expiry(s)

    def session(self, secret: str) -> Authenticated:
        """Who holds this session cookie (see :meth:`Engine.session`)."""
        if not secret.startswith(SESSION_PREFIX):
            raise _refused()
        with self.ctx.read() as uow:
            s = uow.find_session(secret_hash(secret))
        now = self.ctx.clock.now()
        if s is None or not _same(s.secret_hash, secret) or not self._live(s, now):
            raise _refused()
        if now - s.last_seen_at >= TOUCH_EVERY:
            with self.ctx.write() as tx:
                tx.uow.touch_session(s.id, tx.now)
        return Authenticated(s.person, "session", session_id=s.id)

    def sign_out(self, secret: str) -> None:
        """End the session of this cookie; an unknown one: nothing happens."""
        if not secret.startswith(SESSION_PREFIX):
            return
        with self.ctx.write() as tx:
            s = tx.uow.find_session(secret_hash(secret))
            if s is None or not _same(s.secret_hash, secret):
                return
            if tx.uow.end_session(s.id, tx.now):
                tx.audit("sign_in", actor=s.person, action="signed_out", details={"session": s.id})

    def sessions(self, *, actor: str) -> list[SessionInfo]:
        """The actor's own live sessions, the newest first."""
        with self.ctx.read() as uow:
            access.person(self.ctx, uow, actor)
            now = self.ctx.clock.now()
            found = uow.list_sessions(actor, now)
        return [
            SessionInfo(
                s.id,
                s.person,
                s.created_at,
                s.last_seen_at,
                s.expires_at,
                self._idle_expiry(s),
                s.client,
            )
            for s in found
            if self._live(s, now)
        ]

    def end_session(self, session_id: str, *, actor: str) -> None:
        """End one of the actor's own live sessions; NotFoundError for any other."""
        with self.ctx.write() as tx:
            access.person(self.ctx, tx.uow, actor)
            s = tx.uow.get_session(session_id)
            if (
                s is None
                or s.person != actor
                or not self._live(s, tx.now)
                or not tx.uow.end_session(s.id, tx.now)
            ):
                raise NotFoundError(
                    _("no session '{session}' of yours").format(session=session_id),
                    kind="session",
                    key=session_id,
                )
            tx.audit("sign_in", actor=actor, action="signed_out", details={"session": s.id})

    def sign_out_everywhere(self, *, actor: str) -> int:
        """End all the actor's sessions; return how many were open."""
        with self.ctx.write() as tx:
            access.person(self.ctx, tx.uow, actor)
            ended = tx.uow.end_sessions(actor, tx.now)
            tx.audit(
                "sign_in",
                actor=actor,
                action="signed_out_everywhere",
                details={"sessions": ended},
            )
        return ended

    # -------------------------------------------------------------- API tokens
    def create_api_token(self, name: str, *, actor: str) -> NewApiToken:
        """A new personal API token of the actor, its secret returned once."""
        name = check_text(name, "name", max_len=64, required=True, multiline=False)
        if not name.isprintable():
            raise InvalidInputError(_("name must contain printable characters only"), field="name")
        with self.ctx.write() as tx:
            access.person(self.ctx, tx.uow, actor)
            live = [t for t in tx.uow.list_api_tokens(actor) if t.revoked_at is None]
            if any(t.name == name for t in live):
                raise InvalidInputError(
                    _(
                        "you have a token named {name!r} already: choose another name "
                        "or revoke that one"
                    ).format(name=name),
                    field="name",
                )
            secret = _new_secret(TOKEN_PREFIX)
            token = StoredApiToken(
                id="t_" + secrets.token_hex(8),
                person=actor,
                name=name,
                secret_hash=secret_hash(secret),
                created_at=tx.now,
            )
            tx.uow.add_api_token(token)
            tx.audit(
                "sign_in",
                actor=actor,
                action="api_token_created",
                details={"id": token.id, "name": name},
            )
        return NewApiToken(token.info(), secret)

    def api_tokens(self, *, actor: str) -> list[ApiTokenInfo]:
        """The actor's own tokens, revoked ones included, the oldest first."""
        with self.ctx.read() as uow:
            access.person(self.ctx, uow, actor)
            return [t.info() for t in uow.list_api_tokens(actor)]

    def revoke_api_token(self, token_id: str, *, actor: str) -> ApiTokenInfo:
        """Revoke one's own token (an admin: anyone's); refused at once everywhere."""
        with self.ctx.write() as tx:
            me = access.person(self.ctx, tx.uow, actor)
            token = tx.uow.get_api_token(token_id)
            if token is None or (token.person != actor and not me.admin):
                raise NotFoundError(
                    _("no API token '{token}' of yours").format(token=token_id),
                    kind="api_token",
                    key=token_id,
                )
            if token.revoked_at is not None:
                return token.info()
            tx.uow.revoke_api_token(token.id, tx.now)
            tx.audit(
                "sign_in",
                actor=actor,
                role="admin" if token.person != actor else "",
                action="api_token_revoked",
                details={"id": token.id, "name": token.name, "person": token.person},
            )
            return replace(token, revoked_at=tx.now).info()

    def authenticate_token(self, secret: str) -> Authenticated:
        """Whose live API token this is (see :meth:`Engine.authenticate_token`)."""
        if not secret.startswith(TOKEN_PREFIX):
            raise _refused()
        with self.ctx.read() as uow:
            t = uow.find_api_token(secret_hash(secret))
        if t is None or not _same(t.secret_hash, secret) or t.revoked_at is not None:
            raise _refused()
        now = self.ctx.clock.now()
        if t.last_used_at is None or now - t.last_used_at >= TOUCH_EVERY:
            with self.ctx.write() as tx:
                tx.uow.touch_api_token(t.id, tx.now)
        return Authenticated(t.person, "token", token_id=t.id, token_name=t.name)

    # -------------------------------------------------------------- the proxy
    def person_for_proxy(self, login: str) -> str:
        """The person the trusted proxy's header names (an id or an email,
        case-insensitive)."""
        wanted = login.strip().lower()
        if not wanted:
            raise _refused()
        with self.ctx.read() as uow:
            people = uow.list_people()
        by_id = [p.id for p in people if p.id.lower() == wanted]
        if len(by_id) == 1:
            return by_id[0]
        by_email = [p.id for p in people if p.email and p.email.strip().lower() == wanted]
        if len(by_email) == 1:
            return by_email[0]
        raise _refused()
