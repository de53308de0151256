"""Fixtures for the MCP tests: a ``phago mcp`` server process over HTTP, the parameters to spawn one over
stdio, and the rule for components the machine may lack.

A test that needs a missing component (the ``mcp`` SDK, the npm conformance suite) skips with a reason
locally; with ``PHAGO_STRICT_TESTS=1`` (as CI sets it) the same absence is a failure: ``require`` and
``require_module`` (``tests/strict_mode.py``, shared by every test folder) implement that rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from mcp_process import HttpServer, child_env, server_command, start_http_server

from strict_mode import STRICT, require, require_module

__all__ = ["STRICT", "require", "require_module"]


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[HttpServer]:
    server = start_http_server(tmp_path / "colony.db", tmp_path)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def stdio_command(tmp_path: Path) -> Callable[..., tuple[list[str], dict[str, str], Path]]:
    """``(argv, env, cwd)`` for ``phago mcp ARGS`` over stdio, run in ``tmp_path``."""

    def make(*args: str) -> tuple[list[str], dict[str, str], Path]:
        return server_command(*args), child_env(), tmp_path

    return make


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
