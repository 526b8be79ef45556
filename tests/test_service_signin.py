"""Signing in to ``regsam-flow serve``: a real server process on loopback,
the link read from its Maildir."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from regsam_flow import Engine

from .service_process import Service, link_in, request_link, served, sign_in

ANNA = "anna@regsam.example"


@pytest.fixture
def people(engine: Engine) -> Engine:
    engine.add_person("anna", actor="root", name="Anna Admin-Freund", email=ANNA)
    engine.add_person("ben", actor="root", name="Ben Träger", email="ben@traeger.example")
    return engine


@pytest.fixture
def svc(people: Engine, db_url: str, tmp_path: Path) -> Iterator[Service]:
    with served(db_url, tmp_path / "home") as s:
        yield s


def test_sign_in_through_the_link_in_the_mail(
    svc: Service, people: Engine, measured: Callable[[str], None]
) -> None:
    measured(f"regsam-flow serve: launch to /health 200 in {svc.started_in:.2f} s")
    anna = sign_in(svc, ANNA)
    me = anna.get("/api/v1/session").json()
    assert me["person"] == "anna" and me["channel"] == "web"
    assert me["csrf_token"] and me["expires"] and me["session"]
    # the mail is German by default and says what the link is for
    mail = svc.mails()[-1]
    text = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Anmeld" in str(mail["Subject"]) + text
    assert "mit diesem Link melden Sie sich bei regsam-flow an" in text
    assert "nur einmal" in text and "gültig bis" in text
    assert link_in(mail).startswith(svc.url + "/auth/sign-in/rf_l_")
    # the sign-in is audited with the person as actor, through the web
    entry = [e for e in people.history(actor="audrey") if e.action == "signed_in"][-1]
    assert entry.actor == "anna" and json.loads(entry.details)["channel"] == "web"
    # the listed session is this one
    sessions = anna.get("/api/v1/sessions").json()["items"]
    assert [s["current"] for s in sessions] == [True]


def test_the_link_page_does_not_use_the_link_up(svc: Service) -> None:
    """A mail scanner that fetches the link (GET) signs nobody in."""
    browser = svc.client()
    link = request_link(svc, browser, ANNA)
    with svc.client() as scanner:
        page = scanner.get(link)
        assert page.status_code == 200 and '<form method="post">' in page.text
        assert "<script" not in page.text and "style=" not in page.text
        assert "Anmelden" in page.text  # German first
        assert "rf_session" not in page.headers.get("set-cookie", "")
    assert browser.get(link).status_code == 200
    assert browser.post(link).status_code == 303
    assert browser.get("/api/v1/session").json()["person"] == "anna"


def test_the_same_answer_for_a_known_and_an_unknown_address(svc: Service) -> None:
    with svc.client() as one, svc.client() as other:
        known = one.post("/auth/sign-in", json={"email": ANNA})
        unknown = other.post("/auth/sign-in", json={"email": "nobody@regsam.example"})
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert known.status_code == 202
    assert [m["To"].addresses[0].addr_spec for m in svc.mails()] == [ANNA]  # only the known one


def test_invalid_address_names_the_field(svc: Service) -> None:
    with svc.client() as c:
        r = c.post("/auth/sign-in", json={"email": "not an address"})
    assert r.status_code == 422 and r.json()["field"] == "email"
    assert svc.mails() == []


def test_a_used_link_is_refused(svc: Service) -> None:
    first = svc.client()
    link = request_link(svc, first, ANNA)
    assert first.post(link).status_code == 303
    again = first.post(link, headers={"Accept": "application/json"})
    assert again.status_code == 401 and again.json()["error"] == "not_authenticated"


def test_a_link_from_another_browser_is_refused(svc: Service) -> None:
    asked = svc.client()
    link = request_link(svc, asked, ANNA)
    with svc.client() as foreign:
        r = foreign.post(link)
        assert r.status_code == 401 and "text/html" in r.headers["content-type"]
        assert "rf_session" not in r.headers.get("set-cookie", "")
        assert foreign.get("/api/v1/session").status_code == 401


def test_an_expired_link_is_refused(people: Engine, db_url: str, tmp_path: Path) -> None:
    with served(db_url, tmp_path / "home", ["--link-minutes", "0"]) as svc:
        browser = svc.client()
        link = request_link(svc, browser, ANNA)
        r = browser.post(link, headers={"Accept": "application/json"})
        assert r.status_code == 401 and r.json()["error"] == "not_authenticated"
        assert browser.get("/api/v1/session").json()["error"] == "not_signed_in"


def test_too_many_links_for_one_address_are_refused(
    people: Engine, db_url: str, tmp_path: Path
) -> None:
    with served(db_url, tmp_path / "home", ["--links-per-address", "2"]) as svc:
        for address in (ANNA, "nobody@regsam.example"):  # known or not, the same limit
            with svc.client() as c:
                codes = [c.post("/auth/sign-in", json={"email": address}) for _ in range(3)]
            assert [r.status_code for r in codes] == [202, 202, 429]
            refused = codes[-1]
            assert refused.json()["error"] == "rate_limited"
            assert int(refused.headers["Retry-After"]) > 0
        assert len(svc.mails()) == 2


def test_sign_out_ends_the_session(svc: Service) -> None:
    anna = sign_in(svc, ANNA)
    cookie = anna.cookies["rf_session"]
    r = anna.post("/auth/sign-out")
    assert r.status_code == 200
    assert anna.get("/api/v1/session").status_code == 401
    with svc.client(cookies={"rf_session": cookie}) as replay:  # the old cookie is dead
        assert replay.get("/api/v1/session").json()["error"] == "not_signed_in"


def test_sign_out_everywhere_ends_every_session(svc: Service, people: Engine) -> None:
    laptop = sign_in(svc, ANNA)
    phone = sign_in(svc, ANNA)
    ben = sign_in(svc, "ben@traeger.example")
    assert len(laptop.get("/api/v1/sessions").json()["items"]) == 2
    r = laptop.post("/api/v1/sessions/sign-out-everywhere")
    assert r.status_code == 200 and r.json()["ended"] == 2
    for c in (laptop, phone):
        assert c.get("/api/v1/session").status_code == 401
    assert ben.get("/api/v1/session").json()["person"] == "ben"  # others stay signed in


def test_one_session_can_be_ended_from_another(svc: Service) -> None:
    laptop = sign_in(svc, ANNA)
    phone = sign_in(svc, ANNA)
    phone_id = phone.get("/api/v1/session").json()["session"]
    assert laptop.delete(f"/api/v1/sessions/{phone_id}").status_code == 204
    assert phone.get("/api/v1/session").status_code == 401
    assert laptop.get("/api/v1/session").status_code == 200
    ben = sign_in(svc, "ben@traeger.example")
    laptop_id = laptop.get("/api/v1/session").json()["session"]
    assert ben.delete(f"/api/v1/sessions/{laptop_id}").status_code == 404  # not his
    assert laptop.get("/api/v1/session").status_code == 200


def test_english_on_request(svc: Service) -> None:
    with svc.client(headers={"Accept-Language": "en-GB,en;q=0.9,de;q=0.5"}) as c:
        r = c.get("/api/v1/session")
    assert r.json()["message"] == "Please sign in first."
    with svc.client() as c:
        assert c.get("/api/v1/session").json()["message"] == "Bitte melden Sie sich zuerst an."
    with httpx.Client(base_url=svc.url, headers={"Accept-Language": "fr"}) as c:
        assert c.get("/api/v1/session").json()["message"] == "Bitte melden Sie sich zuerst an."
