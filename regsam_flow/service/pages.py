"""The few HTML pages the service itself shows (the sign-in link's page).

Jinja2 templates shipped in the package (``service/templates``), escaped
automatically, no script and no inline style: they work without
JavaScript under the strict Content-Security-Policy.  The texts come from
the catalog (German first) and are handed in as values.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

__all__ = ["page"]

TEMPLATES = Path(__file__).with_name("templates")


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )


def page(
    *,
    lang: str,
    title: str,
    paragraphs: list[str],
    button: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """A small page: a title, paragraphs, optionally one button that POSTs
    to the page's own URL."""
    html = (
        _environment()
        .get_template("page.html")
        .render(lang=lang, title=title, paragraphs=paragraphs, button=button)
    )
    return HTMLResponse(html, status_code=status_code)
