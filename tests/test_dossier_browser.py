"""The final documentation in a real browser (headless Chromium, when
installed): it lays out without a horizontal scroll bar at phone and at
desktop width, runs no script of its own, and shows its text.

Chromium's ``--dump-dom`` lays a page out no narrower than 500 px; the
screenshots for the eye (390 px) are in the issue's note, not here."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from regsam_flow.documents import render_dossier

from . import tools
from .dossier_sample import rich_dossier

CHROMIUM = tools.find("chromium", "chromium-browser", "google-chrome")


@pytest.fixture(autouse=True)
def _browser() -> None:
    tools.require(CHROMIUM, "Chromium", "chromium")


#: Added by the test, after the document: what the browser laid out.
PROBE = (
    "<script>document.body.setAttribute('data-probe', ["
    "document.documentElement.scrollWidth, document.documentElement.clientWidth,"
    "document.scripts.length].join('/'))</script></body>"
)


def lay_out(html: Path, width: int, tmp_path: Path) -> tuple[int, int, int, str]:
    assert CHROMIUM is not None
    profile = tmp_path / f"profile-{width}"
    out = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--window-size={width},900",
            "--dump-dom",
            html.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    found = re.search(r'data-probe="(\d+)/(\d+)/(\d+)"', out)
    assert found, f"the page did not load: {out[:500]!r}"
    scroll, client, scripts = (int(x) for x in found.groups())
    return scroll, client, scripts, out


@pytest.mark.parametrize("width", [500, 1280])
def test_no_horizontal_scrolling(width: int, tmp_path: Path) -> None:
    html = render_dossier(rich_dossier(), "html")
    page = tmp_path / "dossier.html"
    page.write_text(html.replace("</body>", PROBE), encoding="utf-8")
    scroll, client, scripts, dom = lay_out(page, width, tmp_path)
    assert client <= width and scroll <= client, f"{scroll} px wide in a {client} px window"
    assert scripts == 1  # the probe: the user's <script> stayed text
    assert "Ziel 2: Barrierearme Wege zum Einkaufen" in dom
