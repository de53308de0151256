"""``phago mcp``: serve a colony file to MCP clients over stdio (default) or streamable HTTP.

The SDK is imported only when the command runs; without it the command raises
:class:`~phago.errors.MissingExtra` naming the ``mcp`` extra.
The main CLI registers it as ``phago mcp``; its ``--db`` and ``--config`` may also be given before ``mcp``.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any

import click

from phago.config import load_settings
from phago.mcp import require_sdk


@click.command("mcp")
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Colony file, created if absent [default: settings storage.path].",
)
@click.option(
    "--transport",
    type=click.Choice(["stdio", "http"]),
    default=None,
    help="stdio for a client that spawns the server; http for streamable HTTP at /mcp "
    "[default: settings mcp.transport].",
)
@click.option("--host", default=None, help="Address the HTTP transport binds [default: settings mcp.host].")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Port of the HTTP transport, 0 for any free port [default: settings mcp.port].",
)
@click.option(
    "--embeddings",
    is_flag=True,
    default=False,
    help="Attach the MiniLM embedder for dense retrieval (pip install 'phago[embeddings]').",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Configuration file [default: the nearest phago.toml].",
)
@click.pass_context
def mcp(
    ctx: click.Context,
    db: Path | None,
    transport: str | None,
    host: str | None,
    port: int | None,
    embeddings: bool,
    config_file: Path | None,
) -> None:
    """Serve the colony to MCP clients (tools: remember, recall, explore, forget, feedback)."""
    inherited = ctx.parent.params if ctx.parent is not None else {}  # `phago --db F --config C mcp`
    db = db if db is not None else inherited.get("db")
    config_file = config_file if config_file is not None else inherited.get("config_file")
    embeddings = embeddings or bool(inherited.get("embeddings"))
    overrides: dict[str, Any] = {
        key: value
        for key, value in (
            ("storage.path", None if db is None else str(db)),
            ("mcp.transport", transport),
            ("mcp.host", host),
            ("mcp.port", port),
        )
        if value is not None
    }
    settings = load_settings(config_file, cwd=Path.cwd(), env=os.environ, overrides=overrides)
    stdio = settings.mcp.transport == "stdio"
    # Over stdio, stdout is the wire: anything printed while starting up goes to stderr instead.
    with contextlib.redirect_stdout(sys.stderr) if stdio else contextlib.nullcontext():
        require_sdk()
        from phago.facade import Colony
        from phago.mcp.serve import serve_http, serve_stdio
        from phago.mcp.server import build_server

        embedder = None
        if embeddings:
            from phago.retrieval.dense import default_embedder

            embedder = default_embedder()
        colony = Colony.open(settings.storage.path, settings, embedder=embedder)
    try:
        server = build_server(colony)
        if stdio:
            serve_stdio(server)
        else:
            serve_http(server, settings.mcp.host, settings.mcp.port)
    except KeyboardInterrupt:
        pass
    finally:
        colony.close()
