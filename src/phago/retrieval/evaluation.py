"""Evaluation metrics (binary relevance): nDCG@k, Recall@k, P@k, MRR, and NMI for clusterings."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def ndcg_at_k(ranked: Sequence[K], relevant: Mapping[K, int], k: int) -> float:
    """nDCG@k with binary gains and log2 discount; the ideal ranking is over the judged relevant items."""
    dcg = sum(1.0 / math.log2(i + 2) for i, d in enumerate(ranked[:k]) if relevant.get(d, 0) > 0)
    n_rel = sum(1 for v in relevant.values() if v > 0)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, n_rel)))
    return dcg / ideal if ideal else 0.0


def recall_at_k(ranked: Sequence[K], relevant: Mapping[K, int], k: int) -> float:
    rel = {d for d, v in relevant.items() if v > 0}
    return len(rel.intersection(ranked[:k])) / len(rel) if rel else 0.0


def precision_at_k(ranked: Sequence[K], relevant: Mapping[K, int], k: int, *,
                   by_returned: bool = False) -> float:
    """Standard P@k (hits / k); with ``by_returned`` the original Phago protocol's hits / results returned."""
    top = ranked[:k]
    hits = sum(1 for d in top if relevant.get(d, 0) > 0)
    denom = len(top) if by_returned else k
    return hits / denom if denom else 0.0


def reciprocal_rank(ranked: Sequence[K], relevant: Mapping[K, int]) -> float:
    for i, d in enumerate(ranked):
        if relevant.get(d, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def nmi(labels_true: Sequence[Hashable], labels_pred: Sequence[Hashable]) -> float:
    """Normalised mutual information with arithmetic-mean normalisation (as scikit-learn's default)."""
    n = len(labels_true)
    if n != len(labels_pred):
        raise ValueError("label sequences differ in length")
    if n == 0:
        return 0.0
    ct = Counter(zip(labels_true, labels_pred, strict=True))
    a = Counter(labels_true)
    b = Counter(labels_pred)
    mi = sum(c / n * math.log(c * n / (a[x] * b[y])) for (x, y), c in ct.items())
    ha = -sum(c / n * math.log(c / n) for c in a.values())
    hb = -sum(c / n * math.log(c / n) for c in b.values())
    if ha == 0 and hb == 0:
        return 1.0
    denom = (ha + hb) / 2
    return mi / denom if denom else 0.0
