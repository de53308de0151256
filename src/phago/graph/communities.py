"""Communities of concepts and of documents (igraph's multilevel / Louvain, seeded).

Concept communities partition the Hebbian graph by weight. Document communities partition a document
similarity graph: each document is linked to its ``k`` most similar documents by the cosine of their
TF-IDF-weighted concept vectors.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from phago.graph.graph import ConceptGraph

_IGRAPH_RNG_LOCK = threading.Lock()
MAX_FEATURES = 4096  # concepts used to compare documents


@dataclass(frozen=True, slots=True)
class Community:
    id: int
    size: int
    top_concepts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Partition:
    membership: dict[int, int]  # node key -> community id (largest community is 0)
    modularity: float


@dataclass(frozen=True, slots=True)
class DocumentPartition:
    membership: dict[str, int]  # document id -> community id
    modularity: float


def louvain(
    n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray, seed: int
) -> tuple[list[int], float]:
    """Multilevel modularity optimisation on an undirected weighted graph of ``n`` nodes.

    igraph draws from a process-wide generator; a seeded ``random.Random`` is installed around the call
    (under a lock) so the result is deterministic.
    """
    import igraph

    if n == 0:
        return [], 0.0
    g = igraph.Graph(n=n, edges=np.column_stack([src, dst]).tolist(), directed=False)
    with _IGRAPH_RNG_LOCK:
        igraph.set_random_number_generator(random.Random(seed))
        try:
            clustering = g.community_multilevel(weights=weight.tolist() if len(weight) else None)
        finally:
            igraph.set_random_number_generator(random)
    membership = list(clustering.membership)
    modularity = float(clustering.modularity) if len(src) else 0.0
    return _relabel_by_size(membership), modularity


def _relabel_by_size(membership: list[int]) -> list[int]:
    """Largest community first (ties by smallest member), so ids are stable across runs."""
    groups: dict[int, list[int]] = {}
    for node, c in enumerate(membership):
        groups.setdefault(c, []).append(node)
    order = sorted(groups.values(), key=lambda m: (-len(m), m[0]))
    out = [0] * len(membership)
    for new_id, members in enumerate(order):
        for node in members:
            out[node] = new_id
    return out


def concept_partition(graph: ConceptGraph, seed: int) -> Partition:
    cids = sorted(graph.concepts)
    pos = {cid: i for i, cid in enumerate(cids)}
    e = graph.edges
    rows = e.live_rows()
    src = np.array([pos[a] for a in e.src[rows].tolist()], dtype=np.int64)
    dst = np.array([pos[b] for b in e.dst[rows].tolist()], dtype=np.int64)
    membership, q = louvain(len(cids), src, dst, e.weight[rows], seed)
    return Partition({cid: membership[i] for i, cid in enumerate(cids)}, q)


def communities(graph: ConceptGraph, partition: Partition, top: int = 8) -> list[Community]:
    groups: dict[int, list[int]] = {}
    for cid, c in partition.membership.items():
        groups.setdefault(c, []).append(cid)
    out = []
    for c in sorted(groups):
        members = sorted(groups[c], key=lambda x: (-graph.concepts[x].occurrences, x))
        out.append(Community(c, len(members), tuple(graph.concepts[x].label for x in members[:top])))
    return out


def document_partition(
    doc_concepts: Mapping[str, Mapping[int, int]], seed: int, *, neighbours: int = 10
) -> DocumentPartition:
    """Partition documents by their concept profiles (TF-IDF cosine, ``neighbours``-nearest graph)."""
    docs = sorted(doc_concepts)
    n = len(docs)
    if n == 0:
        return DocumentPartition({}, 0.0)
    vocab: dict[int, int] = {}
    rows_i, cols_i, vals = [], [], []
    for i, d in enumerate(docs):
        for cid, tf in doc_concepts[d].items():
            j = vocab.setdefault(cid, len(vocab))
            rows_i.append(i)
            cols_i.append(j)
            vals.append(tf)
    rows_a = np.array(rows_i, dtype=np.int64)
    cols_a = np.array(cols_i, dtype=np.int64)
    vals_a = np.array(vals, dtype=np.float64)
    df = np.bincount(cols_a, minlength=len(vocab))
    # Only concepts shared by several documents link documents; keep the most widespread ones.
    shared = np.flatnonzero(df >= 2)
    shared = shared[np.argsort(-df[shared], kind="stable")][:MAX_FEATURES]
    col_map = np.full(len(vocab), -1, dtype=np.int64)
    col_map[shared] = np.arange(shared.size)
    keep = col_map[cols_a] >= 0
    m = np.zeros((n, max(1, shared.size)), dtype=np.float32)
    m[rows_a[keep], col_map[cols_a[keep]]] = np.log1p(vals_a[keep]) * np.log((1 + n) / (1 + df[cols_a[keep]]))
    norms = np.linalg.norm(m, axis=1)
    norms[norms == 0] = 1.0
    m /= norms[:, None]
    k = min(neighbours, n - 1)
    if k <= 0:
        return DocumentPartition({docs[0]: 0}, 0.0)
    pairs: dict[tuple[int, int], float] = {}
    for lo in range(0, n, 1024):  # blockwise top-k: never holds the n × n similarity matrix
        sim = m[lo : lo + 1024] @ m.T
        sim[np.arange(sim.shape[0]), np.arange(lo, lo + sim.shape[0])] = -1.0
        nn = np.argsort(-sim, axis=1, kind="stable")[:, :k]
        for r in range(sim.shape[0]):
            i = lo + r
            for j in nn[r].tolist():
                w = float(sim[r, j])
                if w > 0:
                    pairs[(min(i, j), max(i, j))] = w
    keys = sorted(pairs)
    src = np.array([a for a, _ in keys], dtype=np.int64)
    dst = np.array([b for _, b in keys], dtype=np.int64)
    weight = np.array([pairs[kk] for kk in keys], dtype=np.float64)
    membership, q = louvain(n, src, dst, weight, seed)
    return DocumentPartition({d: membership[i] for i, d in enumerate(docs)}, q)
