"""The KG's, the selection's and the reminders' API as a script relies on
it: the OpenAPI document lists every route with its summary and schemas,
the JSON answers have the keys (and values) the CLI prints with --json,
and the engine refuses a stale version for every KG change."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from regsam_flow import Engine
from regsam_flow.errors import ConflictError
from regsam_flow.kg import AttachmentFile, Responsible
from regsam_flow.service.api import (
    ROUTERS,
    dossier,
    kg_catalogue,
    kg_meetings,
    kg_orders,
    kg_state,
    reminders,
    selection,
)

from .api_kg_app import client
from .cli_helpers import Cli
from .test_api_kg import AREA, BASE, as_, kg_area, ok, record_meeting

OURS = [
    kg_meetings.router,
    kg_catalogue.router,
    kg_orders.router,
    kg_state.router,
    dossier.router,
    selection.areas,
    selection.router,
    reminders.router,
]
#: Routes that take or give a file, not JSON.
FILES = {
    ("POST", "/api/v1/areas/{area}/meetings/{meeting}/attachments"),
    ("GET", "/api/v1/areas/{area}/meetings/{meeting}/attachments/{attachment}"),
    ("GET", "/api/v1/areas/{area}/dossier"),
    ("POST", "/api/v1/areas/{area}/dossier/check"),
}


def test_the_openapi_document_lists_every_route_with_its_schemas() -> None:
    assert all(r in ROUTERS for r in OURS)
    app = FastAPI()
    for router in ROUTERS:
        app.include_router(router)
    doc = app.openapi()
    routes = [(m, r.path) for router in OURS for r in router.routes if isinstance(r, APIRoute)
              for m in r.methods]  # fmt: skip
    assert len(routes) == 35
    for method, path in routes:
        op = doc["paths"][path][method.lower()]
        assert op.get("summary") and op.get("description"), (method, path)
        ok_status = next(s for s in op["responses"] if s.startswith("2"))
        content = op["responses"][ok_status].get("content", {})
        if (method, path) in FILES:
            body = op.get("requestBody", {}).get("content", {})
            assert content or "application/octet-stream" in body, (method, path)
            continue
        assert "$ref" in str(content["application/json"]["schema"]), (method, path)
        assert "422" in op["responses"], (method, path)
        if method in ("PUT", "PATCH") or (method == "POST" and "requestBody" in op):
            assert "$ref" in str(op["requestBody"]["content"]["application/json"]["schema"])
    schemas = doc["components"]["schemas"]
    assert set(schemas["OrderIn"]["properties"]) == {
        "meeting", "title", "addressee", "due", "kind", "goal", "measure",
    }  # fmt: skip
    assert schemas["MeetingOut"]["required"][:4] == ["id", "area", "number", "date"]


@pytest.mark.sql("the CLI and the API read the same database")
def test_json_answers_equal_the_clis_json(engine: Engine, db_url: str, tmp_path: Path) -> None:
    kg_area(engine)
    api = client(engine)
    meeting = record_meeting(api)
    goal = ok(api.post(f"{BASE}/goals", json={"title": "Treffpunkte"}, headers=as_("mia")), 201)
    measure_body = {"title": "Café", "responsible": {"kind": "role", "name": "provider"}}
    measure = ok(
        api.post(f"{BASE}/goals/{goal['number']}/measures", json=measure_body, headers=as_("mia")),
        201,
    )
    adoption = {"meeting": meeting["id"]}
    adopted = ok(api.post(f"{BASE}/catalogue/adoptions", json=adoption, headers=as_("mia")), 201)
    ok(api.post(f"{BASE}/missing-resources", json={"text": "Stelle"}, headers=as_("mia")), 201)
    nomination = {"candidate": "2027-nord", "round": "2027", "name": "Nord", "source": "rags"}
    ok(api.post("/api/v1/selection/candidates", json=nomination, headers=as_("root")), 201)
    c = Cli(db_url, tmp_path / "home")

    def items(path: str, who: str = "mia") -> list[Any]:
        return ok(api.get(path, headers=as_(who)))["items"]  # type: ignore[no-any-return]

    assert c.json("kg", "meeting", "list", AREA, user="mia") == items(f"{BASE}/meetings")
    assert c.json("kg", "goal", "list", AREA, user="mia") == items(f"{BASE}/goals")
    assert c.json("kg", "catalogue", AREA, user="mia") == ok(
        api.get(f"{BASE}/catalogue", headers=as_("mia"))
    )
    assert c.json("kg", "catalogue", AREA, "--version", "1", user="mia")["catalogue"] == adopted
    assert c.json("kg", "order", "list", AREA, user="mia") == items(f"{BASE}/orders")
    assert c.json("kg", "resource", "list", AREA, user="mia") == items(f"{BASE}/missing-resources")
    assert c.json("area", "show", AREA, user="mia")["kg"] == ok(
        api.get(f"{BASE}/kg", headers=as_("mia"))
    )
    assert c.json("reminders", "list", user="mia") == items("/api/v1/reminders")
    assert c.json("reminders", "mails", user="mia") == items("/api/v1/reminders/mails")
    assert c.json("selection", "list", user="root") == items("/api/v1/selection/candidates", "root")
    added = c.json(
        "kg", "measure", "add", AREA, str(goal["number"]), "--title", "Café 2", "--role",
        "provider", user="mia",
    )  # fmt: skip
    assert set(added) == set(measure)


KG_CHANGES: list[tuple[str, Callable[[Engine, int, int], Any]]] = [
    ("meeting", lambda e, v, m: e.record_meeting(
        AREA, actor="mia", held_on="01.11.2026", place="x", expected_version=v)),
    ("attachment", lambda e, v, m: e.add_attachment(
        AREA, m, AttachmentFile("a.txt", b"a"), actor="mia", expected_version=v)),
    ("goal", lambda e, v, m: e.add_goal(AREA, actor="mia", title="Ziel", expected_version=v)),
    ("measure", lambda e, v, m: e.add_measure(
        AREA, 1, actor="mia", title="M", responsible=Responsible("role", "provider"),
        expected_version=v)),
    ("adopt", lambda e, v, m: e.adopt_catalogue(
        AREA, actor="mia", meeting=m, expected_version=v)),
    ("order", lambda e, v, m: e.issue_order(
        AREA, actor="mia", meeting=m, title="O", addressee=Responsible("person", "tom"),
        due="30.06.2027", expected_version=v)),
    ("report", lambda e, v, m: e.report_order(
        AREA, 1, actor="tom", status="done", expected_version=v)),
    ("resource", lambda e, v, m: e.add_missing_resource(
        AREA, actor="mia", text="R", expected_version=v)),
]  # fmt: skip


@pytest.mark.parametrize(("name", "change"), KG_CHANGES, ids=[n for n, _c in KG_CHANGES])
def test_every_kg_change_refuses_a_stale_version_and_writes_nothing(
    engine: Engine, name: str, change: Callable[[Engine, int, int], Any]
) -> None:
    kg_area(engine)
    m = engine.record_meeting(AREA, actor="mia", held_on="02.11.2026", place="ASZ")
    engine.add_goal(AREA, actor="mia", title="Ziel")
    engine.issue_order(
        AREA, actor="mia", meeting=m.id, title="O", addressee=Responsible("person", "tom"),
        due="30.06.2027",
    )  # fmt: skip
    version = engine.get_area(AREA, actor="mia").version
    before = engine.head().entries
    with pytest.raises(ConflictError):
        change(engine, version - 1, m.id)
    assert engine.head().entries == before
    change(engine, version, m.id)
    assert engine.get_area(AREA, actor="mia").version == version + 1
