"""``phago.integrations.llamaindex``: the retriever's nodes and ingestion from LlamaIndex documents."""

from __future__ import annotations

import importlib
import sys
from datetime import date

import pytest

from strict_mode import require_module

require_module("llama_index.core", "pip install 'phago[llamaindex]'")

from biology_notes import NOTES  # noqa: E402
from llama_index.core import Document  # noqa: E402
from llama_index.core.retrievers import BaseRetriever  # noqa: E402
from llama_index.core.schema import MetadataMode, NodeRelationship, NodeWithScore, QueryBundle  # noqa: E402

from phago import Colony, InputError, MissingExtra  # noqa: E402
from phago.integrations.llamaindex import PhagoRetriever, ingest_documents  # noqa: E402

pytestmark = pytest.mark.anyio


def test_retriever_returns_passages_as_scored_nodes(colony: Colony) -> None:
    retriever = PhagoRetriever(colony=colony, k=3)
    assert isinstance(retriever, BaseRetriever)
    nodes = retriever.retrieve("How do cells make ATP?")
    assert len(nodes) == 3 and all(isinstance(n, NodeWithScore) for n in nodes)
    scores = [n.score for n in nodes]
    assert scores == sorted(scores, reverse=True)
    best = nodes[0].node
    meta = best.metadata
    assert best.get_content() in NOTES[meta["title"]]
    assert best.node_id == f"{meta['document_id']}#{meta['passage_id']}"
    assert best.ref_doc_id == meta["document_id"]
    assert best.relationships[NodeRelationship.SOURCE].node_id == meta["document_id"]
    assert nodes[0].score == meta["fused_score"]
    assert {"lexical_score", "graph_score", "dense_score", "fused_score"} <= set(meta)
    assert "atp" in meta["matched_terms"]
    shown = best.get_content(metadata_mode=MetadataMode.LLM)
    assert f"title: {meta['title']}" in shown and "fused_score" not in shown


def test_retriever_accepts_a_query_bundle_and_async(colony: Colony) -> None:
    retriever = PhagoRetriever(colony, k=1, mode="lexical")
    assert [n.node.node_id for n in retriever.retrieve(QueryBundle("protein"))] == [
        n.node.node_id for n in retriever.retrieve("protein")
    ]


async def test_aretrieve(colony: Colony) -> None:
    retriever = PhagoRetriever(colony, k=2)
    assert len(await retriever.aretrieve("glucose pyruvate")) >= 1


def test_ingest_documents_keeps_title_metadata_and_source() -> None:
    docs = [
        Document(
            text="Enzymes lower activation energy.", metadata={"title": "Enzymes", "year": 2024}, doc_id="llama-1"
        ),
        Document(
            text="Membranes are lipid bilayers.", metadata={"file_name": "membranes.md", "seen": date(2024, 5, 1)}
        ),
    ]
    with Colony() as colony:
        ids = ingest_documents(colony, docs)
        assert len(ids) == 2
        first, second = (colony.document(i) for i in ids)
        assert (first.title, first.source, first.metadata) == ("Enzymes", "llama-1", {"title": "Enzymes", "year": 2024})
        assert second.title == "membranes.md" and second.metadata["seen"] == "2024-05-01"
        assert ingest_documents(colony, docs[:1]) == ids[:1]  # same text, same id
        colony.digest()
        hit = PhagoRetriever(colony, k=1).retrieve("activation energy")[0]
        assert hit.node.metadata["document_id"] == ids[0]


def test_ingest_is_all_or_nothing() -> None:
    with Colony() as colony:
        with pytest.raises(InputError):
            ingest_documents(colony, [Document(text="Valid text here."), Document(text="   ")])
        assert colony.documents() == []
        with pytest.raises(InputError):
            ingest_documents(colony, ["not a document"])  # type: ignore[list-item]


def test_bad_k(colony: Colony) -> None:
    with pytest.raises(InputError):
        PhagoRetriever(colony, k=0)


def test_import_without_llama_index_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "phago.integrations.llamaindex")
    for name in [n for n in sys.modules if n == "llama_index" or n.startswith("llama_index.")]:
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(MissingExtra) as info:
        importlib.import_module("phago.integrations.llamaindex")
    assert info.value.extra == "llamaindex" and "pip install 'phago[llamaindex]'" in str(info.value)
