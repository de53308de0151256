"""Hebbian rules as pure, vectorised functions.

An edge's weight after ``n`` co-activations from nothing is ``1 − (1 − w0)(1 − η)^(n − 1)``: the first
co-activation gives the tentative weight ``w0`` and each further one closes a share ``η`` of the gap to 1.
Decay multiplies by ``(1 − r / (1 + p·ln(1 + n)))`` per idle tick, so well-used edges fade more slowly.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


def fresh_weight(n: ArrayLike, w0: float, eta: float) -> FloatArray:
    """Weight of an edge built by ``n ≥ 1`` co-activations and never decayed."""
    n_arr = np.asarray(n, dtype=np.float64)
    return np.where(n_arr > 0, 1.0 - (1.0 - w0) * (1.0 - eta) ** np.maximum(n_arr - 1.0, 0.0), 0.0)


def reinforce(weight: ArrayLike, count: ArrayLike, eta: float) -> FloatArray:
    """Weight after ``count`` further co-activations."""
    w = np.asarray(weight, dtype=np.float64)
    return 1.0 - (1.0 - w) * (1.0 - eta) ** np.asarray(count, dtype=np.float64)


def decay_factor(ticks: ArrayLike, coactivations: ArrayLike, rate: float, protection: float) -> FloatArray:
    """Multiplicative decay over ``ticks`` idle ticks for edges with the given co-activation counts."""
    n = np.asarray(coactivations, dtype=np.float64)
    per_tick = 1.0 - rate / (1.0 + protection * np.log1p(n))
    return np.asarray(per_tick ** np.asarray(ticks, dtype=np.float64), dtype=np.float64)


def after_forget(weight: ArrayLike, n_old: ArrayLike, n_new: ArrayLike, w0: float, eta: float) -> FloatArray:
    """Weight once ``n_old − n_new`` co-activations are withdrawn, keeping any decay already applied.

    Without decay this equals :func:`fresh_weight` of ``n_new`` exactly, so forgetting a document leaves
    the weights it would have had if the document had never been ingested.
    """
    old = fresh_weight(n_old, w0, eta)
    new = fresh_weight(n_new, w0, eta)
    w = np.asarray(weight, dtype=np.float64)
    ratio = np.divide(new, old, out=np.zeros_like(new), where=old > 0)
    undecayed = np.isclose(w, old, rtol=0.0, atol=1e-12)
    return np.where(undecayed, new, w * ratio)
