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

    def weight_of(self, positions: IntArray) -> FloatArray:
        """Live weights of the edges at CSR ``positions``."""
        weights: FloatArray = self._weights.weight[self.adj_rows[positions]]
        return weights


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
    frontier_ids: IntArray = np.array(list(seed_act), dtype=np.int64)
    frontier_act: FloatArray = np.array(list(seed_act.values()), dtype=np.float64)
    limit = 4 * fanout  # a concept passes activation along its strongest edges only: a hub's long tail of
    # weak edges cannot win a place among the ``fanout`` survivors anyway
    for _ in range(hops):
        lo = snap.adj_indptr[frontier_ids]
        counts = np.minimum(snap.adj_indptr[frontier_ids + 1] - lo, limit)
        total_n = int(counts.sum())
        if total_n == 0:
            break
        # positions lo .. lo + count of every frontier concept's row, in one vector
        starts = np.repeat(lo - np.cumsum(counts) + counts, counts)
        pos = starts + np.arange(total_n)
        keys = snap.adj_indices[pos]
        ws = snap.weight_of(pos)
        parent = np.repeat(frontier_ids, counts)
        contrib = decay * np.repeat(frontier_act, counts) * ws
        uniq, inv = np.unique(keys, return_inverse=True)
        incoming = np.bincount(inv, weights=contrib, minlength=uniq.size).astype(np.float64, copy=False)
        # the strongest single contribution to each reached concept names the edge that explains it
        order = np.lexsort((parent, -contrib, inv))
        first = order[np.r_[0, np.flatnonzero(np.diff(inv[order])) + 1]]
        take = np.lexsort((uniq, -incoming))[:fanout]
        frontier_ids, frontier_act = uniq[take].astype(np.int64), incoming[take]
        best = first[take]
        for j, a, par, w in zip(frontier_ids.tolist(), frontier_act.tolist(), parent[best].tolist(),
                                ws[best].tolist(), strict=True):
            activation[j] = activation.get(j, 0.0) + a
            if j not in seed_act and j not in via:
                via[j] = (par, w)
    return Activation(seed_act, activation, via)
