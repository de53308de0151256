"""Structural questions about the graph: paths, centrality, bridges, components, communities."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from phago.server.auth import ReadTenant
from phago.server.routes._common import ERRORS, NOT_FOUND
from phago.server.schemas import CommunitiesOut, CommunityOut, ComponentOut, PathOut, ScoredLabel

router = APIRouter(prefix="/api/explore", tags=["explore"], responses=ERRORS)

K = Annotated[int, Query(ge=1, le=1000, description="Items returned.")]
ConceptLabel = Annotated[str, Query(min_length=1, max_length=200, description="A concept label.")]


@router.get("/path", responses=NOT_FOUND, summary="The strongest path between two concepts")
def path(source: ConceptLabel, target: ConceptLabel, tenant: ReadTenant) -> PathOut:
    found = tenant.colony.path(source, target)
    if found is None:
        return PathOut(source=source, target=target, found=False, concepts=[], weights=[], cost=None)
    return PathOut(source=source, target=target, found=True, concepts=list(found.concepts),
                   weights=list(found.weights), cost=found.cost)


@router.get("/centrality", summary="The most central concepts")
def centrality(
    tenant: ReadTenant, k: K = 10,
    kind: Annotated[
        Literal["degree", "betweenness"], Query(description="Weighted degree or sampled betweenness.")
    ] = "degree",
) -> list[ScoredLabel]:
    return [ScoredLabel(label=lb, score=s) for lb, s in tenant.colony.centrality(k, kind)]


@router.get("/bridges", summary="Concepts whose connections span clusters")
def bridges(tenant: ReadTenant, k: K = 10) -> list[ScoredLabel]:
    return [ScoredLabel(label=lb, score=s) for lb, s in tenant.colony.bridges(k)]


@router.get("/components", summary="Connected components, largest first")
def components(tenant: ReadTenant, top: K = 10) -> list[ComponentOut]:
    found = tenant.colony.components(top)
    return [ComponentOut(size=c.size, top_concepts=list(c.top_concepts)) for c in found]


@router.get("/communities", summary="Concept communities (Louvain) and their modularity")
def communities(
    tenant: ReadTenant,
    top: Annotated[int, Query(ge=1, le=8, description="Labels listed per community.")] = 8,
    min_size: Annotated[int, Query(ge=1, le=10**9, description="Smallest community listed.")] = 2,
) -> CommunitiesOut:
    """Recomputed when the graph changed, at most every few seconds (longer for graphs where it is slow)."""
    info = tenant.communities()
    found = [c for c in info.communities if c.size >= min_size]
    return CommunitiesOut(
        modularity=info.modularity,
        communities=[
            CommunityOut(id=c.id, size=c.size, top_concepts=list(c.top_concepts[:top])) for c in found
        ],
    )
