"""The concept graph: a drawable snapshot, paged nodes and edges, and single concepts."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from phago.server.auth import ReadTenant
from phago.server.routes._common import ERRORS, NOT_FOUND, Limit, Offset
from phago.server.schemas import (
    ConceptOut,
    EdgeOut,
    GraphEdge,
    GraphOut,
    NodeOut,
    Page,
    ResultOut,
)
from phago.server.tenants import GraphView

router = APIRouter(prefix="/api", tags=["graph"], responses=ERRORS)

Community = Annotated[int | None, Query(ge=0, le=10**9, description="Only this community's concepts.")]
MinWeight = Annotated[float, Query(ge=0.0, le=1.0, description="Only edges at least this heavy.")]
Label = Annotated[str, Path(min_length=1, max_length=200, description="A concept label.")]


def _node(view: GraphView, label: str) -> NodeOut:
    c = view.concepts[label]
    return NodeOut(
        label=label, kind=c.kind, occurrences=c.occurrences, passages=c.passages, degree=view.degree[label],
        strength=view.strength[label], community=view.community.get(label),
    )


def _in_community(view: GraphView, label: str, community: int | None) -> bool:
    return community is None or view.community.get(label) == community


@router.get("/graph", summary="The strongest part of the graph, for drawing")
def graph(
    tenant: ReadTenant,
    max_nodes: Annotated[int, Query(ge=1, le=5000, description="Most concepts (strongest first).")] = 1000,
    max_edges: Annotated[int, Query(ge=0, le=50_000, description="Most edges (heaviest first).")] = 10_000,
    min_weight: MinWeight = 0.0,
    community: Community = None,
) -> GraphOut:
    view = tenant.view()
    labels = [lb for lb in view.concepts if _in_community(view, lb, community)]
    labels.sort(key=lambda lb: (-view.strength[lb], lb))
    chosen = set(labels[:max_nodes])
    edges = [e for e in view.edges if e.weight >= min_weight and e.source in chosen and e.target in chosen]
    edges.sort(key=lambda e: (-e.weight, e.source, e.target))
    return GraphOut(
        nodes=[_node(view, lb) for lb in labels[:max_nodes]],
        edges=[GraphEdge(source=e.source, target=e.target, weight=e.weight) for e in edges[:max_edges]],
        total_nodes=len(view.concepts), total_edges=len(view.edges), modularity=view.modularity,
        tick=view.tick,
    )


@router.get("/graph/nodes", summary="Concepts, paged; filter by community and degree")
def nodes(
    tenant: ReadTenant,
    offset: Offset = 0,
    limit: Limit = 100,
    community: Community = None,
    min_degree: Annotated[int, Query(ge=0, le=10**9, description="Only concepts with this many edges.")] = 0,
    sort: Annotated[Literal["strength", "degree", "occurrences", "label"], Query(description="Order.")]
    = "strength",
) -> Page[NodeOut]:
    view = tenant.view()
    labels = [
        lb for lb in view.concepts if _in_community(view, lb, community) and view.degree[lb] >= min_degree
    ]
    if sort == "label":
        labels.sort()
    elif sort == "degree":
        labels.sort(key=lambda lb: (-view.degree[lb], lb))
    elif sort == "occurrences":
        labels.sort(key=lambda lb: (-view.concepts[lb].occurrences, lb))
    else:
        labels.sort(key=lambda lb: (-view.strength[lb], lb))
    return Page[NodeOut](items=[_node(view, lb) for lb in labels[offset : offset + limit]], total=len(labels),
                         offset=offset, limit=limit)


@router.get("/graph/edges", summary="Edges, paged (heaviest first); filter by community, weight and concept")
def edges(
    tenant: ReadTenant,
    offset: Offset = 0,
    limit: Limit = 100,
    community: Annotated[int | None, Query(ge=0, le=10**9, description="Only edges inside this community.")]
    = None,
    min_weight: MinWeight = 0.0,
    concept: Annotated[str | None, Query(min_length=1, max_length=200, description="Only its edges.")]
    = None,
) -> Page[EdgeOut]:
    view = tenant.view()
    label = concept.strip().lower() if concept is not None else None
    chosen = [
        e for e in view.edges
        if e.weight >= min_weight
        and (community is None or (view.community.get(e.source) == community == view.community.get(e.target)))
        and (label is None or label in (e.source, e.target))
    ]
    chosen.sort(key=lambda e: (-e.weight, e.source, e.target))
    return Page[EdgeOut](items=[EdgeOut.of(e) for e in chosen[offset : offset + limit]], total=len(chosen),
                         offset=offset, limit=limit)


@router.get("/concepts/{label}", responses=NOT_FOUND, summary="A concept, its community and neighbours")
def concept(
    label: Label, tenant: ReadTenant,
    k: Annotated[int, Query(ge=1, le=1000, description="Neighbours returned.")] = 20,
) -> ConceptOut:
    c = tenant.colony.concept(label)
    community = tenant.communities().membership.get(c.label)
    return ConceptOut.of(c, community, tenant.colony.neighbours(c.label, k))


@router.get("/concepts/{label}/passages", responses=NOT_FOUND, summary="Passages about a concept")
def concept_passages(
    label: Label, tenant: ReadTenant,
    k: Annotated[int, Query(ge=1, le=1000, description="Passages returned.")] = 10,
) -> list[ResultOut]:
    """The passages that best match the concept's label (retrieval with the label as the query)."""
    c = tenant.colony.concept(label)
    return [ResultOut.of(r) for r in tenant.colony.query(c.label, k)]
