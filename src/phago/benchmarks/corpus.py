"""``phago bench phago-corpus``: the original Phago protocol on its 100-document corpus.

Each query's concept labels are scored against the query's relevant labels: P@5 (divided by the results
returned, as the original did, and the standard P@5), MRR and NDCG@10 (binary gains). A TF-IDF baseline ranks
the terms of the documents most similar to the query. Document communities are scored against the topic in
the file name (NMI).
"""

from __future__ import annotations

import json
import math
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from phago.benchmarks.common import machine, peak_rss_mb
from phago.config import Settings
from phago.core.text import STOP_WORDS, tokenize
from phago.core.types import DocumentInput
from phago.errors import InputError
from phago.facade import Colony
from phago.retrieval.evaluation import ndcg_at_k, nmi, precision_at_k, reciprocal_rank


def load(data: Path) -> tuple[list[tuple[str, str]], list[tuple[str, list[str]]]]:
    docs_dir = data / "docs"
    if not docs_dir.is_dir() or not (data / "queries.json").is_file():
        raise InputError(f"{data}: expected a docs/ folder and queries.json (the phago-corpus layout)")
    docs = [(f.stem, f.read_text(encoding="utf-8")) for f in sorted(docs_dir.glob("*.txt"))]
    queries = [(q["query"], list(q["relevant"])) for q in json.loads((data / "queries.json").read_text())]
    return docs, queries


def _tfidf_labels(docs: list[tuple[str, str]], query: str, k: int) -> list[str]:
    """Baseline: the top-weighted terms (TF-IDF) of the 3 documents most similar to the query."""
    toks = [[t for t in tokenize(text) if t not in STOP_WORDS and len(t) >= 3 and not t.isdigit()] for _, text in docs]
    df = Counter(t for ts in toks for t in set(ts))
    n = len(docs)
    vecs = []
    for ts in toks:
        tf = Counter(ts)
        vecs.append({t: (1 + math.log(c)) * math.log(n / df[t]) for t, c in tf.items()})
    q = [t for t in tokenize(query) if t in df]
    sims = sorted(range(n), key=lambda i: (-sum(vecs[i].get(t, 0.0) for t in q), i))[:3]
    scores: dict[str, float] = {}
    for t in q:
        scores[t] = scores.get(t, 0.0) + 1e6  # the query's own terms first, as the original's TF-IDF mode did
    for i in sims:
        for t, w in vecs[i].items():
            scores[t] = scores.get(t, 0.0) + w
    return [t for t, _ in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:k]]


def _score(rankings: list[list[str]], queries: list[tuple[str, list[str]]], prefix: str) -> dict[str, float]:
    p5r, p5, mrr, ndcg = [], [], [], []
    for ranked, (_, relevant) in zip(rankings, queries, strict=True):
        rel = dict.fromkeys(relevant, 1)
        p5r.append(precision_at_k(ranked, rel, 5, by_returned=True))
        p5.append(precision_at_k(ranked, rel, 5))
        mrr.append(reciprocal_rank(ranked, rel))
        ndcg.append(ndcg_at_k(ranked, rel, 10))
    return {
        f"p@5.{prefix}": statistics.fmean(p5r),
        f"p@5_standard.{prefix}": statistics.fmean(p5),
        f"mrr.{prefix}": statistics.fmean(mrr),
        f"ndcg@10.{prefix}": statistics.fmean(ndcg),
    }


def run(data: Path, settings: Settings | None = None) -> dict[str, float | str]:
    docs, queries = load(data)
    settings = (settings or Settings()).with_overrides({"query.reinforce": False})
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        with Colony.open(Path(tmp) / "corpus.db", settings) as colony:
            ids = colony.ingest_many([DocumentInput(text, name) for name, text in docs])
            colony.digest()
            digest_s = time.perf_counter() - start
            phago_rank = [[label for label, _ in colony.concepts(q, 10, kinds=("term",))] for q, _ in queries]
            part = colony.document_communities()
            topic = {doc_id: name.rsplit("_", 1)[0] for doc_id, (name, _) in zip(ids, docs, strict=True)}
            stats = colony.stats()
    tfidf_rank = [_tfidf_labels(docs, q, 10) for q, _ in queries]
    order = sorted(topic)
    return {
        "machine": machine(),
        "documents": float(len(docs)),
        "queries": float(len(queries)),
        "ingest_digest_s": digest_s,
        "concepts": float(stats.concepts),
        "edges": float(stats.edges),
        **_score(phago_rank, queries, "phago"),
        **_score(tfidf_rank, queries, "tfidf"),
        "nmi.documents": nmi([topic[d] for d in order], [part.membership[d] for d in order]),
        "modularity.documents": part.modularity,
        "communities.documents": float(len(set(part.membership.values()))),
        "peak_rss_mb": peak_rss_mb(),
    }
