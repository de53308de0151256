"""Spreading activation over the Hebbian graph, and its mapping to passages through postings.

Seeds are the query's concepts, weighted by idf. Each hop passes activation along edges in proportion to
their weight (``a_j += decay · a_i · w_ij``); the strongest ``fanout`` concepts reached survive each hop.
Mapping activation to passages is done by :func:`phago.retrieval.search.graph_scores`.

The CSR snapshot of the adjacency (edge rows; weights are read live) is rebuilt only when concepts or edges
appear or disappear.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from phago.core.concepts import _ngrams, _runs
from phago.graph.graph import ConceptGraph

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Activation:
    seeds: dict[int, float]  # concept -> seed activation
    activation: dict[int, float]  # concept -> total activation (seeds included)
    via: dict[int, tuple[int, float]]  # reached concept -> (strongest seed/parent, edge weight)


class GraphSnapshot:
    """Read-optimised CSR views of a :class:`ConceptGraph`."""

    def __init__(self, graph: ConceptGraph) -> None:
        self.version = graph.structure_version
        self._weights = graph.edges  # weights are read live, so reinforcement needs no rebuild
        self.label_terms: dict[int, tuple[str, ...]] = {}  # concept -> analysed label, filled on demand
        n = graph.next_concept_id
        e = graph.edges
        rows = e.live_rows()
        src = np.concatenate([e.src[rows], e.dst[rows]])
        dst = np.concatenate([e.dst[rows], e.src[rows]])
        erow = np.concatenate([rows, rows])
        w = np.concatenate([e.weight[rows], e.weight[rows]])
        # each concept's neighbours strongest first (ties by id), so a hop can read just the strongest few
        order = np.lexsort((dst, -w, src))
        self.adj_indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(src, minlength=n), out=self.adj_indptr[1:])
        self.adj_indices = dst[order]
        self.adj_rows = erow[order]
        # idf of each concept over digested passages: rarer concepts seed more activation
        passages = np.zeros(n, dtype=np.float64)
        for cid, c in graph.concepts.items():
            passages[cid] = c.passages
        total = max(1, len(graph.passage_concepts))
        self.idf = np.log1p(total / np.maximum(passages, 1.0))

    def neighbours(self, cid: int, limit: int | None = None) -> tuple[IntArray, FloatArray]:
        """Neighbours and live edge weights, strongest first as of the snapshot; at most ``limit``."""
        lo, hi = self.adj_indptr[cid], self.adj_indptr[cid + 1]
        if limit is not None:
            hi = min(hi, lo + limit)
        return self.adj_indices[lo:hi], self._weights.weight[self.adj_rows[lo:hi]]


def query_concepts(graph: ConceptGraph, text: str, min_term_length: int, phrase_max_words: int) -> list[int]:
    """Concepts named in the query: its candidate terms and any known multi-word phrases, in order."""
    found: dict[int, None] = {}
    for run in _runs(text, min_term_length):
        for tok, _ in run:
            cid = graph.by_label.get(tok)
            if cid is not None:
                found[cid] = None
        for gram, _ in _ngrams(run, phrase_max_words):
            cid = graph.by_label.get(gram)
            if cid is not None:
                found[cid] = None
    return list(found)


def spread(snap: GraphSnapshot, seeds: list[int], *, hops: int, decay: float, fanout: int) -> Activation:
    if not seeds:
        return Activation({}, {}, {})
    seed_act = {c: float(snap.idf[c]) for c in seeds}
    total = sum(seed_act.values()) or 1.0
    seed_act = {c: a / total for c, a in seed_act.items()}
    activation = dict(seed_act)
    via: dict[int, tuple[int, float]] = {}
    frontier = dict(seed_act)
    for _ in range(hops):
        # a concept passes activation along its strongest edges only: a hub's long tail of weak edges
        # cannot win a place among the ``fanout`` survivors anyway
        parts = [(cid, a, *snap.neighbours(cid, 4 * fanout)) for cid, a in frontier.items()]
        parts = [p for p in parts if p[2].size]
        if not parts:
            break
        keys = np.concatenate([p[2] for p in parts])
        ws = np.concatenate([p[3] for p in parts])
        contrib = np.concatenate([decay * p[1] * p[3] for p in parts])
        parent = np.concatenate([np.full(p[2].size, p[0], dtype=np.int64) for p in parts])
        uniq, inv = np.unique(keys, return_inverse=True)
        incoming = np.bincount(inv, weights=contrib, minlength=uniq.size)
        # the strongest single contribution to each reached concept names the edge that explains it
        order = np.lexsort((parent, -contrib, inv))
        first = order[np.r_[0, np.flatnonzero(np.diff(inv[order])) + 1]]
        take = np.lexsort((uniq, -incoming))[:fanout]
        frontier = {}
        for i in take.tolist():
            j, a = int(uniq[i]), float(incoming[i])
            activation[j] = activation.get(j, 0.0) + a
            if j not in seed_act and j not in via:
                via[j] = (int(parent[first[i]]), float(ws[first[i]]))
            frontier[j] = a
    return Activation(seed_act, activation, via)
