"""LlamaIndex adapters (``pip install 'phago[llamaindex]'``): a retriever and ingestion of ``Document``s.

``PhagoRetriever`` returns one ``NodeWithScore`` per passage, best first: the node's text is the passage,
its metadata the document id, title, passage id and score components, and its ``SOURCE`` relationship
points at the colony document. ``ingest_documents`` stores LlamaIndex documents in a colony.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from phago.core.types import DocumentInput, JSONValue, QueryResult
from phago.errors import InputError, MissingExtra
from phago.facade import Colony

try:
    from llama_index.core.callbacks import CallbackManager
    from llama_index.core.retrievers import BaseRetriever
    from llama_index.core.schema import (
        Document,
        NodeRelationship,
        NodeWithScore,
        QueryBundle,
        RelatedNodeInfo,
        TextNode,
    )
except ImportError as exc:  # pragma: no cover - exercised by a test that hides llama_index
    raise MissingExtra("llamaindex", "llama-index-core") from exc

__all__ = ["PhagoRetriever", "ingest_documents", "to_node"]

# Scores and ids stay out of what an LLM or an embedding model is shown; the title stays in.
HIDDEN_KEYS = [
    "document_id",
    "passage_id",
    "start",
    "end",
    "lexical_score",
    "graph_score",
    "dense_score",
    "fused_score",
    "matched_terms",
    "query_concepts",
]


def to_node(result: QueryResult) -> NodeWithScore:
    """A query result as a LlamaIndex ``NodeWithScore``."""
    c = result.components
    node = TextNode(
        id_=f"{result.document_id}#{result.passage_id}",
        text=result.text,
        start_char_idx=result.start,
        end_char_idx=result.end,
        metadata={
            "document_id": result.document_id,
            "passage_id": result.passage_id,
            "title": result.title,
            "start": result.start,
            "end": result.end,
            "lexical_score": c.lexical,
            "graph_score": c.graph,
            "dense_score": c.dense,
            "fused_score": c.fused,
            "matched_terms": [term for term, _ in result.explanation.matched_terms],
            "query_concepts": list(result.explanation.query_concepts),
        },
        excluded_llm_metadata_keys=list(HIDDEN_KEYS),
        excluded_embed_metadata_keys=list(HIDDEN_KEYS),
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=result.document_id)},
    )
    return NodeWithScore(node=node, score=result.score)


class PhagoRetriever(BaseRetriever):
    """Passages of ``colony`` that best answer a query (``k`` of them; ``alpha`` and ``mode`` are passed to
    :meth:`Colony.query`, ``None`` meaning the colony's settings)."""

    def __init__(
        self,
        colony: Colony,
        k: int = 4,
        *,
        alpha: float | None = None,
        mode: str | None = None,
        callback_manager: CallbackManager | None = None,
        verbose: bool = False,
    ) -> None:
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise InputError(f"k must be a positive integer, got {k!r}")
        self.colony = colony
        self.k = k
        self.alpha = alpha
        self.mode = mode
        super().__init__(callback_manager=callback_manager, verbose=verbose)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        results = self.colony.query(query_bundle.query_str, self.k, alpha=self.alpha, mode=self.mode)
        return [to_node(r) for r in results]


def ingest_documents(colony: Colony, docs: Iterable[Document]) -> list[str]:
    """Store LlamaIndex documents in ``colony`` (all or, on an error, none); returns their colony ids.

    The title is the ``title`` metadata (else ``file_name``, else the text's first line); the metadata is
    kept, with values that are not JSON stored as strings; ``source`` is the LlamaIndex ``doc_id``. The
    documents are searchable at once and wired into the concept graph as the colony digests.
    """
    items = []
    for i, doc in enumerate(docs):
        if not isinstance(doc, Document):
            raise InputError(f"document {i}: expected a llama_index Document, got {type(doc).__name__}")
        meta = _json_metadata(doc.metadata)
        title = meta.get("title") or meta.get("file_name") or ""
        items.append(DocumentInput(doc.text, title if isinstance(title, str) else str(title), meta, doc.doc_id))
    return colony.ingest_many(items)


def _json_metadata(metadata: Mapping[str, Any]) -> dict[str, JSONValue]:
    out: dict[str, JSONValue] = json.loads(json.dumps(dict(metadata), default=str))
    return out
