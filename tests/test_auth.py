"""Signing in through the engine (the service's facade): one-time links,
rate limits, sessions with idle and absolute expiry, personal API tokens;
on every store, with the time moved by a FixedClock."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from regsam_flow import Engine
from regsam_flow.auth import AuthPolicy, secret_hash
from regsam_flow.errors import (
    AuthenticationError,
    InvalidInputError,
    NotFoundError,
    RateLimitedError,
)
from regsam_flow.ports import FixedClock, Notifier, ReminderNotice, SignInNotice

from .databases import raw_connection

BASE = "https://flow.example/sign-in?token="
BROWSER = "browser-cookie-value-1"


class Mailbox(Notifier):
    """Keeps the sign-in notices it is given."""

    def __init__(self) -> None:
        self.sign_ins: list[SignInNotice] = []

    def notify(self, notice: ReminderNotice) -> None:  # pragma: no cover - not used here
        raise AssertionError("no reminders here")

    def notify_sign_in(self, notice: SignInNotice) -> None:
        self.sign_ins.append(notice)

    def token(self) -> str:
        return self.sign_ins[-1].link.removeprefix(BASE)


@pytest.fixture
def clock(engine: Engine) -> FixedClock:
    at = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=1)
    fixed = FixedClock(at)
    engine.context.clock = fixed
    return fixed


@pytest.fixture
def mailbox(engine: Engine) -> Mailbox:
    box = Mailbox()
    engine.notifier = box
    return box


@pytest.fixture
def auth(engine: Engine, clock: FixedClock, mailbox: Mailbox) -> Iterator[Engine]:
    engine.add_person("pia", actor="root", name="Pia Provider", email="Pia@Traeger.example")
    yield engine


def later(clock: FixedClock, **delta: float) -> None:
    clock.set(clock.now() + timedelta(**delta))


def sign_in(engine: Engine, mailbox: Mailbox, email: str = "pia@traeger.example") -> str:
    engine.request_sign_in(email, browser=BROWSER, client="10.0.0.1", link_base=BASE)
    return engine.redeem_sign_in(mailbox.token(), browser=BROWSER, client="10.0.0.1").secret


def whole_log(engine: Engine) -> str:
    return json.dumps([e.to_dict() for e in engine.history(actor="root")])


# ------------------------------------------------------------- sign-in links
def test_a_link_signs_in_once(auth: Engine, mailbox: Mailbox, clock: FixedClock) -> None:
    auth.request_sign_in("pia@traeger.example", browser=BROWSER, client="c1", link_base=BASE)
    (notice,) = mailbox.sign_ins
    assert notice.recipient.person == "pia" and notice.recipient.email == "Pia@Traeger.example"
    assert notice.link.startswith(BASE + "rf_l_")
    assert notice.expires_at == clock.now() + timedelta(minutes=15)
    later(clock, minutes=14, seconds=59)
    grant = auth.redeem_sign_in(mailbox.token(), browser=BROWSER, client="c1", user_agent="UA/1")
    assert grant.person == "pia" and grant.secret.startswith("rf_s_")
    assert grant.expires_at == clock.now() + timedelta(days=7)
    who = auth.session(grant.secret)
    assert (who.person, who.kind, who.session_id) == ("pia", "session", grant.session_id)
    with pytest.raises(AuthenticationError) as again:
        auth.redeem_sign_in(mailbox.token(), browser=BROWSER)
    assert mailbox.token() not in str(again.value)
    entry = auth.history(actor="root")[-1]
    assert (entry.action, entry.actor) == ("signed_in", "pia")
    assert json.loads(entry.details) == {"channel": "web", "session": grant.session_id}


def _refusal(auth: Engine, token: str, browser: str = BROWSER) -> str:
    with pytest.raises(AuthenticationError) as exc:
        auth.redeem_sign_in(token, browser=browser)
    assert token not in str(exc.value)
    return str(exc.value)


def test_expired_foreign_browser_and_made_up_links_are_refused_alike(
    auth: Engine, mailbox: Mailbox, clock: FixedClock
) -> None:
    auth.request_sign_in("pia@traeger.example", browser=BROWSER, client="c1", link_base=BASE)
    token = mailbox.token()
    messages = {
        _refusal(auth, token, browser="another-browser"),
        _refusal(auth, "rf_l_" + "x" * 43),
        _refusal(auth, "something"),
    }
    later(clock, minutes=15, seconds=1)
    messages.add(_refusal(auth, token))
    # a used one too
    auth.request_sign_in("pia@traeger.example", browser=BROWSER, client="c1", link_base=BASE)
    auth.redeem_sign_in(mailbox.token(), browser=BROWSER)
    messages.add(_refusal(auth, mailbox.token()))
    assert len(messages) == 1
    assert [e.action for e in auth.history(actor="root")].count("signed_in") == 1


def test_an_unknown_address_gets_no_mail_and_the_same_answer(
    auth: Engine, mailbox: Mailbox
) -> None:
    known = auth.request_sign_in(
        "pia@traeger.example", browser=BROWSER, client="c1", link_base=BASE
    )
    unknown = auth.request_sign_in(
        "nobody@traeger.example", browser=BROWSER, client="c1", link_base=BASE
    )
    assert known is None and unknown is None
    assert len(mailbox.sign_ins) == 1
    since = auth.clock.now() - timedelta(minutes=1)
    with auth.store.read() as uow:
        for address in ("pia@traeger.example", "nobody@traeger.example"):
            assert len(uow.auth_attempts("address", secret_hash(address), since)) == 1
        assert len(uow.auth_attempts("client", secret_hash("c1"), since)) == 2
    # the unknown address's link is stored like the known one, and signs no one in
    assert "nobody" not in whole_log(auth)


@pytest.mark.parametrize("email", ["not an address", "", "x" * 250 + "@traeger.example"])
def test_an_invalid_address_is_refused_naming_the_field(
    auth: Engine, mailbox: Mailbox, email: str
) -> None:
    with pytest.raises(InvalidInputError) as exc:
        auth.request_sign_in(email, browser=BROWSER, client="c1", link_base=BASE)
    assert exc.value.field == "email"
    since = auth.clock.now() - timedelta(days=1)
    with auth.store.read() as uow:
        assert uow.auth_attempts("client", secret_hash("c1"), since) == []  # nothing counted


def test_links_are_rate_limited_per_address(
    engine: Engine, clock: FixedClock, mailbox: Mailbox
) -> None:
    engine.add_person("pia", actor="root", name="Pia", email="pia@traeger.example")
    for i in range(5):
        engine.request_sign_in(
            "PIA@traeger.example", browser=BROWSER, client=f"c{i}", link_base=BASE
        )
        later(clock, minutes=1)
    with pytest.raises(RateLimitedError) as exc:
        engine.request_sign_in("pia@traeger.example", browser=BROWSER, client="c9", link_base=BASE)
    # the first of the five leaves the 15 minutes' window in 10 minutes
    assert exc.value.retry_after == 10 * 60
    assert len(mailbox.sign_ins) == 5
    # another address from another client is not affected
    engine.request_sign_in("root@regsam.example", browser=BROWSER, client="c9", link_base=BASE)
    assert len(mailbox.sign_ins) == 6
    later(clock, minutes=10)
    engine.request_sign_in("pia@traeger.example", browser=BROWSER, client="c9", link_base=BASE)
    assert len(mailbox.sign_ins) == 7


def test_links_are_rate_limited_per_client_known_address_or_not(
    engine: Engine, clock: FixedClock, mailbox: Mailbox
) -> None:
    engine.context.auth_policy = AuthPolicy(links_per_client=3)
    for i in range(3):
        engine.request_sign_in(f"x{i}@example.org", browser=BROWSER, client="c1", link_base=BASE)
    with pytest.raises(RateLimitedError) as exc:
        engine.request_sign_in("root@regsam.example", browser=BROWSER, client="c1", link_base=BASE)
    assert exc.value.retry_after == 15 * 60
    assert mailbox.sign_ins == []  # refused before anything is sent
    engine.request_sign_in("root@regsam.example", browser=BROWSER, client="c2", link_base=BASE)
    assert len(mailbox.sign_ins) == 1


# ------------------------------------------------------------------ sessions
def test_a_session_expires_when_idle(auth: Engine, mailbox: Mailbox, clock: FixedClock) -> None:
    secret = sign_in(auth, mailbox)
    later(clock, hours=7, minutes=59)
    assert auth.session(secret).person == "pia"  # seen again: idle time starts anew
    later(clock, hours=7, minutes=59)
    assert auth.session(secret).person == "pia"
    (info,) = auth.sessions(actor="pia")
    assert info.idle_expires_at == clock.now() + timedelta(hours=8)
    later(clock, hours=8)
    with pytest.raises(AuthenticationError):
        auth.session(secret)
    assert auth.sessions(actor="pia") == []


def test_a_session_expires_absolutely(auth: Engine, mailbox: Mailbox, clock: FixedClock) -> None:
    secret = sign_in(auth, mailbox)
    for _ in range(7 * 4 - 1):
        later(clock, hours=6)
        auth.session(secret)
    later(clock, hours=5, minutes=59)
    assert auth.session(secret).person == "pia"
    later(clock, minutes=1)
    with pytest.raises(AuthenticationError):
        auth.session(secret)


def test_sign_out_ends_the_session_only(auth: Engine, mailbox: Mailbox) -> None:
    first, second = sign_in(auth, mailbox), sign_in(auth, mailbox)
    assert len(auth.sessions(actor="pia")) == 2
    auth.sign_out(first)
    with pytest.raises(AuthenticationError):
        auth.session(first)
    assert auth.session(second).person == "pia"
    auth.sign_out(first)  # again: nothing happens
    auth.sign_out("rf_s_made-up")
    entry = auth.history(actor="root")[-1]
    assert (entry.action, entry.actor) == ("signed_out", "pia")


def test_sign_out_everywhere_and_end_one_of_ones_own_sessions(
    auth: Engine, mailbox: Mailbox
) -> None:
    a, b = sign_in(auth, mailbox), sign_in(auth, mailbox)
    root = sign_in(auth, mailbox, "root@regsam.example")
    sessions = auth.sessions(actor="pia")
    assert {s.person for s in sessions} == {"pia"} and len(sessions) == 2
    root_session = auth.session(root).session_id
    assert root_session is not None
    with pytest.raises(NotFoundError):
        auth.end_session(root_session, actor="pia")  # someone else's
    with pytest.raises(NotFoundError):
        auth.end_session("s_nope", actor="pia")
    auth.end_session(auth.session(a).session_id or "", actor="pia")
    with pytest.raises(AuthenticationError):
        auth.session(a)
    assert auth.sign_out_everywhere(actor="pia") == 1
    with pytest.raises(AuthenticationError):
        auth.session(b)
    assert auth.session(root).person == "root"
    entry = auth.history(actor="root")[-1]
    assert (entry.action, entry.actor, json.loads(entry.details)) == (
        "signed_out_everywhere",
        "pia",
        {"sessions": 1},
    )


# ---------------------------------------------------------------- API tokens
def test_an_api_token_is_shown_once_and_stored_as_its_hash(auth: Engine, clock: FixedClock) -> None:
    new = auth.create_api_token("Auswertung", actor="pia")
    assert new.secret.startswith("rf_t_") and new.to_dict()["token"] == new.secret
    assert "token" not in new.info.to_dict() and new.secret not in repr(new)
    with auth.store.read() as uow:
        stored = uow.get_api_token(new.info.id)
    assert stored is not None and stored.secret_hash == secret_hash(new.secret)
    assert new.secret not in repr(stored)
    (listed,) = auth.api_tokens(actor="pia")
    assert (listed.name, listed.last_used_at, listed.revoked_at) == ("Auswertung", None, None)
    later(clock, minutes=3)
    who = auth.authenticate_token(new.secret)
    assert (who.person, who.kind, who.token_id, who.token_name) == (
        "pia",
        "token",
        new.info.id,
        "Auswertung",
    )
    assert auth.api_tokens(actor="pia")[0].last_used_at == clock.now()
    assert auth.api_tokens(actor="root") == []


def test_a_revoked_token_stops_at_once(auth: Engine) -> None:
    new = auth.create_api_token("script", actor="pia")
    auth.authenticate_token(new.secret)
    revoked = auth.revoke_api_token(new.info.id, actor="pia")
    assert revoked.revoked_at is not None
    with pytest.raises(AuthenticationError) as exc:
        auth.authenticate_token(new.secret)
    assert new.secret not in str(exc.value)
    assert auth.api_tokens(actor="pia")[0].revoked_at == revoked.revoked_at
    # a revoked token's name may be used again
    auth.create_api_token("script", actor="pia")


def test_only_ones_own_token_can_be_revoked_but_an_admin_may(auth: Engine) -> None:
    new = auth.create_api_token("script", actor="root")
    with pytest.raises(NotFoundError):
        auth.revoke_api_token(new.info.id, actor="pia")
    pias = auth.create_api_token("script", actor="pia")
    auth.revoke_api_token(pias.info.id, actor="root")
    with pytest.raises(AuthenticationError):
        auth.authenticate_token(pias.secret)
    entry = auth.history(actor="root")[-1]
    assert (entry.action, entry.actor, entry.role) == ("api_token_revoked", "root", "admin")


@pytest.mark.sqlite_only
def test_a_token_revoked_through_one_server_is_refused_by_another(auth: Engine) -> None:
    other = Engine(auth.url)  # a second server process on the same database file
    try:
        new = auth.create_api_token("script", actor="pia")
        assert other.authenticate_token(new.secret).person == "pia"
        auth.revoke_api_token(new.info.id, actor="pia")
        with pytest.raises(AuthenticationError):
            other.authenticate_token(new.secret)
    finally:
        other.close()


@pytest.mark.parametrize("name", ["", "   ", "x" * 65, "tab\there", "new\nline"])
def test_token_names_are_checked(auth: Engine, name: str) -> None:
    with pytest.raises(InvalidInputError) as exc:
        auth.create_api_token(name, actor="pia")
    assert exc.value.field == "name"
    assert auth.api_tokens(actor="pia") == []


def test_a_live_token_name_is_unique_per_person(auth: Engine) -> None:
    auth.create_api_token("script", actor="pia")
    with pytest.raises(InvalidInputError) as exc:
        auth.create_api_token("script", actor="pia")
    assert exc.value.field == "name"
    auth.create_api_token("script", actor="root")  # another person's


# --------------------------------------------------------------------- audit
def test_the_audit_log_names_the_person_and_holds_no_secret(auth: Engine, mailbox: Mailbox) -> None:
    session = sign_in(auth, mailbox)
    link = mailbox.sign_ins[-1].link
    token = auth.create_api_token("script", actor="pia")
    auth.authenticate_token(token.secret)
    auth.revoke_api_token(token.info.id, actor="pia")
    auth.sign_out(session)
    auth.sign_out_everywhere(actor="pia")
    entries = [e for e in auth.history(actor="root") if e.actor == "pia"]
    assert [e.action for e in entries] == [
        "signed_in",
        "api_token_created",
        "api_token_revoked",
        "signed_out",
        "signed_out_everywhere",
    ]
    text = whole_log(auth)
    for secret in (session, token.secret, link.removeprefix(BASE), secret_hash(session)):
        assert secret not in text
    assert auth.verify(deep=True).ok


def test_the_proxy_header_names_a_person_by_id_or_address(auth: Engine) -> None:
    assert auth.person_for_proxy("PIA") == "pia"
    assert auth.person_for_proxy("pia@traeger.EXAMPLE") == "pia"
    with pytest.raises(AuthenticationError):
        auth.person_for_proxy("mallory")
    with pytest.raises(AuthenticationError):
        auth.person_for_proxy("")


def test_a_session_is_marked_seen_at_most_once_a_minute(
    auth: Engine, mailbox: Mailbox, clock: FixedClock
) -> None:
    secret = sign_in(auth, mailbox)
    start = clock.now()
    later(clock, seconds=59)
    auth.session(secret)
    assert auth.sessions(actor="pia")[0].last_seen_at == start
    later(clock, seconds=1)
    auth.session(secret)
    assert auth.sessions(actor="pia")[0].last_seen_at == clock.now()


# ------------------------------------------------- the database's own rows
@pytest.mark.sql
def test_the_database_holds_hashes_only_and_the_log_no_secret(
    auth: Engine, mailbox: Mailbox
) -> None:
    session = sign_in(auth, mailbox)
    link = mailbox.token()
    auth.request_sign_in("nobody@else.example", browser=BROWSER, client="c2", link_base=BASE)
    token = auth.create_api_token("script", actor="pia")
    auth.authenticate_token(token.secret)
    auth.sign_out(session)
    secrets_given = (session, link, token.secret, BROWSER)
    with raw_connection(auth.url) as raw:
        (row,) = raw.execute("SELECT * FROM api_tokens").fetchall()
        assert row._mapping["secret_hash"] == secret_hash(token.secret)
        (srow,) = raw.execute("SELECT * FROM auth_sessions").fetchall()
        assert srow._mapping["secret_hash"] == secret_hash(session)
        links = raw.execute("SELECT person_id, email FROM auth_links ORDER BY email").fetchall()
        # the unknown address's link is stored like the known one: the same work
        assert [tuple(r) for r in links] == [
            (None, "nobody@else.example"),
            ("pia", "pia@traeger.example"),
        ]
        keys = {r[0] for r in raw.execute("SELECT key_hash FROM auth_attempts")}
        # the rate limits keep addresses and clients only as hashes
        assert {secret_hash("c2"), secret_hash("nobody@else.example")} <= keys
        assert all(re.fullmatch("[0-9a-f]{64}", k) for k in keys)
        stored = ""
        for table in ("api_tokens", "auth_sessions", "auth_links", "auth_attempts", "audit_log"):
            stored += repr([tuple(r) for r in raw.execute(f"SELECT * FROM {table}")])
    for secret in secrets_given:
        assert secret not in stored


def test_callbacks_hear_of_sign_ins_under_their_own_kind(auth: Engine, mailbox: Mailbox) -> None:
    heard: list[tuple[str, str]] = []
    people: list[str] = []
    auth.on("sign_in", lambda ev: heard.append((ev.entry.action, ev.actor)))
    auth.on("person", lambda ev: people.append(ev.entry.action))
    secret = sign_in(auth, mailbox)
    auth.sign_out(secret)
    assert heard == [("signed_in", "pia"), ("signed_out", "pia")]
    assert people == []


def test_old_sessions_are_removed_a_day_after_they_end(
    auth: Engine, mailbox: Mailbox, clock: FixedClock
) -> None:
    ended, live = sign_in(auth, mailbox), sign_in(auth, mailbox)
    ended_id = auth.session(ended).session_id or ""
    auth.sign_out(ended)
    for _ in range(4):  # the live one is used every 6 hours
        later(clock, hours=6)
        auth.session(live)
    later(clock, seconds=1)
    auth.request_sign_in("root@regsam.example", browser=BROWSER, client="c3", link_base=BASE)
    with auth.store.read() as uow:
        assert uow.get_session(ended_id) is None
    assert auth.session(live).person == "pia"
