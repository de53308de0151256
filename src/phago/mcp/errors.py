"""The one table that translates Phago's errors for MCP clients.

A tool that fails on purpose returns a tool error (``isError: true``, the message in ``content``) so the
model can read it and correct itself; a resource read that fails returns a JSON-RPC error (``-32602`` when
the resource does not exist). Anything not in the table is a bug: the SDK reports it as an opaque tool
error and logs the traceback, and the server keeps running.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError

from phago.errors import ConfigError, InputError, NotFound, PhagoError, StorageError

# (Phago error, label shown to the model, resource error raised for reads), most specific first.
TABLE: tuple[tuple[type[PhagoError], str, type[ResourceError]], ...] = (
    (NotFound, "not found", ResourceNotFoundError),
    (InputError, "invalid argument", ResourceNotFoundError),
    (ConfigError, "invalid setting", ResourceError),
    (StorageError, "storage error", ResourceError),
    (PhagoError, "error", ResourceError),
)


def _row(exc: PhagoError) -> tuple[str, type[ResourceError]]:
    for kind, label, resource_error in TABLE:
        if isinstance(exc, kind):
            return label, resource_error
    raise AssertionError("PhagoError is the table's last row")  # pragma: no cover


def message(exc: PhagoError) -> str:
    """``"not found: no document with id 'doc_1'"``: the label, then Phago's own message."""
    return f"{_row(exc)[0]}: {exc}"


@contextmanager
def tool_errors() -> Iterator[None]:
    """Inside a tool: turn a Phago error into a tool error."""
    try:
        yield
    except PhagoError as exc:
        raise ToolError(message(exc)) from exc


@contextmanager
def resource_errors() -> Iterator[None]:
    """Inside a resource read: turn a Phago error into the matching resource error."""
    try:
        yield
    except PhagoError as exc:
        raise _row(exc)[1](message(exc)) from exc
