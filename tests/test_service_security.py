"""The service as the trust boundary: CSRF, API tokens, headers, size
limits, the trusted proxy, secrets kept out of the log, the audit trail.
Against real ``regsam-flow serve`` processes on loopback."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from regsam_flow import Engine

from .service_process import Service, bearer, link_in, request_link, served, sign_in

ANNA = "anna@regsam.example"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


@pytest.fixture
def people(engine: Engine) -> Engine:
    engine.add_person("anna", actor="root", name="Anna Admin-Freund", email=ANNA)
    return engine


@pytest.fixture
def svc(people: Engine, db_url: str, tmp_path: Path) -> Iterator[Service]:
    with served(db_url, tmp_path / "home") as s:
        yield s


def test_a_change_without_the_csrf_token_is_refused(svc: Service) -> None:
    anna = sign_in(svc, ANNA)
    token = anna.headers.pop("X-CSRF-Token")
    for headers in ({}, {"X-CSRF-Token": "0" * 64}, {"X-CSRF-Token": token[:-1]}):
        r = anna.post("/api/v1/tokens", json={"name": "csrf"}, headers=headers)
        assert r.status_code == 403 and r.json()["error"] == "csrf_failed"
    r = anna.post("/auth/sign-out")
    assert r.status_code == 403
    assert anna.get("/api/v1/tokens").json()["items"] == []  # nothing written
    assert anna.get("/api/v1/session").status_code == 200  # still signed in
    r = anna.post("/api/v1/tokens", json={"name": "csrf"}, headers={"X-CSRF-Token": token})
    assert r.status_code == 201


def test_api_tokens_need_no_csrf_and_are_listed_with_last_use(svc: Service) -> None:
    token = bearer(svc, ANNA, name="sync script")
    with svc.client(token=token) as script:
        me = script.get("/api/v1/session").json()
        assert (me["person"], me["channel"], me["token_name"]) == ("anna", "api", "sync script")
        assert me["csrf_token"] is None
        r = script.post("/api/v1/tokens", json={"name": "second"})
        assert r.status_code == 201 and r.json()["token"].startswith("rf_t_")
        listed = script.get("/api/v1/tokens").json()["items"]
    assert sorted(t["name"] for t in listed) == ["second", "sync script"]
    assert all("token" not in t for t in listed)  # shown once, never again
    used = next(t for t in listed if t["name"] == "sync script")
    assert used["last_used_at"] is not None


def test_a_revoked_token_stops_working_at_once_on_every_process(
    svc: Service, db_url: str, tmp_path: Path
) -> None:
    token = bearer(svc, ANNA)
    anna = sign_in(svc, ANNA)
    with (
        served(db_url, tmp_path / "home") as second,  # the same database, another process
        svc.client(token=token) as one,
        second.client(token=token) as two,
    ):
        assert one.get("/api/v1/session").status_code == 200
        assert two.get("/api/v1/session").status_code == 200
        # one secret key for the processes of one data folder: the session works on both
        with second.client(cookies={"rf_session": anna.cookies["rf_session"]}) as there:
            assert there.get("/api/v1/session").json()["person"] == "anna"
        token_id = one.get("/api/v1/tokens").json()["items"][0]["id"]
        r = one.delete(f"/api/v1/tokens/{token_id}")
        assert r.status_code == 200 and r.json()["revoked_at"]
        for c in (two, one):
            refused = c.get("/api/v1/session")
            assert refused.status_code == 401
            assert refused.json()["error"] == "not_authenticated"
            assert "Bearer" in refused.headers["WWW-Authenticate"]


def test_security_headers_on_every_answer(svc: Service) -> None:
    anna = sign_in(svc, ANNA)
    link = request_link(svc, svc.client(), ANNA)
    answers = {
        "health": svc.client().get("/health"),
        "sign-in page": svc.client().get(link),
        "not signed in": svc.client().get("/api/v1/session"),
        "not found": svc.client().get("/no/such/thing"),
        "bad token": svc.client(token="rf_t_nonsense").get("/api/v1/session"),
        "csrf": anna.post("/api/v1/tokens", json={"name": "x"}, headers={"X-CSRF-Token": ""}),
        "invalid": anna.post("/api/v1/tokens", json={}),
        "too large": svc.client().post("/auth/sign-in", content=b"{" * (2 << 20)),
        "openapi": svc.client().get("/api/v1/openapi.json"),
    }
    for what, r in answers.items():
        assert r.headers["Content-Security-Policy"] == CSP, what
        assert r.headers["X-Content-Type-Options"] == "nosniff", what
        assert r.headers["Referrer-Policy"] == "no-referrer", what
        assert r.headers["Cache-Control"] == "no-store", what
        assert "Strict-Transport-Security" not in r.headers, what  # plain http here
        assert "server" not in r.headers, what
    assert answers["health"].json() == {"status": "ok", "schema": "current"}
    assert answers["invalid"].status_code == 422 and answers["invalid"].json()["field"] == "name"
    assert "/api/v1/tokens" in answers["openapi"].json()["paths"]


def test_https_base_url_gives_hsts_and_secure_cookies(
    people: Engine, db_url: str, tmp_path: Path
) -> None:
    with served(db_url, tmp_path / "home", ["--base-url", "https://flow.example.org"]) as svc:
        with svc.client() as c:
            r = c.post("/auth/sign-in", json={"email": ANNA})
        assert r.headers["Strict-Transport-Security"].startswith("max-age=")
        cookie = r.headers["set-cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert link_in(svc.mails()[-1]).startswith("https://flow.example.org/auth/sign-in/")


def test_a_too_large_body_is_refused(svc: Service) -> None:
    big = b"x" * ((1 << 20) + 1)
    with svc.client() as c:
        r = c.post("/auth/sign-in", content=big, headers={"Content-Type": "application/json"})
        assert r.status_code == 413 and r.json()["error"] == "too_large"

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            for _ in range(20):
                yield b"x" * (64 << 10)

        r = c.post("/auth/sign-in", content=chunks())
        assert r.status_code == 413 and r.json()["error"] == "too_large"
    with svc.client() as c:  # the server is fine afterwards
        assert c.get("/health").status_code == 200
    assert svc.mails() == []


def test_no_secret_in_the_log(svc: Service) -> None:
    browser = svc.client()
    link = request_link(svc, browser, ANNA)
    browser.get(link)
    browser.post(link)
    secrets = {
        "link": link,
        "link token": link.rsplit("/", 1)[1],
        "session cookie": browser.cookies["rf_session"],
        "session secret": browser.cookies["rf_session"].rsplit(".", 1)[0],
        "browser cookie": browser.cookies["rf_browser"],
        "csrf token": browser.get("/api/v1/session").json()["csrf_token"],
    }
    token = bearer(svc, ANNA)
    secrets["api token"] = token
    with svc.client(token=token) as c:
        c.get("/api/v1/session")
        c.get("/api/v1/tokens", params={"token": token})  # even a secret in a query string
    secrets["service secret"] = (svc.home / "service-secret").read_text().strip()
    svc.stop()
    log = svc.log()
    assert '"POST /auth/sign-in/…" 303' in log  # requests are logged, the link's token cut off
    for what, secret in secrets.items():
        assert secret and secret not in log, what


def test_the_secret_key_file_is_private(svc: Service) -> None:
    mode = stat.S_IMODE(os.stat(svc.home / "service-secret").st_mode)
    assert mode == 0o600


def test_the_proxy_header_counts_only_from_a_trusted_address(
    people: Engine, db_url: str, tmp_path: Path
) -> None:
    as_anna = {"X-Remote-User": ANNA}
    untrusted = ["--trusted-proxy", "10.0.0.0/8", "--links-per-client", "2"]
    with served(db_url, tmp_path / "home", untrusted) as svc:
        with svc.client(headers=as_anna) as c:  # loopback is not the proxy: ignored
            assert c.get("/api/v1/session").json()["error"] == "not_signed_in"
        codes = []
        for i in range(3):  # nor does its X-Forwarded-For count
            with svc.client(headers={"X-Forwarded-For": f"192.0.2.{i}"}) as c:
                codes.append(c.post("/auth/sign-in", json={"email": f"{i}@x.example"}).status_code)
        assert codes == [202, 202, 429]
    proxied = ["--trusted-proxy", "127.0.0.1", "--proxy-header", "X-SSO", "--links-per-client", "2"]
    with served(db_url, tmp_path / "home", proxied) as svc:
        # behind the proxy, the rate limit counts the address the proxy forwards
        for client, codes in (("192.0.2.1", [202, 202, 429]), ("192.0.2.2", [202])):
            with svc.client(headers={"X-Forwarded-For": f"203.0.113.9, {client}"}) as c:
                got = [
                    c.post("/auth/sign-in", json={"email": f"{client}-{i}@x.example"})
                    for i in range(len(codes))
                ]
            assert [r.status_code for r in got] == codes, client
        with svc.client(headers=as_anna) as c:  # the configured header only
            assert c.get("/api/v1/session").status_code == 401
        with svc.client(headers={"X-SSO": "ANNA@regsam.example"}) as c:
            me = c.get("/api/v1/session").json()
            assert (me["person"], me["channel"]) == ("anna", "web")
            refused = c.post("/api/v1/tokens", json={"name": "t"})
            assert refused.json()["error"] == "csrf_failed"  # a browser: CSRF applies
            r = c.post(
                "/api/v1/tokens", json={"name": "t"}, headers={"X-CSRF-Token": me["csrf_token"]}
            )
            assert r.status_code == 201
        with svc.client(headers={"X-SSO": "nobody"}) as c:
            assert c.get("/api/v1/session").json()["error"] == "not_authenticated"


def test_the_audit_log_names_person_channel_and_token(svc: Service, people: Engine) -> None:
    anna = sign_in(svc, ANNA)
    made = anna.post("/api/v1/tokens", json={"name": "nightly export"})
    token = made.json()["token"]
    with svc.client(token=token) as script:
        second = script.post("/api/v1/tokens", json={"name": "by script"}).json()
    anna.delete(f"/api/v1/tokens/{second['id']}")
    entries = {
        (e.action, json.loads(e.details).get("name")): (e.actor, json.loads(e.details))
        for e in people.history(actor="audrey")
        if e.action.startswith("api_token")
    }
    actor, web = entries[("api_token_created", "nightly export")]
    assert (actor, web["channel"]) == ("anna", "web") and "token" not in web
    actor, api = entries[("api_token_created", "by script")]
    assert (actor, api["channel"], api["token"]) == ("anna", "api", "nightly export")
    actor, revoked = entries[("api_token_revoked", "by script")]
    assert (actor, revoked["channel"]) == ("anna", "web")
    for e in people.history(actor="audrey"):
        assert token not in e.details


def test_serve_refuses_a_database_without_the_current_schema(tmp_path: Path) -> None:
    from .service_process import start

    with pytest.raises(RuntimeError) as err:
        start(f"sqlite:///{tmp_path / 'empty.db'}", tmp_path / "home")
    assert "serve exited with 1" in str(err.value)
    assert "regsam-flow init" in str(err.value)
