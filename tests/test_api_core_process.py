"""The JSON API's key promises against a real ``regsam-flow serve`` process
on loopback, with real personal API tokens (made through sign-in by mail
link): a provider reads only their areas and reports a task; an outsider
gets the same answer for a hidden and a missing area; a stale If-Match is
refused and nothing is written."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from regsam_flow import Engine

from .conftest import PEOPLE, report, sign_agreement
from .service_process import Service, bearer, served

pytestmark = pytest.mark.sqlite_only("a server process on the test's SQLite file")

API = "/api/v1"
OTTO = "otto@example.org"


def _email(person: str) -> str:
    return PEOPLE[person][1]


def _outsider(engine: Engine) -> None:
    engine.add_person("otto", actor="root", name="Otto Außenstehend", email=OTTO)


@pytest.fixture
def svc(engine: Engine, area: str, db_url: str, tmp_path: Path) -> Iterator[Service]:
    _outsider(engine)
    with served(db_url, tmp_path / "home") as s:
        yield s


def test_a_provider_reads_only_their_areas_and_reports_a_task(
    engine: Engine, area: str, svc: Service
) -> None:
    engine.create_area("milbertshofen", actor="root", name="Milbertshofen")
    sign_agreement(engine, area)
    report(engine, area, "vorlauf")
    engine.advance(area, actor="mia")
    token = bearer(svc, _email("tom"), name="Auswertungsskript")

    with svc.client(token=token) as tom:
        listed = tom.get(f"{API}/areas")
        assert listed.status_code == 200
        assert [a["area"] for a in listed.json()["items"]] == [area]
        assert tom.get(f"{API}/areas/milbertshofen").status_code == 404
        shown = tom.get(f"{API}/areas/{area}")
        assert shown.status_code == 200 and shown.json()["state"] == "diagnose"
        done = tom.post(
            f"{API}/areas/{area}/tasks/teilnahme_traeger/report",
            json={"note": "Protokoll KG 03/2027"},
        )
        assert done.status_code == 200, done.text
        assert done.json()["done_by"] == "tom"
        refused = tom.post(f"{API}/areas/{area}/tasks/bedarfsanalyse/report")
        assert refused.status_code == 403 and refused.json()["error"] == "not_allowed"

    entry = [e for e in engine.history(actor="root") if e.action == "task_reported"][-1]
    assert entry.actor == "tom"
    details = entry.to_dict()["details"]
    assert details["task"] == "teilnahme_traeger"
    assert (details["channel"], details["token"]) == ("api", "Auswertungsskript")
    assert token not in json.dumps([e.to_dict() for e in engine.history(actor="root")])
    assert token not in svc.log()


#: Area routes an outsider tries, with a body each accepts.
TRIED = [
    ("GET", "", None),
    ("GET", "/tasks", None),
    ("GET", "/next", None),
    ("GET", "/agreement", None),
    ("PATCH", "/agreement", {"topic": "Ältere Menschen"}),
    ("POST", "/tasks/datenmaterial/report", {}),
    ("POST", "/transitions", {"trigger": "cancel", "reason": "x"}),
    ("POST", "/advance", {}),
    ("GET", "/as-of?at=01.01.2099", None),
]


def test_an_outsider_gets_the_same_answer_for_a_hidden_and_a_missing_area(
    engine: Engine, area: str, svc: Service, tmp_path: Path
) -> None:
    """The same area id, asked of a service where it exists (hidden from
    the outsider) and of one where it does not: the same bytes."""
    other_url = f"sqlite:///{tmp_path / 'other.db'}"
    other = Engine(other_url)
    try:
        other.init("root", name="Root Admin", email="root@regsam.example")
        _outsider(other)
        with served(other_url, tmp_path / "other-home") as empty:
            hidden_token = bearer(svc, OTTO)
            missing_token = bearer(empty, OTTO)
            head = engine.head()
            version = engine.get_area(area, actor="root").version
            with svc.client(token=hidden_token) as h, empty.client(token=missing_token) as m:
                for method, path, body in TRIED:
                    url = f"{API}/areas/{area}{path}"
                    hidden = h.request(method, url, json=body)
                    missing = m.request(method, url, json=body)
                    assert hidden.status_code == missing.status_code == 404, path
                    assert hidden.content == missing.content, path
                    assert hidden.json()["error"] == "not_found"
        assert engine.head() == head  # nothing written
        assert engine.get_area(area, actor="root").version == version
    finally:
        other.close()


def test_a_stale_if_match_is_refused_and_nothing_is_written(
    engine: Engine, area: str, svc: Service
) -> None:
    sven_token = bearer(svc, _email("sven"))
    mia_token = bearer(svc, _email("mia"))
    with svc.client(token=sven_token) as sven, svc.client(token=mia_token) as mia:
        seen = sven.get(f"{API}/areas/{area}")
        etag = seen.headers["ETag"]
        assert etag == f'"{seen.json()["version"]}"'
        moved = mia.post(
            f"{API}/areas/{area}/tasks/partner_traeger/report", headers={"If-Match": etag}
        )
        assert moved.status_code == 200
        version = engine.get_area(area, actor="root").version
        head = engine.head()

        stale = sven.post(
            f"{API}/areas/{area}/tasks/datenmaterial/report",
            json={"note": "Zahlen 2026"},
            headers={"If-Match": etag},
        )
        assert stale.status_code == 412
        assert stale.json()["error"] == "conflict"
        assert engine.get_area(area, actor="root").version == version
        assert engine.head() == head
        rows = {t.id: t for t in engine.tasks(area, actor="root")}
        assert not rows["datenmaterial"].done

        fresh_etag = sven.get(f"{API}/areas/{area}").headers["ETag"]
        assert fresh_etag == f'"{version}"'
        fresh = sven.post(
            f"{API}/areas/{area}/tasks/datenmaterial/report", headers={"If-Match": fresh_etag}
        )
        assert fresh.status_code == 200
        assert engine.get_area(area, actor="root").version == version + 1


def test_without_a_token_the_api_answers_401(area: str, svc: Service) -> None:
    with svc.client() as nobody:
        r = nobody.get(f"{API}/areas/{area}")
    assert r.status_code == 401
    with svc.client(token="rf_t_not-a-token") as forged:
        assert forged.get(f"{API}/areas").status_code == 401


def test_the_openapi_document_of_the_service_lists_the_routes(svc: Service) -> None:
    doc = httpx.get(svc.url + f"{API}/openapi.json", timeout=30).json()
    for path in (
        f"{API}/areas",
        f"{API}/areas/{{area}}",
        f"{API}/areas/{{area}}/tasks/{{task}}/report",
        f"{API}/log",
        f"{API}/audit/verify",
    ):
        assert path in doc["paths"], path


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_the_readmes_curl_example_reports_a_task(engine: Engine, area: str, svc: Service) -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    script = readme.split("A script reports a task done:\n\n```sh\n", 1)[1].split("```", 1)[0]
    sign_agreement(engine, area)
    report(engine, area, "vorlauf")
    engine.advance(area, actor="mia")
    token = bearer(svc, _email("tom"))
    done = subprocess.run(
        ["bash", "-e", "-c", script.replace("http://127.0.0.1:8080", svc.url)],
        capture_output=True,
        text=True,
        env={**os.environ, "REGSAM_FLOW_TOKEN": token},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["done_by"] == "tom"
    rows = {t.id: t for t in engine.tasks(area, actor="root")}
    assert rows["teilnahme_traeger"].done_by == "tom"
