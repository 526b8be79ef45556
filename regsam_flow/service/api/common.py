"""What the API's routers share: pages of lists, the area's version as
``ETag``/``If-Match``, and the shape of an answer that is a list.

A list answers ``{"items": [...], "total": N, "next": "<url>"|null}``;
``?limit=`` (1..500, default 100) and ``?offset=`` choose the page.  An
area's answers carry its version as a strong ``ETag`` (``"7"``); a change
sent with ``If-Match: "7"`` is refused with 412 when the area has moved on
(nothing written), and without ``If-Match`` the engine's own check against
concurrent changes still applies (409 ``conflict``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Generic, TypeVar

from fastapi import Query, Request, Response
from pydantic import BaseModel

from ...errors import InvalidInputError
from ...i18n import _

__all__ = ["MAX_LIMIT", "Page", "PageParams", "expected_version", "page", "set_etag"]

T = TypeVar("T")
MAX_LIMIT = 500


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    items: list[T]
    total: int
    next: str | None = None


class PageParams:
    """``?limit=&offset=`` of a list request (a FastAPI dependency)."""

    def __init__(
        self,
        limit: int = Query(100, ge=1, le=MAX_LIMIT, description="Entries per page."),
        offset: int = Query(0, ge=0, description="Entries to skip."),
    ) -> None:
        self.limit = limit
        self.offset = offset


def page(request: Request, items: Sequence[T], params: PageParams) -> Page[T]:
    """The page of ``items`` that ``params`` asks for, with the next page's URL."""
    chunk = list(items[params.offset : params.offset + params.limit])
    following = params.offset + params.limit
    nxt = (
        str(request.url.include_query_params(offset=following, limit=params.limit))
        if following < len(items)
        else None
    )
    return Page[T](items=chunk, total=len(items), next=nxt)


def set_etag(response: Response, version: int) -> None:
    """Give the answer the area's version as its ETag."""
    response.headers["ETag"] = f'"{version}"'


def expected_version(request: Request) -> int | None:
    """The area version an ``If-Match`` header names (None without one)."""
    raw = request.headers.get("if-match")
    if raw is None:
        return None
    text = raw.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise InvalidInputError(
            _('If-Match must name a version the server sent as ETag, such as "7".'),
            field="If-Match",
        )
    return int(text)
