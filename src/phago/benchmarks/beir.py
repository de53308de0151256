"""``phago bench beir``: retrieval quality and speed on a BEIR-format folder, beside bm25s.

Protocol: index title + text, retrieve for the test queries (qrels/test.tsv), document score = best passage
score, report nDCG@10 (binary gains, log2 discount, ideal over the judged documents) and Recall@100 for each
retrieval mode; ingest docs/s into a SQLite colony; query latency percentiles (single thread, k=10); peak RSS;
and the same figures for bm25s (k1=1.2, b=0.75, English stop words) on the same data in the same run.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

from phago.benchmarks.common import machine, peak_rss_mb, percentile
from phago.config import Settings
from phago.core.types import DocumentInput
from phago.errors import InputError, MissingExtra
from phago.facade import Colony
from phago.retrieval.dense import Embedder
from phago.retrieval.evaluation import ndcg_at_k, recall_at_k


def load(data: Path, split: str = "test") -> tuple[list[dict[str, str]], dict[str, str], dict[str, dict[str, int]]]:
    corpus_f, queries_f, qrels_f = data / "corpus.jsonl", data / "queries.jsonl", data / "qrels" / f"{split}.tsv"
    for f in (corpus_f, queries_f, qrels_f):
        if not f.is_file():
            raise InputError(f"{data}: missing {f.relative_to(data)} (BEIR layout: corpus.jsonl, queries.jsonl, "
                             f"qrels/{split}.tsv)")
    corpus = [json.loads(line) for line in corpus_f.read_text(encoding="utf-8").splitlines() if line.strip()]
    queries = {}
    for line in queries_f.read_text(encoding="utf-8").splitlines():
        if line.strip():
            q = json.loads(line)
            queries[str(q["_id"])] = q["text"]
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    for i, line in enumerate(qrels_f.read_text(encoding="utf-8").splitlines()):
        parts = line.split("\t")
        if i == 0 and not parts[-1].strip().lstrip("-").isdigit():
            continue  # header
        if len(parts) >= 3:
            qrels[parts[0]][parts[1]] = int(parts[2])
    return corpus, queries, {q: r for q, r in qrels.items() if q in queries}


def _evaluate(search: Callable[[str, int], list[str]], queries: dict[str, str], qrels: dict[str, dict[str, int]]
              ) -> tuple[float, float]:
    ndcg, recall = [], []
    for qid, rel in qrels.items():
        ranked = search(queries[qid], 100)
        ndcg.append(ndcg_at_k(ranked, rel, 10))
        recall.append(recall_at_k(ranked, rel, 100))
    return statistics.fmean(ndcg), statistics.fmean(recall)


def _latency(search: Callable[[str, int], object], texts: Sequence[str]) -> dict[str, float]:
    times = []
    for t in texts:
        start = time.perf_counter()
        search(t, 10)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {"p50": percentile(times, 50), "p95": percentile(times, 95), "p99": percentile(times, 99)}


def run(data: Path, settings: Settings | None = None, *, with_bm25s: bool = True, embedder: Embedder | None = None
        ) -> dict[str, float | str]:
    corpus, queries, qrels = load(data)
    settings = (settings or Settings()).with_overrides({"query.reinforce": False})
    out: dict[str, float | str] = {"machine": machine(), "documents": float(len(corpus)), "queries": float(len(qrels))}
    texts = [queries[q] for q in qrels]
    with tempfile.TemporaryDirectory() as tmp:
        colony = Colony.open(Path(tmp) / "beir.db", settings, embedder=embedder)
        start = time.perf_counter()
        ids = colony.ingest_many(
            # a title-only document is indexed by its title
            [DocumentInput(d.get("text") or d.get("title", ""), d.get("title", ""), {"beir_id": str(d["_id"])})
             for d in corpus]
        )
        ingest_s = time.perf_counter() - start
        out["ingest_docs_per_s"] = len(corpus) / ingest_s
        start = time.perf_counter()
        report = colony.digest()
        out["digest_s"] = time.perf_counter() - start
        out["digest_ticks"] = float(report.ticks)
        # Documents with the same text are one colony document (content de-duplication): a hit counts for
        # every BEIR id that shares it, in corpus order.
        beir_of: dict[str, list[str]] = {}
        for doc_id, d in zip(ids, corpus, strict=True):
            beir_of.setdefault(doc_id, []).append(str(d["_id"]))

        def searcher(mode: str) -> Callable[[str, int], list[str]]:
            def search(text: str, k: int) -> list[str]:
                ranked: dict[str, None] = {}
                for hit in colony.query(text, k * 3, mode=mode):  # passages → documents (best passage)
                    for beir_id in beir_of[hit.document_id]:
                        ranked.setdefault(beir_id, None)
                return list(ranked)[:k]
            return search

        modes = {"lexical": "lexical", "lexical+graph": "hybrid", "rrf": "rrf", "graph": "graph"}
        if embedder is not None:  # hybrid now also carries dense_weight × dense
            modes = {"lexical": "lexical", "lexical+graph+dense": "hybrid", "rrf": "rrf", "graph": "graph",
                     "dense": "dense"}
            out["embedder"] = embedder.name
        for name, mode in modes.items():
            out[f"ndcg@10.{name}"], out[f"recall@100.{name}"] = _evaluate(searcher(mode), queries, qrels)
        default = settings.query.mode
        out["ndcg@10.default"], out["recall@100.default"] = _evaluate(searcher(default), queries, qrels)
        for name, mode in (("lexical", "lexical"), ("default", default)):
            for p, v in _latency(searcher(mode), texts).items():
                out[f"query_ms.{p}" if name == "default" else f"query_ms.{p}.{name}"] = v
        stats = colony.stats()
        out["concepts"] = float(stats.concepts)
        out["edges"] = float(stats.edges)
        colony.close()
    out["peak_rss_mb"] = peak_rss_mb()
    if with_bm25s:
        out.update(_bm25s(corpus, queries, qrels, texts))
    return out


def _bm25s(corpus: list[dict[str, str]], queries: dict[str, str], qrels: dict[str, dict[str, int]],
           texts: Sequence[str]) -> dict[str, float]:
    try:
        import bm25s  # type: ignore[import-untyped]
    except ImportError:
        raise MissingExtra("bench", "bm25s") from None
    ids = [str(d["_id"]) for d in corpus]
    start = time.perf_counter()
    tokens = bm25s.tokenize([f"{d.get('title', '')} {d.get('text', '')}" for d in corpus], stopwords="en",
                            show_progress=False)
    retriever = bm25s.BM25(k1=1.2, b=0.75)
    retriever.index(tokens, show_progress=False)
    index_s = time.perf_counter() - start

    def search(text: str, k: int) -> list[str]:
        q = bm25s.tokenize([text], stopwords="en", show_progress=False, return_ids=False)
        docs, _scores = retriever.retrieve(q, k=min(k, len(ids)), show_progress=False, n_threads=1)
        return [ids[i] for i in docs[0].tolist()]

    ndcg, recall = _evaluate(search, queries, qrels)
    lat = _latency(search, texts)
    return {
        "ndcg@10.bm25s": ndcg,
        "recall@100.bm25s": recall,
        "ingest_docs_per_s.bm25s": len(corpus) / index_s,
        **{f"query_ms.{p}.bm25s": v for p, v in lat.items()},
    }
