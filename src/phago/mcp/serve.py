"""Running an ``MCPServer`` over stdio or streamable HTTP.

Over stdio nothing but protocol may reach stdout; the SDK diverts file descriptor 1 to stderr while it
serves, and everything Phago reports goes to stderr. Over HTTP the server binds ``host:port`` (port 0
picks a free port) and, once listening, writes one line ``phago mcp: listening on URL`` to stderr, so a
supervisor (or a test) learns the actual address.
"""

from __future__ import annotations

import socket
import sys
from typing import Any, TextIO

import anyio
import uvicorn
from mcp.server.mcpserver import MCPServer

MCP_PATH = "/mcp"
READY_PREFIX = "phago mcp: listening on "


def serve_stdio(server: MCPServer[Any]) -> None:
    anyio.run(server.run_stdio_async)


def serve_http(server: MCPServer[Any], host: str, port: int, *, announce: TextIO | None = None) -> None:
    """Serve streamable HTTP at ``http://host:port/mcp`` until interrupted (SIGINT / SIGTERM)."""
    app = server.streamable_http_app(streamable_http_path=MCP_PATH, host=host)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    _AnnouncingServer(config, announce if announce is not None else sys.stderr).run()


class _AnnouncingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, out: TextIO) -> None:
        super().__init__(config)
        self._out = out

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self.servers and self.servers[0].sockets:
            host, port = self.servers[0].sockets[0].getsockname()[:2]
            shown = f"[{host}]" if ":" in host else host
            print(f"{READY_PREFIX}http://{shown}:{port}{MCP_PATH}", file=self._out, flush=True)
