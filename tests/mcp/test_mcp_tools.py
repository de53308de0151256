"""The MCP server's tools, resources and protocol utilities, through the SDK's own client (in process)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from strict_mode import require_module

require_module("mcp", "pip install 'phago[mcp]'")

from mcp import Client, MCPError  # noqa: E402
from mcp_types import CallToolResult, ResourceTemplateReference, TextContent, TextResourceContents  # noqa: E402

from phago import Colony  # noqa: E402
from phago.mcp import build_server  # noqa: E402

pytestmark = pytest.mark.anyio

DOCS = {
    "Mitochondria": "Mitochondria produce ATP through oxidative phosphorylation. "
    "The electron transport chain pumps protons across the inner membrane.",
    "Photosynthesis": "Chloroplasts capture light energy. "
    "Photosynthesis fixes carbon dioxide into sugar in the Calvin cycle.",
    "Ribosomes": "Ribosomes translate messenger RNA into protein. Transfer RNA brings amino acids to the ribosome.",
}


@pytest.fixture
async def client() -> AsyncIterator[Client]:
    with Colony() as colony:
        async with Client(build_server(colony), mode="legacy") as c:
            yield c


async def remember_all(client: Client) -> dict[str, str]:
    ids = {}
    for title, text in DOCS.items():
        ids[title] = ok(await client.call_tool("remember", {"text": text, "title": title}))["document_id"]
    return ids


def ok(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return dict(result.structured_content)


def error_text(result: CallToolResult) -> str:
    assert result.is_error
    return " ".join(block.text for block in result.content if isinstance(block, TextContent))


async def test_tools_are_listed_with_json_schemas(client: Client) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert sorted(tools) == ["explore", "feedback", "forget", "recall", "remember"]
    recall = tools["recall"].input_schema
    assert recall["required"] == ["query"]
    assert recall["properties"]["query"]["type"] == "string"
    assert tools["explore"].input_schema["properties"]["kind"]["enum"] == [
        "path",
        "centrality",
        "bridges",
        "communities",
        "stats",
    ]
    assert tools["feedback"].input_schema["properties"]["signal"]["enum"] == [1, -1]
    assert all(t.output_schema is not None and t.description for t in tools.values())
    assert tools["recall"].annotations is not None and tools["recall"].annotations.read_only_hint


async def test_remember_then_recall_returns_passages_with_scores_and_explanations(client: Client) -> None:
    ids = await remember_all(client)
    out = ok(await client.call_tool("recall", {"query": "How do mitochondria make ATP?", "k": 2}))
    assert out["query"] == "How do mitochondria make ATP?"
    assert 1 <= len(out["results"]) <= 2
    best = out["results"][0]
    assert best["document_id"] == ids["Mitochondria"]
    assert best["title"] == "Mitochondria"
    assert "ATP" in best["text"]
    assert best["score"] == best["components"]["fused"] > 0
    assert {"lexical", "graph", "dense", "fused"} <= set(best["components"])
    matched = {m["term"] for m in best["explanation"]["matched_terms"]}
    assert {"mitochondria", "atp"} <= matched
    # the text block mirrors the structured content for clients that read only text
    text = (await client.call_tool("recall", {"query": "ATP", "k": 1})).content[0]
    assert isinstance(text, TextContent)
    assert json.loads(text.text)["results"][0]["document_id"] == ids["Mitochondria"]


async def test_remember_is_idempotent_and_digests(client: Client) -> None:
    args = {"text": DOCS["Ribosomes"], "metadata": {"source": "notes"}}
    first = ok(await client.call_tool("remember", args))
    again = ok(await client.call_tool("remember", {"text": DOCS["Ribosomes"]}))
    assert first["document_id"] == again["document_id"]
    assert first["digested"] is True and first["passages"] >= 1
    assert first["title"].startswith("Ribosomes translate")


async def test_forget_removes_the_document(client: Client) -> None:
    ids = await remember_all(client)
    assert ok(await client.call_tool("forget", {"document_id": ids["Photosynthesis"]}))["forgotten"] is True
    out = ok(await client.call_tool("recall", {"query": "photosynthesis chloroplasts light"}))
    assert ids["Photosynthesis"] not in {r["document_id"] for r in out["results"]}
    assert "not found" in error_text(await client.call_tool("forget", {"document_id": ids["Photosynthesis"]}))


async def test_feedback_changes_edges_and_validates_the_signal(client: Client) -> None:
    await remember_all(client)
    hit = ok(await client.call_tool("recall", {"query": "protein translation", "k": 1}))["results"][0]
    receipt = ok(
        await client.call_tool(
            "feedback", {"query": "protein translation", "passage_id": hit["passage_id"], "signal": 1}
        )
    )
    assert receipt["edges_changed"] > 0
    assert "signal" in error_text(
        await client.call_tool("feedback", {"query": "x", "passage_id": hit["passage_id"], "signal": 0})
    )
    assert "not found" in error_text(
        await client.call_tool("feedback", {"query": "protein", "passage_id": 10_000, "signal": -1})
    )


async def test_explore_kinds(client: Client) -> None:
    await remember_all(client)
    stats = ok(await client.call_tool("explore", {"kind": "stats"}))["stats"]
    assert stats["documents"] == 3 and stats["concepts"] > 0 and stats["edges"] > 0
    central = ok(await client.call_tool("explore", {"kind": "centrality", "k": 3}))["ranking"]
    assert len(central) == 3 and central[0]["score"] >= central[-1]["score"]
    between = ok(await client.call_tool("explore", {"kind": "centrality", "measure": "betweenness"}))
    assert between["ranking"] is not None
    assert ok(await client.call_tool("explore", {"kind": "bridges"}))["ranking"] is not None
    groups = ok(await client.call_tool("explore", {"kind": "communities", "k": 2}))["communities"]
    assert groups["total"] >= 2 and len(groups["communities"]) == 2
    assert groups["communities"][0]["size"] >= groups["communities"][1]["size"]
    path = ok(await client.call_tool("explore", {"kind": "path", "source": "atp", "target": "mitochondria"}))
    assert path["connected"] is True and path["path"]["concepts"][0] == "atp"
    apart = ok(await client.call_tool("explore", {"kind": "path", "source": "atp", "target": "ribosomes"}))
    assert apart["connected"] is False and apart["path"] is None


@pytest.mark.parametrize(
    ("tool", "arguments", "expected"),
    [
        ("recall", {"query": "x", "k": 0}, "greater than or equal to 1"),
        ("recall", {"query": "x", "alpha": 2}, "less than or equal to 1"),
        ("recall", {}, "query"),
        ("recall", {"query": "   "}, "invalid argument: query text is empty"),
        ("remember", {"text": ""}, "at least 1 character"),
        ("remember", {"text": "!!!"}, "invalid argument"),
        ("remember", {"text": "fine words", "metadata": "not an object"}, "metadata"),
        ("explore", {"kind": "weather"}, "kind"),
        ("explore", {"kind": "path", "source": "atp"}, "needs both 'source' and 'target'"),
        ("explore", {"kind": "path", "source": "nothing", "target": "atp"}, "not found: no concept"),
        ("forget", {"document_id": "doc_missing"}, "not found: no document with id 'doc_missing'"),
        ("feedback", {"query": "x", "passage_id": "one", "signal": 1}, "passage_id"),
        ("no_such_tool", {}, "no_such_tool"),
    ],
)
async def test_invalid_arguments_are_tool_errors_and_the_server_keeps_serving(
    client: Client, tool: str, arguments: dict[str, Any], expected: str
) -> None:
    await client.call_tool("remember", {"text": DOCS["Mitochondria"]})
    assert expected in error_text(await client.call_tool(tool, arguments))
    assert ok(await client.call_tool("explore", {"kind": "stats"}))["stats"]["documents"] == 1


async def test_stats_and_concept_resources(client: Client) -> None:
    await remember_all(client)
    listed = [str(r.uri) for r in (await client.list_resources()).resources]
    assert listed == ["phago://stats"]
    templates = [t.uri_template for t in (await client.list_resource_templates()).resource_templates]
    assert templates == ["phago://concepts/{label}"]
    stats = (await client.read_resource("phago://stats")).contents[0]
    assert isinstance(stats, TextResourceContents) and stats.mime_type == "application/json"
    assert json.loads(stats.text)["documents"] == 3
    concept = (await client.read_resource("phago://concepts/ATP")).contents[0]
    assert isinstance(concept, TextResourceContents)
    body = json.loads(concept.text)
    assert body["label"] == "atp" and "mitochondria" in {n["label"] for n in body["neighbours"]}
    with pytest.raises(MCPError, match="no concept"):
        await client.read_resource("phago://concepts/unheard")


async def test_concept_labels_complete(client: Client) -> None:
    await remember_all(client)
    ref = ResourceTemplateReference(type="ref/resource", uri="phago://concepts/{label}")
    done = (await client.complete(ref, {"name": "label", "value": "ri"})).completion
    assert done.values and all(v.startswith("ri") for v in done.values)
    assert "ribosomes" in done.values
    other = ResourceTemplateReference(type="ref/resource", uri="phago://elsewhere/{x}")
    assert (await client.complete(other, {"name": "x", "value": "a"})).completion.values == []


async def test_same_inputs_give_the_same_answers() -> None:
    answers = []
    for _ in range(2):
        with Colony() as colony:
            async with Client(build_server(colony)) as c:
                await remember_all(c)
                answers.append(ok(await c.call_tool("recall", {"query": "RNA protein ribosome", "k": 3})))
    assert answers[0] == answers[1]
