"""Shared by the browser tests of the area page (Ein Gebiet): the served
process on the test's database, signing people in, opening the page and
checking it as it is now, and bringing the area along its phases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from regsam_flow import Engine

from .browser import check_a11y, console_errors, shoot, signed_in_page, visit
from .conftest import PEOPLE, report, sign_agreement
from .service_process import Service, served


@pytest.fixture(name="svc")
def served_area(engine: Engine, area: str, db_url: str, tmp_path: Path) -> Iterator[Service]:
    """A ``regsam-flow serve`` process on the test's database with its area."""
    with served(db_url, tmp_path / "home") as s:
        yield s


def email(person: str) -> str:
    return PEOPLE[person][1]


def signed_in(svc: Service, person: str) -> Page:
    return signed_in_page(svc, email(person))


def open_area(page: Page, area: str, shot: str | None = None) -> None:
    assert visit(page, f"/areas/{area}") == 200
    checked(page, shot)


def checked(page: Page, shot: str | None = None) -> None:
    """The page as it is now: German, no console errors, axe-core clean."""
    assert page.locator("html").get_attribute("lang") == "de"
    check_a11y(page)
    if shot:
        shoot(page, shot)
    assert console_errors(page) == []


def in_vorlauf_ready(engine: Engine, area: str) -> None:
    sign_agreement(engine, area)
    report(engine, area, "vorlauf")


def in_diagnose(engine: Engine, area: str) -> None:
    in_vorlauf_ready(engine, area)
    engine.advance(area, actor="mia")


def in_phase(engine: Engine, area: str, phase: str) -> None:
    """Walk the area from vorlauf up to ``phase`` (umsetzung or auswertung)."""
    sign_agreement(engine, area)
    for done in ("vorlauf", "diagnose", "umsetzung"):
        report(engine, area, done)
        engine.advance(area, actor="mia")
        if engine.get_area(area, actor="root").state == phase:
            return
