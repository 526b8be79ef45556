"""Prüfung, Verwaltung and Auswahl in a real browser (headless Chromium
driven by Playwright) against a real ``serve`` process: the auditor filters
and verifies the log and finds nothing that changes anything; an admin adds
a person and gives her a role; a selection round goes through the pages as
the README's walk-through goes through the CLI; a non-admin's /admin reads
like a missing page; the export re-hashes to the stored chain.

Every page visited: no console errors, no serious or critical axe-core
finding, screenshots at 1280 and 360 px (``screenshots/``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from regsam_flow import Engine
from regsam_flow.audit import GENESIS, entry_hash

from .browser import check_a11y, console_errors, shoot, signed_in_page
from .databases import raw_connection
from .service_process import Service, served, sign_in

pytestmark = pytest.mark.sqlite_only

PANEL = [
    ("regsam_member", "rita"),
    ("regsam_member", "rolf"),
    ("social_planning_member", "sara"),
    ("social_planning_member", "stefan"),
    ("arge", "arne"),
    ("head", "helga"),
]
#: Forms an auditor may see: filters (GET), verification, signing out.
HARMLESS_POSTS = {"/audit/verify", "/sign-out"}


def mail(pid: str) -> str:
    return f"{pid}@regsam.example"


@pytest.fixture
def svc(engine: Engine, area: str, db_url: str, tmp_path: Path) -> Iterator[Service]:
    for _role, pid in PANEL:
        engine.add_person(pid, actor="root", name=pid.title(), email=mail(pid))
    with served(db_url, tmp_path / "home", lang="de") as s:
        yield s


def visit(page: Page, url: str, name: str) -> int:
    """Open ``url`` of the page's service, check it, shoot it; its status."""
    response = page.goto(url, wait_until="load")
    assert response is not None
    seen(page, name)
    return response.status


def seen(page: Page, name: str) -> None:
    """The page as it is now: no console errors, axe clean, screenshots."""
    page.wait_for_load_state("load")
    assert console_errors(page) == []
    check_a11y(page)
    shoot(page, name)


def submit(page: Page, button: str) -> int:
    """Press ``button``; the status of the page it leads to."""
    with page.expect_navigation() as answer:
        page.click(button)
    response = answer.value
    assert response is not None
    page.wait_for_load_state("load")
    return response.status


def change_forms(page: Page) -> list[str]:
    """The forms of the page that would change something."""
    forms = page.eval_on_selector_all(
        "form",
        "fs => fs.map(f => [(f.getAttribute('method') || 'get').toLowerCase(),"
        " new URL(f.action).pathname])",
    )
    return [action for method, action in forms if method != "get" and action not in HARMLESS_POSTS]


def test_the_auditor_filters_verifies_and_can_change_nothing(
    svc: Service, engine: Engine, area: str
) -> None:
    page = signed_in_page(svc, "audrey@regsam.example")
    visit(page, "/audit", "audit")
    assert page.locator("h1").inner_text() == "Prüfprotokoll"
    total = len(engine.history(actor="audrey"))
    assert page.locator("#log tbody tr").count() == min(total, 50)

    # filters: area, person, a German period and a kind
    page.fill("#area", area)
    page.fill("#person", "mia")
    page.fill("#since", "01.01.2020")
    page.fill("#until", "31.12.2099")
    page.select_option("#kind", "assigned")
    page.click("form.filters button[type=submit]")
    seen(page, "audit-filtered")
    expected = [
        e for e in engine.history(actor="audrey", area=area, by="mia") if e.action == "assigned"
    ]
    rows = page.locator("#log tbody tr")
    assert rows.count() == len(expected) == 3  # mia assigned steering, provider and sbh
    assert "stella" in page.locator("#log").inner_text()
    assert page.input_value("#person") == "mia"  # the filters stay as typed

    # a period that makes no sense names its field and keeps the values
    page.fill("#since", "32.13.2027")
    assert submit(page, "form.filters button[type=submit]") == 422
    assert page.locator("#since-error").is_visible()
    assert page.input_value("#since") == "32.13.2027"

    visit(page, "/audit", "audit-again")
    page.click("text=Protokoll jetzt prüfen")
    seen(page, "audit-verified")
    result = page.locator("#verify-result").inner_text()
    assert "unverändert" in result and str(engine.head().entries) in result
    assert engine.head().hash in page.locator(".hash").inner_text()

    # every page an auditor can open: no form that changes anything
    for url, name in [
        ("/", "auditor-inbox"),
        ("/areas", "auditor-areas"),
        (f"/areas/{area}", "auditor-area"),
        ("/selection", "auditor-selection"),
        ("/audit", "auditor-audit"),
    ]:
        response = page.goto(url, wait_until="load")
        assert response is not None
        if response.status == 404 and url.startswith("/areas/"):
            continue  # the area page comes with web-area
        seen(page, name)
        assert change_forms(page) == [], (url, change_forms(page))
    for url in ("/admin", "/admin/workflows"):
        response = page.goto(url)
        assert response is not None and response.status == 404


def test_an_admin_adds_a_person_and_gives_her_a_role(
    svc: Service, engine: Engine, area: str
) -> None:
    page = signed_in_page(svc, "root@regsam.example")
    visit(page, "/admin", "admin")
    page.fill("#person", "lena")
    page.fill("#name", "Lena Lehmann")
    page.fill("#email", "kein-mail")
    assert submit(page, "form[action='/admin/people'] button[type=submit]") == 422
    # refused: the field is named, what was typed is kept
    assert page.locator("#email-error").is_visible()
    assert page.input_value("#name") == "Lena Lehmann"
    seen(page, "admin-refused")
    page.fill("#email", "lena@traeger.example")
    page.fill("#org", "Träger Nord")
    page.click("form[action='/admin/people'] button[type=submit]")
    seen(page, "admin-added")
    assert "Lena Lehmann" in page.locator(".flash").inner_text()
    assert engine.get_person("lena", actor="root").org == "Träger Nord"

    page.click(f"#area-{area} summary")
    page.select_option(f"#area-{area}-role", "provider")
    page.select_option(f"#area-{area}-person", "lena")
    page.click(f"form[action='/admin/areas/{area}/assignments'] button[type=submit]")
    seen(page, "admin-assigned")
    assert "lena" in page.locator(".flash").inner_text()
    assert "lena" in engine.status(area, actor="root").roles["provider"]
    visit(page, "/admin/workflows", "admin-workflows")
    assert page.locator("table.list tbody tr").count() >= 2


def test_a_selection_round_through_the_pages(svc: Service, engine: Engine) -> None:
    admin = signed_in_page(svc, "root@regsam.example")
    visit(admin, "/selection", "selection-empty")
    admin.fill("#candidate", "2027-ramersdorf")
    admin.fill("#round", "2027")
    admin.fill("#name", "Ramersdorf")
    admin.select_option("#source", "rags")
    admin.fill("#reasons", "Nennung RAGS 16")
    admin.click("form[action='/selection/candidates'] button[type=submit]")
    seen(admin, "selection-nominated")
    assert "2027-ramersdorf" in admin.locator(".flash").inner_text()
    for role, pid in PANEL:
        engine.assign("2027-ramersdorf", role, pid, actor="root")
    admin.fill("#candidate", "2027-hasenbergl-nord")
    admin.fill("#round", "2027")
    admin.fill("#name", "Hasenbergl-Nord")
    admin.fill("#area", "hasenbergl-nord-2")
    admin.select_option("#source", "monitoring")
    admin.fill("#reasons", "Monitoring: 9 von 13 Werten über dem Mittel")
    admin.select_option("#like", "2027-ramersdorf")
    admin.click("form[action='/selection/candidates'] button[type=submit]")
    seen(admin, "selection-two")
    cand = "2027-hasenbergl-nord"

    rita = signed_in_page(svc, mail("rita"))
    visit(rita, "/selection", "selection-rita")
    f = f"#assess-{cand}"
    rita.select_option(f"{f}-fits", "yes")
    rita.fill(f"{f}-hours", "10")
    rita.fill(f"{f}-duration", "2 Jahre")
    rita.select_option(f"{f}-special", "no")
    rita.click(f"form[action='/selection/candidates/{cand}/assessment'] button")
    seen(rita, "selection-assessed")
    assert engine.get_area(cand, actor="root").state == "bewertet"

    for pid, vote in [("rita", "yes"), ("rolf", "yes"), ("sara", "yes"), ("stefan", "no")]:
        page = rita if pid == "rita" else signed_in_page(svc, mail(pid))
        visit(page, "/selection?round=2027", f"selection-vote-{pid}")
        page.check(f"#vote-{cand}-{vote}")
        if pid == "stefan":
            page.fill(f"#vote-{cand}-reason", "Ressourcen fehlen")
            # without the confirmation nothing is cast, and the choice is kept
            votes = f"form[action='/selection/candidates/{cand}/votes'] button"
            assert submit(page, votes) == 422
            assert page.locator("#confirm-error").is_visible()
            assert page.is_checked(f"#vote-{cand}-no")
            assert len(engine.votes(cand, actor="root")) == 3
            seen(page, "selection-vote-unconfirmed")
        page.check(f"#vote-{cand}-confirm")
        page.click(f"form[action='/selection/candidates/{cand}/votes'] button")
        seen(page, f"selection-voted-{pid}")
    assert "ARGE" in page.locator(".flash").inner_text()
    assert engine.get_area(cand, actor="root").state == "arge"

    arne = signed_in_page(svc, mail("arne"))
    visit(arne, "/selection", "selection-arge")
    arne.select_option(f"#decide-{cand}-decision", "select")
    arne.check(f"#decide-{cand}-confirm")
    arne.click(f"form[action='/selection/candidates/{cand}/decision'] button")
    seen(arne, "selection-decided")
    assert "Ausgewählt" in arne.locator(".flash").inner_text()
    assert engine.get_area("hasenbergl-nord-2", actor="root").state == "vorlauf"


def test_admin_reads_like_a_missing_page_to_anyone_else(svc: Service) -> None:
    mia = sign_in(svc, "mia@regsam.example")
    html = {"Accept": "text/html"}
    missing = mia.get("/no-such-page", headers=html)
    for url in ("/admin", "/admin/workflows", "/audit", "/audit/export"):
        r = mia.get(url, headers=html)
        assert r.status_code == missing.status_code == 404
        assert r.text == missing.text


def test_the_export_re_hashes_to_the_stored_chain(svc: Service, engine: Engine) -> None:
    audrey = sign_in(svc, "audrey@regsam.example")
    r = audrey.get("/audit/export")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/x-ndjson")
    *entries, last = [json.loads(line) for line in r.text.splitlines()]
    stored = engine.history(actor="audrey")
    assert len(entries) == len(stored) > 10
    prev = GENESIS
    for e in entries:
        fields = [
            e[k]
            for k in (
                "seq",
                "at",
                "actor",
                "role",
                "area",
                "action",
                "trigger",
                "from_state",
                "to_state",
                "reason",
                "details",
            )
        ]
        assert entry_hash(prev, *fields) == e["hash"]
        prev = e["hash"]
    assert [e["hash"] for e in entries] == [s.hash for s in stored]
    assert last == {"head": {"count": engine.head().entries, "hash": engine.head().hash}}


def test_an_admin_deploys_a_definition_and_moves_an_area_after_seeing_the_plan(
    svc: Service, engine: Engine, area: str, tmp_path: Path
) -> None:
    v2 = Path(__file__).resolve().parent.parent / "workflows" / "schwerpunktgebiet-v2.yaml"
    v3 = tmp_path / "schwerpunktgebiet-v3.yaml"
    v3.write_text(v2.read_text(encoding="utf-8").replace("\nversion: 2\n", "\nversion: 3\n"))
    page = signed_in_page(svc, "root@regsam.example")
    visit(page, "/admin/workflows", "workflows")
    # no file: the field is named
    assert submit(page, "form[action='/admin/workflows'] button[type=submit]") == 422
    assert page.locator("#file-error").is_visible()
    page.set_input_files("#file", str(v3))
    assert submit(page, "form[action='/admin/workflows'] button[type=submit]") == 200
    seen(page, "workflows-deployed")
    assert "Version 3" in page.locator(".flash").inner_text()
    fresh = Engine(svc.db_url)  # this process's engine keeps the definitions it read
    try:
        assert 3 in fresh.workflows.versions("schwerpunktgebiet")
    finally:
        fresh.close()

    # the plan first: nothing moves until it is confirmed
    page.click(f"#migrate-{area} summary")
    page.select_option(f"#migrate-{area}-to", "3")
    page.fill(f"#migrate-{area}-reason", "Neue Regeln")
    assert submit(page, f"form[action='/admin/areas/{area}/migrate'] button") == 200
    seen(page, "workflows-plan")
    assert "Der Plan" in page.locator(f"#migrate-{area}").inner_text()
    assert engine.get_area(area, actor="root").workflow_version == 1
    page.check(f"#migrate-{area}-confirm")
    assert submit(page, f"form[action='/admin/areas/{area}/migrate'] button") == 200
    seen(page, "workflows-moved")
    assert engine.get_area(area, actor="root").workflow_version == 3


def test_verification_names_the_first_bad_entry(svc: Service, engine: Engine) -> None:
    with raw_connection(svc.db_url) as db:  # an edit behind the engine's back
        db.drop_append_only_triggers()
        db.execute("UPDATE audit_log SET reason = 'nachträglich' WHERE seq = 5")
    audrey = sign_in(svc, "audrey@regsam.example")
    r = audrey.post("/audit/verify", headers={"Accept": "text/html"})
    assert r.status_code == 200
    assert "nicht unverändert" in r.text
    assert "Erster fehlerhafter Eintrag: Nummer 5." in r.text


def test_an_assignment_on_a_stale_page_says_someone_else_changed_the_area(
    svc: Service, engine: Engine, area: str
) -> None:
    root = sign_in(svc, "root@regsam.example")
    seen_version = engine.get_area(area, actor="root").version
    engine.assign(area, "provider", "rita", actor="root")  # someone else, meanwhile
    r = root.post(
        f"/admin/areas/{area}/assignments",
        data={"role": "provider", "person": "rolf", "version": str(seen_version)},
        headers={"Accept": "text/html"},
    )
    assert r.status_code == 409
    assert "Jemand anderes hat das Gebiet inzwischen geändert" in r.text
    shown = r.text.split(f'id="area-{area}" open>', 1)[1].split("</details>", 1)[0]
    assert "rita" in shown  # the area's roles as they are now, the form open
    assert "rolf" not in engine.status(area, actor="root").roles["provider"]
