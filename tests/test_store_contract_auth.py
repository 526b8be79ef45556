"""The contract of sign-in's records (:class:`~regsam_flow.ports.AuthUnitOfWork`)
on every store: links used once, sessions and tokens found by their hash,
ended and revoked once, the rate limits' attempts counted and pruned."""

from __future__ import annotations

from datetime import timedelta

import pytest

from regsam_flow.auth import SignInLink, StoredApiToken, StoredSession, secret_hash
from regsam_flow.errors import ConflictError
from regsam_flow.ports import Store

from .test_store_contract import T0, populate, store

__all__ = ["store"]

pytestmark = pytest.mark.every_store("sign-in's records: every store gives the same answers")

H1, H2, B = secret_hash("one"), secret_hash("two"), secret_hash("browser")


def link(h: str, person: str | None = "p1", minutes: int = 15) -> SignInLink:
    return SignInLink(h, person, "p1@example.org", B, T0, T0 + timedelta(minutes=minutes))


def session(sid: str, person: str = "p1", h: str = H1, days: int = 7) -> StoredSession:
    return StoredSession(sid, h, person, T0, T0, T0 + timedelta(days=days), None, "127.0.0.1", "UA")


def token(tid: str, name: str = "script", h: str = H1, person: str = "p1") -> StoredApiToken:
    return StoredApiToken(tid, person, name, h, T0)


def test_a_link_is_stored_with_or_without_a_person_and_used_once(store: Store) -> None:
    with store.write() as uow:
        populate(uow)
        uow.add_sign_in_link(link(H1))
        uow.add_sign_in_link(link(H2, person=None))
    with store.write() as uow:
        assert uow.get_sign_in_link(H1) == link(H1)
        got = uow.get_sign_in_link(H2)
        assert got is not None and got.person is None and got.browser_hash == B
        assert uow.get_sign_in_link(secret_hash("other")) is None
        assert uow.use_sign_in_link(H1, T0 + timedelta(minutes=1))
        assert not uow.use_sign_in_link(H1, T0 + timedelta(minutes=2))  # once only
        assert not uow.use_sign_in_link(secret_hash("other"), T0)
    with store.read() as uow:
        used = uow.get_sign_in_link(H1)
        assert used is not None and used.used_at == T0 + timedelta(minutes=1)


def test_expired_links_are_pruned(store: Store) -> None:
    with store.write() as uow:
        populate(uow)
        uow.add_sign_in_link(link(H1, minutes=15))
        uow.add_sign_in_link(link(H2, minutes=60))
    with store.write() as uow:
        assert uow.prune_sign_in_links(T0 + timedelta(minutes=30)) == 1
    with store.read() as uow:
        assert uow.get_sign_in_link(H1) is None
        assert uow.get_sign_in_link(H2) is not None


def test_a_link_or_session_for_a_missing_person_is_refused(store: Store) -> None:
    with store.write() as uow:
        populate(uow)
    with pytest.raises(ConflictError), store.write() as uow:
        uow.add_session(session("s1", person="nobody"))
    with pytest.raises(ConflictError), store.write() as uow:
        uow.add_api_token(token("t1", person="nobody"))
    with store.read() as uow:
        assert uow.get_session("s1") is None and uow.get_api_token("t1") is None


def test_attempts_are_counted_in_their_window_and_pruned(store: Store) -> None:
    k1, k2 = secret_hash("a@example.org"), secret_hash("b@example.org")
    with store.write() as uow:
        for minutes in (0, 5, 20):
            uow.add_auth_attempt("address", k1, T0 + timedelta(minutes=minutes))
        uow.add_auth_attempt("client", k1, T0)
        uow.add_auth_attempt("address", k2, T0)
    with store.read() as uow:
        assert uow.auth_attempts("address", k1, T0 + timedelta(minutes=4)) == [
            T0 + timedelta(minutes=5),
            T0 + timedelta(minutes=20),
        ]
        # an attempt exactly at ``since`` is out of the window
        assert uow.auth_attempts("address", k1, T0 + timedelta(minutes=5)) == [
            T0 + timedelta(minutes=20)
        ]
        assert uow.auth_attempts("client", k1, T0 - timedelta(seconds=1)) == [T0]
        assert uow.auth_attempts("client", k2, T0) == []
    with store.write() as uow:
        assert uow.prune_auth_attempts(T0 + timedelta(minutes=1)) == 3
    with store.read() as uow:
        assert len(uow.auth_attempts("address", k1, T0 - timedelta(days=1))) == 2


def test_sessions_are_found_by_hash_listed_live_and_ended_once(store: Store) -> None:
    with store.write() as uow:
        populate(uow)
        uow.add_session(session("s1"))
        uow.add_session(session("s2", h=H2, days=1))
        uow.add_session(session("s3", person="p2", h=secret_hash("three")))
    with store.write() as uow:
        assert uow.find_session(H1) == session("s1")
        assert uow.get_session("s2") == session("s2", h=H2, days=1)
        assert uow.find_session(secret_hash("none")) is None
        assert [x.id for x in uow.list_sessions("p1", T0)] == ["s2", "s1"]
        # past its absolute expiry a session is no longer listed
        assert [x.id for x in uow.list_sessions("p1", T0 + timedelta(days=2))] == ["s1"]
        uow.touch_session("s1", T0 + timedelta(hours=1))
        assert uow.end_session("s2", T0 + timedelta(hours=2))
        assert not uow.end_session("s2", T0 + timedelta(hours=3))
        assert not uow.end_session("nope", T0)
    with store.read() as uow:
        s1, s2 = uow.get_session("s1"), uow.get_session("s2")
        assert s1 is not None and s1.last_seen_at == T0 + timedelta(hours=1)
        assert s2 is not None and s2.ended_at == T0 + timedelta(hours=2)
        assert [x.id for x in uow.list_sessions("p1", T0)] == ["s1"]
    with store.write() as uow:
        assert uow.end_sessions("p1", T0 + timedelta(hours=4)) == 1
    with store.read() as uow:
        assert uow.list_sessions("p1", T0) == []
        assert [x.id for x in uow.list_sessions("p2", T0)] == ["s3"]  # others untouched


def test_ended_and_expired_sessions_are_pruned(store: Store) -> None:
    with store.write() as uow:
        populate(uow)
        uow.add_session(session("s1", days=1))  # expires T0 + 1 day
        uow.add_session(session("s2", h=H2))  # ended at T0 + 1 hour
        uow.add_session(session("s3", h=secret_hash("three")))  # live
        uow.end_session("s2", T0 + timedelta(hours=1))
    with store.write() as uow:
        assert uow.prune_sessions(T0 + timedelta(hours=1)) == 0
        assert uow.prune_sessions(T0 + timedelta(days=2)) == 2
    with store.read() as uow:
        assert [uow.get_session(i) is not None for i in ("s1", "s2", "s3")] == [False, False, True]


def test_a_duplicate_session_secret_is_refused(store: Store) -> None:
    with store.write() as uow:
        populate(uow)
        uow.add_session(session("s1"))
    with pytest.raises(ConflictError), store.write() as uow:
        uow.add_session(session("s2"))  # the same secret hash


def test_api_tokens_are_found_by_hash_listed_touched_and_revoked_once(store: Store) -> None:
    with store.write() as uow:
        populate(uow)
        uow.add_api_token(token("t1"))
        uow.add_api_token(token("t2", name="backup", h=H2))
        uow.add_api_token(token("t3", h=secret_hash("three"), person="p2"))
    with store.write() as uow:
        assert uow.find_api_token(H2) == token("t2", name="backup", h=H2)
        assert uow.find_api_token(secret_hash("none")) is None
        uow.touch_api_token("t1", T0 + timedelta(minutes=3))
        assert uow.revoke_api_token("t2", T0 + timedelta(minutes=4))
        assert not uow.revoke_api_token("t2", T0 + timedelta(minutes=5))
        assert not uow.revoke_api_token("nope", T0)
    with store.read() as uow:
        listed = uow.list_api_tokens("p1")
        assert [(x.id, x.name) for x in listed] == [("t1", "script"), ("t2", "backup")]
        assert listed[0].last_used_at == T0 + timedelta(minutes=3)
        assert listed[1].revoked_at == T0 + timedelta(minutes=4)
        assert uow.get_api_token("t3") == token("t3", h=secret_hash("three"), person="p2")
        assert [x.id for x in uow.list_api_tokens("p2")] == ["t3"]


def test_nothing_is_kept_when_the_unit_fails(store: Store) -> None:
    with store.write() as uow:
        populate(uow)
    with pytest.raises(RuntimeError), store.write() as uow:
        uow.add_session(session("s1"))
        uow.add_api_token(token("t1"))
        uow.add_sign_in_link(link(H1))
        raise RuntimeError("boom")
    with store.read() as uow:
        assert uow.get_session("s1") is None
        assert uow.get_api_token("t1") is None
        assert uow.get_sign_in_link(H1) is None
