"""Sweep fusion settings on a BEIR folder with every signal (lexical, graph, dense) computed once per query.

    python bench/tune_fusion.py --data ../shared/bench/scifact --db /tmp/scifact-emb.db

The colony (with passage vectors) is built into ``--db`` on the first run and reused afterwards, so the
≈ 15–20 min of embedding on 2 cores is paid once. Per query the three raw signals over all passages are
computed through the colony's own query pipeline; each fusion variant is then a cheap numpy function of them.
Reported: nDCG@10 per variant on all queries, and a two-fold check (tune on odd queries, score even ones and
vice versa) so the chosen setting is not fitted to the queries it is measured on.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from phago.benchmarks.beir import load
from phago.config import Settings
from phago.core.types import DocumentInput
from phago.facade import Colony
from phago.retrieval import fusion
from phago.retrieval import search as search_mod
from phago.retrieval.dense import default_embedder
from phago.retrieval.evaluation import ndcg_at_k

Array = np.ndarray


def build(db: Path, data: Path, settings: Settings) -> None:
    corpus, _, _ = load(data)
    colony = Colony.open(db, settings, embedder=default_embedder())
    start = time.perf_counter()
    colony.ingest_many([DocumentInput(d.get("text") or d.get("title", ""), d.get("title", ""),
                                      {"beir_id": str(d["_id"])}) for d in corpus])
    print(f"ingest+embed {time.perf_counter() - start:.0f} s", file=sys.stderr)
    start = time.perf_counter()
    colony.digest()
    print(f"digest {time.perf_counter() - start:.0f} s", file=sys.stderr)
    colony.close()


def signals(colony: Colony, text: str) -> tuple[Array, Array, Array]:
    """Raw lexical, graph and dense scores over all passage ids, as the query pipeline computes them."""
    ctx = colony._query_context()
    q = colony._settings.query
    size = ctx.lexical.size
    lexical = ctx.lexical.score_dense(ctx.analyze(text))
    graph = search_mod.graph_scores(ctx, search_mod.activate(ctx, text, q), size)
    assert ctx.dense is not None
    ids, vals = ctx.dense(text)
    dense = np.zeros(size, dtype=np.float64)
    inside = ids < size
    dense[ids[inside]] = np.maximum(vals[inside], 0.0)
    return lexical, graph, dense


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--out", type=Path, help="write the sweep as JSON here")
    args = ap.parse_args()
    settings = Settings().with_overrides({"query.reinforce": False})
    if not args.db.exists():
        build(args.db, args.data, settings)
    _, queries, qrels = load(args.data)
    colony = Colony.open(args.db, settings, embedder=default_embedder())
    st = colony._state
    beir_ids: dict[int, list[str]] = {}
    by_doc: dict[str, list[str]] = {}
    for doc in st.documents.values():
        by_doc[doc.id] = [str(doc.metadata.get("beir_id"))]
    for pid, p in st.passages.items():
        beir_ids[pid] = by_doc[p.document_id]
    qids = list(qrels)
    start = time.perf_counter()
    sig = [signals(colony, queries[q]) for q in qids]
    print(f"signals for {len(qids)} queries in {time.perf_counter() - start:.0f} s", file=sys.stderr)

    def ranked(fused: Array) -> list[str]:
        top = np.argsort(-fused, kind="stable")[:60]
        out: dict[str, None] = {}
        for pid in top.tolist():
            if fused[pid] <= 0:
                break
            for b in beir_ids.get(pid, ()):
                out.setdefault(b, None)
        return list(out)[:10]

    def evaluate(fn: Callable[[Array, Array, Array], Array], idx: list[int]) -> float:
        return statistics.fmean(ndcg_at_k(ranked(fn(*sig[i])), qrels[qids[i]], 10) for i in idx)

    def hybrid(alpha: float, w: float, norm: str = "max") -> Callable[[Array, Array, Array], Array]:
        def fn(lex: Array, gra: Array, den: Array) -> Array:
            d = fusion._normalised(den) if norm == "max" else _minmax_top(den)
            return alpha * fusion._normalised(lex) + (1 - alpha) * fusion._normalised(gra) + w * d
        return fn

    variants: dict[str, Callable[[Array, Array, Array], Array]] = {
        "lexical": lambda lex, gra, den: lex,
        "dense": lambda lex, gra, den: den,
        "rrf3": lambda lex, gra, den: fusion.fuse(fusion.Signals(np.arange(lex.size), lex, gra, den), "rrf", 0.9, 0),
    }
    for alpha in (0.8, 0.9, 1.0):
        for w in (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0):
            variants[f"hybrid a={alpha} w={w}"] = hybrid(alpha, w)
            variants[f"hybrid-mm a={alpha} w={w}"] = hybrid(alpha, w, "minmax")
    everyone = list(range(len(qids)))
    odd, even = everyone[1::2], everyone[0::2]
    table = {name: {"all": evaluate(fn, everyone), "odd": evaluate(fn, odd), "even": evaluate(fn, even)}
             for name, fn in variants.items()}
    for name, r in sorted(table.items(), key=lambda kv: -kv[1]["all"]):
        print(f"{r['all']:.4f}  odd {r['odd']:.4f}  even {r['even']:.4f}  {name}")
    tuned = [n for n in table if n.startswith("hybrid")]
    best_odd = max(tuned, key=lambda n: table[n]["odd"])
    best_even = max(tuned, key=lambda n: table[n]["even"])
    cross = (table[best_odd]["even"] * len(even) + table[best_even]["odd"] * len(odd)) / len(everyone)
    print(f"two-fold: tuned on odd → {best_odd} scores even {table[best_odd]['even']:.4f}; "
          f"tuned on even → {best_even} scores odd {table[best_even]['odd']:.4f}; held-out nDCG@10 {cross:.4f}")
    if args.out:
        args.out.write_text(json.dumps({"variants": table, "held_out_ndcg@10": cross}, indent=1))
    colony.close()


def _minmax_top(den: Array) -> Array:
    """Dense scores min-max scaled over the top 1000 dense candidates (cosine has a narrow range)."""
    top = np.partition(den, -1000)[-1000:] if den.size > 1000 else den
    lo, hi = float(top.min()), float(top.max())
    if hi <= lo:
        return np.zeros_like(den)
    return np.clip((den - lo) / (hi - lo), 0.0, None)


if __name__ == "__main__":
    main()
