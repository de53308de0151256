"""The MCP tools, as methods bound to one colony.

Each method's signature is its tool's input schema (pydantic ``Field`` bounds and descriptions end up in
the JSON schema), its return model the output schema, and its docstring the description a model reads.
Methods are synchronous: the SDK runs them on worker threads, and the colony is thread-safe.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from phago.errors import InputError
from phago.facade import Colony
from phago.mcp import wire
from phago.mcp.errors import tool_errors


class ColonyTools:
    """The tools ``remember``, ``recall``, ``explore``, ``forget`` and ``feedback`` over ``colony``."""

    def __init__(self, colony: Colony) -> None:
        self._colony = colony

    def remember(
        self,
        text: Annotated[str, Field(min_length=1, description="The memory: a note, a document, a fact.")],
        title: Annotated[str, Field(description="Optional title; defaults to the text's first line.")] = "",
        metadata: Annotated[
            dict[str, Any] | None, Field(description="Optional JSON object stored with the memory.")
        ] = None,
    ) -> wire.Remembered:
        """Store a memory. It is searchable at once and wired into the concept graph before this returns.

        Storing the same text again returns the same document id.
        """
        with tool_errors():
            doc_id = self._colony.ingest(text, title=title, metadata=metadata, source="mcp")
            self._colony.digest()
            doc = self._colony.document(doc_id)
            return wire.Remembered(
                document_id=doc.id, title=doc.title, passages=doc.passage_count, digested=doc.digested
            )

    def recall(
        self,
        query: Annotated[str, Field(min_length=1, description="What to look for, in natural language.")],
        k: Annotated[
            int | None, Field(ge=1, le=1000, description="Passages to return (default: settings query.k).")
        ] = None,
        alpha: Annotated[
            float | None,
            Field(ge=0.0, le=1.0, description="Weight of lexical matching against graph association (0..1)."),
        ] = None,
    ) -> wire.Recall:
        """Find the passages that best answer ``query``, each with its document id, scores and an
        explanation (matched terms, query concepts, the graph edges that led to it)."""
        with tool_errors():
            results = self._colony.query(query, k, alpha=alpha)
            return wire.Recall(query=query, results=[wire.passage(r) for r in results])

    def explore(
        self,
        kind: Annotated[
            Literal["path", "centrality", "bridges", "communities", "stats"],
            Field(description="What to explore."),
        ],
        source: Annotated[str | None, Field(description="kind=path: the concept to start from.")] = None,
        target: Annotated[str | None, Field(description="kind=path: the concept to reach.")] = None,
        k: Annotated[
            int, Field(ge=1, le=1000, description="kind=centrality/bridges/communities: how many to list.")
        ] = 10,
        measure: Annotated[
            Literal["degree", "betweenness"], Field(description="kind=centrality: the centrality measure.")
        ] = "degree",
    ) -> wire.Exploration:
        """Explore the concept graph: the strongest ``path`` between two concepts, the most central
        concepts (``centrality``), ``bridges`` between clusters, the graph's ``communities``, or the
        colony's ``stats``."""
        with tool_errors():
            return self._explore(kind, source, target, k, measure)

    def _explore(
        self, kind: wire.ExploreKind, source: str | None, target: str | None, k: int, measure: str
    ) -> wire.Exploration:
        c = self._colony
        if kind == "path":
            if not source or not target:
                raise InputError("kind=path needs both 'source' and 'target' concepts")
            found = c.path(source, target)
            if found is None:
                return wire.Exploration(kind=kind, connected=False)
            return wire.Exploration(
                kind=kind,
                connected=True,
                path=wire.Path(concepts=list(found.concepts), weights=list(found.weights), cost=found.cost),
            )
        if kind == "centrality":
            return wire.Exploration(kind=kind, ranking=wire.ranking(c.centrality(k, measure)))
        if kind == "bridges":
            return wire.Exploration(kind=kind, ranking=wire.ranking(c.bridges(k)))
        if kind == "communities":
            groups = c.communities()
            return wire.Exploration(kind=kind, communities=wire.communities(groups, c.modularity(), k))
        return wire.Exploration(kind=kind, stats=wire.stats(c.stats()))

    def forget(
        self, document_id: Annotated[str, Field(min_length=1, description="The id `remember` returned.")]
    ) -> wire.Forgotten:
        """Forget a document and everything it contributed to the concept graph."""
        with tool_errors():
            self._colony.forget(document_id)
            return wire.Forgotten(document_id=document_id)

    def feedback(
        self,
        query: Annotated[str, Field(min_length=1, description="The query the passage was recalled for.")],
        passage_id: Annotated[int, Field(description="The passage id from `recall`.")],
        signal: Annotated[Literal[1, -1], Field(description="+1: the passage helped; -1: it did not.")],
    ) -> wire.FeedbackReceipt:
        """Tell the colony whether a recalled passage served the query: +1 strengthens the graph edges
        that led to it, -1 weakens them."""
        with tool_errors():
            changed = self._colony.feedback(query, passage_id, signal)
            return wire.FeedbackReceipt(query=query, passage_id=passage_id, signal=signal, edges_changed=changed)
