"""Everything a colony knows, in memory, with the bookkeeping needed for incremental saves."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from phago.colony.agents import Agent
from phago.colony.substrate import Substrate
from phago.config import Settings
from phago.core.types import Anomaly, Document, Insight, Passage
from phago.events import EventBus
from phago.graph.graph import ConceptGraph
from phago.retrieval.lexical import LexicalIndex


@dataclass(slots=True)
class Pending:
    """Changes not yet saved (the graph keeps its own)."""

    documents: set[str] = field(default_factory=set)
    deleted_documents: list[str] = field(default_factory=list)
    passages: list[int] = field(default_factory=list)
    contributions: set[str] = field(default_factory=set)
    deleted_agents: set[int] = field(default_factory=set)
    insights: list[Insight] = field(default_factory=list)
    anomalies: list[Anomaly] = field(default_factory=list)

    def clear(self) -> None:
        self.documents.clear()
        self.deleted_documents.clear()
        self.passages.clear()
        self.contributions.clear()
        self.deleted_agents.clear()
        self.insights.clear()
        self.anomalies.clear()


@dataclass(slots=True)
class ColonyState:
    settings: Settings
    rng: np.random.Generator
    graph: ConceptGraph
    lexical: LexicalIndex
    substrate: Substrate
    events: EventBus
    analyze: Callable[[str], list[str]]
    tick: int = 0
    documents: dict[str, Document] = field(default_factory=dict)
    by_hash: dict[str, str] = field(default_factory=dict)
    passages: dict[int, Passage] = field(default_factory=dict)
    doc_keys: dict[str, int] = field(default_factory=dict)  # document -> key in the lexical index
    next_doc_key: int = 1
    doc_passages: dict[str, list[int]] = field(default_factory=dict)
    contributions: dict[str, Counter[tuple[int, int]]] = field(default_factory=dict)
    agents: dict[int, Agent] = field(default_factory=dict)
    insights: list[Insight] = field(default_factory=list)
    anomalies: list[Anomaly] = field(default_factory=list)
    next_passage_id: int = 1
    next_agent_id: int = 1
    next_insight_id: int = 1
    next_anomaly_id: int = 1
    births: int = 0
    deaths: Counter[str] = field(default_factory=Counter)
    documents_digested: int = 0  # monotonic, drives the Synthesizer's quorum
    backlog: int = 0  # passages of documents not yet digested
    last_maintenance: int = 0
    completed: list[tuple[str, int]] = field(default_factory=list)  # (document, agent) this tick
    pending: Pending = field(default_factory=Pending)

    def digesters(self) -> list[Agent]:
        return [a for a in self.agents.values() if a.kind == "digester"]
