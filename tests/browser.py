"""Driving the web pages in a real headless Chromium (Debian's ``chromium``)
with Playwright, for the browser tests.

::

    from .browser import check_a11y, console_errors, shoot, signed_in_page, visit

    page = signed_in_page(svc, "mia@regsam.example")   # signed in through the mail's link
    visit(page, "/areas")                              # goto; the answer's status is returned
    check_a11y(page)                                   # axe-core: no serious or critical finding
    shoot(page, "areas")                               # screenshots/areas-1280.png, -360.png
    assert console_errors(page) == []                  # console errors and page errors so far
    page.context.close()                               # or leave it to the end of the run

The browser is Debian's Chromium found on PATH (never ``playwright
install``; nothing is downloaded), started once per test run and shared;
every page gets a browser context of its own (its own cookies).  Without
Chromium the tests are skipped, except with ``REGSAM_FLOW_TEST_REQUIRE_TOOLS=1``
(CI), where they fail (:mod:`tests.tools`).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import re
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from .service_process import Service, link_in
from .tools import find, require

__all__ = [
    "CHROMIUM_ARGS",
    "SCREENSHOTS",
    "WIDTHS",
    "browser",
    "check_a11y",
    "console_errors",
    "new_page",
    "shoot",
    "signed_in_page",
    "visit",
]

ROOT = Path(__file__).resolve().parent.parent
#: Where :func:`shoot` writes (ignored by git).
SCREENSHOTS = ROOT / "screenshots"
#: The widths every page is shot at: a laptop and a small phone.
WIDTHS = (1280, 360)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: axe-core impacts a page must not have.
BLOCKING_IMPACTS = ("serious", "critical")

_state: dict[str, Any] = {}
_errors: WeakKeyDictionary[Page, list[str]] = WeakKeyDictionary()


def browser() -> Browser:
    """The shared headless Chromium (started on first use, closed at exit)."""
    found = _state.get("browser")
    if isinstance(found, Browser) and found.is_connected():
        return found
    path = require(find("chromium", "chromium-browser"), "Chromium", "chromium")
    playwright: Playwright = _state.get("playwright") or sync_playwright().start()
    _state["playwright"] = playwright
    launched = playwright.chromium.launch(
        executable_path=path, args=CHROMIUM_ARGS, headless=True, timeout=60_000
    )
    _state["browser"] = launched
    return launched


def _stop() -> None:
    found = _state.pop("browser", None)
    if isinstance(found, Browser):
        with contextlib.suppress(Exception):  # the browser went away already
            found.close()
    playwright = _state.pop("playwright", None)
    if playwright is not None:
        playwright.stop()


atexit.register(_stop)


#: Chromium's console line for an answer with an error status.  For the page
#: itself (a 422 form, a 404 page: statuses the pages answer on purpose) it
#: is no error of the page; for anything the page loads it is.
FAILED_LOAD = "Failed to load resource: the server responded with a status of"


def new_page(svc: Service, *, width: int = WIDTHS[0], lang: str = "de-DE") -> Page:
    """A page in a fresh browser context (no cookies) on the service; its
    console errors and page errors are collected (:func:`console_errors`)."""
    context = browser().new_context(
        base_url=svc.url,
        viewport={"width": width, "height": 900},
        locale=lang,
        extra_http_headers={"Accept-Language": lang},
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    documents: set[str] = set()
    _errors[page] = errors

    def on_response(response: Any) -> None:
        request = response.request
        if request.is_navigation_request() and request.frame == page.main_frame:
            documents.add(response.url)

    def on_console(message: Any) -> None:
        if message.type != "error":
            return
        where = (message.location or {}).get("url", "")
        if message.text.startswith(FAILED_LOAD) and where in documents:
            return  # the page's own status (422, 404 ...), shown as the page
        errors.append(f"console: {message.text} ({where or page.url})")

    page.on("response", on_response)
    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc} ({page.url})"))
    return page


def console_errors(page: Page) -> list[str]:
    """The console errors and uncaught page errors of ``page`` so far (a
    failed load of anything the page loads counts; the page's own error
    status does not: the test asserts that one)."""
    return list(_errors.get(page, []))


def visit(page: Page, path: str) -> int:
    """Open ``path`` of the service; the HTTP status of the answer."""
    response = page.goto(path, wait_until="load")
    assert response is not None, f"no answer for {path}"
    return response.status


def signed_in_page(svc: Service, email: str, *, lang: str = "de-DE") -> Page:
    """A page signed in as the person with ``email`` the way a person does
    it: the sign-in page's form, the link from the new mail in the Maildir,
    the link page's button.  Ends on Meine Aufgaben (``/``)."""
    page = new_page(svc, lang=lang)
    before = {m.as_string() for m in svc.mails()}
    visit(page, "/sign-in")
    page.get_by_label(re.compile("E-Mail|Email")).fill(email)
    page.get_by_role("button", name=re.compile("Anmeldelink|sign-in link")).click()
    heading = page.get_by_role("heading", name=re.compile("Sehen Sie in Ihre E-Mails|Look in"))
    heading.wait_for()  # the answer is there: the mail was written before it
    new = [m for m in svc.mails() if m.as_string() not in before]  # by content: not by date
    assert len(new) == 1, f"no sign-in mail for {email}"
    assert email.lower() in str(new[0]["To"]).lower()
    visit(page, link_in(new[0]))
    page.get_by_role("button").first.click()
    page.wait_for_url(svc.url + "/")
    return page


def _readable(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v.get('impact')}: {v.get('id')}: {v.get('help')} ({v.get('helpUrl')})")
        for node in v.get("nodes", [])[:5]:
            target = json.dumps(node.get("target"))
            lines.append(f"    at {target}: {node.get('failureSummary', '').strip()}")
    return "\n".join(lines)


def check_a11y(page: Page) -> list[dict[str, Any]]:
    """Run axe-core (shipped with axe-playwright-python) on the page as it
    is now; fail on any serious or critical violation, listing them
    readably; the milder ones are returned."""
    results = Axe().run(page)
    violations: list[dict[str, Any]] = results.response.get("violations", [])
    blocking = [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]
    assert not blocking, f"axe-core on {page.url}:\n{_readable(blocking)}"
    return [v for v in violations if v not in blocking]


def shoot(page: Page, name: str) -> list[Path]:
    """Full-page screenshots of the page at each of :data:`WIDTHS` into
    ``screenshots/<name>-<width>.png``; the page is left at the first width."""
    SCREENSHOTS.mkdir(exist_ok=True)
    written = []
    size = page.viewport_size or {"width": WIDTHS[0], "height": 900}
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": size["height"]})
        path = SCREENSHOTS / f"{name}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        written.append(path)
    page.set_viewport_size({"width": WIDTHS[0], "height": size["height"]})
    return written
