"""How the server reports failures: one translation table from exceptions to HTTP status codes.

Every error body has the same shape::

    {"error": {"status": 404, "code": "not_found", "message": "no document with id 'doc_x'", "details": []}}

``details`` lists, for request-validation problems, *where* (``body.k``), *what* was wrong and *what is
allowed*. Unexpected exceptions become a 500 whose body names no internals (the traceback is logged).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from phago.errors import (
    ConfigError,
    InputError,
    MissingExtra,
    NotFound,
    PhagoError,
    SchemaError,
    SourceError,
    StorageError,
)

log = logging.getLogger("phago.server")


class ServerError(Exception):
    """An HTTP-level failure raised by the server itself (auth, size limits, media types)."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers


class Unauthorized(ServerError):
    status = 401
    code = "unauthorized"

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"WWW-Authenticate": 'Bearer realm="phago"'})


class Forbidden(ServerError):
    status = 403
    code = "forbidden"


class BodyTooLarge(ServerError):
    status = 413
    code = "too_large"


class UnsupportedMediaType(ServerError):
    status = 415
    code = "unsupported_media_type"


class Conflict(ServerError):
    status = 409
    code = "conflict"


class Unavailable(ServerError):
    status = 503
    code = "unavailable"


# The one table: exception class → (HTTP status, machine-readable code). Looked up along the MRO, so the
# most specific class wins (SourceError before InputError before PhagoError).
STATUS_TABLE: dict[type[BaseException], tuple[int, str]] = {
    SourceError: (422, "unreadable_file"),
    InputError: (400, "bad_input"),
    NotFound: (404, "not_found"),
    ConfigError: (500, "config_error"),
    SchemaError: (503, "schema_too_new"),
    StorageError: (503, "storage_unavailable"),
    MissingExtra: (501, "not_installed"),
    PhagoError: (503, "unavailable"),
}

_HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    406: "not_acceptable", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
    422: "invalid_request", 429: "too_many_requests", 500: "internal_error", 503: "unavailable",
}


def status_for(exc: BaseException) -> tuple[int, str]:
    """HTTP status and code for ``exc`` from :data:`STATUS_TABLE` (500 ``internal_error`` if absent)."""
    if isinstance(exc, ServerError):
        return exc.status, exc.code
    for cls in type(exc).__mro__:
        if cls in STATUS_TABLE:
            return STATUS_TABLE[cls]
    return 500, "internal_error"


def error_body(
    status: int, code: str, message: str, details: Sequence[dict[str, Any]] = ()
) -> dict[str, Any]:
    return {"error": {"status": status, "code": code, "message": message, "details": list(details)}}


def error_response(
    status: int, code: str, message: str, details: Sequence[dict[str, Any]] = (),
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(error_body(status, code, message, details), status_code=status, headers=headers)


def validation_details(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """pydantic/FastAPI validation errors as ``{where, problem, allowed?, got?}`` entries."""
    out: list[dict[str, Any]] = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ())]
        entry: dict[str, Any] = {"where": ".".join(loc) or "body", "problem": str(err.get("msg", "invalid"))}
        ctx = err.get("ctx") or {}
        allowed = _allowed(err.get("type", ""), ctx)
        if allowed:
            entry["allowed"] = allowed
        if "input" in err and err.get("type") != "missing" and _small(err["input"]):
            entry["got"] = err["input"]
        out.append(entry)
    return out


def _allowed(kind: str, ctx: dict[str, Any]) -> str | None:
    for name, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
        if name in ctx:
            return f"{sym} {ctx[name]}"
    if "expected" in ctx:
        return f"one of {ctx['expected']}"
    if "max_length" in ctx:
        return f"length <= {ctx['max_length']}"
    if "min_length" in ctx:
        return f"length >= {ctx['min_length']}"
    if "pattern" in ctx:
        return f"matching {ctx['pattern']}"
    if kind == "extra_forbidden":
        return "no extra fields"
    return None


def _small(value: object) -> bool:
    """Echo an offending value back only if it is a short scalar (never a whole document)."""
    return isinstance(value, int | float | bool) or (isinstance(value, str) and len(value) <= 200)


def validation_message(details: Sequence[dict[str, Any]]) -> str:
    parts = [f"{d['where']}: {d['problem']}" for d in details[:5]]
    more = f" (and {len(details) - 5} more)" if len(details) > 5 else ""
    return "invalid request: " + "; ".join(parts) + more


def install_handlers(app: FastAPI) -> None:
    """Register the translation table on ``app``."""

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError | ValidationError)
        details = validation_details(exc.errors())
        return error_response(422, "invalid_request", validation_message(details), details)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        if exc.status_code == 404 and message == "Not Found":
            message = f"no route {request.url.path}"
        if exc.status_code == 405:
            message = f"method {request.method} is not allowed on {request.url.path}"
        return error_response(exc.status_code, code, message, headers=dict(exc.headers or {}))

    async def on_phago(request: Request, exc: Exception) -> JSONResponse:
        status, code = status_for(exc)
        if status >= 500:
            log.error("request failed", extra={"path": request.url.path, "error": str(exc)})
        headers = exc.headers if isinstance(exc, ServerError) else None
        message = exc.message if isinstance(exc, ServerError) else str(exc)
        return error_response(status, code, message, headers=headers)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", extra={"path": request.url.path})
        return error_response(500, "internal_error", "internal server error (logged)")

    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(ValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(PhagoError, on_phago)
    app.add_exception_handler(ServerError, on_phago)
    app.add_exception_handler(Exception, on_unexpected)
