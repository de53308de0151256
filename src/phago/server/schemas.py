"""Wire models: what the REST API accepts and returns. Domain objects are converted here, in one place."""

from __future__ import annotations

from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from phago.core.types import (
    AgentInfo,
    Anomaly,
    ColonyStats,
    Concept,
    Document,
    Edge,
    Insight,
    Passage,
    QueryResult,
    RunReport,
)

Role = Literal["read", "write", "admin"]
T = TypeVar("T")

MAX_PAGE = 1000


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- requests --------------------------------------------------------------------------------------------
class DocumentIn(_In):
    text: str = Field(min_length=1, description="The document's text (plain text or Markdown).")
    title: str = Field("", max_length=1000, description="Title; the first line of the text when empty.")
    metadata: dict[str, JsonValue] = Field(default_factory=dict, description="Any JSON object kept with it.")
    source: str = Field("", max_length=1000, description="Where the document came from (file name, URL).")


class DocumentsIn(_In):
    documents: list[DocumentIn] = Field(
        min_length=1, max_length=MAX_PAGE, description="Ingested all-or-nothing."
    )


class QueryIn(_In):
    query: str = Field(min_length=1, max_length=10_000, description="What to look for.")
    k: int | None = Field(None, ge=1, le=MAX_PAGE, description="Results wanted (default: query.k setting).")
    alpha: float | None = Field(None, ge=0.0, le=1.0, description="Weight of lexical vs. graph evidence.")
    mode: str | None = Field(
        None, min_length=1, max_length=32, pattern=r"^[a-z_]+$",
        description="hybrid (default), rrf, lexical, graph or dense (checked by the colony).",
    )


class FeedbackIn(_In):
    query: str = Field(min_length=1, max_length=10_000)
    passage_id: int = Field(ge=0)
    signal: Literal[-1, 1] = Field(description="+1: the passage served the query; -1: it did not.")


class RunIn(_In):
    ticks: int = Field(1, ge=0, le=10_000, description="Ticks to run now.")


class DigestIn(_In):
    max_ticks: int | None = Field(None, ge=1, le=1_000_000, description="Stop after this many ticks at most.")


class TickerIn(_In):
    paused: bool = Field(description="Pause (true) or resume (false) the background ticks of this tenant.")


class KeyIn(_In):
    role: Role = Field(description="read: GET, query; write: + ingest, run; admin: + agents, export, keys.")


# -- responses -------------------------------------------------------------------------------------------
class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    offset: int
    limit: int


class DocumentSummary(BaseModel):
    id: str
    title: str
    source: str
    passages: int
    digested_passages: int
    digested: bool
    ingested_tick: int

    @classmethod
    def of(cls, d: Document) -> DocumentSummary:
        return cls(id=d.id, title=d.title, source=d.source, passages=d.passage_count,
                   digested_passages=d.digested_passages, digested=d.digested, ingested_tick=d.ingested_tick)


class DocumentOut(DocumentSummary):
    text: str
    metadata: dict[str, JsonValue]
    content_hash: str
    x: float
    y: float

    @classmethod
    def full(cls, d: Document) -> DocumentOut:
        return cls(**DocumentSummary.of(d).model_dump(), text=d.text, metadata=d.metadata,
                   content_hash=d.content_hash, x=d.x, y=d.y)


class IngestOut(BaseModel):
    ids: list[str] = Field(description="One id per document, in input order (same text, same id).")
    documents: list[DocumentSummary]


class PassageOut(BaseModel):
    id: int
    document_id: str
    ordinal: int
    start: int
    end: int
    text: str

    @classmethod
    def of(cls, p: Passage) -> PassageOut:
        return cls(id=p.id, document_id=p.document_id, ordinal=p.ordinal, start=p.start, end=p.end,
                   text=p.text)


class Components(BaseModel):
    lexical: float
    graph: float
    dense: float | None
    fused: float


class ExplanationOut(BaseModel):
    matched_terms: list[tuple[str, float]]
    query_concepts: list[str]
    edges: list[tuple[str, str, float]]
    passage_concepts: list[str]


class ResultOut(BaseModel):
    document_id: str
    passage_id: int
    title: str
    text: str
    start: int
    end: int
    score: float
    components: Components
    explanation: ExplanationOut

    @classmethod
    def of(cls, r: QueryResult) -> ResultOut:
        c, e = r.components, r.explanation
        return cls(
            document_id=r.document_id, passage_id=r.passage_id, title=r.title, text=r.text, start=r.start,
            end=r.end, score=r.score,
            components=Components(lexical=c.lexical, graph=c.graph, dense=c.dense, fused=c.fused),
            explanation=ExplanationOut(
                matched_terms=list(e.matched_terms), query_concepts=list(e.query_concepts),
                edges=list(e.edges), passage_concepts=list(e.passage_concepts),
            ),
        )


class QueryOut(BaseModel):
    query: str
    results: list[ResultOut]


class StatsOut(BaseModel):
    tenant: str
    tick: int
    documents: int
    undigested_documents: int
    passages: int
    concepts: int
    edges: int
    agents: dict[str, int]
    agents_total: int
    births: int
    deaths: dict[str, int]
    insights: int
    anomalies: int
    mean_edge_weight: float
    modularity: float | None = Field(description="Modularity of the concept communities (null: no edges).")
    communities: int

    @classmethod
    def of(cls, tenant: str, s: ColonyStats, modularity: float | None, communities: int) -> StatsOut:
        return cls(
            tenant=tenant, tick=s.tick, documents=s.documents, undigested_documents=s.undigested_documents,
            passages=s.passages, concepts=s.concepts, edges=s.edges, agents=dict(s.agents),
            agents_total=sum(s.agents.values()), births=s.births, deaths=dict(s.deaths), insights=s.insights,
            anomalies=s.anomalies, mean_edge_weight=s.mean_edge_weight, modularity=modularity,
            communities=communities,
        )


class NodeOut(BaseModel):
    label: str
    kind: str
    occurrences: int
    passages: int
    degree: int
    strength: float
    community: int | None


class EdgeOut(BaseModel):
    source: str
    target: str
    weight: float
    coactivations: int
    created_tick: int
    last_reinforced_tick: int

    @classmethod
    def of(cls, e: Edge) -> EdgeOut:
        return cls(source=e.source, target=e.target, weight=e.weight, coactivations=e.coactivations,
                   created_tick=e.created_tick, last_reinforced_tick=e.last_reinforced_tick)


class GraphEdge(BaseModel):
    source: str
    target: str
    weight: float


class GraphOut(BaseModel):
    nodes: list[NodeOut]
    edges: list[GraphEdge]
    total_nodes: int
    total_edges: int
    modularity: float | None
    tick: int


class Neighbour(BaseModel):
    label: str
    weight: float


class ConceptOut(BaseModel):
    label: str
    kind: str
    occurrences: int
    passages: int
    created_tick: int
    last_tick: int
    community: int | None
    neighbours: list[Neighbour]

    @classmethod
    def of(cls, c: Concept, community: int | None, neighbours: list[tuple[str, float]]) -> ConceptOut:
        return cls(label=c.label, kind=c.kind, occurrences=c.occurrences, passages=c.passages,
                   created_tick=c.created_tick, last_tick=c.last_tick, community=community,
                   neighbours=[Neighbour(label=n, weight=w) for n, w in neighbours])


class ScoredLabel(BaseModel):
    label: str
    score: float


class PathOut(BaseModel):
    source: str
    target: str
    found: bool
    concepts: list[str]
    weights: list[float]
    cost: float | None


class ComponentOut(BaseModel):
    size: int
    top_concepts: list[str]


class CommunityOut(BaseModel):
    id: int
    size: int
    top_concepts: list[str]


class CommunitiesOut(BaseModel):
    modularity: float | None
    communities: list[CommunityOut]


class AgentOut(BaseModel):
    id: int
    kind: str
    x: float
    y: float
    energy: float
    health: float = Field(description="Energy as a share of the energy ceiling, 0..1.")
    age: int
    generation: int
    parent: int | None
    idle_ticks: int
    symbionts: int
    document: str | None
    fitness: float
    genome: dict[str, float | int]
    vocabulary: list[str]
    passages_digested: int

    @classmethod
    def of(cls, a: AgentInfo, max_energy: float) -> AgentOut:
        return cls(
            id=a.id, kind=a.kind, x=a.x, y=a.y, energy=a.energy,
            health=max(0.0, min(1.0, a.energy / max_energy)), age=a.age, generation=a.generation,
            parent=a.parent, idle_ticks=a.idle_ticks, symbionts=a.symbionts,
            document=a.document, fitness=a.fitness, genome=dict(a.genome), vocabulary=list(a.vocabulary),
            passages_digested=a.passages_digested,
        )


class ApoptosisOut(BaseModel):
    agent_id: int
    died: bool


class RunOut(BaseModel):
    ticks: int
    passages_digested: int
    concepts_formed: int
    edges_formed: int
    edges_reinforced: int
    edges_pruned: int
    undigested_documents: int
    tick: int

    @classmethod
    def of(cls, r: RunReport, tick: int) -> RunOut:
        return cls(ticks=r.ticks, passages_digested=r.passages_digested, concepts_formed=r.concepts_formed,
                   edges_formed=r.edges_formed, edges_reinforced=r.edges_reinforced,
                   edges_pruned=r.edges_pruned, undigested_documents=r.undigested_documents, tick=tick)


class TickerOut(BaseModel):
    paused: bool
    interval: float = Field(description="Seconds between background ticks (0 = background ticks off).")
    ticks_per_interval: int


class InsightOut(BaseModel):
    id: int
    tick: int
    documents_digested: int
    bridges: list[ScoredLabel]
    clusters: list[list[str]]

    @classmethod
    def of(cls, i: Insight) -> InsightOut:
        return cls(id=i.id, tick=i.tick, documents_digested=i.documents_digested,
                   bridges=[ScoredLabel(label=b, score=s) for b, s in i.bridges],
                   clusters=[list(c) for c in i.clusters])


class AnomalyOut(BaseModel):
    id: int
    tick: int
    document_id: str
    novelty: float
    drift: float
    new_concepts: list[str]

    @classmethod
    def of(cls, a: Anomaly) -> AnomalyOut:
        return cls(id=a.id, tick=a.tick, document_id=a.document_id, novelty=a.novelty, drift=a.drift,
                   new_concepts=list(a.new_concepts))


class FeedbackOut(BaseModel):
    edges_changed: int


class KeyOut(BaseModel):
    id: str
    tenant: str
    role: Role
    created_at: str
    revoked_at: str | None


class KeyCreated(BaseModel):
    key: KeyOut
    token: str = Field(description="The secret; shown once, only its hash is stored.")


class WhoAmI(BaseModel):
    tenant: str
    role: Role
    auth: bool = Field(description="Whether this server checks API keys.")
    key_id: str | None
    version: str
    substrate_size: float = Field(description="Side of the square agents move on (for drawing positions).")


class Health(BaseModel):
    status: str


class ErrorDetail(BaseModel):
    where: str
    problem: str
    allowed: str | None = None


class ErrorBody(BaseModel):
    status: int
    code: str
    message: str
    details: list[ErrorDetail]


class ErrorOut(BaseModel):
    error: ErrorBody
