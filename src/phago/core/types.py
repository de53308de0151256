"""Typed domain objects shared by every layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, TypeAlias

JSONScalar: TypeAlias = str | int | float | bool | None
JSONValue: TypeAlias = JSONScalar | list["JSONValue"] | dict[str, "JSONValue"]
Metadata: TypeAlias = dict[str, JSONValue]

ConceptKind = Literal["term", "phrase"]


@dataclass(slots=True)
class Document:
    id: str
    title: str
    text: str
    source: str
    metadata: Metadata
    content_hash: str
    ingested_tick: int
    x: float
    y: float
    passage_count: int
    digested_passages: int = 0
    digested: bool = False


@dataclass(frozen=True, slots=True)
class Passage:
    id: int
    document_id: str
    ordinal: int
    start: int
    end: int
    text: str
    terms: tuple[str, ...]


@dataclass(slots=True)
class Concept:
    id: int
    label: str
    kind: ConceptKind
    occurrences: int
    passages: int
    created_tick: int
    last_tick: int


@dataclass(frozen=True, slots=True)
class Edge:
    source: str
    target: str
    weight: float
    coactivations: int
    created_tick: int
    last_reinforced_tick: int


@dataclass(frozen=True, slots=True)
class ScoreComponents:
    lexical: float
    graph: float
    dense: float | None
    fused: float


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a passage came back: the query terms it matched (with their BM25 contribution)."""

    matched_terms: tuple[tuple[str, float], ...]
    query_concepts: tuple[str, ...] = ()
    edges: tuple[tuple[str, str, float], ...] = ()
    passage_concepts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class QueryResult:
    document_id: str
    passage_id: int
    title: str
    text: str
    start: int
    end: int
    score: float
    components: ScoreComponents
    explanation: Explanation


@dataclass(frozen=True, slots=True)
class Insight:
    """What a Synthesizer reported when quorum was reached."""

    id: int
    tick: int
    documents_digested: int
    bridges: tuple[tuple[str, float], ...]
    clusters: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class Anomaly:
    """A document the Sentinel found novel or drifting relative to its self-model."""

    id: int
    tick: int
    document_id: str
    novelty: float
    drift: float
    new_concepts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ColonyStats:
    tick: int
    documents: int
    undigested_documents: int
    passages: int
    concepts: int
    edges: int
    agents: dict[str, int]
    births: int
    deaths: dict[str, int]
    insights: int
    anomalies: int
    mean_edge_weight: float
    path: str | None = None
    extra: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DocumentInput:
    """A document to ingest (what the file loaders produce and ``Colony.ingest_many`` takes)."""

    text: str
    title: str = ""
    metadata: Metadata = field(default_factory=dict)
    source: str = ""


@dataclass(frozen=True, slots=True)
class RunReport:
    """What a call to ``run`` or ``digest`` did."""

    ticks: int
    passages_digested: int
    concepts_formed: int
    edges_formed: int
    edges_reinforced: int
    edges_pruned: int
    undigested_documents: int


@dataclass(frozen=True, slots=True)
class AgentInfo:
    id: int
    kind: str
    x: float
    y: float
    energy: float
    age: int
    generation: int
    parent: int | None
    idle_ticks: int
    symbionts: int
    document: str | None
    fitness: float
    genome: dict[str, float | int]
    vocabulary: tuple[str, ...]
    passages_digested: int
