"""Fusing lexical, graph and dense scores.

``hybrid``: each signal is divided by its maximum over the candidates, then
``fused = alpha·lexical + (1 − alpha)·graph + dense_weight·dense``. ``rrf``: reciprocal-rank fusion,
``Σ 1/(60 + rank)`` over the signals present. ``lexical``, ``graph`` and ``dense`` use one signal alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

MODES = ("hybrid", "rrf", "lexical", "graph", "dense")
RRF_K = 60.0


@dataclass(frozen=True, slots=True)
class Signals:
    """Passage ids with each signal's raw score aligned to them (0 where absent)."""

    ids: IntArray
    lexical: FloatArray
    graph: FloatArray
    dense: FloatArray | None


def _normalised(x: FloatArray) -> FloatArray:
    m = float(x.max()) if x.size else 0.0
    return x / m if m > 0 else x


def _rrf(x: FloatArray) -> FloatArray:
    out = np.zeros_like(x)
    present = np.flatnonzero(x > 0)
    if present.size:
        order = present[np.argsort(-x[present], kind="stable")]
        out[order] = 1.0 / (RRF_K + 1.0 + np.arange(order.size))
    return out


def fuse(signals: Signals, mode: str, alpha: float, dense_weight: float) -> FloatArray:
    """Fused score per candidate (aligned with ``signals.ids``)."""
    if mode == "lexical":
        return signals.lexical
    if mode == "graph":
        return signals.graph
    if mode == "dense":
        return signals.dense if signals.dense is not None else np.zeros_like(signals.lexical)
    if mode == "rrf":
        total = _rrf(signals.lexical) + _rrf(signals.graph)
        if signals.dense is not None:
            total = total + _rrf(signals.dense)
        return total
    fused = alpha * _normalised(signals.lexical) + (1.0 - alpha) * _normalised(signals.graph)
    if signals.dense is not None and dense_weight > 0:
        fused = fused + dense_weight * _normalised(signals.dense)
    return fused
