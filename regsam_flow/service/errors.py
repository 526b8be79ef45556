"""How the service answers an error: the CLI's codes, an HTTP status.

Every answer that is not a success is JSON of one shape, the one the CLI
prints with ``--json``::

    {"error": "<code>", "message": "<sentence in the caller's language>",
     "field": "<the input at fault>"?, "blockers": [{"code", "message"}]?}

``error`` is the stable code of :mod:`regsam_flow.errors` (or one of the
service's own: ``not_signed_in``, ``csrf_failed``, ``too_large``,
``rate_limited``, ``unexpected``); an area one may not see answers exactly
like an area that does not exist, because the engine raises the same
error for both.  A stale version (``If-Match`` given) is 412, any other
conflict 409.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from ..errors import ConflictError, InvalidInputError, RegsamFlowError
from ..i18n import _, use_language
from .requestlog import safe_path

__all__ = ["STATUS", "ServiceError", "error_body", "install_error_handlers", "language"]

log = logging.getLogger("regsam_flow.service")

#: HTTP status for each error code of :mod:`regsam_flow.errors`.
STATUS: dict[str, int] = {
    "not_allowed": 403,
    "blocked": 409,
    "conflict": 409,
    "not_found": 404,
    "invalid_input": 422,
    "invalid_workflow": 422,
    "schema": 503,
    "unavailable": 503,
    "storage": 507,
    "outcome_unknown": 503,
    "audit_failed": 500,
    "not_authenticated": 401,
    "rate_limited": 429,
}


class ServiceError(Exception):
    """An error of the service itself (not of the engine): a code, a status,
    a message already in the caller's language."""

    def __init__(
        self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def error_body(
    code: str,
    message: str,
    *,
    field: str | None = None,
    blockers: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """The JSON of an error answer."""
    body: dict[str, Any] = {"error": code, "message": message}
    if field:
        body["field"] = field
    if blockers:
        body["blockers"] = blockers
    return body


def language(request: Request) -> str:
    """The request's language (set by the authentication layer from
    Accept-Language): ``de`` unless English was preferred."""
    lang = getattr(request.state, "language", None)
    return lang if isinstance(lang, str) else "de"


def _field_of(loc: Any) -> str:
    """``("body", "agreement", "review_date")`` -> ``agreement.review_date``."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def _html(request: Request, status: int, message: str) -> Response | None:
    """The error as a page when a browser asks for a page (see
    :func:`.web.render.error_page`), else None."""
    from .web.render import error_page, wants_html

    if not wants_html(request):
        return None
    return error_page(request, status, message)


async def _engine_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RegsamFlowError)
    status = STATUS.get(exc.code, 400)
    if isinstance(exc, ConflictError) and request.headers.get("if-match"):
        status = 412
    field = exc.field if isinstance(exc, InvalidInputError) else None
    blockers = [b.to_dict() for b in getattr(exc, "blockers", ())]
    headers = {}
    retry_after = getattr(exc, "retry_after", None)
    if isinstance(retry_after, int):
        headers["Retry-After"] = str(retry_after)
    if status >= 500:
        log.error(
            "%s %s: %s (%s)", request.method, safe_path(request.url.path), exc.code, exc.message
        )
    html = _html(request, status, exc.message)
    if html is not None:
        return html
    return JSONResponse(
        error_body(exc.code, exc.message, field=field, blockers=blockers),
        status_code=status,
        headers=headers,
    )


async def _service_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ServiceError)
    html = _html(request, exc.status, exc.message)
    if html is not None:
        return html
    return JSONResponse(
        error_body(exc.code, exc.message), status_code=exc.status, headers=exc.headers
    )


def _problem(error: Mapping[str, Any]) -> str:
    """What is wrong with one input, in the reader's language (pydantic's
    own sentence, which is English, only for kinds not named here)."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    msg = str(error.get("msg", ""))
    if kind == "value_error":  # our own validators: the sentence is ours, translated
        return msg.removeprefix("Value error, ")
    texts = {
        "missing": _("is missing"),
        "extra_forbidden": _("is not a field of this request"),
        "json_invalid": _("is not valid JSON"),
        "model_attributes_type": _("must be a JSON object"),
        "dict_type": _("must be a JSON object"),
        "list_type": _("must be a list"),
        "string_type": _("must be text"),
        "int_type": _("must be a whole number"),
        "int_parsing": _("must be a whole number"),
        "bool_type": _("must be true or false"),
        "bool_parsing": _("must be true or false"),
        "string_too_short": _("is too short (at least {n} characters)"),
        "string_too_long": _("is too long (at most {n} characters)"),
        "too_short": _("has too few entries (at least {n})"),
        "too_long": _("has too many entries (at most {n})"),
        "greater_than_equal": _("must be at least {n}"),
        "less_than_equal": _("must be at most {n}"),
        "greater_than": _("must be more than {n}"),
        "less_than": _("must be less than {n}"),
        "literal_error": _("must be one of: {n}"),
        "enum": _("must be one of: {n}"),
    }
    if kind not in texts:
        return msg
    n = next(
        (
            ctx[k]
            for k in ("min_length", "max_length", "ge", "le", "gt", "lt", "expected")
            if k in ctx
        ),
        "",
    )
    return texts[kind].format(n=n)


async def _invalid_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {"loc": ("body",), "msg": ""}
    field = _field_of(first.get("loc", ("body",)))
    with use_language(language(request)):
        message = _("{field}: {problem}").format(field=field, problem=_problem(first))
    html = _html(request, 422, message)
    if html is not None:
        return html
    return JSONResponse(error_body("invalid_input", message, field=field), status_code=422)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    with use_language(language(request)):
        message = {
            404: _("No such page or resource."),
            405: _("This method is not allowed here."),
        }.get(exc.status_code, str(exc.detail))
    html = _html(request, exc.status_code, message)
    if html is not None:
        return html
    return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=exc.headers)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("%s %s failed", request.method, safe_path(request.url.path))
    with use_language(language(request)):
        message = _("Something went wrong on the server; its log says what.")
    html = _html(request, 500, message)
    if html is not None:
        return html
    return JSONResponse(error_body("unexpected", message), status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error of ``app`` as JSON of the one shape above."""
    app.add_exception_handler(RegsamFlowError, _engine_error)
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
