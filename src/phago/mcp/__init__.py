"""Phago as an MCP server (the ``mcp`` extra): tools and resources over one colony.

``phago mcp`` (:mod:`phago.mcp.command`) serves a colony file over stdio or streamable HTTP;
:func:`build_server` gives the SDK's ``MCPServer`` for embedding or in-process tests.
Importing this package needs nothing beyond Phago; the SDK is imported when a server is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from phago.errors import MissingExtra

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from phago.facade import Colony
    from phago.mcp.server import LogLevel

__all__ = ["build_server", "require_sdk"]


def require_sdk() -> None:
    """Raise :class:`~phago.errors.MissingExtra` unless the MCP SDK is importable."""
    try:
        import mcp.server.mcpserver  # noqa: F401
    except ImportError as exc:
        raise MissingExtra("mcp", "mcp") from exc


def build_server(colony: Colony, *, log_level: LogLevel = "WARNING") -> MCPServer[Any]:
    """An MCP server whose tools and resources serve ``colony`` (see :mod:`phago.mcp.server`)."""
    require_sdk()
    from phago.mcp.server import build_server as build

    return build(colony, log_level=log_level)
