"""Hebbian rules: bounds, monotonicity, and exact forgetting."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phago.core.hebbian import after_forget, decay_factor, fresh_weight, reinforce

W0 = st.floats(min_value=1e-3, max_value=1.0)
ETA = st.floats(min_value=1e-3, max_value=0.999)
COUNT = st.integers(min_value=1, max_value=500)
RATE = st.floats(min_value=0.0, max_value=0.5)
PROTECTION = st.floats(min_value=0.0, max_value=100.0)
TICKS = st.integers(min_value=0, max_value=500)

_settings = settings(max_examples=40, deadline=None, database=None)


def test_first_coactivation_gives_the_tentative_weight() -> None:
    assert float(fresh_weight(1, 0.1, 0.1)) == pytest.approx(0.1, abs=1e-15)
    assert float(fresh_weight(2, 0.1, 0.1)) == pytest.approx(1 - 0.9 * 0.9)
    assert float(fresh_weight(0, 0.1, 0.1)) == 0.0
    assert np.allclose(fresh_weight([1, 2, 3], 0.2, 0.5), [0.2, 0.6, 0.8])


def test_reinforce_matches_fresh_weight() -> None:
    # n co-activations at once or one after another give the same weight
    w = fresh_weight(1, 0.1, 0.1)
    for _ in range(9):
        w = reinforce(w, 1, 0.1)
    assert float(w) == pytest.approx(float(fresh_weight(10, 0.1, 0.1)), abs=1e-12)


@_settings
@given(COUNT, W0, ETA)
def test_fresh_weight_in_unit_interval(n: int, w0: float, eta: float) -> None:
    w = float(fresh_weight(n, w0, eta))
    assert 0.0 < w <= 1.0


@_settings
@given(st.floats(min_value=1e-6, max_value=1.0), st.integers(min_value=0, max_value=500), ETA)
def test_reinforced_weight_in_unit_interval(w: float, count: int, eta: float) -> None:
    out = float(reinforce(w, count, eta))
    assert 0.0 < out <= 1.0


@_settings
@given(st.floats(min_value=1e-6, max_value=1.0), COUNT, TICKS, RATE, PROTECTION)
def test_decayed_weight_in_unit_interval(w: float, n: int, ticks: int, rate: float, protection: float) -> None:
    f = float(decay_factor(ticks, n, rate, protection))
    assert 0.0 < f <= 1.0
    assert 0.0 < w * f <= 1.0


@_settings
@given(st.floats(min_value=1e-6, max_value=1.0), st.lists(st.integers(0, 50), min_size=2, max_size=10), ETA)
def test_reinforce_monotone_non_decreasing(w: float, counts: list[int], eta: float) -> None:
    counts = sorted(counts)
    out = reinforce(np.full(len(counts), w), counts, eta)
    assert np.all(np.diff(out) >= 0.0)
    c = np.asarray(counts)
    assert np.all(out[c > 0] >= w)
    # zero further co-activations leave the weight as it was (up to the rounding of 1 − (1 − w))
    assert np.allclose(out[c == 0], w, rtol=0.0, atol=1e-15)
    # and in the starting weight
    ws = np.sort(np.random.default_rng(0).uniform(1e-6, 1.0, 8))
    assert np.all(np.diff(reinforce(ws, counts[-1], eta)) >= 0.0)


@_settings
@given(st.lists(TICKS, min_size=2, max_size=10), COUNT, RATE, PROTECTION)
def test_decay_monotone_non_increasing_in_ticks(ticks: list[int], n: int, rate: float, protection: float) -> None:
    ticks = sorted(ticks)
    f = decay_factor(ticks, np.full(len(ticks), n), rate, protection)
    assert np.all(np.diff(f) <= 0.0)
    assert float(decay_factor(0, n, rate, protection)) == 1.0


@_settings
@given(st.lists(COUNT, min_size=2, max_size=10), TICKS, RATE, PROTECTION)
def test_well_used_edges_decay_no_faster(ns: list[int], ticks: int, rate: float, protection: float) -> None:
    ns = sorted(ns)
    f = decay_factor(np.full(len(ns), ticks), ns, rate, protection)
    assert np.all(np.diff(f) >= 0.0)


def test_zero_rate_means_no_decay() -> None:
    assert np.all(decay_factor([0, 1, 100], [1, 5, 9], 0.0, 1.0) == 1.0)


@_settings
@given(COUNT, st.integers(min_value=1, max_value=500), W0, ETA)
def test_after_forget_of_undecayed_weight_is_exactly_fresh(n: int, m: int, w0: float, eta: float) -> None:
    n, m = max(n, m), min(n, m)
    w = fresh_weight(n, w0, eta)
    out = after_forget(w, n, m, w0, eta)
    assert float(out) == float(fresh_weight(m, w0, eta))  # exact, not approximate


@_settings
@given(st.lists(st.integers(min_value=1, max_value=20), min_size=1, max_size=6), st.data())
def test_after_forget_of_reinforced_weight_is_exactly_fresh(steps: list[int], data: st.DataObject) -> None:
    # a weight built step by step by reinforce() differs from fresh_weight by rounding only; forgetting
    # still lands exactly on the weight the remaining co-activations would have given
    w0, eta = 0.1, 0.1
    w = fresh_weight(steps[0], w0, eta)
    for c in steps[1:]:
        w = reinforce(w, c, eta)
    n = sum(steps)
    m = data.draw(st.integers(min_value=1, max_value=n))
    assert float(after_forget(w, n, m, w0, eta)) == float(fresh_weight(m, w0, eta))


@_settings
@given(COUNT, st.integers(min_value=1, max_value=500), st.floats(min_value=0.01, max_value=0.99))
def test_after_forget_keeps_decay_already_applied(n: int, m: int, factor: float) -> None:
    n, m = max(n, m) + 1, min(n, m)
    w0, eta = 0.1, 0.1
    decayed = float(fresh_weight(n, w0, eta)) * factor
    out = float(after_forget(decayed, n, m, w0, eta))
    assert out == pytest.approx(float(fresh_weight(m, w0, eta)) * factor, rel=1e-12)
    assert 0.0 < out <= decayed


def test_after_forget_is_vectorised() -> None:
    n = np.array([3, 5, 7])
    m = np.array([1, 5, 2])
    w = fresh_weight(n, 0.1, 0.1)
    assert np.array_equal(after_forget(w, n, m, 0.1, 0.1), fresh_weight(m, 0.1, 0.1))
