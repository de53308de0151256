"""Query latency on a persisted BEIR colony, robust enough to compare two versions of the code back to back.

    python bench/query_latency.py --data ../shared/bench/scifact --db /tmp/scifact.db
    PYTHONPATH=/path/to/other/checkout/src python bench/query_latency.py --data ... --db /tmp/scifact.db

The colony is built into ``--db`` (ingest + digest) on the first run and reopened afterwards, so every run
queries the same graph. Each test query runs ``--repeat`` times; a query's latency is its fastest run (what
the code costs, without the machine's interruptions), and the figures are the median and p99 over queries.
Run the two versions alternately a few times and compare medians of runs: on a shared 2-core machine one
process can be 50 % slower than the next for the same code.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from phago.benchmarks.beir import load
from phago.benchmarks.common import percentile
from phago.config import Settings
from phago.core.types import DocumentInput
from phago.facade import Colony


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--k", type=int, default=30, help="passages per query (phago bench beir asks for 30)")
    ap.add_argument("--mode", action="append", help="modes to time (default: lexical and hybrid)")
    args = ap.parse_args()
    corpus, queries, qrels = load(args.data)
    settings = Settings().with_overrides({"query.reinforce": False})
    if not args.db.exists():
        with Colony.open(args.db, settings) as colony:
            colony.ingest_many([DocumentInput(d.get("text") or d.get("title", ""), d.get("title", ""),
                                              {"beir_id": str(d["_id"])}) for d in corpus])
            colony.digest()
    texts = [queries[q] for q in qrels]
    out: dict[str, float] = {}
    with Colony.open(args.db, settings) as colony:
        for mode in args.mode or ["lexical", "hybrid"]:
            for t in texts[:50]:  # warm the caches (snapshot, per-term BM25, label analysis)
                colony.query(t, args.k, mode=mode)
            best = [float("inf")] * len(texts)
            for _ in range(args.repeat):
                for i, t in enumerate(texts):
                    start = time.perf_counter()
                    colony.query(t, args.k, mode=mode)
                    best[i] = min(best[i], (time.perf_counter() - start) * 1000)
            best.sort()
            out[f"query_ms.p50.{mode}"] = round(percentile(best, 50), 3)
            out[f"query_ms.p99.{mode}"] = round(percentile(best, 99), 3)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
