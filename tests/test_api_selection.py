"""Selecting areas through the JSON API: nominate, assess, the 4er-Gremium's
votes, the ARGE's decision; an area's fields and votes; the reminders and
the KG's mails."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from regsam_flow import Engine

from .api_kg_app import client
from .test_api_kg import AREA, as_, kg_area, ok, record_meeting

PANEL = [
    ("regsam_member", "rita"),
    ("regsam_member", "rolf"),
    ("social_planning_member", "sara"),
    ("social_planning_member", "stefan"),
    ("arge", "arne"),
    ("head", "helga"),
]
SEL = "/api/v1/selection/candidates"


@pytest.fixture
def api(engine: Engine) -> TestClient:
    for _role, pid in PANEL:
        engine.add_person(pid, actor="root", name=pid.title(), email=f"{pid}@example.org")
    api = client(engine)
    nominate(api, "2027-vorlage", "Vorlage")
    for role, pid in PANEL:
        engine.assign("2027-vorlage", role, pid, actor="root")
    return api


def nominate(api: TestClient, candidate: str, name: str, **extra: Any) -> dict[str, Any]:
    body = {"candidate": candidate, "round": "2027", "name": name, "source": "rags", **extra}
    return ok(api.post(SEL, json=body, headers=as_("root")), 201)  # type: ignore[no-any-return]


def assess(api: TestClient, candidate: str) -> dict[str, Any]:
    body = {"fits": True, "hours": 10, "duration": "2 Jahre", "special_programme": False}
    return ok(  # type: ignore[no-any-return]
        api.post(f"{SEL}/{candidate}/assessment", json=body, headers=as_("rita"))
    )


def test_a_candidate_is_nominated_assessed_voted_on_and_decided(
    api: TestClient, engine: Engine
) -> None:
    nominated = nominate(
        api, "2027-nord", "Hasenbergl-Nord", reasons="Nennung RAGS 24", like="2027-vorlage"
    )
    assert nominated["candidate"] == "2027-nord"
    assert nominated["gruende"] == "Nennung RAGS 24" and nominated["gebiet"] == "hasenbergl-nord"
    listed = ok(api.get(f"{SEL}?round=2027", headers=as_("root")))
    assert [c["candidate"] for c in listed["items"]] == ["2027-nord", "2027-vorlage"]
    assert listed["items"][0] == {
        "candidate": "2027-nord",
        "name": "Hasenbergl-Nord",
        "round": "2027",
        "source": "rags",
        "state": "nominiert",
        "area": "hasenbergl-nord",
    }
    half = ok(api.post(f"{SEL}/2027-nord/assessment", json={"fits": True}, headers=as_("rita")))
    assert half["state"] is None and "stunden_pro_woche" in half["missing"]
    assert assess(api, "2027-nord") == {
        "candidate": "2027-nord",
        "missing": [],
        "state": "bewertet",
    }

    no_seat = api.post(f"{SEL}/2027-nord/votes", json={"vote": "no"}, headers=as_("helga"))
    assert no_seat.status_code == 403 and no_seat.json()["error"] == "not_allowed"
    ballots = [
        ok(api.post(f"{SEL}/2027-nord/votes", json={"vote": v}, headers=as_(pid)), 201)
        for (_r, pid), v in zip(PANEL[:4], ["yes", "no", "yes", "yes"], strict=True)
    ]
    assert [(b["cast"], b["seats"], b["outcome"]) for b in ballots] == [
        (1, 4, None),
        (2, 4, None),
        (3, 4, None),
        (4, 4, "arge"),
    ]
    # a vote of a member who voted already, or of someone without a seat: refused
    # the vote is over: a further vote is refused, naming why
    over = api.post(f"{SEL}/2027-nord/votes", json={"vote": "no"}, headers=as_("helga"))
    assert over.status_code == 409 and over.json()["blockers"][0]["code"] == "no_vote"
    wrong = api.post(f"{SEL}/2027-nord/decision", json={"decision": "select"}, headers=as_("rita"))
    assert wrong.status_code == 403
    decided = ok(
        api.post(f"{SEL}/2027-nord/decision", json={"decision": "select"}, headers=as_("arne"))
    )
    assert decided == {"candidate": "2027-nord", "decision": "select", "state": "ausgewaehlt"}
    assert engine.get_area("hasenbergl-nord", actor="root").state == "vorlauf"


def test_an_areas_fields_and_votes(api: TestClient, engine: Engine) -> None:
    nominate(api, "2027-sued", "Süd", reasons="Nennung SBH", like="2027-vorlage")
    url = "/api/v1/areas/2027-sued"
    fields = ok(api.get(f"{url}/fields", headers=as_("rita")))
    assert fields["area"] == "2027-sued" and fields["fields"]["runde"] == "2027"
    seen = engine.get_area("2027-sued", actor="root").version
    changed = ok(
        api.patch(
            f"{url}/fields",
            json={"values": {"stunden_pro_woche": 12, "dauer": "1 Jahr"}},
            headers=as_("sara", **{"If-Match": f'"{seen}"'}),
        )
    )
    assert changed["fields"]["stunden_pro_woche"] == 12
    stale = api.patch(
        f"{url}/fields",
        json={"values": {"dauer": "2 Jahre"}},
        headers=as_("sara", **{"If-Match": f'"{seen}"'}),
    )
    assert stale.status_code == 412
    assert engine.fields("2027-sued", actor="root")["dauer"] == "1 Jahr"
    bad = api.patch(
        f"{url}/fields", json={"values": {"stunden_pro_woche": "viele"}}, headers=as_("sara")
    )
    assert bad.status_code == 422 and bad.json()["field"] == "stunden_pro_woche"
    refused = api.patch(f"{url}/fields", json={"values": {"runde": "2028"}}, headers=as_("sara"))
    assert refused.status_code == 403

    assessed = assess(api, "2027-sued")
    assert assessed["state"] == "bewertet", assessed
    cast = ok(
        api.post(f"{url}/votes", json={"vote": "yes", "reason": "passt"}, headers=as_("rolf")), 201
    )
    assert (cast["candidate"], cast["vote"], cast["cast"], cast["outcome"]) == (
        "2027-sued",
        "yes",
        1,
        None,
    )
    votes = ok(api.get(f"{url}/votes", headers=as_("rita")))
    assert votes["items"] == [
        {"round": votes["items"][0]["round"], "person": "rolf", "role": "regsam_member",
         "vote": "yes", "reason": "passt"}
    ]  # fmt: skip
    again = api.post(f"{url}/votes", json={"vote": "no"}, headers=as_("rolf"))
    assert again.status_code == 409 and again.json()["blockers"][0]["code"] == "voted"
    assert len(engine.votes("2027-sued", actor="root")) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"candidate": "x", "round": "2027", "name": "X"}, "source"),
        ({"candidate": "x", "round": "2027", "name": "X", "source": "zeitung"}, "quelle"),
        (
            {"candidate": "x", "round": "2027", "name": "X", "source": "rags", "gruende": "a"},
            "gruende",
        ),
    ],
)
def test_a_bad_nomination_is_422_naming_the_field(
    api: TestClient, engine: Engine, body: dict[str, Any], field: str
) -> None:
    before = engine.head().entries
    r = api.post(SEL, json=body, headers=as_("root"))
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field
    assert engine.head().entries == before


def test_reminders_and_the_kgs_mails(engine: Engine) -> None:
    kg_area(engine)
    api = client(engine)
    reminders = ok(api.get("/api/v1/reminders", headers=as_("mia")))
    assert reminders["total"] > 0 and {r["area"] for r in reminders["items"]} == {AREA}
    assert set(reminders["items"][0]) == set(engine.reminders(actor="mia")[0].to_dict())
    assert ok(api.get("/api/v1/reminders?status=failed", headers=as_("mia")))["total"] == 0
    assert ok(api.get("/api/v1/reminders", headers=as_("otto")))["total"] == 0
    first = reminders["items"][0]["id"]
    not_failed = api.post(f"/api/v1/reminders/{first}/retry", headers=as_("mia"))
    assert not_failed.status_code == 409
    assert not_failed.json()["blockers"][0]["code"] == "not_failed"
    assert api.post(f"/api/v1/reminders/{first}/retry", headers=as_("tom")).status_code == 403
    # an outsider: the same answer as for a reminder that does not exist
    hidden = api.post(f"/api/v1/reminders/{first}/retry", headers=as_("otto"))
    missing = api.post("/api/v1/reminders/99999/retry", headers=as_("otto"))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.text.replace(str(first), "N") == missing.text.replace("99999", "N")

    meeting = record_meeting(api)
    mails = ok(api.get(f"/api/v1/reminders/mails?area={AREA}", headers=as_("tom")))
    assert [(m["kind"], m["ref"], m["status"]) for m in mails["items"]] == [
        ("meeting_decisions", meeting["id"], "pending")
    ]
    page = ok(api.get("/api/v1/reminders?limit=1", headers=as_("mia")))
    assert len(page["items"]) == 1 and page["total"] == reminders["total"]
    assert page["next"] is None or "offset=1" in page["next"]


def test_an_outsider_gets_the_same_answer_for_a_hidden_and_a_missing_candidate(
    api: TestClient, engine: Engine
) -> None:
    engine.add_person("olga", actor="root", name="Olga", email="olga@example.org")
    before = engine.head().entries
    for path, body in (
        ("assessment", {"fits": True}),
        ("votes", {"vote": "yes"}),
        ("decision", {"decision": "select"}),
    ):
        answers = []
        for candidate in ("2027-vorlage", "2027-nirgends"):
            r = api.post(f"{SEL}/{candidate}/{path}", json=body, headers=as_("olga"))
            answers.append((r.status_code, r.text.replace(candidate, "C")))
        assert answers[0] == answers[1] and answers[0][0] == 404, path
    for path in ("/api/v1/reminders", "/api/v1/reminders/mails"):
        answers = []
        for area in ("2027-vorlage", "2027-nirgends"):
            r = api.get(f"{path}?area={area}", headers=as_("olga"))
            answers.append((r.status_code, r.text.replace(area, "A")))
        assert answers[0] == answers[1] and answers[0][0] == 404, path
    assert ok(api.get(SEL, headers=as_("olga")))["items"] == []
    assert engine.head().entries == before
