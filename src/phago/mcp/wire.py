"""What the MCP tools and resources return: pydantic models (the JSON at the wire) and the one place
where Phago's domain objects are converted into them.

The models double as each tool's ``outputSchema``, so a client can validate ``structuredContent``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from phago.core.types import ColonyStats, Concept, QueryResult
from phago.graph.communities import Community as CommunityGroup

ExploreKind = Literal["path", "centrality", "bridges", "communities", "stats"]


class _Wire(BaseModel):
    model_config = ConfigDict(frozen=True)


class TermScore(_Wire):
    term: str
    score: float = Field(description="The term's BM25 contribution to the passage's lexical score.")


class EdgeHop(_Wire):
    source: str
    target: str
    weight: float


class Explanation(_Wire):
    matched_terms: list[TermScore] = Field(description="Query terms found in the passage.")
    query_concepts: list[str] = Field(description="Concepts of the query that activated the graph.")
    edges: list[EdgeHop] = Field(description="Hebbian edges that carried activation to the passage.")
    passage_concepts: list[str] = Field(description="Concepts of the passage that were reached.")


class Scores(_Wire):
    lexical: float
    graph: float
    dense: float | None
    fused: float


class Passage(_Wire):
    document_id: str
    passage_id: int = Field(description="Give this id to `feedback` to reinforce or weaken the result.")
    title: str
    text: str
    start: int = Field(description="Character offset of the passage in its document.")
    end: int
    score: float
    components: Scores
    explanation: Explanation


class Recall(_Wire):
    query: str
    results: list[Passage] = Field(description="Best passages first.")


class Remembered(_Wire):
    document_id: str
    title: str
    passages: int = Field(description="Passages the document was split into.")
    digested: bool = Field(description="Whether the colony has wired the document into its concept graph.")


class Forgotten(_Wire):
    document_id: str
    forgotten: bool = True


class FeedbackReceipt(_Wire):
    query: str
    passage_id: int
    signal: int
    edges_changed: int = Field(description="Hebbian edges strengthened, created or weakened.")


class Ranked(_Wire):
    label: str
    score: float


class Path(_Wire):
    concepts: list[str] = Field(description="Concepts from source to target.")
    weights: list[float] = Field(description="Weight of each hop.")
    cost: float = Field(description="Sum of -ln(weight): strong edges are short.")


class Community(_Wire):
    id: int
    size: int
    top_concepts: list[str]


class Communities(_Wire):
    modularity: float = Field(description="Modularity of the whole partition.")
    total: int = Field(description="Communities in the graph (the largest are listed).")
    communities: list[Community] = Field(description="Largest first.")


class Stats(_Wire):
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


class Exploration(_Wire):
    """One of ``path``, ``ranking``, ``communities`` or ``stats`` is set, according to ``kind``."""

    kind: ExploreKind
    path: Path | None = None
    connected: bool | None = Field(default=None, description="kind=path: whether the concepts are connected.")
    ranking: list[Ranked] | None = Field(default=None, description="kind=centrality/bridges, best first.")
    communities: Communities | None = None
    stats: Stats | None = None


class Neighbour(_Wire):
    label: str
    weight: float


class Neighbourhood(_Wire):
    label: str
    kind: str
    occurrences: int
    passages: int
    neighbours: list[Neighbour] = Field(description="Strongest neighbours first.")


# -- conversion from domain objects -----------------------------------------------------------------------
def passage(r: QueryResult) -> Passage:
    e = r.explanation
    return Passage(
        document_id=r.document_id,
        passage_id=r.passage_id,
        title=r.title,
        text=r.text,
        start=r.start,
        end=r.end,
        score=r.score,
        components=Scores(
            lexical=r.components.lexical,
            graph=r.components.graph,
            dense=r.components.dense,
            fused=r.components.fused,
        ),
        explanation=Explanation(
            matched_terms=[TermScore(term=t, score=s) for t, s in e.matched_terms],
            query_concepts=list(e.query_concepts),
            edges=[EdgeHop(source=a, target=b, weight=w) for a, b, w in e.edges],
            passage_concepts=list(e.passage_concepts),
        ),
    )


def stats(s: ColonyStats) -> Stats:
    return Stats(
        tick=s.tick,
        documents=s.documents,
        undigested_documents=s.undigested_documents,
        passages=s.passages,
        concepts=s.concepts,
        edges=s.edges,
        agents=dict(s.agents),
        births=s.births,
        deaths=dict(s.deaths),
        insights=s.insights,
        anomalies=s.anomalies,
        mean_edge_weight=s.mean_edge_weight,
    )


def ranking(pairs: Iterable[tuple[str, float]]) -> list[Ranked]:
    return [Ranked(label=label, score=score) for label, score in pairs]


def neighbourhood(c: Concept, neighbours: Iterable[tuple[str, float]]) -> Neighbourhood:
    return Neighbourhood(
        label=c.label,
        kind=c.kind,
        occurrences=c.occurrences,
        passages=c.passages,
        neighbours=[Neighbour(label=label, weight=w) for label, w in neighbours],
    )


def communities(groups: Sequence[CommunityGroup], modularity: float, k: int) -> Communities:
    largest = sorted(groups, key=lambda g: (-g.size, g.id))[:k]
    return Communities(
        modularity=modularity,
        total=len(groups),
        communities=[Community(id=g.id, size=g.size, top_concepts=list(g.top_concepts)) for g in largest],
    )
