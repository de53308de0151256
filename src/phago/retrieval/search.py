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
    chosen = [int(keep[i]) for i in top_k(keep, fused[keep], k)]
    out = []
    for pid, (expl, served) in zip(chosen, _explain(ctx, terms, act, chosen), strict=True):
        comps = ScoreComponents(
            lexical=float(lexical[pid]),
            graph=float(graph[pid]),
            dense=float(dense[pid]) if dense is not None else None,
            fused=float(fused[pid]),
        )
        out.append(Scored(pid, comps, expl, served))
    return out


def graph_scores(ctx: QueryContext, act: act_mod.Activation, size: int) -> np.ndarray:
    """Graph signal: every activated concept votes for the passages holding it, with its activation times
    the BM25 weight of its (analysed) label in the passage — associations retrieved like query terms."""
    weight: dict[str, float] = {}  # activation gathered per index term (phrases share their words' postings)
    cache = ctx.snapshot.label_terms
    for cid, a in act.activation.items():
        terms = cache.get(cid)
        if terms is None:
            terms = cache[cid] = tuple(dict.fromkeys(ctx.analyze(ctx.graph.concepts[cid].label)))
        for term in terms:
            weight[term] = weight.get(term, 0.0) + a / len(terms)
    keys, vals = [], []
    for term, w in weight.items():
        ts = ctx.lexical.passages.term_scores(term)
        if ts is not None:
            keys.append(ts[0])
            vals.append(ts[1] * w)
    if not keys:
        return np.zeros(size, dtype=np.float64)
    return np.bincount(np.concatenate(keys), weights=np.concatenate(vals), minlength=size)[:size]


def _explain(
    ctx: QueryContext, terms: Sequence[str], act: act_mod.Activation, pids: Sequence[int]
) -> list[tuple[Explanation, tuple[tuple[int, int], ...]]]:
    """Each passage's explanation and the edges that served it; the query-wide parts are computed once."""
    g = ctx.graph
    labels = g.concepts
    rank = {c: i for i, c in enumerate(act.activation)}  # reached concepts are listed in activation order
    label = {c: labels[c].label for c in rank}
    hop: dict[int, tuple[tuple[str, str, float], tuple[int, int]]] = {
        c: ((label.get(parent) or labels[parent].label, label[c], round(w, 6)), (min(parent, c), max(parent, c)))
        for c, (parent, w) in act.via.items()
    }
    query_concepts = tuple(label[c] for c in act.seeds)
    out = []
    for pid, matched in zip(pids, ctx.lexical.explain_many(terms, pids), strict=True):
        reached = sorted(g.passage_concepts.get(pid, {}).keys() & rank.keys(), key=rank.__getitem__)
        via = [hop[c] for c in reached if c in hop]
        expl = Explanation(
            matched_terms=matched,
            query_concepts=query_concepts,
            edges=tuple(e for e, _ in via),
            passage_concepts=tuple(label[c] for c in reached),
        )
        out.append((expl, tuple(pair for _, pair in via)))
    return out


def rank_concepts(
    ctx: QueryContext, text: str, k: int, q: QuerySettings, kinds: Sequence[str]
) -> list[tuple[str, float]]:
    """Concept nodes for a query, by activation (the query's own concepts first when strongest)."""
    act = activate(ctx, text, q)
    labels = ctx.graph.concepts
    ranked = sorted(act.activation.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(labels[c].label, a) for c, a in ranked if labels[c].kind in kinds][:k]
