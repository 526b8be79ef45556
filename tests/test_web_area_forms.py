"""The area page's forms that change the agreement, the tasks and the KG's
records, driven in a real headless Chromium against a real
``regsam-flow serve`` process by the person who may use them (signed in
through the Maildir's link): each one is filled and sent, the flash and the
changed section are what the person sees, the engine on the same database
holds the change; a failed check comes back 422 with the typed values kept
and the field named.  No console errors, axe-core clean, shot at 1280 and
360 px."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Locator, Page, expect

from regsam_flow import Engine
from regsam_flow.kg import Responsible

from .area_pages import (
    checked,
    in_phase,
    open_area,
    served_area,  # noqa: F401 - the fixture svc
    signed_in,
)
from .conftest import AGREEMENT
from .service_process import Service

pytestmark = pytest.mark.sqlite_only("a server process on the test's SQLite file")


def _send(page: Page, form: Locator, status: int, button: str | None = None) -> None:
    """Press the form's submit button; the answer to the POST (after a
    redirect: the page it leads to) has ``status``."""
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        if button:
            form.get_by_role("button", name=button, exact=True).click()
        else:
            form.get_by_role("button").click()
    assert answer.value.status == (303 if status == 200 else status)
    page.wait_for_load_state("load")


def _refused(page: Page, form: Locator, field: str, says: str) -> None:
    """The page came back 422: the problem summary links to ``field``'s
    input, which names what is wrong."""
    expect(page.locator(".errors", has_text="Bitte korrigieren")).to_be_visible()
    expect(form.locator(".error")).to_contain_text(says)
    page.locator(".errors a", has_text=says).first.click()
    expect(page.locator(f"#{field}")).to_be_focused()


def test_the_moderator_changes_the_agreement_and_reopens_a_task(
    engine: Engine, area: str, svc: Service
) -> None:
    engine.set_agreement(area, actor="mia", **AGREEMENT)
    engine.report_task(area, "schwerpunktziel", actor="mia", note="Ältere im Fokus")
    page = signed_in(svc, "mia")
    open_area(page, area)

    agreement = page.locator("#agreement")
    agreement.get_by_text("Vereinbarung ändern …").click()
    form = agreement.locator("form[action$='/agreement']")
    expect(form.get_by_label("Umgriff", exact=True)).to_have_value(AGREEMENT["scope"])
    form.get_by_label("Umgriff", exact=True).fill("Hasenbergl-Nord und Lerchenau")
    form.get_by_label("Start am", exact=True).fill("2027-02-01")
    _send(page, form, 200, "Vereinbarung speichern")
    expect(page.locator(".flash")).to_contain_text("neu unterzeichnet")
    expect(agreement).to_contain_text("Version 2")
    expect(agreement).to_contain_text("01.02.2027")
    agreement.get_by_text("Frühere Versionen und Änderungen").click()
    changes = agreement.locator("details", has_text="Frühere Versionen")
    expect(changes).to_contain_text(
        f"Umgriff: {AGREEMENT['scope']} → Hasenbergl-Nord und Lerchenau"
    )
    # dates read as dates everywhere on the page: German, not ISO
    expect(changes).to_contain_text("Start am: 15.01.2027 → 01.02.2027")
    expect(changes).to_contain_text("Überprüfung am: 15.07.2027")
    expect(changes).not_to_contain_text("2027-")
    checked(page, "area-agreement-changed")
    ag = engine.agreement(area, actor="root")
    assert ag is not None
    assert (ag.version, ag.scope, ag.start) == (
        2,
        "Hasenbergl-Nord und Lerchenau",
        date(2027, 2, 1),
    )
    assert ag.signatures == {}

    # saved unchanged: refused, nothing written
    agreement.get_by_text("Vereinbarung ändern …").click()
    _send(page, form, 422, "Vereinbarung speichern")
    expect(page.locator("#problem")).to_contain_text("nichts geändert")
    expect(form.get_by_label("Umgriff", exact=True)).to_have_value("Hasenbergl-Nord und Lerchenau")
    checked(page)
    assert engine.agreement(area, actor="root").version == 2  # type: ignore[union-attr]

    # reopening a task needs a reason: blanks only are refused, the field named
    task = page.locator("#tasks li.card", has_text="Schwerpunktziel festgelegt")
    task.get_by_text("Wieder öffnen …").click()
    reopen = task.locator("form[action$='/reopen']")
    reopen.get_by_label("Begründung für das Wiederöffnen").fill("   ")
    _send(page, reopen, 422, "Wieder öffnen")
    task = page.locator("#tasks li.card", has_text="Schwerpunktziel festgelegt")
    reopen = task.locator("form[action$='/reopen']")
    _refused(page, reopen, "reason-schwerpunktziel", "Bitte begründen Sie")
    checked(page, "area-reopen-refused")
    assert {t.id: t for t in engine.tasks(area, actor="root", phase="vorlauf")}[
        "schwerpunktziel"
    ].done

    reopen.get_by_label("Begründung für das Wiederöffnen").fill("Ziel ist noch nicht abgestimmt")
    _send(page, reopen, 200, "Wieder öffnen")
    expect(page.locator(".flash")).to_contain_text("wieder offen")
    task = page.locator("#tasks li.card", has_text="Schwerpunktziel festgelegt")
    expect(task.locator(".badge").first).to_have_text("offen")
    checked(page)
    tasks = {t.id: t for t in engine.tasks(area, actor="root", phase="vorlauf")}
    assert not tasks["schwerpunktziel"].done
    entry = [e for e in engine.history(actor="root") if e.action == "task_reopened"][-1]
    assert (entry.actor, entry.reason) == ("mia", "Ziel ist noch nicht abgestimmt")


def test_the_moderator_adds_a_measure_issues_an_order_and_documents_a_gap(
    engine: Engine, area: str, svc: Service
) -> None:
    in_phase(engine, area, "umsetzung")
    meeting = engine.record_meeting(
        area, actor="mia", held_on="2026-11-20", place="Stadtteiltreff", attendees=["mia", "tom"]
    )
    engine.add_goal(area, actor="mia", title="Begegnung im Quartier stärken")
    page = signed_in(svc, "mia")
    open_area(page, area)

    # a measure for the goal: a title of blanks is refused, the field named
    goal = page.locator("#catalogue ol.goals > li", has_text="Begegnung im Quartier")
    goal.get_by_text("Maßnahme hinzufügen …").click()
    form = goal.locator("form[action$='/measures']")
    form.get_by_label(re.compile("^Maßnahme")).fill("  ")
    form.get_by_label("Verantwortlich").select_option(label="Tom Träger")
    _send(page, form, 422, "Maßnahme hinzufügen")
    goal = page.locator("#catalogue ol.goals > li", has_text="Begegnung im Quartier")
    form = goal.locator("form[action$='/measures']")
    _refused(page, form, "measure-title-1", "darf nicht leer sein")
    expect(form.get_by_label("Verantwortlich")).to_have_value("person:tom")
    checked(page)
    form.get_by_label(re.compile("^Maßnahme")).fill("Nachbarschaftscafé im Stadtteiltreff")
    _send(page, form, 200, "Maßnahme hinzufügen")
    expect(page.locator(".flash")).to_contain_text("Maßnahme")
    expect(page.locator("#catalogue")).to_contain_text("Nachbarschaftscafé im Stadtteiltreff")
    checked(page)
    (g,) = engine.goals(area, actor="root")
    (m,) = g.measures
    assert (m.title, m.responsible) == (
        "Nachbarschaftscafé im Stadtteiltreff",
        Responsible("person", "tom"),
    )

    # a work order from the form
    orders = page.locator("#orders")
    orders.get_by_text("Arbeitsauftrag erteilen …").click()
    form = orders.locator("form[action$='/orders']")
    form.get_by_label("Was zu tun ist").fill("  ")
    form.get_by_label("An", exact=True).select_option(label="Tom Träger")
    form.get_by_label("Fällig am").fill("2027-01-31")
    _send(page, form, 422)
    form = page.locator("#orders form[action$='/orders']")
    _refused(page, form, "order-title", "darf nicht leer sein")
    expect(form.get_by_label("Fällig am")).to_have_value("2027-01-31")
    expect(form.get_by_label("An", exact=True)).to_have_value("person:tom")
    checked(page)
    assert engine.work_orders(area, actor="root") == []
    form.get_by_label("Was zu tun ist").fill("Angebotsliste der Träger zusammenstellen")
    _send(page, form, 200)
    expect(page.locator(".flash")).to_contain_text("Arbeitsauftrag")
    card = page.locator("#orders li.card", has_text="Angebotsliste der Träger")
    expect(card).to_contain_text("31.01.2027")
    checked(page)
    (o,) = engine.work_orders(area, actor="root")
    assert (o.title, o.addressee, o.due, o.meeting, o.status) == (
        "Angebotsliste der Träger zusammenstellen",
        Responsible("person", "tom"),
        date(2027, 1, 31),
        meeting.id,
        "open",
    )

    # a missing resource: what is missing must be said
    resources = page.locator("#resources")
    resources.get_by_text("Fehlende Ressource dokumentieren …").click()
    form = resources.locator("form[action$='/missing-resources']")
    form.get_by_label("Was fehlt").fill(" ")
    form.get_by_label("Schätzung (optional)").fill("20 Std./Woche")
    _send(page, form, 422, "Dokumentieren")
    form = page.locator("#resources form[action$='/missing-resources']")
    _refused(page, form, "resource-text", "darf nicht leer sein")
    expect(form.get_by_label("Schätzung (optional)")).to_have_value("20 Std./Woche")
    checked(page)
    assert engine.missing_resources(area, actor="root") == []
    form.get_by_label("Was fehlt").fill("Eine halbe Stelle Quartiersarbeit")
    _send(page, form, 200, "Dokumentieren")
    expect(page.locator(".flash")).to_contain_text("fehlende Ressource ist dokumentiert")
    expect(page.locator("#resources")).to_contain_text("Eine halbe Stelle Quartiersarbeit")
    checked(page, "area-kg-forms")
    (r,) = engine.missing_resources(area, actor="root")
    assert (r.text, r.estimate, r.recorded_by) == (
        "Eine halbe Stelle Quartiersarbeit",
        "20 Std./Woche",
        "mia",
    )


def test_evaluation_rating_review_and_final_documentation(
    engine: Engine, area: str, svc: Service
) -> None:
    in_phase(engine, area, "auswertung")
    engine.add_goal(area, actor="mia", title="Begegnung im Quartier stärken")
    page = signed_in(svc, "mia")
    open_area(page, area)

    # rating a goal needs a note
    goal = page.locator("#catalogue ol.goals > li", has_text="Begegnung im Quartier")
    goal.get_by_text("Dieses Ziel bewerten …").click()
    form = goal.locator("form[action$='/rating']")
    form.get_by_label("Bewertung").select_option("partly")
    _send(page, form, 422, "Bewerten")
    form = page.locator("#catalogue form[action$='/rating']")
    _refused(page, form, "rating-note-1", "darf nicht leer sein")
    expect(form.get_by_label("Bewertung")).to_have_value("partly")
    checked(page)
    assert engine.goals(area, actor="root")[0].rating is None
    form.get_by_label("Notiz", exact=True).fill("Café läuft, Spielplatzfest fehlt")
    _send(page, form, 200, "Bewerten")
    expect(page.locator(".flash")).to_contain_text("bewertet")
    expect(page.locator("#catalogue")).to_contain_text("teilweise erreicht")
    checked(page)
    (g,) = engine.goals(area, actor="root")
    assert (g.rating, g.rating_note, g.rated_by) == (
        "partly",
        "Café läuft, Spielplatzfest fehlt",
        "mia",
    )

    # the final documentation
    final = page.locator("#final")
    expect(final).to_contain_text("Noch nicht festgehalten.")
    final.get_by_label("Format").select_option("md")
    _send(page, final.locator("form"), 200, "Abschlussdokumentation festhalten")
    expect(page.locator(".flash")).to_contain_text("Abschlussdokumentation ist festgehalten")
    expect(final).to_contain_text("(md, ")
    expect(final).not_to_contain_text("Noch nicht festgehalten.")
    expect(page.locator("ol.timeline > li").first).to_contain_text(
        "Abschlussdokumentation festgehalten"
    )
    checked(page, "area-evaluation")
    assert engine.check_final_document(area, b"", actor="mia").recorded is not None

    # the review decision: continuing needs the next date
    agreement = page.locator("#agreement")
    agreement.get_by_text("Entscheidung zur Überprüfung erfassen …").click()
    form = agreement.locator("form[action$='/reviews']")
    form.get_by_label("Entscheidung", exact=True).select_option("continue")
    form.get_by_label("Begründung").fill("Das KG will ein weiteres Jahr arbeiten")
    _send(page, form, 422, "Entscheidung erfassen")
    form = page.locator("#agreement form[action$='/reviews']")
    _refused(page, form, "next_review", "nächsten Überprüfungstermin")
    expect(form.get_by_label("Begründung")).to_have_value("Das KG will ein weiteres Jahr arbeiten")
    checked(page, "area-review-refused")
    assert engine.agreement(area, actor="root").review == AGREEMENT["review"]  # type: ignore[union-attr]
    form.get_by_label(re.compile("^Nächste Überprüfung am")).fill("2028-07-15")
    _send(page, form, 200, "Entscheidung erfassen")
    expect(page.locator(".flash")).to_contain_text("Überprüfung ist erfasst")
    expect(agreement).to_contain_text("15.07.2028")
    expect(page.locator("ol.timeline")).to_contain_text("Das KG will ein weiteres Jahr")
    checked(page)
    ag = engine.agreement(area, actor="root")
    assert ag is not None and ag.review == date(2028, 7, 15)
    entry = [e for e in engine.history(actor="root") if e.reason][-1]
    assert (entry.actor, entry.reason) == ("mia", "Das KG will ein weiteres Jahr arbeiten")
