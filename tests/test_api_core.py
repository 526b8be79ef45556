"""The JSON API's routers for people, areas, the agreement, tasks,
transitions, reviews, the inbox, the log and the workflows, as a user of
the API notices them (in-process, through tests/api_app.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from regsam_flow import Engine
from regsam_flow.persistence.memory import MemoryStore
from regsam_flow.service.api import ROUTERS

from .api_app import client_for, make_app, service_client_for
from .cli_helpers import Cli
from .conftest import AGREEMENT, report, sign_agreement

API = "/api/v1"


def as_(who: str, **more: str) -> dict[str, str]:
    return {"X-Test-As": who, **more}


#: The app a test runs against: the routers alone with the test caller
#: header, and the real service with real API tokens.
APPS = {"test_app": client_for, "service": service_client_for}


@pytest.fixture(params=sorted(APPS))
def app_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture
def client(engine: Engine, app_kind: str) -> TestClient:
    return APPS[app_kind](engine)


def _outsider(engine: Engine) -> None:
    engine.add_person("otto", actor="root", name="Otto Außenstehend", email="otto@example.org")


def _audit_head(client: TestClient) -> str:
    r = client.get(f"{API}/audit/head", headers=as_("root"))
    assert r.status_code == 200
    head: str = r.json()["head"]
    return head


def _to_diagnose(engine: Engine, area: str) -> None:
    sign_agreement(engine, area)
    report(engine, area, "vorlauf")
    engine.advance(area, actor="mia")


# ------------------------------------------------------------------ providers
def test_a_provider_lists_only_their_areas_and_reports_a_task(
    engine: Engine, area: str, client: TestClient
) -> None:
    engine.create_area("milbertshofen", actor="root", name="Milbertshofen")
    _to_diagnose(engine, area)

    listed = client.get(f"{API}/areas", headers=as_("tom"))
    assert listed.status_code == 200
    assert [a["area"] for a in listed.json()["items"]] == [area]
    assert listed.json()["total"] == 1
    everything = client.get(f"{API}/areas", headers=as_("root")).json()
    assert {a["area"] for a in everything["items"]} == {area, "milbertshofen"}

    done = client.post(
        f"{API}/areas/{area}/tasks/teilnahme_traeger/report",
        json={"note": "Protokoll KG 03/2027"},
        headers=as_("tom", **{"X-Test-Token": "Auswertungsskript"}),
    )
    assert done.status_code == 200, done.text
    assert done.json()["done_by"] == "tom"
    assert done.json()["note"] == "Protokoll KG 03/2027"
    tasks = client.get(f"{API}/areas/{area}/tasks?phase=diagnose", headers=as_("tom")).json()
    row = next(t for t in tasks["items"] if t["id"] == "teilnahme_traeger")
    assert row["done"] and row["done_by"] == "tom"

    entry = engine.history(actor="root")[-1]
    assert (entry.actor, entry.action) == ("tom", "task_reported")
    assert json.loads(entry.details) == {
        "task": "teilnahme_traeger",
        "note": "Protokoll KG 03/2027",
        "channel": "api",
        "token": "Auswertungsskript",
    }
    # the provider may not do the moderation's part
    refused = client.post(f"{API}/areas/{area}/tasks/bedarfsanalyse/report", headers=as_("tom"))
    assert refused.status_code == 403
    assert refused.json()["error"] == "not_allowed"


def test_without_a_caller_every_route_answers_401(client: TestClient, area: str) -> None:
    r = client.get(f"{API}/areas/{area}")
    assert r.status_code == 401
    assert r.json()["error"] == "not_signed_in"
    assert client.get(f"{API}/log").status_code == 401


# ------------------------------------------------------ hidden == missing
#: Every route about one area, with a body it accepts.
AREA_ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "", None),
    ("GET", "/agreement", None),
    ("PATCH", "/agreement", {"topic": "Ältere Menschen"}),
    ("POST", "/agreement/signatures", {}),
    ("GET", "/agreement/history", None),
    ("GET", "/tasks", None),
    ("POST", "/tasks/datenmaterial/report", {"note": "x"}),
    ("POST", "/tasks/datenmaterial/reopen", {"reason": "falsch gemeldet"}),
    ("GET", "/next", None),
    ("POST", "/transitions", {"trigger": "cancel", "reason": "Sanierungsgebiet"}),
    ("POST", "/transitions", {"trigger": "fly"}),
    ("POST", "/tasks/nope/report", {}),
    ("GET", "/tasks?phase=nirgends", None),
    ("GET", "/agreement?version=9", None),
    ("POST", "/advance", {}),
    ("POST", "/reviews", {"decision": "end", "reason": "Ziele erreicht"}),
    ("POST", "/reviews", {"decision": "continue", "next_review": "01.01.2000"}),
    ("GET", "/as-of?at=01.01.2099", None),
    ("POST", "/assignments", {"role": "provider", "person": "otto"}),
    ("DELETE", "/assignments/provider/tom", None),
    ("POST", "/migrations", {"to_version": 2, "dry_run": True}),
]


@pytest.mark.parametrize(("method", "path", "body"), AREA_ROUTES)
def test_an_outsider_gets_the_same_answer_for_a_hidden_and_a_missing_area(
    engine: Engine,
    area: str,
    client: TestClient,
    app_kind: str,
    method: str,
    path: str,
    body: Any,
) -> None:
    """Byte for byte: the outsider asks for the same id where the area
    exists (hidden from them) and where it does not."""
    _outsider(engine)
    empty = Engine(store=MemoryStore())
    empty.init("root", name="Root Admin", email="root@regsam.example")
    _outsider(empty)
    missing_client = APPS[app_kind](empty)
    head = _audit_head(client)

    hidden = client.request(method, f"{API}/areas/{area}{path}", json=body, headers=as_("otto"))
    missing = missing_client.request(
        method, f"{API}/areas/{area}{path}", json=body, headers=as_("otto")
    )
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    assert hidden.json()["error"] == "not_found"
    assert {k: v for k, v in hidden.headers.items() if k != "date"} == {
        k: v for k, v in missing.headers.items() if k != "date"
    }
    assert _audit_head(client) == head  # nothing written


def test_the_log_of_a_hidden_area_answers_like_a_missing_one(
    engine: Engine, area: str, client: TestClient
) -> None:
    _outsider(engine)
    hidden = client.get(f"{API}/log?area={area}", headers=as_("otto"))
    missing = client.get(f"{API}/log?area=gibt-es-nicht", headers=as_("otto"))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["message"].replace(area, "X") == missing.json()["message"].replace(
        "gibt-es-nicht", "X"
    )
    # nor does the outsider's whole log show the area's entries
    assert client.get(f"{API}/log", headers=as_("otto")).json()["items"] == []


# ------------------------------------------------------------ If-Match
def test_a_stale_if_match_is_refused_and_nothing_is_written(
    engine: Engine, area: str, client: TestClient
) -> None:
    shown = client.get(f"{API}/areas/{area}", headers=as_("sven"))
    etag = shown.headers["ETag"]
    assert etag == f'"{shown.json()["version"]}"'

    # mia changes the area meanwhile
    client.post(f"{API}/areas/{area}/tasks/partner_traeger/report", headers=as_("mia"))
    now = client.get(f"{API}/areas/{area}", headers=as_("sven"))
    assert now.headers["ETag"] != etag
    head = _audit_head(client)

    stale = client.post(
        f"{API}/areas/{area}/tasks/datenmaterial/report",
        json={"note": "Zahlen 2026"},
        headers=as_("sven", **{"If-Match": etag}),
    )
    assert stale.status_code == 412
    assert stale.json()["error"] == "conflict"
    after = client.get(f"{API}/areas/{area}", headers=as_("sven"))
    assert after.headers["ETag"] == now.headers["ETag"]
    assert _audit_head(client) == head
    row = next(t for t in after.json()["tasks"] if t["id"] == "datenmaterial")
    assert not row["done"]

    engine.add_person("lena", actor="root", name="Lena", email="lena@example.org")
    head = _audit_head(client)
    for method, path, body in [
        ("PATCH", "/agreement", {"topic": "x"}),
        ("POST", "/agreement/signatures", {}),
        ("POST", "/advance", {}),
        ("POST", "/transitions", {"trigger": "cancel", "reason": "x"}),
        ("POST", "/tasks/partner_traeger/reopen", {"reason": "x"}),
        ("POST", "/assignments", {"role": "provider", "person": "lena"}),
        ("DELETE", "/assignments/provider/tom", None),
        ("POST", "/reviews", {"decision": "end"}),
        ("POST", "/migrations", {"to_version": 2}),
    ]:
        r = client.request(
            method, f"{API}/areas/{area}{path}", json=body, headers=as_("mia", **{"If-Match": etag})
        )
        assert r.status_code == 412, (path, r.text)
    assert _audit_head(client) == head

    fresh = client.post(
        f"{API}/areas/{area}/tasks/datenmaterial/report",
        headers=as_("sven", **{"If-Match": now.headers["ETag"]}),
    )
    assert fresh.status_code == 200
    assert _audit_head(client) != head


def test_an_if_match_that_is_no_version_is_invalid_input(area: str, client: TestClient) -> None:
    r = client.post(
        f"{API}/areas/{area}/tasks/datenmaterial/report",
        headers=as_("sven", **{"If-Match": "*"}),
    )
    assert r.status_code == 422
    assert r.json()["field"] == "If-Match"


# ------------------------------------------------------------ invalid input
def test_dates_are_read_as_iso_or_german_and_a_bad_one_is_named(
    area: str, client: TestClient
) -> None:
    bad = client.patch(
        f"{API}/areas/{area}/agreement", json={"review": "31.02.2027"}, headers=as_("mia")
    )
    assert bad.status_code == 422
    assert bad.json()["error"] == "invalid_input"
    assert bad.json()["field"] == "review"
    assert "31.02.2027" in bad.json()["message"]
    ok = client.patch(
        f"{API}/areas/{area}/agreement",
        json={"review": "15.07.2027", "start": "2027-01-15", "topic": AGREEMENT["topic"]},
        headers=as_("mia"),
    )
    assert ok.status_code == 200, ok.text
    assert (ok.json()["review"], ok.json()["start"]) == ("2027-07-15", "2027-01-15")
    assert ok.json()["version"] == 1

    bad_log = client.get(f"{API}/log?since=gestern", headers=as_("root"))
    assert (bad_log.status_code, bad_log.json()["field"]) == (422, "since")
    bad_as_of = client.get(f"{API}/areas/{area}/as-of?at=morgen", headers=as_("mia"))
    assert (bad_as_of.status_code, bad_as_of.json()["field"]) == (422, "at")
    backwards = client.get(f"{API}/log?since=02.01.2027&until=01.01.2027", headers=as_("root"))
    assert (backwards.status_code, backwards.json()["field"]) == (422, "until")


def test_missing_or_unknown_input_is_refused_naming_the_field(
    engine: Engine, area: str, client: TestClient
) -> None:
    head = _audit_head(client)
    engine.report_task(area, "datenmaterial", actor="sven")
    head = _audit_head(client)

    no_reason = client.post(
        f"{API}/areas/{area}/tasks/datenmaterial/reopen", json={}, headers=as_("sven")
    )
    assert (no_reason.status_code, no_reason.json()["field"]) == (422, "reason")
    empty_reason = client.post(
        f"{API}/areas/{area}/tasks/datenmaterial/reopen", json={"reason": ""}, headers=as_("sven")
    )
    assert (empty_reason.status_code, empty_reason.json()["field"]) == (422, "reason")
    typo = client.patch(f"{API}/areas/{area}/agreement", json={"topik": "x"}, headers=as_("mia"))
    assert (typo.status_code, typo.json()["field"]) == (422, "topik")
    nothing = client.patch(f"{API}/areas/{area}/agreement", json={}, headers=as_("mia"))
    assert nothing.status_code == 422
    no_trigger = client.post(f"{API}/areas/{area}/transitions", json={}, headers=as_("mia"))
    assert (no_trigger.status_code, no_trigger.json()["field"]) == (422, "trigger")
    decision = client.post(
        f"{API}/areas/{area}/reviews", json={"decision": "vielleicht"}, headers=as_("mia")
    )
    assert (decision.status_code, decision.json()["field"]) == (422, "decision")
    unknown = client.post(
        f"{API}/areas/{area}/transitions", json={"trigger": "cancl"}, headers=as_("mia")
    )
    assert (unknown.status_code, unknown.json()["field"]) == (422, "trigger")
    assert unknown.json()["error"] == "invalid_input"
    assert "cancel" in unknown.json()["message"]  # did you mean, and the triggers there are
    assert _audit_head(client) == head


# ----------------------------------------------------------- transitions
def test_next_names_every_blocker_and_a_blocked_advance_says_them_all(
    area: str, client: TestClient
) -> None:
    steps = client.get(f"{API}/areas/{area}/next", headers=as_("mia")).json()["items"]
    forward = next(s for s in steps if s["advance"])
    codes = {b["code"] for b in forward["blockers"]}
    assert {"agreement_missing", "task_open"} <= codes
    blocked = client.post(f"{API}/areas/{area}/advance", headers=as_("mia"))
    assert blocked.status_code == 409
    assert blocked.json()["error"] == "blocked"
    assert {b["code"] for b in blocked.json()["blockers"]} == codes


def test_the_agreement_is_set_signed_and_the_area_advances(
    engine: Engine, area: str, client: TestClient
) -> None:
    body = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in AGREEMENT.items()}
    assert (
        client.patch(f"{API}/areas/{area}/agreement", json=body, headers=as_("mia")).status_code
        == 200
    )
    for who in ("mia", "sven"):
        signed = client.post(f"{API}/areas/{area}/agreement/signatures", json={}, headers=as_(who))
        assert signed.status_code == 201
    assert signed.json()["signed_by"] == ["moderation", "social_planning"]
    report(engine, area, "vorlauf")
    fired = client.post(
        f"{API}/areas/{area}/advance", json={"reason": "alles da"}, headers=as_("mia")
    )
    assert fired.status_code == 200, fired.text
    assert (fired.json()["from_state"], fired.json()["to_state"]) == ("vorlauf", "diagnose")
    history = client.get(f"{API}/areas/{area}/agreement/history", headers=as_("tom")).json()
    assert history["total"] == 1
    cancelled = client.post(
        f"{API}/areas/{area}/transitions",
        json={"trigger": "cancel", "reason": "Gebiet wird Sanierungsgebiet"},
        headers=as_("mia"),
    )
    assert cancelled.status_code == 201
    assert cancelled.json()["fired"] is True
    past = client.get(f"{API}/areas/{area}/as-of?at=01.01.2000", headers=as_("mia")).json()
    assert past["exists"] is False


def test_review_decisions_and_the_inbox(engine: Engine, area: str, client: TestClient) -> None:
    sign_agreement(engine, area)
    waiting = client.get(f"{API}/inbox", headers=as_("sven")).json()
    assert any(i["kind"] == "task" for i in waiting["items"])
    r = client.post(
        f"{API}/areas/{area}/reviews",
        json={"decision": "continue", "next_review": "15.01.2028", "reason": "KG: weiter"},
        headers=as_("mia"),
    )
    assert r.status_code == 201, r.text
    assert r.json() == {"area": area, "decision": "continue", "next_review": "2028-01-15"}
    ag = client.get(f"{API}/areas/{area}/agreement", headers=as_("tom")).json()
    assert ag["review"] == "2028-01-15"


# ------------------------------------------------------- people, workflows
def test_people_me_add_and_decision_mails(engine: Engine, area: str, client: TestClient) -> None:
    assert client.get(f"{API}/people/me", headers=as_("tom")).json()["id"] == "tom"
    new = {"id": "lena", "name": "Lena Groß", "email": "lena@example.org", "org": "BA 24"}
    refused = client.post(f"{API}/people", json=new, headers=as_("tom"))
    assert refused.status_code == 403
    added = client.post(f"{API}/people", json=new, headers=as_("root"))
    assert added.status_code == 201
    assert added.json()["name"] == "Lena Groß"
    again = client.post(f"{API}/people", json=new, headers=as_("root"))
    assert again.status_code in (409, 422)
    off = client.put(
        f"{API}/people/tom/decision-mails", json={"decision_mails": False}, headers=as_("tom")
    )
    assert off.status_code == 200 and off.json()["decision_mails"] is False
    assert client.get(f"{API}/people/tom", headers=as_("mia")).json()["decision_mails"] is False
    other = client.put(
        f"{API}/people/mia/decision-mails", json={"decision_mails": False}, headers=as_("tom")
    )
    assert other.status_code == 403
    assert client.get(f"{API}/people/nobody", headers=as_("tom")).status_code == 404


def test_assignments_are_given_and_taken(engine: Engine, area: str, client: TestClient) -> None:
    engine.add_person("lena", actor="root", name="Lena", email="lena@example.org")
    etag = client.get(f"{API}/areas/{area}", headers=as_("mia")).headers["ETag"]
    given = client.post(
        f"{API}/areas/{area}/assignments",
        json={"role": "provider", "person": "lena"},
        headers=as_("mia", **{"If-Match": etag}),
    )
    assert given.status_code == 201
    assert given.json() == {"area": area, "role": "provider", "user": "lena", "assigned": True}
    assert [a["area"] for a in client.get(f"{API}/areas", headers=as_("lena")).json()["items"]] == [
        area
    ]
    taken = client.delete(f"{API}/areas/{area}/assignments/provider/lena", headers=as_("mia"))
    assert taken.status_code == 200 and taken.json()["assigned"] is False
    assert client.get(f"{API}/areas", headers=as_("lena")).json()["items"] == []
    refused = client.post(
        f"{API}/areas/{area}/assignments",
        json={"role": "moderation", "person": "lena"},
        headers=as_("mia"),
    )
    assert refused.status_code == 403


def test_admins_create_areas_deploy_workflows_and_migrate(
    engine: Engine, area: str, client: TestClient
) -> None:
    new = {"area": "milbertshofen", "name": "Milbertshofen", "district": "11"}
    assert client.post(f"{API}/areas", json=new, headers=as_("mia")).status_code == 403
    created = client.post(f"{API}/areas", json=new, headers=as_("root"))
    assert created.status_code == 201
    assert created.headers["Location"] == f"{API}/areas/milbertshofen"
    assert created.json()["state"] == "vorlauf"
    assert client.get(f"{API}/areas/milbertshofen", headers=as_("root")).headers["ETag"]

    listed = client.get(f"{API}/workflows", headers=as_("tom")).json()["items"]
    assert {(w["name"], w["version"]) for w in listed} >= {("schwerpunktgebiet", 2)}
    text = (Path(__file__).parent.parent / "workflows" / "schwerpunktgebiet-v2.yaml").read_text()
    v3 = text.replace("version: 2", "version: 3", 1)
    assert "version: 3" in v3
    body = {"text": v3, "source": "schwerpunktgebiet-v3.yaml"}
    assert client.post(f"{API}/workflows", json=body, headers=as_("mia")).status_code == 403
    deployed = client.post(f"{API}/workflows", json=body, headers=as_("root"))
    assert deployed.status_code == 201, deployed.text
    assert (deployed.json()["version"], deployed.json()["deployed"]) == (3, True)
    bad_name = client.post(
        f"{API}/workflows", json={**body, "source": "../etc/x.yaml"}, headers=as_("root")
    )
    assert (bad_name.status_code, bad_name.json()["field"]) == (422, "source")

    plan = client.post(
        f"{API}/areas/{area}/migrations",
        json={"to_version": 2, "dry_run": True},
        headers=as_("mia"),
    )
    assert plan.status_code == 200
    assert plan.json()["can_move"] is True and plan.json()["moved"] is False
    moved = client.post(
        f"{API}/areas/{area}/migrations", json={"to_version": 2, "reason": "KG"}, headers=as_("mia")
    )
    assert moved.json()["moved"] is True
    assert client.get(f"{API}/areas/{area}", headers=as_("mia")).json()["workflow_version"] == 2
    assert "vorlauf" in client.get(f"{API}/states", headers=as_("tom")).json()["items"]


def test_audit_verify_and_head(area: str, client: TestClient, app_kind: str) -> None:
    head = client.get(f"{API}/audit/head", headers=as_("tom")).json()
    verified = client.get(
        f"{API}/audit/verify", params={"expect_head": head["head"]}, headers=as_("tom")
    ).json()
    assert verified["ok"] is True and verified["entries"] == head["entries"]
    assert verified["since"] is None
    # from a trusted head: only what was added; a head the log does not have fails
    since = client.get(
        f"{API}/audit/verify", params={"since": head["head"]}, headers=as_("tom")
    ).json()
    assert since["ok"] is True and since["since"] == head["entries"]
    wrong = client.get(
        f"{API}/audit/verify",
        params={"since": f"{head['entries']}:{'ab' * 32}"},
        headers=as_("tom"),
    ).json()
    assert wrong["ok"] is False and wrong["first_bad_seq"] == head["entries"]
    # somebody unknown: refused by the engine; the real service lets nobody in without a token
    unknown = client.get(f"{API}/audit/verify", headers=as_("nobody"))
    assert unknown.status_code == (403 if app_kind == "test_app" else 401)


# -------------------------------------------------------------- pagination
def test_the_log_and_the_areas_come_in_pages(engine: Engine, area: str, client: TestClient) -> None:
    whole = client.get(f"{API}/log?limit=500", headers=as_("root")).json()
    assert whole["next"] is None and whole["total"] == len(whole["items"]) > 5
    seen: list[Any] = []
    url: str | None = f"{API}/log?limit=4"
    pages = 0
    while url:
        got = client.get(url, headers=as_("root")).json()
        assert got["total"] == whole["total"]
        assert len(got["items"]) <= 4
        seen += got["items"]
        url = got["next"]
        pages += 1
    assert seen == whole["items"]
    assert pages == -(-whole["total"] // 4)
    third = client.get(f"{API}/log?limit=1&offset=2", headers=as_("root")).json()
    assert third["items"] == whole["items"][2:3]
    assert client.get(f"{API}/log?limit=0", headers=as_("root")).json()["field"] == "limit"
    assert client.get(f"{API}/log?limit=501", headers=as_("root")).status_code == 422

    for n in range(3):
        engine.create_area(f"gebiet-{n}", actor="root", name=f"Gebiet {n}")
    first = client.get(f"{API}/areas?limit=2", headers=as_("root")).json()
    assert (len(first["items"]), first["total"]) == (2, 4)
    assert first["next"] is not None and "offset=2" in first["next"]
    second = client.get(first["next"], headers=as_("root")).json()
    assert second["next"] is None
    assert len({a["area"] for a in first["items"] + second["items"]}) == 4
    by_state = client.get(f"{API}/areas?state=vorlauf&limit=1", headers=as_("root")).json()
    assert by_state["total"] == 4
    unknown = client.get(f"{API}/areas?state=nirgends", headers=as_("root"))
    assert (unknown.status_code, unknown.json()["field"]) == (422, "state")


# ----------------------------------------------------------------- OpenAPI
def test_the_openapi_document_lists_every_route_with_its_schemas(engine: Engine) -> None:
    doc = make_app(engine).openapi()
    routes = {
        (method.lower(), route.path)  # type: ignore[attr-defined]
        for router in ROUTERS
        for route in router.routes
        for method in route.methods  # type: ignore[attr-defined]
    }
    assert len(routes) >= 26
    for method, path in routes:
        op = doc["paths"][path][method]
        assert op.get("summary"), (method, path)
        ok = op["responses"].get("201") or op["responses"]["200"]
        # JSON answers name their schema; downloads (the dossier, an attachment)
        # name their content types
        assert ok.get("content"), (method, path)
        if "application/json" in ok["content"]:
            assert ok["content"]["application/json"]["schema"], (method, path)
        assert op["responses"]["404"]["content"]["application/json"]["schema"]["$ref"].endswith(
            "/ErrorOut"
        )
        if method in ("patch", "put") or (method == "post" and "requestBody" in op):
            body = op["requestBody"]["content"]  # JSON, or an upload's raw bytes
            assert all(c.get("schema") for c in body.values()), (method, path)
    bodies = [
        doc["paths"][f"{API}/areas/{{area}}/tasks/{{task}}/reopen"]["post"]["requestBody"],
        doc["paths"][f"{API}/areas/{{area}}/transitions"]["post"]["requestBody"],
    ]
    assert all(b["required"] for b in bodies)
    assert "TaskReopenIn" in doc["components"]["schemas"]
    assert "AreaStatusOut" in doc["components"]["schemas"]


# -------------------------------------------------- the same JSON as the CLI
@pytest.mark.sqlite_only("the CLI reads the same SQLite file")
def test_json_keys_and_values_equal_the_clis(
    engine: Engine, area: str, client: TestClient, db_url: str, tmp_path: Path
) -> None:
    """The answers are in the caller's language (German here), the CLI's too."""
    cli = Cli(db=db_url, home=tmp_path)
    engine.report_task(area, "datenmaterial", actor="sven", note="Zahlen 2026")
    sign_agreement(engine, area)

    shown = client.get(f"{API}/areas/{area}", headers=as_("mia")).json()
    assert shown == cli.json("--lang", "de", "area", "show", area, user="mia")
    tasks = client.get(f"{API}/areas/{area}/tasks", headers=as_("tom")).json()["items"]
    assert tasks == cli.json("--lang", "de", "task", "list", area, user="tom")
    entries = client.get(f"{API}/log?limit=500", headers=as_("audrey")).json()["items"]
    assert entries == cli.json("--lang", "de", "log", user="audrey")
    of_area = client.get(f"{API}/log", params={"area": area}, headers=as_("tom")).json()
    assert of_area["items"] == cli.json("--lang", "de", "log", area, user="tom")
    overview = client.get(f"{API}/areas", headers=as_("mia")).json()["items"]
    assert overview == cli.json("--lang", "de", "area", "list", user="mia")
    assert client.get(f"{API}/areas/{area}/next", headers=as_("mia")).json()["items"] == cli.json(
        "--lang", "de", "why", area, user="mia"
    )
    assert client.get(f"{API}/areas/{area}/agreement", headers=as_("mia")).json() == cli.json(
        "--lang", "de", "agreement", "show", area, user="mia"
    )
    assert client.get(f"{API}/people", headers=as_("mia")).json()["items"] == cli.json(
        "--lang", "de", "user", "list", user="mia"
    )
    assert client.get(f"{API}/inbox", headers=as_("mia")).json()["items"] == cli.json(
        "--lang", "de", "inbox", user="mia"
    )


def test_invalid_input_is_named_in_the_callers_language(engine: Engine, area: str) -> None:
    """Through the real service: a missing reason, an unknown field and a bad
    date are named in German by default and in English when asked."""
    from .api_app import ServiceClient

    client = ServiceClient(engine)
    reopen = f"{API}/areas/{area}/tasks/datenmaterial/reopen"
    de = client.post(reopen, json={}, headers=as_("sven"))
    assert (de.status_code, de.json()["field"]) == (422, "reason")
    assert de.json()["message"] == "reason: fehlt"
    en = client.post(reopen, json={}, headers=as_("sven", **{"Accept-Language": "en"}))
    assert en.json()["message"] == "reason: is missing"
    extra = client.post(reopen, json={"reason": "x", "grund": "y"}, headers=as_("sven"))
    assert extra.json() == {
        "error": "invalid_input",
        "message": "grund: ist kein Feld dieser Anfrage",
        "field": "grund",
    }
    date = client.patch(
        f"{API}/areas/{area}/agreement", json={"review": "31.02.2027"}, headers=as_("mia")
    )
    assert date.json()["field"] == "review"
    assert "31.02.2027" in date.json()["message"] and "Datum" in date.json()["message"]


def test_only_auditors_and_admins_compare_the_tables_with_the_log(
    area: str, client: TestClient
) -> None:
    """``deep`` names areas and people anywhere: a provider is refused by the
    engine, an auditor gets the comparison."""
    refused = client.get(f"{API}/audit/verify", params={"deep": "true"}, headers=as_("tom"))
    assert (refused.status_code, refused.json()["error"]) == (403, "not_allowed")
    deep = client.get(f"{API}/audit/verify", params={"deep": "true"}, headers=as_("audrey"))
    assert deep.status_code == 200 and deep.json()["deep"] is True and deep.json()["ok"] is True
