"""The one mapping of errors to HTTP answers.

Services raise the domain errors of `portfolio_tracker.errors` (and the engine its
OversellError); `install_error_handlers` turns each into a JSON body with a human-readable
`detail` (and, for input errors, where the problem is).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from portfolio_tracker.db.session import DATABASE_UNAVAILABLE
from portfolio_tracker.engine.lots import OversellError
from portfolio_tracker.errors import (
    Conflict,
    DomainError,
    Forbidden,
    HistoryBroken,
    InvalidInput,
    NotFound,
    RateLimited,
    ServiceUnavailable,
    TooLarge,
    Unauthorized,
    UnsupportedFormat,
)

log = logging.getLogger(__name__)

# The type FastAPI wants for a route's documented `responses`.
Responses = dict[int | str, dict[str, Any]]
# What every authenticated route documents (compose: {**NOT_AUTHENTICATED, 404: {...}}).
NOT_AUTHENTICATED: Responses = {401: {"description": "Not authenticated"}}


# The one mapping of domain errors to HTTP statuses (most specific class first).
_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (NotFound, 404),
    (Conflict, 409),
    (Unauthorized, 401),
    (Forbidden, 403),
    (InvalidInput, 422),
    (TooLarge, 413),
    (UnsupportedFormat, 415),
    (RateLimited, 429),
    (ServiceUnavailable, 503),
)


def status_of(exc: DomainError) -> int:
    """The HTTP status answering `exc` (400 for a domain error with no mapping of its own)."""
    return next((status for kind, status in _STATUS if isinstance(exc, kind)), 400)


def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    headers: dict[str, str] = {}
    body: dict[str, Any] = {"detail": exc.detail}
    if isinstance(exc, InvalidInput):
        body["detail"] = [{"loc": exc.loc, "msg": exc.detail, "type": "value_error"}]
    if isinstance(exc, RateLimited | ServiceUnavailable):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, Unauthorized):
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(body, status_code=status_of(exc), headers=headers)


# Seconds a client should wait before asking again after a 503 of the database.
DATABASE_RETRY_AFTER = 5
DATABASE_UNAVAILABLE_DETAIL = "The database is unavailable. Try again shortly."


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """A database that is down, hangs past its timeouts or lost its file: a fast 503 that
    says so (the cause goes to the log, one line, never to the client). Async, so the
    answer needs no free worker thread while threads wait on the database."""
    cause = getattr(exc, "orig", None) or exc
    first_line = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    log.warning(
        "database unavailable on %s %s: %s: %s",
        request.method,
        request.url.path,
        type(cause).__name__,
        first_line[:200],
    )
    return JSONResponse(
        {"detail": DATABASE_UNAVAILABLE_DETAIL},
        status_code=503,
        headers={"Retry-After": str(DATABASE_RETRY_AFTER)},
    )


def _oversell(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, OversellError)
    loc = exc.loc if isinstance(exc, HistoryBroken) else ["body", "quantity"]
    body = {"detail": [{"loc": loc, "msg": str(exc), "type": "oversell"}]}
    return JSONResponse(body, status_code=422)


def _validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "loc": list(err.get("loc", ())),
            "msg": _readable(err.get("msg", "")),
            "type": err.get("type", ""),
        }
        for err in exc.errors()
    ]
    return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)


def _readable(message: str) -> str:
    """Pydantic prefixes the messages of our own validators with "Value error, " (or
    "Assertion failed, "): noise to a person reading them."""
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message


# FastAPI's answer when a request body cannot be read at all (e.g. bytes that are not UTF-8).
_UNREADABLE_BODY = "There was an error parsing the body"
_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.detail == _UNREADABLE_BODY:
        # A body that is not JSON at all is an invalid body like any other: 422, in the same
        # shape as the validation errors (the document describes no 400).
        reason = (
            "request body is not valid UTF-8"
            if isinstance(exc.__cause__, UnicodeDecodeError)
            else "request body could not be parsed as JSON"
        )
        body = {"detail": [{"loc": ["body"], "msg": reason, "type": "json_invalid"}]}
        return JSONResponse(body, status_code=422)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        allowed = allowed_methods(request.app, request.url.path)
        if allowed:
            headers["Allow"] = ", ".join(allowed)
    return JSONResponse(
        {"detail": exc.detail}, status_code=exc.status_code, headers=headers or None
    )


def _method_table(app: FastAPI) -> list[tuple[re.Pattern[str], frozenset[str]]]:
    table = []
    for template, item in app.openapi().get("paths", {}).items():
        parts = re.split(r"(\{[^}/]+\})", template)
        regex = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
        methods = frozenset(m.upper() for m in item if m in _HTTP_METHODS)
        table.append((re.compile(regex), methods))
    return table


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """The methods the document gives every path template matching `path`, sorted.

    A 405 must list them all in `Allow`; Starlette's own header names only the methods of
    the first route whose path matched, and the routers included into the app are separate
    routes, so `/api/assets` would advertise GET and hide POST.
    """
    table: list[tuple[re.Pattern[str], frozenset[str]]] | None = getattr(
        app.state, "method_table", None
    )
    if table is None:
        table = app.state.method_table = _method_table(app)
    found: set[str] = set()
    for regex, methods in table:
        if regex.fullmatch(path):
            found |= methods
    return sorted(found)


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse({"detail": "Internal server error."}, status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(OversellError, _oversell)
    for kind in DATABASE_UNAVAILABLE:
        app.add_exception_handler(kind, _database_unavailable)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
