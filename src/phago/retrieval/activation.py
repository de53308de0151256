"""Spreading activation over the Hebbian graph, and its mapping to passages through postings.

Seeds are the query's concepts, weighted by idf. Each hop passes activation along edges in proportion to
their weight (``a_j += decay · a_i · w_ij``); the strongest ``fanout`` concepts reached survive each hop.
A passage's graph score is ``Σ_c a_c · idf_c · (1 + ln tf_cp)`` over the activated concepts it contains.

The CSR snapshots of the adjacency and the postings are rebuilt only when the graph's version changes.
"""

from __future__ import annotations

import math
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
        self.version = graph.version
        self.label_terms: dict[int, tuple[str, ...]] = {}  # concept -> analysed label, filled on demand
        n = graph.next_concept_id
        e = graph.edges
        rows = e.live_rows()
        src = np.concatenate([e.src[rows], e.dst[rows]])
        dst = np.concatenate([e.dst[rows], e.src[rows]])
        w = np.concatenate([e.weight[rows], e.weight[rows]])
        order = np.lexsort((dst, src))
        self.adj_indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(src, minlength=n), out=self.adj_indptr[1:])
        self.adj_indices = dst[order]
        self.adj_weights = w[order]
        # postings concept -> passages
        cids, pids, tfs = [], [], []
        for cid, plist in graph.postings.items():
            if plist:
                cids.append(np.full(len(plist), cid, dtype=np.int64))
                pids.append(np.fromiter(plist.keys(), dtype=np.int64, count=len(plist)))
                tfs.append(np.fromiter(plist.values(), dtype=np.float64, count=len(plist)))
        c = np.concatenate(cids) if cids else np.zeros(0, dtype=np.int64)
        p = np.concatenate(pids) if pids else np.zeros(0, dtype=np.int64)
        t = np.concatenate(tfs) if tfs else np.zeros(0, dtype=np.float64)
        order = np.lexsort((p, c))
        self.post_indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(c, minlength=n), out=self.post_indptr[1:])
        self.post_passages = p[order]
        self.post_weights = 1.0 + np.log(np.maximum(t[order], 1.0))
        passages = max(1, len(graph.passage_concepts))
        df = np.diff(self.post_indptr).astype(np.float64)
        self.idf = np.log1p(passages / np.maximum(df, 1.0))

    def neighbours(self, cid: int) -> tuple[IntArray, FloatArray]:
        lo, hi = self.adj_indptr[cid], self.adj_indptr[cid + 1]
        return self.adj_indices[lo:hi], self.adj_weights[lo:hi]


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
        parts = [(cid, a, *snap.neighbours(cid)) for cid, a in frontier.items()]
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


def passage_scores(snap: GraphSnapshot, act: Activation) -> tuple[IntArray, FloatArray]:
    """(passage ids, graph scores) of passages holding an activated concept."""
    if not act.activation:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    pids, vals = [], []
    for cid, a in act.activation.items():
        lo, hi = snap.post_indptr[cid], snap.post_indptr[cid + 1]
        if hi > lo:
            pids.append(snap.post_passages[lo:hi])
            vals.append(a * snap.idf[cid] * snap.post_weights[lo:hi])
    if not pids:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    keys = np.concatenate(pids)
    uniq, inv = np.unique(keys, return_inverse=True)
    return uniq.astype(np.int64), np.bincount(inv, weights=np.concatenate(vals), minlength=uniq.size).astype(np.float64)


def idf_of(snap: GraphSnapshot, cid: int) -> float:
    return float(snap.idf[cid]) if cid < len(snap.idf) else math.log(2.0)
