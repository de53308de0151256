"""The query pipeline: analyse, score lexically, spread activation, fuse, explain."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from phago.config import QuerySettings
from phago.core.types import Explanation, ScoreComponents
from phago.graph.graph import ConceptGraph
from phago.retrieval import activation as act_mod
from phago.retrieval import fusion
from phago.retrieval.lexical import LexicalIndex, top_k


@dataclass(frozen=True, slots=True)
class Scored:
    passage_id: int
    components: ScoreComponents
    explanation: Explanation
    served_edges: tuple[tuple[int, int], ...]  # concept pairs whose edges contributed


@dataclass(frozen=True, slots=True)
class QueryContext:
    lexical: LexicalIndex
    graph: ConceptGraph
    snapshot: act_mod.GraphSnapshot
    analyze: Callable[[str], list[str]]
    min_term_length: int
    phrase_max_words: int
    dense: Callable[[str], tuple[np.ndarray, np.ndarray]] | None = None  # text -> (passage ids, scores)


def activate(ctx: QueryContext, text: str, q: QuerySettings) -> act_mod.Activation:
    seeds = act_mod.query_concepts(ctx.graph, text, ctx.min_term_length, ctx.phrase_max_words)
    return act_mod.spread(ctx.snapshot, seeds, hops=q.hops, decay=q.activation_decay, fanout=q.fanout)


def search(ctx: QueryContext, text: str, k: int, mode: str, alpha: float, q: QuerySettings) -> list[Scored]:
    """Score every passage id in dense vectors (vectorised), fuse, and explain the top ``k``."""
    terms = ctx.analyze(text)
    size = ctx.lexical.size
    zeros = np.zeros(size, dtype=np.float64)
    use_lexical = mode in ("hybrid", "rrf", "lexical")
    use_graph = mode == "graph" or mode == "rrf" or (mode == "hybrid" and alpha < 1.0)
    wants_dense = mode == "dense" or mode == "rrf" or (mode == "hybrid" and q.dense_weight > 0)
    use_dense = ctx.dense is not None and wants_dense
    lexical = ctx.lexical.score_dense(terms) if use_lexical else zeros
    act = activate(ctx, text, q) if use_graph else act_mod.Activation({}, {}, {})
    graph = graph_scores(ctx, act, size) if use_graph else zeros
    dense = None
    if use_dense and ctx.dense is not None:
        ids, vals = ctx.dense(text)
        dense = np.zeros(size, dtype=np.float64)
        inside = ids < size
        dense[ids[inside]] = np.maximum(vals[inside], 0.0)  # cosine below zero carries no evidence
    signals = fusion.Signals(np.arange(size, dtype=np.int64), lexical, graph, dense)
    fused = fusion.fuse(signals, mode, alpha, q.dense_weight)
    keep = np.flatnonzero(fused > 0)
    if keep.size == 0:
        return []
    out = []
    for pid in (int(keep[i]) for i in top_k(keep, fused[keep], k)):
        comps = ScoreComponents(
            lexical=float(lexical[pid]),
            graph=float(graph[pid]),
            dense=float(dense[pid]) if dense is not None else None,
            fused=float(fused[pid]),
        )
        expl, served = _explain(ctx, terms, act, pid)
        out.append(Scored(pid, comps, expl, served))
    return out


def graph_scores(ctx: QueryContext, act: act_mod.Activation, size: int) -> np.ndarray:
    """Graph signal: every activated concept votes for the passages holding it, with its activation times
    the BM25 weight of its (analysed) label in the passage — associations retrieved like query terms."""
    keys, vals = [], []
    cache = ctx.snapshot.label_terms
    for cid, a in act.activation.items():
        terms = cache.get(cid)
        if terms is None:
            terms = cache[cid] = tuple(dict.fromkeys(ctx.analyze(ctx.graph.concepts[cid].label)))
        for term in terms:
            ts = ctx.lexical.passages.term_scores(term)
            if ts is not None:
                keys.append(ts[0])
                vals.append(ts[1] * (a / len(terms)))
    if not keys:
        return np.zeros(size, dtype=np.float64)
    return np.bincount(np.concatenate(keys), weights=np.concatenate(vals), minlength=size)[:size]


def _explain(
    ctx: QueryContext, terms: Sequence[str], act: act_mod.Activation, pid: int
) -> tuple[Explanation, tuple[tuple[int, int], ...]]:
    g = ctx.graph
    labels = g.concepts
    in_passage = g.passage_concepts.get(pid, {})
    reached = [c for c in act.activation if c in in_passage]
    edges = []
    served = []
    for c in reached:
        if c in act.via:
            parent, w = act.via[c]
            edges.append((labels[parent].label, labels[c].label, round(w, 6)))
            served.append((parent, c) if parent < c else (c, parent))
    return (
        Explanation(
            matched_terms=ctx.lexical.explain(terms, pid),
            query_concepts=tuple(labels[c].label for c in act.seeds),
            edges=tuple(edges),
            passage_concepts=tuple(labels[c].label for c in reached),
        ),
        tuple(served),
    )


def rank_concepts(
    ctx: QueryContext, text: str, k: int, q: QuerySettings, kinds: Sequence[str]
) -> list[tuple[str, float]]:
    """Concept nodes for a query, by activation (the query's own concepts first when strongest)."""
    act = activate(ctx, text, q)
    labels = ctx.graph.concepts
    ranked = sorted(act.activation.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(labels[c].label, a) for c, a in ranked if labels[c].kind in kinds][:k]
