"""The KG's work through the JSON API, as the people of an area notice it:
a meeting recorded, the catalogue adopted, an order issued to the provider
and reported done by them (and refused when they report someone else's),
goals rated, the final documentation recorded and checked; every change
audited as made by the signed-in person through the API."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from starlette.testclient import TestClient

from regsam_flow import Engine

from .api_kg_app import client
from .conftest import AGREEMENT, PEOPLE

AREA = "hasenbergl-nord"
BASE = f"/api/v1/areas/{AREA}"


def as_(person: str, **headers: str) -> dict[str, str]:
    return {"X-Test-As": person, **headers}


def tick(engine: Engine) -> None:
    """Report every required task of the current phase, each by someone of its roles."""
    holder = {role: pid for pid, (_n, _e, role) in PEOPLE.items()}
    state = engine.get_area(AREA, actor="mia").state
    for t in engine.tasks(AREA, actor="mia", phase=state):
        if t.required and not t.done:
            engine.report_task(AREA, t.id, actor=holder[t.roles[0]])


def kg_area(engine: Engine) -> str:
    """An area on the newest focus-area workflow (its KG records guard the
    steps), in diagnose, one person in each role; ``otto`` holds none."""
    for pid, (name, email, _role) in PEOPLE.items():
        engine.add_person(pid, actor="root", name=name, email=email)
    engine.add_person("otto", actor="root", name="Otto Außen", email="otto@x.example")
    engine.create_area(AREA, actor="root", name="Hasenbergl-Nord", district="24")
    for pid, (_n, _e, role) in PEOPLE.items():
        engine.assign(AREA, role, pid, actor="root")
    engine.set_agreement(AREA, actor="mia", **AGREEMENT)
    engine.sign_agreement(AREA, actor="mia")
    engine.sign_agreement(AREA, actor="sven")
    tick(engine)
    engine.advance(AREA, actor="mia")
    return AREA


@pytest.fixture
def api(engine: Engine) -> TestClient:
    kg_area(engine)
    return client(engine)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def record_meeting(api: TestClient, **extra: Any) -> dict[str, Any]:
    body = {
        "date": "10.11.2026",
        "place": "ASZ Hasenbergl",
        "attendees": ["mia", "sven", "tom"],
        "guests": ["Frau Huber (Bezirksausschuss)"],
        "decisions": ["Das KG tagt monatlich; die Teilnahme ist verbindlich."],
        "minutes": "Erste Sitzung.",
        **extra,
    }
    return ok(api.post(f"{BASE}/meetings", json=body, headers=as_("mia")), 201)  # type: ignore[no-any-return]


def test_the_kg_walks_through_the_api(api: TestClient, engine: Engine) -> None:
    # ---- diagnose: a meeting, the catalogue, its adoption
    first = record_meeting(api)
    assert (first["number"], first["date"], first["place"]) == (1, "2026-11-10", "ASZ Hasenbergl")
    assert first["attendees"][3] == {"person": None, "guest": "Frau Huber (Bezirksausschuss)"}
    listed = ok(api.get(f"{BASE}/meetings", headers=as_("tom")))
    assert listed["total"] == 1 and listed["items"] == [first]
    assert ok(api.get(f"{BASE}/meetings/{first['id']}", headers=as_("sabine"))) == first

    seniors = ok(
        api.post(f"{BASE}/goals", json={"title": "Treffpunkte für Ältere"}, headers=as_("mia")),
        201,
    )
    measure = ok(
        api.post(
            f"{BASE}/goals/{seniors['number']}/measures",
            json={"title": "Seniorencafé im ASZ", "responsible": {"kind": "person", "name": "tom"}},
            headers=as_("mia"),
        ),
        201,
    )
    assert measure["goal"] == seniors["number"]
    assert measure["responsible"] == {"kind": "person", "name": "tom"}
    version = ok(
        api.post(f"{BASE}/catalogue/adoptions", json={"meeting": first["id"]}, headers=as_("mia")),
        201,
    )
    assert version["version"] == 1 and version["goals"][0]["title"] == "Treffpunkte für Ältere"
    catalogue = ok(api.get(f"{BASE}/catalogue", headers=as_("tom")))
    assert catalogue["adopted_version"] == 1 and not catalogue["changed_since_adoption"]
    assert catalogue["catalogue"] == version
    assert ok(api.get(f"{BASE}/catalogue/versions", headers=as_("tom")))["items"] == [version]
    tick(engine)
    engine.advance(AREA, actor="mia")

    # ---- umsetzung: an order to the provider, reported by them
    to_tom = ok(
        api.post(
            f"{BASE}/orders",
            json={
                "meeting": first["id"],
                "title": "Räume für das Seniorencafé suchen",
                "addressee": {"kind": "person", "name": "tom"},
                "due": "30.06.2027",
                "goal": seniors["number"],
            },
            headers=as_("mia"),
        ),
        201,
    )
    assert (to_tom["status"], to_tom["due"], to_tom["kind"]) == ("open", "2027-06-30", "order")
    to_sven = ok(
        api.post(
            f"{BASE}/orders",
            json={
                "meeting": first["id"],
                "title": "Mittel für Streetwork beantragen",
                "addressee": {"kind": "role", "name": "social_planning"},
                "due": "2027-06-01",
                "kind": "recommendation",
            },
            headers=as_("mia"),
        ),
        201,
    )
    mine = ok(api.get(f"{BASE}/orders?mine=true", headers=as_("tom")))
    assert [o["id"] for o in mine["items"]] == [to_tom["id"]]

    # the provider may not report the social planning's order: 403, nothing written
    before = engine.head().entries
    refused = api.post(
        f"{BASE}/orders/{to_sven['id']}/report", json={"status": "done"}, headers=as_("tom")
    )
    assert refused.status_code == 403 and refused.json()["error"] == "not_allowed"
    assert engine.head().entries == before
    assert [o.status for o in engine.work_orders(AREA, actor="mia")] == ["open", "open"]

    done = ok(
        api.post(
            f"{BASE}/orders/{to_tom['id']}/report",
            json={"status": "done", "note": "Raum im ASZ"},
            headers=as_("tom"),
        )
    )
    assert (done["status"], done["updated_by"], done["note"]) == ("done", "tom", "Raum im ASZ")
    ok(
        api.post(
            f"{BASE}/orders/{to_sven['id']}/report", json={"status": "done"}, headers=as_("sven")
        )
    )
    settled = ok(api.get(f"{BASE}/orders?status=done", headers=as_("mia")))
    assert settled["total"] == 2
    resource = ok(
        api.post(
            f"{BASE}/missing-resources",
            json={"text": "Eine halbe Stelle Streetwork", "estimate": "0,5 Stellen"},
            headers=as_("mia"),
        ),
        201,
    )
    assert ok(api.get(f"{BASE}/missing-resources", headers=as_("tom")))["items"] == [resource]
    tick(engine)
    engine.advance(AREA, actor="mia")

    # ---- auswertung: goals rated, the final documentation recorded and checked
    stale = {"If-Match": '"1"'}  # the area's first version: long gone
    before = engine.head().entries
    r = api.put(
        f"{BASE}/goals/{seniors['number']}/rating",
        json={"rating": "partly", "note": "?"},
        headers=as_("sven", **stale),
    )
    assert r.status_code == 412
    assert api.post(f"{BASE}/dossier/final", headers=as_("mia", **stale)).status_code == 412
    assert engine.head().entries == before
    rated = ok(
        api.put(
            f"{BASE}/goals/{seniors['number']}/rating",
            json={"rating": "achieved", "note": "Café läuft"},
            headers=as_("sven"),
        )
    )
    assert (rated["rating"], rated["rated_by"]) == ("achieved", "sven")
    tick(engine)
    final = ok(api.post(f"{BASE}/dossier/final?format=html", headers=as_("mia")), 201)
    content = final["content"].encode("utf-8")
    assert (
        final["sha256"]
        == hashlib.sha256(content).hexdigest()
        == (final["final_document"]["sha256"])
    )
    assert "Café läuft" in final["content"] and "Eine halbe Stelle Streetwork" in final["content"]
    check = ok(
        api.post(
            f"{BASE}/dossier/check?filename=abschluss.html", content=content, headers=as_("audrey")
        )
    )
    assert check["matches"] and check["file"] == "abschluss.html"
    changed = content.replace("Café läuft".encode(), b"alles erreicht")
    assert not ok(api.post(f"{BASE}/dossier/check", content=changed, headers=as_("tom")))["matches"]
    recorded = ok(api.get(f"{BASE}/dossier/final", headers=as_("tom")))["recorded"]
    assert recorded == final["final_document"] and not recorded["stale"]
    rendered = api.get(f"{BASE}/dossier?format=md", headers=as_("tom"))
    assert rendered.status_code == 200
    assert rendered.headers["content-type"] == "text/markdown; charset=utf-8"
    assert rendered.headers["content-disposition"].startswith(
        'attachment; filename="abschlussdokumentation-hasenbergl-nord.md"'
    )
    assert "Treffpunkte für Ältere" in rendered.text

    state = ok(api.get(f"{BASE}/kg", headers=as_("tom")))
    assert state["meetings"]["held"] == 1 and state["goals"] == {
        "total": 1,
        "with_measures": 1,
        "rated": 1,
    }
    assert state["orders"]["done"] == 2 and state["missing_resources"] == 1
    assert state["final_document"] == recorded
    assert engine.fire(AREA, "close", actor="mia").fired is False  # first approval
    assert engine.fire(AREA, "close", actor="sven").fired

    # every change through the API is audited: the person, the channel, the token's name
    entries = [e.to_dict() for e in engine.history(actor="root", area=AREA)]
    by_api = [e for e in entries if e["details"].get("channel") == "api"]
    assert {(e["actor"], e["action"]) for e in by_api} >= {
        ("mia", "meeting_recorded"),
        ("mia", "catalogue_adopted"),
        ("tom", "order_reported"),
        ("sven", "goal_rated"),
        ("mia", "final_documentation_recorded"),
    }
    assert all(e["details"]["token"] == "test" for e in by_api)
    assert not [e for e in entries if e["actor"] == "tom" and e not in by_api]
    assert engine.verify().ok


def test_an_outsider_gets_the_same_answer_for_a_hidden_and_a_missing_area(
    api: TestClient, engine: Engine
) -> None:
    meeting = record_meeting(api)
    paths = [
        ("GET", "/meetings"),
        ("GET", f"/meetings/{meeting['id']}"),
        ("GET", f"/meetings/{meeting['id']}/attachments/1"),
        ("GET", "/goals"),
        ("GET", "/catalogue"),
        ("GET", "/orders"),
        ("GET", "/missing-resources"),
        ("GET", "/kg"),
        ("GET", "/kg/facts"),
        ("GET", "/dossier"),
        ("GET", "/dossier/final"),
        ("GET", "/fields"),
        ("GET", "/votes"),
        ("POST", "/goals"),
        ("POST", "/orders/1/report"),
    ]
    bodies = {"/goals": {"title": "Ziel"}, "/orders/1/report": {"status": "done"}}
    for method, path in paths:
        answers = []
        for area in (AREA, "nirgendwo-sued"):
            r = api.request(
                method,
                f"/api/v1/areas/{area}{path}",
                json=bodies.get(path),
                headers=as_("otto"),
            )
            answers.append((r.status_code, r.text.replace(area, "AREA")))
        assert answers[0] == answers[1], path
        assert answers[0][0] == 404 and '"error":"not_found"' in answers[0][1], path
    assert len(engine.goals(AREA, actor="mia")) == 0


def test_nobody_signed_in_gets_401(api: TestClient) -> None:
    r = api.get(f"{BASE}/meetings")
    assert r.status_code == 401 and r.json()["error"] == "not_signed_in"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/meetings", {"date": "31.02.2026", "place": "ASZ"}, "date"),
        ("/meetings", {"date": "12/03/2026", "place": "ASZ"}, "date"),
        ("/meetings", {"date": "10.11.2026", "place": "ASZ", "attendees": ["otto"]}, "attendee"),
        ("/meetings", {"date": "10.11.2026"}, "place"),
        ("/meetings", {"date": "10.11.2026", "place": "ASZ", "plase": "x"}, "plase"),
        ("/goals", {"title": ""}, "title"),
        ("/goals", {"title": "   "}, "title"),
        (
            "/goals/1/measures",
            {"title": "Café", "responsible": {"kind": "role", "name": "hausmeister"}},
            "responsible",
        ),
        (
            "/goals/1/measures",
            {"title": "Café", "responsible": {"kind": "club", "name": "x"}},
            "responsible.kind",
        ),
        (
            "/orders",
            {
                "meeting": 1,
                "title": "Räume",
                "addressee": {"kind": "person", "name": "tom"},
                "due": "morgen",
            },
            "due",
        ),
        ("/orders", {"meeting": "erste", "title": "x"}, "meeting"),
        ("/missing-resources", {"text": ""}, "text"),
    ],
)
def test_bad_input_is_422_naming_the_field_and_writes_nothing(
    api: TestClient, engine: Engine, path: str, body: dict[str, Any], field: str
) -> None:
    record_meeting(api)
    ok(api.post(f"{BASE}/goals", json={"title": "Treffpunkte"}, headers=as_("mia")), 201)
    before = engine.head().entries
    r = api.post(f"{BASE}{path}", json=body, headers=as_("mia"))
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "invalid_input" and r.json()["field"] == field
    assert engine.head().entries == before


def test_bad_input_in_the_query_names_the_parameter(api: TestClient) -> None:
    r = api.get(f"{BASE}/orders?status=fertig", headers=as_("mia"))
    assert r.status_code == 422 and r.json()["field"] == "status"
    r = api.get(f"{BASE}/dossier?format=pdf", headers=as_("mia"))
    assert r.status_code == 422 and r.json()["field"] == "format"


def test_a_stale_if_match_is_412_and_writes_nothing(api: TestClient, engine: Engine) -> None:
    seen = engine.get_area(AREA, actor="mia").version
    record_meeting(api)  # someone else changes the area meanwhile
    before = engine.head().entries
    r = api.post(
        f"{BASE}/goals",
        json={"title": "Treffpunkte für Ältere"},
        headers=as_("mia", **{"If-Match": f'"{seen}"'}),
    )
    assert r.status_code == 412 and r.json()["error"] == "conflict"
    assert engine.head().entries == before and engine.goals(AREA, actor="mia") == []
    r = api.post(
        f"{BASE}/missing-resources",
        json={"text": "Stelle"},
        headers=as_("mia", **{"If-Match": f'"{seen}"'}),
    )
    assert r.status_code == 412 and engine.missing_resources(AREA, actor="mia") == []
    current = engine.get_area(AREA, actor="mia").version
    ok(
        api.post(
            f"{BASE}/goals",
            json={"title": "Treffpunkte für Ältere"},
            headers=as_("mia", **{"If-Match": f'"{current}"'}),
        ),
        201,
    )
    r = api.post(
        f"{BASE}/goals", json={"title": "x"}, headers=as_("mia", **{"If-Match": "version 7"})
    )
    assert r.status_code == 422 and r.json()["field"] == "If-Match"


def test_attachments_round_trip_byte_exact(api: TestClient, engine: Engine) -> None:
    meeting = record_meeting(api)
    url = f"{BASE}/meetings/{meeting['id']}/attachments"
    content = bytes(range(256)) * 1000 + b"\r\n\x00Ende"
    added = ok(
        api.post(
            f"{url}?filename=Protokoll März 2026.pdf",
            content=content,
            headers=as_("sven", **{"Content-Type": "application/pdf"}),
        ),
        201,
    )
    assert added["filename"] == "Protokoll März 2026.pdf"
    assert (added["media_type"], added["size"]) == ("application/pdf", len(content))
    assert added["sha256"] == hashlib.sha256(content).hexdigest()
    got = api.get(f"{url}/{added['id']}", headers=as_("tom"))
    assert got.status_code == 200 and got.content == content
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"] == (
        'attachment; filename="Protokoll Marz 2026.pdf"; '
        "filename*=UTF-8''Protokoll%20M%C3%A4rz%202026.pdf"
    )
    assert got.headers["x-content-type-options"] == "nosniff"
    shown = ok(api.get(f"{BASE}/meetings/{meeting['id']}", headers=as_("tom")))
    assert shown["attachments"] == [added]

    # a path is cut to its last part; a name that would break the header is cleaned
    odd = ok(
        api.post(
            f"{url}?filename=../../etc/notiz.txt",
            content=b"Notiz",
            headers=as_("mia", **{"Content-Type": "text/plain"}),
        ),
        201,
    )
    assert odd["filename"] == "notiz.txt"
    quoted = ok(
        api.post(
            f'{url}?filename=a";b.txt',
            content=b"x",
            headers=as_("mia", **{"Content-Type": "application/octet-stream"}),
        ),
        201,
    )
    assert quoted["media_type"] == "text/plain"  # guessed from the name
    header = api.get(f"{url}/{quoted['id']}", headers=as_("mia")).headers["content-disposition"]
    assert header == "attachment; filename=\"a_b.txt\"; filename*=UTF-8''a_b.txt"

    # not of this meeting, or another area's: no such attachment
    assert api.get(f"{url}/999", headers=as_("mia")).status_code == 404


def test_an_attachment_over_5_mb_is_refused_before_it_is_read(
    api: TestClient, engine: Engine
) -> None:
    meeting = record_meeting(api)
    before = engine.head().entries
    r = api.post(
        f"{BASE}/meetings/{meeting['id']}/attachments?filename=gross.bin",
        content=b"x" * (5 * 1024 * 1024 + 1),
        headers=as_("mia"),
    )
    assert r.status_code == 413 and r.json()["error"] == "too_large"
    assert r.json()["message"] == "Die Datei ist größer als 5 MB; es wurde nichts gespeichert."
    assert engine.head().entries == before
    r = api.post(
        f"{BASE}/meetings/{meeting['id']}/attachments?filename=leer.txt",
        content=b"",
        headers=as_("mia"),
    )
    assert r.status_code == 422 and r.json()["field"] == "attachment"


def test_a_provider_may_not_record_a_meeting_or_attach_a_file(
    api: TestClient, engine: Engine
) -> None:
    meeting = record_meeting(api)
    before = engine.head().entries
    r = api.post(f"{BASE}/meetings", json={"date": "10.11.2026", "place": "x"}, headers=as_("tom"))
    assert r.status_code == 403 and r.json()["error"] == "not_allowed"
    r = api.post(
        f"{BASE}/meetings/{meeting['id']}/attachments?filename=a.txt",
        content=b"x",
        headers=as_("tom"),
    )
    assert r.status_code == 403
    assert engine.head().entries == before


def test_errors_speak_the_callers_language(api: TestClient) -> None:
    body = {"date": "31.02.2026", "place": "ASZ"}
    de = api.post(f"{BASE}/meetings", json=body, headers=as_("mia")).json()["message"]
    en = api.post(
        f"{BASE}/meetings", json=body, headers=as_("mia", **{"Accept-Language": "en"})
    ).json()["message"]
    assert de != en and "31.02.2026" in de and "31.02.2026" in en


def test_the_real_service_takes_attachments_up_to_their_own_limit(engine: Engine) -> None:
    """Through create_app (its 1 MiB body limit): a 2 MB attachment is
    stored byte for byte, one over 5 MB gets the route's own answer, and a
    2 MB body anywhere else is still refused."""
    from .api_app import ServiceClient

    kg_area(engine)
    real = ServiceClient(engine)
    meeting = record_meeting(real)
    scan = bytes(range(256)) * (2 * 1024 * 1024 // 256)
    stored = real.post(
        f"{BASE}/meetings/{meeting['id']}/attachments?filename=protokoll.pdf",
        content=scan,
        headers=as_("mia", **{"Content-Type": "application/pdf"}),
    )
    assert stored.status_code == 201, stored.text
    back = real.get(
        f"{BASE}/meetings/{meeting['id']}/attachments/{stored.json()['id']}", headers=as_("mia")
    )
    assert back.content == scan
    big = real.post(
        f"{BASE}/meetings/{meeting['id']}/attachments?filename=gross.bin",
        content=b"x" * (5 * 1024 * 1024 + 1),
        headers=as_("mia"),
    )
    assert big.status_code == 413
    assert big.json()["message"] == "Die Datei ist größer als 5 MB; es wurde nichts gespeichert."
    elsewhere = real.post(f"{BASE}/goals", content=b"x" * (2 * 1024 * 1024), headers=as_("mia"))
    assert elsewhere.status_code == 413 and elsewhere.json()["error"] == "too_large"
