"""The pages everyone starts from, in a real headless Chromium against a
real ``regsam-flow serve`` process: signing in through the link from the
Maildir, Meine Aufgaben, Gebiete, signing out, errors as pages, and the
CSRF field of the forms.  Every page visited has no console errors and no
serious or critical axe-core finding, and is shot at 1280 and 360 px
(``screenshots/``)."""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from regsam_flow import Engine
from regsam_flow.demo import SERVE_URL, SIGN_IN_EMAIL, run_demo

from .browser import check_a11y, console_errors, new_page, shoot, signed_in_page, visit
from .conftest import AGREEMENT, PEOPLE
from .service_process import Service, served

pytestmark = pytest.mark.sqlite_only("a server process on the test's SQLite file")

MIA = PEOPLE["mia"][1]
OTTO = "otto@aussen.example"
HIDDEN = "moosach"  # an area mia and otto have no role in
TASK = "schwerpunktziel"  # mia's open task in vorlauf
REPORT = f"/areas/hasenbergl-nord/tasks/{TASK}/report"


@pytest.fixture
def svc(engine: Engine, area: str, db_url: str, tmp_path: Path) -> Iterator[Service]:
    engine.create_area(HIDDEN, actor="root", name="Moosach-Bahnhof", district="10 Moosach")
    engine.assign(HIDDEN, "moderation", "sven", actor="root")
    engine.add_person("otto", actor="root", name="Otto Außenstehend", email=OTTO)
    engine.set_agreement(area, actor="mia", **AGREEMENT)  # to be signed; review 15.07.2027
    with served(db_url, tmp_path / "home") as s:
        yield s


def checked(page: Page, shot: str | None = None) -> None:
    """The page as it is now: German, no console errors, axe-core clean; shot."""
    assert page.locator("html").get_attribute("lang") == "de"
    check_a11y(page)
    if shot:
        shoot(page, shot)
    assert console_errors(page) == []


def main_text(page: Page) -> str:
    return page.locator("main").inner_text()


def test_a_person_signs_in_finds_their_tasks_and_areas_and_signs_out(
    svc: Service, engine: Engine
) -> None:
    # the sign-in page: one labelled field; the answer says to look in the mail
    page = new_page(svc)
    assert visit(page, "/") == 200 and page.url == svc.url + "/sign-in"  # 401 -> sign-in
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")
    checked(page, "sign-in")
    page.keyboard.press("Tab")  # the keyboard's first stop: the skip link, visible when focused
    expect(page.get_by_role("link", name="Zum Inhalt springen")).to_be_focused()
    expect(page.get_by_role("link", name="Zum Inhalt springen")).to_be_in_viewport()
    page.get_by_role("button", name="Anmeldelink schicken").click()  # nothing typed
    expect(page.locator("#email-error")).to_contain_text("E-Mail-Adresse")
    assert page.get_by_label("E-Mail-Adresse").get_attribute("aria-invalid") == "true"
    checked(page, "sign-in-error")
    page.get_by_label("E-Mail-Adresse").fill("niemand@regsam.example")
    page.get_by_role("button", name="Anmeldelink schicken").click()
    unknown = main_text(page).replace("niemand@regsam.example", "ADDRESS")
    assert "Sehen Sie in Ihre E-Mails" in unknown and "Maildir" in unknown
    checked(page, "sign-in-sent")
    assert svc.mails() == []  # no mail for an unknown address
    visit(page, "/sign-in")
    page.get_by_label("E-Mail-Adresse").fill(MIA)
    page.get_by_role("button", name="Anmeldelink schicken").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sehen Sie in Ihre E-Mails")
    assert main_text(page).replace(MIA, "ADDRESS") == unknown  # the same answer
    assert len(svc.mails()) == 1
    page.context.close()

    page = signed_in_page(svc, MIA)
    assert main_text(page).startswith("Meine Aufgaben")
    sent_page = page.context.new_page()
    sent_page.goto("/sign-in")
    assert sent_page.url == svc.url + "/"  # signed in: the sign-in page leads home
    sent_page.close()

    # Meine Aufgaben: her open task, with the button that does it
    expect(page.locator("nav a[aria-current=page]")).to_have_text("Meine Aufgaben")
    form = page.locator(f'form[action="{REPORT}"]')
    expect(form).to_have_count(1)
    expect(form.get_by_role("button", name="Als erledigt melden")).to_be_visible()
    assert form.locator("input[name=csrf_token]").get_attribute("value")
    version = engine.get_area("hasenbergl-nord", actor="mia").version
    assert form.locator("input[name=version]").get_attribute("value") == str(version)
    sign = page.locator('form[action="/areas/hasenbergl-nord/agreement/sign"]')
    expect(sign.get_by_role("button", name="Vereinbarung unterzeichnen")).to_be_visible()
    assert sign.locator("input[name=version]").get_attribute("value") == str(version)
    first = page.locator("ol.tasks > li").first
    expect(first).to_contain_text("Hasenbergl-Nord")
    expect(first).to_contain_text("als REGSAM-Moderation")
    assert HIDDEN not in main_text(page) and "Moosach" not in main_text(page)
    checked(page, "inbox")

    # Gebiete: only her area, with its phase and the next step's owers
    page.get_by_role("link", name="Gebiete").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gebiete")
    rows = page.locator("table.list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Hasenbergl-Nord")
    expect(rows.first).to_contain_text("Mia Moderatorin")
    expect(rows.first).to_contain_text("15.07.2027")
    expect(rows.first.locator(".badge")).to_have_text(re.compile(r"in \d+ Tagen"))
    assert "Moosach" not in main_text(page)
    checked(page, "areas")
    # the filters are a GET form; a bad number names the field and keeps it
    page.get_by_label("Überprüfung binnen (Tagen)").fill("-3")
    page.get_by_role("button", name="Filtern").click()
    assert "review_within=-3" in page.url
    expect(page.locator("#review_within-error")).to_be_visible()
    assert page.get_by_label("Überprüfung binnen (Tagen)").input_value() == "-3"
    checked(page, "areas-filter-error")
    page.get_by_label("Phase").select_option("diagnose")
    page.get_by_label("Überprüfung binnen (Tagen)").fill("")
    page.get_by_role("button", name="Filtern").click()
    expect(page.locator("main")).to_contain_text("Kein Gebiet passt zu diesen Filtern.")
    page.get_by_role("link", name="Alle zeigen").click()
    expect(rows).to_have_count(1)
    page.get_by_label("Nächster Schritt liegt bei").select_option("mia")
    page.get_by_role("button", name="Filtern").click()
    expect(rows).to_have_count(1)

    # at 360 px the table turns into labelled blocks
    page.set_viewport_size({"width": 360, "height": 800})
    page.wait_for_function("() => matchMedia('(max-width: 40rem)').matches")
    head = page.locator("table.list thead")
    assert head.evaluate("e => e.getBoundingClientRect().right") < 0  # the header row is gone
    label = page.locator("table.list td[data-label]").first
    assert label.evaluate("e => getComputedStyle(e, '::before').content") == '"Phase"'
    page.set_viewport_size({"width": 1280, "height": 900})

    # signing out: the header's button; the session is over
    page.get_by_role("button", name="Abmelden").click()
    page.wait_for_url(svc.url + "/sign-in")
    expect(page.locator(".flash")).to_have_text("Sie sind abgemeldet.")
    checked(page, "signed-out")
    assert visit(page, "/areas") == 200 and page.url == svc.url + "/sign-in"
    signed_out = [e for e in engine.history(actor="root") if e.action == "signed_out"]
    assert signed_out and signed_out[-1].actor == "mia"


@pytest.mark.skipif(
    importlib.util.find_spec("regsam_flow.service.web.area") is None,
    reason="the area page's actions (web-area) are not merged yet",
)
def test_the_inbox_button_reports_the_task(svc: Service, engine: Engine) -> None:
    page = signed_in_page(svc, MIA)
    form = page.locator(f'form[action="{REPORT}"]')
    form.get_by_label("Notiz (freiwillig)").fill("Ziel mit dem Träger abgestimmt")
    form.get_by_role("button", name="Als erledigt melden").click()
    page.wait_for_url(re.compile(r"/areas/hasenbergl-nord"))  # the area page, after the report
    expect(page.locator(".flash")).to_be_visible()
    task = next(t for t in engine.tasks("hasenbergl-nord", actor="mia") if t.id == TASK)
    assert task.done and task.done_by == "mia" and task.note == "Ziel mit dem Träger abgestimmt"
    entry = [e for e in engine.history(actor="root") if e.action == "task_reported"][-1]
    assert entry.actor == "mia" and entry.to_dict()["details"]["channel"] == "web"
    visit(page, "/")
    expect(page.locator(f'form[action="{REPORT}"]')).to_have_count(0)  # done: gone
    checked(page)


def test_an_outsider_sees_no_area(svc: Service) -> None:
    page = signed_in_page(svc, OTTO)
    expect(page.locator("main")).to_contain_text("Im Moment wartet nichts auf Sie.")
    checked(page, "inbox-empty")
    assert visit(page, "/areas") == 200
    expect(page.locator("table.list")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("Sie haben noch keine Gebiete.")
    checked(page, "areas-empty")
    # an area one may not see reads exactly like one that does not exist
    assert visit(page, f"/areas/{HIDDEN}") == 404
    hidden = main_text(page)
    checked(page, "not-found")
    assert visit(page, "/areas/gibt-es-nicht") == 404
    assert main_text(page) == hidden
    assert "Nicht gefunden" in hidden and "Moosach" not in page.content()
    # English on request (the browser's language)
    with svc.client(headers={"Accept": "text/html", "Accept-Language": "en"}) as english:
        shown = english.get("/sign-in")
    assert '<html lang="en">' in shown.text and "Send me the sign-in link" in shown.text


def test_the_demo_ends_with_how_to_open_it_in_the_browser(tmp_path: Path) -> None:
    """The demo's closing lines: the command serving its database (with the
    data folder whose Maildir gets the sign-in mail) and whom to sign in as;
    done as they say, Gebiete shows the demo's area."""
    lines: list[str] = []
    folder = tmp_path / "demo"
    run_demo(folder, out=lines.append).close()
    serve = next(line.strip() for line in lines if line.endswith(" serve"))
    found = re.fullmatch(r"REGSAM_FLOW_HOME=(\S+) regsam-flow --db (\S+) serve", serve)
    assert found, serve
    assert Path(found.group(1)) == folder
    assert f"{SERVE_URL}/sign-in" in lines[-1] and SIGN_IN_EMAIL in lines[-1]
    assert str(folder / "maildir") in lines[-1]
    with served(found.group(2), Path(found.group(1))) as svc:
        page = signed_in_page(svc, SIGN_IN_EMAIL)
        visit(page, "/areas")
        expect(page.locator("table.list tbody tr")).to_have_count(1)
        expect(page.locator("table.list tbody tr")).to_contain_text("Hasenbergl-Nord")
        checked(page, "demo-areas")


def test_a_form_post_without_the_right_csrf_token_is_refused(svc: Service, engine: Engine) -> None:
    page = signed_in_page(svc, MIA)
    token = page.locator("header input[name=csrf_token]").get_attribute("value")
    assert token
    before = engine.get_area("hasenbergl-nord", actor="mia").version
    log_before = len(engine.history(actor="root"))
    html = {"Accept": "text/html"}
    for form in ({"version": str(before)}, {"version": str(before), "csrf_token": "x" * 64}):
        r = page.request.post(REPORT, form=form, headers=html, max_redirects=0)
        assert r.status == 403
        assert "Die Änderung wurde abgelehnt" in r.text()
        r = page.request.post("/sign-out", form=form, headers=html, max_redirects=0)
        assert r.status == 403
    # a multipart form with a wrong token, too
    r = page.request.post(REPORT, multipart={"csrf_token": "x" * 64}, max_redirects=0)
    assert r.status == 403 and r.json()["error"] == "csrf_failed"
    # JSON is no form: the right token in a JSON body does not count, only the header
    body = json.dumps({"note": "x", "csrf_token": token})
    r = page.request.post(
        REPORT, data=body, headers={"Content-Type": "application/json"}, max_redirects=0
    )
    assert r.status == 403 and r.json()["error"] == "csrf_failed"
    # nothing was written, and the session still works
    assert engine.get_area("hasenbergl-nord", actor="mia").version == before
    assert len(engine.history(actor="root")) == log_before
    assert not next(t for t in engine.tasks("hasenbergl-nord", actor="mia") if t.id == TASK).done
    assert visit(page, "/") == 200 and page.url == svc.url + "/"
    # the refusal as a browser sees it
    page.evaluate("document.querySelector('header input[name=csrf_token]').value = 'falsch'")
    page.get_by_role("button", name="Abmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nicht erlaubt")
    checked(page, "csrf-refused")
    assert visit(page, "/") == 200 and page.url == svc.url + "/"  # still signed in
    # with the right token the form goes through
    r = page.request.post("/sign-out", form={"csrf_token": token}, headers=html, max_redirects=0)
    assert r.status == 303 and r.headers["location"] == "/sign-in"
    assert re.search(r"/sign-in$", page.goto("/").url)  # type: ignore[union-attr]
