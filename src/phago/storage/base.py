"""The storage Protocol and the change set it applies atomically.

A colony keeps its working state in memory and hands the store a :class:`ChangeSet` of what changed since
the last save; a store applies it in one transaction. ``load()`` returns everything as one change set
applied to an empty store (a snapshot).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Protocol

from phago.core.types import Anomaly, Concept, Document, Insight, Passage

# (a, b, weight, coactivations, created_tick, last_reinforced_tick), a < b
EdgeRow = tuple[int, int, float, int, int, int]
# (passage_id, concept_id, tf) postings of one passage are stored together with it
PostingRow = tuple[int, int, int]
# (document_id, a, b, count): co-activations a document caused, for exact forgetting
ContributionRow = tuple[str, int, int, int]


@dataclass(frozen=True, slots=True)
class AgentRecord:
    id: int
    kind: str
    state: str  # JSON


@dataclass(slots=True)
class ChangeSet:
    documents: list[Document] = field(default_factory=list)
    deleted_documents: list[str] = field(default_factory=list)  # cascades to passages and contributions
    passages: list[Passage] = field(default_factory=list)
    postings: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # passage -> [(concept, tf)]
    concepts: list[Concept] = field(default_factory=list)
    deleted_concepts: list[int] = field(default_factory=list)
    edges: list[EdgeRow] = field(default_factory=list)
    deleted_edges: list[tuple[int, int]] = field(default_factory=list)
    contributions: dict[str, list[tuple[int, int, int]]] = field(default_factory=dict)  # doc -> [(a, b, n)]
    agents: list[AgentRecord] = field(default_factory=list)
    deleted_agents: list[int] = field(default_factory=list)
    insights: list[Insight] = field(default_factory=list)
    anomalies: list[Anomaly] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    # passage -> (embedding model name, float32 vector bytes); deleted with their passages
    vectors: dict[int, tuple[str, bytes]] = field(default_factory=dict)

    def is_empty(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self))


class Store(Protocol):
    """Where a colony lives between processes."""

    @property
    def path(self) -> str | None:
        """The file behind the store, or ``None`` for memory."""
        ...

    def load(self) -> ChangeSet:
        """Everything stored, as a snapshot (empty for a new store)."""
        ...

    def apply(self, changes: ChangeSet) -> None:
        """Apply ``changes`` atomically: all of them or, on error, none."""
        ...

    def close(self) -> None: ...
