"""Structural queries over the concept graph: paths, centrality, bridges, components, clusters.

Cheap numpy versions (backbone clusters, participation) serve the Synthesizer every quorum; the
networkx-based ones (weighted shortest path, sampled betweenness) serve ``explore`` on demand.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import networkx as nx
import numpy as np

from phago.errors import NotFound
from phago.graph.graph import ConceptGraph


@dataclass(frozen=True, slots=True)
class PathResult:
    concepts: tuple[str, ...]
    weights: tuple[float, ...]  # weight of each hop
    cost: float  # sum of −ln(weight): strong edges are short


@dataclass(frozen=True, slots=True)
class Component:
    size: int
    top_concepts: tuple[str, ...]


def to_networkx(graph: ConceptGraph) -> nx.Graph:
    g = nx.Graph()
    for cid, c in graph.concepts.items():
        g.add_node(cid, label=c.label)
    e = graph.edges
    rows = e.live_rows()
    for a, b, w, n in zip(
        e.src[rows].tolist(),
        e.dst[rows].tolist(),
        e.weight[rows].tolist(),
        e.coact[rows].tolist(),
        strict=True,
    ):
        g.add_edge(a, b, weight=w, coactivations=n, distance=-float(np.log(max(w, 1e-12))))
    return g


def _cid(graph: ConceptGraph, label: str) -> int:
    cid = graph.by_label.get(label.strip().lower())
    if cid is None:
        raise NotFound("concept", label)
    return cid


def shortest_path(graph: ConceptGraph, source: str, target: str) -> PathResult | None:
    """Strongest path: minimises Σ −ln(weight). ``None`` when the concepts are not connected."""
    a, b = _cid(graph, source), _cid(graph, target)
    g = to_networkx(graph)
    try:
        nodes = nx.dijkstra_path(g, a, b, weight="distance")
    except nx.NetworkXNoPath:
        return None
    weights = tuple(g[u][v]["weight"] for u, v in itertools.pairwise(nodes))
    cost = float(sum(g[u][v]["distance"] for u, v in itertools.pairwise(nodes)))
    return PathResult(tuple(graph.concepts[n].label for n in nodes), weights, cost)


def centrality(
    graph: ConceptGraph, k: int, *, kind: str = "degree", samples: int = 64, seed: int = 0
) -> list[tuple[str, float]]:
    """Top ``k`` concepts by ``degree`` (weighted degree, i.e. strength) or sampled ``betweenness``."""
    if kind == "degree":
        e = graph.edges
        rows = e.live_rows()
        n = graph.next_concept_id
        strength = np.bincount(e.src[rows], weights=e.weight[rows], minlength=n) + np.bincount(
            e.dst[rows], weights=e.weight[rows], minlength=n
        )
        order = sorted(graph.concepts, key=lambda c: (-strength[c], c))[:k]
        return [(graph.concepts[c].label, float(strength[c])) for c in order]
    if kind == "betweenness":
        g = to_networkx(graph)
        if g.number_of_nodes() == 0:
            return []
        bc = nx.betweenness_centrality(g, k=min(samples, g.number_of_nodes()), weight="distance", seed=seed)
        order = sorted(bc, key=lambda c: (-bc[c], c))[:k]
        return [(graph.concepts[c].label, float(bc[c])) for c in order]
    raise ValueError(f"unknown centrality kind {kind!r}; allowed: degree, betweenness")


def components(graph: ConceptGraph, *, top: int = 5) -> list[Component]:
    """Connected components, largest first, each with its strongest concepts."""
    labels = _union_find(graph, graph.edges.live_rows())
    return _groups(graph, labels, top, min_size=1)


def backbone_clusters(graph: ConceptGraph, *, k: int = 3, min_size: int = 3, top: int = 5) -> list[Component]:
    """Clusters of the mutual top-``k`` backbone: an edge stays if it is among the ``k`` strongest of both
    its endpoints. Linear-time, deterministic; used by the Synthesizer."""
    return _groups(graph, _union_find(graph, _backbone_rows(graph, k)), top, min_size)


def bridge_concepts(
    graph: ConceptGraph, k: int, min_cluster_size: int, labels: dict[int, int] | None = None
) -> list[tuple[str, float]]:
    """Concepts whose strength spreads across backbone clusters: participation × ln(1 + passages).

    ``labels`` (from :func:`cluster_labels`) may be passed when already computed."""
    if labels is None:
        labels = cluster_labels(graph, min_size=min_cluster_size)
    part = participation(graph, labels)
    scored = sorted(
        ((p * math.log1p(graph.concepts[c].passages), c) for c, p in part.items() if p > 0),
        key=lambda t: (-t[0], t[1]),
    )[:k]
    return [(graph.concepts[c].label, s) for s, c in scored]


def _backbone_rows(graph: ConceptGraph, k: int) -> np.ndarray:
    """Rows of edges among the ``k`` strongest of both endpoints."""
    e = graph.edges
    rows = e.live_rows()
    if rows.size == 0:
        return rows
    node = np.concatenate([e.src[rows], e.dst[rows]])
    row2 = np.concatenate([rows, rows])
    other = np.concatenate([e.dst[rows], e.src[rows]])  # ties by neighbour id: independent of row layout
    order = np.lexsort((other, -np.concatenate([e.weight[rows]] * 2), node))
    node_s, row_s = node[order], row2[order]
    starts = np.r_[0, np.flatnonzero(np.diff(node_s)) + 1]
    rank = np.arange(node_s.size) - np.repeat(starts, np.diff(np.r_[starts, node_s.size]))
    kept, counts = np.unique(row_s[rank < k], return_counts=True)
    mutual: np.ndarray = kept[counts == 2]
    return mutual


def participation(graph: ConceptGraph, cluster_of: dict[int, int]) -> dict[int, float]:
    """Participation coefficient 1 − Σ_c (s_ic / s_i)² of each concept over the given cluster labels:
    high for concepts whose strength spreads across clusters (bridges)."""
    e = graph.edges
    rows = e.live_rows()
    if rows.size == 0:
        return {}
    src, dst, w = e.src[rows], e.dst[rows], e.weight[rows]
    lab = np.full(graph.next_concept_id, -1, dtype=np.int64)
    for cid, c in cluster_of.items():
        lab[cid] = c
    node = np.concatenate([src, dst])
    other = lab[np.concatenate([dst, src])]
    ww = np.concatenate([w, w])
    mask = other >= 0
    node, other, ww = node[mask], other[mask], ww[mask]
    if node.size == 0:
        return {}
    n_clusters = int(other.max()) + 1
    key = node * n_clusters + other
    uniq, inv = np.unique(key, return_inverse=True)
    s_ic = np.bincount(inv, weights=ww)
    nodes_of = uniq // n_clusters
    s_i = np.bincount(nodes_of, weights=s_ic, minlength=graph.next_concept_id)
    frac = s_ic / s_i[nodes_of]
    sq = np.bincount(nodes_of, weights=frac * frac, minlength=graph.next_concept_id)
    present = np.flatnonzero(s_i > 0)
    return {int(c): float(1.0 - sq[c]) for c in present}


def clusters_of(graph: ConceptGraph, labels: dict[int, int], *, top: int = 5) -> list[Component]:
    """Components described by their strongest concepts, for labels from :func:`cluster_labels`."""
    return _groups(graph, labels, top, min_size=1)


def _union_find(graph: ConceptGraph, rows: np.ndarray) -> dict[int, int]:
    parent = {cid: cid for cid in graph.concepts}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    e = graph.edges
    for a, b in zip(e.src[rows].tolist(), e.dst[rows].tolist(), strict=True):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {cid: find(cid) for cid in graph.concepts}


def _groups(graph: ConceptGraph, labels: dict[int, int], top: int, min_size: int) -> list[Component]:
    groups: dict[int, list[int]] = {}
    for cid, root in labels.items():
        groups.setdefault(root, []).append(cid)
    occ = {cid: c.occurrences for cid, c in graph.concepts.items()}
    out = []
    for members in groups.values():
        if len(members) < min_size:
            continue
        best = sorted(members, key=lambda c: (-occ[c], c))[:top]
        out.append(Component(len(members), tuple(graph.concepts[c].label for c in best)))
    out.sort(key=lambda comp: (-comp.size, comp.top_concepts))
    return out


def cluster_labels(graph: ConceptGraph, *, k: int = 3, min_size: int = 3) -> dict[int, int]:
    """Concept → backbone cluster index (clusters smaller than ``min_size`` are left out)."""
    roots = _union_find(graph, _backbone_rows(graph, k))
    groups: dict[int, list[int]] = {}
    for cid, root in roots.items():
        groups.setdefault(root, []).append(cid)
    out: dict[int, int] = {}
    for i, members in enumerate(sorted((m for m in groups.values() if len(m) >= min_size), key=min)):
        for cid in members:
            out[cid] = i
    return out
