"""Benchmark (not a test): ingest and fully digest the original 100-document Phago corpus.

Reports wall time and CPU time (ingest + digest), peak RSS, concepts and edges, as JSON; CPU time is the
steadier figure on a machine shared with other work. Each repetition runs in a fresh
process so peak RSS is that of one run. Usage:

    python bench/digest_corpus.py [--data ../shared/bench/phago-corpus] [--repeat 5] [--store sqlite|memory]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def one_run(data: Path, store: str) -> dict[str, float]:
    from phago import Colony, DocumentInput

    files = sorted((data / "docs").glob("*.txt"))
    docs = [DocumentInput(f.read_text(encoding="utf-8"), f.stem) for f in files]
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        cpu_start = time.process_time()
        colony = Colony.open(Path(tmp) / "bench.db") if store == "sqlite" else Colony()
        with colony:
            colony.ingest_many(docs)
            ingested = time.perf_counter()
            report = colony.digest()
            done = time.perf_counter()
            cpu_done = time.process_time()
            stats = colony.stats()
    return {
        "documents": len(docs),
        "seconds": done - start,
        "cpu_seconds": cpu_done - cpu_start,
        "ingest_seconds": ingested - start,
        "digest_seconds": done - ingested,
        "ticks": report.ticks,
        "concepts": stats.concepts,
        "edges": stats.edges,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/bench/phago-corpus")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--store", choices=["sqlite", "memory"], default="sqlite")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_run(args.data, args.store)))
        return
    runs = []
    for _ in range(args.repeat):
        out = subprocess.run(
            [sys.executable, __file__, "--child", "--data", str(args.data), "--store", args.store],
            check=True, capture_output=True, text=True,
        )
        runs.append(json.loads(out.stdout))
    summary = {
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}",
        "store": args.store,
        "repeat": args.repeat,
        **{f"median_{k}": statistics.median(r[k] for r in runs) for k in runs[0]},
        "runs": runs,
    }
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
