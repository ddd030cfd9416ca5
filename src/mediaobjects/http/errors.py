"""Turns exceptions into Canvas error envelopes. This is the only place where that happens:
services raise domain errors (mediaobjects.errors), and the handlers below render them."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from mediaobjects.db.outage import is_database_outage
from mediaobjects.errors import (
    BadRequestMessage,
    DatabaseUnavailable,
    ErrorString,
    FieldError,
    Forbidden,
    InvalidToken,
    MediaObjectsError,
    NotFound,
    ServiceUnavailable,
    TooManyRequests,
    Unauthenticated,
    VersionConflict,
)
from mediaobjects.observability.correlation import current_request_id

log = logging.getLogger(__name__)

# Retry-After of a 503 whose error names none and whose app has no settings to ask.
DEFAULT_RETRY_AFTER_SECONDS = 5

WWW_AUTHENTICATE = {"WWW-Authenticate": 'Bearer realm="canvas-lms"'}


def _field_error_json(err: FieldError) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if err.index is not None:
        out["index"] = err.index
    out["field"] = err.field
    out["message"] = err.message
    out["error_code"] = err.error_code
    # Only caption problems carry these, so every other envelope stays as Canvas writes it.
    if err.line is not None:
        out["line"] = err.line
    if err.cue is not None:
        out["cue"] = err.cue
    return out


def error_body(exc: MediaObjectsError) -> dict[str, Any]:
    if isinstance(exc, BadRequestMessage):
        return {"message": exc.message}
    if isinstance(exc, ErrorString):
        return {"error": exc.message}
    if isinstance(exc, InvalidToken):
        return {"errors": [{"message": exc.message}]}
    if isinstance(exc, Unauthenticated):
        return {"status": "unauthenticated", "errors": [{"message": exc.message}]}
    if isinstance(exc, Forbidden):
        return {"status": "unauthorized", "errors": [{"message": exc.message}]}
    if isinstance(exc, NotFound):
        return {"errors": [{"message": exc.message}]}
    if isinstance(exc, VersionConflict):
        return {
            "errors": [
                {"message": exc.message, "error_code": exc.code, "version_id": exc.version_id}
            ]
        }
    if exc.errors:
        return {"errors": [_field_error_json(e) for e in exc.errors]}
    return {"errors": [{"message": exc.message, "error_code": exc.code}]}


def error_response(
    exc: MediaObjectsError, *, retry_after: int = DEFAULT_RETRY_AFTER_SECONDS
) -> JSONResponse:
    """The envelope of ``exc``; ``retry_after`` is the Retry-After of a 503 that names none."""
    headers: dict[str, str] | None = None
    if isinstance(exc, Unauthenticated):
        headers = WWW_AUTHENTICATE
    elif isinstance(exc, TooManyRequests):
        headers = {"Retry-After": str(exc.retry_after)}
    elif isinstance(exc, ServiceUnavailable):
        seconds = exc.retry_after if exc.retry_after is not None else retry_after
        headers = {"Retry-After": str(seconds)}
    return JSONResponse(error_body(exc), status_code=exc.status_code, headers=headers)


# What a person's browser gets instead of the envelope when a dependency is down: a page needing
# nothing of the service (no template, no database, no script), saying what to do.
_UNAVAILABLE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Temporarily unavailable</title>
<style>
body{{font:1rem/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem}}
</style>
</head><body><main>
<h1>Temporarily unavailable</h1>
<p>The media service cannot reach a part it needs right now. Nothing you did caused this,
and nothing was changed. Please try again in {seconds} seconds.</p>
</main></body></html>
"""


def _wants_page(request: Request) -> bool:
    """A browser navigating (it asks for HTML first), not an API client or a page's script."""
    accept = request.headers.get("accept", "")
    return accept.lstrip().lower().startswith("text/html")


def unavailable_response(request: Request, exc: ServiceUnavailable, retry_after: int) -> Response:
    """The 503 of ``exc``: the Canvas envelope, or for a browser a page saying to retry."""
    if not _wants_page(request):
        return error_response(exc, retry_after=retry_after)
    seconds = exc.retry_after if exc.retry_after is not None else retry_after
    return HTMLResponse(
        _UNAVAILABLE_PAGE.format(seconds=int(seconds)),
        status_code=503,
        headers={
            "Retry-After": str(seconds),
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
            "Cache-Control": "no-store",
        },
    )


def unavailable_retry_after(request: Request) -> int:
    """MEDIAOBJECTS_UNAVAILABLE_RETRY_AFTER_SECONDS of the app serving ``request``."""
    ctx = getattr(request.app.state, "ctx", None)
    settings = getattr(ctx, "settings", None)
    seconds = getattr(settings, "unavailable_retry_after_seconds", None)
    return int(seconds) if isinstance(seconds, int) else DEFAULT_RETRY_AFTER_SECONDS


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, MediaObjectsError)
    if isinstance(exc, ServiceUnavailable):
        # The operator's side of the 503: which dependency, in one line.
        log.warning("%s: %s", exc.code, exc.message)
        return unavailable_response(request, exc, unavailable_retry_after(request))
    return error_response(exc, retry_after=unavailable_retry_after(request))


def _database_down(request: Request, exc: BaseException) -> Response:
    # The operator learns which dependency failed from the log, once per request, without a
    # stack trace; the client learns only that it may retry.
    log.warning("database unavailable: %s: %s", type(exc).__name__, _first_line(exc))
    return unavailable_response(request, DatabaseUnavailable(), unavailable_retry_after(request))


def _first_line(exc: BaseException) -> str:
    # SQLAlchemy appends the statement and its parameters; those stay out of the log line.
    original = getattr(exc, "orig", None)
    text = str(original if original is not None else exc).strip()
    return text.splitlines()[0] if text else ""


async def _database_error(request: Request, exc: Exception) -> Response:
    if is_database_outage(exc):
        return _database_down(request, exc)
    # A bug, not an outage: on to the server's error handler (500, logged with its trace).
    raise exc


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("query", "body", "path", "header", "form")]
    return ".".join(parts) or "request"


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "field": _location(tuple(e.get("loc", ()))),
            "message": str(e.get("msg", "is invalid")),
            "error_code": "invalid",
        }
        for e in exc.errors()
    ]
    return JSONResponse({"errors": errors}, status_code=400)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        return error_response(NotFound())
    if exc.status_code == 405:
        return JSONResponse(
            {"errors": [{"message": "Method not allowed.", "error_code": "method_not_allowed"}]},
            status_code=405,
            headers=exc.headers,
        )
    return JSONResponse(
        {"errors": [{"message": str(exc.detail), "error_code": "http_error"}]},
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def _unexpected(request: Request, exc: Exception) -> Response:
    if is_database_outage(exc):
        # Raised outside the routes (a middleware, a dependency's clean-up).
        return _database_down(request, exc)
    log.exception("unhandled error", exc_info=exc)
    # Answered outside the request-id middleware (by Starlette's outermost one), which left
    # the id set for this: the operator finds the traceback by the id the client reports.
    request_id = current_request_id()
    return JSONResponse(
        {"errors": [{"message": "An error occurred.", "error_code": "internal_server_error"}]},
        status_code=500,
        headers={"X-Request-Id": request_id} if request_id else None,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(MediaObjectsError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    # Every SQLAlchemy error: those that mean the database did not answer become 503.
    app.add_exception_handler(sa_exc.SQLAlchemyError, _database_error)
    app.add_exception_handler(Exception, _unexpected)
