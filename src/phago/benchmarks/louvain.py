"""``phago bench louvain``: community detection on planted-partition graphs."""

from __future__ import annotations

import statistics
import time

import numpy as np

from phago.benchmarks.common import machine
from phago.graph.communities import louvain
from phago.retrieval.evaluation import nmi


def planted_partition(blocks: int, size: int, p_in: float, p_out: float, seed: int
                      ) -> tuple[int, np.ndarray, np.ndarray, list[int]]:
    rng = np.random.default_rng(seed)
    n = blocks * size
    truth = np.repeat(np.arange(blocks), size)
    iu, ju = np.triu_indices(n, 1)
    p = np.where(truth[iu] == truth[ju], p_in, p_out)
    keep = rng.random(p.size) < p
    return n, iu[keep].astype(np.int64), ju[keep].astype(np.int64), truth.tolist()


def run(blocks: int = 10, size: int = 100, p_in: float = 0.1, p_out: float = 0.005, repeat: int = 7,
        seed: int = 0) -> dict[str, float | str]:
    n, src, dst, truth = planted_partition(blocks, size, p_in, p_out, seed)
    weight = np.ones(src.size)
    louvain(n, src, dst, weight, seed)  # warm-up: igraph is imported lazily on first use
    times, nmis, mods = [], [], []
    for r in range(repeat):
        start = time.perf_counter()
        membership, q = louvain(n, src, dst, weight, seed + r)
        times.append(time.perf_counter() - start)
        nmis.append(nmi(truth, membership))
        mods.append(q)
    return {
        "machine": machine(),
        "nodes": float(n),
        "edges": float(src.size),
        "blocks": float(blocks),
        "louvain_ms.median": statistics.median(times) * 1000,
        "louvain_ms.min": min(times) * 1000,
        "nmi.median": statistics.median(nmis),
        "modularity.median": statistics.median(mods),
    }
