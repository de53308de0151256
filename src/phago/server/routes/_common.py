"""Shared pieces of the route modules: documented error responses and paging parameters."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from phago.server.schemas import MAX_PAGE, ErrorOut

_ERR: dict[str, Any] = {"model": ErrorOut}
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {**_ERR, "description": "Missing or unknown API key."},
    403: {**_ERR, "description": "The key's role does not allow this."},
    422: {**_ERR, "description": "The request is malformed (details name each problem)."},
    503: {**_ERR, "description": "The colony is unavailable."},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {**_ERR, "description": "No such item."}}
AUTH_OFF: dict[int | str, dict[str, Any]] = {409: {**_ERR, "description": "Auth is off: there are no keys."}}
BAD_INPUT: dict[int | str, dict[str, Any]] = {400: {**_ERR, "description": "The input cannot be accepted."}}

Offset = Annotated[int, Query(ge=0, le=10**9, description="Items to skip.")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Items per page (at most {MAX_PAGE}).")]
