"""The page of one area (Ein Gebiet) in a real headless Chromium against a
real ``regsam-flow serve`` process: people sign in through the link from
the Maildir and do their part with the page's buttons and forms; every
page visit has no console errors and no serious or critical axe-core
finding, and is shot at 1280 and 360 px (``screenshots/``)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from regsam_flow import Engine

from .area_pages import checked as _checked
from .area_pages import in_diagnose as _in_diagnose
from .area_pages import in_vorlauf_ready as _in_vorlauf_ready
from .area_pages import open_area as _open
from .area_pages import served_area  # noqa: F401 - the fixture svc
from .area_pages import signed_in as _signed_in
from .conftest import AGREEMENT
from .service_process import Service

pytestmark = pytest.mark.sqlite_only("a server process on the test's SQLite file")


def test_a_social_planner_signs_the_agreement(engine: Engine, area: str, svc: Service) -> None:
    engine.set_agreement(area, actor="mia", **{**AGREEMENT, "scope": "Hasenbergl"})
    engine.set_agreement(area, actor="mia", scope="Hasenbergl-Nord")
    engine.sign_agreement(area, actor="mia")
    page = _signed_in(svc, "sven")
    _open(page, area, "area-sign")

    agreement = page.locator("#agreement")
    expect(agreement).to_contain_text("Version 2")
    expect(agreement).to_contain_text("noch nicht unterzeichnet")
    # what changed between the versions
    agreement.get_by_text("Frühere Versionen und Änderungen").click()
    expect(agreement).to_contain_text("Umgriff: Hasenbergl → Hasenbergl-Nord")
    # the picture of the process: the current phase marked, as real SVG text
    picture = page.locator("#process-h + figure svg")
    expect(picture.locator("title").first).to_contain_text("Schwerpunktgebiet")
    expect(picture).to_contain_text("aktuelle Phase")
    expect(picture).to_contain_text("Abbrechen")

    # the picture alone, as a file
    svg = page.request.get(f"/areas/{area}/diagram.svg")
    assert svg.status == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert "aktuelle Phase" in svg.text()

    page.get_by_role("button", name="Vereinbarung unterzeichnen", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("unterzeichnet")
    expect(page.get_by_role("button", name="Vereinbarung unterzeichnen", exact=True)).to_have_count(
        0
    )
    _checked(page, "area-signed")
    # the history: newest first, in Berlin time, saying who did what
    timeline = page.locator("ol.timeline > li")
    expect(timeline.first).to_contain_text("Vereinbarung unterzeichnet")
    expect(timeline.first).to_contain_text("Sven Sozialplanung")
    expect(page.locator("ol.timeline")).to_contain_text("Tom Träger als Einrichtungsträger")
    ag = engine.agreement(area, actor="root")
    assert ag is not None and ag.signatures == {"moderation": "mia", "social_planning": "sven"}
    entry = [e for e in engine.history(actor="root") if e.action == "agreement_signed"][-1]
    assert entry.actor == "sven" and entry.to_dict()["details"]["channel"] == "web"


def test_a_provider_reports_a_task_and_a_work_order(
    engine: Engine, area: str, svc: Service
) -> None:
    _in_diagnose(engine, area)
    m = engine.record_meeting(
        area, actor="mia", held_on="2026-11-20", place="Stadtteiltreff", attendees=["mia", "tom"]
    )
    from regsam_flow.kg import Responsible

    order = engine.issue_order(
        area,
        actor="mia",
        meeting=m.id,
        title="Angebotsliste der Träger zusammenstellen",
        addressee=Responsible("role", "provider"),
        due="2027-01-31",
    )
    engine.create_area("milbertshofen", actor="root", name="Milbertshofen")
    page = _signed_in(svc, "tom")
    # an area he is not in looks exactly like one that does not exist
    hidden, missing = (page.request.get(f"/areas/{a}") for a in ("milbertshofen", "gibt-es-nicht"))
    assert hidden.status == missing.status == 404
    assert "Milbertshofen" not in hidden.text()
    assert page.request.get("/areas/milbertshofen/diagram.svg").status == 404
    _open(page, area, "area-provider")
    # only what a provider may do: no step buttons, no forms of the moderation
    expect(page.get_by_role("button", name="Umsetzung beginnen", exact=True)).to_have_count(0)
    expect(page.get_by_text("Sitzung erfassen …")).to_have_count(0)
    expect(page.locator("#next")).to_contain_text("Noch nicht möglich")
    expect(page.locator("#next")).to_contain_text(
        "Nur REGSAM-Moderation darf diesen Schritt gehen."
    )

    task = page.locator("li.card", has_text="Teilnahme am KG")
    task.get_by_label("Notiz (freiwillig)").fill("An der Sitzung im November teilgenommen")
    task.get_by_role("button", name="Als erledigt melden", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("erledigt gemeldet")
    _checked(page)
    done = {t.id: t for t in engine.tasks(area, actor="root", phase="diagnose")}
    assert done["teilnahme_traeger"].done_by == "tom"
    assert done["teilnahme_traeger"].note == "An der Sitzung im November teilgenommen"

    card = page.locator("#orders li.card", has_text="Angebotsliste")
    card.get_by_text("Status melden …").click()
    card.get_by_label("Status").select_option("in_progress")
    card.get_by_label(re.compile("^Notiz")).fill("Zwei Träger fehlen noch")
    card.get_by_role("button", name="Melden", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("Status")
    expect(page.locator("#orders")).to_contain_text("in Bearbeitung")
    _checked(page, "area-provider-reported")
    (o,) = engine.work_orders(area, actor="root")
    assert (o.id, o.status, o.note, o.updated_by) == (
        order.id,
        "in_progress",
        "Zwei Träger fehlen noch",
        "tom",
    )


def test_the_moderator_advances_records_a_meeting_and_adopts_the_catalogue(
    engine: Engine, area: str, svc: Service
) -> None:
    _in_vorlauf_ready(engine, area)
    page = _signed_in(svc, "mia")
    _open(page, area, "area-moderator")
    page.get_by_role("button", name="Diagnose beginnen", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("Diagnose")
    assert engine.get_area(area, actor="root").state == "diagnose"
    _checked(page)

    page.get_by_text("Sitzung erfassen …").click()
    form = page.locator("form[action$='/meetings']")
    form.get_by_label(re.compile("^Datum")).fill("2026-11-20")
    form.get_by_label("Ort", exact=True).fill("Stadtteiltreff Hasenbergl")
    form.get_by_label("Tom Träger").check()
    form.get_by_label("Mia Moderatorin").check()
    form.get_by_label("Beschlüsse (einer pro Zeile)").fill("Ziele bis Januar\nMonatlich tagen")
    form.get_by_role("button", name="Sitzung erfassen", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("Sitzung")
    expect(page.locator("#meetings")).to_contain_text("Stadtteiltreff Hasenbergl")
    _checked(page)
    (meeting,) = engine.meetings(area, actor="root")
    assert meeting.decisions == ("Ziele bis Januar", "Monatlich tagen")
    assert {a.person for a in meeting.attendees} == {"mia", "tom"}

    page.get_by_text("Ziel hinzufügen …").click()
    goal = page.locator("form[action$='/goals']")
    goal.get_by_label(re.compile("^Ziel")).fill("Begegnung im Quartier stärken")
    page.get_by_role("button", name="Ziel hinzufügen", exact=True).click()
    expect(page.locator("#catalogue")).to_contain_text("Begegnung im Quartier stärken")
    _checked(page)
    page.locator("form[action$='/catalogue/adopt']").get_by_role(
        "button", name="Katalog beschließen", exact=True
    ).click()
    expect(page.locator(".flash")).to_contain_text("beschlossen")
    expect(page.locator("#catalogue")).to_contain_text("Beschlossene Fassung: 1")
    # adopted and unchanged since: nothing to adopt again
    expect(page.get_by_role("button", name="Katalog beschließen", exact=True)).to_have_count(0)
    _checked(page, "area-moderator-kg")
    (version,) = engine.catalogue_versions(area, actor="root")
    assert version.meeting == meeting.id and version.adopted_by == "mia"


def test_cancel_needs_a_reason_and_a_confirmation(engine: Engine, area: str, svc: Service) -> None:
    page = _signed_in(svc, "mia")
    _open(page, area)
    step = page.locator("article.step", has_text="Abbrechen")
    step.locator("summary").click()
    step.get_by_role("button", name="Abbrechen", exact=True).click()
    # the browser's own check asks for the reason first: nothing is sent
    assert engine.get_area(area, actor="root").state == "vorlauf"
    step.get_by_label(re.compile("^Begründung")).fill("Träger ziehen sich zurück")
    with page.expect_response(re.compile("/transitions/cancel$")) as answer:
        step.get_by_role("button", name="Abbrechen", exact=True).click()
    assert answer.value.status == 422
    # without the tick the page comes back, the reason kept, the box named
    expect(page.locator("#problem, .errors").first).to_be_visible()
    step = page.locator("article.step", has_text="Abbrechen")
    expect(step.get_by_label(re.compile("^Begründung"))).to_have_value("Träger ziehen sich zurück")
    expect(step.locator(".error")).to_contain_text("bestätigen")
    # the summary's link leads to the box to tick
    page.locator(".errors a", has_text="bestätigen").click()
    expect(step.get_by_label(re.compile("nicht rückgängig"))).to_be_focused()
    _checked(page, "area-cancel-unconfirmed")
    assert engine.get_area(area, actor="root").state == "vorlauf"

    step.get_by_label(re.compile("nicht rückgängig")).check()
    step.get_by_role("button", name="Abbrechen", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("abgebrochen")
    assert engine.get_area(area, actor="root").state == "abgebrochen"
    entry = [e for e in engine.history(actor="root") if e.action == "transition"][-1]
    assert entry.reason == "Träger ziehen sich zurück"
    # the process has ended: no step, no change form is left
    expect(page.locator("#next form")).to_have_count(0)
    _checked(page, "area-cancelled")


def test_a_stale_form_shows_the_collision_and_writes_nothing(
    engine: Engine, area: str, svc: Service
) -> None:
    page = _signed_in(svc, "mia")
    _open(page, area)
    other = _signed_in(svc, "mia")  # a second window of hers
    _open(other, area)

    first = page.locator("li.card", has_text="Schwerpunktziel festgelegt")
    first.get_by_role("button", name="Als erledigt melden", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("erledigt gemeldet")

    # the second tab still holds the old version
    stale = other.locator("li.card", has_text="Kooperationsbeteiligte seitens der Träger")
    stale.get_by_label("Notiz (freiwillig)").fill("Drei Träger zugesagt")
    with other.expect_response(re.compile("/report$")) as answer:
        stale.get_by_role("button", name="Als erledigt melden", exact=True).click()
    assert answer.value.status == 409
    expect(other.locator("#problem")).to_contain_text("Jemand anderes hat das Gebiet")
    # the current state: the first tab's report is shown, the typed note kept
    expect(
        other.locator("li.card", has_text="Schwerpunktziel festgelegt").locator(".badge").first
    ).to_have_text("erledigt")
    expect(stale.get_by_label("Notiz (freiwillig)")).to_have_value("Drei Träger zugesagt")
    other.locator("#problem a").click()
    expect(stale.get_by_label("Notiz (freiwillig)")).to_be_focused()
    _checked(other, "area-collision")
    tasks = {t.id: t for t in engine.tasks(area, actor="root", phase="vorlauf")}
    assert tasks["schwerpunktziel"].done and not tasks["partner_traeger"].done
